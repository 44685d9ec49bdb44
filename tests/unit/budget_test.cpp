#include "common/budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace cp {
namespace {

using namespace std::chrono_literals;
using Clock = Budget::Clock;

TEST(Budget, ReservesWithinCapacityAndReleasesOnDestruction) {
  Budget budget(100, "room");
  {
    auto a = budget.Reserve(60, std::nullopt);
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(a->amount(), 60u);
    auto b = budget.Reserve(40, std::nullopt);
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(budget.in_use(), 100u);
  }
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(Budget, FullBudgetTimesOutAtTheDeadline) {
  Budget budget(100, "room");
  auto held = budget.Reserve(100, std::nullopt);
  ASSERT_TRUE(held.ok());
  auto late = budget.Reserve(1, Clock::now() + 50ms);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(late.status().message().find("waiting for room"), std::string::npos) << late.status().message();
  EXPECT_EQ(budget.waiting(), 0u);  // gone from the line
  EXPECT_EQ(budget.in_use(), 100u);
}

TEST(Budget, WaiterProceedsWhenRoomIsReleased) {
  Budget budget(100, "room");
  auto held = budget.Reserve(80, std::nullopt);
  ASSERT_TRUE(held.ok());
  std::atomic<bool> got{false};
  auto waiter = std::async(std::launch::async, [&] {
    auto r = budget.Reserve(50, std::nullopt);
    got = r.ok();
    return r.ok() ? r->amount() : 0;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(got.load());
  { auto release = std::move(held).value(); }  // the lease ends here
  EXPECT_EQ(waiter.get(), 50u);
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(Budget, RequestLargerThanCapacityTakesTheWholeBudget) {
  Budget budget(100, "room");
  auto big = budget.Reserve(1000, std::nullopt);
  ASSERT_TRUE(big.ok() && big->amount() == 100u);
  EXPECT_FALSE(budget.Reserve(1, Clock::now()).ok());
}

TEST(Budget, ZeroCapacityMeansNoLimit) {
  Budget budget(0, "room");
  auto a = budget.Reserve(1ull << 40, Clock::now());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(Budget, ReportsEveryChangeAsADeltaThatSumsToZero) {
  double total = 0;
  int calls = 0;
  Budget budget(100, "room", [&](double delta) {
    total += delta;
    ++calls;
  });
  {
    auto a = budget.Reserve(30, std::nullopt);
    EXPECT_EQ(total, 30.0);
    Budget::Lease moved = std::move(a).value();  // moving does not release
    EXPECT_EQ(total, 30.0);
  }
  EXPECT_EQ(total, 0.0);
  EXPECT_EQ(calls, 2);
}

TEST(Budget, FirstComeFirstServedEvenWhenALaterRequestWouldFit) {
  Budget budget(100, "room");
  auto held = budget.Reserve(60, std::nullopt);
  ASSERT_TRUE(held.ok());
  auto big = std::async(std::launch::async, [&] { return budget.Reserve(50, std::nullopt); });  // does not fit
  while (budget.waiting() < 1) std::this_thread::yield();
  auto small = std::async(std::launch::async, [&] { return budget.Reserve(10, std::nullopt); });  // fits, but second
  EXPECT_EQ(small.wait_for(100ms), std::future_status::timeout);
  EXPECT_EQ(budget.waiting(), 2u);
  { auto release = std::move(held).value(); }
  auto a = big.get();
  auto b = small.get();
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(budget.in_use(), 60u);
}

TEST(Budget, AWaiterThatTimesOutLetsTheNextOneThrough) {
  Budget budget(100, "room");
  auto held = budget.Reserve(60, std::nullopt);
  ASSERT_TRUE(held.ok());
  auto first = std::async(std::launch::async, [&] { return budget.Reserve(100, Clock::now() + 100ms).ok(); });
  while (budget.waiting() < 1) std::this_thread::yield();
  // Fits, but waits behind `first` until `first` gives up.
  auto second = std::async(std::launch::async, [&] { return budget.Reserve(30, Clock::now() + 5s); });
  EXPECT_FALSE(first.get());
  auto r = second.get();
  EXPECT_TRUE(r.ok());
}

// ReserveAsync: the event loop's way in. It never blocks, it is granted at once when the amount fits, and otherwise it
// waits in the same FIFO line as blocking reservations and is called back by the release that makes room.
TEST(BudgetAsync, GrantedAtOnceWhenItFits) {
  Budget budget(100, "room");
  std::optional<Budget::Lease> got;
  budget.ReserveAsync(40, [&](Budget::Lease l) { got = std::move(l); });
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->amount(), 40u);
  EXPECT_EQ(budget.in_use(), 40u);
  got.reset();
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST(BudgetAsync, WaitsWithoutBlockingAndIsGrantedByTheRelease) {
  Budget budget(100, "room");
  auto held = budget.Reserve(80, std::nullopt);
  ASSERT_TRUE(held.ok());
  std::optional<Budget::Lease> got;
  budget.ReserveAsync(50, [&](Budget::Lease l) { got = std::move(l); });
  EXPECT_FALSE(got.has_value());  // returned without the room: no thread waited
  EXPECT_EQ(budget.waiting(), 1u);
  held = Budget::Lease();  // the release makes room and runs the callback
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(budget.in_use(), 50u);
  EXPECT_EQ(budget.waiting(), 0u);
}

TEST(BudgetAsync, KeepsFifoOrderWithBlockingWaiters) {
  Budget budget(100, "room");
  auto held = budget.Reserve(100, std::nullopt);
  std::vector<int> order;
  std::mutex mu;
  std::optional<Budget::Lease> a, c;
  budget.ReserveAsync(60, [&](Budget::Lease l) {
    std::lock_guard lock(mu);
    order.push_back(1);
    a = std::move(l);
  });
  auto b = std::async(std::launch::async, [&] { return budget.Reserve(60, Clock::now() + 5s); });
  while (budget.waiting() < 2) std::this_thread::yield();
  budget.ReserveAsync(10, [&](Budget::Lease l) {  // fits beside the first, but must not overtake the second
    std::lock_guard lock(mu);
    order.push_back(3);
    c = std::move(l);
  });
  held = Budget::Lease();
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(order, std::vector<int>({1}));  // the third fits but waits behind the blocking second
    a.reset();                                // room for the second, then the third
  }
  auto rb = b.get();
  ASSERT_TRUE(rb.ok());
  std::lock_guard lock(mu);
  EXPECT_EQ(order, std::vector<int>({1, 3}));
  EXPECT_EQ(budget.in_use(), 70u);
}

TEST(BudgetAsync, CancelLeavesTheLineAndLetsTheNextThrough) {
  Budget budget(100, "room");
  auto held = budget.Reserve(60, std::nullopt);
  bool first_called = false;
  std::optional<Budget::Lease> second;
  const auto ticket = budget.ReserveAsync(100, [&](Budget::Lease) { first_called = true; });
  budget.ReserveAsync(30, [&](Budget::Lease l) { second = std::move(l); });
  EXPECT_FALSE(second.has_value());  // behind the first
  EXPECT_TRUE(budget.CancelWait(ticket));
  EXPECT_TRUE(second.has_value());          // the cancel moved the line
  EXPECT_FALSE(budget.CancelWait(ticket));  // gone: nothing to cancel twice
  held = Budget::Lease();
  EXPECT_FALSE(first_called);
  EXPECT_EQ(budget.DeadlineError().code(), StatusCode::kDeadlineExceeded);
}

}  // namespace
}  // namespace cp
