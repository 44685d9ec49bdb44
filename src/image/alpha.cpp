#include "image/alpha.h"

namespace cp::image {

cv::Mat CompositeOverWhite(const cv::Mat& in, bool bgr_order) {
  CV_Assert(in.type() == CV_8UC4);
  cv::Mat out(in.rows, in.cols, CV_8UC3);
  const int r_idx = bgr_order ? 2 : 0;
  const int b_idx = bgr_order ? 0 : 2;
  for (int y = 0; y < in.rows; ++y) {
    const auto* src = in.ptr<cv::Vec4b>(y);
    auto* dst = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < in.cols; ++x) {
      const int a = src[x][3];
      const int inv = 255 - a;
      // round(c * a / 255 + 255 * (255 - a) / 255)
      dst[x][0] = static_cast<uchar>((src[x][r_idx] * a + 255 * inv + 127) / 255);
      dst[x][1] = static_cast<uchar>((src[x][1] * a + 255 * inv + 127) / 255);
      dst[x][2] = static_cast<uchar>((src[x][b_idx] * a + 255 * inv + 127) / 255);
    }
  }
  return out;
}

}  // namespace cp::image
