#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.h"
#include "config/settings.h"

namespace cp::cli {

namespace {

// One --flag per setting; a flag given on the command line lands in `flags`.
void AddSettingFlags(CLI::App& app, config::SettingMap& flags) {
  for (const auto& spec : config::AllSettings()) {
    const std::string key(spec.key);
    std::string help(spec.help);
    help += " [env " + key + (spec.default_value.empty() ? "" : ", default " + std::string(spec.default_value)) + "]";
    app.add_option_function<std::string>(
           "--" + config::FlagName(spec.key), [&flags, key](const std::string& v) { flags[key] = v; }, help)
        ->type_name("VALUE");
  }
}

}  // namespace

int Main(int argc, char** argv, char** envp) {
  CLI::App app{
      "cross_pictures: image classification with ONNX Runtime.\n"
      "Settings come from flags, then environment variables, then ./.env."};
  app.require_subcommand(1);

  config::SettingMap serve_flags, classify_flags, preprocess_flags;
  CLI::App* serve = app.add_subcommand("serve", "Serve the HTTP API (GET /health, POST /infer, GET /docs)");
  AddSettingFlags(*serve, serve_flags);

  std::vector<std::string> files;
  bool json = false;
  CLI::App* classify = app.add_subcommand("classify", "Classify image files and print the top-k per file");
  AddSettingFlags(*classify, classify_flags);
  classify->add_option("IMAGE", files, "Image files")->required();
  classify->add_flag("--json", json, "Machine-readable output: one JSON array");

  PreprocessArgs pre;
  CLI::App* preprocess = app.add_subcommand(
      "preprocess",
      "Write each image's model input (decoded and preprocessed as served, for MODEL_PATH's input size and "
      "layout) as a float32 tensor: OUT_DIR/<file name>.npy, shape [1,3,H,W] or [1,H,W,3]");
  AddSettingFlags(*preprocess, preprocess_flags);
  preprocess->add_option("IMAGE", pre.inputs, "Image files or directories (their files, sorted)")->required();
  preprocess->add_option("-o,--out-dir", pre.out_dir, "Directory for the tensors (created)")->required();
  preprocess->add_flag("--raw", pre.raw, "Bare little-endian float32 data (.raw) instead of .npy");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  auto dotenv = config::ReadDotEnv(".env");
  if (!dotenv.ok()) {
    std::cerr << "cross_pictures: " << dotenv.status().message() << "\n";
    return 2;
  }
  const config::SettingMap& flags =
      serve->parsed() ? serve_flags : (preprocess->parsed() ? preprocess_flags : classify_flags);
  config::Layers layers{flags, config::EnvironmentMap(envp), *dotenv};
  auto cfg = config::Resolve(layers);
  if (!cfg.ok()) {
    std::cerr << "cross_pictures: invalid configuration: " << cfg.status().message() << "\n";
    return 2;
  }
  if (!cfg->cores_note.empty()) std::cerr << "cross_pictures: " << cfg->cores_note << "\n";
  // serve, classify and preprocess alike: no ResNet-50 v2 -> the MobileNetV2-int8 fallback.
  if (const std::string note = config::ApplyModelFallback(*cfg); !note.empty()) {
    std::cerr << "cross_pictures: " << note << "\n";
  }
  if (serve->parsed()) return RunServe(*cfg);
  if (preprocess->parsed()) return RunPreprocess(*cfg, pre);
  return RunClassify(*cfg, files, json);
}

}  // namespace cp::cli
