// A background HTTP poster shared by the InfluxDB and webhook sinks: a bounded queue of items,
// one worker thread that POSTs them in batches (items joined by '\n'), retries with exponential
// back-off on connection errors, timeouts, 5xx and 429, and counts what it had to drop (a full
// queue, a 4xx answer, retries exhausted). Enqueue never blocks the caller.
#ifndef PFOPT_SERVICES_STREAM_SINKS_HTTP_SENDER_H_
#define PFOPT_SERVICES_STREAM_SINKS_HTTP_SENDER_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "pfopt/core/error.h"

namespace pfopt::stream {

struct HttpSenderOptions {
  std::string url;
  std::vector<std::string> headers;     // "Name: value"
  std::size_t batch_size = 5000;        // items per POST (>= 1)
  int64_t flush_interval_ms = 1000;     // a partial batch waits at most this long (> 0)
  int max_retries = 3;                  // after the first attempt (>= 0)
  int64_t retry_backoff_ms = 200;       // doubled after each retry (>= 0)
  std::size_t queue_capacity = 100000;  // items waiting; beyond, new items are dropped (>= 1)
  double timeout_seconds = 5.0;         // per request (> 0)

  Status Validate() const;
};

struct HttpSenderCounters {
  int64_t queued = 0, sent = 0, dropped = 0, batches = 0, retries = 0, failed_requests = 0;
};

class HttpSender {
 public:
  // `name` prefixes its log lines. Errors: invalid options.
  static Result<std::unique_ptr<HttpSender>> Create(std::string name,
                                                    const HttpSenderOptions& options);
  ~HttpSender();  // Close()
  // Queues one item (thread-safe); false if it was dropped because the queue is full.
  bool Enqueue(std::string item);
  // Sends what is queued (waiting at most `timeout_ms`), then stops the worker. Idempotent.
  void Close(int64_t timeout_ms = 10000);
  HttpSenderCounters counters() const;

 private:
  HttpSender(std::string name, const HttpSenderOptions& options);
  void Run();
  bool Send(const std::string& body);  // with retries; false = dropped

  std::string name_;
  HttpSenderOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  bool closing_ = false;
  int64_t close_deadline_ms_ = 0;
  HttpSenderCounters counters_;
  std::thread worker_;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_SINKS_HTTP_SENDER_H_
