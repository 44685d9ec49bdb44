#pragma once

#include <cstddef>

#include "common/status.h"
#include "model/engine.h"

namespace cp::service {

// Runs the engine once at every batch size 1, 2, 4, ... up to max_batch (and
// max_batch itself) on a neutral input, so that no request pays ONNX
// Runtime's first-run allocations for a shape. Stops at the first error.
Status WarmUp(model::InferenceEngine& engine, std::size_t max_batch);

}  // namespace cp::service
