// ONNX Runtime engine: one Ort::Session, created at load, shared by every
// caller. Ort::Session::Run is thread-safe, so Infer may be called from any
// number of threads at once; each call allocates its own input/output.
#pragma once

#include <memory>
#include <string>

#include "model/engine.h"
#include "model/int8_weights.h"

namespace cp::model {

struct OrtEngineOptions {
  int intra_op_threads = 1;  // threads one Run uses
  // ORT's busy-wait between ops. Off: measured on 2 cores, spinning threads
  // steal the CPU that decoding and the other runner need (MobileNetV2 under
  // load: 148 vs 189 req/s), for no gain at idle (docs/PERFORMANCE.md).
  bool allow_spinning = false;
  // Where the CPU's u8 x s8 kernels saturate, serve s8 weights as exact u8
  // (int8_weights.h). The decision lands in ModelInfo::int8_weights.
  Int8Weights int8_weights = Int8Weights::kAuto;
};

// The ONNX Runtime library's version string, e.g. "1.21.0".
std::string RuntimeVersion();

class OrtEngine final : public InferenceEngine {
 public:
  // Errors (kInvalidArgument): unreadable or invalid model, or a model whose
  // input is not one float image tensor [N,3,H,W] / [N,H,W,3] and whose
  // output is not [N,classes].
  static Result<std::unique_ptr<OrtEngine>> Load(const std::string& path, const OrtEngineOptions& options);
  ~OrtEngine() override;

  const ModelInfo& info() const override;
  Result<std::vector<float>> Infer(std::span<const float> input, std::size_t batch,
                                   const InferOptions& options = {}) override;

 private:
  struct Impl;
  explicit OrtEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cp::model
