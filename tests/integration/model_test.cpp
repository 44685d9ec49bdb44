// The real MobileNetV2-int8 on the real photos of ../shared/images.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <thread>

#include "model/ort_engine.h"
#include "support/real_model.h"

namespace cp {
namespace {

using test::ReadFile;
using test::SharedPath;

TEST(RealModel, ReadsSignatureFromTheModel) {
  auto e = model::OrtEngine::Load(SharedPath("models/mobilenetv2-12-int8.onnx"), {});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  const auto& mi = (*e)->info();
  EXPECT_EQ(mi.input_name, "input");
  EXPECT_EQ(mi.output_name, "output");
  EXPECT_EQ(mi.height, 224);
  EXPECT_EQ(mi.width, 224);
  EXPECT_EQ(mi.layout, image::TensorLayout::kNCHW);
  EXPECT_EQ(mi.num_classes, 1000u);
}

TEST(RealModel, InvalidModelFileIsAnErrorNotACrash) {
  auto e = model::OrtEngine::Load(SharedPath("labels/imagenet_classes.txt"), {});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
}

TEST(RealModel, ClassifiesThePhotos) {
  auto svc = test::RealService();
  for (const auto& photo : test::SharedPhotos()) {
    auto r = svc->Classify({ReadFile(SharedPath("images/" + photo.file)), {}, {}}, 5);
    ASSERT_TRUE(r.ok()) << photo.file << ": " << r.status().ToString();
    const auto& top = r->predictions.front();
    EXPECT_TRUE(photo.accepted_top1.count(top.label)) << photo.file << " top-1 " << top.label;
    // The reference probabilities in ../shared/README.md were not reproduced
    // exactly by any standard resize (see docs/PERFORMANCE.md); the int8
    // model is sensitive to resampling. Guard against gross regressions.
    EXPECT_NEAR(top.probability, photo.reference_probability, 0.15) << photo.file;
    std::cout << photo.file << ": " << top.label << " " << top.probability << " (reference "
              << photo.reference_probability << ")\n";
  }
}

TEST(RealModel, LabelCountMismatchStopsStartup) {
  const std::string path = ::testing::TempDir() + "/ten_labels.txt";
  {
    std::ofstream out(path);
    for (int i = 0; i < 10; ++i) out << "l" << i << "\n";
  }
  auto c = test::RealModelConfig();
  c.labels_path = path;
  auto svc = service::BuildService(c);
  ASSERT_FALSE(svc.ok());
  EXPECT_EQ(svc.status().message().rfind("LABELS_PATH", 0), 0u);
}

TEST(RealModel, SameAnswersUnderConcurrentLoadAsAlone) {
  auto svc = test::RealService();
  std::vector<std::string> images;
  std::vector<std::vector<service::Prediction>> alone;
  for (const auto& p : test::SharedPhotos()) {
    images.push_back(ReadFile(SharedPath("images/" + p.file)));
    auto r = svc->Classify({images.back(), {}, {}}, 5);
    ASSERT_TRUE(r.ok());
    alone.push_back(r->predictions);
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const std::size_t k = static_cast<std::size_t>(t + i) % images.size();
        auto r = svc->Classify({images[k], {}, {}}, 5);
        if (!r.ok()) {
          ++mismatches;
          continue;
        }
        for (std::size_t j = 0; j < 5; ++j) {
          if (r->predictions[j].index != alone[k][j].index ||
              std::abs(r->predictions[j].probability - alone[k][j].probability) > 1e-5f) {
            ++mismatches;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
}

// Top-1 of the same bytes through two services on one engine: one decoding
// big images at a reduced scale, one always decoding in full.
struct ScaledVsFull {
  service::Prediction scaled, full;
};
ScaledVsFull CompareScaledDecode(const std::string& bytes) {
  static const auto base = test::RealService();
  service::ServiceOptions scaled_opts, full_opts;
  scaled_opts.scaled_decode = true;
  full_opts.scaled_decode = false;
  const service::ClassificationService scaled(base->engine(), base->labels(), scaled_opts);
  const service::ClassificationService full(base->engine(), base->labels(), full_opts);
  auto a = scaled.Classify({bytes, {}, {}}, 1);
  auto b = full.Classify({bytes, {}, {}}, 1);
  EXPECT_TRUE(a.ok() && b.ok());
  if (!a.ok() || !b.ok()) return {};
  return {a->predictions[0], b->predictions[0]};
}

TEST(RealModel, ScaledDecodeDoesNotMoveSharedPhotos) {
  for (const char* file : {"chelsea.png", "coffee.png", "eagle.jpg", "dog.jpg", "cat.webp", "kite.jpg"}) {
    const auto r = CompareScaledDecode(ReadFile(SharedPath(std::string("images/") + file)));
    EXPECT_EQ(r.scaled.label, r.full.label) << file;
    EXPECT_NEAR(r.scaled.probability, r.full.probability, 0.02) << file;
  }
}

TEST(RealModel, ScaledDecodeKeepsTopOne) {
  // A 4x upscaled eagle (3092x2048, 6.3 MP) as JPEG: decoded at 1/4 scale.
  cv::Mat eagle = cv::imread(SharedPath("images/eagle.jpg"));
  cv::Mat big;
  cv::resize(eagle, big, cv::Size(), 4.0, 4.0, cv::INTER_CUBIC);
  std::vector<uchar> jpg;
  cv::imencode(".jpg", big, jpg, {cv::IMWRITE_JPEG_QUALITY, 92});
  const auto r = CompareScaledDecode(std::string(jpg.begin(), jpg.end()));
  EXPECT_EQ(r.scaled.label, r.full.label);
  // Only top-1 is required here: the int8 model moves the top probability by
  // ~0.1 at this reduction (docs/PERFORMANCE.md).
  std::cout << "scaled " << r.scaled.label << " " << r.scaled.probability << "; full " << r.full.probability << "\n";
}

}  // namespace
}  // namespace cp
