// What the event-driven HTTP/1.1 server (http1_server.h) asks of the
// application it serves: a plan for each request once its header has
// arrived, the body of the errors the transport itself finds, and a call
// when a response has been written.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "http/transport/message.h"

namespace cp::http {

// What to do with one request, decided from its header alone.
struct Plan {
  // Set: answer this without running a handler (no such route, a method the
  // path does not take, shed before reading the body). The body is read and
  // dropped as it arrives (nothing kept), so the connection stays usable;
  // when the client waits for 100-continue the connection is closed instead.
  std::optional<Response> answer;
  // Otherwise: the handler, run once the whole body is in memory.
  std::function<Response(Request&)> handle;
  // Cheap handlers that never block (probes, metadata, metrics) run on the
  // I/O thread; the rest on the work pool.
  bool on_io_thread = false;
  // The request's deadline: waiting for room in the body budget ends there
  // (504). nullopt: no deadline.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

class Application {
 public:
  virtual ~Application() = default;
  // On an I/O thread: must not block.
  virtual Plan Route(const RequestHead& head) = 0;
  // The response for an error the transport finds by itself (400 malformed,
  // 413 body too large, 431 header too large, 503 too many
  // connections, 504 deadline while waiting for memory) on `path` ("" when no
  // request line was read). On an I/O thread.
  virtual Response TransportError(const std::string& path, int status, const std::string& message) = 0;
  // After a response has been written (or the connection failed writing it):
  // metrics. `head` is the request's (path "" when no request line was read);
  // seconds from its first byte. On an I/O thread.
  virtual void Completed(const RequestHead& head, int status, double seconds) = 0;
};

}  // namespace cp::http
