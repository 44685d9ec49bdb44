// The service being served now, swapped whole when the model is (re)loaded
// (service/model_control.h). Every request takes the current service once,
// at its start, and keeps that shared_ptr until it is answered: a request in
// flight finishes on the model it started on, whatever is swapped meanwhile.
//
// Thread-safety: Get and Exchange may be called from any number of threads at
// once; mu_ guards current_ (a copy of a shared_ptr under a short lock).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "service/classification_service.h"

namespace cp::service {

struct ModelState {
  bool loaded = false;   // the slot's service has a model
  bool loading = false;  // a Load is running
  std::string reason;    // why not loaded (empty when loaded)
};

class ServiceSlot {
 public:
  explicit ServiceSlot(std::shared_ptr<const ClassificationService> initial);

  // Never null.
  std::shared_ptr<const ClassificationService> Get() const;
  // Installs `next` (not null) and returns the service it replaces.
  std::shared_ptr<const ClassificationService> Exchange(std::shared_ptr<const ClassificationService> next);
  // Counts Exchange calls: what a cache of something derived from the
  // service (the OpenAPI document) compares to know it is stale.
  std::uint64_t generation() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const ClassificationService> current_;  // guarded by mu_
  std::uint64_t generation_ = 0;                          // guarded by mu_
};

// The state of what `slot` serves now; `loading` as the caller knows it
// (ModelControl does; without one, nothing loads).
ModelState StateOf(const ServiceSlot& slot, bool loading = false);

}  // namespace cp::service
