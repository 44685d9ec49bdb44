// The threads that run request handlers which may block (decode, preprocess,
// waiting for the model): a fixed number of threads taking jobs from one FIFO
// queue, for the HTTP transport (unbounded: each connection has at most one
// request in a handler at a time, so MAX_CONNECTIONS bounds it, and the
// service's own admission, MAX_QUEUE, sheds beyond what the model can take)
// and the gRPC server (bounded: a call that finds max_queued waiting is
// refused).
//
// Threads: Post/TryPost may be called from any thread (I/O threads, gRPC's
// threads); `threads` workers run the jobs; Shutdown runs what is still
// queued, then joins the workers (idempotent; the destructor calls it). mu_
// guards jobs_ and shutdown_.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cp {

class WorkPool {
 public:
  // max_queued: jobs that may wait for a thread (0 = no limit).
  explicit WorkPool(std::size_t threads, std::size_t max_queued = 0);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Never blocks. After Shutdown the job runs on the caller. Ignores max_queued.
  void Post(std::function<void()> job);
  // Never blocks. False (the job is not taken) when max_queued jobs already
  // wait or after Shutdown.
  bool TryPost(std::function<void()> job);
  void Shutdown();
  std::size_t queued() const;

 private:
  void Work();

  const std::size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable has_job_;         // a job was queued, or shutdown
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  bool shutdown_ = false;                   // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace cp
