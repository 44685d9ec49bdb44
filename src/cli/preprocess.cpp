// `cross_pictures preprocess`: the service's own decode + preprocessing
// (ClassificationService::PrepareTensor), written out as float32 tensors, so
// that tools outside the service (scripts/quantize's calibration) see exactly
// what serving feeds the model.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <span>
#include <vector>

#include "cli/commands.h"
#include "cli/files.h"
#include "cli/npy.h"
#include "cli/startup.h"

namespace cp::cli {

namespace {

std::vector<std::int64_t> TensorShape(const model::ModelInfo& info) {
  if (info.layout == image::TensorLayout::kNHWC) return {1, info.height, info.width, 3};
  return {1, 3, info.height, info.width};
}

Status WriteRaw(const std::string& path, std::span<const float> tensor) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(tensor.data()), static_cast<std::streamsize>(tensor.size_bytes()));
  out.close();
  return out ? Status::Ok() : Internal("cannot write " + path);
}

}  // namespace

int RunPreprocess(const config::Config& cfg, const PreprocessArgs& args) {
  auto started = StartService(cfg, /*serving=*/false, nullptr);
  if (!started.ok()) {
    std::cerr << "cross_pictures: invalid configuration: " << started.status().message() << "\n";
    return 2;
  }
  const auto& svc = started->service;
  if (!svc->model_loaded()) {
    std::cerr << "cross_pictures: model not loaded: " << svc->load_error() << "\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(args.out_dir, ec);
  if (ec) {
    std::cerr << "cross_pictures: cannot create " << args.out_dir << ": " << ec.message() << "\n";
    return 2;
  }
  const model::ModelInfo& info = *svc->model_info();
  const std::vector<std::int64_t> shape = TensorShape(info);
  std::vector<float> tensor(info.image_size());
  std::cerr << "cross_pictures: tensors: float32 little-endian, shape [";
  for (std::size_t i = 0; i < shape.size(); ++i) std::cerr << (i ? "," : "") << shape[i];
  std::cerr << "] (" << (info.layout == image::TensorLayout::kNHWC ? "NHWC" : "NCHW") << "), one "
            << (args.raw ? ".raw" : ".npy") << " per image in " << args.out_dir << "\n";
  std::set<std::string> written;
  int failures = 0;
  for (const std::string& file : ExpandDirectories(args.inputs)) {
    const std::string out_path =
        (std::filesystem::path(args.out_dir) / std::filesystem::path(file).filename()).string() +
        (args.raw ? ".raw" : ".npy");
    Status status = Status::Ok();
    if (!written.insert(out_path).second) {
      status = InvalidArgument("another input has the same file name");
    } else if (auto bytes = ReadImageFile(file); !bytes.ok()) {
      status = bytes.status();
    } else {
      service::Timings timings;
      int width = 0, height = 0;
      status = svc->PrepareTensor({*bytes, {}, {}}, tensor, timings, width, height);
      if (status.ok()) status = args.raw ? WriteRaw(out_path, tensor) : WriteNpy(out_path, tensor, shape);
    }
    if (status.ok()) {
      std::cout << file << "\t" << out_path << "\n";
    } else {
      ++failures;
      std::cerr << file << ": error: " << status.message() << "\n";
    }
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace cp::cli
