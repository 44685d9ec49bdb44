#include "image/preprocess.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace cp::image {

int PreprocessSpec::resize_short_side() const {
  return static_cast<int>(std::lround(std::min(width, height) * resize_factor));
}

Status Preprocess(const cv::Mat& rgb, const PreprocessSpec& spec, std::span<float> out, cv::Size full_size) {
  if (rgb.empty() || rgb.type() != CV_8UC3) return Internal("Preprocess expects a non-empty CV_8UC3 image");
  if (out.size() != spec.tensor_size()) return Internal("Preprocess output buffer has the wrong size");
  if (full_size.empty()) full_size = rgb.size();

  // Resize (torchvision semantics: the shorter side becomes the target, the
  // longer one is truncated) so the result covers the scaled crop. The target
  // comes from the full-resolution size, whatever scale rgb was decoded at.
  const double target_w = std::lround(spec.width * spec.resize_factor);
  const double target_h = std::lround(spec.height * spec.resize_factor);
  const double scale = std::max(target_w / full_size.width, target_h / full_size.height);
  const int new_w = std::max(spec.width, static_cast<int>(full_size.width * scale));
  const int new_h = std::max(spec.height, static_cast<int>(full_size.height * scale));
  cv::Mat resized;
  if (rgb.size() == full_size) {
    if (new_w == rgb.cols && new_h == rgb.rows) {
      resized = rgb;
    } else {
      const int interp = scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR;
      cv::resize(rgb, resized, cv::Size(new_w, new_h), 0, 0, interp);
    }
  } else {
    // A frame reduced by r: pixel u covers full-resolution pixels [r u, r u + r),
    // so scale it by r * new / full, the factor that maps the full image to
    // (new_w, new_h), and each pixel lands where the full decode's would. The
    // reduced size is rounded, so the result may be a pixel larger or smaller.
    const double r = std::round(
        std::max(static_cast<double>(full_size.width) / rgb.cols, static_cast<double>(full_size.height) / rgb.rows));
    const double fx = r * new_w / full_size.width;
    const double fy = r * new_h / full_size.height;
    const int interp = fx * fy < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR;
    cv::resize(rgb, resized, cv::Size(), fx, fy, interp);
    if (resized.cols < spec.width || resized.rows < spec.height) {
      cv::resize(rgb, resized, cv::Size(new_w, new_h), 0, 0, interp);  // degenerate sizes only
    }
  }

  const int top = std::min(static_cast<int>(std::lround((new_h - spec.height) / 2.0)), resized.rows - spec.height);
  const int left = std::min(static_cast<int>(std::lround((new_w - spec.width) / 2.0)), resized.cols - spec.width);
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
