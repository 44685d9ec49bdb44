#include <signal.h>

#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/startup.h"
#include "http/server.h"

namespace cp::cli {

int RunServe(const config::Config& cfg) {
  // Block SIGINT/SIGTERM before any thread starts, so every thread inherits
  // the mask and only the waiter below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto svc = StartService(cfg);
  if (!svc.ok()) {
    std::cerr << "cross_pictures: invalid configuration: " << svc.status().message() << "\n";
    return 2;
  }

  http::HttpServerOptions options;
  options.host = cfg.host;
  options.port = cfg.port;
  options.threads = cfg.http_threads;
  options.read_timeout_s = cfg.read_timeout_s;
  options.keep_alive_timeout_s = cfg.keep_alive_timeout_s;
  options.max_body_bytes = cfg.max_body_bytes;
  options.model_name = cfg.model_name;
  http::HttpServer server(*svc, options);
  if (Status s = server.Bind(); !s.ok()) {
    std::cerr << "cross_pictures: " << s.message() << "\n";
    return 1;
  }
  std::cerr << "cross_pictures: serving on http://" << cfg.host << ":" << server.port() << " (API page: /docs)"
            << std::endl;

  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::cerr << "cross_pictures: signal " << sig << ", stopping" << std::endl;
    server.Stop();
  });
  server.Run();
  // Run can also end without a signal (listener failure): wake the waiter.
  pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  std::cerr << "cross_pictures: stopped" << std::endl;
  return 0;
}

}  // namespace cp::cli
