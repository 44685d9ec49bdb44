// KServe v2 / Open Inference Protocol inference, independent of the transport:
// what REST (src/http/kserve.cpp) and gRPC (src/grpc) both answer, through
// the same service::ClassificationService (same admission, same shedding).
//
// Infer takes exactly one input, either
//   * the model's own input (metadata inputs[0]): FP32, shape [N,3,H,W] (or
//     [N,H,W,3] for an NHWC model), N >= 1, already preprocessed; or
//   * an input of ANY name with datatype BYTES, shape [N] or [N,1]: N encoded
//     images (JPEG, PNG, GIF, WebP, BMP, TIFF), decoded and preprocessed as
//     /infer does; at most service::kMaxImagesPerRequest.
// and answers the model's output, FP32 [N, classes] (raw logits), or with the
// classification extension ("classification": k) BYTES [N, k] elements
// "score:index:label", score being the raw output value formatted as "%f"
// (as Triton does). The batch is run through the engine in chunks of at most
// ModelInfo::max_batch images when the model limits its batch, and encoded
// images in chunks of the service's chunk_size() (its places for the model),
// so a 256-image request never holds more than one chunk of tensors.
//
// Errors: kNotFound (unknown model or version), kInvalidArgument (malformed
// request), kUnavailable (model not loaded, not ready), kOverloaded (the
// service is Saturated(): shed before any decoding), kDeadlineExceeded.
//
// Thread-safety: every function may be called from any number of threads at
// once; RunInfer blocks its caller while the images are decoded (on the
// calling thread) and the engine runs them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "kserve/tensor.h"
#include "metrics/metrics.h"
#include "model/engine.h"
#include "service/classification_service.h"

namespace cp::kserve {

using Clock = std::chrono::steady_clock;
using Deadline = std::optional<Clock::time_point>;

// The only version of the served model.
inline constexpr const char* kModelVersion = "1";

// kNotFound unless `name` is the served model's and `version` is empty or kModelVersion.
Status CheckModel(const std::string& served_name, std::string_view name, std::string_view version);

// kUnavailable: the model failed to load (with the service's load_error).
Status ModelUnavailable(const service::ClassificationService& svc, const std::string& model_name);

// Ok when the model is loaded and ready() (empty: always ready); else kUnavailable.
Status CheckReady(const service::ClassificationService& svc, const std::string& model_name,
                  const std::function<bool()>& ready);

struct TensorMetadata {
  std::string name;
  std::string datatype;
  std::vector<std::int64_t> shape;  // -1: any size
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;
  std::string platform;
  std::vector<TensorMetadata> inputs;
  std::vector<TensorMetadata> outputs;
};

ModelMetadata DescribeModel(const std::string& model_name, const model::ModelInfo& mi);

struct ServerMetadata {
  std::string name;
  std::string version;
  std::vector<std::string> extensions;
};

// {"cross_pictures", the build's version, {"classification", "binary_tensor_data"}}.
ServerMetadata DescribeServer();

// Runs the request's one input through the service (see the top of this
// file); metrics (may be null) get the decode and preprocess times.
Result<InferResponse> RunInfer(const service::ClassificationService& svc, const std::string& model_name,
                               const InferRequest& req, const Deadline& deadline, metrics::Metrics* metrics);

// Lowers `deadline` to Triton's "timeout" request parameter (microseconds
// from `start`; 0 = none).
Deadline LowerDeadline(Deadline deadline, std::optional<std::uint64_t> timeout_us, Clock::time_point start);

}  // namespace cp::kserve
