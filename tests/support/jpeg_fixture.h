// Test JPEGs made on the spot with TurboJPEG: a textured RGB frame (no pixel
// darker than 40, so a black pixel in a decode means "not decoded"), encoded
// with a chosen chroma subsampling, baseline or progressive, optionally with
// an EXIF APP1 segment carrying an Orientation tag.
#pragma once

#include <turbojpeg.h>

#include <cstdint>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <string>

namespace cp::test {

// Smooth ramps plus a hash pattern, different in each channel: every block
// has detail, so a misplaced block or a wrong upsampling edge shows.
inline cv::Mat TexturedRgb(int width, int height) {
  cv::Mat rgb(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const std::uint32_t h = (static_cast<std::uint32_t>(x) * 73856093u) ^ (static_cast<std::uint32_t>(y) * 19349663u);
      rgb.at<cv::Vec3b>(y, x) = {static_cast<uchar>(40 + (x * 150 / width + (h & 31)) % 215),
                                 static_cast<uchar>(40 + (y * 150 / height + ((h >> 5) & 63)) % 215),
                                 static_cast<uchar>(40 + ((x + y) % 97 + ((h >> 11) & 15)))};
    }
  }
  return rgb;
}

// subsampling: TJSAMP_444, TJSAMP_422, TJSAMP_420, TJSAMP_440, TJSAMP_411 or
// TJSAMP_GRAY. orientation 1..8 adds an EXIF segment (0: none).
inline std::string EncodeJpeg(const cv::Mat& rgb, int subsampling, bool progressive, int orientation = 0) {
  tjhandle tj = tjInitCompress();
  if (tj == nullptr) throw std::runtime_error("tjInitCompress failed");
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  const int flags = progressive ? TJFLAG_PROGRESSIVE : 0;
  const int rc = tjCompress2(tj, rgb.data, rgb.cols, static_cast<int>(rgb.step), rgb.rows, TJPF_RGB, &buf, &size,
                             subsampling, 90, flags);
  std::string jpeg = rc == 0 ? std::string(reinterpret_cast<char*>(buf), size) : std::string();
  tjFree(buf);
  tjDestroy(tj);
  if (rc != 0) throw std::runtime_error("tjCompress2 failed");
  if (orientation > 0) {
    // APP1 "Exif\0\0", big-endian TIFF header, IFD0 with one entry:
    // Orientation (0x0112), SHORT, count 1, the value; no next IFD.
    const std::string tiff = std::string("MM\0*\0\0\0\x08", 8) + std::string("\0\x01", 2) +
                             std::string("\x01\x12\0\x03\0\0\0\x01\0", 9) + static_cast<char>(orientation) +
                             std::string("\0\0", 2) + std::string("\0\0\0\0", 4);
    const std::string body = std::string("Exif\0\0", 6) + tiff;
    const std::size_t length = body.size() + 2;
    const std::string app1 =
        std::string("\xFF\xE1", 2) + static_cast<char>(length >> 8) + static_cast<char>(length & 0xFF) + body;
    jpeg.insert(2, app1);  // right after SOI
  }
  return jpeg;
}

}  // namespace cp::test
