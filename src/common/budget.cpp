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

Result<Budget::Lease> Budget::Reserve(std::uint64_t amount, std::optional<Clock::time_point> deadline) {
  if (capacity_ == 0) return Lease(this, 0);
  amount = std::min(amount, capacity_);
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
    WakeFirst();
    if (!got) return DeadlineExceeded("the request deadline expired while waiting for " + what_);
  }
  if (on_change_) on_change_(static_cast<double>(amount));
  return Lease(this, amount);
}

std::uint64_t Budget::in_use() const {
  std::lock_guard lock(mu_);
  return used_;
}

std::size_t Budget::waiting() const {
  std::lock_guard lock(mu_);
  return line_.size();
}

void Budget::WakeFirst() {
  if (!line_.empty() && used_ + line_.front().amount <= capacity_) line_.front().turn.notify_one();
}

void Budget::Release(std::uint64_t amount) {
  if (amount == 0) return;
  {
    std::lock_guard lock(mu_);
    used_ -= amount;
    WakeFirst();
  }
  if (on_change_) on_change_(-static_cast<double>(amount));
}

}  // namespace cp
