#include "http/body_budget.h"

#include <algorithm>
#include <utility>

namespace cp::http {

BodyBudget::Lease::Lease(Lease&& other) noexcept
    : budget_(std::exchange(other.budget_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

BodyBudget::Lease& BodyBudget::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    if (budget_) budget_->Release(bytes_);
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

BodyBudget::Lease::~Lease() {
  if (budget_) budget_->Release(bytes_);
}

BodyBudget::BodyBudget(std::uint64_t capacity, std::function<void(double)> on_change)
    : capacity_(capacity), on_change_(std::move(on_change)) {}

Result<BodyBudget::Lease> BodyBudget::Reserve(std::uint64_t bytes, std::optional<Clock::time_point> deadline) {
  if (capacity_ == 0) return Lease(this, 0);
  bytes = std::min(bytes, capacity_);
  {
    std::unique_lock lock(mu_);
    auto fits = [&] { return used_ + bytes <= capacity_; };
    if (deadline) {
      if (!freed_.wait_until(lock, *deadline, fits)) {
        return DeadlineExceeded("the request deadline expired while waiting for memory to receive its body");
      }
    } else {
      freed_.wait(lock, fits);
    }
    used_ += bytes;
  }
  if (on_change_) on_change_(static_cast<double>(bytes));
  return Lease(this, bytes);
}

std::uint64_t BodyBudget::in_use() const {
  std::lock_guard lock(mu_);
  return used_;
}

void BodyBudget::Release(std::uint64_t bytes) {
  if (bytes == 0) return;
  {
    std::lock_guard lock(mu_);
    used_ -= bytes;
  }
  freed_.notify_all();
  if (on_change_) on_change_(-static_cast<double>(bytes));
}

}  // namespace cp::http
