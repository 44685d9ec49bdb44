#include "http/json_codec.h"

namespace cp::http {

nlohmann::json HealthJson(bool model_loaded) { return {{"Status", "ok"}, {"model_loaded", model_loaded}}; }

nlohmann::json ClassificationJson(const service::Classification& c) {
  nlohmann::json preds = nlohmann::json::array();
  for (const auto& p : c.predictions) {
    preds.push_back({{"label", p.label}, {"probability", static_cast<double>(p.probability)}});
  }
  return {{"predictions", std::move(preds)}, {"inference_time_ms", c.timings.inference_ms}};
}

}  // namespace cp::http
