#include "service/classification_service.h"

#include <algorithm>
#include <memory>

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
    : engine_(std::move(engine)),
      labels_(std::move(labels)),
      options_(options),
      load_error_(std::move(load_error)),
      decode_slots_(std::make_unique<std::counting_semaphore<>>(std::max(1, options.decode_concurrency))),
      model_places_(std::make_unique<Budget>(options.prepared_ahead, "a place in the queue for the model")) {
  if (engine_) {
    const model::ModelInfo& mi = engine_->info();
    spec_.width = mi.width;
    spec_.height = mi.height;
    spec_.layout = mi.layout;
  }
}

std::shared_ptr<ClassificationService> ClassificationService::WithoutModel(std::string why) const {
  return std::make_shared<ClassificationService>(nullptr, labels_, options_, std::move(why));
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
  // A decoded frame exists only inside a slot, so at most decode_concurrency
  // frames exist at once, whatever the load.
  if (input.deadline) {
    if (!decode_slots_->try_acquire_until(*input.deadline)) return DeadlineExceeded("deadline expired before decoding");
  } else {
    decode_slots_->acquire();
  }
  struct Release {
    std::counting_semaphore<>* s;
    ~Release() { s->release(); }
  } release{decode_slots_.get()};
  auto t0 = Clock::now();
  image::DecodeOptions dopt;
  dopt.max_pixels = options_.max_image_pixels;
  dopt.min_short_side = options_.scaled_decode ? 2 * spec_.resize_short_side() : 0;
  dopt.allow_truncated = options_.allow_truncated_images;
  // Decode only what the crop reads (JPEG; the same pixels there as a full
  // decode: Preprocess.RegionDecodedJpegGivesTheSameTensor).
  dopt.region = [this](cv::Size frame, cv::Size full) { return image::CropFootprint(spec_, frame, full); };
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
  Status s = image::Preprocess(decoded->rgb, spec_, tensor, decoded->full_size);
  timings.preprocess_ms = MsSince(t0);
  return s;
}

bool ClassificationService::Saturated() const {
  if (!engine_) return false;
  return (options_.max_waiting > 0 && waiting_.load() >= options_.max_waiting) || engine_->Saturated();
}

Result<Budget::Lease> ClassificationService::Admit(
    std::size_t images, std::optional<std::chrono::steady_clock::time_point> deadline) const {
  struct InLine {
    std::atomic<std::size_t>& n;
    ~InLine() { --n; }
  };
  // Counted before the check, so concurrent arrivals cannot all slip in.
  const std::size_t ahead = waiting_++;
  InLine in_line{waiting_};
  if (options_.max_waiting > 0 && ahead >= options_.max_waiting) {
    return Overloaded("the server is at capacity; retry later");
  }
  return model_places_->Reserve(images, deadline);
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
  return std::move(ClassifyMany(std::span<const ImageInput>(&input, 1), top_k).front());
}

std::vector<Result<Classification>> ClassificationService::ClassifyMany(std::span<const ImageInput> inputs,
                                                                        std::optional<int> top_k) const {
  const auto start = Clock::now();
  std::vector<Result<Classification>> out;
  auto fail_all = [&](const Status& s) {
    out.assign(inputs.size(), Result<Classification>(s));
    return out;
  };
  if (!engine_) return fail_all(Unavailable("the model is not loaded: " + load_error_));
  const int k = top_k.value_or(options_.default_top_k);
  if (Status s = ValidateTopK(k); !s.ok()) return fail_all(s);
  // Shed before spending time on decoding. All inputs share one deadline.
  if (engine_->Saturated()) return fail_all(Overloaded("the server is at capacity; retry later"));
  const auto deadline = inputs.empty() ? std::nullopt : inputs.front().deadline;
  if (deadline && start >= *deadline) return fail_all(DeadlineExceeded("the request deadline expired"));
  out.reserve(inputs.size());
  const std::size_t chunk = chunk_size();
  for (std::size_t first = 0; first < inputs.size(); first += chunk) {
    ClassifyChunk(inputs.subspan(first, std::min(chunk, inputs.size() - first)), static_cast<std::size_t>(k), deadline,
                  start, out);
  }
  return out;
}

std::size_t ClassificationService::chunk_size() const {
  std::size_t chunk = options_.prepared_ahead > 0 ? options_.prepared_ahead : 8;
  if (const std::size_t model_limit = engine_->info().max_batch; model_limit > 0) chunk = std::min(chunk, model_limit);
  return std::max<std::size_t>(1, chunk);
}

void ClassificationService::ClassifyChunk(std::span<const ImageInput> part, std::size_t top_k,
                                          std::optional<Clock::time_point> deadline, Clock::time_point start,
                                          std::vector<Result<Classification>>& out) const {
  auto places = Admit(part.size(), deadline);  // held until the results are ranked
  if (!places.ok()) {
    out.insert(out.end(), part.size(), Result<Classification>(places.status()));
    return;
  }
  const std::size_t image_size = engine_->info().image_size();
  // Not zeroed (600 KB per image): Preprocess writes every element of a slot
  // it succeeds on, and only those slots reach the engine.
  const std::unique_ptr<float[]> tensor = std::make_unique_for_overwrite<float[]>(part.size() * image_size);
  std::vector<std::size_t> ok;  // indices (into out) of decodable inputs, in order
  for (const ImageInput& input : part) {
    Classification c;
    std::span<float> slot(tensor.get() + ok.size() * image_size, image_size);
    Status s = PrepareTensor(input, slot, c.timings, c.width, c.height);
    if (s.ok()) ok.push_back(out.size());
    out.push_back(s.ok() ? Result<Classification>(std::move(c)) : Result<Classification>(s));
  }
  if (ok.empty()) return;

  model::InferStats stats;
  model::InferOptions io;
  io.deadline = deadline;
  io.stats = &stats;
  auto logits = engine_->Infer(std::span<const float>(tensor.get(), ok.size() * image_size), ok.size(), io);
  const std::size_t classes = engine_->info().num_classes;
  for (std::size_t j = 0; j < ok.size(); ++j) {
    Result<Classification>& r = out[ok[j]];
    if (!logits.ok()) {
      r = logits.status();
      continue;
    }
    r->predictions = Rank(std::span<const float>(logits->data() + j * classes, classes), top_k);
    r->timings.queue_ms = stats.queue_ms;
    r->timings.inference_ms = stats.run_ms;
    r->timings.batch = stats.batch;
    r->timings.total_ms = MsSince(start);
  }
}

}  // namespace cp::service
