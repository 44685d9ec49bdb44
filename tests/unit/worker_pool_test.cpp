#include "http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <latch>

namespace cp::http {
namespace {

using namespace std::chrono_literals;

TEST(WorkerPool, EnqueueBlocksWhileTheQueueIsFullThenEverythingRuns) {
  WorkerPool pool(/*threads=*/1, /*max_queued=*/1);
  std::promise<void> gate;
  std::shared_future<void> open = gate.get_future().share();
  std::atomic<int> ran{0};
  std::latch started(1);
  pool.enqueue([&] {
    started.count_down();
    open.wait();
    ++ran;
  });
  started.wait();                // the worker is busy
  pool.enqueue([&] { ++ran; });  // waits in the queue
  auto third = std::async(std::launch::async, [&] { pool.enqueue([&] { ++ran; }); });
  EXPECT_EQ(third.wait_for(200ms), std::future_status::timeout);  // the listener would be held here
  EXPECT_EQ(pool.queued(), 1u);
  gate.set_value();
  third.get();
  pool.shutdown();  // runs what is queued, then joins
  EXPECT_EQ(ran.load(), 3);
}

TEST(WorkerPool, ShutdownRunsQueuedJobsAndIsIdempotent) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(2, 16);
    for (int i = 0; i < 10; ++i) pool.enqueue([&] { ++ran; });
    pool.shutdown();
    EXPECT_EQ(ran.load(), 10);
    pool.shutdown();
  }
  EXPECT_EQ(ran.load(), 10);
}

}  // namespace
}  // namespace cp::http
