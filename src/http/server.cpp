#include "http/server.h"

#include <chrono>

#include "http/error_mapping.h"
#include "http/json_codec.h"
#include "http/kserve.h"
#include "http/openapi.h"
#include "http/reply.h"
#include "http/repository.h"

namespace cp::http {

namespace {

// Metrics label for a path: the route, never the raw path (bounded label set).
std::string EndpointLabel(const std::string& path) {
  for (const char* known : {"/health", "/infer", "/metrics", "/openapi.json", "/docs"}) {
    if (path == known) return known;
  }
  if (path.starts_with("/v2/models/") && path.ends_with("/infer")) return "/v2/models/infer";
  if (path.starts_with("/v2")) return "/v2";
  return "other";
}

Response TextResponse(std::string body, std::string type) {
  Response res;
  res.content_type = std::move(type);
  res.body = std::move(body);
  return res;
}

Http1Options TransportOptions(const HttpServerOptions& o, std::shared_ptr<Budget> budget) {
  Http1Options t;
  t.host = o.host;
  t.port = o.port;
  t.io_threads = o.io_threads;
  t.work_threads = o.threads;
  t.max_connections = o.max_connections;
  t.header_timeout = std::chrono::seconds(o.header_timeout_s);
  t.idle_timeout = std::chrono::seconds(o.keep_alive_timeout_s);
  t.read_timeout = std::chrono::seconds(o.read_timeout_s);
  t.max_body_bytes = o.max_body_bytes;
  t.body_budget = std::move(budget);
  return t;
}

}  // namespace

HttpServer::HttpServer(std::shared_ptr<const service::ClassificationService> service, HttpServerOptions options,
                       std::shared_ptr<metrics::Metrics> metrics, std::function<bool()> ready)
    : HttpServer(std::make_shared<const service::ServiceSlot>(std::move(service)), std::move(options),
                 std::move(metrics), std::move(ready)) {}

HttpServer::HttpServer(std::shared_ptr<const service::ServiceSlot> slot, HttpServerOptions options,
                       std::shared_ptr<metrics::Metrics> metrics, std::function<bool()> ready,
                       std::shared_ptr<service::ModelControl> control)
    : slot_(std::move(slot)),
      control_(std::move(control)),
      options_(std::move(options)),
      metrics_(std::move(metrics)),
      ready_(std::move(ready)),
      body_budget_(std::make_shared<Budget>(options_.max_body_bytes_in_flight, "memory to receive its body",
                                            [m = metrics_](double delta) {
                                              if (m) m->AddBodyBytesInFlight(delta);
                                            })) {
  RegisterRoutes();
  transport_ =
      std::make_unique<Http1Server>(static_cast<Application&>(*this), TransportOptions(options_, body_budget_));
}

HttpServer::~HttpServer() { Stop(); }

Response HttpServer::Refusal(const Status& status, const std::string& param) const {
  if (metrics_) metrics_->CountRefusal(status.code());
  return ErrorResponse(status, param);
}

Plan HttpServer::Route(const RequestHead& head) { return router_.Route(head); }

Response HttpServer::TransportError(const std::string& path, int status, const std::string& message) {
  if (metrics_ && status == 504) metrics_->CountRefusal(StatusCode::kDeadlineExceeded);
  return ErrorResponseForPath(path, status, message);
}

void HttpServer::Completed(const RequestHead& head, int status, double seconds) {
  if (metrics_) metrics_->ObserveRequest(EndpointLabel(head.path), status, seconds);
}

void HttpServer::RegisterRoutes() {
  router_.Get("/health", [this](Request&, const PathGroups&) {
    return JsonResponse(200, HealthJson(slot_->Get()->model_loaded()));
  });
  RouteSpec infer;
  infer.method = "POST";
  infer.pattern = "/infer";
  infer.admit = [this](const RequestHead& head, const PathGroups&) { return AdmitInfer(head); };
  infer.deadline = [this](const RequestHead& head) { return WaitDeadline(head, options_.request_timeout_ms); };
  infer.handle = [this](Request& req, const PathGroups&) { return HandleInfer(req); };
  router_.Add(std::move(infer));
  RegisterKServeRoutes(router_, {slot_, options_.model_name, ready_, options_.request_timeout_ms, metrics_});
  RegisterRepositoryRoutes(router_, {control_, slot_, options_.model_name, options_.model_control_api});
  if (metrics_) {
    router_.Get("/metrics", [this](Request&, const PathGroups&) {
      return TextResponse(metrics_->Render(), "text/plain; version=0.0.4; charset=utf-8");
    });
  }
  router_.Get("/openapi.json",
              [this](Request&, const PathGroups&) { return TextResponse(Documentation(false), kJsonType); });
  router_.Get("/docs", [this](Request&, const PathGroups&) {
    return TextResponse(Documentation(true), "text/html; charset=utf-8");
  });
  router_.Get("/", [](Request&, const PathGroups&) {
    Response res;
    res.status = 302;
    res.SetHeader("Location", "/docs");
    return res;
  });
}

std::string HttpServer::Documentation(bool html) {
  std::lock_guard lock(docs_mu_);
  const std::uint64_t generation = slot_->generation();
  if (generation != docs_generation_) {
    const nlohmann::json document = OpenApiJson(
        OpenApiOptionsFor(*slot_->Get(), options_.model_name, options_.max_body_bytes, metrics_ != nullptr));
    openapi_ = document.dump(2);
    docs_html_ = DocsHtml(document);
    docs_generation_ = generation;
  }
  return html ? docs_html_ : openapi_;
}

Status HttpServer::Bind() { return transport_->Bind(); }

void HttpServer::Run() { transport_->Run(); }

void HttpServer::Stop() {
  if (transport_) transport_->Stop();
}

}  // namespace cp::http
