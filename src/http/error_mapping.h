// The single place where a core Status becomes an HTTP status and body.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace cp::http {

int HttpStatusFor(StatusCode code);

// FastAPI's error shapes: {"detail": "..."}; for 422 (parameter validation)
// {"detail": [{"loc": [...], "msg": "...", "type": "value_error"}]}.
nlohmann::json ErrorBody(const Status& status, const std::string& param_location = {});

// Retry-After seconds to send with this status, or 0 for none.
int RetryAfterSeconds(StatusCode code);

}  // namespace cp::http
