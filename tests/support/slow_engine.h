// A test InferenceEngine for the batching scheduler: tiny images (2x2, so
// image_size() == 12) and 4 classes; logits depend on the input
// (logits[i][j] = input[i][0] + j for image i), so results can be checked to
// reach the right caller. Each Infer can sleep, can be held at a gate until
// the test opens it, and records the batch sizes and first input values it
// received. Thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include "model/engine.h"

namespace cp::test {

class SlowEngine : public model::InferenceEngine {
 public:
  static constexpr std::size_t kClasses = 4;

  explicit SlowEngine(std::chrono::microseconds delay = std::chrono::microseconds{0}, std::size_t max_batch = 0)
      : delay_(delay) {
    info_.input_name = "input";
    info_.output_name = "output";
    info_.height = 2;
    info_.width = 2;
    info_.num_classes = kClasses;
    info_.max_batch = max_batch;
  }

  const model::ModelInfo& info() const override { return info_; }

  Result<std::vector<float>> Infer(std::span<const float> input, std::size_t batch,
                                   const model::InferOptions& = {}) override {
    if (batch == 0 || input.size() != batch * info_.image_size()) return Internal("slow: wrong input size");
    {
      std::unique_lock<std::mutex> lk(mu_);
      ++entered_;
      ++running_;
      max_running_ = std::max(max_running_, running_);
      batches_.push_back(batch);
      for (std::size_t i = 0; i < batch; ++i) seen_.push_back(input[i * info_.image_size()]);
      cv_.notify_all();
      cv_.wait(lk, [this] { return open_; });
    }
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    bool fail = false;
    {
      std::lock_guard<std::mutex> lk(mu_);
      --running_;
      fail = fail_;
    }
    if (fail) return Internal("slow engine failure");
    std::vector<float> out;
    out.reserve(batch * kClasses);
    for (std::size_t i = 0; i < batch; ++i) {
      for (std::size_t j = 0; j < kClasses; ++j) out.push_back(input[i * info_.image_size()] + static_cast<float>(j));
    }
    return out;
  }

  // Hold every Infer at the gate (after recording it) until Open().
  void Close() {
    std::lock_guard<std::mutex> lk(mu_);
    open_ = false;
  }
  void Open() {
    std::lock_guard<std::mutex> lk(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void set_fail(bool fail) {
    std::lock_guard<std::mutex> lk(mu_);
    fail_ = fail;
  }
  // True once n Infer calls have started (liveness timeout only).
  bool WaitEntered(int n, std::chrono::seconds timeout = std::chrono::seconds{5}) {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return entered_ >= n; });
  }
  // True once n Infer calls are inside the engine at the same time.
  bool WaitRunning(int n, std::chrono::seconds timeout = std::chrono::seconds{5}) {
    std::unique_lock<std::mutex> lk(mu_);
    return cv_.wait_for(lk, timeout, [&] { return running_ >= n; });
  }

  std::vector<std::size_t> batches() const {
    std::lock_guard<std::mutex> lk(mu_);
    return batches_;
  }
  // input[i][0] of every image run, in order.
  std::vector<float> seen() const {
    std::lock_guard<std::mutex> lk(mu_);
    return seen_;
  }
  int max_running() const {
    std::lock_guard<std::mutex> lk(mu_);
    return max_running_;
  }

 private:
  const std::chrono::microseconds delay_;
  model::ModelInfo info_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;                  // guarded by mu_
  bool fail_ = false;                 // guarded by mu_
  int entered_ = 0;                   // guarded by mu_
  int running_ = 0;                   // guarded by mu_
  int max_running_ = 0;               // guarded by mu_
  std::vector<std::size_t> batches_;  // guarded by mu_
  std::vector<float> seen_;           // guarded by mu_
};

// An input of `batch` images for SlowEngine: image i is filled with base + i.
inline std::vector<float> SlowInput(float base, std::size_t batch = 1, std::size_t image_size = 12) {
  std::vector<float> v(batch * image_size);
  for (std::size_t i = 0; i < batch; ++i)
    std::fill_n(v.begin() + static_cast<std::ptrdiff_t>(i * image_size), image_size, base + static_cast<float>(i));
  return v;
}

}  // namespace cp::test
