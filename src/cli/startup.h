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

// Checks files, installs the codec pixel limit, loads the model and labels.
// With `serving`, also warms the model up at every batch size the scheduler
// uses and puts the scheduler in front of it, whose batches are reported to
// `metrics` (may be null). Logs nothing. A model that does not load gives a
// service without a model (model_loaded() false), not an error.
Result<Started> LoadService(const config::Config& cfg, bool serving, metrics::Metrics* metrics);

// Logs what was loaded (or why the model was not) to stderr, and sets the
// model gauges of `metrics` (may be null).
void ReportLoaded(const config::Config& cfg, const service::ClassificationService& s, bool serving, double load_seconds,
                  metrics::Metrics* metrics);

// LoadService, then ReportLoaded.
Result<Started> StartService(const config::Config& cfg, bool serving, metrics::Metrics* metrics);

}  // namespace cp::cli
