// The transport's request and response: what the event-driven HTTP/1.1 server
// (http1_server.h) hands to the application and takes back. Plain values, no
// networking types, so routes and handlers are written (and tested) without a
// socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cp::http {

// Header fields as received, in order; names compare case-insensitively.
class Headers {
 public:
  void Add(std::string name, std::string value) { fields_.emplace_back(std::move(name), std::move(value)); }
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  // The first field of that name, "" when absent.
  std::string Get(std::string_view name) const {
    const std::string* v = Find(name);
    return v ? *v : std::string();
  }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  const std::string* Find(std::string_view name) const;
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Everything known once the header has arrived (the body has not been read).
struct RequestHead {
  using Clock = std::chrono::steady_clock;
  std::string method;  // as sent: "GET", "POST", ...
  std::string target;  // as sent: "/infer?top_k=5"
  std::string path;    // percent-decoded path of target
  // Percent-decoded query parameters, in order (a key may repeat).
  std::vector<std::pair<std::string, std::string>> query;
  Headers headers;
  std::optional<std::uint64_t> content_length;  // declared; nullopt when absent
  bool chunked = false;                         // Transfer-Encoding: chunked
  Clock::time_point start;                      // when its first byte was read

  bool HasParam(std::string_view key) const;
  std::string Param(std::string_view key) const;  // the first value, "" when absent
  // The bytes the body may take in memory: its declared length, the body
  // limit when chunked (length unknown), 0 when there is no body.
  std::uint64_t BodyBytes(std::uint64_t max_body_bytes) const {
    if (content_length) return *content_length;
    return chunked ? max_body_bytes : 0;
  }
};

struct Request : RequestHead {
  std::string body;  // complete, at most the server's body limit
};

struct Response {
  int status = 200;
  std::string content_type;                                  // Content-Type, when the body has one
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields (Retry-After, Allow, ...)
  std::string body;
  bool close = false;  // Connection: close after this response

  void SetHeader(std::string name, std::string value) { headers.emplace_back(std::move(name), std::move(value)); }
};

}  // namespace cp::http
