// The real pretrained MobileNetV2 from ../shared, as int8 (the zoo's model)
// and as the same weights in fp32 (models/mobilenetv2-12-fp32.onnx, made by
// scripts/setup with ../shared/tools/make-mobilenetv2-fp32), and the
// accepted answers for ../shared/images (from ../shared/README.md).
//
// Probability-level assertions use the fp32 model: its answers do not depend
// on the CPU's int8 kernels (they agree across ISAs to ~1e-5). The int8
// model's probabilities differ between CPUs with and without VNNI unless its
// weights are served u8-shifted (model/int8_weights.h); int8 assertions check
// top-1 and the gap to fp32.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "service/factory.h"
#include "support/paths.h"

namespace cp::test {

struct PhotoExpectation {
  std::string file;
  std::set<std::string> accepted_top1;
  // Top-1 probability of the fp32 weights through this service's pipeline,
  // measured here (../shared/README.md's reference pipeline gives 0.74, 0.99,
  // 0.87, 0.75, 0.54: a different resize).
  std::string fp32_label;
  double fp32_probability;
};

inline const std::vector<PhotoExpectation>& SharedPhotos() {
  static const std::vector<PhotoExpectation> kPhotos = {
      {"chelsea.png", {"Egyptian cat", "tiger cat", "tabby"}, "Egyptian cat", 0.7368},
      {"coffee.png", {"espresso"}, "espresso", 0.9919},
      {"eagle.jpg", {"bald eagle"}, "bald eagle", 0.8719},
      {"dog.jpg", {"malamute", "Eskimo dog", "Siberian husky"}, "malamute", 0.7610},
      {"cat.webp", {"tabby", "tiger cat", "Egyptian cat", "lynx"}, "tabby", 0.5098},
  };
  return kPhotos;
}

inline std::string Int8ModelPath() { return SharedPath("models/mobilenetv2-12-int8.onnx"); }
inline std::string Fp32ModelPath() { return std::string(CP_MODELS_DIR) + "/mobilenetv2-12-fp32.onnx"; }

// The int8 model by default; int8_weights as the server's default (auto).
inline config::Config RealModelConfig(const std::string& model_path = Int8ModelPath()) {
  config::Config c;
  c.model_path = model_path;
  c.labels_path = SharedPath("labels/imagenet_classes.txt");
  c.num_threads = 2;
  return c;
}

inline std::shared_ptr<service::ClassificationService> RealService(const config::Config& c = RealModelConfig()) {
  auto svc = service::BuildService(c);
  if (!svc.ok()) throw std::runtime_error(svc.status().ToString());
  if (!(*svc)->model_loaded()) {
    throw std::runtime_error(c.model_path + " not loaded (" + (*svc)->load_error() +
                             "); scripts/setup makes models/mobilenetv2-12-fp32.onnx");
  }
  return *svc;
}

inline std::shared_ptr<service::ClassificationService> Fp32Service() {
  return RealService(RealModelConfig(Fp32ModelPath()));
}

}  // namespace cp::test
