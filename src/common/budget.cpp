#include "common/budget.h"

#include <algorithm>
#include <utility>

namespace cp {

Budget::Lease::Lease(Lease&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)), amount_(std::exchange(other.amount_, 0)) {}

Budget::Lease& Budget::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (budget_) budget_->Release(amount_);
    budget_ = std::exchange(other.budget_, nullptr);
    amount_ = std::exchange(other.amount_, 0);
  }
  return *this;
}

Budget::Lease::~Lease() {
  if (budget_) budget_->Release(amount_);
}

Budget::Budget(std::uint64_t capacity, std::string what, std::function<void(double)> on_change)
    : capacity_(capacity), what_(std::move(what)), on_change_(std::move(on_change)) {}

Status Budget::DeadlineError() const {
  return DeadlineExceeded("the request deadline expired while waiting for " + what_);
}

Result<Budget::Lease> Budget::Reserve(std::uint64_t amount, std::optional<Clock::time_point> deadline) {
  if (capacity_ == 0) return Lease(this, 0);
  amount = std::min(amount, capacity_);
  Grants grants;
  {
    std::unique_lock lock(mu_);
    const auto me = line_.emplace(line_.end());
    me->amount = amount;
    // My turn: first in line, and what I need is free.
    auto my_turn = [&] { return line_.begin() == me && used_ + amount <= capacity_; };
    const bool got = deadline ? me->turn.wait_until(lock, *deadline, my_turn) : (me->turn.wait(lock, my_turn), true);
    line_.erase(me);
    if (got) used_ += amount;
    // The next in line is now first (and may fit), whether I got mine or gave up.
    WakeFirst(grants);
    if (!got) {
      lock.unlock();
      Deliver(grants);
      return DeadlineError();
    }
  }
  Deliver(grants);
  if (on_change_) on_change_(static_cast<double>(amount));
  return Lease(this, amount);
}

std::uint64_t Budget::ReserveAsync(std::uint64_t amount, std::function<void(Lease)> on_grant) {
  if (capacity_ == 0) {
    on_grant(Lease(this, 0));
    return 0;
  }
  amount = std::min(amount, capacity_);
  Grants grants;
  std::uint64_t ticket = 0;
  {
    std::lock_guard lock(mu_);
    ticket = next_ticket_++;
    Waiter& w = *line_.emplace(line_.end());
    w.amount = amount;
    w.on_grant = std::move(on_grant);
    w.ticket = ticket;
    WakeFirst(grants);
  }
  Deliver(grants);
  return ticket;
}

bool Budget::CancelWait(std::uint64_t ticket) {
  Grants grants;
  bool removed = false;
  {
    std::lock_guard lock(mu_);
    for (auto it = line_.begin(); it != line_.end(); ++it) {
      if (it->on_grant && it->ticket == ticket) {
        line_.erase(it);
        removed = true;
        break;
      }
    }
    if (removed) WakeFirst(grants);  // the next may be first now
  }
  Deliver(grants);
  return removed;
}

void Budget::Deliver(Grants& grants) {
  for (auto& [on_grant, amount] : grants) {
    if (on_change_) on_change_(static_cast<double>(amount));
    on_grant(Lease(this, amount));
  }
  grants.clear();
}

std::uint64_t Budget::in_use() const {
  std::lock_guard lock(mu_);
  return used_;
}

std::size_t Budget::waiting() const {
  std::lock_guard lock(mu_);
  return line_.size();
}

void Budget::WakeFirst(Grants& grants) {
  while (!line_.empty() && used_ + line_.front().amount <= capacity_) {
    Waiter& first = line_.front();
    if (!first.on_grant) {
      first.turn.notify_one();  // it takes its amount itself, then wakes the next
      return;
    }
    used_ += first.amount;
    grants.emplace_back(std::move(first.on_grant), first.amount);
    line_.pop_front();
  }
}

void Budget::Release(std::uint64_t amount) {
  if (amount == 0) return;
  Grants grants;
  {
    std::lock_guard lock(mu_);
    used_ -= amount;
    WakeFirst(grants);
  }
  if (on_change_) on_change_(-static_cast<double>(amount));
  Deliver(grants);
}

}  // namespace cp
