#include "common/work_pool.h"

#include <algorithm>

namespace cp {

WorkPool::WorkPool(std::size_t threads, std::size_t max_queued) : max_queued_(max_queued) {
  threads = std::max<std::size_t>(1, threads);
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

WorkPool::~WorkPool() { Shutdown(); }

void WorkPool::Post(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (!shutdown_) {
      jobs_.push_back(std::move(job));
      has_job_.notify_one();
      return;
    }
  }
  job();
}

bool WorkPool::TryPost(std::function<void()> job) {
  {
    std::lock_guard lock(mu_);
    if (shutdown_ || (max_queued_ != 0 && jobs_.size() >= max_queued_)) return false;
    jobs_.push_back(std::move(job));
  }
  has_job_.notify_one();
  return true;
}

void WorkPool::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (shutdown_) return;
    shutdown_ = true;
  }
  has_job_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

std::size_t WorkPool::queued() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

void WorkPool::Work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      has_job_.wait(lock, [this] { return shutdown_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // shut down and drained
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace cp
