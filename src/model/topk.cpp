#include "model/topk.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cp::model {

std::vector<float> Softmax(std::span<const float> logits) {
  std::vector<float> out(logits.size());
  if (logits.empty()) return out;
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (std::size_t i = 0; i < logits.size(); ++i) {
    const double e = std::exp(static_cast<double>(logits[i]) - max);
    out[i] = static_cast<float>(e);
    sum += e;
  }
  for (float& v : out) v = static_cast<float>(v / sum);
  return out;
}

std::vector<Scored> TopK(std::span<const float> probs, std::size_t k) {
  k = std::min(k, probs.size());
  std::vector<std::size_t> idx(probs.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(
      idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(),
      [&](std::size_t a, std::size_t b) { return probs[a] > probs[b] || (probs[a] == probs[b] && a < b); });
  std::vector<Scored> out;
  out.reserve(k);
  for (std::size_t i = 0; i < k; ++i) out.push_back({idx[i], probs[idx[i]]});
  return out;
}

}  // namespace cp::model
