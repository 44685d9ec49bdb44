// The real server (HttpServer + real model) on loopback.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/real_model.h"
#include "support/test_server.h"

namespace cp {
namespace {

TEST(RealServer, ClassifiesThePhotosOverHttp) {
  test::TestServer server(test::RealService());
  auto client = server.Client();
  for (const auto& photo : test::SharedPhotos()) {
    const std::string bytes = test::ReadFile(test::SharedPath("images/" + photo.file));
    auto r = client.Post("/infer", httplib::MultipartFormDataItems{{"file", bytes, photo.file, "image/jpeg"}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << photo.file << ": " << r->body;
    const auto j = nlohmann::json::parse(r->body);
    EXPECT_TRUE(photo.accepted_top1.count(j["predictions"][0]["label"].get<std::string>())) << r->body;
    EXPECT_EQ(j["predictions"].size(), 3u);
  }
  auto h = client.Get("/health");
  ASSERT_TRUE(h);
  EXPECT_EQ(nlohmann::json::parse(h->body)["model_loaded"], true);
}

}  // namespace
}  // namespace cp
