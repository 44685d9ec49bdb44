// The v2 model-repository extension over HTTP (http/repository.h), on a
// fake engine: index, load (swap; a failed load keeps the old model and says
// why), unload, the refusals (another model, parameters, switched off).
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/fake_engine.h"
#include "support/paths.h"
#include "support/test_server.h"

namespace cp {
namespace {

using nlohmann::json;
using Built = Result<std::shared_ptr<const service::ClassificationService>>;

std::shared_ptr<const service::ClassificationService> FakeService(std::vector<float> logits) {
  return std::make_shared<service::ClassificationService>(std::make_shared<test::FakeEngine>(std::move(logits)),
                                                          test::NumberedLabels(3), service::ServiceOptions{});
}

class RepositoryApi : public ::testing::Test {
 protected:
  // The "model file": what the next load finds (a service, or why it does not load).
  Built next_ = FakeService({0, 0, 9});
  std::shared_ptr<service::ModelControl> control_ =
      std::make_shared<service::ModelControl>(FakeService({9, 0, 0}), [this]() -> Built { return next_; });
  http::HttpServerOptions options_ = [] {
    http::HttpServerOptions o;
    o.model_name = "cp_model";
    return o;
  }();
  test::TestServer server_{control_->slot(), options_, control_};
  httplib::Client client_ = server_.Client();
  std::string jpeg_ = test::ReadFile(test::DataPath("rb_baseline.jpg"));

  std::string TopLabel() {
    auto r = client_.Post("/infer", httplib::MultipartFormDataItems{{"file", jpeg_, "x.jpg", "image/jpeg"}});
    if (!r) return "no answer";
    if (r->status != 200) return std::to_string(r->status);
    return json::parse(r->body)["predictions"][0]["label"];
  }
};

TEST_F(RepositoryApi, IndexListsTheModel) {
  for (const auto& r : {client_.Get("/v2/repository/index"), client_.Post("/v2/repository/index", "", "")}) {
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body),
              json::array({{{"name", "cp_model"}, {"version", "1"}, {"state", "READY"}, {"reason", ""}}}));
  }
  auto bad = client_.Post("/v2/repository/index", "[1]", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
}

TEST_F(RepositoryApi, LoadSwapsInTheNewModel) {
  EXPECT_EQ(TopLabel(), "class 0");
  auto r = client_.Post("/v2/repository/models/cp_model/load", "", "");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["state"], "READY");
  EXPECT_EQ(TopLabel(), "class 2");
  // Triton's clients send a JSON body; empty parameters are fine.
  r = client_.Post("/v2/repository/models/cp_model/load", R"({"parameters": {}})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(RepositoryApi, AFailedLoadIs400WithWhyAndTheOldModelKeepsServing) {
  next_ = InvalidArgument("LABELS_PATH: 3 labels but the model has 5 outputs");
  auto r = client_.Post("/v2/repository/models/cp_model/load", "", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  const std::string error = json::parse(r->body)["error"];
  EXPECT_NE(error.find("5 outputs"), std::string::npos) << error;
  EXPECT_EQ(TopLabel(), "class 0");
  auto ready = client_.Get("/v2/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
}

TEST_F(RepositoryApi, UnloadThenLoad) {
  auto r = client_.Post("/v2/repository/models/cp_model/unload", "", "");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(TopLabel(), "503");
  auto ready = client_.Get("/v2/models/cp_model/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  auto index = client_.Post("/v2/repository/index", R"({"ready": true})", "application/json");
  ASSERT_TRUE(index);
  EXPECT_EQ(json::parse(index->body), json::array());
  index = client_.Get("/v2/repository/index");
  ASSERT_TRUE(index);
  EXPECT_EQ(json::parse(index->body)[0]["state"], "UNAVAILABLE");
  r = client_.Post("/v2/repository/models/cp_model/load", "", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(TopLabel(), "class 2");
}

TEST_F(RepositoryApi, Refusals) {
  auto r = client_.Post("/v2/repository/models/other/load", "", "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  r = client_.Post("/v2/repository/models/cp_model/load", R"({"parameters": {"config": "{}"}})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = client_.Post("/v2/repository/models/cp_model/load", "not json", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  r = client_.Get("/v2/repository/models/cp_model/load");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(TopLabel(), "class 0");  // nothing was loaded
}

TEST(RepositoryApiSwitchedOff, LoadAndUnloadAre403TheIndexIsAnswered) {
  auto control = std::make_shared<service::ModelControl>(FakeService({9, 0, 0}), []() -> Built {
    return FakeService({0, 0, 9});
  });
  http::HttpServerOptions options;
  options.model_control_api = false;
  test::TestServer server(control->slot(), options, control);
  auto client = server.Client();
  for (const char* path : {"/v2/repository/models/model/load", "/v2/repository/models/model/unload"}) {
    auto r = client.Post(path, "", "");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403);
    EXPECT_NE(r->body.find("MODEL_CONTROL_API"), std::string::npos) << r->body;
  }
  auto r = client.Get("/v2/repository/index");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(control->slot()->generation(), 0u);
}

// Switched off, the index still reports a load that SIGHUP started while no
// model serves (it once showed only the slot's state there: UNAVAILABLE).
TEST(RepositoryApiSwitchedOff, TheIndexShowsASighupLoad) {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto unloaded = FakeService({9, 0, 0})->WithoutModel("the model was unloaded");
  auto control = std::make_shared<service::ModelControl>(unloaded, [released]() -> Built {
    released.wait();
    return FakeService({0, 0, 9});
  });
  http::HttpServerOptions options;
  options.model_control_api = false;
  test::TestServer server(control->slot(), options, control);
  auto client = server.Client();
  auto state = [&]() -> std::string {
    auto r = client.Get("/v2/repository/index");
    if (!r || r->status != 200) return "no answer";
    return json::parse(r->body)[0]["state"];
  };
  EXPECT_EQ(state(), "UNAVAILABLE");
  control->RequestLoad();  // what SIGHUP does
  std::string seen;
  for (int i = 0; i < 200 && (seen = state()) != "LOADING"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(seen, "LOADING");
  release.set_value();
  for (int i = 0; i < 200 && control->slot()->generation() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(control->slot()->generation(), 1u);
  EXPECT_EQ(state(), "READY");
}

}  // namespace
}  // namespace cp
