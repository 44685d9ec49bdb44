#pragma once

#include <memory>

#include "batching/scheduler.h"
#include "common/status.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "service/classification_service.h"

namespace cp::cli {

struct Started {
  std::shared_ptr<service::ClassificationService> service;
  std::shared_ptr<batching::Scheduler> scheduler;  // null for `classify`
  double load_seconds = 0;                         // load + warm-up
};

// Checks files, installs the codec pixel limit, loads the model and labels,
// and logs what was loaded (or why the model was not) to stderr. With
// `serving`, also warms the model up at every batch size the scheduler uses
// and puts the scheduler in front of it, reporting to `metrics` (may be null).
Result<Started> StartService(const config::Config& cfg, bool serving, metrics::Metrics* metrics);

}  // namespace cp::cli
