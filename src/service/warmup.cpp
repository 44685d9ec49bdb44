#include "service/warmup.h"

#include <thread>
#include <vector>

namespace cp::service {

Status WarmUp(model::InferenceEngine& engine, std::size_t max_batch, bool overlapping) {
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
  if (overlapping) {
    const std::span<const float> one(input.data(), mi.image_size());
    Status other;
    std::thread t([&] {
      auto out = engine.Infer(one, 1);
      if (!out.ok()) other = out.status();
    });
    auto out = engine.Infer(one, 1);
    t.join();
    if (!out.ok()) return out.status();
    if (!other.ok()) return other;
  }
  return Status::Ok();
}

}  // namespace cp::service
