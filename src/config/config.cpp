#include "config/config.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>

#include "config/settings.h"

namespace cp::config {

namespace {

// Value of `key` from the highest-priority layer that has it, else default.
std::string Lookup(const Layers& layers, std::string_view key) {
  for (const SettingMap* layer : {&layers.flags, &layers.env, &layers.dotenv}) {
    if (auto it = layer->find(key); it != layer->end()) return it->second;
  }
  for (const auto& spec : AllSettings()) {
    if (spec.key == key) return std::string(spec.default_value);
  }
  return {};
}

template <typename Int>
Status ParseInt(const Layers& layers, std::string_view key, Int min, Int max, Int& out) {
  const std::string text = Lookup(layers, key);
  Int value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value < min || value > max) {
    return InvalidArgument(std::string(key) + ": expected an integer in " + std::to_string(min) + ".." +
                           std::to_string(max) + ", got '" + text + "'");
  }
  out = value;
  return Status::Ok();
}

Status CheckReadableFile(std::string_view key, const std::string& path) {
  std::error_code ec;
  if (path.empty()) return InvalidArgument(std::string(key) + ": empty path");
  if (!std::filesystem::is_regular_file(path, ec)) {
    return InvalidArgument(std::string(key) + ": no such file: " + path);
  }
  if (!std::ifstream(path, std::ios::binary)) {
    return InvalidArgument(std::string(key) + ": cannot read: " + path);
  }
  return Status::Ok();
}

}  // namespace

SettingMap EnvironmentMap(char** envp) {
  SettingMap env;
  for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
    const std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

Result<Config> Resolve(const Layers& layers) { return Resolve(layers, CountCores()); }

Result<Config> Resolve(const Layers& layers, const CoreCount& cores) {
  Config c;
  c.host = Lookup(layers, "HOST");
  if (c.host.empty()) return InvalidArgument("HOST: empty");
  c.model_path = Lookup(layers, "MODEL_PATH");
  c.labels_path = Lookup(layers, "LABELS_PATH");
  c.model_name = Lookup(layers, "MODEL_NAME");
  auto set_by_a_layer = [&layers](std::string_view key) {
    return layers.flags.count(key) || layers.env.count(key) || layers.dotenv.count(key);
  };
  c.model_path_is_default = !set_by_a_layer("MODEL_PATH");
  c.model_name_is_default = c.model_name.empty();
  if (c.model_name.empty()) c.model_name = std::filesystem::path(c.model_path).stem().string();
  if (c.model_name.find_first_of("/ ?#") != std::string::npos) {
    return InvalidArgument("MODEL_NAME: must not contain '/', ' ', '?' or '#': '" + c.model_name + "'");
  }

  Status s;
  if (!(s = ParseInt(layers, "PORT", 0, 65535, c.port)).ok()) return s;
  if (!(s = ParseInt(layers, "GRPC_PORT", -1, 65535, c.grpc_port)).ok()) return s;
  if (!(s = ParseInt(layers, "TOP_K", 1, 1'000'000, c.top_k)).ok()) return s;
  if (!(s = ParseInt(layers, "NUM_THREADS", 0, 1024, c.num_threads)).ok()) return s;
  if (!(s = ParseInt<std::uint64_t>(layers, "MAX_IMAGE_PIXELS", 1, 1ull << 40, c.max_image_pixels)).ok()) return s;
  if (!(s = ParseInt<std::uint64_t>(layers, "MAX_BODY_BYTES", 1, 1ull << 34, c.max_body_bytes)).ok()) return s;
  if (!(s = ParseInt<std::uint64_t>(layers, "MAX_BODY_BYTES_IN_FLIGHT", 0, 1ull << 40, c.max_body_bytes_in_flight))
           .ok())
    return s;
  if (!(s = ParseInt(layers, "HTTP_THREADS", 1, 4096, c.http_threads)).ok()) return s;
  if (!(s = ParseInt(layers, "IO_THREADS", 0, 64, c.io_threads)).ok()) return s;
  if (!(s = ParseInt(layers, "MAX_CONNECTIONS", 1, 1 << 20, c.max_connections)).ok()) return s;
  if (!(s = ParseInt(layers, "HEADER_TIMEOUT_S", 1, 3600, c.header_timeout_s)).ok()) return s;
  if (!(s = ParseInt(layers, "READ_TIMEOUT_S", 1, 3600, c.read_timeout_s)).ok()) return s;
  if (!(s = ParseInt(layers, "KEEP_ALIVE_TIMEOUT_S", 1, 3600, c.keep_alive_timeout_s)).ok()) return s;
  if (!(s = ParseInt(layers, "MAX_BATCH_SIZE", 1, 1024, c.max_batch_size)).ok()) return s;
  if (!(s = ParseInt(layers, "MAX_QUEUE_DELAY_US", 0, 10'000'000, c.max_queue_delay_us)).ok()) return s;
  if (!(s = ParseInt(layers, "MAX_QUEUE", 1, 1'000'000, c.max_queue)).ok()) return s;
  if (!(s = ParseInt(layers, "MODEL_RUNNERS", 1, 64, c.model_runners)).ok()) return s;
  if (!(s = ParseInt(layers, "BUSY_NUM_THREADS", 0, 1024, c.busy_num_threads)).ok()) return s;
  if (!(s = ParseInt(layers, "REQUEST_TIMEOUT_MS", 0, 3'600'000, c.request_timeout_ms)).ok()) return s;
  if (!(s = ParseInt(layers, "DECODE_CONCURRENCY", 0, 1024, c.decode_concurrency)).ok()) return s;
  int scaled = 1;
  if (!(s = ParseInt(layers, "SCALED_DECODE", 0, 1, scaled)).ok()) return s;
  c.scaled_decode = scaled == 1;
  c.int8_weights = Lookup(layers, "INT8_WEIGHTS");
  if (c.int8_weights != "auto" && c.int8_weights != "native" && c.int8_weights != "u8") {
    return InvalidArgument("INT8_WEIGHTS: expected auto, native or u8, got '" + c.int8_weights + "'");
  }
  int allow_truncated = 0;
  if (!(s = ParseInt(layers, "ALLOW_TRUNCATED_IMAGES", 0, 1, allow_truncated)).ok()) return s;
  c.allow_truncated_images = allow_truncated == 1;
  int model_control = 1;
  if (!(s = ParseInt(layers, "MODEL_CONTROL_API", 0, 1, model_control)).ok()) return s;
  c.model_control_api = model_control == 1;
  if (!(s = ParseInt(layers, "DRAIN_DELAY_S", 0, 3600, c.drain_delay_s)).ok()) return s;
  if (!(s = ParseInt(layers, "DRAIN_TIMEOUT_S", 0, 3600, c.drain_timeout_s)).ok()) return s;
  const int available = cores.available();
  std::string defaulted;  // "NUM_THREADS defaults to 2, ..." for cores_note
  auto derive = [&](int& value, std::string_view key, int derived) {
    if (value != 0) return;
    value = derived;
    defaulted += (defaulted.empty() ? std::string(key) + " defaults to " : ", " + std::string(key) + " to ") +
                 std::to_string(derived);
  };
  derive(c.num_threads, "NUM_THREADS", available);
  derive(c.decode_concurrency, "DECODE_CONCURRENCY", available);
  if (c.busy_num_threads == 0) c.busy_num_threads = std::max(1, c.num_threads / c.model_runners);
  if (c.busy_num_threads > c.num_threads) {
    return InvalidArgument("BUSY_NUM_THREADS: " + std::to_string(c.busy_num_threads) + " is more than NUM_THREADS (" +
                           std::to_string(c.num_threads) + ")");
  }
  derive(c.io_threads, "IO_THREADS", std::clamp(available / 4, 1, 4));
  if (cores.limited_by_cgroup() && !defaulted.empty()) {
    c.cores_note = defaulted + ": cgroup CPU limit " + std::to_string(*cores.cgroup_limit) + " of " +
                   std::to_string(cores.affinity) + " CPUs";
  }
  return c;
}

std::string ApplyModelFallback(Config& config) {
  std::error_code ec;
  if (!config.model_path_is_default || std::filesystem::exists(config.model_path, ec) ||
      !std::filesystem::is_regular_file(kFallbackModelPath, ec)) {
    return "";
  }
  const std::string note = config.model_path + " is not here (scripts/setup could not get ResNet-50 v2): using " +
                           kFallbackModelPath + " instead";
  config.model_path = kFallbackModelPath;
  if (config.model_name_is_default) config.model_name = std::filesystem::path(config.model_path).stem().string();
  return note;
}

Status CheckFiles(const Config& config) {
  if (Status s = CheckReadableFile("MODEL_PATH", config.model_path); !s.ok()) return s;
  return CheckReadableFile("LABELS_PATH", config.labels_path);
}

}  // namespace cp::config
