#include "model/labels.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "support/paths.h"

namespace cp::model {
namespace {

TEST(Labels, ImageNetFileWithoutFinalNewline) {
  auto l = LoadLabels(test::SharedPath("labels/imagenet_classes.txt"));
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->size(), 1000u);
  EXPECT_EQ((*l)[281], "tabby");
  EXPECT_EQ((*l)[22], "bald eagle");
}

TEST(Labels, CrLfAndTrailingBlankLines) {
  const std::string path = ::testing::TempDir() + "/labels_crlf.txt";
  std::ofstream(path, std::ios::binary) << "a\r\nb c\r\n\r\n\n";
  auto l = LoadLabels(path);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(*l, (std::vector<std::string>{"a", "b c"}));
  std::remove(path.c_str());
}

TEST(Labels, MissingFile) {
  auto l = LoadLabels("/nonexistent/labels.txt");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().message().rfind("LABELS_PATH", 0), 0u);
}

}  // namespace
}  // namespace cp::model
