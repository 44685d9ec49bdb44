// The HTTP front end (cpp-httplib).
//
// Threads: one listener thread (the caller of Run) accepts connections and
// hands each to a worker of a fixed pool of `threads` (WorkerPool: at most
// max_pending_connections wait for a worker; then the listener stops
// accepting until one is free); a worker serves its
// connection's requests one after another (keep-alive) until the client
// closes, idles past keep_alive_timeout_s, or stalls past read_timeout_s.
// Decode and preprocess run on that worker; inference runs where the engine
// puts it (the batching scheduler's runner threads).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/budget.h"
#include "common/status.h"
#include "metrics/metrics.h"
#include "service/classification_service.h"

namespace httplib {
class Server;
struct Request;
struct Response;
class ContentReader;
}  // namespace httplib

namespace cp::http {

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 8000;  // 0: any free port (see port())
  int threads = 64;
  int max_pending_connections = 1024;  // accepted, waiting for a worker (see WorkerPool)
  int read_timeout_s = 10;
  int keep_alive_timeout_s = 5;
  std::uint64_t max_body_bytes = 20ull << 20;
  std::uint64_t max_body_bytes_in_flight = 16ull << 20;  // see Budget; 0 = no limit
  std::string model_name = "model";
  int request_timeout_ms = 0;  // REQUEST_TIMEOUT_MS; 0 = none
};

// Lowers the request deadline for one request (never raises it).
inline constexpr const char* kTimeoutHeader = "X-Request-Timeout-Ms";

class HttpServer {
 public:
  // metrics may be null (no /metrics); ready() false (warming up, draining)
  // makes the readiness probe answer 503; empty = always ready.
  HttpServer(std::shared_ptr<const service::ClassificationService> service, HttpServerOptions options,
             std::shared_ptr<metrics::Metrics> metrics = nullptr, std::function<bool()> ready = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket (so port() is known before Run).
  Status Bind();
  int port() const { return port_; }
  // Serves until Stop(); returns after the listener and workers have ended.
  void Run();
  // Thread-safe; may be called from a signal-handling thread.
  void Stop();

 private:
  void RegisterRoutes();
  void RegisterHooks();
  void HandleInfer(const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader);
  // Writes an error response; counts shed and timed-out requests.
  void SendError(httplib::Response& res, const Status& status, const std::string& param = {}) const;

  std::shared_ptr<const service::ClassificationService> service_;
  HttpServerOptions options_;
  std::shared_ptr<metrics::Metrics> metrics_;
  std::function<bool()> ready_;
  std::shared_ptr<Budget> body_budget_;  // shared with the KServe routes
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
};

}  // namespace cp::http
