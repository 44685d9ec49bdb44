// ImageNet preprocessing, as in the ONNX model zoo's reference (and
// torchvision's Resize + CenterCrop + Normalize): resize so that the image
// covers (height, width) * resize_factor keeping the aspect ratio, centre
// crop (height, width), scale to [0,1], subtract mean, divide by std.
// Downscaling uses area interpolation (antialiased); upscaling bilinear.
#pragma once

#include <array>
#include <cstddef>
#include <opencv2/core/mat.hpp>
#include <span>

#include "common/status.h"

namespace cp::image {

enum class TensorLayout { kNCHW, kNHWC };

struct PreprocessSpec {
  int width = 224;
  int height = 224;
  TensorLayout layout = TensorLayout::kNCHW;
  float resize_factor = 256.0f / 224.0f;  // 224 crop out of a 256 shorter side
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};

  std::size_t tensor_size() const { return static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3; }
  // Shorter side the resize step produces for a square crop (256 for 224).
  int resize_short_side() const;
};

// rgb: CV_8UC3 in RGB order. out: exactly spec.tensor_size() floats, one
// image in spec.layout without the batch dimension. full_size: the image's
// size at full resolution when rgb was decoded at a reduced scale (empty:
// rgb.size()); the resize target and so the crop window are computed from it,
// so a reduced decode crops exactly the region a full decode would (a reduced
// frame's size is rounded, which would otherwise shift the crop by a pixel).
Status Preprocess(const cv::Mat& rgb, const PreprocessSpec& spec, std::span<float> out, cv::Size full_size = {});

// The part of a frame (its size `frame`, full_size as for Preprocess) whose
// pixels reach Preprocess's crop; the rest may hold anything (a decoder may
// leave it black: DecodeOptions::region). It is the crop's footprint through
// the resize plus a margin of 2 pixels.
cv::Rect CropFootprint(const PreprocessSpec& spec, cv::Size frame, cv::Size full_size = {});

}  // namespace cp::image
