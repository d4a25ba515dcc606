#include "estimate/parallel_pair.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

namespace pfopt::internal {
namespace {

using Clock = std::chrono::steady_clock;

// How long the helper keeps polling for the next task before it sleeps.
constexpr std::chrono::microseconds kSpin(100);

void Pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// States of the posted task.
constexpr int kEmpty = 0;    // nothing posted
constexpr int kPosted = 1;   // posted, not started
constexpr int kClaimed = 2;  // a thread runs it
constexpr int kDone = 3;     // the helper finished it

class Helper {
 public:
  // The process's helper, started on first use; null if no thread could be started. Never
  // destroyed: the detached thread may still use it while the process exits.
  static Helper* Instance() {
    static Helper* const helper = [] {
      auto* created = new Helper;
      try {
        std::thread(&Helper::Loop, created).detach();
      } catch (const std::system_error&) {
        delete created;
        return static_cast<Helper*>(nullptr);
      }
      return created;
    }();
    return helper;
  }

  // Posts `task` unless another caller is using the helper.
  bool TryPost(const std::function<void()>* task) {
    if (!caller_.try_lock()) return false;
    task_ = task;
    state_.store(kPosted);
    if (sleeping_.load()) {
      const std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_one();
    }
    return true;
  }

  // After the caller's own task: runs the posted task here if the helper has not started it,
  // else waits for the helper to finish it.
  void Finish() {
    int expected = kPosted;
    if (state_.compare_exchange_strong(expected, kClaimed)) {
      (*task_)();
    } else {
      for (int polls = 0; state_.load(std::memory_order_acquire) != kDone; ++polls) {
        if (polls < 4096) {
          Pause();
        } else {
          std::this_thread::yield();
        }
      }
    }
    state_.store(kEmpty);
    caller_.unlock();
  }

 private:
  void Loop() {
    while (true) {
      const Clock::time_point spin_until = Clock::now() + kSpin;
      while (state_.load(std::memory_order_acquire) != kPosted) {
        if (Clock::now() < spin_until) {
          Pause();
          continue;
        }
        std::unique_lock<std::mutex> lock(mutex_);
        sleeping_.store(true);
        wake_.wait(lock, [this] { return state_.load() == kPosted; });
        sleeping_.store(false);
      }
      int expected = kPosted;
      if (state_.compare_exchange_strong(expected, kClaimed)) {
        (*task_)();
        state_.store(kDone, std::memory_order_release);
      }
    }
  }

  std::mutex caller_;  // held by the caller that posted the current task
  const std::function<void()>* task_ = nullptr;
  std::atomic<int> state_{kEmpty};
  // Sleeping protocol: the poster stores state_ then reads sleeping_; the helper stores
  // sleeping_ then reads state_ (both sequentially consistent), so one of them sees the other.
  // A lost wake-up would only cost speed: the caller runs an unclaimed task itself.
  std::atomic<bool> sleeping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace

void RunPair(const std::function<void()>& first, const std::function<void()>& second) {
  Helper* helper = Helper::Instance();
  if (helper == nullptr || !helper->TryPost(&second)) {
    first();
    second();
    return;
  }
  first();
  helper->Finish();
}

}  // namespace pfopt::internal
