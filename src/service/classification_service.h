// The service core: bytes in, top-k labels out. decode -> preprocess ->
// engine (plain ORT or the batching scheduler) -> softmax -> top-k.
// Knows nothing of HTTP; the HTTP layer and the CLI both call it.
//
// Thread-safety: Classify may be called from any number of threads at once.
// Decode and preprocess run on the calling thread; the engine decides where
// inference runs. All members are immutable after construction except the
// admission state (model_places_, a Budget with its own lock, and the atomic
// waiting_ count) and the decode semaphore.
//
// Admission (serving): a request takes one place per image among
// prepared_ahead before it decodes anything and keeps it until its inference
// is done. Without a free place it waits in line (FIFO) holding only its
// encoded bytes, so preprocessed tensors (600 KB each for 224x224) exist only
// for the few images about to run, however many requests wait; at most
// max_waiting requests wait, beyond that kOverloaded at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <semaphore>
#include <string>
#include <string_view>
#include <vector>

#include "common/budget.h"
#include "common/status.h"
#include "image/preprocess.h"
#include "model/engine.h"

namespace cp::service {

struct ServiceOptions {
  int default_top_k = 3;                        // TOP_K
  std::uint64_t max_image_pixels = 40'000'000;  // MAX_IMAGE_PIXELS
  // Decode big JPEG/WebP at a reduced scale that still leaves at least twice
  // the resize size (512 for ResNet's 256), so an antialiased resize always
  // follows. None of ../shared/images is big enough to be affected.
  bool scaled_decode = true;
  // ALLOW_TRUNCATED_IMAGES: decode damaged images as far as their library can
  // (image::DecodeOptions::allow_truncated) instead of refusing them.
  bool allow_truncated_images = false;
  // Decodes running at once (each may hold a frame of up to max_image_pixels);
  // more wait. Bounds decoded-frame memory under any load.
  int decode_concurrency = 2;
  // Images decoded and waiting for, or in, the model at once (0 = no limit):
  // see Admission above. BuildService sets MODEL_RUNNERS x MAX_BATCH_SIZE +
  // DECODE_CONCURRENCY, enough to keep every runner fed.
  std::size_t prepared_ahead = 0;
  // Requests waiting for a place at most (MAX_QUEUE; 0 = no limit).
  std::size_t max_waiting = 0;
};

// Most images one request may carry (HTTP /infer parts, KServe BYTES elements).
inline constexpr std::size_t kMaxImagesPerRequest = 256;

struct ImageInput {
  std::string_view bytes;
  // The media type the sender declared, if any. Only used to report a
  // non-image document (e.g. application/pdf) as 415 rather than 400; the
  // format itself is always detected from the bytes.
  std::string_view declared_type;
  // Past it: kDeadlineExceeded (checked on arrival, before decoding, and by
  // a queueing engine before the run).
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

struct Prediction {
  std::string label;
  std::size_t index = 0;
  float probability = 0.0f;
};

struct Timings {
  double decode_ms = 0, preprocess_ms = 0, queue_ms = 0, inference_ms = 0, total_ms = 0;
  std::size_t batch = 0;  // images in the model run
};

struct Classification {
  std::vector<Prediction> predictions;  // descending probability
  Timings timings;
  int width = 0, height = 0;  // of the stored image
};

class ClassificationService {
 public:
  // engine == nullptr: the model failed to load; load_error says why and
  // every Classify answers kUnavailable. labels.size() must equal the
  // engine's num_classes (checked by BuildService).
  ClassificationService(std::shared_ptr<model::InferenceEngine> engine, std::vector<std::string> labels,
                        ServiceOptions options, std::string load_error = {});

  // The same labels and options with no model: what an unloaded model
  // serves (every Classify kUnavailable, with `why`).
  std::shared_ptr<ClassificationService> WithoutModel(std::string why) const;

  bool model_loaded() const { return engine_ != nullptr; }
  const std::string& load_error() const { return load_error_; }
  const model::ModelInfo* model_info() const { return engine_ ? &engine_->info() : nullptr; }
  std::shared_ptr<model::InferenceEngine> engine() const { return engine_; }
  const std::vector<std::string>& labels() const { return labels_; }
  std::size_t num_classes() const { return labels_.size(); }
  int default_top_k() const { return options_.default_top_k; }

  // kInvalidParameter unless 1 <= top_k <= num_classes().
  Status ValidateTopK(long long top_k) const;

  // top_k: nullopt -> options.default_top_k.
  Result<Classification> Classify(const ImageInput& input, std::optional<int> top_k) const;

  // Several images, one result each, in order, in chunks of at most
  // prepared_ahead images (8 without a limit; never more than the model's
  // batch limit): a chunk is admitted, decoded, and its decodable images go to
  // the engine as one batch, so a big request never holds more tensors than
  // one chunk. Classify is this with one image. The inputs share the first
  // input's deadline.
  std::vector<Result<Classification>> ClassifyMany(std::span<const ImageInput> inputs, std::optional<int> top_k) const;

  // True when a new request would be refused kOverloaded: the line for a
  // place is full (max_waiting) or the engine itself is saturated.
  bool Saturated() const;
  // Requests waiting for a place.
  std::size_t waiting() const { return waiting_.load(); }
  // Places for `images` images (at most prepared_ahead), taken before
  // decoding them and held (the lease) until their inference is done.
  // kOverloaded when max_waiting requests already wait; kDeadlineExceeded
  // when the deadline passes while waiting.
  Result<Budget::Lease> Admit(std::size_t images, std::optional<std::chrono::steady_clock::time_point> deadline) const;
  // Decode + preprocess only: fills `tensor` (model_info()->image_size()).
  Status PrepareTensor(const ImageInput& input, std::span<float> tensor, Timings& timings, int& width,
                       int& height) const;

  // Images ClassifyMany decodes and runs together: prepared_ahead (8 without
  // a limit), at most the model's batch limit. Callers that run the engine
  // themselves (KServe) chunk by it too.
  std::size_t chunk_size() const;
  // Logits of one image -> top-k predictions.
  std::vector<Prediction> Rank(std::span<const float> logits, std::size_t top_k) const;

 private:
  // Admits, decodes, runs and ranks `part`, appending one result per input to `out`.
  void ClassifyChunk(std::span<const ImageInput> part, std::size_t top_k,
                     std::optional<std::chrono::steady_clock::time_point> deadline,
                     std::chrono::steady_clock::time_point start, std::vector<Result<Classification>>& out) const;

  std::shared_ptr<model::InferenceEngine> engine_;
  std::vector<std::string> labels_;
  ServiceOptions options_;
  std::string load_error_;
  image::PreprocessSpec spec_;
  // Slots for decode + preprocess (ServiceOptions::decode_concurrency).
  std::unique_ptr<std::counting_semaphore<>> decode_slots_;
  std::unique_ptr<Budget> model_places_;         // ServiceOptions::prepared_ahead
  mutable std::atomic<std::size_t> waiting_{0};  // requests in Admit
};

}  // namespace cp::service
