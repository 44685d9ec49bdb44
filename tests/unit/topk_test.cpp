#include "model/topk.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cp::model {
namespace {

TEST(Softmax, StableForHugeLogits) {
  const std::vector<float> logits = {1000.0f, 1001.0f, 999.0f, -1e30f};
  const auto p = Softmax(logits);
  double sum = 0;
  for (float v : p) {
    EXPECT_TRUE(std::isfinite(v));
    sum += v;
  }
  EXPECT_NEAR(sum, 1.0, 1e-6);
  // softmax(0, 1, -1) by hand
  const double e0 = 1.0, e1 = std::exp(1.0), e2 = std::exp(-1.0), z = e0 + e1 + e2;
  EXPECT_NEAR(p[0], e0 / z, 1e-6);
  EXPECT_NEAR(p[1], e1 / z, 1e-6);
  EXPECT_NEAR(p[2], e2 / z, 1e-6);
  EXPECT_EQ(p[3], 0.0f);
}

TEST(TopK, DescendingWithStableTies) {
  const std::vector<float> probs = {0.1f, 0.4f, 0.1f, 0.3f, 0.1f};
  const auto top = TopK(probs, 4);
  ASSERT_EQ(top.size(), 4u);
  EXPECT_EQ(top[0].index, 1u);
  EXPECT_EQ(top[1].index, 3u);
  EXPECT_EQ(top[2].index, 0u);  // ties: lower index first
  EXPECT_EQ(top[3].index, 2u);
  EXPECT_FLOAT_EQ(top[0].probability, 0.4f);
}

TEST(TopK, ClampsK) { EXPECT_EQ(TopK(std::vector<float>{0.5f, 0.5f}, 10).size(), 2u); }

}  // namespace
}  // namespace cp::model
