#include "services/rest/storage/write_queue.h"

#include <vector>

namespace pfopt::rest::internal {

WriteQueue::WriteQueue(Backend backend, int max_batch)
    : backend_(std::move(backend)), max_batch_(max_batch < 1 ? 1 : max_batch) {}

WriteQueue::~WriteQueue() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  wake_callers_.wait(lock, [&] { return queue_.empty() && !committing_; });
}

Status WriteQueue::Run(Job job) {
  Pending pending{std::move(job), Ok(), false};
  std::unique_lock<std::mutex> lock(mutex_);
  if (stopping_) {
    return MakeError(ErrorCode::kUnavailable, "the storage is shutting down");
  }
  queue_.push_back(&pending);
  while (!pending.done) {
    if (committing_) {
      wake_callers_.wait(lock);
      continue;
    }
    // No batch is being committed: this caller commits the jobs waiting (its own among them,
    // unless more than max_batch wait before it), on its own thread.
    committing_ = true;
    std::vector<Pending*> batch;
    while (!queue_.empty() && static_cast<int>(batch.size()) < max_batch_) {
      batch.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    RunBatch(batch);
    lock.lock();
    for (Pending* p : batch) p->done = true;
    committing_ = false;
    wake_callers_.notify_all();
  }
  return pending.status;
}

Status WriteQueue::RunAlone(Pending* pending) {
  if (auto status = backend_.begin(); !status) return status;
  Status status = pending->job();
  if (!status) {
    backend_.rollback();
    return status;
  }
  return backend_.commit();
}

void WriteQueue::RunBatch(const std::vector<Pending*>& batch) {
  if (backend_.before_batch) backend_.before_batch();
  if (batch.size() == 1) {
    batch[0]->status = RunAlone(batch[0]);
    return;
  }
  Status status = backend_.begin();
  for (std::size_t i = 0; status && i < batch.size(); ++i) status = batch[i]->job();
  if (status) status = backend_.commit();
  if (status) {
    for (Pending* p : batch) p->status = Ok();
    return;
  }
  backend_.rollback();
  const bool unavailable = status.error().code() == ErrorCode::kUnavailable;
  for (Pending* p : batch) {
    // A dead database fails every job the same way; do not retry each one.
    p->status = unavailable ? status : RunAlone(p);
  }
}

}  // namespace pfopt::rest::internal
