// JSON shapes of the Python service's contract.
#pragma once

#include <nlohmann/json.hpp>

#include "service/classification_service.h"

namespace cp::http {

// {"Status": "ok", "model_loaded": true}: exactly these keys (clients compare
// the whole object).
nlohmann::json HealthJson(bool model_loaded);

// {"predictions": [{"label": ..., "probability": ...}], "inference_time_ms": ...}
nlohmann::json ClassificationJson(const service::Classification& c);

}  // namespace cp::http
