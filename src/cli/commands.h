#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace cp::cli {

struct PreprocessArgs {
  std::vector<std::string> inputs;  // image files; a directory stands for its files
  std::string out_dir;              // OUT_DIR/<input file name>.npy (or .raw)
  bool raw = false;                 // bare float32 data instead of .npy
};

// Exit codes: 0 ok, 1 a file failed (classify, preprocess) or the server
// failed, 2 bad configuration or model not loaded (preprocess).
int RunServe(const config::Config& config);
int RunClassify(const config::Config& config, const std::vector<std::string>& files, bool json);
// Writes each image's model input tensor (decode + preprocess exactly as
// served, for the model of MODEL_PATH) and prints "input<TAB>tensor" lines.
int RunPreprocess(const config::Config& config, const PreprocessArgs& args);

}  // namespace cp::cli
