// The KServe v2 model-repository extension over REST (as Triton's), driving
// service::ModelControl:
//
//   GET|POST /v2/repository/index               [{"name", "version", "state", "reason"}]
//                                               state READY, UNAVAILABLE or LOADING (no model
//                                               yet, one loading); POST {"ready": true} lists
//                                               only ready models
//   POST /v2/repository/models/{name}/load      loads MODEL_PATH again (a new file there), warms
//                                               it up and swaps it in; 200 once it serves.
//                                               400 {"error": why} when it does not load (the
//                                               model before keeps serving)
//   POST /v2/repository/models/{name}/unload    200; the model is unloaded (503 for
//                                               inference, readiness false) until a load
//
// Only the served model's name is known (404 for another). Load takes no
// parameters: a body, when there is one, is a JSON object whose
// "parameters", if any, is empty (Triton's config and file overrides are
// refused, 400). Without a ModelControl (MODEL_CONTROL_API=false), load and
// unload answer 403; the index is always answered.
//
// Threads: the index runs on the I/O thread; load and unload on a work
// thread, which they hold until done (a load takes the model's load and
// warm-up time; a second load waits for the first).
#pragma once

#include <memory>
#include <string>

#include "http/router.h"
#include "service/model_control.h"
#include "service/service_slot.h"

namespace cp::http {

struct RepositoryContext {
  std::shared_ptr<service::ModelControl> control;  // null: load and unload answer 403
  std::shared_ptr<const service::ServiceSlot> slot;
  std::string model_name;
  bool control_api = true;  // MODEL_CONTROL_API: false, load and unload answer 403
};

void RegisterRepositoryRoutes(Router& router, RepositoryContext ctx);

}  // namespace cp::http
