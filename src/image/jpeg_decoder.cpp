#include "image/jpeg_decoder.h"

#include <turbojpeg.h>

#include <memory>
#include <string>

#include "image/exif_orientation.h"

namespace cp::image {

namespace {

struct TjDestroy {
  void operator()(void* handle) const { tjDestroy(handle); }
};
using TjHandle = std::unique_ptr<void, TjDestroy>;

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

Result<cv::Mat> DecodeJpeg(std::string_view bytes, int reduction, bool allow_damaged) {
  TjHandle handle(tjInitDecompress());
  if (!handle) return Internal(std::string("TurboJPEG: ") + tjGetErrorStr2(nullptr));
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto size = static_cast<unsigned long>(bytes.size());
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(handle.get(), data, size, &width, &height, &subsamp, &colorspace) != 0) {
    return InvalidArgument(std::string("cannot decode the JPEG image (libjpeg: ") + tjGetErrorStr2(handle.get()) + ")");
  }
  const tjscalingfactor scale{1, reduction > 1 ? reduction : 1};
  const int w = TJSCALED(width, scale), h = TJSCALED(height, scale);
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  cv::Mat frame(h, w, cmyk ? CV_8UC4 : CV_8UC3);
  const int flags = allow_damaged ? 0 : TJFLAG_STOPONWARNING;
  if (tjDecompress2(handle.get(), data, size, frame.data, w, static_cast<int>(frame.step[0]), h,
                    cmyk ? TJPF_CMYK : TJPF_RGB, flags) != 0) {
    const std::string what = tjGetErrorStr2(handle.get());
    // Without STOPONWARNING a warning still returns -1, with the frame filled.
    if (tjGetErrorCode(handle.get()) != TJERR_WARNING) {
      return InvalidArgument("cannot decode the JPEG image (libjpeg: " + what + ")");
    }
    if (!allow_damaged) return Damaged(what);
  }
  if (cmyk) frame = InvertedCmykToRgb(frame);
  return ApplyOrientation(frame, ExifOrientation(bytes));
}

}  // namespace cp::image
