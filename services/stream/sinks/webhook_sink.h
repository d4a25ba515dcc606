// The alert hook: an HTTP POST of a JSON alert for every threshold breach (rebalance trigger):
//   {"event": "sharpe_below_threshold", "portfolio_id": "...", "sharpe_ratio": 0.8,
//    "threshold": 1.0, "expected_return": 0.001, "risk": 0.02,
//    "timestamp": "2026-03-02T09:15:30.000Z", "timestamp_ms": 1772442930000}
// Content-Type application/json; one alert per request; retries and drops as HttpSender.
#ifndef PFOPT_SERVICES_STREAM_SINKS_WEBHOOK_SINK_H_
#define PFOPT_SERVICES_STREAM_SINKS_WEBHOOK_SINK_H_

#include <memory>
#include <string>

#include "services/stream/rebalancer.h"
#include "services/stream/sinks/http_sender.h"

namespace pfopt::stream {

std::string AlertJson(const RebalanceAlert& alert);

class WebhookSink final : public PublishObserver {
 public:
  // `options.url` is the hook; batch_size is forced to 1.
  static Result<std::unique_ptr<WebhookSink>> Create(const HttpSenderOptions& options);
  void OnPublished(Topic, const std::string&, int64_t, const Record&) override {}
  void OnAlert(const RebalanceAlert& alert) override { sender_->Enqueue(AlertJson(alert)); }
  void Close() { sender_->Close(); }
  HttpSenderCounters counters() const { return sender_->counters(); }

 private:
  explicit WebhookSink(std::unique_ptr<HttpSender> sender) : sender_(std::move(sender)) {}
  std::unique_ptr<HttpSender> sender_;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_SINKS_WEBHOOK_SINK_H_
