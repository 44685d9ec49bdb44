#include "service/model_control.h"

#include <chrono>
#include <utility>
#include <vector>

namespace cp::service {

struct ModelControl::WorkQueue {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<const ClassificationService>> retired;  // guarded by mu
  bool load_requested = false;                                        // guarded by mu
  bool stopping = false;  // guarded by mu; once set, retired services are destroyed by their last holder

  // From a published service's deleter, on whatever thread dropped it last.
  void Retire(std::shared_ptr<const ClassificationService> service) {
    {
      std::lock_guard lock(mu);
      if (stopping) return;  // `service` is destroyed here, on return
      retired.push_back(std::move(service));
    }
    cv.notify_one();
  }
};

ModelControl::ModelControl(std::shared_ptr<const ClassificationService> initial, Builder build,
                           ModelControlOptions options)
    : build_(std::move(build)), options_(std::move(options)), work_(std::make_shared<WorkQueue>()) {
  slot_ = std::make_shared<ServiceSlot>(Publish(std::move(initial)));
  control_ = std::thread([this] { ControlLoop(); });
}

ModelControl::~ModelControl() {
  {
    std::lock_guard lock(work_->mu);
    work_->stopping = true;
  }
  work_->cv.notify_one();
  control_.join();
}

std::shared_ptr<const ClassificationService> ModelControl::Publish(
    std::shared_ptr<const ClassificationService> service) const {
  const ClassificationService* raw = service.get();
  return std::shared_ptr<const ClassificationService>(
      raw, [work = work_, owner = std::move(service)](const ClassificationService*) mutable {
        work->Retire(std::move(owner));
      });
}

void ModelControl::ControlLoop() {
  std::unique_lock lock(work_->mu);
  for (;;) {
    work_->cv.wait(lock, [&] { return work_->stopping || work_->load_requested || !work_->retired.empty(); });
    auto retired = std::move(work_->retired);
    work_->retired.clear();
    const bool load = work_->load_requested && !work_->stopping;
    work_->load_requested = false;
    const bool stopping = work_->stopping;
    lock.unlock();
    retired.clear();   // the old schedulers join their runners, ORT frees the sessions
    if (load) Load();  // reports through the hooks
    lock.lock();
    if (stopping && work_->retired.empty()) return;
  }
}

void ModelControl::RequestLoad() {
  {
    std::lock_guard lock(work_->mu);
    work_->load_requested = true;
  }
  work_->cv.notify_one();
}

Status ModelControl::Load() {
  std::lock_guard load_lock(load_mu_);
  loading_ = true;
  const auto t0 = std::chrono::steady_clock::now();
  auto built = build_();
  Status failed;
  if (!built.ok()) {
    failed = built.status();
  } else if (!(*built)->model_loaded()) {
    failed = FailedPrecondition((*built)->load_error());
  }
  if (!failed.ok()) {
    loading_ = false;
    const bool serving = slot_->Get()->model_loaded();
    Status s = FailedPrecondition("the model did not load (" + failed.message() + "); " +
                                  (serving ? "the model loaded before keeps serving" : "no model is served"));
    if (options_.on_load_failed) options_.on_load_failed(s);
    return s;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const std::shared_ptr<const ClassificationService> next = std::move(built).value();
  slot_->Exchange(Publish(next));  // the old one retires when its last request is answered
  loading_ = false;
  if (options_.on_loaded) options_.on_loaded(*next, seconds);
  return Status::Ok();
}

Status ModelControl::Unload() {
  std::lock_guard load_lock(load_mu_);
  const auto current = slot_->Get();
  if (!current->model_loaded()) return Status::Ok();
  slot_->Exchange(Publish(current->WithoutModel("the model was unloaded; load it again to serve")));
  if (options_.on_unloaded) options_.on_unloaded();
  return Status::Ok();
}

ModelState ModelControl::State() const { return StateOf(*slot_, loading_.load()); }

}  // namespace cp::service
