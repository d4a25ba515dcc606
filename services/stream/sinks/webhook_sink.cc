#include "services/stream/sinks/webhook_sink.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace pfopt::stream {

std::string AlertJson(const RebalanceAlert& alert) {
  auto number = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); };
  nlohmann::ordered_json json = {{"event", "sharpe_below_threshold"},
                                 {"portfolio_id", alert.portfolio_id},
                                 {"sharpe_ratio", number(alert.sharpe_ratio)},
                                 {"threshold", number(alert.threshold)},
                                 {"expected_return", number(alert.expected_return)},
                                 {"risk", number(alert.risk)},
                                 {"timestamp", FormatIsoTimestampMs(alert.timestamp_ms)},
                                 {"timestamp_ms", alert.timestamp_ms}};
  return json.dump();
}

Result<std::unique_ptr<WebhookSink>> WebhookSink::Create(const HttpSenderOptions& options) {
  HttpSenderOptions sender = options;
  sender.batch_size = 1;
  sender.headers.push_back("Content-Type: application/json");
  auto http = HttpSender::Create("webhook", sender);
  if (!http) return tl::unexpected(http.error());
  return std::unique_ptr<WebhookSink>(new WebhookSink(std::move(*http)));
}

}  // namespace pfopt::stream
