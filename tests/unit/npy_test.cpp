#include "cli/npy.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli/files.h"

namespace cp::cli {
namespace {

TEST(Npy, HeaderIsNumpyVersion1AlignedTo64) {
  const std::vector<float> data(2 * 3 * 4 * 5, 0.5f);
  const std::string npy = EncodeNpy(data, {2, 3, 4, 5});
  ASSERT_GT(npy.size(), 10u);
  EXPECT_EQ(npy.substr(0, 6), "\x93NUMPY");
  EXPECT_EQ(npy[6], '\x01');
  EXPECT_EQ(npy[7], '\x00');
  const std::size_t header = static_cast<unsigned char>(npy[8]) | (static_cast<unsigned char>(npy[9]) << 8);
  EXPECT_EQ((10 + header) % 64, 0u);
  const std::string dict = npy.substr(10, header);
  EXPECT_EQ(dict.rfind("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 4, 5), }", 0), 0u) << dict;
  EXPECT_EQ(dict.back(), '\n');
  ASSERT_EQ(npy.size(), 10 + header + data.size() * sizeof(float));
  float first = 0;
  std::memcpy(&first, npy.data() + 10 + header, sizeof first);
  EXPECT_EQ(first, 0.5f);
}

TEST(Npy, OneDimensionalShapeHasTrailingComma) {
  const std::vector<float> data = {1, 2, 3};
  EXPECT_NE(EncodeNpy(data, {3}).find("'shape': (3,), }"), std::string::npos);
}

TEST(Npy, WriteNpyFailsOnAMissingFolder) {
  const std::vector<float> data = {1};
  EXPECT_FALSE(WriteNpy("/nonexistent-dir/x.npy", data, {1}).ok());
}

TEST(CliFiles, DirectoriesBecomeTheirSortedFilesAndFilesStay) {
  const auto dir = std::filesystem::temp_directory_path() / ("cp_files_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "sub");
  for (const char* name : {"b.png", "a.jpg", ".hidden"}) std::ofstream(dir / name) << "x";
  const auto out = ExpandDirectories({(dir / "a.jpg").string(), dir.string()});
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], (dir / "a.jpg").string());
  EXPECT_EQ(out[1], (dir / "a.jpg").string());
  EXPECT_EQ(out[2], (dir / "b.png").string());
  EXPECT_FALSE(ReadImageFile(dir.string()).ok());
  EXPECT_EQ(*ReadImageFile((dir / "b.png").string()), "x");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cp::cli
