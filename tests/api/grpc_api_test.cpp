// The KServe v2 gRPC transport (src/grpc): the status mapping, the message
// conversion, and GrpcServer over loopback with the generated client stub
// against a tiny engine (deadlines, shedding, model not loaded, drain).
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "grpc/convert.h"
#include "grpc/server.h"
#include "grpc/status_mapping.h"
#include "grpc_service.grpc.pb.h"
#include "metrics/metrics.h"
#include "support/fake_engine.h"

namespace cp {
namespace {

using grpc_server::GrpcCodeFor;
using Clock = std::chrono::steady_clock;

TEST(GrpcStatusMapping, EveryCode) {
  EXPECT_EQ(GrpcCodeFor(StatusCode::kOk), grpc::StatusCode::OK);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kInvalidArgument), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kInvalidParameter), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kUnsupportedMediaType), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kTooLarge), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kUnavailable), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kOverloaded), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kDeadlineExceeded), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kNotFound), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kPermissionDenied), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kFailedPrecondition), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(GrpcCodeFor(StatusCode::kInternal), grpc::StatusCode::INTERNAL);
  const grpc::Status s = grpc_server::ToGrpcStatus(NotFound("no such model"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(s.error_message(), "no such model");
  EXPECT_TRUE(grpc_server::ToGrpcStatus(Status::Ok()).ok());
}

std::string RawFloats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

inference::ModelInferRequest Fp32Request(std::int64_t batch, float first = 1.0f) {
  inference::ModelInferRequest req;
  req.set_model_name("cp_model");
  auto* in = req.add_inputs();
  in->set_name("pixels");
  in->set_datatype("FP32");
  for (std::int64_t d : {batch, std::int64_t{3}, std::int64_t{2}, std::int64_t{2}}) in->add_shape(d);
  std::vector<float> values(static_cast<std::size_t>(batch) * 12, 0.0f);
  for (std::int64_t i = 0; i < batch; ++i) values[static_cast<std::size_t>(i) * 12] = first + static_cast<float>(i);
  req.add_raw_input_contents(RawFloats(values));
  return req;
}

TEST(GrpcConvert, RawTypedAndParameters) {
  inference::ModelInferRequest req = Fp32Request(1);
  req.set_id("r1");
  (*req.mutable_parameters())["timeout"].set_int64_param(500);
  auto* out = req.add_outputs();
  out->set_name("logits");
  (*out->mutable_parameters())["classification"].set_uint64_param(3);
  auto parsed = grpc_server::FromProto(req);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->id, "r1");
  EXPECT_EQ(parsed->timeout_us, 500u);
  ASSERT_EQ(parsed->inputs.size(), 1u);
  ASSERT_TRUE(parsed->inputs[0].raw.has_value());
  EXPECT_EQ(parsed->inputs[0].shape, (std::vector<std::int64_t>{1, 3, 2, 2}));
  auto values = kserve::ReadFp32(parsed->inputs[0]);
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(values->size(), 12u);
  EXPECT_EQ((*values)[0], 1.0f);
  ASSERT_EQ(parsed->outputs.size(), 1u);
  EXPECT_EQ(parsed->outputs[0].classification, 3u);

  inference::ModelInferRequest typed;
  auto* f = typed.add_inputs();
  f->set_datatype("FP32");
  f->mutable_contents()->add_fp32_contents(2.5f);
  auto* b = typed.add_inputs();
  b->set_datatype("BYTES");
  b->mutable_contents()->add_bytes_contents(std::string("a\0b", 3));
  auto t = grpc_server::FromProto(typed);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(*kserve::ReadFp32(t->inputs[0]), std::vector<float>{2.5f});
  EXPECT_EQ(*kserve::ReadBytes(t->inputs[1]), std::vector<std::string>{std::string("a\0b", 3)});
  EXPECT_FALSE(kserve::ReadBytes(t->inputs[0]).ok());  // FP32 contents are not BYTES
}

TEST(GrpcConvert, MalformedRequestsAreInvalidArgument) {
  auto expect_invalid = [](const inference::ModelInferRequest& r, const char* what) {
    auto p = grpc_server::FromProto(r);
    ASSERT_FALSE(p.ok()) << what;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument) << what;
  };
  inference::ModelInferRequest two = Fp32Request(1);
  *two.add_inputs() = two.inputs(0);  // two inputs, one raw content
  expect_invalid(two, "raw count");
  inference::ModelInferRequest both = Fp32Request(1);
  both.mutable_inputs(0)->mutable_contents()->add_fp32_contents(1.0f);
  expect_invalid(both, "raw and contents");
  inference::ModelInferRequest negative = Fp32Request(1);
  negative.mutable_inputs(0)->set_shape(0, -1);
  expect_invalid(negative, "negative dimension");
  inference::ModelInferRequest timeout = Fp32Request(1);
  (*timeout.mutable_parameters())["timeout"].set_string_param("soon");
  expect_invalid(timeout, "timeout not an integer");
  inference::ModelInferRequest shm = Fp32Request(1);
  (*shm.mutable_inputs(0)->mutable_parameters())["shared_memory_region"].set_string_param("r");
  expect_invalid(shm, "shared memory");
}

TEST(GrpcConvert, ResponseDataIsRaw) {
  kserve::InferResponse response{"cp_model", "1", "id-9", {}};
  response.outputs.push_back({"logits", "FP32", {1, 2}, {1.5f, -2.0f}, {}, false});
  response.outputs.push_back({"logits", "BYTES", {1, 1}, {}, {"1.5:0:cat"}, false});
  inference::ModelInferResponse proto;
  grpc_server::ToProto(response, proto);
  EXPECT_EQ(proto.model_name(), "cp_model");
  EXPECT_EQ(proto.id(), "id-9");
  ASSERT_EQ(proto.outputs_size(), 2);
  ASSERT_EQ(proto.raw_output_contents_size(), 2);
  EXPECT_EQ(proto.outputs(1).datatype(), "BYTES");
  EXPECT_EQ(proto.raw_output_contents(0), RawFloats({1.5f, -2.0f}));
  EXPECT_EQ(proto.raw_output_contents(1), std::string("\x09\x00\x00\x00", 4) + "1.5:0:cat");
}

// Tiny images (2x2), 10 classes, logits[i][j] = input[i][0] + j. Each Infer
// takes `delay` unless its deadline comes first (then kDeadlineExceeded);
// records the deadline it was given; can claim to be saturated.
class DelayEngine : public model::InferenceEngine {
 public:
  explicit DelayEngine(std::chrono::milliseconds delay = {}, bool saturated = false)
      : delay_(delay), saturated_(saturated) {
    info_.input_name = "pixels";
    info_.output_name = "logits";
    info_.height = info_.width = 2;
    info_.num_classes = 10;
  }
  const model::ModelInfo& info() const override { return info_; }
  bool Saturated() const override { return saturated_; }
  Result<std::vector<float>> Infer(std::span<const float> input, std::size_t batch,
                                   const model::InferOptions& options = {}) override {
    calls.fetch_add(1);
    {
      std::lock_guard lock(mu_);
      last_deadline_ = options.deadline;
    }
    const auto done = Clock::now() + delay_;
    if (options.deadline && *options.deadline < done) {
      std::this_thread::sleep_until(std::max(*options.deadline, Clock::now()));
      return DeadlineExceeded("delay engine: deadline passed");
    }
    std::this_thread::sleep_until(done);
    std::vector<float> out;
    for (std::size_t i = 0; i < batch; ++i) {
      for (std::size_t j = 0; j < info_.num_classes; ++j) out.push_back(input[i * 12] + static_cast<float>(j));
    }
    return out;
  }
  std::optional<Clock::time_point> last_deadline() const {
    std::lock_guard lock(mu_);
    return last_deadline_;
  }
  std::atomic<int> calls{0};

 private:
  const std::chrono::milliseconds delay_;
  const bool saturated_;
  model::ModelInfo info_;
  mutable std::mutex mu_;
  std::optional<Clock::time_point> last_deadline_;  // guarded by mu_
};

std::shared_ptr<service::ClassificationService> ServiceWith(std::shared_ptr<model::InferenceEngine> engine) {
  return std::make_shared<service::ClassificationService>(std::move(engine), test::NumberedLabels(10),
                                                          service::ServiceOptions{}, "corrupt model");
}

// A GrpcServer on 127.0.0.1 (any free port), model "cp_model", and a stub.
class Served {
 public:
  explicit Served(std::shared_ptr<model::InferenceEngine> engine, grpc_server::GrpcServerOptions options = {},
                  std::function<bool()> ready = {})
      : Served(std::make_shared<const service::ServiceSlot>(ServiceWith(std::move(engine))), std::move(options),
               std::move(ready)) {}
  // Serving from a slot, with model control (the repository RPCs).
  Served(std::shared_ptr<const service::ServiceSlot> slot, grpc_server::GrpcServerOptions options,
         std::function<bool()> ready = {}, std::shared_ptr<service::ModelControl> control = nullptr)
      : metrics_(std::make_shared<metrics::Metrics>("cp_model", "test")) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.model_name = "cp_model";
    options.threads = 4;
    server_ = std::make_unique<grpc_server::GrpcServer>(std::move(slot), options, metrics_, std::move(ready),
                                                        std::move(control));
    const Status s = server_->Bind();
    if (!s.ok()) throw std::runtime_error(s.message());
    thread_ = std::thread([this] { server_->Run(); });
    stub_ = inference::GRPCInferenceService::NewStub(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials()));
  }
  ~Served() {
    server_->Stop(std::chrono::system_clock::now());
    thread_.join();
  }
  inference::GRPCInferenceService::Stub& stub() { return *stub_; }
  grpc_server::GrpcServer& server() { return *server_; }
  metrics::Metrics& metrics() { return *metrics_; }

  grpc::Status Infer(const inference::ModelInferRequest& req, inference::ModelInferResponse& res,
                     std::optional<std::chrono::milliseconds> timeout = std::chrono::milliseconds(10'000)) {
    grpc::ClientContext ctx;
    if (timeout) ctx.set_deadline(std::chrono::system_clock::now() + *timeout);
    return stub_->ModelInfer(&ctx, req, &res);
  }

 private:
  std::shared_ptr<metrics::Metrics> metrics_;
  std::unique_ptr<grpc_server::GrpcServer> server_;
  std::thread thread_;
  std::unique_ptr<inference::GRPCInferenceService::Stub> stub_;
};

TEST(GrpcServer, HealthMetadataAndInfer) {
  std::atomic<bool> ready{true};
  Served s(std::make_shared<DelayEngine>(), {}, [&] { return ready.load(); });
  grpc::ClientContext c1;
  inference::ServerLiveResponse live;
  ASSERT_TRUE(s.stub().ServerLive(&c1, {}, &live).ok());
  EXPECT_TRUE(live.live());
  ready = false;
  grpc::ClientContext c2;
  inference::ServerReadyResponse sready;
  ASSERT_TRUE(s.stub().ServerReady(&c2, {}, &sready).ok());
  EXPECT_FALSE(sready.ready());
  ready = true;
  grpc::ClientContext c3;
  inference::ModelReadyRequest mr;
  mr.set_name("other");
  inference::ModelReadyResponse mready;
  EXPECT_EQ(s.stub().ModelReady(&c3, mr, &mready).error_code(), grpc::StatusCode::NOT_FOUND);
  grpc::ClientContext c4;
  inference::ModelMetadataRequest mm;
  mm.set_name("cp_model");
  inference::ModelMetadataResponse md;
  ASSERT_TRUE(s.stub().ModelMetadata(&c4, mm, &md).ok());
  EXPECT_EQ(md.inputs(0).name(), "pixels");
  EXPECT_EQ(md.outputs(0).shape(1), 10);

  inference::ModelInferResponse res;
  ASSERT_TRUE(s.Infer(Fp32Request(2, 5.0f), res).ok());
  ASSERT_EQ(res.raw_output_contents_size(), 1);
  std::vector<float> logits(20);
  ASSERT_EQ(res.raw_output_contents(0).size(), logits.size() * sizeof(float));
  std::memcpy(logits.data(), res.raw_output_contents(0).data(), res.raw_output_contents(0).size());
  EXPECT_EQ(logits[0], 5.0f);
  EXPECT_EQ(logits[10 + 9], 6.0f + 9.0f);
  const std::string text = s.metrics().Render();
  EXPECT_NE(text.find(R"(endpoint="grpc/ModelInfer",status="0")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(endpoint="grpc/ServerLive")"), std::string::npos);
}

TEST(GrpcServer, TheClientsDeadlineReachesTheEngine) {
  auto engine = std::make_shared<DelayEngine>(std::chrono::milliseconds(5000));
  Served s(engine);
  inference::ModelInferResponse res;
  const auto start = Clock::now();
  const grpc::Status st = s.Infer(Fp32Request(1), res, std::chrono::milliseconds(200));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  for (int i = 0; i < 100 && !engine->last_deadline(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto deadline = engine->last_deadline();
  ASSERT_TRUE(deadline.has_value());
  EXPECT_LT(*deadline - start, std::chrono::milliseconds(400));
}

TEST(GrpcServer, RequestTimeoutIsTheDeadlineWithoutAClientOne) {
  grpc_server::GrpcServerOptions options;
  options.request_timeout_ms = 100;
  Served s(std::make_shared<DelayEngine>(std::chrono::milliseconds(5000)), options);
  inference::ModelInferResponse res;
  const grpc::Status st = s.Infer(Fp32Request(1), res, std::nullopt);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_NE(st.error_message().find("deadline"), std::string::npos) << st.error_message();  // the server's own
  EXPECT_NE(s.metrics().Render().find("cross_pictures_timed_out_total 1"), std::string::npos);
}

TEST(GrpcServer, SaturatedServiceShedsBeforeRunning) {
  auto engine = std::make_shared<DelayEngine>(std::chrono::milliseconds(0), /*saturated=*/true);
  Served s(engine);
  inference::ModelInferResponse res;
  EXPECT_EQ(s.Infer(Fp32Request(1), res).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(engine->calls.load(), 0);
  EXPECT_NE(s.metrics().Render().find("cross_pictures_shed_total 1"), std::string::npos);
}

TEST(GrpcServer, ErrorsMapToGrpcCodes) {
  grpc_server::GrpcServerOptions options;
  options.max_message_bytes = 1000;
  Served s(std::make_shared<DelayEngine>(), options);
  inference::ModelInferResponse res;
  inference::ModelInferRequest unknown = Fp32Request(1);
  unknown.set_model_name("other");
  EXPECT_EQ(s.Infer(unknown, res).error_code(), grpc::StatusCode::NOT_FOUND);
  inference::ModelInferRequest version = Fp32Request(1);
  version.set_model_version("2");
  EXPECT_EQ(s.Infer(version, res).error_code(), grpc::StatusCode::NOT_FOUND);
  inference::ModelInferRequest shape = Fp32Request(1);
  shape.mutable_inputs(0)->set_shape(2, 3);
  EXPECT_EQ(s.Infer(shape, res).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.Infer(Fp32Request(30), res).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);  // > 1000 bytes
}

TEST(GrpcServer, ModelNotLoadedIsUnavailable) {
  Served s(nullptr);
  inference::ModelInferResponse res;
  EXPECT_EQ(s.Infer(Fp32Request(1), res).error_code(), grpc::StatusCode::UNAVAILABLE);
  grpc::ClientContext c1;
  inference::ModelMetadataRequest mm;
  mm.set_name("cp_model");
  inference::ModelMetadataResponse md;
  EXPECT_EQ(s.stub().ModelMetadata(&c1, mm, &md).error_code(), grpc::StatusCode::UNAVAILABLE);
  grpc::ClientContext c2;
  inference::ServerReadyResponse ready;
  ASSERT_TRUE(s.stub().ServerReady(&c2, {}, &ready).ok());
  EXPECT_FALSE(ready.ready());
}

TEST(GrpcServer, StopLetsTheCallInFlightFinish) {
  auto engine = std::make_shared<DelayEngine>(std::chrono::milliseconds(500));
  Served s(engine);
  auto call = std::async(std::launch::async, [&] {
    inference::ModelInferResponse res;
    return s.Infer(Fp32Request(1), res).error_code();
  });
  while (engine->calls.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  s.server().Stop(std::chrono::system_clock::now() + std::chrono::seconds(10));
  EXPECT_EQ(call.get(), grpc::StatusCode::OK);
  inference::ModelInferResponse res;  // after Stop: refused
  EXPECT_NE(s.Infer(Fp32Request(1), res, std::chrono::milliseconds(1000)).error_code(), grpc::StatusCode::OK);
}

}  // namespace
}  // namespace cp

namespace cp {
namespace {

// The model-repository RPCs over a ModelControl whose "model file" the test sets.
class RepositoryServed {
 public:
  explicit RepositoryServed(bool model_control_api = true)
      : control_(std::make_shared<service::ModelControl>(
            ServiceWith(std::make_shared<DelayEngine>()),
            [this]() -> Result<std::shared_ptr<const service::ClassificationService>> { return next; })),
        served_(control_->slot(), Options(model_control_api), {}, control_) {}
  static grpc_server::GrpcServerOptions Options(bool model_control_api) {
    grpc_server::GrpcServerOptions o;
    o.model_control_api = model_control_api;
    return o;
  }
  grpc::Status Load(const std::string& name, bool load = true) {
    grpc::ClientContext ctx;
    if (load) {
      inference::RepositoryModelLoadRequest req;
      req.set_model_name(name);
      inference::RepositoryModelLoadResponse res;
      return stub().RepositoryModelLoad(&ctx, req, &res);
    }
    inference::RepositoryModelUnloadRequest req;
    req.set_model_name(name);
    inference::RepositoryModelUnloadResponse res;
    return stub().RepositoryModelUnload(&ctx, req, &res);
  }
  inference::RepositoryIndexResponse Index(bool ready_only = false) {
    grpc::ClientContext ctx;
    inference::RepositoryIndexRequest req;
    req.set_ready(ready_only);
    inference::RepositoryIndexResponse res;
    EXPECT_TRUE(stub().RepositoryIndex(&ctx, req, &res).ok());
    return res;
  }
  inference::GRPCInferenceService::Stub& stub() { return served_.stub(); }
  service::ModelControl& control() { return *control_; }

  Result<std::shared_ptr<const service::ClassificationService>> next =
      std::shared_ptr<const service::ClassificationService>(ServiceWith(std::make_shared<DelayEngine>()));

 private:
  std::shared_ptr<service::ModelControl> control_;
  Served served_;
};

TEST(GrpcRepository, IndexLoadUnload) {
  RepositoryServed s;
  auto index = s.Index();
  ASSERT_EQ(index.models_size(), 1);
  EXPECT_EQ(index.models(0).name(), "cp_model");
  EXPECT_EQ(index.models(0).version(), "1");
  EXPECT_EQ(index.models(0).state(), "READY");
  const auto before = s.control().slot()->Get();
  ASSERT_TRUE(s.Load("cp_model").ok());
  EXPECT_NE(s.control().slot()->Get(), before);
  ASSERT_TRUE(s.Load("cp_model", /*load=*/false).ok());
  EXPECT_EQ(s.Index().models(0).state(), "UNAVAILABLE");
  EXPECT_EQ(s.Index(/*ready_only=*/true).models_size(), 0);
  inference::ModelInferResponse res;
  grpc::ClientContext ctx;
  EXPECT_EQ(s.stub().ModelInfer(&ctx, Fp32Request(1), &res).error_code(), grpc::StatusCode::UNAVAILABLE);
  ASSERT_TRUE(s.Load("cp_model").ok());
  EXPECT_EQ(s.Index().models(0).state(), "READY");
}

TEST(GrpcRepository, RefusalsMapToTheirCodes) {
  RepositoryServed s;
  EXPECT_EQ(s.Load("other").error_code(), grpc::StatusCode::NOT_FOUND);
  s.next = InvalidArgument("LABELS_PATH: 10 labels but the model has 5 outputs");
  const grpc::Status failed = s.Load("cp_model");
  EXPECT_EQ(failed.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(failed.error_message().find("5 outputs"), std::string::npos) << failed.error_message();
  EXPECT_EQ(s.Index().models(0).state(), "READY");  // the old model serves
  grpc::ClientContext ctx;
  inference::RepositoryModelLoadRequest req;
  req.set_model_name("cp_model");
  (*req.mutable_parameters())["config"].set_string_param("{}");
  inference::RepositoryModelLoadResponse res;
  EXPECT_EQ(s.stub().RepositoryModelLoad(&ctx, req, &res).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  RepositoryServed off(/*model_control_api=*/false);
  const grpc::Status denied = off.Load("cp_model");
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(denied.error_message().find("MODEL_CONTROL_API"), std::string::npos);
  EXPECT_EQ(off.Load("cp_model", false).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(off.Index().models(0).state(), "READY");
}

}  // namespace
}  // namespace cp
