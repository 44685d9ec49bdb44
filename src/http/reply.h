// Small response helpers shared by the route handlers.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace cp::http {

inline constexpr const char* kJsonType = "application/json";

void ReplyJson(httplib::Response& res, int status, const nlohmann::json& body);
// FastAPI-shaped error ({"detail": ...}) with the mapped status and, for
// overload, Retry-After.
void ReplyError(httplib::Response& res, const Status& status, const std::string& param = {});
const char* ReasonPhrase(int status);

}  // namespace cp::http
