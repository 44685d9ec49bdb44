#include "http/reply.h"

#include <algorithm>
#include <charconv>

#include "http/error_mapping.h"
#include "http/server.h"

namespace cp::http {

Response JsonResponse(int status, const nlohmann::json& body) {
  Response res;
  res.status = status;
  res.content_type = kJsonType;
  res.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return res;
}

void SetRetryAfter(Response& res, StatusCode code) {
  if (const int retry = RetryAfterSeconds(code); retry > 0) res.SetHeader("Retry-After", std::to_string(retry));
}

Response ErrorResponse(const Status& status, const std::string& param) {
  Response res = JsonResponse(HttpStatusFor(status.code()), ErrorBody(status, param));
  SetRetryAfter(res, status.code());
  return res;
}

bool IsKServePath(const std::string& path) { return path == "/v2" || path.starts_with("/v2/"); }

nlohmann::json ErrorBodyForPath(const std::string& path, const std::string& message) {
  return {{IsKServePath(path) ? "error" : "detail", message}};
}

Response ErrorResponseForPath(const std::string& path, int status, const std::string& message) {
  Response res = JsonResponse(status, ErrorBodyForPath(path, message));
  if (status == 503) res.SetHeader("Retry-After", "1");
  return res;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Request Entity Too Large";
    case 414:
      return "Request-URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 500:
      return "Internal Server Error";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Bad Request";
  }
}

Result<std::optional<std::chrono::steady_clock::time_point>> RequestDeadline(
    const RequestHead& req, int default_ms, std::chrono::steady_clock::time_point start) {
  long long ms = default_ms;
  // An empty value counts as absent (as HTTP libraries that drop empty fields do; /openapi.json says so).
  if (const std::string text = req.headers.Get(kTimeoutHeader); !text.empty()) {
    long long v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc{} || p != text.data() + text.size() || v <= 0) {
      return InvalidArgument(std::string(kTimeoutHeader) + " must be a positive integer (milliseconds)");
    }
    ms = default_ms > 0 ? std::min<long long>(v, default_ms) : std::min<long long>(v, 1LL << 40);
  }
  if (ms <= 0) return std::optional<std::chrono::steady_clock::time_point>{};
  return std::optional(start + std::chrono::milliseconds(ms));
}

std::optional<std::chrono::steady_clock::time_point> WaitDeadline(const RequestHead& req, int default_ms) {
  auto d = RequestDeadline(req, default_ms, req.start);
  return d.ok() ? *d : std::nullopt;
}

}  // namespace cp::http
