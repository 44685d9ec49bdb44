#include "image/preprocess.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <utility>

namespace cp::image {

int PreprocessSpec::resize_short_side() const {
  return static_cast<int>(std::lround(std::min(width, height) * resize_factor));
}

namespace {

// Where the crop comes from. The frame (full or reduced) is resized by
// (fx, fy) with `interp` into a resized_w x resized_h image; the crop is its
// spec.width x spec.height window at (left, top).
struct Geometry {
  bool resize = true;  // false: the frame already has the resized size
  double fx = 1, fy = 1;
  int interp = cv::INTER_LINEAR;
  int resized_w = 0, resized_h = 0;
  int left = 0, top = 0;
};

Geometry GeometryOf(cv::Size frame, const PreprocessSpec& spec, cv::Size full_size) {
  if (full_size.empty()) full_size = frame;
  // Resize (torchvision semantics: the shorter side becomes the target, the
  // longer one is truncated) so the result covers the scaled crop. The target
  // comes from the full-resolution size, whatever scale the frame was decoded at.
  const double target_w = std::lround(spec.width * spec.resize_factor);
  const double target_h = std::lround(spec.height * spec.resize_factor);
  const double scale = std::max(target_w / full_size.width, target_h / full_size.height);
  const int new_w = std::max(spec.width, static_cast<int>(full_size.width * scale));
  const int new_h = std::max(spec.height, static_cast<int>(full_size.height * scale));
  Geometry g;
  // The factors are exactly those cv::resize derives from a destination size
  // (new / source), so giving them explicitly changes no pixel.
  if (frame == full_size) {
    g.resize = new_w != frame.width || new_h != frame.height;
    g.fx = static_cast<double>(new_w) / frame.width;
    g.fy = static_cast<double>(new_h) / frame.height;
    g.interp = scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR;
    g.resized_w = new_w;
    g.resized_h = new_h;
  } else {
    // A frame reduced by r: pixel u covers full-resolution pixels [r u, r u + r),
    // so scale it by r * new / full, the factor that maps the full image to
    // (new_w, new_h), and each pixel lands where the full decode's would. The
    // reduced size is rounded, so the result may be a pixel larger or smaller.
    const double r = std::round(std::max(static_cast<double>(full_size.width) / frame.width,
                                         static_cast<double>(full_size.height) / frame.height));
    g.fx = r * new_w / full_size.width;
    g.fy = r * new_h / full_size.height;
    g.interp = g.fx * g.fy < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR;
    g.resized_w = cv::saturate_cast<int>(frame.width * g.fx);  // what cv::resize makes of the factors
    g.resized_h = cv::saturate_cast<int>(frame.height * g.fy);
    if (g.resized_w < spec.width || g.resized_h < spec.height) {  // degenerate sizes only
      g.fx = static_cast<double>(new_w) / frame.width;
      g.fy = static_cast<double>(new_h) / frame.height;
      g.resized_w = new_w;
      g.resized_h = new_h;
    }
  }
  g.top = std::min(static_cast<int>(std::lround((new_h - spec.height) / 2.0)), g.resized_h - spec.height);
  g.left = std::min(static_cast<int>(std::lround((new_w - spec.width) / 2.0)), g.resized_w - spec.width);
  return g;
}

// The frame pixels [begin, end) along one axis that resized pixels
// [first, first + n) are computed from: area cells [x / f, (x + 1) / f) and
// bilinear taps at (x + 0.5) / f - 0.5 and the pixel after, with a margin of
// 2 pixels so that no clamped edge of a smaller source reaches them.
std::pair<int, int> SourceSpan(int first, int n, double f, int size) {
  const int begin = static_cast<int>(std::floor(first / f)) - 2;
  const int end = static_cast<int>(std::ceil((first + n) / f)) + 2;
  return {std::clamp(begin, 0, size), std::clamp(end, 0, size)};
}

cv::Rect FootprintOf(const Geometry& g, const PreprocessSpec& spec, cv::Size frame) {
  if (!g.resize) return {g.left, g.top, spec.width, spec.height};
  const auto [x0, x1] = SourceSpan(g.left, spec.width, g.fx, frame.width);
  const auto [y0, y1] = SourceSpan(g.top, spec.height, g.fy, frame.height);
  return {x0, y0, x1 - x0, y1 - y0};
}

}  // namespace

cv::Rect CropFootprint(const PreprocessSpec& spec, cv::Size frame, cv::Size full_size) {
  return FootprintOf(GeometryOf(frame, spec, full_size), spec, frame);
}

Status Preprocess(const cv::Mat& rgb, const PreprocessSpec& spec, std::span<float> out, cv::Size full_size) {
  if (rgb.empty() || rgb.type() != CV_8UC3) return Internal("Preprocess expects a non-empty CV_8UC3 image");
  if (out.size() != spec.tensor_size()) return Internal("Preprocess output buffer has the wrong size");
  const Geometry g = GeometryOf(rgb.size(), spec, full_size);
  cv::Mat resized = rgb;
  if (g.resize) {
    // Only the frame's top-left part that reaches the crop's far edge: a
    // resized pixel depends on the factors and on the frame pixels under it,
    // not on the frame's size, so with the origin kept the crop's pixels are
    // those of resizing the whole frame (Preprocess.ResizingOnlyWhatTheCropNeedsChangesNoPixel).
    // Pixels left of and above CropFootprint are read but reach no crop pixel.
    const cv::Rect fp = FootprintOf(g, spec, rgb.size());
    const cv::Rect part(0, 0, fp.x + fp.width, fp.y + fp.height);
    cv::resize(rgb(part), resized, cv::Size(), g.fx, g.fy, g.interp);
  }
  if (resized.cols < g.left + spec.width || resized.rows < g.top + spec.height || g.left < 0 || g.top < 0) {
    return Internal("Preprocess: the resized image does not cover the crop");
  }
  const cv::Mat crop = resized(cv::Rect(g.left, g.top, spec.width, spec.height));

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
