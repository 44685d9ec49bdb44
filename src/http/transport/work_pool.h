// The threads that run request handlers which may block (decode, preprocess,
// waiting for the model): a fixed number of threads taking jobs from one FIFO
// queue. The queue is not bounded here: each connection has at most one
// request in a handler at a time, so MAX_CONNECTIONS bounds it, and the
// service's own admission (MAX_QUEUE) sheds beyond what the model can take.
//
// Threads: Post may be called from any thread (the I/O threads); `threads`
// workers run the jobs; Shutdown runs what is still queued, then joins the
// workers (idempotent; the destructor calls it). mu_ guards jobs_ and
// shutdown_.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cp::http {

class WorkPool {
 public:
  explicit WorkPool(std::size_t threads);
  ~WorkPool();
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  // Never blocks. After Shutdown the job runs on the caller.
  void Post(std::function<void()> job);
  void Shutdown();
  std::size_t queued() const;

 private:
  void Work();

  mutable std::mutex mu_;
  std::condition_variable has_job_;         // a job was queued, or shutdown
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  bool shutdown_ = false;                   // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace cp::http
