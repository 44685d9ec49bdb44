#pragma once

#include <cstddef>

#include "common/status.h"
#include "model/engine.h"

namespace cp::service {

// Runs the engine once at every batch size 1, 2, 4, ... up to max_batch (and
// max_batch itself) on a neutral input, so that no request pays ONNX
// Runtime's first-run allocations for a shape. With `overlapping` (runs will
// overlap: MODEL_RUNNERS > 1), then two batch-1 runs at once, which warms
// what an engine keeps for overlapping runs (OrtEngine's busy session).
// Stops at the first error.
Status WarmUp(model::InferenceEngine& engine, std::size_t max_batch, bool overlapping = false);

}  // namespace cp::service
