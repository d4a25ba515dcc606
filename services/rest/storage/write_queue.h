// Group commit: one writer thread runs queued write jobs, as many as are waiting (up to a
// batch limit), inside one transaction, so that N concurrent requests pay for one commit.
// If the batch fails, it is rolled back and each job is run again in a transaction of its own,
// so one bad job fails alone. Callers block until their job is committed or failed.
#ifndef PFOPT_SERVICES_REST_STORAGE_WRITE_QUEUE_H_
#define PFOPT_SERVICES_REST_STORAGE_WRITE_QUEUE_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "pfopt/core/error.h"

namespace pfopt::rest::internal {

class WriteQueue {
 public:
  // How the writer talks to the database; all are called on the writer thread only.
  struct Backend {
    std::function<Status()> begin;       // start a transaction
    std::function<Status()> commit;      // commit it
    std::function<void()> rollback;      // roll it back (errors ignored)
    std::function<void()> before_batch;  // e.g. reconnect; may be empty
  };
  using Job = std::function<Status()>;

  WriteQueue(Backend backend, int max_batch);
  ~WriteQueue();  // finishes the queued jobs, then stops the thread
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Runs `job` in a transaction on the writer thread; returns its status (or the commit's).
  Status Run(Job job);

 private:
  struct Pending {
    Job job;
    Status status;
    bool done = false;
  };
  void Loop();
  Status RunAlone(Pending* pending);

  Backend backend_;
  int max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_writer_;
  std::condition_variable wake_callers_;
  std::deque<Pending*> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace pfopt::rest::internal

#endif  // PFOPT_SERVICES_REST_STORAGE_WRITE_QUEUE_H_
