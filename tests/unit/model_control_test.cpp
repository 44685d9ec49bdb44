// service::ModelControl: a load swaps a whole new service in, a failed one
// leaves the old serving, requests holding the old service finish on it, the
// old one is destroyed on the control thread, loads are serialized.
#include "service/model_control.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "support/fake_engine.h"

namespace cp {
namespace {

using service::ClassificationService;
using Built = Result<std::shared_ptr<const ClassificationService>>;

// Records the thread that destroys it.
class TracedEngine : public test::FakeEngine {
 public:
  TracedEngine(std::vector<float> logits, std::atomic<std::thread::id>* destroyed_on)
      : FakeEngine(std::move(logits)), destroyed_on_(destroyed_on) {}
  ~TracedEngine() override {
    if (destroyed_on_) *destroyed_on_ = std::this_thread::get_id();
  }

 private:
  std::atomic<std::thread::id>* destroyed_on_;
};

std::shared_ptr<const ClassificationService> ServiceWith(std::shared_ptr<model::InferenceEngine> engine) {
  return std::make_shared<ClassificationService>(std::move(engine), test::NumberedLabels(3), service::ServiceOptions{});
}

std::shared_ptr<const ClassificationService> FakeService(std::vector<float> logits) {
  return ServiceWith(std::make_shared<test::FakeEngine>(std::move(logits)));
}

template <typename Pred>
bool Eventually(Pred pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

TEST(ModelControl, LoadSwapsTheNewServiceIn) {
  auto next = FakeService({0, 1, 0});
  service::ModelControl control(FakeService({1, 0, 0}), [&]() -> Built { return next; });
  EXPECT_NE(control.slot()->Get().get(), next.get());
  ASSERT_TRUE(control.Load().ok());
  EXPECT_EQ(control.slot()->Get().get(), next.get());
  EXPECT_TRUE(control.State().loaded);
  EXPECT_FALSE(control.State().loading);
  EXPECT_EQ(control.slot()->generation(), 1u);
}

TEST(ModelControl, AFailedLoadLeavesTheOldServiceServingAndSaysWhy) {
  auto initial = FakeService({1, 0, 0});
  const ClassificationService* before = initial.get();
  int calls = 0;
  service::ModelControl control(initial, [&]() -> Built {
    ++calls;
    if (calls == 1) return InvalidArgument("LABELS_PATH: 3 labels but the model has 5 outputs");
    return std::shared_ptr<const ClassificationService>(std::make_shared<ClassificationService>(
        nullptr, test::NumberedLabels(3), service::ServiceOptions{}, "Protobuf parsing failed"));
  });
  initial.reset();
  for (const char* why : {"5 outputs", "Protobuf parsing failed"}) {
    const Status s = control.Load();
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(s.message().find(why), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("keeps serving"), std::string::npos) << s.message();
    EXPECT_EQ(control.slot()->Get().get(), before);
    EXPECT_TRUE(control.State().loaded);
  }
  EXPECT_EQ(control.slot()->generation(), 0u);
}

TEST(ModelControl, ARequestInFlightFinishesOnTheOldModelWhichIsDestroyedOnTheControlThread) {
  std::atomic<std::thread::id> destroyed_on{};
  auto old_engine = std::make_shared<TracedEngine>(std::vector<float>{5, 0, 0}, &destroyed_on);
  std::weak_ptr<model::InferenceEngine> weak_old = old_engine;
  service::ModelControl control(ServiceWith(std::move(old_engine)), []() -> Built { return FakeService({0, 0, 5}); });
  auto in_flight = control.slot()->Get();  // a request that started before the load
  ASSERT_TRUE(control.Load().ok());
  // New requests get the new model; the one in flight still has the old.
  EXPECT_NE(control.slot()->Get()->engine(), in_flight->engine());
  EXPECT_EQ(in_flight->engine(), weak_old.lock());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(weak_old.expired()) << "destroyed while a request held it";
  in_flight.reset();  // the request is answered
  ASSERT_TRUE(Eventually([&] { return weak_old.expired(); }));
  EXPECT_NE(destroyed_on.load(), std::this_thread::get_id()) << "destroyed on the request's thread";
  EXPECT_NE(destroyed_on.load(), std::thread::id{});
}

TEST(ModelControl, UnloadServesNoModelUntilALoad) {
  service::ModelControl control(FakeService({1, 0, 0}), []() -> Built { return FakeService({0, 1, 0}); });
  ASSERT_TRUE(control.Unload().ok());
  const auto st = control.State();
  EXPECT_FALSE(st.loaded);
  EXPECT_NE(st.reason.find("unloaded"), std::string::npos);
  auto r = control.slot()->Get()->Classify({"not read", "", std::nullopt}, std::nullopt);
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(control.slot()->Get()->num_classes(), 3u);  // the labels stay
  EXPECT_TRUE(control.Unload().ok());                   // again: nothing to do
  EXPECT_EQ(control.slot()->generation(), 1u);
  ASSERT_TRUE(control.Load().ok());
  EXPECT_TRUE(control.State().loaded);
}

TEST(ModelControl, RequestLoadLoadsOnTheControlThread) {
  std::atomic<std::thread::id> built_on{};
  service::ModelControl control(FakeService({1, 0, 0}), [&]() -> Built {
    built_on = std::this_thread::get_id();
    return FakeService({0, 1, 0});
  });
  control.RequestLoad();
  ASSERT_TRUE(Eventually([&] { return control.slot()->generation() == 1; }));
  EXPECT_NE(built_on.load(), std::this_thread::get_id());
}

TEST(ModelControl, LoadsRunOneAtATime) {
  std::atomic<int> running{0}, most{0}, built{0};
  service::ModelControl control(FakeService({1, 0, 0}), [&]() -> Built {
    most = std::max(most.load(), ++running);
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    --running;
    ++built;
    return FakeService({0, 1, 0});
  });
  std::vector<std::thread> loaders;
  for (int i = 0; i < 4; ++i) loaders.emplace_back([&] { EXPECT_TRUE(control.Load().ok()); });
  for (auto& t : loaders) t.join();
  EXPECT_EQ(most.load(), 1);
  EXPECT_EQ(built.load(), 4);
  EXPECT_EQ(control.slot()->generation(), 4u);
}

TEST(ModelControl, TheStateSaysLoadingWhileALoadRuns) {
  std::atomic<bool> release{false}, started{false};
  service::ModelControl control(FakeService({1, 0, 0}), [&]() -> Built {
    started = true;
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return FakeService({0, 1, 0});
  });
  std::thread loader([&] { EXPECT_TRUE(control.Load().ok()); });
  ASSERT_TRUE(Eventually([&] { return started.load(); }));
  EXPECT_TRUE(control.State().loading);
  EXPECT_TRUE(control.State().loaded);  // the old model serves meanwhile
  release = true;
  loader.join();
  EXPECT_FALSE(control.State().loading);
}

}  // namespace
}  // namespace cp
