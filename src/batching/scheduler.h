// Dynamic batching: an InferenceEngine that queues concurrent Infer calls and
// runs them through an inner engine in batches (TF Serving's BatchingSession
// pattern). Callers cannot tell it from the engine it wraps, except that it
// honours InferOptions::deadline and can refuse work (kOverloaded) when its
// bounded queue is full.
//
// Policy (per runner thread):
//   * take requests first-in first-out, up to max_batch_size images (and never
//     more than inner->info().max_batch when that is non-zero); a single
//     request larger than that limit runs alone (an inner engine with a fixed
//     max_batch then rejects it, exactly as it would without the scheduler);
//   * adaptive delay: if the oldest waiting request arrived while the
//     scheduler was idle (empty queue, no run in progress) it runs at once;
//     otherwise, while fewer than the limit are waiting, wait for more until
//     max_queue_delay after the oldest request was enqueued. Idle traffic gets
//     the inner engine's latency; saturated traffic gets full batches.
//   * requests whose deadline has passed are never run: they fail with
//     kDeadlineExceeded (the waiting caller also wakes at its deadline).
//
// Concurrency contract:
//   * Infer: any number of caller threads. The caller's thread validates,
//     enqueues a Request that lives on its own stack and points at the
//     caller's input (no copy), then blocks on the Request's condition
//     variable until the Request is kDone or kExpired.
//   * Runner threads (options.runners of them) form batches, copy the inputs
//     into a per-runner buffer, call inner->Infer without holding any lock,
//     and write results back into the callers' Requests.
//   * Hooks (on_dequeue, on_batch) are called from runner threads with no lock
//     held, possibly concurrently from several runners: they must be
//     thread-safe, cheap, and must not call back into the Scheduler's
//     Shutdown()/destructor.
//   * Shutdown / the destructor: any thread except a runner (i.e. not from a
//     hook). Idempotent; concurrent callers all return after the drain. It
//     waits for the queued callers to leave Infer, so destroying the
//     Scheduler while callers are blocked in Infer is safe; calling Infer
//     after the destructor has begun is not.
//   * queue_depth(), in_flight(): any thread, lock-free (atomic mirrors of
//     state that is guarded by mu_; a snapshot, for metrics only).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "common/status.h"
#include "model/engine.h"

namespace cp::batching {

struct SchedulerOptions {
  // Most images in one inner run (default 8). A single request with more
  // images still runs, alone. Values below 1 are treated as 1.
  std::size_t max_batch_size = 8;
  // Longest a queued request waits for a batch to fill when the scheduler is
  // busy (default 2 ms). Not applied when the request arrived idle. Negative
  // values are treated as 0, values above 24 h as 24 h.
  std::chrono::microseconds max_queue_delay{2000};
  // Most requests waiting (queued, not yet taken by a runner) (default 64);
  // Infer on a full queue fails at once with kOverloaded. Values below 1 are
  // treated as 1.
  std::size_t max_queue = 64;
  // Runner threads, i.e. inner runs that may be in progress at once
  // (default 1). Values below 1 are treated as 1.
  int runners = 1;
  // Called after each inner run (successful or not), before the callers of
  // that batch are woken, with the number of images in the run and the
  // duration of the inner Infer call in seconds (default: none). See the
  // concurrency contract above.
  std::function<void(std::size_t batch_images, double run_seconds)> on_batch;
  // Called once per request when a runner takes it for a batch, with the time
  // it spent queued in seconds (default: none). Expired requests are not
  // reported.
  std::function<void(double queue_wait_seconds)> on_dequeue;
};

class Scheduler final : public model::InferenceEngine {
 public:
  // inner must not be null (if it is, every Infer fails with kUnavailable).
  // Starts the runner threads.
  Scheduler(std::shared_ptr<model::InferenceEngine> inner, SchedulerOptions options = {});
  // Shutdown(): drains the queue and joins the runners.
  ~Scheduler() override;

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The inner engine's info.
  const model::ModelInfo& info() const override;

  // Blocks until a runner has run the request. Errors:
  //   kInternal          input.size() != batch * image_size(), or batch == 0
  //                      (like the plain engine), or the inner run failed
  //                      (every request of that batch gets the inner status);
  //   kUnavailable       Shutdown() has begun;
  //   kOverloaded        max_queue requests are already waiting (immediate);
  //   kDeadlineExceeded  options.deadline passed before a runner took it.
  Result<std::vector<float>> Infer(std::span<const float> input, std::size_t batch,
                                   const model::InferOptions& options = {}) override;

  // Stops accepting (new Infer -> kUnavailable), lets the runners finish every
  // queued request, joins them, and waits until every queued caller has left
  // Infer (so the destructor may run while callers are still blocked in
  // Infer; Infer must not be *called* once the destructor has begun).
  // Idempotent.
  void Shutdown();

  // True when max_queue requests are waiting: a new Infer would be refused.
  bool Saturated() const override { return queue_depth() >= options_.max_queue; }

  // Requests waiting to be taken by a runner.
  std::size_t queue_depth() const { return queue_depth_.load(std::memory_order_relaxed); }
  std::size_t queued() const override { return queue_depth(); }
  // Requests taken by a runner and not yet answered.
  std::size_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  using Clock = std::chrono::steady_clock;

  // One Infer call. Lives on the caller's stack; the caller does not return
  // while a runner may still touch it (state kQueued or kRunning).
  struct Request {
    enum class State { kQueued, kRunning, kDone, kExpired };

    std::span<const float> input;  // the caller's buffer: batch * image_size floats
    std::size_t batch = 0;
    std::optional<Clock::time_point> deadline;
    model::InferStats* stats = nullptr;  // the caller's; written by the runner while kRunning
    Clock::time_point enqueued;
    bool arrived_idle = false;  // queue empty and no run in progress at enqueue

    State state = State::kQueued;  // must hold mu_ (read and write)
    std::condition_variable done;  // notified (holding mu_) on kDone / kExpired
    // Written by the runner with no lock while state == kRunning; read by the
    // caller after it has seen kDone under mu_ (the mutex orders the two).
    Status status;
    std::vector<float> logits;
  };

  void RunnerLoop();
  // Waits (must hold mu_, via lk) until a batch should be taken, then takes
  // it. Returns the batch (may be empty if the queue emptied meanwhile).
  std::vector<Request*> CollectBatch(std::unique_lock<std::mutex>& lk);
  // Runs one batch through the inner engine (no lock held) and answers it.
  void RunBatch(const std::vector<Request*>& batch, std::vector<float>& buffer);
  // Must hold mu_. Removes r (a kQueued request) from queue_, marks it
  // kExpired and wakes its caller.
  void ExpireLocked(Request* r);

  const std::shared_ptr<model::InferenceEngine> inner_;
  const SchedulerOptions options_;  // normalized (every limit >= 1)
  const std::size_t batch_limit_;   // images per run: max_batch_size capped by inner->info().max_batch

  std::mutex mu_;
  std::condition_variable work_cv_;     // idle runners: queue non-empty and no collector, or stopping_
  std::condition_variable fill_cv_;     // the collecting runner: new request, or stopping_
  std::deque<Request*> queue_;          // must hold mu_; FIFO of kQueued requests, size <= max_queue
  std::size_t queued_images_ = 0;       // must hold mu_; sum of batch over queue_
  std::size_t active_runs_ = 0;         // must hold mu_; batches taken and not yet answered
  bool collecting_ = false;             // must hold mu_; a runner is filling a batch (at most one)
  bool stopping_ = false;               // must hold mu_; Shutdown() has begun
  std::size_t callers_ = 0;             // must hold mu_; callers between enqueue and return from Infer
  std::condition_variable callers_cv_;  // Shutdown(): callers_ reached 0

  // Lock-free mirrors for the accessors: written only while holding mu_.
  std::atomic<std::size_t> queue_depth_{0};
  std::atomic<std::size_t> in_flight_{0};

  std::once_flag shutdown_once_;
  std::vector<std::thread> runners_;  // written by the constructor and Shutdown() (under shutdown_once_)
};

}  // namespace cp::batching
