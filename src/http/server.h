// The HTTP front end: the service's routes (/health, /infer, KServe v2 REST,
// /metrics, /openapi.json, /docs) on the event-driven HTTP/1.1 transport
// (transport/http1_server.h, which documents the connection life and the
// threads).
//
// Threads: routing, admission (shedding before the body is read) and the
// cheap routes run on the transport's I/O threads; /infer and KServe infer
// run on its work pool (`threads`), where decode and preprocess run too;
// inference runs where the engine puts it (the batching scheduler's runner
// threads). A model load (/v2/repository/...) runs on a work thread too.
// Each request takes the slot's service once, where it is routed or handled,
// and keeps it to the end (service/service_slot.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/budget.h"
#include "common/status.h"
#include "http/router.h"
#include "http/transport/http1_server.h"
#include "metrics/metrics.h"
#include "service/classification_service.h"
#include "service/model_control.h"
#include "service/service_slot.h"

namespace cp::http {

struct HttpServerOptions {
  std::string host = "0.0.0.0";
  int port = 8000;               // 0: any free port (see port())
  int threads = 64;              // HTTP_THREADS: requests run at once (decode, preprocess, waiting for the model)
  int io_threads = 1;            // IO_THREADS: event-loop threads owning the sockets
  int max_connections = 10'000;  // MAX_CONNECTIONS: beyond, 503 and close
  int header_timeout_s = 10;     // HEADER_TIMEOUT_S: first byte to end of header
  int read_timeout_s = 10;       // READ_TIMEOUT_S: longest pause in a body or a reply
  int keep_alive_timeout_s = 5;  // KEEP_ALIVE_TIMEOUT_S: idle between requests
  std::uint64_t max_body_bytes = 20ull << 20;
  std::uint64_t max_body_bytes_in_flight = 16ull << 20;  // see Budget; 0 = no limit
  std::string model_name = "model";
  int request_timeout_ms = 0;  // REQUEST_TIMEOUT_MS; 0 = none
  // MODEL_CONTROL_API: POST /v2/repository/models/{name}/load and /unload
  // are answered (with a ModelControl); false: 403 (SIGHUP still reloads).
  bool model_control_api = true;
};

// Lowers the request deadline for one request (never raises it).
inline constexpr const char* kTimeoutHeader = "X-Request-Timeout-Ms";

class HttpServer : private Application {
 public:
  // Serves whatever service `slot` holds at each request's start (a model
  // reload swaps it). metrics may be null (no /metrics); ready() false
  // (warming up, draining) makes the readiness probe answer 503; empty =
  // always ready. control: what /v2/repository/... load and unload drive;
  // null: they answer 403.
  HttpServer(std::shared_ptr<const service::ServiceSlot> slot, HttpServerOptions options,
             std::shared_ptr<metrics::Metrics> metrics = nullptr, std::function<bool()> ready = {},
             std::shared_ptr<service::ModelControl> control = nullptr);
  // One service for the server's whole life (no reload).
  HttpServer(std::shared_ptr<const service::ClassificationService> service, HttpServerOptions options,
             std::shared_ptr<metrics::Metrics> metrics = nullptr, std::function<bool()> ready = {});
  ~HttpServer() override;
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket (so port() is known before Run).
  Status Bind();
  int port() const { return transport_->port(); }
  // Serves until Stop(); returns after every connection has ended.
  void Run();
  // Thread-safe; may be called from a signal-handling thread.
  void Stop();

 private:
  // Application (called by the transport).
  Plan Route(const RequestHead& head) override;
  Response TransportError(const std::string& path, int status, const std::string& message) override;
  void Completed(const RequestHead& head, int status, double seconds) override;

  void RegisterRoutes();
  // POST /infer: shed before the body, then the handler (infer_handler.cpp).
  std::optional<Response> AdmitInfer(const RequestHead& head) const;
  Response HandleInfer(Request& req);
  // An error response; counts shed and timed-out requests.
  Response Refusal(const Status& status, const std::string& param = {}) const;

  // The OpenAPI document and the /docs page, made again when the slot's
  // service changed (its class count bounds top_k). Runs on an I/O thread.
  std::string Documentation(bool html);

  std::shared_ptr<const service::ServiceSlot> slot_;
  std::shared_ptr<service::ModelControl> control_;
  HttpServerOptions options_;
  std::shared_ptr<metrics::Metrics> metrics_;
  std::function<bool()> ready_;
  std::shared_ptr<Budget> body_budget_;
  Router router_;
  std::unique_ptr<Http1Server> transport_;
  std::mutex docs_mu_;                  // guards the three below
  std::uint64_t docs_generation_ = -1;  // the slot generation they were made for
  std::string openapi_, docs_html_;
};

}  // namespace cp::http
