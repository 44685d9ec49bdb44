#include "service/service_slot.h"

#include <utility>

namespace cp::service {

ServiceSlot::ServiceSlot(std::shared_ptr<const ClassificationService> initial) : current_(std::move(initial)) {}

std::shared_ptr<const ClassificationService> ServiceSlot::Get() const {
  std::lock_guard lock(mu_);
  return current_;
}

std::shared_ptr<const ClassificationService> ServiceSlot::Exchange(std::shared_ptr<const ClassificationService> next) {
  std::lock_guard lock(mu_);
  ++generation_;
  std::swap(current_, next);
  return next;
}

std::uint64_t ServiceSlot::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

ModelState StateOf(const ServiceSlot& slot, bool loading) {
  const auto current = slot.Get();
  ModelState st;
  st.loaded = current->model_loaded();
  st.loading = loading;
  if (!st.loaded) st.reason = current->load_error();
  return st;
}

}  // namespace cp::service
