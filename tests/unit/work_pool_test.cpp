#include "common/work_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>

namespace cp {
namespace {

TEST(WorkPool, PostNeverBlocksAndEveryJobRuns) {
  WorkPool pool(/*threads=*/1);
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::latch started(1);
  std::atomic<int> ran{0};
  pool.Post([&] {
    started.count_down();
    open.wait();
    ++ran;
  });
  started.wait();
  // The only worker is busy: these queue instead of blocking the poster (an I/O thread).
  for (int i = 0; i < 100; ++i) pool.Post([&] { ++ran; });
  EXPECT_EQ(pool.queued(), 100u);
  gate.set_value();
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 101);
}

TEST(WorkPool, TryPostRefusesBeyondTheBoundAndAfterShutdown) {
  WorkPool pool(/*threads=*/1, /*max_queued=*/2);
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::latch started(1);
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TryPost([&] {
    started.count_down();
    open.wait();
    ++ran;
  }));
  started.wait();  // the only worker is busy
  EXPECT_TRUE(pool.TryPost([&] { ++ran; }));
  EXPECT_TRUE(pool.TryPost([&] { ++ran; }));
  EXPECT_FALSE(pool.TryPost([&] { ++ran; }));  // 2 already wait
  gate.set_value();
  pool.Shutdown();
  EXPECT_EQ(ran.load(), 3);
  EXPECT_FALSE(pool.TryPost([&] { ++ran; }));
  EXPECT_EQ(ran.load(), 3);
}

TEST(WorkPool, ShutdownRunsQueuedJobsAndIsIdempotent) {
  std::atomic<int> ran{0};
  {
    WorkPool pool(2);
    for (int i = 0; i < 50; ++i) pool.Post([&] { ++ran; });
    pool.Shutdown();
    EXPECT_EQ(ran.load(), 50);
    pool.Shutdown();
    pool.Post([&] { ++ran; });  // after shutdown: runs on the caller
    EXPECT_EQ(ran.load(), 51);
  }
}

}  // namespace
}  // namespace cp
