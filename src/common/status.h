// Status and Result<T>: the one error model of the core layers.
//
// Library exceptions (OpenCV, ONNX Runtime) are caught at the edge of the
// module that calls the library and turned into a Status; nothing above
// src/model or src/image sees an exception. The HTTP layer maps StatusCode to
// an HTTP status in exactly one place (src/http/error_mapping.cpp).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace cp {

enum class StatusCode {
  kOk,
  kInvalidArgument,       // malformed input: empty, undecodable, missing image
  kInvalidParameter,      // a request parameter out of range (FastAPI's 422)
  kUnsupportedMediaType,  // the input is a document of a non-image type
  kTooLarge,              // body or decoded image beyond the configured limit
  kUnavailable,           // model not loaded, or shutting down
  kOverloaded,            // queue full: retry later
  kDeadlineExceeded,      // request deadline expired before it ran
  kNotFound,              // unknown model or resource
  kPermissionDenied,      // an operation switched off by the configuration (model control)
  kFailedPrecondition,    // the operation cannot be done as things are: a model file that does not load
  kInternal,              // a bug or a library failure
};

const char* StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status InvalidParameter(std::string m) { return {StatusCode::kInvalidParameter, std::move(m)}; }
inline Status UnsupportedMediaType(std::string m) { return {StatusCode::kUnsupportedMediaType, std::move(m)}; }
inline Status TooLarge(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status Overloaded(std::string m) { return {StatusCode::kOverloaded, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or a non-OK Status. Constructing from an OK Status is a bug and is
// turned into kInternal so that it cannot be mistaken for a value.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status)                      // NOLINT(google-explicit-constructor)
      : v_(status.ok() ? Internal("Result constructed from OK status") : std::move(status)) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace cp
