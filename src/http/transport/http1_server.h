// The event-driven HTTP/1.1 server (Boost.Beast over Boost.Asio's epoll
// reactor): a few I/O threads own every socket; complete requests go to a
// bounded pool of work threads; replies are written asynchronously. An idle
// keep-alive connection or a slow uploader costs memory (a socket, a small
// buffer, a parser), never a thread.
//
// One connection's life (session.cpp):
//   idle     waits for the first byte of a request, at most idle_timeout
//            (then closed quietly); stopping closes it at once.
//   header   reads the request line and header, at most header_timeout from
//            its first byte (then closed: a slow client is cut off), at most
//            max_header_bytes (431).
//   plan     asks Application::Route (404, 405, shed, unknown model answer
//            here, the body read and dropped, nothing kept).
//   room     reserves the body's bytes (declared length; the body limit when
//            chunked) from body_budget without blocking a thread: the
//            request waits in the budget's line until room is released or its
//            deadline passes (504).
//   body     answers `Expect: 100-continue` (a body declared beyond
//            max_body_bytes gets 413 before it is sent, and the connection
//            closes), then reads the body (socket reads of up to 64 KiB);
//            a pause longer than read_timeout closes the connection; more
//            than max_body_bytes is 413 + close.
//   handle   on the work pool (or the I/O thread for cheap routes); the body
//            lease is released once the handler has built its reply.
//   write    from the work thread that built the reply when the socket
//            takes it whole (a non-blocking send: no wait for an I/O thread
//            to be scheduled), else asynchronously on the I/O thread; a
//            stall past read_timeout closes; then the next
//            request (pipelined bytes already read are parsed next: replies
//            go out in request order), or close.
// Beyond max_connections a new connection gets an immediate 503 and is
// closed. The listen backlog is SOMAXCONN.
//
// Threads: Run() runs the I/O loop on the caller and io_threads - 1 more;
// each connection is served on its own strand (its handlers never run
// concurrently). Handlers that may block run on the WorkPool's threads.
// Stop() may be called from any thread: it closes the listener and every idle
// connection; requests already read are answered (with Connection: close),
// then Run() returns.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/budget.h"
#include "common/status.h"
#include "http/transport/application.h"

namespace cp::http {

struct Http1Options {
  std::string host = "0.0.0.0";
  int port = 8000;                          // 0: any free port (see port())
  int io_threads = 1;                       // threads running the event loop
  int work_threads = 64;                    // threads running handlers that may block
  int max_connections = 10'000;             // open at once; beyond: 503 and close
  std::chrono::seconds header_timeout{10};  // first byte to end of header
  std::chrono::seconds idle_timeout{5};     // between requests on a kept-alive connection
  std::chrono::seconds read_timeout{10};    // longest pause receiving a body or sending a reply
  std::uint64_t max_body_bytes = 20ull << 20;
  std::uint32_t max_header_bytes = 64u << 10;  // request line + header fields
  std::shared_ptr<Budget> body_budget;         // memory for bodies being received; null: no limit
};

class Http1Server {
 public:
  // `app` must outlive the server.
  Http1Server(Application& app, Http1Options options);
  ~Http1Server();
  Http1Server(const Http1Server&) = delete;
  Http1Server& operator=(const Http1Server&) = delete;

  // Binds and listens (so port() is known before Run).
  Status Bind();
  int port() const;
  // Serves until Stop(); returns once every connection has ended and the work
  // pool has drained.
  void Run();
  void Stop();
  std::size_t connections() const;  // open now
  // Socket reads that received request-body bytes, since the start (what a
  // body costs in reads: a test of the read size; relaxed, approximate).
  std::uint64_t body_reads() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cp::http
