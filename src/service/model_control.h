// Model (re)load without downtime, behind SIGHUP and the v2 model-repository
// extension (POST /v2/repository/models/{name}/load, .../unload,
// /v2/repository/index; and their gRPC RPCs).
//
// Load builds a whole new service from the model file (the Builder: load the
// file and the labels, check they agree, warm the model up at every batch
// size, put its own scheduler in front) while the current one keeps serving,
// and only when that succeeded swaps it into the ServiceSlot. Requests in
// flight hold the service they started on and finish on the old model; new
// requests get the new one; nothing is refused meanwhile. A file that does not
// load leaves the current service serving and Load says why
// (kFailedPrecondition). Unload swaps in the same labels with no model (every
// request then kUnavailable, readiness false) until a Load succeeds.
//
// Memory: while a load runs, and until the last request on the old model is
// answered, both models are in memory (ResNet-50 fp32: peak RSS +200 MB,
// docs/DEPLOY.md).
//
// A replaced service is destroyed on the control thread, not on the thread of
// the request that last held it: its scheduler joins its runners and ONNX
// Runtime frees the session there, so no reply waits for that.
//
// Threads:
//   * Load / Unload: the caller's thread (an HTTP or gRPC worker). load_mu_
//     serializes them: a second Load waits for the first, then loads again.
//   * RequestLoad (the signal waiter, on SIGHUP): returns at once; the
//     control thread runs Load (requests arriving while one is pending are
//     one load).
//   * the control thread (one, owned here): those loads, and destroying
//     replaced services. Its work is in WorkQueue (its mu guards the
//     services to destroy, the requested load and the stop flag).
//   * State(): any thread, never waits for a load.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "service/classification_service.h"
#include "service/service_slot.h"

namespace cp::service {

struct ModelControlOptions {
  // After a successful Load (the new service is serving): how long it took.
  std::function<void(const ClassificationService&, double seconds)> on_loaded;
  // After a failed Load (the current service still serves).
  std::function<void(const Status&)> on_load_failed;
  // After Unload swapped the model out.
  std::function<void()> on_unloaded;
};

class ModelControl {
 public:
  // Builds a service from the model file as configured now; a service whose
  // model_loaded() is false counts as a failed load.
  using Builder = std::function<Result<std::shared_ptr<const ClassificationService>>()>;

  // `initial` (not null) is served until the first successful Load.
  ModelControl(std::shared_ptr<const ClassificationService> initial, Builder build, ModelControlOptions options = {});
  // Waits for a load running on the control thread; joins it. Services still
  // referenced after that are destroyed by their last holder.
  ~ModelControl();
  ModelControl(const ModelControl&) = delete;
  ModelControl& operator=(const ModelControl&) = delete;

  // What the transports serve from.
  std::shared_ptr<ServiceSlot> slot() const { return slot_; }

  // Blocks until the new model serves (ok) or did not load
  // (kFailedPrecondition with why; the current service is untouched).
  Status Load();
  // Ok, also when no model is loaded.
  Status Unload();
  // Load on the control thread; returns at once.
  void RequestLoad();
  ModelState State() const;

 private:
  struct WorkQueue;
  // The shared_ptr the slot hands out: when its last copy is dropped, the
  // service goes to the control thread instead of being destroyed there.
  std::shared_ptr<const ClassificationService> Publish(std::shared_ptr<const ClassificationService> service) const;
  void ControlLoop();

  Builder build_;
  ModelControlOptions options_;
  std::shared_ptr<WorkQueue> work_;  // shared with the deleters of published services
  std::shared_ptr<ServiceSlot> slot_;
  std::mutex load_mu_;  // serializes Load and Unload
  std::atomic<bool> loading_{false};
  std::thread control_;
};

}  // namespace cp::service
