#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace cp::model {

// Numerically stable softmax (max subtracted, sums in double): finite for any
// finite logits, however large.
std::vector<float> Softmax(std::span<const float> logits);

struct Scored {
  std::size_t index;
  float probability;
};

// The k highest, in descending probability (ties: lower index first).
// k is clamped to probs.size().
std::vector<Scored> TopK(std::span<const float> probs, std::size_t k);

}  // namespace cp::model
