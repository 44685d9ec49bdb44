#include "http/router.h"

#include <memory>

#include "http/reply.h"

namespace cp::http {

void Router::Add(RouteSpec spec) {
  const bool literal = spec.pattern.find_first_of("()[]{}.*+?^$|\\") == std::string::npos;
  std::regex re = literal ? std::regex() : std::regex(spec.pattern, std::regex::ECMAScript | std::regex::optimize);
  routes_.push_back({std::move(spec), std::move(re), literal});
}

void Router::Get(std::string pattern, std::function<Response(Request&, const PathGroups&)> handle) {
  RouteSpec spec;
  spec.method = "GET";
  spec.pattern = std::move(pattern);
  spec.on_io_thread = true;
  spec.handle = std::move(handle);
  Add(std::move(spec));
}

namespace {
bool Matches(const std::string& path, const std::string& pattern, const std::regex& re, bool literal,
             PathGroups* groups) {
  if (literal) return path == pattern;
  std::smatch m;
  if (!std::regex_match(path, m, re)) return false;
  if (groups) {
    groups->clear();
    for (std::size_t i = 1; i < m.size(); ++i) {
      groups->push_back(m[i].matched ? std::optional<std::string>(m[i].str()) : std::nullopt);
    }
  }
  return true;
}
}  // namespace

const Router::Entry* Router::Find(const std::string& method, const std::string& path, PathGroups& groups) const {
  for (const Entry& e : routes_) {
    if (e.spec.method == method && Matches(path, e.spec.pattern, e.re, e.literal, &groups)) return &e;
  }
  return nullptr;
}

Plan Router::Route(const RequestHead& head) const {
  Plan plan;
  PathGroups groups;
  const Entry* e = Find(head.method, head.path, groups);
  if (e == nullptr) {
    std::string allow;
    for (const Entry& other : routes_) {
      if (!Matches(head.path, other.spec.pattern, other.re, other.literal, nullptr)) continue;
      if (allow.find(other.spec.method) != std::string::npos) continue;
      allow += (allow.empty() ? "" : ", ") + other.spec.method;
    }
    if (allow.empty()) {
      const std::string message =
          IsKServePath(head.path) ? "no such endpoint: " + head.method + " " + head.path : ReasonPhrase(404);
      plan.answer = ErrorResponseForPath(head.path, 404, message);
    } else {
      plan.answer = ErrorResponseForPath(head.path, 405,
                                         IsKServePath(head.path) ? "method " + head.method + " not allowed on " +
                                                                       head.path + " (allowed: " + allow + ")"
                                                                 : ReasonPhrase(405));
      plan.answer->SetHeader("Allow", allow);
    }
    return plan;
  }
  if (e->spec.admit) {
    if (auto refusal = e->spec.admit(head, groups)) {
      plan.answer = std::move(*refusal);
      return plan;
    }
  }
  if (e->spec.deadline) plan.deadline = e->spec.deadline(head);
  plan.on_io_thread = e->spec.on_io_thread;
  plan.handle = [handle = e->spec.handle, groups = std::move(groups)](Request& req) { return handle(req, groups); };
  return plan;
}

}  // namespace cp::http
