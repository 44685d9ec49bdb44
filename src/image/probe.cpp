#include "image/probe.h"

#include <turbojpeg.h>
#include <webp/decode.h>

#include <cstdint>
#include <cstdlib>

#include "image/gif_decoder.h"

namespace cp::image {

namespace {

std::uint32_t Be32(std::string_view b, std::size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data() + at);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::int32_t Le32(std::string_view b, std::size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(b.data() + at);
  return static_cast<std::int32_t>(std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
                                   (std::uint32_t{p[3]} << 24));
}

std::optional<ImageSize> ProbeJpeg(std::string_view bytes) {
  tjhandle handle = tjInitDecompress();
  if (handle == nullptr) return std::nullopt;
  int w = 0, h = 0, subsamp = 0, colorspace = 0;
  const int rc = tjDecompressHeader3(handle, reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<unsigned long>(bytes.size()), &w, &h, &subsamp, &colorspace);
  tjDestroy(handle);
  if (rc != 0) return std::nullopt;
  return ImageSize{w, h};
}

}  // namespace

std::optional<ImageSize> ProbeSize(ImageFormat format, std::string_view bytes) {
  switch (format) {
    case ImageFormat::kJpeg:
      return ProbeJpeg(bytes);
    case ImageFormat::kPng:
      // Signature (8) + IHDR length (4) + "IHDR" (4), then width, height.
      if (bytes.size() < 24 || bytes.substr(12, 4) != "IHDR") return std::nullopt;
      if (Be32(bytes, 16) > 0x7fffffffu || Be32(bytes, 20) > 0x7fffffffu) return ImageSize{-1, -1};
      return ImageSize{static_cast<int>(Be32(bytes, 16)), static_cast<int>(Be32(bytes, 20))};
    case ImageFormat::kBmp: {
      // BITMAPINFOHEADER (and later): width at 18, height at 22 (negative = top-down).
      const std::int32_t w = Le32(bytes, 18), h = Le32(bytes, 22);
      if (w <= 0 || h == INT32_MIN) return ImageSize{-1, -1};
      return ImageSize{w, std::abs(h)};
    }
    case ImageFormat::kWebp: {
      int w = 0, h = 0;
      if (!WebPGetInfo(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &w, &h)) return std::nullopt;
      return ImageSize{w, h};
    }
    case ImageFormat::kGif:
      return ProbeGif(bytes);
    default:
      return std::nullopt;
  }
}

}  // namespace cp::image
