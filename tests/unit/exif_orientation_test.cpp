#include "image/exif_orientation.h"

#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "support/paths.h"

namespace cp::image {
namespace {

using test::DataPath;
using test::ReadFile;

TEST(ExifOrientation, ReadsTheTagThroughLibexif) {
  EXPECT_EQ(ExifOrientation(ReadFile(DataPath("rb_exif_3.jpg"))), 3);
  EXPECT_EQ(ExifOrientation(ReadFile(DataPath("rb_exif_6.jpg"))), 6);
  EXPECT_EQ(ExifOrientation(ReadFile(DataPath("rb_exif_8.jpg"))), 8);
  EXPECT_EQ(ExifOrientation(ReadFile(DataPath("rb_baseline.jpg"))), 1);  // no EXIF
  EXPECT_EQ(ExifOrientation(""), 1);
  EXPECT_EQ(ExifOrientation(ReadFile(DataPath("garbage.bin"))), 1);
}

// Stored 1 2 3 / 4 5 6; each orientation says where the stored first row and
// column belong when displayed (TIFF 6.0 / EXIF 2.3).
TEST(ExifOrientation, TurnsEveryOrientationUpright) {
  const cv::Mat stored = (cv::Mat_<uchar>(2, 3) << 1, 2, 3, 4, 5, 6);
  const std::vector<std::pair<int, cv::Mat>> want = {
      {1, (cv::Mat_<uchar>(2, 3) << 1, 2, 3, 4, 5, 6)}, {2, (cv::Mat_<uchar>(2, 3) << 3, 2, 1, 6, 5, 4)},
      {3, (cv::Mat_<uchar>(2, 3) << 6, 5, 4, 3, 2, 1)}, {4, (cv::Mat_<uchar>(2, 3) << 4, 5, 6, 1, 2, 3)},
      {5, (cv::Mat_<uchar>(3, 2) << 1, 4, 2, 5, 3, 6)}, {6, (cv::Mat_<uchar>(3, 2) << 4, 1, 5, 2, 6, 3)},
      {7, (cv::Mat_<uchar>(3, 2) << 6, 3, 5, 2, 4, 1)}, {8, (cv::Mat_<uchar>(3, 2) << 3, 6, 2, 5, 1, 4)},
      {9, (cv::Mat_<uchar>(2, 3) << 1, 2, 3, 4, 5, 6)}};
  for (const auto& [orientation, expected] : want) {
    const cv::Mat got = ApplyOrientation(stored, orientation);
    ASSERT_EQ(got.size(), expected.size()) << orientation;
    EXPECT_EQ(cv::norm(got, expected, cv::NORM_INF), 0) << "orientation " << orientation << ":\n" << got;
  }
}

// StoredRect is where a displayed rectangle was stored: mark it in a stored
// frame, turn the frame upright, and the mark covers exactly the rectangle.
TEST(ExifOrientation, StoredRectIsWhereTheDisplayedRectangleWasStored) {
  const cv::Size stored(7, 5);
  for (int orientation = 1; orientation <= 8; ++orientation) {
    const cv::Size shown = orientation >= 5 ? cv::Size(stored.height, stored.width) : stored;
    for (const cv::Rect displayed : {cv::Rect(0, 0, 1, 1), cv::Rect(1, 2, 2, 3), cv::Rect(0, 1, shown.width, 2),
                                     cv::Rect(cv::Point(0, 0), shown)}) {
      const cv::Rect r = StoredRect(displayed, stored, orientation);
      cv::Mat mark = cv::Mat::zeros(stored, CV_8UC1);
      mark(r & cv::Rect(cv::Point(0, 0), stored)).setTo(255);
      cv::Mat want = cv::Mat::zeros(shown, CV_8UC1);
      want(displayed).setTo(255);
      const cv::Mat got = ApplyOrientation(mark, orientation);
      ASSERT_EQ(got.size(), want.size()) << orientation;
      EXPECT_EQ(r.area(), displayed.area()) << "orientation " << orientation;
      EXPECT_EQ(cv::norm(got, want, cv::NORM_INF), 0) << "orientation " << orientation << " rect " << displayed;
    }
  }
}

}  // namespace
}  // namespace cp::image
