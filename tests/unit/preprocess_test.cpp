#include "image/preprocess.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace cp::image {
namespace {

constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};

float Norm(int v, int c) { return (v / 255.0f - kMean[c]) / kStd[c]; }

TEST(Preprocess, UniformImageNormalisesPerChannel) {
  cv::Mat rgb(300, 400, CV_8UC3, cv::Scalar(10, 128, 250));
  PreprocessSpec spec;
  std::vector<float> out(spec.tensor_size());
  ASSERT_TRUE(Preprocess(rgb, spec, out).ok());
  const std::size_t plane = 224 * 224;
  EXPECT_NEAR(out[0], Norm(10, 0), 1e-5);
  EXPECT_NEAR(out[plane + 5], Norm(128, 1), 1e-5);
  EXPECT_NEAR(out[2 * plane + plane - 1], Norm(250, 2), 1e-5);
}

TEST(Preprocess, CentreCropOfAWideImage) {
  // 512x256: shorter side already 256, so no resize; the crop takes x in
  // [144, 368). Columns left of 256 are 0, right are 255.
  cv::Mat rgb(256, 512, CV_8UC3, cv::Scalar(0, 0, 0));
  rgb(cv::Rect(256, 0, 256, 256)).setTo(cv::Scalar(255, 255, 255));
  PreprocessSpec spec;
  std::vector<float> out(spec.tensor_size());
  ASSERT_TRUE(Preprocess(rgb, spec, out).ok());
  // crop column 111 = source 255 (black), column 112 = source 256 (white)
  EXPECT_NEAR(out[10 * 224 + 111], Norm(0, 0), 1e-5);
  EXPECT_NEAR(out[10 * 224 + 112], Norm(255, 0), 1e-5);
}

TEST(Preprocess, TallImageResizesShorterSideTo256) {
  // 100x200 (w x h) upscales to 256x512; crop rows [144, 368) of 512: the
  // top half of the source (rows < 100 -> < 256 after scaling) is black.
  cv::Mat rgb(200, 100, CV_8UC3, cv::Scalar(0, 0, 0));
  rgb(cv::Rect(0, 100, 100, 100)).setTo(cv::Scalar(255, 255, 255));
  PreprocessSpec spec;
  std::vector<float> out(spec.tensor_size());
  ASSERT_TRUE(Preprocess(rgb, spec, out).ok());
  EXPECT_NEAR(out[50 * 224 + 100], Norm(0, 0), 1e-5);     // crop row 50 = resized row 194
  EXPECT_NEAR(out[200 * 224 + 100], Norm(255, 0), 1e-5);  // crop row 200 = resized row 344
}

TEST(Preprocess, NhwcLayoutInterleavesChannels) {
  cv::Mat rgb(224, 224, CV_8UC3, cv::Scalar(255, 0, 128));
  PreprocessSpec spec;
  spec.layout = TensorLayout::kNHWC;
  std::vector<float> out(spec.tensor_size());
  ASSERT_TRUE(Preprocess(rgb, spec, out).ok());
  EXPECT_NEAR(out[0], Norm(255, 0), 1e-4);
  EXPECT_NEAR(out[1], Norm(0, 1), 1e-4);
  EXPECT_NEAR(out[2], Norm(128, 2), 1e-4);
}

TEST(Preprocess, DownscaleIsAntialiased) {
  // A 1-pixel checkerboard averaged by the resize: area interpolation gives
  // ~127 everywhere; plain bilinear sampling would alias to 0 or 255.
  cv::Mat rgb(1024, 1024, CV_8UC3);
  for (int y = 0; y < 1024; ++y)
    for (int x = 0; x < 1024; ++x)
      rgb.at<cv::Vec3b>(y, x) = ((x + y) % 2) ? cv::Vec3b(255, 255, 255) : cv::Vec3b(0, 0, 0);
  PreprocessSpec spec;
  std::vector<float> out(spec.tensor_size());
  ASSERT_TRUE(Preprocess(rgb, spec, out).ok());
  for (int i : {0, 1, 777, 224 * 100 + 3}) EXPECT_NEAR(out[i], Norm(128, 0), 0.03f);
}

TEST(Preprocess, RejectsWrongBuffer) {
  cv::Mat rgb(10, 10, CV_8UC3);
  PreprocessSpec spec;
  std::vector<float> out(10);
  EXPECT_FALSE(Preprocess(rgb, spec, out).ok());
}

// Mean absolute difference of two tensors, in 8-bit levels of channel 0.
double MeanLevels(const std::vector<float>& x, const std::vector<float>& y) {
  double sum = 0;
  for (std::size_t i = 0; i < 224 * 224; ++i) sum += std::abs(x[i] - y[i]);
  return sum / (224 * 224) * 255.0 * kStd[0];
}

TEST(Preprocess, ReducedFrameCropsTheRegionOfTheFullFrame) {
  // 1003x757 with a steep horizontal and vertical ramp through the crop. A
  // decode at 1/4 averages 4x4 blocks into a 251x190 frame (sizes rounded
  // up). Resized by its own size, that frame's crop window sits a fraction of
  // a pixel off the full decode's; mapped from the full size it does not.
  cv::Mat full(757, 1003, CV_8UC3);
  for (int y = 0; y < full.rows; ++y)
    for (int x = 0; x < full.cols; ++x) {
      const auto v = static_cast<uchar>(std::clamp((x - 300) * 255 / 400, 0, 255));
      const auto w = static_cast<uchar>(std::clamp((y - 200) * 255 / 350, 0, 255));
      full.at<cv::Vec3b>(y, x) = {v, w, 128};
    }
  cv::Mat padded, reduced;
  cv::copyMakeBorder(full, padded, 0, 4 * 190 - 757, 0, 4 * 251 - 1003, cv::BORDER_REPLICATE);
  cv::resize(padded, reduced, cv::Size(251, 190), 0, 0, cv::INTER_AREA);
  PreprocessSpec spec;
  std::vector<float> a(spec.tensor_size()), b(spec.tensor_size()), c(spec.tensor_size());
  ASSERT_TRUE(Preprocess(full, spec, a).ok());
  ASSERT_TRUE(Preprocess(reduced, spec, b, full.size()).ok());
  ASSERT_TRUE(Preprocess(reduced, spec, c).ok());
  std::cout << "mean |full - reduced| in levels: mapped " << MeanLevels(a, b) << ", own size " << MeanLevels(a, c)
            << "\n";
  EXPECT_LT(MeanLevels(a, b), 0.2);  // the frame's own size gives 0.44
}

}  // namespace
}  // namespace cp::image
