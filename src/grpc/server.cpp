#include "grpc/server.h"

#include <grpcpp/grpcpp.h>

#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>

#include "common/work_pool.h"
#include "grpc/convert.h"
#include "grpc/status_mapping.h"
#include "grpc_service.grpc.pb.h"
#include "kserve/inference.h"
#include "kserve/repository.h"

namespace cp::grpc_server {

namespace {

using Clock = std::chrono::steady_clock;

// The request deadline: request_timeout_ms from `start`, lowered to the
// client's gRPC deadline (none when the client set none).
kserve::Deadline RequestDeadline(const grpc::CallbackServerContext& ctx, int request_timeout_ms,
                                 Clock::time_point start) {
  kserve::Deadline deadline;
  if (request_timeout_ms > 0) deadline = start + std::chrono::milliseconds(request_timeout_ms);
  const auto client = ctx.deadline();
  const auto now = std::chrono::system_clock::now();
  if (client < now + std::chrono::hours(24 * 365)) {  // gRPC reports "none" as the far future
    const Clock::time_point t = start + std::chrono::duration_cast<Clock::duration>(client - now);
    deadline = deadline ? std::min(*deadline, t) : t;
  }
  return deadline;
}

class InferenceService final : public inference::GRPCInferenceService::CallbackService {
 public:
  InferenceService(std::shared_ptr<const service::ServiceSlot> slot, const GrpcServerOptions& options,
                   std::shared_ptr<metrics::Metrics> metrics, std::function<bool()> ready, WorkPool& workers,
                   std::shared_ptr<service::ModelControl> control)
      : slot_(std::move(slot)),
        control_(std::move(control)),
        options_(options),
        metrics_(std::move(metrics)),
        ready_(std::move(ready)),
        workers_(workers) {}

  grpc::ServerUnaryReactor* ServerLive(grpc::CallbackServerContext* ctx, const inference::ServerLiveRequest*,
                                       inference::ServerLiveResponse* res) override {
    res->set_live(true);
    return Answer(ctx, "ServerLive", Clock::now(), Status::Ok());
  }

  grpc::ServerUnaryReactor* ServerReady(grpc::CallbackServerContext* ctx, const inference::ServerReadyRequest*,
                                        inference::ServerReadyResponse* res) override {
    res->set_ready(kserve::CheckReady(*slot_->Get(), options_.model_name, ready_).ok());
    return Answer(ctx, "ServerReady", Clock::now(), Status::Ok());
  }

  grpc::ServerUnaryReactor* ModelReady(grpc::CallbackServerContext* ctx, const inference::ModelReadyRequest* req,
                                       inference::ModelReadyResponse* res) override {
    const Status s = kserve::CheckModel(options_.model_name, req->name(), req->version());
    if (s.ok()) res->set_ready(kserve::CheckReady(*slot_->Get(), options_.model_name, ready_).ok());
    return Answer(ctx, "ModelReady", Clock::now(), s);
  }

  grpc::ServerUnaryReactor* ServerMetadata(grpc::CallbackServerContext* ctx, const inference::ServerMetadataRequest*,
                                           inference::ServerMetadataResponse* res) override {
    ToProto(kserve::DescribeServer(), *res);
    return Answer(ctx, "ServerMetadata", Clock::now(), Status::Ok());
  }

  grpc::ServerUnaryReactor* ModelMetadata(grpc::CallbackServerContext* ctx, const inference::ModelMetadataRequest* req,
                                          inference::ModelMetadataResponse* res) override {
    Status s = kserve::CheckModel(options_.model_name, req->name(), req->version());
    if (s.ok()) {
      const auto service = slot_->Get();
      if (const model::ModelInfo* mi = service->model_info()) {
        ToProto(kserve::DescribeModel(options_.model_name, *mi), *res);
      } else {
        s = kserve::ModelUnavailable(*service, options_.model_name);
      }
    }
    return Answer(ctx, "ModelMetadata", Clock::now(), s);
  }

  grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* ctx, const inference::ModelInferRequest* req,
                                       inference::ModelInferResponse* res) override {
    const Clock::time_point start = Clock::now();
    // Refused before any work, on gRPC's thread: unknown model, saturated service.
    if (Status s = kserve::CheckModel(options_.model_name, req->model_name(), req->model_version()); !s.ok()) {
      return Answer(ctx, "ModelInfer", start, s);
    }
    std::shared_ptr<const service::ClassificationService> service = slot_->Get();  // the call's, to the end
    if (service->model_loaded() && service->Saturated()) {
      return Answer(ctx, "ModelInfer", start, Overloaded("the server is at capacity; retry later"));
    }
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    const bool posted = workers_.TryPost([this, service = std::move(service), ctx, req, res, reactor, start] {
      Finish(reactor, "ModelInfer", start, Infer(*service, *ctx, *req, *res, start));
    });
    if (!posted) Finish(reactor, "ModelInfer", start, Overloaded("the server is at capacity; retry later"));
    return reactor;
  }

  grpc::ServerUnaryReactor* RepositoryIndex(grpc::CallbackServerContext* ctx,
                                            const inference::RepositoryIndexRequest* req,
                                            inference::RepositoryIndexResponse* res) override {
    for (const auto& m : kserve::RepositoryIndex(control_.get(), *slot_, options_.model_name, req->ready())) {
      auto* out = res->add_models();
      out->set_name(m.name);
      out->set_version(m.version);
      out->set_state(m.state);
      out->set_reason(m.reason);
    }
    return Answer(ctx, "RepositoryIndex", Clock::now(), Status::Ok());
  }

  grpc::ServerUnaryReactor* RepositoryModelLoad(grpc::CallbackServerContext* ctx,
                                                const inference::RepositoryModelLoadRequest* req,
                                                inference::RepositoryModelLoadResponse*) override {
    if (!req->parameters().empty()) {
      return Answer(ctx, "RepositoryModelLoad", Clock::now(),
                    InvalidArgument("load parameters (Triton's config and file overrides) are not supported: the "
                                    "server loads MODEL_PATH again"));
    }
    return Control(ctx, "RepositoryModelLoad", req->model_name(), true);
  }

  grpc::ServerUnaryReactor* RepositoryModelUnload(grpc::CallbackServerContext* ctx,
                                                  const inference::RepositoryModelUnloadRequest* req,
                                                  inference::RepositoryModelUnloadResponse*) override {
    return Control(ctx, "RepositoryModelUnload", req->model_name(), false);
  }

 private:
  // Load or unload on an infer worker (it blocks for the model's load and warm-up).
  grpc::ServerUnaryReactor* Control(grpc::CallbackServerContext* ctx, const char* rpc, const std::string& name,
                                    bool load) {
    const Clock::time_point start = Clock::now();
    if (Status s = kserve::CheckModelControl(control_.get(), options_.model_control_api, options_.model_name, name);
        !s.ok()) {
      return Answer(ctx, rpc, start, s);
    }
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    const bool posted = workers_.TryPost([this, reactor, rpc, start, load] {
      Finish(reactor, rpc, start, load ? control_->Load() : control_->Unload());
    });
    if (!posted) Finish(reactor, rpc, start, Overloaded("the server is at capacity; retry later"));
    return reactor;
  }

  // On an infer worker.
  Status Infer(const service::ClassificationService& service, const grpc::CallbackServerContext& ctx,
               const inference::ModelInferRequest& req, inference::ModelInferResponse& res,
               Clock::time_point start) const {
    const metrics::InFlightRequest in_flight(metrics_.get());
    if (ctx.IsCancelled()) return DeadlineExceeded("the call was cancelled or its deadline passed before it ran");
    try {
      auto parsed = FromProto(req);
      if (!parsed.ok()) return parsed.status();
      const kserve::Deadline deadline =
          kserve::LowerDeadline(RequestDeadline(ctx, options_.request_timeout_ms, start), parsed->timeout_us, start);
      auto response = kserve::RunInfer(service, options_.model_name, *parsed, deadline, metrics_.get());
      if (!response.ok()) return response.status();
      ToProto(std::move(*response), res);
      return Status::Ok();
    } catch (const std::exception& e) {
      return Internal(std::string("internal error: ") + e.what());
    } catch (...) {
      return Internal("internal error");
    }
  }

  void Finish(grpc::ServerUnaryReactor* reactor, const char* rpc, Clock::time_point start, const Status& s) const {
    if (metrics_) {
      if (!s.ok()) metrics_->CountRefusal(s.code());
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      metrics_->ObserveRequest(std::string("grpc/") + rpc, static_cast<int>(GrpcCodeFor(s.code())), seconds);
    }
    reactor->Finish(ToGrpcStatus(s));
  }

  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* ctx, const char* rpc, Clock::time_point start,
                                   const Status& s) const {
    grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
    Finish(reactor, rpc, start, s);
    return reactor;
  }

  std::shared_ptr<const service::ServiceSlot> slot_;
  std::shared_ptr<service::ModelControl> control_;  // null: load/unload PERMISSION_DENIED
  const GrpcServerOptions& options_;
  std::shared_ptr<metrics::Metrics> metrics_;
  std::function<bool()> ready_;
  WorkPool& workers_;  // the infer workers (see server.h)
};

}  // namespace

struct GrpcServer::Impl {
  Impl(std::shared_ptr<const service::ServiceSlot> slot, GrpcServerOptions opts,
       std::shared_ptr<metrics::Metrics> metrics, std::function<bool()> ready,
       std::shared_ptr<service::ModelControl> control)
      : options(std::move(opts)),
        workers(static_cast<std::size_t>(std::max(1, options.threads)),
                static_cast<std::size_t>(std::max(1, options.max_pending_calls))),
        handlers(std::move(slot), options, std::move(metrics), std::move(ready), workers, std::move(control)) {}

  GrpcServerOptions options;
  WorkPool workers;
  InferenceService handlers;
  std::unique_ptr<grpc::Server> server;
  std::mutex stop_mu;    // serializes Stop
  bool stopped = false;  // guarded by stop_mu
};

GrpcServer::GrpcServer(std::shared_ptr<const service::ServiceSlot> slot, GrpcServerOptions options,
                       std::shared_ptr<metrics::Metrics> metrics, std::function<bool()> ready,
                       std::shared_ptr<service::ModelControl> control)
    : impl_(std::make_unique<Impl>(std::move(slot), std::move(options), std::move(metrics), std::move(ready),
                                   std::move(control))) {}

GrpcServer::GrpcServer(std::shared_ptr<const service::ClassificationService> service, GrpcServerOptions options,
                       std::shared_ptr<metrics::Metrics> metrics, std::function<bool()> ready)
    : GrpcServer(std::make_shared<const service::ServiceSlot>(std::move(service)), std::move(options),
                 std::move(metrics), std::move(ready)) {}

GrpcServer::~GrpcServer() { Stop(std::chrono::system_clock::now()); }

Status GrpcServer::Bind() {
  const GrpcServerOptions& o = impl_->options;
  const std::string address =
      (o.host.find(':') != std::string::npos ? "[" + o.host + "]" : o.host) + ":" + std::to_string(o.port);
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default: a second server on the same port would
  // then bind too and silently take half the calls. Fail as HTTP does instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<std::uint64_t>(o.max_message_bytes, std::numeric_limits<int>::max())));
  builder.RegisterService(&impl_->handlers);
  impl_->server = builder.BuildAndStart();
  if (!impl_->server || port_ <= 0) {
    impl_->server.reset();
    return Unavailable("cannot bind gRPC to " + address + " (HOST/GRPC_PORT; in use?)");
  }
  return Status::Ok();
}

void GrpcServer::Run() {
  if (impl_->server) impl_->server->Wait();
}

void GrpcServer::Stop(std::chrono::system_clock::time_point deadline) {
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (impl_->server) impl_->server->Shutdown(deadline);
  impl_->workers.Shutdown();
}

}  // namespace cp::grpc_server
