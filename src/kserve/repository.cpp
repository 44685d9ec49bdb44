#include "kserve/repository.h"

#include "kserve/inference.h"

namespace cp::kserve {

std::vector<RepositoryEntry> RepositoryIndex(const service::ModelControl* control, const service::ServiceSlot& slot,
                                             const std::string& model_name, bool ready_only) {
  const service::ModelState st = control != nullptr ? control->State() : service::StateOf(slot);
  if (ready_only && !st.loaded) return {};
  const char* state = st.loaded ? "READY" : (st.loading ? "LOADING" : "UNAVAILABLE");
  return {{model_name, kModelVersion, state, st.reason}};
}

Status CheckModelControl(const service::ModelControl* control, bool control_api, const std::string& served_name,
                         std::string_view name) {
  if (Status s = CheckModel(served_name, name, ""); !s.ok()) return s;
  if (control == nullptr) return PermissionDenied("this server cannot load or unload its model");
  if (!control_api) return PermissionDenied("model control is switched off (MODEL_CONTROL_API=0)");
  return Status::Ok();
}

}  // namespace cp::kserve
