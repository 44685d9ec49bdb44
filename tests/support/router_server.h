// Serves a Router (e.g. only the KServe routes) on the real event-driven
// transport, on 127.0.0.1 (any free port), in a background thread for the
// lifetime of the object.
#pragma once

#include <httplib.h>

#include <memory>
#include <stdexcept>
#include <thread>

#include "http/reply.h"
#include "http/router.h"
#include "http/transport/http1_server.h"
#include "support/test_server.h"

namespace cp::test {

class RouterServer : private http::Application {
 public:
  RouterServer(http::Router router, std::uint64_t max_body, std::shared_ptr<Budget> body_budget = nullptr)
      : RouterServer(std::move(router), Options(max_body, std::move(body_budget))) {}
  // Any transport options; host and port are always 127.0.0.1 and a free one.
  RouterServer(http::Router router, http::Http1Options o) : router_(std::move(router)) {
    o.host = "127.0.0.1";
    o.port = 0;
    server_ = std::make_unique<http::Http1Server>(static_cast<http::Application&>(*this), o);
    Status s = server_->Bind();
    if (!s.ok()) throw std::runtime_error(s.ToString());
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~RouterServer() override {
    server_->Stop();
    thread_.join();
  }
  int port() const { return server_->port(); }
  std::size_t connections() const { return server_->connections(); }
  std::uint64_t body_reads() const { return server_->body_reads(); }
  void Stop() { server_->Stop(); }
  httplib::Client Client() const { return LoopbackClient(port()); }

 private:
  static http::Http1Options Options(std::uint64_t max_body, std::shared_ptr<Budget> body_budget) {
    http::Http1Options o;
    o.work_threads = 16;
    o.max_body_bytes = max_body;
    o.body_budget = std::move(body_budget);
    return o;
  }
  http::Plan Route(const http::RequestHead& head) override { return router_.Route(head); }
  http::Response TransportError(const std::string& path, int status, const std::string& message) override {
    return http::ErrorResponseForPath(path, status, message);
  }
  void Completed(const http::RequestHead&, int, double) override {}

  http::Router router_;
  std::unique_ptr<http::Http1Server> server_;
  std::thread thread_;
};

}  // namespace cp::test
