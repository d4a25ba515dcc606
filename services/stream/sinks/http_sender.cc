#include "services/stream/sinks/http_sender.h"

#include <chrono>
#include <cmath>

#include "services/stream/http_client.h"
#include "services/stream/log.h"
#include "services/stream/stages/stage.h"

namespace pfopt::stream {

Status HttpSenderOptions::Validate() const {
  if (url.empty()) return InvalidArgument("no URL", "url");
  if (batch_size < 1) return InvalidArgument("batch size must be >= 1", "batch_size");
  if (flush_interval_ms <= 0) {
    return InvalidArgument("flush interval must be > 0 ms", "flush_interval_ms");
  }
  if (max_retries < 0) return InvalidArgument("max retries must be >= 0", "max_retries");
  if (retry_backoff_ms < 0)
    return InvalidArgument("retry back-off must be >= 0", "retry_backoff_ms");
  if (queue_capacity < 1) return InvalidArgument("queue capacity must be >= 1", "queue_capacity");
  if (!(timeout_seconds > 0.0) || !std::isfinite(timeout_seconds)) {
    return InvalidArgument("timeout must be > 0 seconds", "timeout_seconds");
  }
  return Ok();
}

HttpSender::HttpSender(std::string name, const HttpSenderOptions& options)
    : name_(std::move(name)), options_(options) {}

Result<std::unique_ptr<HttpSender>> HttpSender::Create(std::string name,
                                                       const HttpSenderOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<HttpSender> sender(new HttpSender(std::move(name), options));
  sender->worker_ = std::thread([s = sender.get()] { s->Run(); });
  return sender;
}

HttpSender::~HttpSender() { Close(); }

bool HttpSender::Enqueue(std::string item) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closing_ || queue_.size() >= options_.queue_capacity) {
    if (counters_.dropped++ == 0) {
      Log(LogLevel::kWarning, name_, "queue full: dropping (counted in dropped)");
    }
    return false;
  }
  queue_.push_back(std::move(item));
  ++counters_.queued;
  if (queue_.size() >= options_.batch_size) wake_.notify_one();
  return true;
}

void HttpSender::Close(int64_t timeout_ms) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!worker_.joinable()) return;
    closing_ = true;
    close_deadline_ms_ = WallClockMs() + timeout_ms;
  }
  wake_.notify_one();
  worker_.join();
}

HttpSenderCounters HttpSender::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

void HttpSender::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, std::chrono::milliseconds(options_.flush_interval_ms),
                   [&] { return closing_ || queue_.size() >= options_.batch_size; });
    if (queue_.empty()) {
      if (closing_) return;
      continue;
    }
    if (closing_ && WallClockMs() > close_deadline_ms_) {
      counters_.dropped += static_cast<int64_t>(queue_.size());
      Log(LogLevel::kWarning, name_,
          "closing: " + std::to_string(queue_.size()) + " item(s) not sent in time, dropped");
      queue_.clear();
      return;
    }
    std::string body;
    std::size_t taken = 0;
    while (!queue_.empty() && taken < options_.batch_size) {
      if (taken > 0) body += '\n';
      body += queue_.front();
      queue_.pop_front();
      ++taken;
    }
    lock.unlock();
    const bool sent = Send(body);
    lock.lock();
    if (sent) {
      counters_.sent += static_cast<int64_t>(taken);
      ++counters_.batches;
    } else {
      counters_.dropped += static_cast<int64_t>(taken);
    }
  }
}

bool HttpSender::Send(const std::string& body) {
  HttpRequest request;
  request.method = "POST";
  request.url = options_.url;
  request.headers = options_.headers;
  request.body = body;
  request.timeout_seconds = options_.timeout_seconds;
  int64_t backoff = options_.retry_backoff_ms;
  for (int attempt = 0;; ++attempt) {
    bool timed_out = false;
    auto response = SendHttp(request, &timed_out);
    std::string problem;
    bool retry = true;
    if (!response) {
      problem = response.error().message();
    } else if (response->status >= 200 && response->status < 300) {
      return true;
    } else {
      problem = "HTTP " + std::to_string(response->status) + ": " + response->body.substr(0, 200);
      retry = response->status >= 500 || response->status == 429;
    }
    int64_t failures;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      failures = ++counters_.failed_requests;
      if (retry && attempt < options_.max_retries) ++counters_.retries;
    }
    if (failures <= 10 || failures % 100 == 0) Log(LogLevel::kWarning, name_, problem);
    if (!retry || attempt >= options_.max_retries) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(backoff));
    backoff *= 2;
  }
}

}  // namespace pfopt::stream
