#include "service/warmup.h"

#include <vector>

namespace cp::service {

Status WarmUp(model::InferenceEngine& engine, std::size_t max_batch) {
  const model::ModelInfo& mi = engine.info();
  if (mi.max_batch != 0 && max_batch > mi.max_batch) max_batch = mi.max_batch;
  std::vector<std::size_t> sizes;
  for (std::size_t b = 1; b < max_batch; b *= 2) sizes.push_back(b);
  sizes.push_back(max_batch);
  std::vector<float> input(max_batch * mi.image_size(), 0.0f);
  for (std::size_t b : sizes) {
    auto out = engine.Infer(std::span<const float>(input.data(), b * mi.image_size()), b);
    if (!out.ok()) return out.status();
  }
  return Status::Ok();
}

}  // namespace cp::service
