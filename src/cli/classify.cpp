#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/startup.h"

namespace cp::cli {

int RunClassify(const config::Config& cfg, const std::vector<std::string>& files, bool json) {
  auto started = StartService(cfg, /*serving=*/false, nullptr);
  if (!started.ok()) {
    std::cerr << "cross_pictures: invalid configuration: " << started.status().message() << "\n";
    return 2;
  }
  const auto& svc = started->service;
  int failures = 0;
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& file : files) {
    std::error_code ec;
    std::ifstream in(file, std::ios::binary);
    Result<service::Classification> result = InvalidArgument("cannot read file");
    if (std::filesystem::is_directory(file, ec)) {
      result = InvalidArgument("is a directory");
    } else if (in) {
      std::ostringstream ss;
      ss << in.rdbuf();
      const std::string bytes = ss.str();
      result = svc->Classify({bytes, {}, {}}, std::nullopt);
    }
    if (!result.ok()) ++failures;
    if (json) {
      nlohmann::json item = {{"file", file}};
      if (result.ok()) {
        nlohmann::json preds = nlohmann::json::array();
        for (const auto& p : result->predictions) {
          preds.push_back(
              {{"label", p.label}, {"index", p.index}, {"probability", static_cast<double>(p.probability)}});
        }
        item["predictions"] = std::move(preds);
        item["inference_time_ms"] = result->timings.inference_ms;
      } else {
        item["error"] = result.status().message();
      }
      out.push_back(std::move(item));
    } else if (result.ok()) {
      std::cout << file << ":";
      for (const auto& p : result->predictions) std::cout << "  " << p.label << " (" << p.probability << ")";
      std::cout << "\n";
    } else {
      std::cerr << file << ": error: " << result.status().message() << "\n";
    }
  }
  if (json) std::cout << out.dump(2) << "\n";
  return failures == 0 ? 0 : 1;
}

}  // namespace cp::cli
