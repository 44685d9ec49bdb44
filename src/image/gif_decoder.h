// GIF through giflib (OpenCV 4.6 has no GIF codec): the first frame only.
#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <optional>
#include <string_view>

#include "common/status.h"
#include "image/probe.h"

namespace cp::image {

// Logical screen size from the GIF header.
std::optional<ImageSize> ProbeGif(std::string_view bytes);

// The first frame drawn on the logical screen, transparent and uncovered
// pixels white; 8-bit RGB. Later frames are never decoded. A frame whose data
// giflib cannot read to the end (truncated, bad LZW code) is refused with
// giflib's error, unless allow_truncated: then the rows read so far are kept
// and the rest stays white. Damage before the frame's data is always fatal.
Result<cv::Mat> DecodeGifFirstFrame(std::string_view bytes, std::uint64_t max_pixels, bool allow_truncated);

}  // namespace cp::image
