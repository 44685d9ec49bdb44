#include "image/jpeg_decoder.h"

#include <csetjmp>
#include <string>
#include <vector>

// jpeglib.h uses FILE and size_t without including their headers.
// clang-format off
#include <cstdio>
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include "image/exif_orientation.h"

namespace cp::image {

namespace {

// libjpeg's warnings that lose no pixel (see jpeg_decoder.h).
bool Harmless(int msg_code) {
  return msg_code == JWRN_EXTRANEOUS_DATA || msg_code == JWRN_JFIF_MAJOR || msg_code == JWRN_ADOBE_XFORM ||
         msg_code == JWRN_BOGUS_ICC;
}

// libjpeg reports through these callbacks. An error longjmps back to Run
// (libjpeg's documented way out; nothing in the callbacks owns a resource).
struct ErrorState {
  jpeg_error_mgr mgr;  // first: libjpeg sees only this
  std::jmp_buf jump;
  bool stop_on_damage = true;
  bool failed = false;                 // an error (not a warning) ended the decode
  bool damaged = false;                // a warning that loses pixels was seen
  char message[JMSG_LENGTH_MAX] = {};  // the error's, or the first damaging warning's
};

[[noreturn]] void OnError(j_common_ptr cinfo) {
  auto* st = reinterpret_cast<ErrorState*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, st->message);
  st->failed = true;
  std::longjmp(st->jump, 1);
}

void OnMessage(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  auto* st = reinterpret_cast<ErrorState*>(cinfo->err);
  if (Harmless(cinfo->err->msg_code)) return;
  if (!st->damaged) (*cinfo->err->format_message)(cinfo, st->message);
  st->damaged = true;
  if (st->stop_on_damage) std::longjmp(st->jump, 1);
}

void Quiet(j_common_ptr) {}

// Everything the decode touches lives here, in the caller's frame, so that
// nothing Run modifies after setjmp is a local of Run (whose value would be
// indeterminate after the longjmp).
struct Decode {
  Decode() = default;
  Decode(const Decode&) = delete;
  Decode& operator=(const Decode&) = delete;
  ~Decode() {
    if (created) jpeg_destroy_decompress(&cinfo);
  }

  jpeg_decompress_struct cinfo{};
  bool created = false;
  ErrorState err;
  cv::Mat frame;
  std::vector<JSAMPROW> rows;
  std::vector<JSAMPLE> scratch;  // the last row, read only to finish decoding
  bool cmyk = false;
};

// The rows and columns of the stored (not yet upright) output frame to
// convert: all of them, or the stored place of what `region` asks for.
cv::Rect StoredRegion(const jpeg_decompress_struct& cinfo, int orientation, const FrameRegion& region) {
  const cv::Size stored(static_cast<int>(cinfo.output_width), static_cast<int>(cinfo.output_height));
  const cv::Rect all(cv::Point(0, 0), stored);
  if (!region) return all;
  const bool swapped = orientation >= 5 && orientation <= 8;
  const cv::Size frame = swapped ? cv::Size(stored.height, stored.width) : stored;
  const cv::Size full(static_cast<int>(swapped ? cinfo.image_height : cinfo.image_width),
                      static_cast<int>(swapped ? cinfo.image_width : cinfo.image_height));
  const cv::Rect wanted = region(frame, full) & cv::Rect(cv::Point(0, 0), frame);
  if (wanted.empty()) return all;
  // libjpeg's fancy upsampling treats a cropped row's ends as the image's
  // edge, so the last pixel or two of a crop differ from a full decode
  // (measured: up to 21 levels). A margin of one iMCU (at most 32 pixels
  // wide, 16 high) keeps those pixels outside what was asked for.
  constexpr int kMarginX = 32;
  constexpr int kMarginY = 16;
  const cv::Rect r = StoredRect(wanted, stored, orientation);
  return cv::Rect(r.x - kMarginX, r.y - kMarginY, r.width + 2 * kMarginX, r.height + 2 * kMarginY) & all;
}

// True when the frame was decoded (perhaps with damage that was allowed).
bool Run(Decode* d, const unsigned char* data, unsigned long size, int reduction, int orientation,
         const FrameRegion& region) {
  d->cinfo.err = jpeg_std_error(&d->err.mgr);
  d->err.mgr.error_exit = OnError;
  d->err.mgr.emit_message = OnMessage;
  d->err.mgr.output_message = Quiet;
  jpeg_create_decompress(&d->cinfo);
  d->created = true;
  if (setjmp(d->err.jump) != 0) return false;  // ~Decode destroys the decompressor
  jpeg_mem_src(&d->cinfo, data, size);
  jpeg_read_header(&d->cinfo, TRUE);
  d->cmyk = d->cinfo.jpeg_color_space == JCS_CMYK || d->cinfo.jpeg_color_space == JCS_YCCK;
  d->cinfo.out_color_space = d->cmyk ? JCS_CMYK : JCS_RGB;
  d->cinfo.scale_num = 1;
  d->cinfo.scale_denom = static_cast<unsigned>(reduction > 1 ? reduction : 1);
  jpeg_start_decompress(&d->cinfo);
  const int width = static_cast<int>(d->cinfo.output_width);
  const int height = static_cast<int>(d->cinfo.output_height);
  const int channels = d->cmyk ? 4 : 3;
  d->frame.create(height, width, d->cmyk ? CV_8UC4 : CV_8UC3);

  // Columns: libjpeg widens the range to its block grid. Rows above are
  // skipped and rows below read without converting more than one of them,
  // so every entropy-coded block is still decoded (and damage still seen).
  const cv::Rect want = StoredRegion(d->cinfo, orientation, region);
  JDIMENSION x = static_cast<JDIMENSION>(want.x);
  JDIMENSION w = static_cast<JDIMENSION>(want.width);
  if (want.width < width) jpeg_crop_scanline(&d->cinfo, &x, &w);
  const cv::Rect decoded(static_cast<int>(x), want.y, static_cast<int>(w), want.height);
  if (decoded.size() != d->frame.size()) {  // what is not decoded is black
    const int right = decoded.x + decoded.width;
    d->frame.rowRange(0, decoded.y).setTo(cv::Scalar::all(0));
    d->frame.rowRange(decoded.y + decoded.height, height).setTo(cv::Scalar::all(0));
    d->frame(cv::Rect(0, decoded.y, decoded.x, decoded.height)).setTo(cv::Scalar::all(0));
    d->frame(cv::Rect(right, decoded.y, width - right, decoded.height)).setTo(cv::Scalar::all(0));
  }

  d->rows.resize(static_cast<std::size_t>(decoded.height));
  for (int y = 0; y < decoded.height; ++y) d->rows[y] = d->frame.ptr(decoded.y + y) + decoded.x * channels;
  const auto top = static_cast<JDIMENSION>(decoded.y);
  const auto bottom = static_cast<JDIMENSION>(decoded.y + decoded.height);
  while (d->cinfo.output_scanline < top) jpeg_skip_scanlines(&d->cinfo, top - d->cinfo.output_scanline);
  while (d->cinfo.output_scanline < bottom) {
    jpeg_read_scanlines(&d->cinfo, d->rows.data() + (d->cinfo.output_scanline - top),
                        bottom - d->cinfo.output_scanline);
  }
  if (d->cinfo.output_scanline < d->cinfo.output_height) {
    // Skipping to the very end would stop decoding; skip to the last row and
    // read that one (into a scratch row) so the entropy decoder sees it all.
    const JDIMENSION last = d->cinfo.output_height - 1;
    while (d->cinfo.output_scanline < last) jpeg_skip_scanlines(&d->cinfo, last - d->cinfo.output_scanline);
    d->scratch.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(channels));
    JSAMPROW row = d->scratch.data();
    while (d->cinfo.output_scanline < d->cinfo.output_height) jpeg_read_scanlines(&d->cinfo, &row, 1);
  }
  jpeg_finish_decompress(&d->cinfo);
  return true;
}

// libjpeg's message says which damage it found; the first word of ours
// repeats it ("Premature end of JPEG file" is a file cut short).
Status Damaged(const std::string& what) {
  const bool truncated = what.find("Premature end") != std::string::npos;
  return InvalidArgument(std::string("the JPEG image is ") + (truncated ? "truncated" : "corrupt") +
                         " (libjpeg: " + what + ")");
}

// libjpeg returns CMYK as stored; Adobe writes it inverted (as nearly every
// CMYK JPEG is). The same arithmetic as OpenCV's JPEG reader.
cv::Mat InvertedCmykToRgb(const cv::Mat& cmyk) {
  cv::Mat rgb(cmyk.rows, cmyk.cols, CV_8UC3);
  for (int y = 0; y < cmyk.rows; ++y) {
    const auto* src = cmyk.ptr<cv::Vec4b>(y);
    auto* dst = rgb.ptr<cv::Vec3b>(y);
    for (int x = 0; x < cmyk.cols; ++x) {
      const int k = src[x][3];
      for (int c = 0; c < 3; ++c) dst[x][c] = static_cast<uchar>(k - ((255 - src[x][c]) * k >> 8));
    }
  }
  return rgb;
}

}  // namespace

Result<cv::Mat> DecodeJpeg(std::string_view bytes, int reduction, bool allow_damaged, const FrameRegion& region) {
  Decode d;
  d.err.stop_on_damage = !allow_damaged;
  const int orientation = ExifOrientation(bytes);
  const bool decoded = Run(&d, reinterpret_cast<const unsigned char*>(bytes.data()),
                           static_cast<unsigned long>(bytes.size()), reduction, orientation, region);
  if (d.err.failed)
    return InvalidArgument(std::string("cannot decode the JPEG image (libjpeg: ") + d.err.message + ")");
  if (!decoded || (d.err.damaged && !allow_damaged)) return Damaged(d.err.message);
  cv::Mat frame = d.cmyk ? InvertedCmykToRgb(d.frame) : d.frame;
  return ApplyOrientation(frame, orientation);
}

}  // namespace cp::image
