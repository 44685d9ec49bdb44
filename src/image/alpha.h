#pragma once

#include <opencv2/core/mat.hpp>

namespace cp::image {

// 8-bit 4-channel (BGRA if bgr_order, else RGBA) -> 8-bit RGB, composited
// over an opaque white background.
cv::Mat CompositeOverWhite(const cv::Mat& four_channel, bool bgr_order);

}  // namespace cp::image
