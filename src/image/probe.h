// Reads an image's stored width and height from its header, through the
// format's own library where it has a header-only call (libjpeg-turbo,
// libwebp, giflib) and from the fixed-offset size fields of PNG's IHDR and
// BMP's info header otherwise. TIFF is not probed: OpenCV's
// OPENCV_IO_MAX_IMAGE_PIXELS guard covers it.
#pragma once

#include <optional>
#include <string_view>

#include "image/format.h"

namespace cp::image {

struct ImageSize {
  int width = 0;
  int height = 0;
};

// nullopt: not probed (unsupported format or unreadable header); the decoder
// then reports the error itself.
std::optional<ImageSize> ProbeSize(ImageFormat format, std::string_view bytes);

}  // namespace cp::image
