// Starts an HttpServer on 127.0.0.1 (any free port) in a background thread
// for the lifetime of the object.
#pragma once

#include <httplib.h>

#include <memory>
#include <thread>

#include "http/server.h"

namespace cp::test {

// A client of a server on 127.0.0.1:port, patient enough for a slow model.
inline httplib::Client LoopbackClient(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(60, 0);
  return c;
}

class TestServer {
 public:
  TestServer(std::shared_ptr<const service::ClassificationService> svc, http::HttpServerOptions options = {})
      : TestServer(std::make_shared<const service::ServiceSlot>(std::move(svc)), std::move(options)) {}
  // Serving from a slot, with model control (null: load/unload answer 403).
  TestServer(std::shared_ptr<const service::ServiceSlot> slot, http::HttpServerOptions options,
             std::shared_ptr<service::ModelControl> control = nullptr) {
    options.host = "127.0.0.1";
    options.port = 0;
    server_ = std::make_unique<http::HttpServer>(std::move(slot), options, nullptr, std::function<bool()>{},
                                                 std::move(control));
    Status s = server_->Bind();
    if (!s.ok()) throw std::runtime_error(s.ToString());
    thread_ = std::thread([this] { server_->Run(); });
  }
  ~TestServer() {
    server_->Stop();
    thread_.join();
  }
  int port() const { return server_->port(); }
  httplib::Client Client() const { return LoopbackClient(port()); }

 private:
  std::unique_ptr<http::HttpServer> server_;
  std::thread thread_;
};

}  // namespace cp::test
