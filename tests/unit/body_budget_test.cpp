#include "http/body_budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace cp::http {
namespace {

using namespace std::chrono_literals;
using Clock = BodyBudget::Clock;

TEST(BodyBudget, ReservesWithinCapacityAndReleasesOnDestruction) {
  BodyBudget budget(100);
  {
    auto a = budget.Reserve(60, std::nullopt);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->bytes(), 60u);
    auto b = budget.Reserve(40, std::nullopt);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(budget.in_use(), 100u);
  }
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(BodyBudget, FullBudgetTimesOutAtTheDeadline) {
  BodyBudget budget(100);
  auto held = budget.Reserve(100, std::nullopt);
  ASSERT_TRUE(held.ok());
  auto late = budget.Reserve(1, Clock::now() + 50ms);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(budget.in_use(), 100u);
}

TEST(BodyBudget, WaiterProceedsWhenRoomIsReleased) {
  BodyBudget budget(100);
  auto held = budget.Reserve(80, std::nullopt);
  ASSERT_TRUE(held.ok());
  std::atomic<bool> got{false};
  auto waiter = std::async(std::launch::async, [&] {
    auto r = budget.Reserve(50, std::nullopt);
    got = r.ok();
    return r.ok() ? r->bytes() : 0;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(got.load());
  { auto release = std::move(held).value(); }  // the lease ends here
  EXPECT_EQ(waiter.get(), 50u);
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(BodyBudget, RequestLargerThanCapacityTakesTheWholeBudget) {
  BodyBudget budget(100);
  auto big = budget.Reserve(1000, std::nullopt);
  ASSERT_TRUE(big.ok() && big->bytes() == 100u);
  EXPECT_FALSE(budget.Reserve(1, Clock::now()).ok());
}

TEST(BodyBudget, ZeroCapacityMeansNoLimit) {
  BodyBudget budget(0);
  auto a = budget.Reserve(1ull << 40, Clock::now());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(BodyBudget, ReportsEveryChangeAsADeltaThatSumsToZero) {
  double total = 0;
  int calls = 0;
  BodyBudget budget(100, [&](double delta) {
    total += delta;
    ++calls;
  });
  {
    auto a = budget.Reserve(30, std::nullopt);
    EXPECT_EQ(total, 30.0);
    BodyBudget::Lease moved = std::move(a).value();  // moving does not release
    EXPECT_EQ(total, 30.0);
  }
  EXPECT_EQ(total, 0.0);
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace cp::http
