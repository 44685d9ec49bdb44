#include "image/png_decoder.h"

#include <png.h>

#include <cstring>
#include <string>
#include <vector>

#include "image/alpha.h"

namespace cp::image {

namespace {

// Everything the libpng callbacks and the error path touch lives here, in the
// caller's frame, so nothing of it is a local of the function that calls
// setjmp (whose locals longjmp may clobber).
struct PngRead {
  std::string_view bytes;
  std::size_t pos = 0;
  bool ran_out = false;  // a read past the end of the bytes
  char error[256] = {};  // libpng's message
  cv::Mat frame;         // RGB or RGBA, 8-bit
  std::vector<png_bytep> rows;
  bool header_done = false;  // frame allocated: partial pixels are usable
};

void OnError(png_structp png, png_const_charp message) {
  auto* r = static_cast<PngRead*>(png_get_error_ptr(png));
  std::strncpy(r->error, message != nullptr ? message : "unknown error", sizeof r->error - 1);
  png_longjmp(png, 1);
}

void OnWarning(png_structp, png_const_charp) {}  // e.g. a bad ancillary chunk: the pixels are fine

void ReadBytes(png_structp png, png_bytep dst, std::size_t n) {
  auto* r = static_cast<PngRead*>(png_get_io_ptr(png));
  if (n > r->bytes.size() - r->pos) {
    r->ran_out = true;
    png_error(png, "Read Error");  // libpng's own words for a short read
  }
  std::memcpy(dst, r->bytes.data() + r->pos, n);
  r->pos += n;
}

// true: the whole image was read. false: libpng stopped (r.error says why).
bool ReadImage(png_structp png, png_infop info, PngRead& r) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, &r, ReadBytes);
  png_read_info(png, info);
  const png_byte color = png_get_color_type(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color == PNG_COLOR_TYPE_GRAY && png_get_bit_depth(png, info) < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  png_set_scale_16(png);
  if (!(color & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int w = static_cast<int>(png_get_image_width(png, info));
  const int h = static_cast<int>(png_get_image_height(png, info));
  const int channels = png_get_channels(png, info);
  r.frame.create(h, w, channels == 4 ? CV_8UC4 : CV_8UC3);
  r.frame.setTo(cv::Scalar::all(255));  // rows never reached stay white (and opaque)
  r.rows.resize(static_cast<std::size_t>(h));
  for (int y = 0; y < h; ++y) r.rows[static_cast<std::size_t>(y)] = r.frame.ptr(y);
  r.header_done = true;
  for (int pass = 0; pass < passes; ++pass) {
    for (int y = 0; y < h; ++y) png_read_row(png, r.rows[static_cast<std::size_t>(y)], nullptr);
  }
  png_read_end(png, nullptr);
  return true;
}

Status Damaged(const PngRead& r) {
  return InvalidArgument(std::string("the PNG image is ") + (r.ran_out ? "truncated" : "corrupt") +
                         " (libpng: " + r.error + ")");
}

}  // namespace

Result<cv::Mat> DecodePng(std::string_view bytes, bool allow_truncated) {
  PngRead r;
  r.bytes = bytes;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &r, OnError, OnWarning);
  if (png == nullptr) return Internal("libpng: png_create_read_struct failed");
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return Internal("libpng: png_create_info_struct failed");
  }
  const bool complete = ReadImage(png, info, r);
  png_destroy_read_struct(&png, &info, nullptr);
  if (!complete && !(allow_truncated && r.header_done)) return Damaged(r);
  if (r.frame.channels() == 4) return CompositeOverWhite(r.frame, /*bgr_order=*/false);
  return std::move(r.frame);
}

}  // namespace cp::image
