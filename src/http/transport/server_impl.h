// Internal to the transport: the state Http1Server's listener and its
// sessions share (http1_server.cpp, session.cpp).
#pragma once

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "common/work_pool.h"
#include "http/transport/http1_server.h"

namespace cp::http {

namespace net = boost::asio;
using tcp = net::ip::tcp;

class Session;

struct Http1Server::Impl {
  Impl(Application& a, Http1Options o);

  Application& app;
  const Http1Options options;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer accept_retry;  // after EMFILE: accept again later
  WorkPool pool;
  int port = 0;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open{0};          // connections open (sessions and rejections)
  std::atomic<std::uint64_t> body_reads{0};  // socket reads of request bodies, since start

  // Every live session, to close the idle ones on Stop. mu guards sessions.
  std::mutex mu;
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;

  void Accept();
  void Reject(tcp::socket socket);
  void Register(const std::shared_ptr<Session>& s);
  void Unregister(Session* s);
};

// The wire form of a Response (Content-Length set; Connection from keep_alive).
boost::beast::http::response<boost::beast::http::string_body> ToWire(Response r, unsigned version, bool keep_alive);

// Starts serving a freshly accepted connection.
void StartSession(Http1Server::Impl& server, tcp::socket socket);
// Closes the session if it is between requests (or still in a header); a
// request already read is answered first, with Connection: close. Any thread.
void CloseIfIdle(const std::shared_ptr<Session>& s);

}  // namespace cp::http
