// Image format detection from the leading bytes (magic numbers). The file
// name and the declared content type are never consulted.
#pragma once

#include <string_view>

namespace cp::image {

enum class ImageFormat { kUnknown, kJpeg, kPng, kGif, kWebp, kBmp, kTiff };

ImageFormat SniffFormat(std::string_view bytes);
const char* FormatName(ImageFormat format);

}  // namespace cp::image
