// Memory for request bodies held at once, across all connections
// (MAX_BODY_BYTES_IN_FLIGHT).
//
// An inference request reserves its declared length (Content-Length, or
// max_body_bytes when it declares none) before it reads its body, and keeps the
// reservation until its response is built. While the budget is spent, the HTTP
// worker waits in Reserve() and the client's bytes stay in the kernel's socket
// buffers: uploads in flight never hold more than the capacity in this
// process's memory, and the waiters are bounded by HTTP_THREADS. A request
// larger than the whole capacity waits until it has the budget to itself.
//
// Thread-safety: every member may be called from any thread; mu_ guards used_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

#include "common/status.h"

namespace cp::http {

class BodyBudget {
 public:
  using Clock = std::chrono::steady_clock;

  // Returns its bytes to the budget when destroyed. Move-only.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    std::uint64_t bytes() const { return bytes_; }

   private:
    friend class BodyBudget;
    Lease(BodyBudget* budget, std::uint64_t bytes) : budget_(budget), bytes_(bytes) {}
    BodyBudget* budget_ = nullptr;
    std::uint64_t bytes_ = 0;
  };

  // capacity 0: no limit. on_change(delta), if set, is called with +bytes
  // after every reservation and -bytes after every release, outside the lock
  // (for a metrics gauge that adds atomically).
  explicit BodyBudget(std::uint64_t capacity, std::function<void(double)> on_change = {});

  // Waits until `bytes` (at most the capacity) fit, or until `deadline`:
  // kDeadlineExceeded then. Without a deadline it waits as long as it takes.
  Result<Lease> Reserve(std::uint64_t bytes, std::optional<Clock::time_point> deadline);

  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t in_use() const;

 private:
  void Release(std::uint64_t bytes);

  const std::uint64_t capacity_;
  const std::function<void(double)> on_change_;
  mutable std::mutex mu_;
  std::condition_variable freed_;  // notified on every Release
  std::uint64_t used_ = 0;         // guarded by mu_
};

}  // namespace cp::http
