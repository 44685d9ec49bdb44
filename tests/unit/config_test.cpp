#include "config/config.h"

#include <gtest/gtest.h>

#include "config/dotenv.h"
#include "config/settings.h"

namespace cp::config {
namespace {

TEST(EnvironmentMap, SplitsEachEntryAtItsFirstEquals) {
  char a[] = "MODEL_PATH=/m/a=b.onnx";
  char b[] = "EMPTY=";
  char c[] = "NO_EQUALS";
  char* envp[] = {a, b, c, nullptr};
  const SettingMap env = EnvironmentMap(envp);
  EXPECT_EQ(env.size(), 2u);
  EXPECT_EQ(env.at("MODEL_PATH"), "/m/a=b.onnx");
  EXPECT_EQ(env.at("EMPTY"), "");
  EXPECT_TRUE(EnvironmentMap(nullptr).empty());
}

TEST(DotEnv, ParsesCommentsQuotesAndExport) {
  auto m = ParseDotEnv(
      "# comment\n\nMODEL_PATH=/m/a.onnx\nexport TOP_K = 5\nLABELS_PATH=\"/with space/l.txt\"\r\n"
      "HOST='127.0.0.1'\nPORT=9000 # trailing comment\n");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->at("MODEL_PATH"), "/m/a.onnx");
  EXPECT_EQ(m->at("TOP_K"), "5");
  EXPECT_EQ(m->at("LABELS_PATH"), "/with space/l.txt");
  EXPECT_EQ(m->at("HOST"), "127.0.0.1");
  EXPECT_EQ(m->at("PORT"), "9000");
}

TEST(DotEnv, RejectsLineWithoutEquals) {
  auto m = ParseDotEnv("GOOD=1\nthis is not a setting\n");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("line 2"), std::string::npos);
}

TEST(DotEnv, MissingFileIsEmpty) {
  auto m = ReadDotEnv("/nonexistent/dir/.env");
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty());
}

TEST(Config, DefaultsAreTheDocumentedOnes) {
  auto c = Resolve({});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->host, "0.0.0.0");
  EXPECT_EQ(c->port, 8000);
  EXPECT_EQ(c->model_path, "models/resnet50-v2-7.onnx");
  EXPECT_EQ(c->labels_path, "models/imagenet_classes.txt");
  EXPECT_EQ(c->model_name, "resnet50-v2-7");
  EXPECT_EQ(c->top_k, 3);
  EXPECT_EQ(c->num_threads, AvailableCores());
  EXPECT_EQ(c->max_image_pixels, 40'000'000u);
  EXPECT_EQ(c->max_body_bytes, 20u * 1024 * 1024);
  EXPECT_EQ(c->max_body_bytes_in_flight, 16u * 1024 * 1024);
  EXPECT_EQ(c->max_connections, 10000);
  EXPECT_EQ(c->header_timeout_s, 10);
  EXPECT_GE(c->io_threads, 1);
  EXPECT_EQ(c->max_batch_size, 1);
  EXPECT_EQ(c->max_queue, 64);
  EXPECT_EQ(c->model_runners, 2);
  EXPECT_EQ(c->request_timeout_ms, 0);
  EXPECT_EQ(c->decode_concurrency, AvailableCores());
  EXPECT_TRUE(c->scaled_decode);
  EXPECT_FALSE(c->allow_truncated_images);
  EXPECT_EQ(c->drain_delay_s, 5);
  EXPECT_EQ(c->drain_timeout_s, 30);
  // The text defaults (help, README) agree with the typed ones.
  for (const auto& spec : AllSettings()) {
    if (spec.key == "TOP_K") {
      EXPECT_EQ(spec.default_value, "3");
    }
    if (spec.key == "PORT") {
      EXPECT_EQ(spec.default_value, "8000");
    }
  }
}

TEST(Config, FlagsOverrideEnvOverrideDotEnv) {
  Layers l;
  l.dotenv = {{"TOP_K", "2"}, {"PORT", "1111"}, {"HOST", "10.0.0.1"}};
  l.env = {{"TOP_K", "4"}, {"PORT", "2222"}};
  l.flags = {{"TOP_K", "6"}};
  auto c = Resolve(l);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->top_k, 6);          // flag
  EXPECT_EQ(c->port, 2222);        // env over .env
  EXPECT_EQ(c->host, "10.0.0.1");  // .env only
}

TEST(Config, BadNumbersNameTheSetting) {
  for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{{"TOP_K", "abc"},
                                                                                   {"TOP_K", "0"},
                                                                                   {"PORT", "70000"},
                                                                                   {"NUM_THREADS", "-1"},
                                                                                   {"PORT", "80x"},
                                                                                   {"MAX_BODY_BYTES", ""},
                                                                                   {"MAX_IMAGE_PIXELS", "1e9"},
                                                                                   {"ALLOW_TRUNCATED_IMAGES", "2"}}) {
    Layers l;
    l.env = {{key, value}};
    auto c = Resolve(l);
    ASSERT_FALSE(c.ok()) << key << "=" << value;
    EXPECT_EQ(c.status().message().rfind(key + ":", 0), 0u) << c.status().message();
  }
}

TEST(Config, GrpcPortDefaultsTo8001AndMinusOneDisables) {
  auto d = Resolve({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->grpc_port, 8001);
  for (const auto& [value, port] : std::vector<std::pair<std::string, int>>{{"-1", -1}, {"0", 0}, {"9001", 9001}}) {
    Layers l;
    l.env = {{"GRPC_PORT", value}};
    auto c = Resolve(l);
    ASSERT_TRUE(c.ok()) << value;
    EXPECT_EQ(c->grpc_port, port);
  }
  for (const char* bad : {"-2", "off", "65536"}) {
    Layers l;
    l.env = {{"GRPC_PORT", bad}};
    EXPECT_FALSE(Resolve(l).ok()) << bad;
  }
}

TEST(Config, BusyThreadsDefaultToTheCoresPerRunner) {
  Layers l;
  l.env = {{"NUM_THREADS", "8"}, {"MODEL_RUNNERS", "2"}};
  auto c = Resolve(l);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->busy_num_threads, 4);
  l.env = {{"NUM_THREADS", "3"}, {"MODEL_RUNNERS", "4"}};
  c = Resolve(l);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->busy_num_threads, 1);  // never 0
  l.env = {{"NUM_THREADS", "2"}, {"BUSY_NUM_THREADS", "2"}};
  c = Resolve(l);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->busy_num_threads, 2);  // one session
  l.env = {{"NUM_THREADS", "2"}, {"BUSY_NUM_THREADS", "3"}};
  c = Resolve(l);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("BUSY_NUM_THREADS"), std::string::npos);
}

TEST(Config, AllowTruncatedImages) {
  Layers l;
  l.env = {{"ALLOW_TRUNCATED_IMAGES", "1"}};
  auto c = Resolve(l);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->allow_truncated_images);
}

TEST(Config, ExplicitThreadsAndModelName) {
  Layers l;
  l.env = {{"NUM_THREADS", "1"}, {"MODEL_PATH", "/x/mobilenetv2-12-int8.onnx"}};
  auto c = Resolve(l);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->num_threads, 1);
  EXPECT_EQ(c->model_name, "mobilenetv2-12-int8");
}

TEST(Config, Int8WeightsSetting) {
  Layers l;
  EXPECT_EQ(Resolve(l)->int8_weights, "auto");
  l.env = {{"INT8_WEIGHTS", "u8"}};
  EXPECT_EQ(Resolve(l)->int8_weights, "u8");
  l.env = {{"INT8_WEIGHTS", "fp32"}};
  auto c = Resolve(l);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().rfind("INT8_WEIGHTS:", 0), 0u);
}

TEST(Config, FallbackModelOnlyWhenModelPathIsUnset) {
  Layers l;
  EXPECT_TRUE(Resolve(l)->model_path_is_default);
  l.dotenv = {{"MODEL_PATH", "models/resnet50-v2-7.onnx"}};
  auto c = Resolve(l);
  EXPECT_FALSE(c->model_path_is_default);
  c->model_path = "/nonexistent/model.onnx";
  EXPECT_EQ(ApplyModelFallback(*c), "");  // set by the user: never replaced
  EXPECT_EQ(c->model_path, "/nonexistent/model.onnx");
}

TEST(Config, MissingFilesNameTheSetting) {
  Config c;
  c.model_path = "/nonexistent/model.onnx";
  Status s = CheckFiles(c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("MODEL_PATH:", 0), 0u);
}

TEST(Settings, FlagNames) { EXPECT_EQ(FlagName("MAX_BODY_BYTES"), "max-body-bytes"); }

}  // namespace
}  // namespace cp::config
