// A fixed amount of some resource (bytes of request bodies, images prepared
// for the model) shared by concurrent requests, handed out first come, first
// served.
//
// A request reserves what it needs and keeps it until its Lease is destroyed.
// When the rest does not fit, it waits in line (FIFO: a later, smaller
// reservation never overtakes an earlier one, so nobody starves) until enough
// is released or its deadline passes. A reservation larger than the whole
// capacity is clamped to it: it waits until it has the budget to itself.
//
// Two ways to wait: Reserve blocks the calling thread; ReserveAsync (for an
// event loop, which must not block) queues a callback in the same line, called
// with the lease when its turn comes.
//
// Thread-safety: every member may be called from any thread. mu_ guards used_,
// line_ and next_ticket_. Each blocking waiter sleeps on its own condition
// variable, and only the first in line is woken (on every release and
// whenever the line moves), so a long line costs no wake-ups. ReserveAsync
// callbacks run outside the lock, on the thread that made room (a Release, a
// Reserve giving up, a CancelWait) or on the caller when it fits at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace cp {

class Budget {
 public:
  using Clock = std::chrono::steady_clock;

  // Returns its amount to the budget when destroyed. Move-only.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    std::uint64_t amount() const { return amount_; }

   private:
    friend class Budget;
    Lease(Budget* budget, std::uint64_t amount) : budget_(budget), amount_(amount) {}
    Budget* budget_ = nullptr;
    std::uint64_t amount_ = 0;
  };

  // capacity 0: no limit (Reserve never waits). on_change(delta), if set, is
  // called with +amount after every reservation and -amount after every
  // release, outside the lock (for a metrics gauge that adds atomically).
  // `what` names the resource in the deadline error ("memory to receive its body").
  Budget(std::uint64_t capacity, std::string what, std::function<void(double)> on_change = {});
  Budget(const Budget&) = delete;
  Budget& operator=(const Budget&) = delete;

  // Waits in line until `amount` (at most the capacity) fits, or until
  // `deadline`: kDeadlineExceeded then. No deadline: waits as long as it takes.
  Result<Lease> Reserve(std::uint64_t amount, std::optional<Clock::time_point> deadline);

  // Never blocks. When `amount` fits now and nobody waits, on_grant(lease)
  // runs before this returns; otherwise it joins the line and on_grant runs
  // later, exactly once, on the thread whose release made room (keep it
  // short: post the real work elsewhere). Returns a ticket for CancelWait.
  std::uint64_t ReserveAsync(std::uint64_t amount, std::function<void(Lease)> on_grant);
  // Leaves the line (e.g. the caller's deadline passed): true when the
  // reservation was still waiting, so on_grant will never run; false when it
  // was already granted (on_grant has run or is running).
  bool CancelWait(std::uint64_t ticket);
  // The error a reservation that gave up at its deadline reports.
  Status DeadlineError() const;

  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t in_use() const;
  std::size_t waiting() const;  // reservations in line

 private:
  struct Waiter {
    std::uint64_t amount = 0;
    std::condition_variable turn;         // blocking waiters
    std::function<void(Lease)> on_grant;  // ReserveAsync waiters
    std::uint64_t ticket = 0;             // ReserveAsync waiters
  };
  // Granted asynchronous reservations, to call back once mu_ is released.
  using Grants = std::vector<std::pair<std::function<void(Lease)>, std::uint64_t>>;
  void Release(std::uint64_t amount);
  // Must hold mu_: grants every asynchronous waiter at the front that fits
  // (into `grants`) and wakes the first blocking one if it fits.
  void WakeFirst(Grants& grants);
  void Deliver(Grants& grants);  // must not hold mu_

  const std::uint64_t capacity_;
  const std::string what_;
  const std::function<void(double)> on_change_;
  mutable std::mutex mu_;
  std::uint64_t used_ = 0;         // guarded by mu_
  std::list<Waiter> line_;         // guarded by mu_: in arrival order
  std::uint64_t next_ticket_ = 1;  // guarded by mu_
};

}  // namespace cp
