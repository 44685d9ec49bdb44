#include "service/classification_service.h"

#include "image/decoder.h"
#include "model/topk.h"

namespace cp::service {

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

// A declared type that names a document which is not an image.
bool DeclaresNonImage(std::string_view type) {
  if (type.empty()) return false;
  return !(type.starts_with("image/") || type.starts_with("application/octet-stream"));
}

}  // namespace

ClassificationService::ClassificationService(std::shared_ptr<model::InferenceEngine> engine,
                                             std::vector<std::string> labels, ServiceOptions options,
                                             std::string load_error)
    : engine_(std::move(engine)), labels_(std::move(labels)), options_(options), load_error_(std::move(load_error)) {
  if (engine_) {
    const model::ModelInfo& mi = engine_->info();
    spec_.width = mi.width;
    spec_.height = mi.height;
    spec_.layout = mi.layout;
  }
}

Status ClassificationService::ValidateTopK(long long top_k) const {
  const auto n = static_cast<long long>(num_classes());
  if (top_k < 1 || top_k > n) {
    return InvalidParameter("top_k must be between 1 and " + std::to_string(n));
  }
  return Status::Ok();
}

Status ClassificationService::PrepareTensor(const ImageInput& input, std::span<float> tensor, Timings& timings,
                                            int& width, int& height) const {
  auto t0 = Clock::now();
  image::DecodeOptions dopt;
  dopt.max_pixels = options_.max_image_pixels;
  dopt.min_short_side = options_.scaled_decode ? 2 * spec_.resize_short_side() : 0;
  auto decoded = image::DecodeImage(input.bytes, dopt);
  timings.decode_ms = MsSince(t0);
  if (!decoded.ok()) {
    if (decoded.status().code() == StatusCode::kInvalidArgument &&
        image::SniffFormat(input.bytes) == image::ImageFormat::kUnknown && DeclaresNonImage(input.declared_type)) {
      return UnsupportedMediaType("unsupported media type '" + std::string(input.declared_type) +
                                  "': send a JPEG, PNG, GIF, WebP, BMP or TIFF image");
    }
    return decoded.status();
  }
  width = decoded->source_width;
  height = decoded->source_height;
  t0 = Clock::now();
  Status s = image::Preprocess(decoded->rgb, spec_, tensor);
  timings.preprocess_ms = MsSince(t0);
  return s;
}

std::vector<Prediction> ClassificationService::Rank(std::span<const float> logits, std::size_t top_k) const {
  const std::vector<float> probs = model::Softmax(logits);
  std::vector<Prediction> out;
  for (const model::Scored& s : model::TopK(probs, top_k)) {
    out.push_back({labels_[s.index], s.index, s.probability});
  }
  return out;
}

Result<Classification> ClassificationService::Classify(const ImageInput& input, std::optional<int> top_k) const {
  const auto start = Clock::now();
  if (!engine_) return Unavailable("the model is not loaded: " + load_error_);
  const int k = top_k.value_or(options_.default_top_k);
  if (Status s = ValidateTopK(k); !s.ok()) return s;

  Classification out;
  std::vector<float> tensor(engine_->info().image_size());
  if (Status s = PrepareTensor(input, tensor, out.timings, out.width, out.height); !s.ok()) return s;

  const auto t0 = Clock::now();
  auto logits = engine_->Infer(tensor, 1);
  out.timings.inference_ms = MsSince(t0);
  if (!logits.ok()) return logits.status();
  out.predictions = Rank(*logits, static_cast<std::size_t>(k));
  out.timings.total_ms = MsSince(start);
  return out;
}

}  // namespace cp::service
