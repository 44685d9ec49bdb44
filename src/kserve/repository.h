// The v2 model-repository extension without a transport: what REST
// (http/repository.h) and gRPC (RepositoryIndex, RepositoryModelLoad,
// RepositoryModelUnload) both answer, through service::ModelControl.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "service/model_control.h"
#include "service/service_slot.h"

namespace cp::kserve {

struct RepositoryEntry {
  std::string name;
  std::string version;
  std::string state;   // READY, UNAVAILABLE or LOADING (no model yet, one loading)
  std::string reason;  // why not ready; empty when ready
};

// The served model (none when ready_only and it is not ready). control may
// be null (then the state is the slot's).
std::vector<RepositoryEntry> RepositoryIndex(const service::ModelControl* control, const service::ServiceSlot& slot,
                                             const std::string& model_name, bool ready_only);

// Before a load or an unload: kNotFound for another model's name;
// kPermissionDenied without a control, or when MODEL_CONTROL_API switched
// load and unload off (control_api false; the index still reports a load
// SIGHUP started).
Status CheckModelControl(const service::ModelControl* control, bool control_api, const std::string& served_name,
                         std::string_view name);

}  // namespace cp::kserve
