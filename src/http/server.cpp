#include "http/server.h"

#include <httplib.h>

#include <chrono>
#include <optional>

#include "http/error_mapping.h"
#include "http/json_codec.h"
#include "http/kserve.h"
#include "http/openapi.h"
#include "http/reply.h"
#include "http/upload_reader.h"
#include "http/worker_pool.h"

namespace cp::http {

namespace {

using Clock = std::chrono::steady_clock;

// Start of the request being served by this worker thread: a worker serves
// one request at a time, from pre-routing to the logger. Requests refused
// before routing (bad request line, 100-continue refusal) have no start.
thread_local std::optional<Clock::time_point> t_request_start;

// Metrics label for a path: the route, never the raw path (bounded label set).
std::string EndpointLabel(const std::string& path) {
  for (const char* known : {"/health", "/infer", "/metrics", "/openapi.json", "/docs"}) {
    if (path == known) return known;
  }
  if (path.starts_with("/v2/models/") && path.ends_with("/infer")) return "/v2/models/infer";
  if (path.starts_with("/v2")) return "/v2";
  return "other";
}

}  // namespace

HttpServer::HttpServer(std::shared_ptr<const service::ClassificationService> service, HttpServerOptions options,
                       std::shared_ptr<metrics::Metrics> metrics, std::function<bool()> ready)
    : service_(std::move(service)),
      options_(std::move(options)),
      metrics_(std::move(metrics)),
      ready_(std::move(ready)),
      body_budget_(std::make_shared<Budget>(options_.max_body_bytes_in_flight, "memory to receive its body",
                                            [m = metrics_](double delta) {
                                              if (m) m->AddBodyBytesInFlight(delta);
                                            })),
      server_(std::make_unique<httplib::Server>()) {
  const auto threads = static_cast<std::size_t>(options_.threads);
  const auto pending = static_cast<std::size_t>(options_.max_pending_connections);
  server_->new_task_queue = [threads, pending] { return new WorkerPool(threads, pending); };
  server_->set_read_timeout(options_.read_timeout_s, 0);
  server_->set_write_timeout(options_.read_timeout_s, 0);
  server_->set_keep_alive_timeout(options_.keep_alive_timeout_s);
  server_->set_keep_alive_max_count(1000);
  server_->set_payload_max_length(options_.max_body_bytes);
  // Responses go out as header + body writes: without TCP_NODELAY, Nagle
  // holds the second until the client's delayed ACK (~40 ms per request).
  server_->set_tcp_nodelay(true);
  RegisterHooks();
  RegisterRoutes();
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::SendError(httplib::Response& res, const Status& status, const std::string& param) const {
  if (metrics_) metrics_->CountRefusal(status.code());
  ReplyError(res, status, param);
}

void HttpServer::RegisterHooks() {
  auto& s = *server_;
  const std::uint64_t max_body = options_.max_body_bytes;

  s.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    t_request_start = Clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const double seconds =
        t_request_start ? std::chrono::duration<double>(Clock::now() - *t_request_start).count() : 0.0;
    t_request_start.reset();
    if (metrics_) metrics_->ObserveRequest(EndpointLabel(req.path), res.status, seconds);
  });

  // A declared body beyond the limit: a client that asks first (Expect:
  // 100-continue, as curl does for large uploads) is refused before it sends
  // a byte. Any other client is answered 413 after the library has discarded
  // (never stored) the body: closing with the body unread would reset the
  // connection and the client would never see the 413.
  // cpp-httplib 0.11.4 sends this refusal without a Content-Length (it adds
  // one only to bodies its error handler writes) and keeps the connection
  // open (only the request's own Connection: close ends it): without the
  // length a client would read until the keep-alive timeout closes it.
  s.set_expect_100_continue_handler([max_body](const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value<std::uint64_t>("Content-Length") <= max_body) return 100;
    ReplyJson(res, HttpStatusFor(StatusCode::kTooLarge), ErrorBodyForPath(req.path, BodyTooLarge(max_body).message()));
    res.set_header("Content-Length", std::to_string(res.body.size()));
    res.set_header("Connection", "close");
    return res.status;
  });
  // Every error without a body of its own (no such route, a body beyond the
  // limit on a route that does not read it, a malformed request) gets the
  // shape of its path's API (ErrorBodyForPath).
  s.set_error_handler(
      httplib::Server::HandlerWithResponse([max_body](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        std::string message = ReasonPhrase(res.status);
        if (res.status == 413) {
          message = BodyTooLarge(max_body).message();
        } else if (res.status == 404 && IsKServePath(req.path)) {
          message = "no such endpoint: " + req.method + " " + req.path;
        }
        ReplyJson(res, res.status, ErrorBodyForPath(req.path, message));
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    ReplyJson(res, HttpStatusFor(StatusCode::kInternal), ErrorBodyForPath(req.path, what));
  });
}

void HttpServer::RegisterRoutes() {
  auto& s = *server_;
  s.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    ReplyJson(res, 200, HealthJson(service_->model_loaded()));
  });
  s.Post("/infer", [this](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
    HandleInfer(req, res, reader);
  });
  RegisterKServeRoutes(s, {service_, options_.model_name, ready_, options_.max_body_bytes, options_.request_timeout_ms,
                           metrics_, body_budget_});
  if (metrics_) {
    s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(metrics_->Render(), "text/plain; version=0.0.4; charset=utf-8");
    });
  }
  const nlohmann::json document =
      OpenApiJson(OpenApiOptionsFor(*service_, options_.model_name, options_.max_body_bytes, metrics_ != nullptr));
  const std::string openapi = document.dump(2);
  s.Get("/openapi.json",
        [openapi](const httplib::Request&, httplib::Response& res) { res.set_content(openapi, kJsonType); });
  const std::string docs = DocsHtml(document);
  s.Get("/docs",
        [docs](const httplib::Request&, httplib::Response& res) { res.set_content(docs, "text/html; charset=utf-8"); });
  s.Get("/", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/docs"); });
}

Status HttpServer::Bind() {
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.host);
    if (port_ <= 0) return Unavailable("cannot bind " + options_.host + " (any port)");
  } else {
    if (!server_->bind_to_port(options_.host, options_.port)) {
      return Unavailable("cannot bind " + options_.host + ":" + std::to_string(options_.port) +
                         " (HOST/PORT; in use?)");
    }
    port_ = options_.port;
  }
  return Status::Ok();
}

void HttpServer::Run() { server_->listen_after_bind(); }

void HttpServer::Stop() {
  if (server_) server_->stop();
}

}  // namespace cp::http
