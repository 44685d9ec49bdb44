// EXIF orientation of a JPEG, read by libexif, and its application to a frame.
//
// Thread-safety: reentrant (each call owns its ExifData).
#pragma once

#include <opencv2/core/mat.hpp>
#include <string_view>

namespace cp::image {

// The EXIF Orientation tag (1..8) of a JPEG file's APP1 segment; 1 (upright)
// when there is none or it is unreadable.
int ExifOrientation(std::string_view jpeg_bytes);

// The frame turned upright for orientation 1..8 (TIFF/EXIF semantics: 6 =
// rotate 90 degrees clockwise to display). Other values return it unchanged.
cv::Mat ApplyOrientation(const cv::Mat& frame, int orientation);

// The rectangle of a stored frame of size `stored` that ApplyOrientation(...,
// orientation) turns into `displayed` (a rectangle of the upright frame).
cv::Rect StoredRect(cv::Rect displayed, cv::Size stored, int orientation);

}  // namespace cp::image
