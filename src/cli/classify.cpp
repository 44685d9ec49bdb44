#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/files.h"
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
    const auto bytes = ReadImageFile(file);
    const Result<service::Classification> result =
        bytes.ok() ? svc->Classify({*bytes, {}, {}}, std::nullopt) : Result<service::Classification>(bytes.status());
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
        // From the bytes in memory to the ranked result: decode, preprocess
        // and the model (what bench/run compares HTTP latency with).
        item["total_time_ms"] = result->timings.total_ms;
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
