// Metrics and weights to InfluxDB, in line protocol over HTTP.
//
// Lines (precision ms, timestamp = the record's event time):
//   <ticker>,portfolio_id=<id> weight=<w> <ms>                 one per asset of a Weights record
//   <metrics_measurement>,portfolio_id=<id> expected_return=<r>,risk=<s>,sharpe_ratio=<h> <ms>
// (a NaN field is left out; names and tags escaped as the line protocol requires).
// InfluxDB 1.x: POST <url>/write?db=<database>&precision=ms. InfluxDB 2.x: POST
// <url>/api/v2/write?org=<org>&bucket=<bucket>&precision=ms with "Authorization: Token <token>".
// Batching, retries and drops: HttpSender.
#ifndef PFOPT_SERVICES_STREAM_SINKS_INFLUXDB_SINK_H_
#define PFOPT_SERVICES_STREAM_SINKS_INFLUXDB_SINK_H_

#include <memory>
#include <string>

#include "services/stream/rebalancer.h"
#include "services/stream/sinks/http_sender.h"

namespace pfopt::stream {

struct InfluxOptions {
  std::string url;       // e.g. http://127.0.0.1:8086
  std::string database;  // 1.x
  std::string bucket;    // 2.x (with org and token)
  std::string org;
  std::string token;
  std::string metrics_measurement = "portfolio_metrics";
  HttpSenderOptions sender;  // url/headers are filled in from the above

  Status Validate() const;
};

// Line-protocol helpers (exposed for tests).
// Escapes a measurement (commas, spaces) or a tag key/value or field key (also '=').
std::string InfluxEscapeName(const std::string& name, bool measurement = false);
std::string WeightsLines(const PortfolioWeights& weights);
std::string MetricsLine(const PortfolioMetrics& metrics, const std::string& measurement);

class InfluxSink final : public PublishObserver {
 public:
  static Result<std::unique_ptr<InfluxSink>> Create(const InfluxOptions& options);
  void OnPublished(Topic topic, const std::string& key, int64_t timestamp_ms,
                   const Record& record) override;
  void Close() { sender_->Close(); }
  HttpSenderCounters counters() const { return sender_->counters(); }

 private:
  InfluxSink(const InfluxOptions& options, std::unique_ptr<HttpSender> sender)
      : options_(options), sender_(std::move(sender)) {}
  InfluxOptions options_;
  std::unique_ptr<HttpSender> sender_;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_SINKS_INFLUXDB_SINK_H_
