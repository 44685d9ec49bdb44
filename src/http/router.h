// Routes: (method, path pattern) -> what to do with a request, for the
// transport's Application::Route. A path no route matches is 404; a path
// some route matches with another method is 405 with Allow listing the
// methods it takes. Both, and every other error the router answers, have the
// path's error shape (ErrorResponseForPath).
//
// Thread-safety: Add only before serving; Route is const and may run on any
// number of threads at once.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "http/transport/application.h"

namespace cp::http {

// The pattern's capture groups for one path (1-based in the pattern, 0-based
// here); nullopt for a group that did not take part in the match.
using PathGroups = std::vector<std::optional<std::string>>;

struct RouteSpec {
  std::string method;   // "GET", "POST", ...
  std::string pattern;  // ECMAScript regex matched against the whole decoded path
  // Cheap and never blocking: run on the I/O thread (probes, metadata).
  bool on_io_thread = false;
  // Before the body is read: a refusal (shed, unknown model), or nullopt.
  std::function<std::optional<Response>(const RequestHead&, const PathGroups&)> admit;
  // The request's deadline, which bounds its wait for room to hold its body.
  std::function<std::optional<std::chrono::steady_clock::time_point>(const RequestHead&)> deadline;
  std::function<Response(Request&, const PathGroups&)> handle;
};

class Router {
 public:
  void Add(RouteSpec spec);
  // Shorthands: a handler run on the I/O thread, with no admission step.
  void Get(std::string pattern, std::function<Response(Request&, const PathGroups&)> handle);

  Plan Route(const RequestHead& head) const;

 private:
  struct Entry {
    RouteSpec spec;
    std::regex re;
    bool literal;  // pattern has no regex syntax: compared as a string
  };
  const Entry* Find(const std::string& method, const std::string& path, PathGroups& groups) const;

  std::vector<Entry> routes_;
};

}  // namespace cp::http
