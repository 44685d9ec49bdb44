#include "image/preprocess.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace cp::image {

int PreprocessSpec::resize_short_side() const {
  return static_cast<int>(std::lround(std::min(width, height) * resize_factor));
}

Status Preprocess(const cv::Mat& rgb, const PreprocessSpec& spec, std::span<float> out) {
  if (rgb.empty() || rgb.type() != CV_8UC3) return Internal("Preprocess expects a non-empty CV_8UC3 image");
  if (out.size() != spec.tensor_size()) return Internal("Preprocess output buffer has the wrong size");

  // Resize (torchvision semantics: the shorter side becomes the target, the
  // longer one is truncated) so the result covers the scaled crop.
  const double target_w = std::lround(spec.width * spec.resize_factor);
  const double target_h = std::lround(spec.height * spec.resize_factor);
  const double scale = std::max(target_w / rgb.cols, target_h / rgb.rows);
  const int new_w = std::max(spec.width, static_cast<int>(rgb.cols * scale));
  const int new_h = std::max(spec.height, static_cast<int>(rgb.rows * scale));
  cv::Mat resized;
  if (new_w == rgb.cols && new_h == rgb.rows) {
    resized = rgb;
  } else {
    const int interp = scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR;
    cv::resize(rgb, resized, cv::Size(new_w, new_h), 0, 0, interp);
  }

  const int top = static_cast<int>(std::lround((new_h - spec.height) / 2.0));
  const int left = static_cast<int>(std::lround((new_w - spec.width) / 2.0));
  const cv::Mat crop = resized(cv::Rect(left, top, spec.width, spec.height));

  // Per-channel affine map v -> v * a[c] + b[c], a = 1/(255 std), b = -mean/std.
  float a[3], b[3];
  for (int c = 0; c < 3; ++c) {
    a[c] = 1.0f / (255.0f * spec.std[c]);
    b[c] = -spec.mean[c] / spec.std[c];
  }
  const std::size_t plane = static_cast<std::size_t>(spec.width) * static_cast<std::size_t>(spec.height);
  float* dst = out.data();
  for (int y = 0; y < spec.height; ++y) {
    const auto* row = crop.ptr<cv::Vec3b>(y);
    if (spec.layout == TensorLayout::kNCHW) {
      float* r = dst + static_cast<std::size_t>(y) * spec.width;
      float* g = r + plane;
      float* bl = g + plane;
      for (int x = 0; x < spec.width; ++x) {
        r[x] = row[x][0] * a[0] + b[0];
        g[x] = row[x][1] * a[1] + b[1];
        bl[x] = row[x][2] * a[2] + b[2];
      }
    } else {
      float* p = dst + static_cast<std::size_t>(y) * spec.width * 3;
      for (int x = 0; x < spec.width; ++x) {
        for (int c = 0; c < 3; ++c) p[x * 3 + c] = row[x][c] * a[c] + b[c];
      }
    }
  }
  return Status::Ok();
}

}  // namespace cp::image
