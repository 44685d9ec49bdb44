// Overload, deadlines and the request-body memory budget over HTTP: the real
// scheduler in front of an engine the test holds closed.
#include <gtest/gtest.h>

#include <future>
#include <nlohmann/json.hpp>

#include "batching/scheduler.h"
#include "support/fake_engine.h"
#include "support/paths.h"
#include "support/slow_engine.h"
#include "support/test_server.h"

namespace cp {
namespace {

using nlohmann::json;

class LoadShedding : public ::testing::Test {
 protected:
  explicit LoadShedding(std::size_t max_queue = 1, http::HttpServerOptions options = {}) {
    batching::SchedulerOptions o;
    o.max_queue = max_queue;
    o.runners = 1;
    scheduler_ = std::make_shared<batching::Scheduler>(engine_, o);
    auto svc = std::make_shared<service::ClassificationService>(scheduler_, test::NumberedLabels(4),
                                                                service::ServiceOptions{});
    server_ = std::make_unique<test::TestServer>(svc, options);
  }
  ~LoadShedding() override {
    engine_->Open();
    server_.reset();
  }

  std::future<httplib::Result> PostAsync(httplib::Headers headers = {}) {
    return std::async(std::launch::async, [this, headers] {
      auto c = server_->Client();
      return c.Post("/infer", headers, jpeg_, "image/jpeg");
    });
  }

  std::shared_ptr<test::SlowEngine> engine_ = std::make_shared<test::SlowEngine>();
  std::shared_ptr<batching::Scheduler> scheduler_;
  std::unique_ptr<test::TestServer> server_;
  std::string jpeg_ = test::ReadFile(test::DataPath("rb_baseline.jpg"));
};

TEST_F(LoadShedding, FullQueueIs503WithRetryAfterAndQueuedWorkIsAnswered) {
  engine_->Close();
  auto running = PostAsync();
  ASSERT_TRUE(engine_->WaitEntered(1));
  auto queued = PostAsync();
  for (int i = 0; i < 5000 && scheduler_->queue_depth() < 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(scheduler_->queue_depth(), 1u);

  auto client = server_->Client();
  client.set_keep_alive(true);
  auto shed = client.Post("/infer", jpeg_, "image/jpeg");
  ASSERT_TRUE(shed);
  EXPECT_EQ(shed->status, 503);
  EXPECT_EQ(shed->get_header_value("Retry-After"), "1");
  EXPECT_TRUE(json::parse(shed->body)["detail"].is_string());
  // Multipart too, on the same kept-alive connection: the refused bodies
  // were consumed, so the connection is still in sync.
  auto shed2 = client.Post("/infer", httplib::MultipartFormDataItems{{"file", jpeg_, "a.jpg", "image/jpeg"}});
  ASSERT_TRUE(shed2);
  EXPECT_EQ(shed2->status, 503);
  auto health = client.Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  engine_->Open();
  auto a = running.get();
  auto b = queued.get();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(b->status, 200);
}

TEST_F(LoadShedding, DeadlineExpiringInTheQueueIs504) {
  engine_->Close();
  auto running = PostAsync();
  ASSERT_TRUE(engine_->WaitEntered(1));
  auto late = server_->Client().Post("/infer", {{"X-Request-Timeout-Ms", "50"}}, jpeg_, "image/jpeg");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 504);
  EXPECT_TRUE(json::parse(late->body)["detail"].is_string());
  auto bad = server_->Client().Post("/infer", {{"X-Request-Timeout-Ms", "soon"}}, jpeg_, "image/jpeg");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  engine_->Open();
  auto a = running.get();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200);
}

// MAX_BODY_BYTES_IN_FLIGHT: a request waits for room before its body is read,
// and its deadline bounds the wait.
http::HttpServerOptions OneBodyAtATime() {
  http::HttpServerOptions o;
  o.max_body_bytes_in_flight = 1;  // every request needs the whole budget
  return o;
}
class UploadMemory : public LoadShedding {
 protected:
  UploadMemory() : LoadShedding(/*max_queue=*/8, OneBodyAtATime()) {}
};

TEST_F(UploadMemory, RequestWaitsForRoomAndIsServedWhenItFrees) {
  engine_->Close();
  auto first = PostAsync();
  ASSERT_TRUE(engine_->WaitEntered(1));
  auto second = PostAsync();
  // The second request holds no budget, so it reaches neither the engine nor
  // the queue while the first one holds it.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(scheduler_->queue_depth(), 0u);
  EXPECT_FALSE(engine_->WaitEntered(2, std::chrono::seconds{0}));
  engine_->Open();
  auto a = first.get();
  auto b = second.get();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(b->status, 200);
  EXPECT_EQ(engine_->batches().size(), 2u);
}

TEST_F(UploadMemory, DeadlineBoundsTheWaitWith504AndTheConnectionStaysUsable) {
  engine_->Close();
  auto first = PostAsync();
  ASSERT_TRUE(engine_->WaitEntered(1));

  auto client = server_->Client();
  client.set_keep_alive(true);
  const httplib::MultipartFormDataItems form{{"file", jpeg_, "a.jpg", "image/jpeg"}};
  auto late = client.Post("/infer", {{"X-Request-Timeout-Ms", "200"}}, form);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 504);
  EXPECT_NE(json::parse(late->body)["detail"].get<std::string>().find("memory"), std::string::npos) << late->body;
  auto health = client.Get("/health");  // the refused body was read through
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  engine_->Open();
  auto a = first.get();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->status, 200);
  auto again = client.Post("/infer", form);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);  // the budget came back
}

// Admission in the service itself (no HTTP): places for the model are taken
// before decoding, so requests beyond them wait undecoded, in a bounded line.
struct AdmissionRig {
  explicit AdmissionRig(std::size_t places, std::size_t max_waiting) {
    batching::SchedulerOptions o;
    o.max_queue = 64;
    o.runners = 1;
    o.max_batch_size = 1;  // one request per run, so the queue depth counts requests
    scheduler = std::make_shared<batching::Scheduler>(engine, o);
    service::ServiceOptions so;
    so.prepared_ahead = places;
    so.max_waiting = max_waiting;
    svc = std::make_shared<service::ClassificationService>(scheduler, test::NumberedLabels(4), so);
  }
  ~AdmissionRig() { engine->Open(); }
  std::future<Result<service::Classification>> ClassifyAsync(
      std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt) {
    return std::async(std::launch::async, [this, deadline] { return svc->Classify({jpeg, {}, deadline}, 1); });
  }
  template <typename Pred>
  static bool Eventually(Pred pred) {
    for (int i = 0; i < 5000 && !pred(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return pred();
  }
  std::shared_ptr<test::SlowEngine> engine = std::make_shared<test::SlowEngine>();
  std::shared_ptr<batching::Scheduler> scheduler;
  std::shared_ptr<service::ClassificationService> svc;
  std::string jpeg = test::ReadFile(test::DataPath("rb_baseline.jpg"));
};

TEST(Admission, RequestsBeyondThePlacesWaitUndecodedInABoundedLine) {
  AdmissionRig rig(/*places=*/2, /*max_waiting=*/2);
  rig.engine->Close();
  auto a = rig.ClassifyAsync();
  auto b = rig.ClassifyAsync();
  ASSERT_TRUE(rig.engine->WaitEntered(1));
  ASSERT_TRUE(AdmissionRig::Eventually([&] { return rig.scheduler->queue_depth() == 1; }));  // b: decoded, queued
  auto c = rig.ClassifyAsync();
  auto d = rig.ClassifyAsync();
  ASSERT_TRUE(AdmissionRig::Eventually([&] { return rig.svc->waiting() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(rig.scheduler->queue_depth(), 1u);  // c and d were not decoded: no tensor exists for them
  EXPECT_TRUE(rig.svc->Saturated());
  auto e = rig.svc->Classify({rig.jpeg, {}, {}}, 1);  // the line is full
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kOverloaded);
  rig.engine->Open();
  for (auto* f : {&a, &b, &c, &d}) {
    auto r = f->get();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }
  EXPECT_EQ(rig.engine->batches().size(), 4u);
  EXPECT_FALSE(rig.svc->Saturated());
}

TEST(Admission, ManyImagesRunInChunksOfThePlacesEachWithItsOwnOutcome) {
  AdmissionRig rig(/*places=*/2, /*max_waiting=*/8);
  const std::string garbage = test::ReadFile(test::DataPath("garbage.bin"));
  std::vector<service::ImageInput> inputs(5, service::ImageInput{rig.jpeg, {}, {}});
  inputs[2].bytes = garbage;
  auto results = rig.svc->ClassifyMany(inputs, 1);
  ASSERT_EQ(results.size(), 5u);
  for (std::size_t i = 0; i < results.size(); ++i) EXPECT_EQ(results[i].ok(), i != 2) << i;
  // Chunks [0,1], [2,3] (2 undecodable), [4]: never more tensors than places.
  EXPECT_EQ(rig.engine->batches(), (std::vector<std::size_t>{2, 1, 1}));
}

TEST(Admission, DeadlineWhileWaitingForAPlaceIs504WithoutDecoding) {
  AdmissionRig rig(/*places=*/1, /*max_waiting=*/8);
  rig.engine->Close();
  auto a = rig.ClassifyAsync();
  ASSERT_TRUE(rig.engine->WaitEntered(1));
  auto late = rig.svc->Classify({rig.jpeg, {}, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)}, 1);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(late.status().message().find("place"), std::string::npos) << late.status().message();
  EXPECT_EQ(rig.svc->waiting(), 0u);
  rig.engine->Open();
  EXPECT_TRUE(a.get().ok());
}

}  // namespace
}  // namespace cp
