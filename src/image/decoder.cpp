#include "image/decoder.h"

#include <cstdlib>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "image/alpha.h"
#include "image/gif_decoder.h"
#include "image/jpeg_decoder.h"
#include "image/png_decoder.h"
#include "image/probe.h"
#include "image/webp_decoder.h"

namespace cp::image {

namespace {

Status TooLargeStatus(int w, int h, std::uint64_t max_pixels) {
  return TooLarge("image is " + std::to_string(w) + "x" + std::to_string(h) + " = " +
                  std::to_string(static_cast<std::uint64_t>(w) * static_cast<std::uint64_t>(h)) +
                  " pixels; the limit is " + std::to_string(max_pixels));
}

// Any OpenCV frame (gray, BGR, BGRA; 8 or 16 bit) -> 8-bit RGB.
cv::Mat ToRgb8(const cv::Mat& in) {
  cv::Mat m = in;
  if (m.depth() == CV_16U)
    m.convertTo(m, CV_8U, 1.0 / 257.0);
  else if (m.depth() != CV_8U)
    m.convertTo(m, CV_8U);
  cv::Mat rgb;
  switch (m.channels()) {
    case 1:
      cv::cvtColor(m, rgb, cv::COLOR_GRAY2RGB);
      break;
    case 2: {  // gray + alpha
      cv::Mat planes[2];
      cv::split(m, planes);
      cv::Mat bgra;
      cv::merge(std::vector<cv::Mat>{planes[0], planes[0], planes[0], planes[1]}, bgra);
      rgb = CompositeOverWhite(bgra, /*bgr_order=*/true);
      break;
    }
    case 4:
      rgb = CompositeOverWhite(m, /*bgr_order=*/true);
      break;
    default:
      cv::cvtColor(m, rgb, cv::COLOR_BGR2RGB);
      break;
  }
  return rgb;
}

int ImreadFlags(ImageFormat format) {
  // BMP has no alpha; TIFF keeps alpha and 16-bit samples so they are
  // converted here, not dropped.
  return format == ImageFormat::kBmp ? cv::IMREAD_COLOR : cv::IMREAD_UNCHANGED;
}

// The full-resolution size of a frame decoded at 1/reduction from a
// width x height source: JPEG rounds reduced sizes up, libwebp down, and EXIF
// orientation may have swapped the axes.
cv::Size FullSizeOf(const cv::Mat& frame, int width, int height, int reduction) {
  if (reduction <= 1 || width <= 0 || height <= 0) return frame.size();
  auto reduces_to = [reduction](int full, int reduced) {
    return reduced == (full + reduction - 1) / reduction || reduced == full / reduction;
  };
  if (reduces_to(width, frame.cols) && reduces_to(height, frame.rows)) return {width, height};
  if (reduces_to(height, frame.cols) && reduces_to(width, frame.rows)) return {height, width};
  return {frame.cols * reduction, frame.rows * reduction};
}

// BMP and TIFF through OpenCV (imdecode says only "failed").
Result<cv::Mat> DecodeWithOpenCv(ImageFormat format, std::string_view bytes) {
  cv::Mat decoded;
  try {
    const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
    decoded = cv::imdecode(buffer, ImreadFlags(format));
  } catch (const cv::Exception& e) {
    // imdecode reports read errors by an empty result; it throws when the
    // header's size fails its pre-allocation limits.
    return TooLarge(std::string("image refused before decoding: ") + e.err);
  }
  if (decoded.empty()) {
    return InvalidArgument(std::string("cannot decode the ") + FormatName(format) + " image (corrupt or truncated)");
  }
  return ToRgb8(decoded);
}

// The frame in 8-bit RGB, each format through its own library.
Result<cv::Mat> DecodePixels(ImageFormat format, std::string_view bytes, int reduction, const DecodeOptions& options) {
  switch (format) {
    case ImageFormat::kJpeg:
      return DecodeJpeg(bytes, reduction, options.allow_truncated, options.region);
    case ImageFormat::kPng:
      return DecodePng(bytes, options.allow_truncated);
    case ImageFormat::kGif:
      return DecodeGifFirstFrame(bytes, options.max_pixels, options.allow_truncated);
    case ImageFormat::kWebp:
      return DecodeWebp(bytes, reduction);
    default:
      return DecodeWithOpenCv(format, bytes);
  }
}

}  // namespace

int ChooseReduction(int width, int height, int min_short_side) {
  if (min_short_side <= 0) return 1;
  const int shorter = std::min(width, height);
  for (int r : {8, 4, 2}) {
    if (shorter / r >= min_short_side) return r;
  }
  return 1;
}

void InstallCodecPixelLimit(std::uint64_t max_pixels) {
  // overwrite=0: an explicit OPENCV_IO_MAX_IMAGE_PIXELS from the operator wins.
  ::setenv("OPENCV_IO_MAX_IMAGE_PIXELS", std::to_string(max_pixels).c_str(), 0);
}

Result<DecodedImage> DecodeImage(std::string_view bytes, const DecodeOptions& options) {
  if (bytes.empty()) return InvalidArgument("the image is empty");
  DecodedImage out;
  out.format = SniffFormat(bytes);
  if (out.format == ImageFormat::kUnknown) {
    return InvalidArgument("not a supported image (JPEG, PNG, GIF, WebP, BMP or TIFF)");
  }

  // Size from the header, before any pixel buffer exists.
  if (auto size = ProbeSize(out.format, bytes)) {
    out.source_width = size->width;
    out.source_height = size->height;
    if (size->width <= 0 || size->height <= 0) {
      return InvalidArgument(std::string("corrupt ") + FormatName(out.format) + " header");
    }
    if (static_cast<std::uint64_t>(size->width) * static_cast<std::uint64_t>(size->height) > options.max_pixels) {
      return TooLargeStatus(size->width, size->height, options.max_pixels);
    }
  }

  const int reduction = ChooseReduction(out.source_width, out.source_height, options.min_short_side);
  auto frame = DecodePixels(out.format, bytes, reduction, options);
  if (!frame.ok()) return frame.status();
  out.rgb = std::move(frame).value();
  if (out.source_width == 0) {
    out.source_width = out.rgb.cols;
    out.source_height = out.rgb.rows;
  }
  // Only JPEG (DCT scaling) and WebP (scaled decode) honour the reduction.
  const bool reduced = out.format == ImageFormat::kJpeg || out.format == ImageFormat::kWebp;
  out.full_size = FullSizeOf(out.rgb, out.source_width, out.source_height, reduced ? reduction : 1);
  if (static_cast<std::uint64_t>(out.rgb.cols) * static_cast<std::uint64_t>(out.rgb.rows) > options.max_pixels) {
    return TooLargeStatus(out.rgb.cols, out.rgb.rows, options.max_pixels);
  }
  return out;
}

}  // namespace cp::image
