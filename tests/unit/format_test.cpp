#include "image/format.h"

#include <gtest/gtest.h>

#include "support/paths.h"

namespace cp::image {
namespace {

TEST(Sniff, DetectsFromBytesNotNames) {
  using test::DataPath;
  using test::ReadFile;
  EXPECT_EQ(SniffFormat(ReadFile(DataPath("rb_baseline.jpg"))), ImageFormat::kJpeg);
  EXPECT_EQ(SniffFormat(ReadFile(DataPath("rb_rgb8.png"))), ImageFormat::kPng);
  EXPECT_EQ(SniffFormat(ReadFile(DataPath("rb.gif"))), ImageFormat::kGif);
  EXPECT_EQ(SniffFormat(ReadFile(DataPath("rb.webp"))), ImageFormat::kWebp);
  EXPECT_EQ(SniffFormat(ReadFile(DataPath("rb.bmp"))), ImageFormat::kBmp);
  EXPECT_EQ(SniffFormat(ReadFile(DataPath("rb.tif"))), ImageFormat::kTiff);
  EXPECT_EQ(SniffFormat(ReadFile(test::SharedPath("images/cat.webp"))), ImageFormat::kWebp);
  EXPECT_EQ(SniffFormat(ReadFile(DataPath("not_image.pdf"))), ImageFormat::kUnknown);
  EXPECT_EQ(SniffFormat(ReadFile(DataPath("garbage.bin"))), ImageFormat::kUnknown);
  EXPECT_EQ(SniffFormat(""), ImageFormat::kUnknown);
}

TEST(Sniff, ShortPrefixesAreUnknown) {
  EXPECT_EQ(SniffFormat("\xFF\xD8"), ImageFormat::kUnknown);
  EXPECT_EQ(SniffFormat("RIFF1234WAVE"), ImageFormat::kUnknown);
  EXPECT_EQ(SniffFormat("BM"), ImageFormat::kUnknown);
}

}  // namespace
}  // namespace cp::image
