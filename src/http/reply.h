// Small response helpers shared by the route handlers.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "common/status.h"
#include "http/transport/message.h"

namespace cp::http {

inline constexpr const char* kJsonType = "application/json";

// Invalid UTF-8 in a string (e.g. a percent-decoded path echoed back) is replaced, never thrown.
Response JsonResponse(int status, const nlohmann::json& body);
// Retry-After for statuses that ask the client to come back (overload).
void SetRetryAfter(Response& res, StatusCode code);
// FastAPI-shaped error ({"detail": ...}) with the mapped status and, for
// overload, Retry-After.
Response ErrorResponse(const Status& status, const std::string& param = {});
// The one place that picks an error's shape by path, for what the router and the transport answer (no such route, a
// method the path does not take, a body beyond the limit, an escaped exception): KServe/Triton's {"error": message}
// for the KServe v2 routes ("/v2" and below), FastAPI's {"detail": message} for every other path.
bool IsKServePath(const std::string& path);
nlohmann::json ErrorBodyForPath(const std::string& path, const std::string& message);
Response ErrorResponseForPath(const std::string& path, int status, const std::string& message);
const char* ReasonPhrase(int status);

// REQUEST_TIMEOUT_MS (default_ms; 0 = none) from `start`, lowered (never
// raised) by the X-Request-Timeout-Ms header. kInvalidArgument for a header
// that is not a positive integer.
Result<std::optional<std::chrono::steady_clock::time_point>> RequestDeadline(
    const RequestHead& req, int default_ms, std::chrono::steady_clock::time_point start);
// The same from the request's first byte, for a route's RouteSpec::deadline
// (how long it may wait for room for its body); an invalid header waits
// without one and is refused by its handler.
std::optional<std::chrono::steady_clock::time_point> WaitDeadline(const RequestHead& req, int default_ms);

}  // namespace cp::http
