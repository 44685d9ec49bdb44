// JPEG through libjpeg-turbo's libjpeg API: DCT-scaled decode straight into
// RGB (or CMYK, converted here), EXIF orientation applied; optionally only a
// region of the frame (jpeg_crop_scanline / jpeg_skip_scanlines).
// libjpeg's warnings are how damage is detected. Those that mean pixels are
// missing or wrong (a file cut short, a bad Huffman or arithmetic code, a
// data segment ended early, a lost restart marker) refuse the image unless
// allow_damaged is set. Those that lose no pixel are not damage, as for
// Pillow, which decodes such files: extraneous bytes between segments
// (skipped; many encoders pad before EOI), an unknown JFIF revision, an
// unknown Adobe transform code, a bad ICC marker (the profile is not used).
//
// Thread-safety: reentrant; each call owns its decompressor and error state.
#pragma once

#include <opencv2/core/mat.hpp>
#include <string_view>

#include "common/status.h"
#include "image/decoder.h"

namespace cp::image {

// reduction: 1, 2, 4 or 8 (libjpeg rounds the reduced size up).
// allow_damaged: decode what libjpeg can recover when it warns of damage (the
// missing part of a truncated file is grey), instead of refusing with
// kInvalidArgument. region: see DecodeOptions::region (empty: all of it).
Result<cv::Mat> DecodeJpeg(std::string_view bytes, int reduction, bool allow_damaged, const FrameRegion& region = {});

}  // namespace cp::image
