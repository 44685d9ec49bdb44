// service::WarmUp: every batch size once; with `overlapping`, two runs at
// once too (what warms OrtEngine's busy session before the first request).
#include "service/warmup.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "support/fake_engine.h"

namespace cp {
namespace {

// Records the batch sizes it ran and how many runs were in progress at once;
// runs after the first `alone` wait (up to 5 s) for a second one to start,
// so overlap is seen however the threads are scheduled.
class OverlapEngine : public test::FakeEngine {
 public:
  explicit OverlapEngine(std::size_t alone) : FakeEngine({1, 2, 3}), alone_(alone) {}
  Result<std::vector<float>> Infer(std::span<const float> input, std::size_t batch,
                                   const model::InferOptions& options = {}) override {
    {
      std::unique_lock<std::mutex> lk(mu_);
      batches.push_back(batch);
      max_in_progress = std::max(max_in_progress, ++in_progress_);
      cv_.notify_all();
      if (batches.size() > alone_) cv_.wait_for(lk, std::chrono::seconds(5), [this] { return in_progress_ >= 2; });
    }
    auto out = FakeEngine::Infer(input, batch, options);
    std::lock_guard<std::mutex> lk(mu_);
    --in_progress_;
    return out;
  }
  std::vector<std::size_t> batches;  // guarded by mu_ while runs may be in progress
  int max_in_progress = 0;           // guarded by mu_ while runs may be in progress

 private:
  const std::size_t alone_;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_progress_ = 0;  // guarded by mu_
};

TEST(WarmUp, EveryBatchSizeOnceThenTwoAtOnce) {
  OverlapEngine plain(/*alone=*/100);
  ASSERT_TRUE(service::WarmUp(plain, 8).ok());
  EXPECT_EQ(plain.batches, (std::vector<std::size_t>{1, 2, 4, 8}));
  EXPECT_EQ(plain.max_in_progress, 1);

  OverlapEngine overlapping(/*alone=*/1);
  ASSERT_TRUE(service::WarmUp(overlapping, 1, /*overlapping=*/true).ok());
  // The batch-1 warm-up, then two at once (the first of which waited for the
  // second: batch sizes are recorded as runs start).
  EXPECT_EQ(overlapping.batches, (std::vector<std::size_t>{1, 1, 1}));
  EXPECT_EQ(overlapping.max_in_progress, 2);
}

TEST(WarmUp, AFailureIsReturned) {
  test::FakeEngine engine({1, 2});
  engine.fail = true;
  EXPECT_FALSE(service::WarmUp(engine, 1, true).ok());
}

}  // namespace
}  // namespace cp
