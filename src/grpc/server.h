// The KServe v2 / Open Inference Protocol gRPC front end
// (inference.GRPCInferenceService, proto/grpc_service.proto; gRPC's callback
// API, Debian's libgrpc++ 1.51): ServerLive, ServerReady, ServerMetadata,
// ModelReady, ModelMetadata, ModelInfer, and the model-repository extension
// (RepositoryIndex, RepositoryModelLoad, RepositoryModelUnload: as REST's
// /v2/repository, kserve/repository.h; load and unload run on the infer
// workers, blocking one until done). Every other RPC of the protocol
// answers UNIMPLEMENTED (it is not registered). What ModelInfer accepts and
// answers is src/kserve/inference.h's (REST answers the same) in the messages
// of grpc/convert.h; errors are mapped by grpc/status_mapping.h.
//
// Threads:
//   * the caller of Run waits in grpc::Server::Wait until Stop has drained;
//   * gRPC's own threads (its event engine / callback executor, sized by
//     gRPC) poll the sockets, (de)serialize messages and run the handlers.
//     The cheap RPCs (health, metadata) answer there; ModelInfer only checks
//     the model name and sheds there (service->Saturated(): UNAVAILABLE,
//     counted as shed, before any decoding), then hands the call to
//   * `threads` infer workers of our own (a fixed pool; at most
//     max_pending_calls calls wait for a worker, beyond that UNAVAILABLE).
//     A worker decodes and preprocesses on its thread, waits for the model
//     (inference runs on the scheduler's runners) and finishes the call.
//     So blocking work never runs on gRPC's threads, and the threads this
//     server adds are bounded.
//   * Stop (any thread, e.g. the signal waiter) calls grpc::Server::Shutdown:
//     new calls are refused, accepted ones finish (the workers keep running)
//     until the deadline, after which gRPC cancels what is left; then the
//     workers are joined. mu_ (inside Impl) guards the worker queue.
//
// Deadline of a ModelInfer: the earliest of the client's gRPC deadline,
// request_timeout_ms and the request's "timeout" parameter; past it,
// DEADLINE_EXCEEDED. Messages beyond max_message_bytes (MAX_BODY_BYTES) are
// refused by gRPC with RESOURCE_EXHAUSTED.
//
// Metrics: requests_total{endpoint="grpc/<RPC>", status="<gRPC code number>"}
// and the request-latency histogram per RPC; ModelInfer also counts as in
// flight, shed and timed out as REST's requests do.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "metrics/metrics.h"
#include "service/classification_service.h"
#include "service/model_control.h"
#include "service/service_slot.h"

namespace cp::grpc_server {

struct GrpcServerOptions {
  std::string host = "0.0.0.0";
  int port = 8001;                                // GRPC_PORT; 0: any free port (see port())
  int threads = 64;                               // infer workers (as HTTP_THREADS' default)
  int max_pending_calls = 1024;                   // ModelInfer calls waiting for a worker
  std::uint64_t max_message_bytes = 20ull << 20;  // MAX_BODY_BYTES: largest request message
  std::string model_name = "model";
  int request_timeout_ms = 0;     // REQUEST_TIMEOUT_MS; 0 = none
  bool model_control_api = true;  // MODEL_CONTROL_API: RepositoryModelLoad/Unload answered (else PERMISSION_DENIED)
};

class GrpcServer {
 public:
  // Serves whatever service `slot` holds when each call starts (a model
  // reload swaps it; a call keeps the service it started on). metrics may be
  // null; ready() false (warming up, draining) makes ServerReady/ModelReady
  // answer false; empty = always ready.
  // control: what RepositoryModelLoad/Unload drive (null: PERMISSION_DENIED).
  GrpcServer(std::shared_ptr<const service::ServiceSlot> slot, GrpcServerOptions options,
             std::shared_ptr<metrics::Metrics> metrics = nullptr, std::function<bool()> ready = {},
             std::shared_ptr<service::ModelControl> control = nullptr);
  // One service for the server's whole life.
  GrpcServer(std::shared_ptr<const service::ClassificationService> service, GrpcServerOptions options,
             std::shared_ptr<metrics::Metrics> metrics = nullptr, std::function<bool()> ready = {});
  ~GrpcServer();  // Stop(now) if still serving
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // Binds the port and starts serving (gRPC starts on bind); port() is then known.
  Status Bind();
  int port() const { return port_; }
  // Blocks until Stop() has drained.
  void Run();
  // Thread-safe, idempotent: refuses new calls, lets accepted ones finish
  // until `deadline` (then cancels them), joins the workers. Returns when done
  // (a later caller waits for the first, then returns).
  void Stop(std::chrono::system_clock::time_point deadline);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace cp::grpc_server
