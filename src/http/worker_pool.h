// The HTTP server's worker pool: cpp-httplib's TaskQueue with a bounded queue.
//
// The listener thread accepts a connection and calls Enqueue; one of
// `threads` workers then serves that connection until it closes. At most
// `max_queued` accepted connections wait for a worker: beyond that, Enqueue
// blocks the listener, which stops accepting, so further connections wait in
// the kernel's listen queue instead of in this process (httplib's own pool
// queues without limit).
//
// Threads: Enqueue runs on the listener thread; workers run the jobs;
// Shutdown (called by httplib when the listener ends) runs what is still
// queued, then joins the workers. mu_ guards jobs_ and shutdown_.
#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace cp::http {

class WorkerPool : public httplib::TaskQueue {
 public:
  WorkerPool(std::size_t threads, std::size_t max_queued);
  ~WorkerPool() override;
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Blocks while max_queued jobs are waiting (never after Shutdown).
  void enqueue(std::function<void()> fn) override;
  void shutdown() override;

  std::size_t queued() const;

 private:
  void Work();

  const std::size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable has_job_;         // a job was queued, or shutdown
  std::condition_variable has_room_;        // a job was taken, or shutdown
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  bool shutdown_ = false;                   // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace cp::http
