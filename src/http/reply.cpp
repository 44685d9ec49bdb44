#include "http/reply.h"

#include "http/error_mapping.h"

namespace cp::http {

void ReplyJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), kJsonType);
}

void ReplyError(httplib::Response& res, const Status& status, const std::string& param) {
  if (const int retry = RetryAfterSeconds(status.code()); retry > 0) {
    res.set_header("Retry-After", std::to_string(retry));
  }
  ReplyJson(res, HttpStatusFor(status.code()), ErrorBody(status, param));
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
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    default:
      return status >= 500 ? "Internal Server Error" : "Bad Request";
  }
}

}  // namespace cp::http
