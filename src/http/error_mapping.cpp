#include "http/error_mapping.h"

namespace cp::http {

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kFailedPrecondition:  // the v2 model-repository extension: a failed load is 400
      return 400;
    case StatusCode::kTooLarge:
      return 413;
    case StatusCode::kUnsupportedMediaType:
      return 415;
    case StatusCode::kInvalidParameter:
      return 422;
    case StatusCode::kInternal:
      return 500;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kOverloaded:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
  }
  return 500;
}

int RetryAfterSeconds(StatusCode code) {
  return code == StatusCode::kOverloaded || code == StatusCode::kUnavailable ? 1 : 0;
}

nlohmann::json ErrorBody(const Status& status, const std::string& param_location) {
  if (status.code() == StatusCode::kInvalidParameter) {
    nlohmann::json loc = nlohmann::json::array({"query"});
    if (!param_location.empty()) loc.push_back(param_location);
    return {{"detail", nlohmann::json::array({{{"loc", loc}, {"msg", status.message()}, {"type", "value_error"}}})}};
  }
  return {{"detail", status.message()}};
}

}  // namespace cp::http
