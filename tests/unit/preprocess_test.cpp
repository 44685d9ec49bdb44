#include "image/preprocess.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "image/decoder.h"
#include "support/jpeg_fixture.h"

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

// The preprocessing as it was before Preprocess resized only the part of the
// frame its crop needs: the whole frame resized, then cropped.
std::vector<float> WholeFrameReference(const cv::Mat& rgb, const PreprocessSpec& spec, cv::Size full_size = {}) {
  if (full_size.empty()) full_size = rgb.size();
  const double target = std::lround(spec.width * spec.resize_factor);
  const double scale = std::max(target / full_size.width, target / full_size.height);
  const int new_w = std::max(spec.width, static_cast<int>(full_size.width * scale));
  const int new_h = std::max(spec.height, static_cast<int>(full_size.height * scale));
  cv::Mat resized;
  if (rgb.size() == full_size) {
    if (new_w == rgb.cols && new_h == rgb.rows) {
      resized = rgb;
    } else {
      cv::resize(rgb, resized, cv::Size(new_w, new_h), 0, 0, scale < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
  } else {
    const double r = std::round(
        std::max(static_cast<double>(full_size.width) / rgb.cols, static_cast<double>(full_size.height) / rgb.rows));
    const double fx = r * new_w / full_size.width;
    const double fy = r * new_h / full_size.height;
    const int interp = fx * fy < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR;
    cv::resize(rgb, resized, cv::Size(), fx, fy, interp);
    if (resized.cols < spec.width || resized.rows < spec.height) {
      cv::resize(rgb, resized, cv::Size(new_w, new_h), 0, 0, interp);
    }
  }
  const int top = std::min(static_cast<int>(std::lround((new_h - spec.height) / 2.0)), resized.rows - spec.height);
  const int left = std::min(static_cast<int>(std::lround((new_w - spec.width) / 2.0)), resized.cols - spec.width);
  const cv::Mat crop = resized(cv::Rect(left, top, spec.width, spec.height));
  std::vector<float> out(spec.tensor_size());
  const std::size_t plane = static_cast<std::size_t>(spec.width) * spec.height;
  for (int y = 0; y < spec.height; ++y)
    for (int x = 0; x < spec.width; ++x)
      for (int c = 0; c < 3; ++c) {
        const float a = 1.0f / (255.0f * spec.std[c]);
        const float b = -spec.mean[c] / spec.std[c];
        out[c * plane + static_cast<std::size_t>(y) * spec.width + x] = crop.at<cv::Vec3b>(y, x)[c] * a + b;
      }
  return out;
}

// Sizes that take every path: area at non-integer and integer factors, bilinear
// upscaling, no resize at all, extreme aspect ratios, odd sizes.
const std::vector<cv::Size> kFrameSizes = {{773, 512},  {512, 773}, {1003, 757}, {640, 480}, {772, 512}, {1544, 1024},
                                           {1352, 900}, {300, 200}, {100, 200},  {224, 224}, {256, 300}, {225, 1000},
                                           {2000, 230}, {257, 257}, {4000, 300}, {333, 4001}};

TEST(Preprocess, ResizingOnlyWhatTheCropNeedsChangesNoPixel) {
  PreprocessSpec spec;
  for (const cv::Size size : kFrameSizes) {
    const cv::Mat rgb = test::TexturedRgb(size.width, size.height);
    std::vector<float> got(spec.tensor_size());
    ASSERT_TRUE(Preprocess(rgb, spec, got).ok()) << size;
    EXPECT_TRUE(got == WholeFrameReference(rgb, spec)) << size;
  }
  // Reduced frames mapped onto their full size (as a 1/4 decode of 1003x757).
  for (const auto& [frame, full] : std::vector<std::pair<cv::Size, cv::Size>>{
           {{251, 190}, {1003, 757}}, {{1000, 750}, {4000, 3000}}, {{520, 1001}, {2080, 4001}}}) {
    const cv::Mat rgb = test::TexturedRgb(frame.width, frame.height);
    std::vector<float> got(spec.tensor_size());
    ASSERT_TRUE(Preprocess(rgb, spec, got, full).ok()) << frame;
    EXPECT_TRUE(got == WholeFrameReference(rgb, spec, full)) << frame << " of " << full;
  }
}

TEST(Preprocess, PixelsOutsideTheCropFootprintReachNoOutput) {
  PreprocessSpec spec;
  for (const cv::Size size : kFrameSizes) {
    const cv::Mat rgb = test::TexturedRgb(size.width, size.height);
    const cv::Rect fp = CropFootprint(spec, rgb.size());
    ASSERT_EQ(fp & cv::Rect(cv::Point(0, 0), rgb.size()), fp) << size;
    cv::Mat blacked = cv::Mat::zeros(rgb.size(), rgb.type());
    rgb(fp).copyTo(blacked(fp));
    std::vector<float> a(spec.tensor_size()), b(spec.tensor_size());
    ASSERT_TRUE(Preprocess(rgb, spec, a).ok());
    ASSERT_TRUE(Preprocess(blacked, spec, b).ok());
    EXPECT_TRUE(a == b) << size << " footprint " << fp;
    if (size.width >= 600 && size.height >= 600) {
      EXPECT_LT(fp.area(), rgb.size().area() * 0.9) << size;  // the crop needs less than the frame
    }
  }
}

// What the service does: decode only the crop's footprint, then preprocess.
// The tensor is the one a full decode gives, at every scale and orientation.
TEST(Preprocess, RegionDecodedJpegGivesTheSameTensor) {
  PreprocessSpec spec;
  for (const cv::Size size :
       {cv::Size(773, 512), cv::Size(1352, 900), cv::Size(640, 480), cv::Size(300, 200), cv::Size(2100, 1500)}) {
    for (int orientation : {1, 3, 6, 8}) {
      const std::string jpeg =
          test::EncodeJpeg(test::TexturedRgb(size.width, size.height), TJSAMP_420, false, orientation);
      for (int min_short_side : {0, 2 * spec.resize_short_side()}) {
        DecodeOptions whole;
        whole.min_short_side = min_short_side;
        DecodeOptions part = whole;
        part.region = [&spec](cv::Size frame, cv::Size full) { return CropFootprint(spec, frame, full); };
        auto a = DecodeImage(jpeg, whole);
        auto b = DecodeImage(jpeg, part);
        ASSERT_TRUE(a.ok() && b.ok()) << size;
        std::vector<float> ta(spec.tensor_size()), tb(spec.tensor_size());
        ASSERT_TRUE(Preprocess(a->rgb, spec, ta, a->full_size).ok());
        ASSERT_TRUE(Preprocess(b->rgb, spec, tb, b->full_size).ok());
        EXPECT_TRUE(ta == tb) << size << " orientation " << orientation << " min_short_side " << min_short_side;
        EXPECT_NE(cv::norm(a->rgb, b->rgb, cv::NORM_INF), 0.0) << size << ": nothing was left undecoded";
      }
    }
  }
}

}  // namespace
}  // namespace cp::image
