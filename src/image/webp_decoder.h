// WebP through libwebp, with its scaled decode (the scaling happens inside
// the decoder, so a reduced frame costs a fraction of a full one).
#pragma once

#include <opencv2/core/mat.hpp>
#include <string_view>

#include "common/status.h"

namespace cp::image {

// reduction: 1, 2, 4 or 8. Alpha is composited over white. 8-bit RGB.
Result<cv::Mat> DecodeWebp(std::string_view bytes, int reduction);

}  // namespace cp::image
