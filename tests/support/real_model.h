// The real pretrained MobileNetV2-int8 from ../shared, and the accepted
// answers for ../shared/images (from ../shared/README.md).
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
  double reference_probability;
};

inline const std::vector<PhotoExpectation>& SharedPhotos() {
  static const std::vector<PhotoExpectation> kPhotos = {
      {"chelsea.png", {"Egyptian cat", "tiger cat", "tabby"}, 0.72},
      {"coffee.png", {"espresso"}, 1.00},
      {"eagle.jpg", {"bald eagle"}, 0.87},
      {"dog.jpg", {"malamute", "Eskimo dog", "Siberian husky"}, 0.74},
      {"cat.webp", {"tabby", "tiger cat", "Egyptian cat", "lynx"}, 0.42},
  };
  return kPhotos;
}

inline config::Config RealModelConfig() {
  config::Config c;
  c.model_path = SharedPath("models/mobilenetv2-12-int8.onnx");
  c.labels_path = SharedPath("labels/imagenet_classes.txt");
  c.num_threads = 2;
  return c;
}

inline std::shared_ptr<service::ClassificationService> RealService(const config::Config& c = RealModelConfig()) {
  auto svc = service::BuildService(c);
  if (!svc.ok()) throw std::runtime_error(svc.status().ToString());
  return *svc;
}

}  // namespace cp::test
