// `cross_pictures preprocess` (RunPreprocess) on the real fp32 MobileNetV2:
// the .npy files hold exactly the tensors the service feeds the model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "support/real_model.h"

namespace cp::test {
namespace {

TEST(Preprocess, WritesTheServiceTensorsAsNpy) {
  const auto out = std::filesystem::temp_directory_path() / ("cp_preprocess_test_" + std::to_string(::getpid()));
  const config::Config cfg = RealModelConfig(Fp32ModelPath());
  cli::PreprocessArgs args{{SharedPath("images/coffee.png"), SharedPath("images/dog.jpg")}, out.string(), false};
  ASSERT_EQ(cli::RunPreprocess(cfg, args), 0);

  const auto svc = RealService(cfg);
  for (const char* name : {"coffee.png", "dog.jpg"}) {
    const std::string npy = ReadFile((out / (std::string(name) + ".npy")).string());
    ASSERT_GT(npy.size(), 10u) << name;
    const std::size_t header = static_cast<unsigned char>(npy[8]) | (static_cast<unsigned char>(npy[9]) << 8);
    EXPECT_NE(npy.find("'shape': (1, 3, 224, 224)"), std::string::npos) << name;
    std::vector<float> got(svc->model_info()->image_size());
    ASSERT_EQ(npy.size(), 10 + header + got.size() * sizeof(float)) << name;
    std::memcpy(got.data(), npy.data() + 10 + header, got.size() * sizeof(float));

    const std::string bytes = ReadFile(SharedPath(std::string("images/") + name));
    std::vector<float> want(got.size());
    service::Timings timings;
    int width = 0, height = 0;
    ASSERT_TRUE(svc->PrepareTensor({bytes, {}, {}}, want, timings, width, height).ok());
    EXPECT_EQ(got, want) << name;
  }
  // A file that is not an image fails (exit 1) without stopping the others.
  std::ofstream(out / "note.txt") << "not an image";
  cli::PreprocessArgs bad{{(out / "note.txt").string(), SharedPath("images/eagle.jpg")}, (out / "b").string(), false};
  EXPECT_EQ(cli::RunPreprocess(cfg, bad), 1);
  EXPECT_TRUE(std::filesystem::exists(out / "b" / "eagle.jpg.npy"));
  std::filesystem::remove_all(out);
}

}  // namespace
}  // namespace cp::test
