// A fake InferenceEngine: returns fixed logits for every image, records what
// it was given. Thread-safe.
#pragma once

#include <atomic>
#include <mutex>
#include <vector>

#include "model/engine.h"

namespace cp::test {

class FakeEngine : public model::InferenceEngine {
 public:
  explicit FakeEngine(std::vector<float> logits) : logits_(std::move(logits)) {
    info_.input_name = "input";
    info_.output_name = "output";
    info_.num_classes = logits_.size();
  }
  const model::ModelInfo& info() const override { return info_; }
  Result<std::vector<float>> Infer(std::span<const float> input, std::size_t batch,
                                   const model::InferOptions& = {}) override {
    if (input.size() != batch * info_.image_size()) return Internal("fake: wrong input size");
    calls.fetch_add(1);
    images.fetch_add(batch);
    if (fail) return Internal("fake engine failure");
    std::vector<float> out;
    for (std::size_t i = 0; i < batch; ++i) out.insert(out.end(), logits_.begin(), logits_.end());
    return out;
  }

  std::atomic<int> calls{0};
  std::atomic<std::size_t> images{0};
  std::atomic<bool> fail{false};

 private:
  std::vector<float> logits_;
  model::ModelInfo info_;
};

inline std::vector<std::string> NumberedLabels(std::size_t n) {
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < n; ++i) labels.push_back("class " + std::to_string(i));
  return labels;
}

}  // namespace cp::test
