// PNG through libpng directly (not OpenCV), so that a damaged file is refused
// with libpng's own words and, when allowed, the rows read before the damage
// are kept.
//
// Thread-safety: reentrant; each call owns its png_struct.
#pragma once

#include <opencv2/core/mat.hpp>
#include <string_view>

#include "common/status.h"

namespace cp::image {

// Any bit depth and colour type -> 8-bit RGB (16-bit samples rounded, palette
// and gray expanded, tRNS and alpha composited over white; no gamma).
// libpng's errors (a file cut short, a CRC or zlib error in the image data)
// refuse the image (kInvalidArgument) unless allow_truncated: then, once the
// header and palette are read, the rows decoded before the damage are kept
// and the rest stays white. libpng's warnings never refuse.
Result<cv::Mat> DecodePng(std::string_view bytes, bool allow_truncated);

}  // namespace cp::image
