#include "model/ort_engine.h"

#include <onnxruntime_cxx_api.h>

#include <array>
#include <atomic>
#include <fstream>
#include <iterator>
#include <optional>

#include "model/cpu_int8.h"
#include "model/mem_file.h"
#include "model/shared_weights.h"

namespace cp::model {

// Declaration order is destruction order reversed: the sessions go first,
// then the weights they read, then the environment.
struct OrtEngine::Impl {
  Ort::Env env{ORT_LOGGING_LEVEL_WARNING, "cross_pictures"};
  std::optional<SharedWeights> weights;  // only with a busy session: what both sessions read in place
  Ort::Session session{nullptr};         // intra_op_threads: a run that starts while no other is in progress
  Ort::Session busy{nullptr};            // busy_threads: a run that starts during another (null: none)
  std::atomic<int> runs{0};              // runs in progress, on either session
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

Ort::SessionOptions SessionOptionsFor(int threads, bool spinning) {
  Ort::SessionOptions so;
  so.SetIntraOpNumThreads(threads);
  so.SetInterOpNumThreads(1);
  so.SetExecutionMode(ExecutionMode::ORT_SEQUENTIAL);
  so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_ENABLE_ALL);
  so.AddConfigEntry("session.intra_op.allow_spinning", spinning ? "1" : "0");
  return so;
}

}  // namespace

// Where ORT writes the model it optimizes while it creates the first
// session: the graph, and its large initializers as external data in a
// second file. ORT streams them there, so writing costs no in-memory copy of
// the weights (embedded, it cost +150 MB of peak RSS for ResNet-50).
struct OrtEngine::Optimized {
  MemFile model;
  MemFile data;
};

// The two sessions of the model ORT optimized (for this CPU), on one
// SharedWeights.
Status OrtEngine::LoadSharedSessions(Impl& impl, const Optimized& written, const OrtEngineOptions& options) {
  auto bytes = written.model.ReadAll();
  if (!bytes.ok()) return Internal("the optimized model could not be read back: " + bytes.status().message());
  auto weights = SharedWeights::FromModel(*bytes, written.data);
  if (!weights.ok()) return weights.status();
  impl.weights.emplace(std::move(weights).value());
  // Each session prepacks its own kernels' weights (for ResNet-50 fp32 only
  // the 8 MB classifier): ORT 1.21's QLinearConv cannot share them through
  // a prepacked-weights container, and one failed attempt logs an error.
  auto shared = [&](int threads) {
    Ort::SessionOptions so = SessionOptionsFor(threads, options.allow_spinning);
    so.SetGraphOptimizationLevel(GraphOptimizationLevel::ORT_DISABLE_ALL);  // optimized already
    impl.weights->AddTo(so);
    return Ort::Session(impl.env, bytes->data(), bytes->size(), so);
  };
  try {
    impl.session = shared(options.intra_op_threads);
    impl.busy = shared(options.busy_threads);
  } catch (const Ort::Exception& e) {
    impl.session = Ort::Session(nullptr);
    impl.busy = Ort::Session(nullptr);
    impl.weights.reset();
    return Internal(std::string("ONNX Runtime refused the optimized model: ") + e.what());
  }
  return Status::Ok();
}

std::string RuntimeVersion() { return Ort::GetVersionString(); }

OrtEngine::OrtEngine(std::unique_ptr<Impl> impl, int intra_threads, int busy_threads)
    : impl_(std::move(impl)), intra_threads_(intra_threads), busy_threads_(busy_threads) {}
OrtEngine::~OrtEngine() = default;

Result<std::unique_ptr<OrtEngine>> OrtEngine::Load(const std::string& path, const OrtEngineOptions& options) {
  try {
    auto impl = std::make_unique<Impl>();
    Ort::SessionOptions so = SessionOptionsFor(options.intra_op_threads, options.allow_spinning);
    // For a second, narrower session: ORT writes the model it optimizes while
    // it creates the first session (one optimization pass, nothing on disk).
    const bool want_busy = options.busy_threads > 0 && options.busy_threads < options.intra_op_threads;
    std::string no_busy;  // why there is no second session, when one was asked for
    std::optional<Optimized> optimized;
    if (want_busy) {
      auto model = MemFile::Create("cross_pictures-optimized.onnx");
      auto data = MemFile::Create("cross_pictures-optimized.data");
      if (!model.ok() || !data.ok()) {
        no_busy = (model.ok() ? data : model).status().message();
      } else {
        optimized.emplace(Optimized{std::move(model).value(), std::move(data).value()});
        so.SetOptimizedModelFilePath(optimized->model.path().c_str());
        // Relative to the model's directory, /proc/self/fd: the data's memfd.
        const std::string data_name = std::to_string(optimized->data.fd());
        so.AddConfigEntry("session.optimized_model_external_initializers_file_name", data_name.c_str());
        // ORT warns that the written model fits only this CPU: it is read
        // back in this process, on this CPU, and nowhere else.
        so.SetLogSeverityLevel(ORT_LOGGING_LEVEL_ERROR);
        // This session never runs (the shared ones replace it): nothing to
        // prepack or plan (load peak for ResNet-50: 390 MB instead of 414).
        so.AddConfigEntry("session.disable_prepacking", "1");
        so.DisableCpuMemArena();
        so.DisableMemPattern();
      }
    }
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
    auto create = [&](const Ort::SessionOptions& o) {
      if (decision.variant == "u8-shifted") {
        try {
          return Ort::Session(impl->env, scan->bytes.data(), scan->bytes.size(), o);
        } catch (const Ort::Exception& e) {
          // ONNX Runtime lacks a u8 kernel for some shifted op: serve as given, say so.
          decision = {"native", std::string("ONNX Runtime refused the u8-shifted model (") + e.what() + ")"};
        }
      }
      return Ort::Session(impl->env, path.c_str(), o);
    };
    const Ort::SessionOptions plain = SessionOptionsFor(options.intra_op_threads, options.allow_spinning);
    try {
      impl->session = create(so);
    } catch (const Ort::Exception& e) {
      if (!optimized) throw;
      optimized.reset();  // perhaps only writing the optimized model failed: load without it
      no_busy = std::string("ONNX Runtime could not write the optimized model: ") + e.what();
      impl->session = create(plain);
    }
    if (Status s = ReadSignature(impl->session, impl->info); !s.ok()) return s;
    impl->info.int8_weights = decision.variant;
    impl->info.int8_reason = decision.reason;
    impl->info.cpu_int8_path = cpu.isa + (cpu.saturates ? " (u8 x s8 saturates)" : "");

    const std::string threads = std::to_string(options.intra_op_threads);
    impl->info.threading = threads + " per run";
    if (optimized) {
      impl->session = Ort::Session(nullptr);  // its weights go before the shared copy comes
      if (Status s = LoadSharedSessions(*impl, *optimized, options); s.ok()) {
        impl->info.threading = threads + " for a run alone, " + std::to_string(options.busy_threads) +
                               " per run when runs overlap (two sessions on one copy of the weights)";
      } else {
        no_busy = s.message();
        impl->session = create(plain);
      }
    }
    scan.reset();
    if (!no_busy.empty()) {
      impl->info.threading +=
          "; no second session of " + std::to_string(options.busy_threads) + " thread(s): " + no_busy;
    }
    const int busy = impl->busy ? options.busy_threads : options.intra_op_threads;
    return std::unique_ptr<OrtEngine>(new OrtEngine(std::move(impl), options.intra_op_threads, busy));
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
    // A run that starts while another is in progress takes the narrower
    // session, if there is one: the cores are busy already.
    struct Counted {
      std::atomic<int>& runs;
      ~Counted() { runs.fetch_sub(1, std::memory_order_relaxed); }
    };
    const int others = impl_->runs.fetch_add(1, std::memory_order_relaxed);
    const Counted counted{impl_->runs};
    Ort::Session& session = others > 0 && impl_->busy ? impl_->busy : impl_->session;
    std::vector<Ort::Value> outs = session.Run(Ort::RunOptions{nullptr}, in_names, &in, 1, out_names, 1);
    const auto out_info = outs[0].GetTensorTypeAndShapeInfo();
    const std::size_t n = out_info.GetElementCount();
    if (n != batch * mi.num_classes) return Internal("the model returned an unexpected number of outputs");
    const float* p = outs[0].GetTensorData<float>();
    if (options.stats != nullptr) {
      options.stats->run_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      options.stats->batch = batch;
      options.stats->threads = &session == &impl_->busy ? busy_threads_ : intra_threads_;
    }
    return std::vector<float>(p, p + n);
  } catch (const Ort::Exception& e) {
    return Internal(std::string("inference failed: ") + e.what());
  }
}

}  // namespace cp::model
