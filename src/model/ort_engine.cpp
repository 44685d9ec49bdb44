#include "model/ort_engine.h"

#include <onnxruntime_cxx_api.h>

#include <array>
#include <fstream>
#include <iterator>
#include <optional>

#include "model/cpu_int8.h"

namespace cp::model {

struct OrtEngine::Impl {
  Ort::Env env{ORT_LOGGING_LEVEL_WARNING, "cross_pictures"};
  Ort::Session session{nullptr};
  Ort::MemoryInfo memory = Ort::MemoryInfo::CreateCpu(OrtArenaAllocator, OrtMemTypeDefault);
  ModelInfo info;
};

namespace {

Status ReadSignature(Ort::Session& session, ModelInfo& info) {
  if (session.GetInputCount() != 1 || session.GetOutputCount() < 1) {
    return InvalidArgument("the model must have exactly one input and at least one output");
  }
  Ort::AllocatorWithDefaultOptions alloc;
  info.input_name = session.GetInputNameAllocated(0, alloc).get();
  info.output_name = session.GetOutputNameAllocated(0, alloc).get();

  // Keep the TypeInfo alive while its shape view is read.
  const Ort::TypeInfo in_type = session.GetInputTypeInfo(0);
  const auto in_tensor = in_type.GetTensorTypeAndShapeInfo();
  if (in_tensor.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
    return InvalidArgument("the model input '" + info.input_name + "' is not a float tensor");
  }
  const std::vector<int64_t> in = in_tensor.GetShape();
  if (in.size() != 4) return InvalidArgument("the model input must be 4-D, [N,3,H,W] or [N,H,W,3]");
  auto dim = [](int64_t d) { return d > 0 ? static_cast<int>(d) : 224; };  // dynamic H/W -> 224
  if (in[1] == 3) {
    info.layout = image::TensorLayout::kNCHW;
    info.height = dim(in[2]);
    info.width = dim(in[3]);
  } else if (in[3] == 3) {
    info.layout = image::TensorLayout::kNHWC;
    info.height = dim(in[1]);
    info.width = dim(in[2]);
  } else {
    return InvalidArgument("the model input has no 3-channel axis: expected [N,3,H,W] or [N,H,W,3]");
  }
  info.max_batch = in[0] == 1 ? 1 : 0;

  const Ort::TypeInfo out_type = session.GetOutputTypeInfo(0);
  const auto out_tensor = out_type.GetTensorTypeAndShapeInfo();
  const std::vector<int64_t> out = out_tensor.GetShape();
  if (out_tensor.GetElementType() != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT || out.size() != 2 || out[1] <= 0) {
    return InvalidArgument("the model output '" + info.output_name + "' must be a float tensor [N,classes]");
  }
  info.num_classes = static_cast<std::size_t>(out[1]);
  return Status::Ok();
}

Result<std::string> ReadModelFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read model " + path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return InvalidArgument("cannot read model " + path);
  return bytes;
}

}  // namespace

std::string RuntimeVersion() { return Ort::GetVersionString(); }

OrtEngine::OrtEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OrtEngine::~OrtEngine() = default;

Result<std::unique_ptr<OrtEngine>> OrtEngine::Load(const std::string& path, const OrtEngineOptions& options) {
  try {
    auto impl = std::make_unique<Impl>();
    Ort::SessionOptions so;
    so.SetIntraOpNumThreads(options.intra_op_threads);
    so.SetInterOpNumThreads(1);
    so.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
    so.AddConfigEntry("session.intra_op.allow_spinning", options.allow_spinning ? "1" : "0");
    const CpuInt8Path cpu = DetectCpuInt8Path();
    std::optional<ShiftedModel> scan;
    if (NeedsScan(options.int8_weights, cpu)) {
      auto bytes = ReadModelFile(path);
      if (!bytes.ok()) return bytes.status();
      auto shifted = ShiftS8WeightsToU8(std::move(bytes).value());
      if (!shifted.ok()) return InvalidArgument("cannot load model " + path + ": " + shifted.status().message());
      scan = std::move(shifted).value();
    }
    Int8Decision decision = DecideInt8(options.int8_weights, cpu, scan ? &*scan : nullptr);
    if (decision.variant == "u8-shifted") {
      try {
        impl->session = Ort::Session(impl->env, scan->bytes.data(), scan->bytes.size(), so);
      } catch (const Ort::Exception& e) {
        // ONNX Runtime lacks a u8 kernel for some shifted op: serve as given, say so.
        decision = {"native", std::string("ONNX Runtime refused the u8-shifted model (") + e.what() + ")"};
      }
    }
    scan.reset();
    if (!impl->session) impl->session = Ort::Session(impl->env, path.c_str(), so);
    if (Status s = ReadSignature(impl->session, impl->info); !s.ok()) return s;
    impl->info.int8_weights = decision.variant;
    impl->info.int8_reason = decision.reason;
    impl->info.cpu_int8_path = cpu.isa + (cpu.saturates ? " (u8 x s8 saturates)" : "");
    return std::unique_ptr<OrtEngine>(new OrtEngine(std::move(impl)));
  } catch (const Ort::Exception& e) {
    return InvalidArgument("cannot load model " + path + ": " + e.what());
  }
}

const ModelInfo& OrtEngine::info() const { return impl_->info; }

Result<std::vector<float>> OrtEngine::Infer(std::span<const float> input, std::size_t batch,
                                            const InferOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const ModelInfo& mi = impl_->info;
  if (batch == 0 || input.size() != batch * mi.image_size()) return Internal("Infer: input size does not match batch");
  if (mi.max_batch != 0 && batch > mi.max_batch) return Internal("Infer: batch larger than the model accepts");
  try {
    std::array<int64_t, 4> shape = mi.layout == image::TensorLayout::kNCHW
                                       ? std::array<int64_t, 4>{static_cast<int64_t>(batch), 3, mi.height, mi.width}
                                       : std::array<int64_t, 4>{static_cast<int64_t>(batch), mi.height, mi.width, 3};
    Ort::Value in = Ort::Value::CreateTensor<float>(impl_->memory, const_cast<float*>(input.data()), input.size(),
                                                    shape.data(), shape.size());
    const char* in_names[] = {mi.input_name.c_str()};
    const char* out_names[] = {mi.output_name.c_str()};
    std::vector<Ort::Value> outs = impl_->session.Run(Ort::RunOptions{nullptr}, in_names, &in, 1, out_names, 1);
    const auto out_info = outs[0].GetTensorTypeAndShapeInfo();
    const std::size_t n = out_info.GetElementCount();
    if (n != batch * mi.num_classes) return Internal("the model returned an unexpected number of outputs");
    const float* p = outs[0].GetTensorData<float>();
    if (options.stats != nullptr) {
      options.stats->run_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      options.stats->batch = batch;
    }
    return std::vector<float>(p, p + n);
  } catch (const Ort::Exception& e) {
    return Internal(std::string("inference failed: ") + e.what());
  }
}

}  // namespace cp::model
