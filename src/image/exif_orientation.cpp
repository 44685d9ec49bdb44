#include "image/exif_orientation.h"

#include <libexif/exif-data.h>

#include <algorithm>
#include <memory>
#include <opencv2/core.hpp>

namespace cp::image {

namespace {

struct ExifDataUnref {
  void operator()(ExifData* data) const { exif_data_unref(data); }
};

}  // namespace

int ExifOrientation(std::string_view jpeg_bytes) {
  std::unique_ptr<ExifData, ExifDataUnref> data(exif_data_new());
  if (!data) return 1;
  // Read only: no tag fix-ups, no maker-note interpretation.
  exif_data_unset_option(data.get(), EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
  exif_data_set_option(data.get(), EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
  exif_data_load_data(data.get(), reinterpret_cast<const unsigned char*>(jpeg_bytes.data()),
                      static_cast<unsigned int>(jpeg_bytes.size()));
  ExifEntry* entry = exif_content_get_entry(data->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
  if (entry == nullptr || entry->format != EXIF_FORMAT_SHORT || entry->components < 1 || entry->data == nullptr) {
    return 1;
  }
  const int value = exif_get_short(entry->data, exif_data_get_byte_order(data.get()));
  return value >= 1 && value <= 8 ? value : 1;
}

cv::Mat ApplyOrientation(const cv::Mat& frame, int orientation) {
  cv::Mat out;
  switch (orientation) {
    case 2:
      cv::flip(frame, out, 1);
      return out;
    case 3:
      cv::rotate(frame, out, cv::ROTATE_180);
      return out;
    case 4:
      cv::flip(frame, out, 0);
      return out;
    case 5:
      cv::transpose(frame, out);
      return out;
    case 6:
      cv::rotate(frame, out, cv::ROTATE_90_CLOCKWISE);
      return out;
    case 7:
      cv::rotate(frame, out, cv::ROTATE_90_CLOCKWISE);  // then upside down: the transverse
      cv::flip(out, out, 0);
      return out;
    case 8:
      cv::rotate(frame, out, cv::ROTATE_90_COUNTERCLOCKWISE);
      return out;
    default:
      return frame;
  }
}

cv::Rect StoredRect(cv::Rect displayed, cv::Size stored, int orientation) {
  // Where the displayed pixel (x, y) was stored: ApplyOrientation's moves
  // undone (for 6, rotating clockwise put stored (xs, ys) at (H-1-ys, xs)).
  const int w = stored.width;
  const int h = stored.height;
  auto stored_at = [&](int x, int y) -> cv::Point {
    switch (orientation) {
      case 2:
        return {w - 1 - x, y};
      case 3:
        return {w - 1 - x, h - 1 - y};
      case 4:
        return {x, h - 1 - y};
      case 5:
        return {y, x};
      case 6:
        return {y, h - 1 - x};
      case 7:
        return {w - 1 - y, h - 1 - x};
      case 8:
        return {w - 1 - y, x};
      default:
        return {x, y};
    }
  };
  if (displayed.empty()) return {};
  const cv::Point a = stored_at(displayed.x, displayed.y);
  const cv::Point b = stored_at(displayed.x + displayed.width - 1, displayed.y + displayed.height - 1);
  return {cv::Point(std::min(a.x, b.x), std::min(a.y, b.y)), cv::Point(std::max(a.x, b.x) + 1, std::max(a.y, b.y) + 1)};
}

}  // namespace cp::image
