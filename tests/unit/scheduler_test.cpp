#include "batching/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "support/slow_engine.h"

namespace cp::batching {
namespace {

using namespace std::chrono_literals;
using test::SlowEngine;
using test::SlowInput;

// Liveness only: polls pred for up to `timeout` (generous; never a latency bound).
bool WaitFor(const std::function<bool()>& pred, std::chrono::seconds timeout = 5s) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

SchedulerOptions Options(std::size_t max_batch_size, std::size_t max_queue = 64, int runners = 1) {
  SchedulerOptions o;
  o.max_batch_size = max_batch_size;
  o.max_queue = max_queue;
  o.runners = runners;
  return o;
}

// Checks that r holds the SlowEngine logits of SlowInput(base, batch).
void ExpectLogits(const Result<std::vector<float>>& r, float base, std::size_t batch) {
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), batch * SlowEngine::kClasses);
  for (std::size_t i = 0; i < batch; ++i) {
    for (std::size_t j = 0; j < SlowEngine::kClasses; ++j) {
      EXPECT_FLOAT_EQ((*r)[i * SlowEngine::kClasses + j], base + static_cast<float>(i + j)) << "image " << i;
    }
  }
}

// Runs Infer(SlowInput(base, batch)) on another thread; the input outlives the call.
std::future<Result<std::vector<float>>> InferAsync(Scheduler& s, float base, std::size_t batch = 1,
                                                   model::InferOptions options = {}) {
  return std::async(std::launch::async, [&s, base, batch, options] {
    const std::vector<float> input = SlowInput(base, batch);
    return s.Infer(input, batch, options);
  });
}

TEST(Scheduler, InfoIsTheInnerEngines) {
  auto engine = std::make_shared<SlowEngine>();
  Scheduler s(engine);
  EXPECT_EQ(&s.info(), &engine->info());
  EXPECT_EQ(s.info().image_size(), 12u);
}

TEST(Scheduler, RoutesResultsToTheRightCaller) {
  auto engine = std::make_shared<SlowEngine>(1000us);
  Scheduler s(engine, Options(8));
  constexpr int kCallers = 16;
  constexpr int kRounds = 10;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < kCallers; ++t) {
    threads.emplace_back([&, t] {
      const std::size_t batch = 1 + static_cast<std::size_t>(t % 3);  // 1, 2 or 3 images
      for (int round = 0; round < kRounds; ++round) {
        const float base = static_cast<float>(t * 1000 + round * 10);
        const std::vector<float> input = SlowInput(base, batch);
        const auto r = s.Infer(input, batch);
        ExpectLogits(r, base, batch);
        if (r.ok()) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kCallers * kRounds);
  EXPECT_EQ(s.queue_depth(), 0u);
  EXPECT_EQ(s.in_flight(), 0u);
  for (std::size_t b : engine->batches()) EXPECT_LE(b, 8u);
}

TEST(Scheduler, BatchesUnderLoadAndNeverExceedsMaxBatchSize) {
  auto engine = std::make_shared<SlowEngine>(500us);
  std::atomic<std::size_t> batched_images{0};
  std::atomic<std::size_t> dequeued{0};
  SchedulerOptions options = Options(4);
  options.on_batch = [&](std::size_t n, double run_seconds) {
    EXPECT_GE(run_seconds, 0.0);
    batched_images.fetch_add(n);
  };
  options.on_dequeue = [&](double wait) {
    EXPECT_GE(wait, 0.0);
    dequeued.fetch_add(1);
  };
  Scheduler s(engine, options);

  // Deterministic part: hold the runner in a first run, queue 9 single-image
  // requests, release: they must go in batches of 4, 4, 1.
  engine->Close();
  auto first = InferAsync(s, 1);
  ASSERT_TRUE(engine->WaitEntered(1));
  std::vector<std::future<Result<std::vector<float>>>> queued;
  for (int i = 0; i < 9; ++i) {
    queued.push_back(InferAsync(s, static_cast<float>(100 + i * 10)));
    ASSERT_TRUE(WaitFor([&] { return s.queue_depth() == static_cast<std::size_t>(i + 1); }));
  }
  EXPECT_EQ(s.in_flight(), 1u);
  engine->Open();
  ExpectLogits(first.get(), 1, 1);
  for (int i = 0; i < 9; ++i)
    ExpectLogits(queued[static_cast<std::size_t>(i)].get(), static_cast<float>(100 + i * 10), 1);
  EXPECT_EQ(engine->batches(), (std::vector<std::size_t>{1, 4, 4, 1}));

  // Free-running load: 16 callers hammering; no batch above 4.
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        const float base = static_cast<float>(t * 1000 + round * 10);
        ExpectLogits(s.Infer(SlowInput(base), 1), base, 1);
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto batches = engine->batches();
  std::size_t total = 0;
  for (std::size_t b : batches) {
    EXPECT_LE(b, 4u);
    total += b;
  }
  EXPECT_EQ(total, 10u + 16u * 20u);
  EXPECT_EQ(batched_images.load(), total);
  EXPECT_EQ(dequeued.load(), 10u + 16u * 20u);
}

TEST(Scheduler, IdleRequestRunsWithoutWaitingForABatch) {
  auto engine = std::make_shared<SlowEngine>();
  // A queue delay far beyond the test timeout: if an idle request waited for
  // a batch to fill, this test would hang.
  SchedulerOptions options = Options(8);
  options.max_queue_delay = std::chrono::hours{1};
  Scheduler s(engine, options);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) ExpectLogits(s.Infer(SlowInput(static_cast<float>(i)), 1), static_cast<float>(i), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_EQ(engine->batches(), (std::vector<std::size_t>(5, 1)));
}

TEST(Scheduler, RespectsTheInnerEnginesMaxBatch) {
  auto engine = std::make_shared<SlowEngine>(0us, /*max_batch=*/2);
  Scheduler s(engine, Options(8));
  engine->Close();
  auto first = InferAsync(s, 1);
  ASSERT_TRUE(engine->WaitEntered(1));
  std::vector<std::future<Result<std::vector<float>>>> queued;
  for (int i = 0; i < 5; ++i) {
    queued.push_back(InferAsync(s, static_cast<float>(10 * (i + 1))));
    ASSERT_TRUE(WaitFor([&] { return s.queue_depth() == static_cast<std::size_t>(i + 1); }));
  }
  engine->Open();
  ExpectLogits(first.get(), 1, 1);
  for (int i = 0; i < 5; ++i)
    ExpectLogits(queued[static_cast<std::size_t>(i)].get(), static_cast<float>(10 * (i + 1)), 1);
  EXPECT_EQ(engine->batches(), (std::vector<std::size_t>{1, 2, 2, 1}));
}

TEST(Scheduler, ARequestLargerThanTheBatchRunsAlone) {
  auto engine = std::make_shared<SlowEngine>();
  Scheduler s(engine, Options(2));
  engine->Close();
  auto first = InferAsync(s, 1);
  ASSERT_TRUE(engine->WaitEntered(1));
  auto small = InferAsync(s, 10, 1);
  ASSERT_TRUE(WaitFor([&] { return s.queue_depth() == 1; }));
  auto big = InferAsync(s, 20, 3);
  ASSERT_TRUE(WaitFor([&] { return s.queue_depth() == 2; }));
  auto after = InferAsync(s, 30, 1);
  ASSERT_TRUE(WaitFor([&] { return s.queue_depth() == 3; }));
  engine->Open();
  ExpectLogits(first.get(), 1, 1);
  ExpectLogits(small.get(), 10, 1);
  ExpectLogits(big.get(), 20, 3);
  ExpectLogits(after.get(), 30, 1);
  // FIFO: [1] [small] [big alone] [after]
  EXPECT_EQ(engine->batches(), (std::vector<std::size_t>{1, 1, 3, 1}));
}

TEST(Scheduler, RejectsAWrongInputSize) {
  auto engine = std::make_shared<SlowEngine>();
  Scheduler s(engine);
  const std::vector<float> input(11);
  EXPECT_EQ(s.Infer(input, 1).status().code(), StatusCode::kInternal);
  EXPECT_EQ(s.Infer({}, 0).status().code(), StatusCode::kInternal);
  EXPECT_TRUE(engine->batches().empty());
}

TEST(Scheduler, FullQueueIsOverloadedImmediately) {
  auto engine = std::make_shared<SlowEngine>();
  Scheduler s(engine, Options(8, /*max_queue=*/2));
  engine->Close();
  auto running = InferAsync(s, 1);
  ASSERT_TRUE(engine->WaitEntered(1));
  auto q1 = InferAsync(s, 10);
  auto q2 = InferAsync(s, 20);
  ASSERT_TRUE(WaitFor([&] { return s.queue_depth() == 2; }));
  EXPECT_EQ(s.in_flight(), 1u);

  // The runner is blocked: this must not wait for it.
  EXPECT_TRUE(s.Saturated());
  const auto r = s.Infer(SlowInput(30), 1);
  EXPECT_EQ(r.status().code(), StatusCode::kOverloaded) << r.status().ToString();
  EXPECT_EQ(s.queue_depth(), 2u);

  engine->Open();
  ExpectLogits(running.get(), 1, 1);
  ExpectLogits(q1.get(), 10, 1);
  ExpectLogits(q2.get(), 20, 1);
  const auto seen = engine->seen();
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 30.0f), 0);
  EXPECT_EQ(s.queue_depth(), 0u);
  EXPECT_EQ(s.in_flight(), 0u);
  EXPECT_FALSE(s.Saturated());
}

TEST(Scheduler, ReportsQueueWaitRunTimeAndBatchToTheCaller) {
  auto engine = std::make_shared<SlowEngine>();
  Scheduler s(engine, Options(8));
  engine->Close();
  auto running = InferAsync(s, 1);
  ASSERT_TRUE(engine->WaitEntered(1));
  model::InferStats a, b;
  model::InferOptions oa, ob;
  oa.stats = &a;
  ob.stats = &b;
  auto qa = InferAsync(s, 10, 1, oa);
  auto qb = InferAsync(s, 20, 2, ob);
  ASSERT_TRUE(WaitFor([&] { return s.queue_depth() == 2; }));
  std::this_thread::sleep_for(5ms);  // both wait at least this long
  engine->Open();
  ExpectLogits(running.get(), 1, 1);
  ExpectLogits(qa.get(), 10, 1);
  ExpectLogits(qb.get(), 20, 2);
  EXPECT_EQ(a.batch, 3u);  // the two queued requests ran together: 1 + 2 images
  EXPECT_EQ(b.batch, 3u);
  EXPECT_GE(a.queue_ms, 5.0);
  EXPECT_GE(a.run_ms, 0.0);
  EXPECT_EQ(a.run_ms, b.run_ms);  // one run
}

TEST(Scheduler, DeadlineExpiresWhileQueuedAndTheRequestIsNotRun) {
  auto engine = std::make_shared<SlowEngine>();
  Scheduler s(engine);
  engine->Close();
  auto running = InferAsync(s, 1);
  ASSERT_TRUE(engine->WaitEntered(1));
  auto keeps = InferAsync(s, 10);
  ASSERT_TRUE(WaitFor([&] { return s.queue_depth() == 1; }));
  // The caller wakes at its deadline on its own: the runner is still blocked.
  auto expires = InferAsync(s, 20, 1, {.deadline = std::chrono::steady_clock::now() + 50ms});
  const auto expired = expires.get();
  EXPECT_EQ(expired.status().code(), StatusCode::kDeadlineExceeded) << expired.status().ToString();
  EXPECT_EQ(s.queue_depth(), 1u);

  engine->Open();
  ExpectLogits(running.get(), 1, 1);
  ExpectLogits(keeps.get(), 10, 1);
  const auto seen = engine->seen();
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 20.0f), 0);
  EXPECT_EQ(engine->batches(), (std::vector<std::size_t>{1, 1}));
}

TEST(Scheduler, PastDeadlineFailsAtOnce) {
  auto engine = std::make_shared<SlowEngine>();
  Scheduler s(engine);
  const auto r = s.Infer(SlowInput(1), 1, {.deadline = std::chrono::steady_clock::now() - 1ms});
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(engine->batches().empty());
}

TEST(Scheduler, DeadlineDoesNotApplyOnceRunning) {
  auto engine = std::make_shared<SlowEngine>();
  Scheduler s(engine);
  engine->Close();
  const auto deadline = std::chrono::steady_clock::now() + 20ms;
  auto running = InferAsync(s, 1, 1, {.deadline = deadline});
  ASSERT_TRUE(engine->WaitEntered(1));
  std::this_thread::sleep_until(deadline + 20ms);  // taken before its deadline, still running after it
  engine->Open();
  ExpectLogits(running.get(), 1, 1);
}

TEST(Scheduler, InnerErrorFailsEveryRequestOfTheBatch) {
  auto engine = std::make_shared<SlowEngine>();
  Scheduler s(engine);
  engine->Close();
  auto first = InferAsync(s, 1);
  ASSERT_TRUE(engine->WaitEntered(1));
  std::vector<std::future<Result<std::vector<float>>>> queued;
  for (int i = 0; i < 3; ++i) {
    queued.push_back(InferAsync(s, static_cast<float>(10 * (i + 1)), 1 + static_cast<std::size_t>(i)));
    ASSERT_TRUE(WaitFor([&] { return s.queue_depth() == static_cast<std::size_t>(i + 1); }));
  }
  engine->set_fail(true);
  engine->Open();
  for (auto* f : {&first, &queued[0], &queued[1], &queued[2]}) {
    const auto r = f->get();
    EXPECT_EQ(r.status().code(), StatusCode::kInternal);
    EXPECT_EQ(r.status().message(), "slow engine failure");
  }
  EXPECT_EQ(engine->batches(), (std::vector<std::size_t>{1, 6}));

  // The scheduler keeps serving once the engine recovers.
  engine->set_fail(false);
  ExpectLogits(s.Infer(SlowInput(7, 2), 2), 7, 2);
}

TEST(Scheduler, ShutdownDrainsQueuedRequestsThenRefuses) {
  auto engine = std::make_shared<SlowEngine>();
  Scheduler s(engine, Options(2, /*max_queue=*/4));
  engine->Close();
  auto running = InferAsync(s, 1);
  ASSERT_TRUE(engine->WaitEntered(1));
  std::vector<std::future<Result<std::vector<float>>>> queued;
  for (int i = 0; i < 4; ++i) {
    queued.push_back(InferAsync(s, static_cast<float>(10 * (i + 1))));
    ASSERT_TRUE(WaitFor([&] { return s.queue_depth() == static_cast<std::size_t>(i + 1); }));
  }
  auto shutdown = std::async(std::launch::async, [&] { s.Shutdown(); });
  // The queue is full, so Infer is kOverloaded until Shutdown has begun, then kUnavailable.
  ASSERT_TRUE(WaitFor([&] { return s.Infer(SlowInput(99), 1).status().code() == StatusCode::kUnavailable; }));
  EXPECT_EQ(shutdown.wait_for(0s), std::future_status::timeout);  // still draining

  engine->Open();
  ExpectLogits(running.get(), 1, 1);
  for (int i = 0; i < 4; ++i)
    ExpectLogits(queued[static_cast<std::size_t>(i)].get(), static_cast<float>(10 * (i + 1)), 1);
  ASSERT_EQ(shutdown.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(engine->batches(), (std::vector<std::size_t>{1, 2, 2}));
  EXPECT_EQ(s.Infer(SlowInput(5), 1).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.queue_depth(), 0u);
  EXPECT_EQ(s.in_flight(), 0u);
  s.Shutdown();  // idempotent
}

TEST(Scheduler, DestructorDrainsAndWaitsForCallers) {
  auto engine = std::make_shared<SlowEngine>(500us);
  auto s = std::make_unique<Scheduler>(engine, Options(3));
  engine->Close();
  std::vector<std::future<Result<std::vector<float>>>> results;
  results.push_back(InferAsync(*s, 0));
  ASSERT_TRUE(engine->WaitEntered(1));
  for (int i = 1; i < 8; ++i) {
    results.push_back(InferAsync(*s, static_cast<float>(i * 10)));
    ASSERT_TRUE(WaitFor([&] { return s->queue_depth() == static_cast<std::size_t>(i); }));
  }
  // Destroy while every caller is still inside Infer.
  auto destroy = std::async(std::launch::async, [&] { s.reset(); });
  engine->Open();
  for (int i = 0; i < 8; ++i) ExpectLogits(results[static_cast<std::size_t>(i)].get(), static_cast<float>(i * 10), 1);
  ASSERT_EQ(destroy.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(engine->batches(), (std::vector<std::size_t>{1, 3, 3, 1}));
}

TEST(Scheduler, TwoRunnersRunTwoBatchesInParallel) {
  auto engine = std::make_shared<SlowEngine>();
  Scheduler s(engine, Options(2, 64, /*runners=*/2));
  engine->Close();
  auto a = InferAsync(s, 1);
  ASSERT_TRUE(engine->WaitEntered(1));
  auto b = InferAsync(s, 10);
  auto c = InferAsync(s, 20);
  // The second runner takes b and c while the first is still inside the engine.
  EXPECT_TRUE(engine->WaitRunning(2));
  engine->Open();
  ExpectLogits(a.get(), 1, 1);
  ExpectLogits(b.get(), 10, 1);
  ExpectLogits(c.get(), 20, 1);
  EXPECT_EQ(engine->max_running(), 2);
}

TEST(Scheduler, OneRunnerNeverRunsInParallel) {
  auto engine = std::make_shared<SlowEngine>(200us);
  Scheduler s(engine, Options(2, 64, /*runners=*/1));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 10; ++round)
        ExpectLogits(s.Infer(SlowInput(static_cast<float>(t)), 1), static_cast<float>(t), 1);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(engine->max_running(), 1);
}

TEST(Scheduler, NullInnerEngineIsUnavailable) {
  Scheduler s(nullptr);
  EXPECT_EQ(s.Infer(SlowInput(1), 1).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.info().num_classes, 0u);
}

}  // namespace
}  // namespace cp::batching
