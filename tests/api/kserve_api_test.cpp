// The KServe v2 endpoints (src/http/kserve.h) over real HTTP on loopback,
// against fake engines: a bare httplib::Server with only these routes (so the
// tests control readiness and the body limit), plus one check that
// HttpServer serves them too.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/kserve.h"
#include "metrics/metrics.h"
#include "support/fake_engine.h"
#include "support/paths.h"
#include "support/raw_connection.h"
#include "support/router_server.h"
#include "support/test_server.h"

namespace cp {
namespace {

using nlohmann::json;
using test::DataPath;
using test::ReadFile;
using test::SharedPath;

constexpr const char* kModel = "/v2/models/cp_model";

std::shared_ptr<service::ClassificationService> ServiceWith(std::shared_ptr<model::InferenceEngine> engine) {
  return std::make_shared<service::ClassificationService>(std::move(engine), test::NumberedLabels(10),
                                                          service::ServiceOptions{});
}

// Tiny images (2x2) and a fixed batch limit; logits[i][j] = input[i][0] + j.
// Records every batch size it was given; honours deadlines; can claim to be
// saturated.
class TinyEngine : public model::InferenceEngine {
 public:
  explicit TinyEngine(std::size_t max_batch, bool saturated = false) : saturated_(saturated) {
    info_.input_name = "pixels";
    info_.output_name = "logits";
    info_.height = info_.width = 2;
    info_.num_classes = 10;
    info_.max_batch = max_batch;
  }
  const model::ModelInfo& info() const override { return info_; }
  bool Saturated() const override { return saturated_; }
  Result<std::vector<float>> Infer(std::span<const float> input, std::size_t batch,
                                   const model::InferOptions& options = {}) override {
    if (input.size() != batch * info_.image_size() || (info_.max_batch && batch > info_.max_batch)) {
      return Internal("tiny: bad batch");
    }
    if (options.deadline && *options.deadline < std::chrono::steady_clock::now()) {
      return DeadlineExceeded("tiny: deadline passed");
    }
    std::lock_guard<std::mutex> lk(mu_);
    batches_.push_back(batch);
    std::vector<float> out;
    for (std::size_t i = 0; i < batch; ++i) {
      for (std::size_t j = 0; j < info_.num_classes; ++j) out.push_back(input[i * 12] + static_cast<float>(j));
    }
    return out;
  }
  std::vector<std::size_t> batches() const {
    std::lock_guard<std::mutex> lk(mu_);
    return batches_;
  }

 private:
  const bool saturated_;
  model::ModelInfo info_;
  mutable std::mutex mu_;
  std::vector<std::size_t> batches_;
};

// Only the KServe routes, on 127.0.0.1 (any free port), model "cp_model".
class KServeServer {
 public:
  KServeServer(std::shared_ptr<const service::ClassificationService> svc, std::function<bool()> ready,
               std::uint64_t max_body = 4 << 20, std::shared_ptr<metrics::Metrics> metrics = nullptr,
               std::shared_ptr<Budget> body_budget = nullptr)
      : server_(Routes(std::move(svc), std::move(ready), std::move(metrics)), max_body, std::move(body_budget)) {}
  int port() const { return server_.port(); }
  httplib::Client Client() const { return server_.Client(); }

 private:
  static http::Router Routes(std::shared_ptr<const service::ClassificationService> svc, std::function<bool()> ready,
                             std::shared_ptr<metrics::Metrics> metrics) {
    http::KServeContext ctx;
    ctx.slot = std::make_shared<const service::ServiceSlot>(std::move(svc));
    ctx.model_name = "cp_model";
    ctx.ready = std::move(ready);
    ctx.metrics = std::move(metrics);
    http::Router router;
    http::RegisterKServeRoutes(router, std::move(ctx));
    return router;
  }
  test::RouterServer server_;
};

using test::RawConnection;
using test::RawResponse;

std::string RawFloats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::string RawBytesElement(const std::string& e) {
  const auto n = static_cast<std::uint32_t>(e.size());
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return out + e;
}

// A response of the binary extension: its JSON header and the raw rest.
std::pair<json, std::string> SplitBinary(const httplib::Response& r) {
  const auto n = static_cast<std::size_t>(std::stoul(r.get_header_value("Inference-Header-Content-Length")));
  return {json::parse(r.body.substr(0, n)), r.body.substr(n)};
}

std::string Base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (const unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) out.push_back(kAlphabet[(acc >> (bits -= 6)) & 63]);
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

json Fp32Input(std::size_t batch, const json& data) {
  return {{"name", "input"}, {"datatype", "FP32"}, {"shape", {batch, 3, 224, 224}}, {"data", data}};
}

class KServeApi : public ::testing::Test {
 protected:
  httplib::Result Post(const json& request, const std::string& path = std::string(kModel) + "/infer") {
    return client_.Post(path.c_str(), request.dump(), "application/json");
  }
  httplib::Result PostBinary(const json& header, const std::string& raw) {
    const std::string text = header.dump();
    httplib::Headers h = {{"Inference-Header-Content-Length", std::to_string(text.size())}};
    return client_.Post((std::string(kModel) + "/infer").c_str(), h, text + raw, "application/octet-stream");
  }
  void ExpectError(const httplib::Result& r, int status, const std::string& fragment) {
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, status) << r->body;
    const json j = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << r->body;
    EXPECT_NE(j["error"].get<std::string>().find(fragment), std::string::npos) << r->body;
  }

  std::shared_ptr<test::FakeEngine> engine_ =
      std::make_shared<test::FakeEngine>(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  std::atomic<bool> ready_{true};
  KServeServer server_{ServiceWith(engine_), [this] { return ready_.load(); }};
  httplib::Client client_ = server_.Client();
  std::string jpeg_ = ReadFile(DataPath("rb_baseline.jpg"));
  std::vector<float> image_ = std::vector<float>(3 * 224 * 224, 0.5f);
};

TEST_F(KServeApi, ServerMetadataAndHealth) {
  auto meta = client_.Get("/v2");
  ASSERT_TRUE(meta);
  ASSERT_EQ(meta->status, 200);
  const json j = json::parse(meta->body);
  EXPECT_EQ(j["name"], "cross_pictures");
  EXPECT_TRUE(j["version"].is_string());
  EXPECT_EQ(j["extensions"], json({"classification", "binary_tensor_data"}));
  for (const char* path :
       {"/v2/health/live", "/v2/health/ready", "/v2/models/cp_model/ready", "/v2/models/cp_model/versions/1/ready"}) {
    auto r = client_.Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
  }
  ready_ = false;  // warming up or draining: live, not ready
  EXPECT_EQ(client_.Get("/v2/health/live")->status, 200);
  ExpectError(client_.Get("/v2/health/ready"), 503, "not ready");
  ExpectError(client_.Get("/v2/models/cp_model/ready"), 503, "not ready");
}

TEST_F(KServeApi, ModelMetadata) {
  for (const char* path : {"/v2/models/cp_model", "/v2/models/cp_model/versions/1"}) {
    auto r = client_.Get(path);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << path;
    EXPECT_EQ(json::parse(r->body),
              json::parse(R"({"name": "cp_model", "versions": ["1"], "platform": "onnxruntime_onnx",
                "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 3, 224, 224]}],
                "outputs": [{"name": "output", "datatype": "FP32", "shape": [-1, 10]}]})"));
  }
}

TEST_F(KServeApi, UnknownModelOrVersionIs404) {
  ExpectError(client_.Get("/v2/models/other"), 404, "unknown model 'other'");
  ExpectError(client_.Get("/v2/models/other/ready"), 404, "unknown model");
  ExpectError(client_.Get("/v2/models/cp_model/versions/2"), 404, "unknown version '2'");
  ExpectError(Post({{"inputs", {Fp32Input(1, image_)}}}, "/v2/models/other/infer"), 404, "unknown model");
  EXPECT_EQ(engine_->calls.load(), 0);
}

// JSON Schema's integer is a value: 224.0 is 224 (schemathesis and some JSON encoders send whole floats); 2.5 is not.
TEST_F(KServeApi, WholeFloatsAreIntegersFractionsAreNot) {
  json in = Fp32Input(1, image_);
  in["shape"] = {1.0, 3.0, 224.0, 224.0};
  auto ok = Post({{"inputs", {in}}, {"outputs", {{{"name", "output"}, {"parameters", {{"classification", 2.0}}}}}}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  in["shape"] = {1, 3, 224, 224.5};
  auto bad = Post({{"inputs", {in}}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
}

TEST_F(KServeApi, Fp32JsonFlatAndNested) {
  std::vector<float> two = image_;
  two.insert(two.end(), image_.begin(), image_.end());
  auto flat = Post({{"id", "r1"}, {"inputs", {Fp32Input(2, two)}}});
  ASSERT_TRUE(flat);
  ASSERT_EQ(flat->status, 200) << flat->body;
  EXPECT_EQ(flat->get_header_value("Content-Type"), "application/json");
  const json j = json::parse(flat->body);
  EXPECT_EQ(j["model_name"], "cp_model");
  EXPECT_EQ(j["model_version"], "1");
  EXPECT_EQ(j["id"], "r1");
  ASSERT_EQ(j["outputs"].size(), 1u);
  EXPECT_EQ(j["outputs"][0]["name"], "output");
  EXPECT_EQ(j["outputs"][0]["datatype"], "FP32");
  EXPECT_EQ(j["outputs"][0]["shape"], json({2, 10}));
  ASSERT_EQ(j["outputs"][0]["data"].size(), 20u);
  EXPECT_EQ(j["outputs"][0]["data"][19], 9.0);
  EXPECT_EQ(engine_->images.load(), 2u);

  const json row = std::vector<float>(224, 0.25f);
  const json nested = {
      json::array({std::vector<json>(224, row), std::vector<json>(224, row), std::vector<json>(224, row)})};
  auto r = Post({{"inputs", {Fp32Input(1, nested)}}, {"outputs", {{{"name", "output"}}}}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body.substr(0, 200);
  EXPECT_FALSE(json::parse(r->body).contains("id"));
}

TEST_F(KServeApi, Fp32BinaryInAndOut) {
  const json header = {{"inputs",
                        {{{"name", "input"},
                          {"datatype", "FP32"},
                          {"shape", {1, 3, 224, 224}},
                          {"parameters", {{"binary_data_size", image_.size() * 4}}}}}},
                       {"parameters", {{"binary_data_output", true}}}};
  auto r = PostBinary(header, RawFloats(image_));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body.substr(0, 300);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/octet-stream");
  auto [j, raw] = SplitBinary(*r);
  EXPECT_EQ(j["outputs"][0]["parameters"]["binary_data_size"], 40);
  EXPECT_FALSE(j["outputs"][0].contains("data"));
  ASSERT_EQ(raw.size(), 40u);
  float last = 0;
  std::memcpy(&last, raw.data() + 36, 4);
  EXPECT_EQ(last, 9.0f);

  // A per-output binary_data: false overrides the request's binary_data_output.
  json json_out = header;
  json_out["outputs"] = {{{"name", "output"}, {"parameters", {{"binary_data", false}}}}};
  auto r2 = PostBinary(json_out, RawFloats(image_));
  ASSERT_TRUE(r2);
  ASSERT_EQ(r2->status, 200);
  EXPECT_FALSE(r2->has_header("Inference-Header-Content-Length"));
  EXPECT_EQ(json::parse(r2->body)["outputs"][0]["data"].size(), 10u);
}

TEST_F(KServeApi, EncodedImagesInBinaryAndJson) {
  const std::string raw = RawBytesElement(jpeg_) + RawBytesElement(jpeg_);
  const json header = {{"inputs",
                        {{{"name", "images"},
                          {"datatype", "BYTES"},
                          {"shape", {2, 1}},
                          {"parameters", {{"binary_data_size", raw.size()}}}}}}};
  auto r = PostBinary(header, raw);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["outputs"][0]["shape"], json({2, 10}));
  EXPECT_EQ(engine_->calls.load(), 1);  // one engine run for the whole batch
  EXPECT_EQ(engine_->images.load(), 2u);

  const json b64 = {{"inputs",
                     {{{"name", "input"},
                       {"datatype", "BYTES"},
                       {"shape", {1}},
                       {"parameters", {{"content_type", "base64"}}},
                       {"data", {Base64(jpeg_)}}}}}};
  auto r2 = Post(b64);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 200) << r2->body;
}

TEST_F(KServeApi, ClassificationExtension) {
  const json request = {{"inputs", {Fp32Input(1, image_)}},
                        {"outputs", {{{"name", "output"}, {"parameters", {{"classification", 3}}}}}}};
  auto r = Post(request);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json out = json::parse(r->body)["outputs"][0];
  EXPECT_EQ(out["datatype"], "BYTES");
  EXPECT_EQ(out["shape"], json({1, 3}));
  EXPECT_EQ(out["data"], json({"9.000000:9:class 9", "8.000000:8:class 8", "7.000000:7:class 7"}));

  json binary = request;
  binary["outputs"][0]["parameters"] = {{"classification", 50}, {"binary_data", true}};  // k clamped to 10
  auto rb = Post(binary);
  ASSERT_TRUE(rb);
  ASSERT_EQ(rb->status, 200) << rb->body;
  auto [j, raw] = SplitBinary(*rb);
  EXPECT_EQ(j["outputs"][0]["shape"], json({1, 10}));
  EXPECT_EQ(raw.substr(0, 4 + 18), RawBytesElement("9.000000:9:class 9"));
  EXPECT_EQ(j["outputs"][0]["parameters"]["binary_data_size"], raw.size());
}

TEST_F(KServeApi, MalformedRequestsAre400) {
  ExpectError(Post({{"inputs", {Fp32Input(1, {1, 2, 3})}}}), 400, "needs 150528");
  json bad_shape = Fp32Input(1, image_);
  bad_shape["shape"] = {1, 3, 100, 100};
  ExpectError(Post({{"inputs", {bad_shape}}}), 400, "expected [-1,3,224,224]");
  json zero_batch = Fp32Input(0, json::array());
  ExpectError(Post({{"inputs", {zero_batch}}}), 400, "shape");
  json int64 = Fp32Input(1, image_);
  int64["datatype"] = "INT64";
  ExpectError(Post({{"inputs", {int64}}}), 400, "datatype INT64");
  json renamed = Fp32Input(1, image_);
  renamed["name"] = "pixels";
  ExpectError(Post({{"inputs", {renamed}}}), 400, "unknown input 'pixels'");
  ExpectError(Post({{"inputs", {Fp32Input(1, image_), Fp32Input(1, image_)}}}), 400, "exactly one input");
  ExpectError(Post({{"inputs", json::array()}}), 400, "exactly one input");
  ExpectError(Post({{"inputs", {Fp32Input(1, image_)}}, {"outputs", {{{"name", "probs"}}}}}), 400,
              "unknown output 'probs'");
  ExpectError(Post({{"inputs", {Fp32Input(1, {"a"})}}}), 400, "numbers");
  ExpectError(Post({{"inputs", 3}}), 400, "inputs must be an array");
  ExpectError(client_.Post("/v2/models/cp_model/infer", "{\"inputs\": [", "application/json"), 400, "not valid JSON");
  ExpectError(client_.Post("/v2/models/cp_model/infer", "[1]", "application/json"), 400, "JSON object");

  const json bytes_header = {
      {"inputs",
       {{{"name", "img"}, {"datatype", "BYTES"}, {"shape", {1}}, {"parameters", {{"binary_data_size", 8}}}}}}};
  ExpectError(PostBinary(bytes_header, std::string("\x09\0\0\0abcd", 8)), 400, "truncated");
  ExpectError(PostBinary(bytes_header, std::string("\x04\0\0\0abcd", 8)), 400, "element 0");  // not an image
  ExpectError(PostBinary(bytes_header, std::string("\x04\0\0\0abcd", 8) + "xx"), 400, "2 bytes of binary data");
  ExpectError(PostBinary(bytes_header, "abc"), 400, "only 3 bytes");
  ExpectError(Post({{"inputs", {{{"name", "img"}, {"datatype", "BYTES"}, {"shape", {2}}, {"data", {"x"}}}}}}), 400,
              "needs 2");
  ExpectError(Post({{"inputs", {{{"name", "img"}, {"datatype", "BYTES"}, {"shape", {1, 2}}, {"data", {"x", "y"}}}}}}),
              400, "[N] or [N,1]");
  httplib::Headers h = {{"Inference-Header-Content-Length", "999"}};
  ExpectError(client_.Post("/v2/models/cp_model/infer", h, "{}", "application/json"), 400, "larger than the body");
  EXPECT_EQ(engine_->calls.load(), 0);
}

TEST_F(KServeApi, ImageErrorsKeepTheirStatus) {
  auto post_image = [&](const std::string& bytes) {
    return Post({{"inputs",
                  {{{"name", "img"},
                    {"datatype", "BYTES"},
                    {"shape", {1}},
                    {"parameters", {{"content_type", "base64"}}},
                    {"data", {Base64(bytes)}}}}}});
  };
  ExpectError(post_image(ReadFile(DataPath("garbage.bin"))), 400, "element 0");
  ExpectError(post_image(ReadFile(DataPath("bomb_header.png"))), 413, "element 0");
}

TEST_F(KServeApi, HalfAJpegAsBytesIs400Truncated) {
  const std::string eagle = ReadFile(SharedPath("images/eagle.jpg"));
  const std::string raw = RawBytesElement(eagle.substr(0, eagle.size() / 2));
  const json header = {{"inputs",
                        {{{"name", "images"},
                          {"datatype", "BYTES"},
                          {"shape", {1}},
                          {"parameters", {{"binary_data_size", raw.size()}}}}}}};
  ExpectError(PostBinary(header, raw), 400, "the JPEG image is truncated (libjpeg: Premature end of JPEG file)");
  EXPECT_EQ(engine_->calls.load(), 0);
}

TEST(KServeLimits, OversizedBodyIs413) {
  KServeServer server(ServiceWith(std::make_shared<test::FakeEngine>(std::vector<float>(10, 0.0f))), {}, 4096);
  auto client = server.Client();
  auto r = client.Post("/v2/models/cp_model/infer", std::string(100000, ' '), "application/json");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(json::parse(r->body)["error"].is_string()) << r->body;
  auto live = server.Client().Get("/v2/health/live");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
}

TEST(KServeLimits, OversizedBodyIsSkippedSoTheConnectionStaysUsable) {
  KServeServer server(ServiceWith(std::make_shared<test::FakeEngine>(std::vector<float>(10, 0.0f))), {}, 4096);
  RawConnection conn(server.port());
  const std::string body(100000, ' ');
  auto big = conn.Exchange(
      "POST /v2/models/cp_model/infer HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  EXPECT_EQ(big.status, 413) << big.head;
  auto live = conn.Exchange("GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(live.status, 200) << live.head << live.body;
}

TEST(KServeModel, NotLoadedAnswers503) {
  auto svc = std::make_shared<service::ClassificationService>(nullptr, test::NumberedLabels(10),
                                                              service::ServiceOptions{}, "corrupt model");
  KServeServer server(svc, {});
  auto client = server.Client();
  EXPECT_EQ(client.Get("/v2/health/live")->status, 200);
  for (const char* path : {"/v2/health/ready", "/v2/models/cp_model/ready", "/v2/models/cp_model"}) {
    auto r = client.Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << path;
    EXPECT_NE(json::parse(r->body)["error"].get<std::string>().find("not loaded"), std::string::npos);
  }
  auto r = client.Post("/v2/models/cp_model/infer", json{{"inputs", {Fp32Input(1, {0})}}}.dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
}

json TinyRequest(std::size_t batch) {
  std::vector<float> input;
  for (std::size_t i = 0; i < batch; ++i) input.insert(input.end(), 12, static_cast<float>(10 * i));
  return {{"inputs", {{{"name", "pixels"}, {"datatype", "FP32"}, {"shape", {batch, 3, 2, 2}}, {"data", input}}}}};
}

TEST(KServeBatching, ChunksToTheModelsBatchLimit) {
  auto engine = std::make_shared<TinyEngine>(2);
  KServeServer server(ServiceWith(engine), {});
  auto r = server.Client().Post("/v2/models/cp_model/infer", TinyRequest(5).dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json out = json::parse(r->body)["outputs"][0];
  EXPECT_EQ(out["name"], "logits");
  EXPECT_EQ(out["shape"], json({5, 10}));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(out["data"][i * 10], 10.0 * i) << i;  // rows in order
  EXPECT_EQ(engine->batches(), (std::vector<std::size_t>{2, 2, 1}));
}

TEST(KServeBatching, EncodedImagesRunInChunksOfTheServicesPlaces) {
  auto engine = std::make_shared<TinyEngine>(0);
  service::ServiceOptions options;
  options.prepared_ahead = 3;  // no more tensors at once than places
  KServeServer server(std::make_shared<service::ClassificationService>(engine, test::NumberedLabels(10), options), {});
  const std::string jpeg = ReadFile(DataPath("rb_baseline.jpg"));
  std::string raw;
  for (int i = 0; i < 7; ++i) raw += RawBytesElement(jpeg);
  const std::string header = json{{"inputs",
                                   {{{"name", "images"},
                                     {"datatype", "BYTES"},
                                     {"shape", {7}},
                                     {"parameters", {{"binary_data_size", raw.size()}}}}}}}
                                 .dump();
  auto r = server.Client().Post(std::string(kModel) + "/infer",
                                {{"Inference-Header-Content-Length", std::to_string(header.size())}}, header + raw,
                                "application/octet-stream");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["outputs"][0]["shape"], json({7, 10}));
  EXPECT_EQ(engine->batches(), (std::vector<std::size_t>{3, 3, 1}));
}

TEST(KServeLoad, SaturatedEngineShedsWith503BeforeRunning) {
  auto engine = std::make_shared<TinyEngine>(0, /*saturated=*/true);
  KServeServer server(ServiceWith(engine), {});
  auto r = server.Client().Post("/v2/models/cp_model/infer", TinyRequest(1).dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  EXPECT_TRUE(engine->batches().empty());
}

TEST(KServeLoad, DeadlinesReachTheEngine) {
  auto engine = std::make_shared<TinyEngine>(0);
  KServeServer server(ServiceWith(engine), {});
  auto client = server.Client();
  json request = TinyRequest(1);
  request["parameters"] = {{"timeout", 1}};  // Triton's request timeout, microseconds: passed on arrival
  auto late = client.Post("/v2/models/cp_model/infer", request.dump(), "application/json");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 504) << late->body;
  request["parameters"] = {{"timeout", 60'000'000}};
  auto in_time = client.Post("/v2/models/cp_model/infer", request.dump(), "application/json");
  ASSERT_TRUE(in_time);
  EXPECT_EQ(in_time->status, 200) << in_time->body;
  httplib::Headers bad = {{"X-Request-Timeout-Ms", "soon"}};
  auto r = client.Post("/v2/models/cp_model/infer", bad, TinyRequest(1).dump(), "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(json::parse(r->body)["error"].get<std::string>().find("X-Request-Timeout-Ms"), std::string::npos);
}

TEST(KServeLoad, BodyWaitsForRoomInTheBudgetBoundedByItsDeadline) {
  auto engine = std::make_shared<TinyEngine>(0);
  auto budget = std::make_shared<Budget>(1000, "memory to receive its body");
  KServeServer server(ServiceWith(engine), {}, 4 << 20, nullptr, budget);
  auto client = server.Client();
  auto held = budget->Reserve(1000, std::nullopt);  // as if other uploads held all of it
  ASSERT_TRUE(held.ok());
  auto late = client.Post("/v2/models/cp_model/infer", {{"X-Request-Timeout-Ms", "200"}}, TinyRequest(1).dump(),
                          "application/json");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 504) << late->body;
  EXPECT_NE(json::parse(late->body)["error"].get<std::string>().find("memory"), std::string::npos) << late->body;
  EXPECT_TRUE(engine->batches().empty());
  { auto released = std::move(held).value(); }
  auto ok = client.Post("/v2/models/cp_model/infer", TinyRequest(1).dump(), "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(budget->in_use(), 0u);
}

TEST(KServeWiring, HttpServerServesTheKServeRoutes) {
  test::TestServer server(ServiceWith(std::make_shared<test::FakeEngine>(std::vector<float>(10, 0.0f))));
  auto client = server.Client();
  auto meta = client.Get("/v2/models/model");  // HttpServerOptions' default model_name
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->status, 200) << meta->body;
  auto ready = client.Get("/v2/health/ready");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  auto health = client.Get("/health");  // the service's own API is still there
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

// A client that asks first (Expect: 100-continue) with a declared body beyond the limit is refused by HttpServer's
// hook before it sends a byte: in KServe's shape under /v2, in FastAPI's elsewhere.
TEST(KServeWiring, ExpectContinueBeyondTheLimitIs413InKServesShape) {
  http::HttpServerOptions o;
  o.max_body_bytes = 4096;
  test::TestServer server(ServiceWith(std::make_shared<test::FakeEngine>(std::vector<float>(10, 0.0f))), o);
  auto ask_first = [&](const std::string& path) {
    return RawConnection(server.port())
        .Exchange("POST " + path +
                  " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n"
                  "Expect: 100-continue\r\n\r\n");
  };
  for (const char* path : {"/v2/models/model/infer", "/v2/models/model/versions/1/infer", "/v2/models/other/infer"}) {
    const RawResponse r = ask_first(path);
    EXPECT_EQ(r.status, 413) << path << "\n" << r.head;
    EXPECT_NE(r.head.find("\r\nConnection: close"), std::string::npos) << path << "\n" << r.head;
    EXPECT_EQ(json::parse(r.body, nullptr, false), json({{"error", "the request body is larger than 4096 bytes"}}))
        << path << ": " << r.body;
  }
  const RawResponse own = ask_first("/infer");
  EXPECT_EQ(own.status, 413) << own.head;
  EXPECT_EQ(json::parse(own.body, nullptr, false), json({{"detail", "the request body is larger than 4096 bytes"}}))
      << own.body;
}

// Errors the library raises itself (no such route, a body beyond the limit on a route that does not read it) are in
// KServe's shape under /v2 and in FastAPI's everywhere else.
TEST(KServeWiring, LibraryErrorsUnderV2AreInKServesShape) {
  http::HttpServerOptions o;
  o.max_body_bytes = 4096;
  test::TestServer server(ServiceWith(std::make_shared<test::FakeEngine>(std::vector<float>(10, 0.0f))), o);
  auto client = server.Client();
  auto expect_body = [](const httplib::Result& r, int status, const json& body) {
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, status) << r->body;
    EXPECT_EQ(json::parse(r->body, nullptr, false), body) << r->body;
  };
  expect_body(client.Get("/v2/foo"), 404, {{"error", "no such endpoint: GET /v2/foo"}});
  expect_body(client.Post("/v2/models/x/bogus", "{}", "application/json"), 404,
              {{"error", "no such endpoint: POST /v2/models/x/bogus"}});
  // A path that exists, with a method it does not take: 405 and Allow.
  expect_body(client.Get("/v2/models/model/infer"), 405,
              {{"error", "method GET not allowed on /v2/models/model/infer (allowed: POST)"}});
  expect_body(client.Post("/v2", "{}", "application/json"), 405,
              {{"error", "method POST not allowed on /v2 (allowed: GET)"}});
  auto wrong = client.Delete("/v2/health/ready");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->get_header_value("Allow"), "GET");
  // A percent-decoded path that is not UTF-8 is echoed with U+FFFD, never thrown on.
  expect_body(client.Get("/v2/%FF"), 404, {{"error", "no such endpoint: GET /v2/\xEF\xBF\xBD"}});
  const std::string big(100000, ' ');
  expect_body(client.Post("/v2/models/model/bogus", big, "application/json"), 413,
              {{"error", "the request body is larger than 4096 bytes"}});
  // The service's own API, and paths that only look like /v2, keep FastAPI's shape.
  expect_body(client.Get("/nope"), 404, {{"detail", "Not Found"}});
  expect_body(client.Get("/v2foo"), 404, {{"detail", "Not Found"}});
  expect_body(client.Post("/nope", big, "application/json"), 413,
              {{"detail", "the request body is larger than 4096 bytes"}});
}

// As /infer does: an unknown model or version and a saturated engine are refused before the body is read or parsed
// (a malformed or multipart body would otherwise be a 400), the body discarded as it arrives so that the kept-alive
// connection stays in sync; the shed requests are counted.
TEST(KServeLoad, RefusedBeforeTheBodyIsReadOnAConnectionThatStaysUsable) {
  auto engine = std::make_shared<TinyEngine>(0, /*saturated=*/true);
  auto metrics = std::make_shared<metrics::Metrics>("cp_model", "test");
  KServeServer server(ServiceWith(engine), {}, 4 << 20, metrics);
  auto post = [](const std::string& path, const std::string& type, const std::string& body) {
    return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  const std::string not_json = "{\"inputs\": [" + std::string(100000, ' ');
  const std::string multipart =
      "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" +
      std::string(50000, 'x') + "\r\n--b--\r\n";
  auto expect_error = [](const RawResponse& r, int status, const std::string& fragment) {
    EXPECT_EQ(r.status, status) << r.head << "\n" << r.body;
    const json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error") && j["error"].is_string()) << r.body;
    EXPECT_NE(j["error"].get<std::string>().find(fragment), std::string::npos) << r.body;
  };

  // Every exchange below on this one connection: five, the most httplib (0.11) serves on one by default.
  RawConnection conn(server.port());
  const RawResponse shed = conn.Exchange(post("/v2/models/cp_model/infer", "application/json", not_json));
  expect_error(shed, 503, "capacity");
  EXPECT_NE(shed.head.find("\r\nRetry-After: 1"), std::string::npos) << shed.head;
  expect_error(
      conn.Exchange(post("/v2/models/cp_model/versions/1/infer", "multipart/form-data; boundary=b", multipart)), 503,
      "capacity");
  expect_error(conn.Exchange(post("/v2/models/other/infer", "multipart/form-data; boundary=b", multipart)), 404,
               "unknown model 'other'");
  expect_error(conn.Exchange(post("/v2/models/cp_model/versions/2/infer", "application/json", not_json)), 404,
               "unknown version '2'");
  EXPECT_EQ(conn.Exchange("GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").status, 200);
  EXPECT_TRUE(engine->batches().empty());
  const std::string exposition = metrics->Render();
  EXPECT_NE(exposition.find("\ncross_pictures_shed_total 2\n"), std::string::npos) << exposition;
}

}  // namespace
}  // namespace cp
