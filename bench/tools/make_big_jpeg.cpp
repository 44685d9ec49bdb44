// make_big_jpeg IN OUT [WIDTH HEIGHT QUALITY]: resizes IN (any format OpenCV
// reads) to WIDTH x HEIGHT (default 4000x3000, bicubic) and writes a JPEG at
// QUALITY (default 90). Used by bench/run to make the 12-megapixel test image.
#include <cstdio>
#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

int main(int argc, char** argv) {
  if (argc != 3 && argc != 6) {
    std::fprintf(stderr, "usage: make_big_jpeg IN OUT [WIDTH HEIGHT QUALITY]\n");
    return 2;
  }
  const int w = argc == 6 ? std::atoi(argv[3]) : 4000;
  const int h = argc == 6 ? std::atoi(argv[4]) : 3000;
  const int q = argc == 6 ? std::atoi(argv[5]) : 90;
  cv::Mat src = cv::imread(argv[1], cv::IMREAD_COLOR);
  if (src.empty()) {
    std::fprintf(stderr, "make_big_jpeg: cannot read %s\n", argv[1]);
    return 1;
  }
  cv::Mat big;
  cv::resize(src, big, cv::Size(w, h), 0, 0, cv::INTER_CUBIC);
  if (!cv::imwrite(argv[2], big, {cv::IMWRITE_JPEG_QUALITY, q})) {
    std::fprintf(stderr, "make_big_jpeg: cannot write %s\n", argv[2]);
    return 1;
  }
  std::printf("%s: %dx%d quality %d\n", argv[2], w, h, q);
  return 0;
}
