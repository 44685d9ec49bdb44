// JPEG through libjpeg-turbo's TurboJPEG API: DCT-scaled decode straight into
// an RGB frame, CMYK/YCCK converted, EXIF orientation applied (libexif).
// libjpeg's warnings (a file cut short, a bad Huffman code, ...) are how
// damage is detected: they refuse the image unless allow_damaged is set.
//
// Thread-safety: reentrant; each call owns its TurboJPEG handle, and
// TurboJPEG keeps its error text per thread.
#pragma once

#include <opencv2/core/mat.hpp>
#include <string_view>

#include "common/status.h"

namespace cp::image {

// reduction: 1, 2, 4 or 8 (libjpeg rounds the reduced size up).
// allow_damaged: decode what libjpeg can recover when it warns (the missing
// part of a truncated file is grey), instead of refusing with kInvalidArgument.
Result<cv::Mat> DecodeJpeg(std::string_view bytes, int reduction, bool allow_damaged);

}  // namespace cp::image
