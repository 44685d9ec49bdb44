#include "batching/scheduler.h"

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

namespace cp::batching {
namespace {

SchedulerOptions Normalize(SchedulerOptions o) {
  o.max_batch_size = std::max<std::size_t>(o.max_batch_size, 1);
  o.max_queue = std::max<std::size_t>(o.max_queue, 1);
  o.runners = std::max(o.runners, 1);
  // Bounded so that enqueue time + delay cannot overflow the clock.
  o.max_queue_delay =
      std::clamp<std::chrono::microseconds>(o.max_queue_delay, std::chrono::microseconds{0}, std::chrono::hours{24});
  return o;
}

std::size_t BatchLimitOf(const model::InferenceEngine* inner, std::size_t max_batch_size) {
  if (inner == nullptr || inner->info().max_batch == 0) return max_batch_size;
  return std::min(max_batch_size, inner->info().max_batch);
}

}  // namespace

Scheduler::Scheduler(std::shared_ptr<model::InferenceEngine> inner, SchedulerOptions options)
    : inner_(std::move(inner)),
      options_(Normalize(std::move(options))),
      batch_limit_(BatchLimitOf(inner_.get(), options_.max_batch_size)) {
  if (!inner_) return;  // Infer fails with kUnavailable; nothing to run
  runners_.reserve(static_cast<std::size_t>(options_.runners));
  for (int i = 0; i < options_.runners; ++i) runners_.emplace_back([this] { RunnerLoop(); });
}

Scheduler::~Scheduler() { Shutdown(); }

const model::ModelInfo& Scheduler::info() const {
  static const model::ModelInfo kNoModel;
  return inner_ ? inner_->info() : kNoModel;
}

void Scheduler::Shutdown() {
  std::call_once(shutdown_once_, [this] {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopping_ = true;
    }
    work_cv_.notify_all();
    fill_cv_.notify_all();
    for (std::thread& t : runners_) t.join();
    // Every request has been answered (or expired); wait for the callers to
    // leave Infer so that they never touch a destroyed Scheduler.
    std::unique_lock<std::mutex> lk(mu_);
    callers_cv_.wait(lk, [this] { return callers_ == 0; });
  });
}

Result<std::vector<float>> Scheduler::Infer(std::span<const float> input, std::size_t batch,
                                            const model::InferOptions& options) {
  if (!inner_) return Unavailable("batching scheduler has no inference engine");
  if (batch == 0 || input.size() != batch * inner_->info().image_size()) {
    return Internal("Infer: input size does not match batch");
  }

  Request r;
  r.input = input;
  r.batch = batch;
  r.deadline = options.deadline;
  r.stats = options.stats;

  std::unique_lock<std::mutex> lk(mu_);
  if (stopping_) return Unavailable("inference scheduler is shutting down");
  r.enqueued = Clock::now();
  if (r.deadline && *r.deadline <= r.enqueued) return DeadlineExceeded("request deadline expired before it was queued");
  if (queue_.size() >= options_.max_queue) {
    return Overloaded("inference queue full (" + std::to_string(options_.max_queue) + " requests waiting)");
  }
  r.arrived_idle = queue_.empty() && active_runs_ == 0;
  queue_.push_back(&r);
  ++callers_;
  queued_images_ += batch;
  queue_depth_.store(queue_.size(), std::memory_order_relaxed);
  if (!collecting_) {
    work_cv_.notify_one();
  } else if (queued_images_ >= batch_limit_ || r.arrived_idle) {
    fill_cv_.notify_one();  // the batch being filled is full (or was emptied): take it now
  }

  // Wait until a runner answers, or the deadline passes while still queued.
  // Once a runner has taken the request (kRunning) the deadline no longer
  // applies: it will be answered.
  while (r.state == Request::State::kQueued || r.state == Request::State::kRunning) {
    if (r.state == Request::State::kQueued && r.deadline) {
      if (r.done.wait_until(lk, *r.deadline) == std::cv_status::timeout && r.state == Request::State::kQueued) {
        ExpireLocked(&r);
      }
    } else {
      r.done.wait(lk);
    }
  }
  if (--callers_ == 0 && stopping_) callers_cv_.notify_all();  // holding mu_ until we return
  if (r.state == Request::State::kExpired) return DeadlineExceeded("request deadline expired while queued");
  if (!r.status.ok()) return std::move(r.status);
  return std::move(r.logits);
}

void Scheduler::ExpireLocked(Request* r) {
  const auto it = std::find(queue_.begin(), queue_.end(), r);
  if (it != queue_.end()) {
    queue_.erase(it);
    queued_images_ -= r->batch;
    queue_depth_.store(queue_.size(), std::memory_order_relaxed);
  }
  r->state = Request::State::kExpired;
  r->done.notify_one();                    // holding mu_: the caller cannot destroy r before we are done
  if (collecting_) fill_cv_.notify_one();  // its oldest request may be gone
  if (stopping_ && queue_.empty()) work_cv_.notify_all();  // drained: let idle runners exit
}

void Scheduler::RunnerLoop() {
  std::vector<float> buffer;  // reused across batches
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    work_cv_.wait(lk, [this] { return (stopping_ && queue_.empty()) || (!collecting_ && !queue_.empty()); });
    if (queue_.empty()) return;  // stopping and drained
    std::vector<Request*> batch = CollectBatch(lk);
    if (batch.empty()) continue;
    lk.unlock();
    RunBatch(batch, buffer);
    lk.lock();
  }
}

std::vector<Scheduler::Request*> Scheduler::CollectBatch(std::unique_lock<std::mutex>& lk) {
  // Wait for the batch to fill, unless the oldest request arrived idle, we are
  // draining, or it has already waited max_queue_delay.
  collecting_ = true;
  while (!queue_.empty() && !stopping_ && queued_images_ < batch_limit_ && !queue_.front()->arrived_idle) {
    const Clock::time_point until = queue_.front()->enqueued + options_.max_queue_delay;
    if (Clock::now() >= until) break;
    fill_cv_.wait_until(lk, until);
  }
  collecting_ = false;

  std::vector<Request*> batch;
  std::size_t images = 0;
  const Clock::time_point now = Clock::now();
  while (!queue_.empty()) {
    Request* r = queue_.front();
    if (r->deadline && *r->deadline <= now) {
      ExpireLocked(r);  // never run an expired request
      continue;
    }
    // FIFO: stop at the first request that does not fit; one that alone
    // exceeds the limit runs by itself.
    if (!batch.empty() && images + r->batch > batch_limit_) break;
    queue_.pop_front();
    queued_images_ -= r->batch;
    r->state = Request::State::kRunning;
    batch.push_back(r);
    images += r->batch;
    if (images >= batch_limit_) break;
  }
  queue_depth_.store(queue_.size(), std::memory_order_relaxed);
  if (!batch.empty()) {
    ++active_runs_;
    in_flight_.fetch_add(batch.size(), std::memory_order_relaxed);
  }
  if (!queue_.empty()) {
    work_cv_.notify_one();  // another runner may start filling the next batch
  } else if (stopping_) {
    work_cv_.notify_all();  // drained: let idle runners exit
  }
  return batch;
}

void Scheduler::RunBatch(const std::vector<Request*>& batch, std::vector<float>& buffer) {
  // Requests in kRunning are only touched by this runner; their callers are
  // blocked, so their input spans stay valid until we mark them kDone.
  const Clock::time_point taken = Clock::now();
  std::size_t images = 0;
  for (const Request* r : batch) images += r->batch;
  for (Request* r : batch) {
    const double wait = std::chrono::duration<double>(taken - r->enqueued).count();
    if (r->stats != nullptr) r->stats->queue_ms = wait * 1000.0;
    if (options_.on_dequeue) options_.on_dequeue(wait);
  }

  const std::size_t num_classes = inner_->info().num_classes;
  Status status;
  std::vector<float> out;
  model::InferStats inner_stats;
  Clock::time_point run_start = Clock::now();
  try {
    std::span<const float> input = batch.front()->input;  // one request: run its buffer directly
    if (batch.size() > 1) {
      buffer.clear();
      buffer.reserve(images * inner_->info().image_size());
      for (const Request* r : batch) buffer.insert(buffer.end(), r->input.begin(), r->input.end());
      input = buffer;
    }
    run_start = Clock::now();
    model::InferOptions io;
    io.stats = &inner_stats;
    Result<std::vector<float>> result = inner_->Infer(input, images, io);
    if (!result.ok()) {
      status = result.status();
    } else if (result->size() != images * num_classes) {
      status = Internal("the model returned an unexpected number of outputs");
    } else {
      out = std::move(result).value();
    }
  } catch (const std::exception& e) {
    status = Internal(std::string("batched inference failed: ") + e.what());
  } catch (...) {
    status = Internal("batched inference failed");
  }
  const double run_seconds = std::chrono::duration<double>(Clock::now() - run_start).count();
  if (options_.on_batch) options_.on_batch(images, run_seconds);
  for (Request* r : batch) {
    if (r->stats == nullptr) continue;
    r->stats->run_ms = run_seconds * 1000.0;
    r->stats->batch = images;
    r->stats->threads = inner_stats.threads;
  }

  // Split the logits back (no lock: the callers only read them after kDone).
  if (!status.ok()) {
    for (Request* r : batch) r->status = status;
  } else if (batch.size() == 1) {
    batch.front()->logits = std::move(out);
  } else {
    auto it = out.begin();
    for (Request* r : batch) {
      const auto n = static_cast<std::ptrdiff_t>(r->batch * num_classes);
      r->logits.assign(it, it + n);
      it += n;
    }
  }

  std::lock_guard<std::mutex> lk(mu_);
  for (Request* r : batch) {
    r->state = Request::State::kDone;
    r->done.notify_one();  // holding mu_: r outlives this call
  }
  in_flight_.fetch_sub(batch.size(), std::memory_order_relaxed);
  --active_runs_;
}

}  // namespace cp::batching
