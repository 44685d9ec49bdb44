// Typed configuration, resolved from three layers: command-line flags
// override environment variables, which override the `.env` file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "config/cores.h"
#include "config/dotenv.h"

namespace cp::config {

// Defaults here are the documented ones (settings.cpp holds the same values
// as text for --help and the README).
struct Config {
  std::string host = "0.0.0.0";
  int port = 8000;
  int grpc_port = 8001;  // KServe v2 gRPC; 0: any free port; -1: no gRPC server
  std::string model_path = "models/resnet50-v2-7.onnx";
  std::string labels_path = "models/imagenet_classes.txt";
  std::string model_name;             // "" -> stem of model_path
  bool model_path_is_default = true;  // no layer set MODEL_PATH
  bool model_name_is_default = true;  // no layer set MODEL_NAME
  int top_k = 3;
  int num_threads = 0;       // resolved: never 0 after Resolve()
  int busy_num_threads = 0;  // resolved: NUM_THREADS / MODEL_RUNNERS (at least 1) when 0
  std::uint64_t max_image_pixels = 40'000'000;
  std::uint64_t max_body_bytes = 20ull << 20;
  std::uint64_t max_body_bytes_in_flight = 16ull << 20;  // 0 = no limit
  int max_batch_size = 1;
  int max_queue_delay_us = 1000;
  int max_queue = 64;
  int model_runners = 2;
  int request_timeout_ms = 0;  // 0: no deadline
  int decode_concurrency = 0;  // resolved: never 0 after Resolve()
  bool scaled_decode = true;
  std::string int8_weights = "auto";  // auto | native | u8 (model/int8_weights.h)
  bool allow_truncated_images = false;
  bool model_control_api = true;  // /v2/repository/models/{name}/load and unload answered
  int drain_delay_s = 5;          // readiness 503 while still serving, before the listener closes (endpoints update)
  int drain_timeout_s = 30;
  int http_threads = 64;
  int io_threads = 0;  // resolved: never 0 after Resolve()
  int max_connections = 10'000;
  int header_timeout_s = 10;
  int read_timeout_s = 10;
  int keep_alive_timeout_s = 5;
  // "" or, when the cgroup CPU limit set a thread default below the affinity
  // mask's count, which defaults and why: for the startup log.
  std::string cores_note;
};

struct Layers {
  SettingMap flags;
  SettingMap env;
  SettingMap dotenv;
};

// The process environment (main's envp, KEY=VALUE strings) as the env layer.
SettingMap EnvironmentMap(char** envp);

// Merges the layers, parses and range-checks every value. Errors name the
// setting ("TOP_K: expected an integer in 1..1000000, got 'abc'"). NUM_THREADS,
// DECODE_CONCURRENCY and IO_THREADS left at 0 are derived from
// `cores.available()`, BUSY_NUM_THREADS from NUM_THREADS / MODEL_RUNNERS.
// Does not touch the file system; see CheckFiles.
Result<Config> Resolve(const Layers& layers, const CoreCount& cores);

// Resolve with this process's CountCores() (reads the cgroup files).
Result<Config> Resolve(const Layers& layers);

// The fallback model, used when MODEL_PATH is left at its default and that
// file does not exist (scripts/setup could not get ResNet-50 v2).
inline constexpr const char* kFallbackModelPath = "models/mobilenetv2-12-int8.onnx";

// MODEL_PATH unset and its default absent, but kFallbackModelPath present:
// switches to it (and MODEL_NAME to its stem when unset). Returns a note for
// the log when it did, "" otherwise. Reads the file system.
std::string ApplyModelFallback(Config& config);

// MODEL_PATH and LABELS_PATH must name readable regular files.
Status CheckFiles(const Config& config);

}  // namespace cp::config
