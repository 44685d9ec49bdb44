// Builds the service from the configuration: loads labels and the model,
// checks they agree. A model that fails to load yields a service with
// model_loaded() == false (the process still starts and says why); a
// configuration error (bad labels, label count != model classes) is returned.
#pragma once

#include <functional>
#include <memory>

#include "common/status.h"
#include "config/config.h"
#include "service/classification_service.h"

namespace cp::service {

struct EngineFactory {
  // Wraps the loaded ORT engine (e.g. in the batching scheduler); identity
  // when empty.
  std::function<std::shared_ptr<model::InferenceEngine>(std::shared_ptr<model::InferenceEngine>)> wrap;
  // Runs may overlap (the server with MODEL_RUNNERS > 1): load the narrower
  // session of BUSY_NUM_THREADS for them (model/ort_engine.h).
  bool overlapping_runs = false;
};

Result<std::shared_ptr<ClassificationService>> BuildService(const config::Config& config,
                                                            const EngineFactory& factory = {});

}  // namespace cp::service
