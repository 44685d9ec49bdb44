#include "cli/startup.h"

#include <iostream>

#include "image/decoder.h"
#include "service/factory.h"

namespace cp::cli {

Result<std::shared_ptr<service::ClassificationService>> StartService(const config::Config& cfg) {
  if (Status s = config::CheckFiles(cfg); !s.ok()) return s;
  image::InstallCodecPixelLimit(cfg.max_image_pixels);
  auto svc = service::BuildService(cfg);
  if (!svc.ok()) return svc.status();
  const auto& s = **svc;
  if (const model::ModelInfo* mi = s.model_info()) {
    std::cerr << "cross_pictures: model " << cfg.model_path << " (" << cfg.model_name << "): input '" << mi->input_name
              << "' " << mi->height << "x" << mi->width << ", output '" << mi->output_name << "' " << mi->num_classes
              << " classes; " << cfg.num_threads << " ORT thread(s)" << std::endl;
  } else {
    std::cerr << "cross_pictures: MODEL NOT LOADED (" << s.load_error() << "); /infer answers 503" << std::endl;
  }
  return svc;
}

}  // namespace cp::cli
