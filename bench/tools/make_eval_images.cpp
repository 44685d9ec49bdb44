// make_eval_images --set eval|calib IN_DIR OUT_DIR: writes deterministic
// variants of the photos in IN_DIR (chelsea.png coffee.png eagle.jpg dog.jpg
// cat.webp kite.jpg astronaut.png) into OUT_DIR for bench/accuracy, plus
// OUT_DIR/manifest.tsv (file, source photo, transform).
//
// Every photo gets the same fixed list of transforms: crops (several
// positions and sizes), horizontal flips, whole-image scales, brightness and
// contrast changes, JPEG re-encodes at several qualities, small rotations
// (cropped to the largest same-aspect rectangle inside, so no black corners)
// and a few combinations. No randomness: the output depends only on the
// photos and on the OpenCV version. Lossless variants are written as PNG,
// JPEG variants as .jpg at their quality.
//
// The two sets use disjoint parameter values (other crop sizes and
// positions, scales, levels, qualities and angles), so a model quantized
// with --set calib can be evaluated on --set eval without having seen any of
// its images. They share the seven source photos: the split is by
// transform, not by scene. 45 variants a photo for eval (315), 36 for calib
// (252).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

namespace {

// One transform: geometric steps in order, then photometric, then encoding.
struct Variant {
  std::string name;
  double crop = 1.0;          // side of the crop as a fraction of each image side (1 = none)
  double cx = 0.5, cy = 0.5;  // centre of the crop, as a fraction of the free range (0 = left/top)
  bool flip = false;          // horizontal mirror, before the crop
  double scale = 1.0;         // resize of the whole result (INTER_AREA down, INTER_CUBIC up)
  double angle = 0.0;         // degrees, counter-clockwise, about the centre
  double alpha = 1.0;         // contrast about mid-grey 128
  double beta = 0.0;          // brightness offset in levels
  int jpeg = 0;               // JPEG quality; 0 = PNG
};

struct Params {
  std::vector<double> crop_sizes;
  std::vector<std::pair<const char*, std::pair<double, double>>> crop_positions;
  double flip_crop;
  std::vector<std::pair<const char*, std::pair<double, double>>> flip_positions;
  std::vector<double> scales;
  std::vector<double> betas;
  std::vector<double> alphas;
  std::vector<int> qualities;
  std::vector<double> angles;
  std::vector<Variant> combos;
  bool identity;  // also the photo itself and its plain mirror image
};

Params EvalParams() {
  Params p;
  p.crop_sizes = {0.9, 0.75, 0.6};
  p.crop_positions = {{"c", {0.5, 0.5}}, {"tl", {0, 0}}, {"tr", {1, 0}}, {"bl", {0, 1}}, {"br", {1, 1}}};
  p.flip_crop = 0.8;
  p.flip_positions = {{"c", {0.5, 0.5}}, {"tl", {0, 0}}, {"tr", {1, 0}}, {"bl", {0, 1}}, {"br", {1, 1}}};
  p.scales = {0.5, 0.7, 1.4};
  p.betas = {-50, -25, 25, 50};
  p.alphas = {0.6, 0.8, 1.25, 1.5};
  p.qualities = {90, 70, 50, 30, 15};
  p.angles = {-8, -4, 4, 8};
  Variant a{.name = "combo-flip-bright25-q80", .flip = true, .beta = 25, .jpeg = 80};
  Variant b{.name = "combo-crop80-contrast125-q60", .crop = 0.8, .alpha = 1.25, .jpeg = 60};
  Variant c{.name = "combo-rot5-scale60-dark30", .scale = 0.6, .angle = 5, .beta = -30};
  p.combos = {a, b, c};
  p.identity = true;
  return p;
}

Params CalibParams() {
  Params p;
  p.crop_sizes = {0.85, 0.7};
  p.crop_positions = {{"t", {0.5, 0}}, {"l", {0, 0.5}}, {"r", {1, 0.5}}, {"b", {0.5, 1}}, {"mid", {0.4, 0.6}}};
  p.flip_crop = 0.9;
  p.flip_positions = {{"t", {0.5, 0}}, {"l", {0, 0.5}}, {"r", {1, 0.5}}};
  p.scales = {0.6, 0.85, 1.2};
  p.betas = {-35, -12, 12, 35};
  p.alphas = {0.7, 0.9, 1.1, 1.35};
  p.qualities = {95, 80, 60, 40, 22};
  p.angles = {-6, -2, 2, 6};
  Variant a{.name = "combo-flip-dark20-q65", .flip = true, .beta = -20, .jpeg = 65};
  Variant b{.name = "combo-crop72-contrast85-q45", .crop = 0.72, .cx = 0.3, .cy = 0.7, .alpha = 0.85, .jpeg = 45};
  Variant c{.name = "combo-rot3-scale80-bright18", .scale = 0.8, .angle = -3, .beta = 18};
  p.combos = {a, b, c};
  p.identity = false;
  return p;
}

std::string Percent(double v) { return std::to_string(static_cast<int>(std::lround(v * 100))); }

std::string Signed(double v) {
  const long r = std::lround(v);
  return (r < 0 ? "m" : "p") + std::to_string(std::labs(r));
}

std::vector<Variant> Variants(const Params& p) {
  std::vector<Variant> out;
  if (p.identity) {  // the photo itself, and mirrored
    out.push_back({.name = "orig"});
    out.push_back({.name = "flip", .flip = true});
  }
  for (double s : p.crop_sizes)
    for (const auto& [pos, xy] : p.crop_positions)
      out.push_back({.name = "crop" + Percent(s) + "-" + pos, .crop = s, .cx = xy.first, .cy = xy.second});
  for (const auto& [pos, xy] : p.flip_positions)
    out.push_back({.name = "flip-crop" + Percent(p.flip_crop) + "-" + pos,
                   .crop = p.flip_crop,
                   .cx = xy.first,
                   .cy = xy.second,
                   .flip = true});
  for (double s : p.scales) out.push_back({.name = "scale" + Percent(s), .scale = s});
  for (double b : p.betas) out.push_back({.name = "bright" + Signed(b), .beta = b});
  for (double a : p.alphas) out.push_back({.name = "contrast" + Percent(a), .alpha = a});
  for (int q : p.qualities) out.push_back({.name = "jpeg" + std::to_string(q), .jpeg = q});
  for (double a : p.angles) out.push_back({.name = "rot" + Signed(a), .angle = a});
  out.insert(out.end(), p.combos.begin(), p.combos.end());
  return out;
}

// Rotates about the centre and keeps the largest centred rectangle of the
// original aspect ratio that lies inside the rotated image.
cv::Mat Rotate(const cv::Mat& src, double degrees) {
  const double w = src.cols, h = src.rows;
  const double t = std::abs(degrees) * CV_PI / 180.0, c = std::cos(t), s = std::sin(t);
  const double k = std::min(w / (w * c + h * s), h / (w * s + h * c));
  cv::Mat rotated;
  cv::warpAffine(src, rotated, cv::getRotationMatrix2D(cv::Point2f(w / 2.0f, h / 2.0f), degrees, 1.0), src.size(),
                 cv::INTER_LINEAR, cv::BORDER_REFLECT101);
  const int cw = static_cast<int>(w * k), ch = static_cast<int>(h * k);
  return rotated(cv::Rect((src.cols - cw) / 2, (src.rows - ch) / 2, cw, ch)).clone();
}

cv::Mat Apply(const cv::Mat& src, const Variant& v) {
  cv::Mat img = src;
  if (v.flip) cv::flip(src, img, 1);
  if (v.crop < 1.0) {
    const int cw = static_cast<int>(img.cols * v.crop), ch = static_cast<int>(img.rows * v.crop);
    const int x = static_cast<int>(std::lround((img.cols - cw) * v.cx));
    const int y = static_cast<int>(std::lround((img.rows - ch) * v.cy));
    img = img(cv::Rect(x, y, cw, ch)).clone();
  }
  if (v.angle != 0.0) img = Rotate(img, v.angle);
  if (v.scale != 1.0) {
    cv::Mat scaled;
    cv::resize(img, scaled, cv::Size(), v.scale, v.scale, v.scale < 1.0 ? cv::INTER_AREA : cv::INTER_CUBIC);
    img = scaled;
  }
  if (v.alpha != 1.0 || v.beta != 0.0) {
    cv::Mat adjusted;
    img.convertTo(adjusted, -1, v.alpha, v.beta + 128.0 * (1.0 - v.alpha));  // saturating
    img = adjusted;
  }
  return img;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 || std::strcmp(argv[1], "--set") != 0 ||
      (std::strcmp(argv[2], "eval") != 0 && std::strcmp(argv[2], "calib") != 0)) {
    std::fprintf(stderr, "usage: make_eval_images --set eval|calib IN_DIR OUT_DIR\n");
    return 2;
  }
  const bool eval = std::strcmp(argv[2], "eval") == 0;
  const std::filesystem::path in_dir = argv[3], out_dir = argv[4];
  const std::vector<std::string> photos = {"chelsea.png", "coffee.png", "eagle.jpg",    "dog.jpg",
                                           "cat.webp",    "kite.jpg",   "astronaut.png"};
  const std::vector<Variant> variants = Variants(eval ? EvalParams() : CalibParams());

  std::filesystem::create_directories(out_dir);
  std::ofstream manifest(out_dir / "manifest.tsv");
  manifest << "file\tsource\ttransform\n";
  int written = 0;
  for (const std::string& photo : photos) {
    const cv::Mat src = cv::imread((in_dir / photo).string(), cv::IMREAD_COLOR);
    if (src.empty()) {
      std::fprintf(stderr, "make_eval_images: cannot read %s\n", (in_dir / photo).c_str());
      return 1;
    }
    const std::string stem = std::filesystem::path(photo).stem().string();
    for (const Variant& v : variants) {
      const std::string file = stem + "__" + v.name + (v.jpeg > 0 ? ".jpg" : ".png");
      const std::vector<int> params =
          v.jpeg > 0 ? std::vector<int>{cv::IMWRITE_JPEG_QUALITY, v.jpeg} : std::vector<int>{};
      if (!cv::imwrite((out_dir / file).string(), Apply(src, v), params)) {
        std::fprintf(stderr, "make_eval_images: cannot write %s\n", (out_dir / file).c_str());
        return 1;
      }
      manifest << file << '\t' << photo << '\t' << v.name << '\n';
      ++written;
    }
  }
  manifest.close();
  if (!manifest) {
    std::fprintf(stderr, "make_eval_images: cannot write %s\n", (out_dir / "manifest.tsv").c_str());
    return 1;
  }
  std::printf("%s: %d images (%zu photos x %zu transforms, set %s)\n", out_dir.c_str(), written, photos.size(),
              variants.size(), argv[2]);
  return 0;
}
