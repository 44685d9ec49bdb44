#include "http/transport/http1_server.h"

#include <iostream>
#include <thread>
#include <vector>

#include "http/transport/server_impl.h"

namespace cp::http {

namespace http = boost::beast::http;

Http1Server::Impl::Impl(Application& a, Http1Options o)
    : app(a),
      options(std::move(o)),
      ioc(std::max(1, options.io_threads)),
      acceptor(net::make_strand(ioc)),
      accept_retry(acceptor.get_executor()),
      pool(static_cast<std::size_t>(std::max(1, options.work_threads))) {}

http::response<http::string_body> ToWire(Response r, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(r.status), version};
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  for (auto& [name, value] : r.headers) res.insert(name, value);
  res.body() = std::move(r.body);
  res.keep_alive(keep_alive && !r.close);
  res.prepare_payload();
  return res;
}

void Http1Server::Impl::Register(const std::shared_ptr<Session>& s) {
  std::lock_guard lock(mu);
  sessions.emplace(s.get(), s);
}

void Http1Server::Impl::Unregister(Session* s) {
  std::lock_guard lock(mu);
  sessions.erase(s);
}

void Http1Server::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || stopping) return;
    if (ec) {
      // Out of descriptors (EMFILE/ENFILE) or a connection reset while in the
      // backlog: the listener stays; try again shortly (the connection waits
      // in the kernel's backlog meanwhile).
      const bool no_fds = ec == net::error::no_descriptors || ec.value() == ENFILE;
      if (no_fds) std::cerr << "cross_pictures: accept: " << ec.message() << " (raise the open-files limit)\n";
      accept_retry.expires_after(std::chrono::milliseconds(no_fds ? 50 : 0));
      accept_retry.async_wait([this](boost::system::error_code) {
        if (!stopping) Accept();
      });
      return;
    }
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (open.load() >= static_cast<std::size_t>(options.max_connections)) {
      Reject(std::move(socket));
    } else {
      StartSession(*this, std::move(socket));
    }
    Accept();
  });
}

// 503 at once, then close: the client learns why instead of waiting.
void Http1Server::Impl::Reject(tcp::socket socket) {
  struct Rejection {
    tcp::socket socket;
    http::response<http::string_body> res;
  };
  ++open;
  auto r = std::make_shared<Rejection>(Rejection{
      std::move(socket), ToWire(app.TransportError("", 503,
                                                   "too many connections (MAX_CONNECTIONS=" +
                                                       std::to_string(options.max_connections) + "); retry later"),
                                11, false)});
  r->res.set(http::field::retry_after, "1");
  http::async_write(r->socket, r->res, [this, r](boost::system::error_code, std::size_t) {
    boost::system::error_code ignored;
    r->socket.shutdown(tcp::socket::shutdown_both, ignored);
    r->socket.close(ignored);
    --open;
    RequestHead head;
    app.Completed(head, 503, 0.0);
  });
}

Http1Server::Http1Server(Application& app, Http1Options options)
    : impl_(std::make_unique<Impl>(app, std::move(options))) {}

Http1Server::~Http1Server() {
  Stop();
  impl_->pool.Shutdown();
}

Status Http1Server::Bind() {
  auto& im = *impl_;
  boost::system::error_code ec;
  const auto address = net::ip::make_address(im.options.host, ec);
  if (ec) return InvalidArgument("HOST: not an IP address: '" + im.options.host + "'");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(im.options.port));
  const std::string where =
      im.options.host + ":" + (im.options.port == 0 ? std::string("(any port)") : std::to_string(im.options.port));
  im.acceptor.open(endpoint.protocol(), ec);
  if (!ec) im.acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) im.acceptor.bind(endpoint, ec);
  if (!ec) im.acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Unavailable("cannot bind " + where + " (HOST/PORT; in use?): " + ec.message());
  im.port = im.acceptor.local_endpoint().port();
  return Status::Ok();
}

int Http1Server::port() const { return impl_->port; }

std::size_t Http1Server::connections() const { return impl_->open.load(); }
std::uint64_t Http1Server::body_reads() const { return impl_->body_reads.load(std::memory_order_relaxed); }

void Http1Server::Run() {
  auto& im = *impl_;
  if (!im.acceptor.is_open() || im.stopping) return;
  net::post(im.acceptor.get_executor(), [&im] { im.Accept(); });
  std::vector<std::thread> more;
  for (int i = 1; i < im.options.io_threads; ++i) more.emplace_back([&im] { im.ioc.run(); });
  im.ioc.run();
  for (auto& t : more) t.join();
  im.pool.Shutdown();
}

void Http1Server::Stop() {
  auto& im = *impl_;
  if (im.stopping.exchange(true)) return;
  net::post(im.acceptor.get_executor(), [&im] {
    boost::system::error_code ignored;
    im.acceptor.close(ignored);
    im.accept_retry.cancel();
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    std::lock_guard lock(im.mu);
    for (auto& [raw, weak] : im.sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) CloseIfIdle(s);
}

}  // namespace cp::http
