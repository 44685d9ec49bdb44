#include "image/format.h"

namespace cp::image {

ImageFormat SniffFormat(std::string_view b) {
  if (b.starts_with("\xFF\xD8\xFF")) return ImageFormat::kJpeg;
  if (b.starts_with("\x89PNG\r\n\x1A\n")) return ImageFormat::kPng;
  if (b.starts_with("GIF87a") || b.starts_with("GIF89a")) return ImageFormat::kGif;
  if (b.size() >= 12 && b.starts_with("RIFF") && b.substr(8, 4) == "WEBP") return ImageFormat::kWebp;
  if (b.size() >= 26 && b.starts_with("BM")) return ImageFormat::kBmp;
  if (b.starts_with(std::string_view("II*\0", 4)) || b.starts_with(std::string_view("MM\0*", 4))) {
    return ImageFormat::kTiff;
  }
  return ImageFormat::kUnknown;
}

const char* FormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kGif:
      return "GIF";
    case ImageFormat::kWebp:
      return "WebP";
    case ImageFormat::kBmp:
      return "BMP";
    case ImageFormat::kTiff:
      return "TIFF";
    case ImageFormat::kUnknown:
      break;
  }
  return "unknown";
}

}  // namespace cp::image
