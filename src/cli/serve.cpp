#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "cli/startup.h"
#include "grpc/server.h"
#include "http/server.h"
#include "model/ort_engine.h"
#include "service/model_control.h"

namespace cp::cli {

namespace {

http::HttpServerOptions ServerOptions(const config::Config& cfg) {
  http::HttpServerOptions o;
  o.host = cfg.host;
  o.port = cfg.port;
  o.threads = cfg.http_threads;
  o.io_threads = cfg.io_threads;
  o.max_connections = cfg.max_connections;
  o.header_timeout_s = cfg.header_timeout_s;
  o.read_timeout_s = cfg.read_timeout_s;
  o.keep_alive_timeout_s = cfg.keep_alive_timeout_s;
  o.max_body_bytes = cfg.max_body_bytes;
  o.max_body_bytes_in_flight = cfg.max_body_bytes_in_flight;
  o.model_name = cfg.model_name;
  o.request_timeout_ms = cfg.request_timeout_ms;
  o.model_control_api = cfg.model_control_api;
  return o;
}

// SIGHUP and /v2/repository/... loads: LoadService again (MODEL_PATH and
// LABELS_PATH as configured), logged and counted; the queue-depth gauge
// reads whichever service the slot holds.
std::shared_ptr<service::ModelControl> MakeModelControl(const config::Config& cfg,
                                                        std::shared_ptr<const service::ClassificationService> initial,
                                                        const std::shared_ptr<metrics::Metrics>& metrics) {
  service::ModelControlOptions o;
  metrics::Metrics* m = metrics.get();
  o.on_loaded = [&cfg, m](const service::ClassificationService& s, double seconds) {
    std::cerr << "cross_pictures: model reloaded: " << cfg.model_path << " in " << seconds
              << " s; new requests use it, requests in flight finish on the model before" << std::endl;
    ReportLoaded(cfg, s, /*serving=*/true, seconds, m);
    m->CountModelLoad(true);
  };
  o.on_load_failed = [m](const Status& s) {
    std::cerr << "cross_pictures: model reload failed: " << s.message() << std::endl;
    m->CountModelLoad(false);
  };
  o.on_unloaded = [m] {
    std::cerr << "cross_pictures: model unloaded: inference answers 503 until a load" << std::endl;
    m->SetModelLoaded(false, 0);
  };
  auto build = [&cfg, m]() -> Result<std::shared_ptr<const service::ClassificationService>> {
    auto started = LoadService(cfg, /*serving=*/true, m);
    if (!started.ok()) return started.status();
    return std::shared_ptr<const service::ClassificationService>(std::move(started->service));
  };
  auto control = std::make_shared<service::ModelControl>(std::move(initial), std::move(build), std::move(o));
  // Waiting for the model: in line for a place (not decoded yet) plus
  // decoded and in the scheduler's queue.
  std::weak_ptr<const service::ServiceSlot> slot = control->slot();
  metrics->SetQueueDepthSource([slot] {
    auto current = slot.lock();
    if (!current) return 0.0;
    auto s = current->Get();
    return static_cast<double>(s->waiting() + (s->engine() ? s->engine()->queued() : 0));
  });
  return control;
}

// Every connection is a file descriptor: raise the soft open-files limit to
// the hard one (as nginx's worker_rlimit_nofile does), and say so when even
// that cannot hold MAX_CONNECTIONS.
void RaiseOpenFilesLimit(int max_connections) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  const auto needed = static_cast<rlim_t>(max_connections) + 64;  // + model files, logs, listeners
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < needed) {
    std::cerr << "cross_pictures: warning: open-files limit " << lim.rlim_cur << " < MAX_CONNECTIONS "
              << max_connections << " + 64: connections beyond it wait in the listen queue (raise ulimit -n)"
              << std::endl;
  }
}

grpc_server::GrpcServerOptions GrpcOptions(const config::Config& cfg) {
  grpc_server::GrpcServerOptions o;
  o.host = cfg.host;
  o.port = cfg.grpc_port;
  o.max_message_bytes = cfg.max_body_bytes;
  o.model_name = cfg.model_name;
  o.request_timeout_ms = cfg.request_timeout_ms;
  o.model_control_api = cfg.model_control_api;
  return o;
}

}  // namespace

// SIGHUP: the model is loaded again from MODEL_PATH on the model control's
// thread, warmed up and swapped in (service/model_control.h); the waiter
// goes back to waiting.
//
// Shutdown sequence (SIGTERM/SIGINT): readiness turns false; for
// DRAIN_DELAY_S the server keeps serving (load balancers see the 503 probe and
// stop routing here); the listener closes (no new connections) and so do idle
// keep-alive connections; requests already read are answered (with
// Connection: close), the scheduler still running them; Run() returns. The
// gRPC server (GRPC_PORT, unless -1) shares the readiness flag and drains
// alongside: Shutdown refuses new calls and waits for those in flight
// (cancelled at DRAIN_TIMEOUT_S), before the scheduler stops. Then the
// scheduler drains and stops; exit 0. If that takes longer than
// DRAIN_TIMEOUT_S the process exits 1 without waiting further.
int RunServe(const config::Config& cfg) {
  // Block SIGINT/SIGTERM before any thread starts, so every thread inherits
  // the mask and only the waiter below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);   // reload the model
  sigaddset(&signals, SIGUSR1);  // main -> waiter: "the server ended on its own"
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  RaiseOpenFilesLimit(cfg.max_connections);
  auto metrics = std::make_shared<metrics::Metrics>(cfg.model_name, model::RuntimeVersion());
  auto started = StartService(cfg, /*serving=*/true, metrics.get());
  if (!started.ok()) {
    std::cerr << "cross_pictures: invalid configuration: " << started.status().message() << "\n";
    return 2;
  }
  std::atomic<bool> ready{true};  // warm-up is done before the socket is bound
  // Declared before the servers: it outlives them (its slot is what they serve).
  const std::shared_ptr<service::ModelControl> control = MakeModelControl(cfg, started->service, metrics);
  started->service.reset();
  started->scheduler.reset();  // the service owns it; it is drained when the service is destroyed
  http::HttpServer server(
      control->slot(), ServerOptions(cfg), metrics, [&ready] { return ready.load(); }, control);
  if (Status s = server.Bind(); !s.ok()) {
    std::cerr << "cross_pictures: " << s.message() << "\n";
    return 1;
  }
  std::cerr << "cross_pictures: serving on http://" << cfg.host << ":" << server.port() << " (API page: /docs)"
            << std::endl;
  std::unique_ptr<grpc_server::GrpcServer> grpc;  // null: GRPC_PORT=-1
  std::thread grpc_thread;
  auto stop_grpc = [&] {
    if (grpc) grpc->Stop(std::chrono::system_clock::now() + std::chrono::seconds(cfg.drain_timeout_s));
  };
  if (cfg.grpc_port >= 0) {
    grpc = std::make_unique<grpc_server::GrpcServer>(
        control->slot(), GrpcOptions(cfg), metrics, [&ready] { return ready.load(); }, control);
    if (Status s = grpc->Bind(); !s.ok()) {
      std::cerr << "cross_pictures: " << s.message() << "\n";
      return 1;
    }
    std::cerr << "cross_pictures: serving gRPC on " << cfg.host << ":" << grpc->port() << std::endl;
    grpc_thread = std::thread([&] { grpc->Run(); });
  }

  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;     // guarded by mu: Run() has returned and the drain is done
  std::thread grpc_stopper;  // started by the waiter; joined by main after the waiter
  std::thread waiter([&] {
    int sig = 0;
    for (;;) {
      sigwait(&signals, &sig);
      if (sig != SIGHUP) break;
      std::cerr << "cross_pictures: SIGHUP: loading " << cfg.model_path << " again" << std::endl;
      control->RequestLoad();
    }
    if (sig == SIGUSR1) return;  // woken by main: the server ended on its own
    ready = false;               // readiness answers 503 from now on
    // The delay is for load balancers, which send SIGTERM (Kubernetes, podman
    // stop, systemd); Ctrl-C at a terminal (SIGINT) drains at once.
    if (cfg.drain_delay_s > 0 && sig == SIGTERM) {
      std::cerr << "cross_pictures: signal " << sig << ": not ready; serving " << cfg.drain_delay_s
                << " s more before draining (DRAIN_DELAY_S)" << std::endl;
      std::this_thread::sleep_for(std::chrono::seconds(cfg.drain_delay_s));
    }
    std::cerr << "cross_pictures: signal " << sig << ": draining (at most " << cfg.drain_timeout_s << " s)"
              << std::endl;
    server.Stop();
    // Shutdown blocks until the gRPC calls in flight have finished: on its own
    // thread, so DRAIN_TIMEOUT_S below bounds it too.
    grpc_stopper = std::thread(stop_grpc);
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, std::chrono::seconds(cfg.drain_timeout_s), [&] { return finished; })) {
      std::cerr << "cross_pictures: drain timed out after " << cfg.drain_timeout_s << " s; exiting" << std::endl;
      std::_Exit(1);
    }
  });
  server.Run();
  stop_grpc();  // waits for the waiter's; or stops it when the HTTP server ended on its own
  if (grpc_thread.joinable()) grpc_thread.join();
  // The scheduler of the model served last drains when `control` and the
  // servers are destroyed, all calls being answered by now.
  {
    std::lock_guard lock(mu);
    finished = true;
  }
  cv.notify_all();
  pthread_kill(waiter.native_handle(), SIGUSR1);  // no-op wake if the waiter already returned from sigwait
  waiter.join();
  if (grpc_stopper.joinable()) grpc_stopper.join();
  std::cerr << "cross_pictures: stopped" << std::endl;
  return 0;
}

}  // namespace cp::cli
