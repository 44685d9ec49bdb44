#include "service/factory.h"

#include <algorithm>
#include <iostream>

#include "model/labels.h"
#include "model/ort_engine.h"

namespace cp::service {

Result<std::shared_ptr<ClassificationService>> BuildService(const config::Config& config,
                                                            const EngineFactory& factory) {
  auto labels = model::LoadLabels(config.labels_path);
  if (!labels.ok()) return labels.status();

  ServiceOptions options;
  options.default_top_k = config.top_k;
  options.max_image_pixels = config.max_image_pixels;
  options.scaled_decode = config.scaled_decode;
  options.allow_truncated_images = config.allow_truncated_images;
  options.decode_concurrency = config.decode_concurrency;
  options.prepared_ahead = static_cast<std::size_t>(
      std::max(1, config.model_runners) * std::max(1, config.max_batch_size) + std::max(1, config.decode_concurrency));
  options.max_waiting = static_cast<std::size_t>(config.max_queue);

  model::OrtEngineOptions eo;
  eo.intra_op_threads = config.num_threads;
  if (factory.overlapping_runs) eo.busy_threads = config.busy_num_threads;
  auto int8 = model::ParseInt8Weights(config.int8_weights);
  if (!int8.ok()) return int8.status();
  eo.int8_weights = *int8;
  auto engine = model::OrtEngine::Load(config.model_path, eo);
  if (!engine.ok()) {
    return std::make_shared<ClassificationService>(nullptr, std::move(labels).value(), options,
                                                   engine.status().message());
  }
  const std::size_t classes = (*engine)->info().num_classes;
  if (labels->size() != classes) {
    return InvalidArgument("LABELS_PATH: " + std::to_string(labels->size()) + " labels in " + config.labels_path +
                           " but the model (MODEL_PATH) has " + std::to_string(classes) + " outputs");
  }
  if (static_cast<std::size_t>(config.top_k) > classes) {
    return InvalidArgument("TOP_K: " + std::to_string(config.top_k) + " is more than the model's " +
                           std::to_string(classes) + " classes");
  }
  std::shared_ptr<model::InferenceEngine> e = std::move(engine).value();
  if (factory.wrap) e = factory.wrap(std::move(e));
  return std::make_shared<ClassificationService>(std::move(e), std::move(labels).value(), options);
}

}  // namespace cp::service
