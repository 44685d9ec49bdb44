#include "image/decoder.h"

#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "image/exif_orientation.h"
#include "support/jpeg_fixture.h"
#include "support/paths.h"

namespace cp::image {
namespace {

using test::DataPath;
using test::ReadFile;
using test::SharedPath;

Result<DecodedImage> Decode(const std::string& name, DecodeOptions o = {}) {
  return DecodeImage(ReadFile(DataPath(name)), o);
}

void ExpectColor(const cv::Mat& rgb, int x, int y, cv::Vec3b want, int tol, const std::string& what) {
  const cv::Vec3b got = rgb.at<cv::Vec3b>(y, x);
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(got[c], want[c], tol) << what << " at (" << x << "," << y << ") channel " << c;
  }
}

// Every red/blue fixture decodes to a 64x32 RGB frame, red left, blue right.
class RedBlue : public ::testing::TestWithParam<const char*> {};

TEST_P(RedBlue, DecodesUprightRgb) {
  auto d = Decode(GetParam());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->rgb.type(), CV_8UC3);
  ASSERT_EQ(d->rgb.cols, 64) << GetParam();
  ASSERT_EQ(d->rgb.rows, 32) << GetParam();
  ExpectColor(d->rgb, 8, 16, {255, 0, 0}, 12, GetParam());
  ExpectColor(d->rgb, 56, 16, {0, 0, 255}, 12, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, RedBlue,
                         ::testing::Values("rb_baseline.jpg", "rb_progressive.jpg", "rb_cmyk.jpg", "rb_exif_3.jpg",
                                           "rb_exif_6.jpg", "rb_exif_8.jpg", "rb_rgb8.png", "rb_rgb16.png",
                                           "rb_palette.png", "rb.webp", "rb_lossy.webp", "rb.gif", "rb.bmp", "rb.tif"));

TEST(Decoder, AlphaIsCompositedOverWhite) {
  auto d = Decode("rb_rgba.png");
  ASSERT_TRUE(d.ok());
  ExpectColor(d->rgb, 8, 16, {255, 0, 0}, 0, "opaque red");
  ExpectColor(d->rgb, 56, 16, {255, 255, 255}, 0, "transparent -> white");
}

TEST(Decoder, GrayBecomesRgb) {
  for (const char* name : {"gray.jpg", "gray.png", "gray16.png"}) {
    auto d = Decode(name);
    ASSERT_TRUE(d.ok()) << name;
    ASSERT_EQ(d->rgb.type(), CV_8UC3) << name;
    ExpectColor(d->rgb, 8, 16, {0, 0, 0}, 6, name);
    ExpectColor(d->rgb, 56, 16, {255, 255, 255}, 6, name);
  }
}

TEST(Decoder, GifGivesFirstFrameOnly) {
  auto d = Decode("rb.gif");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->format, ImageFormat::kGif);
  ExpectColor(d->rgb, 8, 16, {255, 0, 0}, 0, "frame 1, not the green frame 2");
}

TEST(Decoder, RefusesBadInput) {
  for (const char* name : {"empty.bin", "garbage.bin", "not_image.pdf", "truncated.jpg"}) {
    auto d = Decode(name);
    ASSERT_FALSE(d.ok()) << name;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << name;
  }
}

TEST(Decoder, TruncatedFilesOfEveryFormatAreErrorsNotCrashes) {
  for (const char* name : {"rb_rgb8.png", "rb.webp", "rb.gif", "rb.bmp", "rb.tif", "rb_progressive.jpg"}) {
    const std::string bytes = ReadFile(DataPath(name));
    for (std::size_t cut : {std::size_t{1}, std::size_t{10}, bytes.size() / 3, bytes.size() / 2}) {
      auto d = DecodeImage(std::string_view(bytes).substr(0, cut), {});
      if (d.ok()) {
        EXPECT_EQ(d->rgb.type(), CV_8UC3);  // some decoders recover partial data: fine, if RGB
      } else {
        EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << name << " cut at " << cut;
      }
    }
  }
}

// A file cut half-way (an upload over a dropped connection): refused, in the
// library's words, not decoded with a grey or missing half.
struct Damage {
  std::string path;
  const char* format;
  const char* library;  // what the library said, quoted in the message
};

void PrintTo(const Damage& d, std::ostream* os) { *os << d.path; }

class HalfFile : public ::testing::TestWithParam<Damage> {};

TEST_P(HalfFile, IsRefusedAsTruncated) {
  const std::string bytes = ReadFile(GetParam().path);
  ASSERT_GT(bytes.size(), 100u) << GetParam().path;
  auto d = DecodeImage(std::string_view(bytes).substr(0, bytes.size() / 2), {});
  ASSERT_FALSE(d.ok()) << GetParam().path << " decoded as " << d->rgb.cols << "x" << d->rgb.rows;
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  const std::string want = std::string("the ") + GetParam().format + " image is truncated (" + GetParam().library;
  EXPECT_NE(d.status().message().find(want), std::string::npos) << d.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    EveryDamageDetectingFormat, HalfFile,
    ::testing::Values(Damage{SharedPath("images/eagle.jpg"), "JPEG", "libjpeg: Premature end of JPEG file"},
                      Damage{DataPath("rb_progressive.jpg"), "JPEG", "libjpeg: Premature end of JPEG file"},
                      Damage{SharedPath("images/coffee.png"), "PNG", "libpng: Read Error"},
                      Damage{SharedPath("images/cat.webp"), "WebP", "libwebp: VP8_STATUS_NOT_ENOUGH_DATA"},
                      Damage{DataPath("rb.gif"), "GIF", "giflib: "}),
    [](const ::testing::TestParamInfo<Damage>& info) { return info.param.format + std::to_string(info.index); });

std::string FlipMiddleBytes(std::string bytes) {
  for (std::size_t i = bytes.size() / 2; i < bytes.size() / 2 + 4; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5a);
  return bytes;
}

TEST(Decoder, CorruptPixelDataIsRefusedWhenTheLibrarySeesIt) {
  // PNG: the IDAT chunk's CRC fails; GIF: the LZW stream breaks.
  for (const auto& [path, want] : std::vector<std::pair<std::string, std::string>>{
           {SharedPath("images/coffee.png"), "the PNG image is corrupt (libpng: "},
           {DataPath("rb.gif"), "the GIF image is corrupt (giflib: "}}) {
    auto d = DecodeImage(FlipMiddleBytes(ReadFile(path)), {});
    ASSERT_FALSE(d.ok()) << path;
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << path;
    EXPECT_NE(d.status().message().find(want), std::string::npos) << d.status().message();
  }
}

// Bytes between the last scan and EOI (encoders and tools that pad files
// write them): libjpeg skips them with a warning, the pixels are complete.
// Pillow, which the Python service used, decodes such files; so must we.
std::string WithBytesBeforeEoi(std::string jpeg) {
  const std::size_t eoi = jpeg.rfind("\xff\xd9");
  return jpeg.insert(eoi, std::string("\0\x11\0\x22\0\0\0", 7));
}

TEST(Decoder, ExtraneousBytesBeforeAMarkerAreNotDamage) {
  for (const std::string& path :
       {SharedPath("images/eagle.jpg"), DataPath("rb_baseline.jpg"), DataPath("rb_progressive.jpg")}) {
    const std::string clean = ReadFile(path);
    auto whole = DecodeImage(clean, {});
    auto padded = DecodeImage(WithBytesBeforeEoi(clean), {});
    ASSERT_TRUE(whole.ok()) << path;
    ASSERT_TRUE(padded.ok()) << path << ": " << padded.status().ToString();
    EXPECT_EQ(cv::norm(padded->rgb, whole->rgb, cv::NORM_INF), 0.0) << path;  // the same pixels
  }
}

TEST(Decoder, CorruptJpegEntropyDataIsStillRefused) {
  // A restart marker in the middle of the entropy-coded data: the segment
  // ends early, libjpeg warns and greys the rest. That is damage.
  std::string bytes = ReadFile(SharedPath("images/eagle.jpg"));
  bytes.replace(bytes.size() / 2, 2, "\xff\xd3");
  auto d = DecodeImage(bytes, {});
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(d.status().message().find(
                "the JPEG image is corrupt (libjpeg: Corrupt JPEG data: premature end of data segment)"),
            std::string::npos)
      << d.status().message();
}

TEST(Decoder, AllowTruncatedDecodesWhatTheLibraryRecovers) {
  DecodeOptions allow;
  allow.allow_truncated = true;
  for (const std::string& path :
       {SharedPath("images/eagle.jpg"), SharedPath("images/coffee.png"), DataPath("rb.gif")}) {
    const std::string bytes = ReadFile(path);
    const std::string_view half = std::string_view(bytes).substr(0, bytes.size() / 2);
    auto whole = DecodeImage(bytes, {});
    auto d = DecodeImage(half, allow);
    ASSERT_TRUE(whole.ok() && d.ok()) << path << ": " << d.status().ToString();
    EXPECT_EQ(d->rgb.type(), CV_8UC3) << path;
    EXPECT_EQ(d->rgb.size(), whole->rgb.size()) << path;  // the full frame, its missing part filled in
    // The top rows were read before the cut (giflib reads 255-byte blocks
    // whole, so the small GIF's cut frame has no complete row: all white).
    if (path.ends_with(".gif")) continue;
    EXPECT_LT(cv::norm(d->rgb.row(0), whole->rgb.row(0), cv::NORM_INF), 1.0) << path;
  }
  // libwebp returns no pixels for a cut file: refused even when allowed.
  const std::string webp = ReadFile(SharedPath("images/cat.webp"));
  auto w = DecodeImage(std::string_view(webp).substr(0, webp.size() / 2), allow);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
}

TEST(Decoder, AllowTruncatedKeepsScaledJpegDecode) {
  cv::Mat big(1536, 2048, CV_8UC3, cv::Scalar(0, 0, 255));
  std::vector<uchar> jpg;
  cv::imencode(".jpg", big, jpg);
  DecodeOptions o;
  o.min_short_side = 300;
  o.allow_truncated = true;
  const std::string_view half(reinterpret_cast<const char*>(jpg.data()), jpg.size() / 2);
  DecodeOptions strict;
  strict.min_short_side = 300;
  ASSERT_FALSE(DecodeImage(half, strict).ok());
  auto d = DecodeImage(half, o);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->rgb.size(), cv::Size(512, 384));
  EXPECT_EQ(d->full_size, cv::Size(2048, 1536));
}

TEST(Decoder, BombsAreRefusedFromTheHeader) {
  for (const char* name : {"bomb_header.png", "bomb_header.jpg", "bomb_real.png"}) {
    auto d = Decode(name);
    ASSERT_FALSE(d.ok()) << name;
    EXPECT_EQ(d.status().code(), StatusCode::kTooLarge) << name;
  }
  DecodeOptions small;
  small.max_pixels = 64 * 32 - 1;
  for (const char* name : {"rb_baseline.jpg", "rb_rgb8.png", "rb.webp", "rb.gif", "rb.bmp", "rb.tif"}) {
    auto d = Decode(name, small);
    ASSERT_FALSE(d.ok()) << name;
    EXPECT_EQ(d.status().code(), StatusCode::kTooLarge) << name;
  }
}

TEST(Decoder, ChooseReduction) {
  EXPECT_EQ(ChooseReduction(4000, 3000, 0), 1);
  EXPECT_EQ(ChooseReduction(4000, 3000, 512), 4);
  EXPECT_EQ(ChooseReduction(4000, 3000, 256), 8);
  EXPECT_EQ(ChooseReduction(773, 512, 512), 1);
  EXPECT_EQ(ChooseReduction(1024, 1024, 512), 2);
}

TEST(Decoder, ScaledDecodeKeepsTheMinimumSide) {
  cv::Mat big(1536, 2048, CV_8UC3, cv::Scalar(0, 0, 255));  // BGR red
  big(cv::Rect(1024, 0, 1024, 1536)).setTo(cv::Scalar(255, 0, 0));
  std::vector<uchar> jpg, webp;
  cv::imencode(".jpg", big, jpg);
  cv::imencode(".webp", big, webp);
  DecodeOptions o;
  o.min_short_side = 300;
  for (const auto* buf : {&jpg, &webp}) {
    auto d = DecodeImage(std::string_view(reinterpret_cast<const char*>(buf->data()), buf->size()), o);
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(d->rgb.cols, 512);  // reduced by 4 (by 8 would be 192 rows < 300)
    EXPECT_EQ(d->rgb.rows, 384);
    EXPECT_EQ(d->source_width, 2048);
    ExpectColor(d->rgb, 100, 100, {255, 0, 0}, 12, "scaled red");
    ExpectColor(d->rgb, 400, 100, {0, 0, 255}, 12, "scaled blue");
  }
}

TEST(Decoder, ScaledDecodeReportsTheFullResolutionSize) {
  // Sizes not divisible by 4: libjpeg rounds the reduced size up, libwebp down.
  cv::Mat big(1501, 2003, CV_8UC3, cv::Scalar(40, 90, 200));
  std::vector<uchar> jpg, webp, png;
  cv::imencode(".jpg", big, jpg);
  cv::imencode(".webp", big, webp);
  cv::imencode(".png", big, png);
  DecodeOptions o;
  o.min_short_side = 300;
  auto view = [](const std::vector<uchar>& b) {
    return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
  };
  auto j = DecodeImage(view(jpg), o);
  auto w = DecodeImage(view(webp), o);
  auto p = DecodeImage(view(png), o);  // PNG has no scaled decode
  ASSERT_TRUE(j.ok() && w.ok() && p.ok());
  EXPECT_EQ(j->rgb.size(), cv::Size(501, 376));
  EXPECT_EQ(w->rgb.size(), cv::Size(500, 375));
  EXPECT_EQ(p->rgb.size(), cv::Size(2003, 1501));
  for (const auto* d : {&j, &w, &p}) EXPECT_EQ((*d)->full_size, cv::Size(2003, 1501));
}

// A region decode (DecodeOptions::region) converts only the region, rounded
// out to the block grid, and gives it exactly the pixels of a full decode:
// every chroma subsampling libjpeg upsamples, baseline and progressive, every
// EXIF orientation, full and reduced scale.
struct RegionCase {
  int subsampling;
  bool progressive;
  int orientation;
  int min_short_side;  // 0: full scale; 150 gives 1/2 of the 437x311 frame
};

void PrintTo(const RegionCase& c, std::ostream* os) {
  *os << "sampling " << c.subsampling << (c.progressive ? " progressive" : " baseline") << " orientation "
      << c.orientation << " min_short_side " << c.min_short_side;
}

class RegionDecode : public ::testing::TestWithParam<RegionCase> {};

// The middle of the frame: a quarter off each side, a fifth off top and bottom.
cv::Rect Middle(cv::Size frame, cv::Size) {
  return {frame.width / 4, frame.height / 5, frame.width / 2, frame.height * 3 / 5};
}

TEST_P(RegionDecode, GivesTheRegionThePixelsOfAFullDecode) {
  const RegionCase c = GetParam();
  const std::string jpeg = test::EncodeJpeg(test::TexturedRgb(437, 311), c.subsampling, c.progressive, c.orientation);
  ASSERT_EQ(ExifOrientation(jpeg), c.orientation == 0 ? 1 : c.orientation);
  DecodeOptions whole;
  whole.min_short_side = c.min_short_side;
  DecodeOptions part = whole;
  cv::Size asked_frame, asked_full;
  part.region = [&](cv::Size frame, cv::Size full) {
    asked_frame = frame;
    asked_full = full;
    return Middle(frame, full);
  };
  auto a = DecodeImage(jpeg, whole);
  auto b = DecodeImage(jpeg, part);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(a->rgb.size(), b->rgb.size());
  EXPECT_EQ(asked_frame, a->rgb.size());
  EXPECT_EQ(asked_full, a->full_size);
  const cv::Rect r = Middle(a->rgb.size(), a->full_size);
  EXPECT_EQ(cv::norm(a->rgb(r), b->rgb(r), cv::NORM_INF), 0.0);
  // The corners are outside the region and its block grid: not decoded.
  const cv::Mat& m = b->rgb;
  for (const cv::Point p :
       {cv::Point(0, 0), cv::Point(m.cols - 1, 0), cv::Point(0, m.rows - 1), cv::Point(m.cols - 1, m.rows - 1)}) {
    EXPECT_EQ(m.at<cv::Vec3b>(p), cv::Vec3b(0, 0, 0)) << p;
    EXPECT_NE(a->rgb.at<cv::Vec3b>(p), cv::Vec3b(0, 0, 0)) << p;
  }
}

std::vector<RegionCase> RegionCases() {
  std::vector<RegionCase> cases;
  for (int sampling : {TJSAMP_444, TJSAMP_422, TJSAMP_420, TJSAMP_440, TJSAMP_411, TJSAMP_GRAY})
    for (bool progressive : {false, true}) cases.push_back({sampling, progressive, 0, 0});
  for (int orientation = 1; orientation <= 8; ++orientation) {
    cases.push_back({TJSAMP_420, false, orientation, 0});
    cases.push_back({TJSAMP_420, true, orientation, 150});
  }
  cases.push_back({TJSAMP_420, false, 0, 150});
  cases.push_back({TJSAMP_422, false, 6, 150});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(EveryLayout, RegionDecode, ::testing::ValuesIn(RegionCases()));

// Regions starting and ending at every offset within an iMCU (4:1:1's is 32
// pixels wide): a crop's edge pixels are where libjpeg's upsampling differs.
TEST(Decoder, RegionDecodeIsExactWhereverTheRegionEnds) {
  for (int sampling : {TJSAMP_420, TJSAMP_422, TJSAMP_411, TJSAMP_440}) {
    const std::string jpeg = test::EncodeJpeg(test::TexturedRgb(301, 203), sampling, false);
    auto full = DecodeImage(jpeg, {});
    ASSERT_TRUE(full.ok());
    for (int offset = 0; offset < 34; offset += 3) {
      const cv::Rect r(60 + offset, 40 + offset, 101 + offset, 61 + offset);
      DecodeOptions o;
      o.region = [r](cv::Size, cv::Size) { return r; };
      auto part = DecodeImage(jpeg, o);
      ASSERT_TRUE(part.ok());
      EXPECT_EQ(cv::norm(full->rgb(r), part->rgb(r), cv::NORM_INF), 0.0) << "sampling " << sampling << " " << r;
    }
  }
}

TEST(Decoder, RegionDecodeStillFindsDamageOutsideTheRegion) {
  // The damage is in the bottom half, the region in the top rows: the rows
  // below the region are entropy-decoded all the same.
  const std::string jpeg = test::EncodeJpeg(test::TexturedRgb(640, 480), TJSAMP_420, false);
  DecodeOptions o;
  o.region = [](cv::Size frame, cv::Size) { return cv::Rect(0, 0, frame.width / 3, 16); };
  ASSERT_TRUE(DecodeImage(jpeg, o).ok());
  auto cut = DecodeImage(std::string_view(jpeg).substr(0, jpeg.size() * 3 / 4), o);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("the JPEG image is truncated (libjpeg: Premature end of JPEG file"),
            std::string::npos)
      << cut.status().message();
  std::string corrupt = jpeg;
  corrupt.replace(corrupt.size() * 3 / 4, 2, "\xff\xd3");
  auto bad = DecodeImage(corrupt, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("the JPEG image is corrupt (libjpeg: Corrupt JPEG data"), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace cp::image
