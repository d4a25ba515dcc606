// Group commit: queued write jobs, as many as are waiting (up to a batch limit), run inside one
// transaction, so that N concurrent requests pay for one commit. The caller that finds no
// batch being committed commits the waiting jobs itself, on its own thread (its own job among
// them); the others wait for it and the next such caller. No writer thread: a request's write
// costs no hand-over to another thread and back (on the load benchmark's 2 busy cores, +7 %
// requests/s). If the batch fails, it is rolled back and each job is run again in a
// transaction of its own, so one bad job fails alone. Callers block until their job is
// committed or failed.
#ifndef PFOPT_SERVICES_REST_STORAGE_WRITE_QUEUE_H_
#define PFOPT_SERVICES_REST_STORAGE_WRITE_QUEUE_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "pfopt/core/error.h"

namespace pfopt::rest::internal {

class WriteQueue {
 public:
  // How a batch is written; called by one committing caller at a time (never concurrently).
  struct Backend {
    std::function<Status()> begin;       // start a transaction
    std::function<Status()> commit;      // commit it
    std::function<void()> rollback;      // roll it back (errors ignored)
    std::function<void()> before_batch;  // e.g. reconnect; may be empty
  };
  using Job = std::function<Status()>;

  WriteQueue(Backend backend, int max_batch);
  ~WriteQueue();  // waits for the batch being committed
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Runs `job` in a transaction (on this thread or on another caller's); returns its status
  // (or the commit's).
  Status Run(Job job);

 private:
  struct Pending {
    Job job;
    Status status;
    bool done = false;
  };
  void RunBatch(const std::vector<Pending*>& batch);
  Status RunAlone(Pending* pending);

  Backend backend_;
  int max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_callers_;
  std::deque<Pending*> queue_;
  bool committing_ = false;  // a caller is committing a batch
  bool stopping_ = false;
};

}  // namespace pfopt::rest::internal

#endif  // PFOPT_SERVICES_REST_STORAGE_WRITE_QUEUE_H_
