// The inference interface the service talks to. The ONNX Runtime engine
// implements it, and so does the batching scheduler, which wraps an engine
// (TF Serving's BatchingSession pattern): callers cannot tell them apart.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/status.h"
#include "image/preprocess.h"

namespace cp::model {

struct ModelInfo {
  std::string input_name;
  std::string output_name;
  image::TensorLayout layout = image::TensorLayout::kNCHW;
  int height = 224;
  int width = 224;
  std::size_t num_classes = 0;
  // Largest batch the model accepts in one run: 1 when its batch dimension
  // is fixed at 1, otherwise unbounded (0).
  std::size_t max_batch = 0;
  // How an int8 model's weights are served on this CPU: "native" or
  // "u8-shifted" (model/int8_weights.h), why, and the CPU's int8 path.
  std::string int8_weights = "native";
  std::string int8_reason;
  std::string cpu_int8_path;
  // The engine's threads, for the startup log: "2 per run", or "2 for a run
  // alone, 1 per run when runs overlap ...", and why there is no second
  // session when one was asked for and could not be built.
  std::string threading;

  std::size_t image_size() const { return static_cast<std::size_t>(height) * static_cast<std::size_t>(width) * 3; }
};

// Filled by the engine when InferOptions::stats is set.
struct InferStats {
  double queue_ms = 0;    // waiting for a runner (0 for a plain engine)
  double run_ms = 0;      // the model run this request was part of
  std::size_t batch = 0;  // images in that run
  int threads = 0;        // ONNX Runtime threads of that run (OrtEngine: its session's)
};

struct InferOptions {
  // Give up with kDeadlineExceeded if the run has not started by then
  // (engines that queue honour it; a plain engine runs at once).
  std::optional<std::chrono::steady_clock::time_point> deadline;
  InferStats* stats = nullptr;
};

class InferenceEngine {
 public:
  virtual ~InferenceEngine() = default;

  virtual const ModelInfo& info() const = 0;

  // input: batch * info().image_size() floats in info().layout.
  // Returns batch * info().num_classes logits, row-major.
  // Thread-safety: implementations must allow concurrent calls.
  virtual Result<std::vector<float>> Infer(std::span<const float> input, std::size_t batch,
                                           const InferOptions& options = {}) = 0;

  // Admission hint: true when a new request would be refused (queue full),
  // so callers can shed it before spending time on decoding.
  virtual bool Saturated() const { return false; }
  // Requests waiting in the engine's own queue (a snapshot, for metrics);
  // 0 for an engine without one.
  virtual std::size_t queued() const { return 0; }
};

}  // namespace cp::model
