// ONNX Runtime engine: an Ort::Session created at load and shared by every
// caller. Ort::Session::Run is thread-safe, so Infer may be called from any
// number of threads at once; each call allocates its own input/output.
//
// With busy_threads set, a second session of the same optimized model runs
// on fewer threads, and a run that starts while another is in progress takes
// it: overlapping runs do not oversubscribe the cores (on 2 cores, two runs
// of 2 threads each beside decoding served ResNet-50 ~20 % slower than two
// runs of 1 thread; docs/PERFORMANCE.md), while a run alone still gets every
// thread (its latency). Both sessions read one copy of the weights
// (model/shared_weights.h).
#pragma once

#include <memory>
#include <string>

#include "model/engine.h"
#include "model/int8_weights.h"

namespace cp::model {

struct OrtEngineOptions {
  int intra_op_threads = 1;  // threads of a run that starts while no other is in progress
  // Threads of a run that starts while another is in progress; 0, or >=
  // intra_op_threads: one session, every run gets intra_op_threads.
  int busy_threads = 0;
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
  OrtEngine(std::unique_ptr<Impl> impl, int intra_threads, int busy_threads);
  struct Optimized;
  static Status LoadSharedSessions(Impl& impl, const Optimized& written, const OrtEngineOptions& options);
  std::unique_ptr<Impl> impl_;
  int intra_threads_;  // a run alone
  int busy_threads_;   // a run during another (= intra_threads_ without a busy session)
};

}  // namespace cp::model
