#pragma once

#include <memory>

#include "common/status.h"
#include "config/config.h"
#include "service/classification_service.h"

namespace cp::cli {

// Checks files, installs the codec pixel limit, builds the service and logs
// what was loaded (or why the model was not) to stderr.
Result<std::shared_ptr<service::ClassificationService>> StartService(const config::Config& cfg);

}  // namespace cp::cli
