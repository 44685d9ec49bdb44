// Decodes encoded image bytes into an 8-bit RGB frame.
//
// Thread-safety: DecodeImage is reentrant; any number of threads may decode
// at once (each call owns its buffers).
#pragma once

#include <cstdint>
#include <functional>
#include <opencv2/core/mat.hpp>
#include <string_view>

#include "common/status.h"
#include "image/format.h"

namespace cp::image {

// The part of a frame its caller will read, asked once the frame's size is
// known: `frame` is its size as it will be returned (upright, perhaps reduced),
// `full_size` that size at full resolution. Preprocess's CropFootprint is one.
using FrameRegion = std::function<cv::Rect(cv::Size frame, cv::Size full_size)>;

struct DecodeOptions {
  // Frames with more pixels are refused (kTooLarge). The size is read from
  // the header before the frame is allocated.
  std::uint64_t max_pixels = 40'000'000;
  // When > 0 and the format supports scaled decoding (JPEG DCT scaling,
  // WebP scaled decode), the decoder may return a frame reduced by 2, 4 or 8
  // whose shorter side is still at least this many pixels.
  int min_short_side = 0;
  // false: an image its library reports as damaged (truncated, corrupt data)
  // is refused (kInvalidArgument) with the library's words. true
  // (ALLOW_TRUNCATED_IMAGES, Pillow's LOAD_TRUNCATED_IMAGES): whatever the
  // library can still recover is decoded (libjpeg greys the missing part,
  // giflib's missing rows stay white); damage it cannot get past still fails.
  bool allow_truncated = false;
  // When set, JPEG frames are converted to pixels only inside this region
  // (widened to libjpeg's block grid); the rest of the frame is black. Inside
  // it the pixels are those of a full decode, and the whole entropy-coded
  // data is still read, so damage anywhere is found as before. Other formats
  // decode the whole frame.
  FrameRegion region;
};

struct DecodedImage {
  cv::Mat rgb;  // CV_8UC3, RGB order, EXIF orientation applied, alpha composited over white
  ImageFormat format = ImageFormat::kUnknown;
  int source_width = 0;  // as stored in the file, before any scaled decode
  int source_height = 0;
  // rgb's size at full resolution, in rgb's orientation (after EXIF): equal to
  // rgb.size() unless the frame was decoded at a reduced scale.
  cv::Size full_size;
};

// Errors: kInvalidArgument (empty, unrecognised signature, corrupt or
// truncated data: the message says which and quotes the library), kTooLarge
// (more than max_pixels).
Result<DecodedImage> DecodeImage(std::string_view bytes, const DecodeOptions& options);

// The largest reduction in {1, 2, 4, 8} that keeps min(width, height) /
// reduction >= min_short_side (1 when min_short_side <= 0).
int ChooseReduction(int width, int height, int min_short_side);

// OpenCV's own pre-allocation guard (OPENCV_IO_MAX_IMAGE_PIXELS) is read once
// per process at the first decode; call this before any decode (main does) so
// it matches max_pixels for formats whose size is not probed here (TIFF).
void InstallCodecPixelLimit(std::uint64_t max_pixels);

}  // namespace cp::image
