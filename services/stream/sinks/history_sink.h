// The weights and metrics history as JSON lines, behind an interface.
//
// HistorySink is the seam for files and tests: JsonLinesHistorySink appends one JSON object
// per line to a file (`pfopt stream --history FILE`) and MemoryHistorySink keeps them (tests).
// HistoryObserver feeds a sink from what the stream publishes. Calls come from the stream loop
// thread. The service's database (results, time series, events) is written by
// ServiceResultsObserver (services/stream/service_link.h, `--db`).
#ifndef PFOPT_SERVICES_STREAM_SINKS_HISTORY_SINK_H_
#define PFOPT_SERVICES_STREAM_SINKS_HISTORY_SINK_H_

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "services/stream/rebalancer.h"

namespace pfopt::stream {

class HistorySink {
 public:
  virtual ~HistorySink() = default;
  virtual Status RecordWeights(const PortfolioWeights& weights) = 0;
  virtual Status RecordMetrics(const PortfolioMetrics& metrics) = 0;
  virtual Status Flush() = 0;
};

// {"type": "weights", "portfolio_id": ..., "timestamp": "...", "timestamp_ms": ...,
//  "weights": {...}} and {"type": "metrics", ..., "expected_return", "risk", "sharpe_ratio"}.
class JsonLinesHistorySink final : public HistorySink {
 public:
  // Appends to `path`. Errors: the file cannot be opened.
  static Result<std::unique_ptr<JsonLinesHistorySink>> Open(const std::string& path);
  ~JsonLinesHistorySink() override;
  Status RecordWeights(const PortfolioWeights& weights) override;
  Status RecordMetrics(const PortfolioMetrics& metrics) override;
  Status Flush() override;

 private:
  JsonLinesHistorySink(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  Status Write(const std::string& line);
  std::FILE* file_;
  std::string path_;
};

class MemoryHistorySink final : public HistorySink {
 public:
  Status RecordWeights(const PortfolioWeights& w) override {
    weights.push_back(w);
    return Ok();
  }
  Status RecordMetrics(const PortfolioMetrics& m) override {
    metrics.push_back(m);
    return Ok();
  }
  Status Flush() override { return Ok(); }
  std::vector<PortfolioWeights> weights;
  std::vector<PortfolioMetrics> metrics;
};

class HistoryObserver final : public PublishObserver {
 public:
  explicit HistoryObserver(HistorySink* sink) : sink_(sink) {}
  void OnPublished(Topic topic, const std::string& key, int64_t timestamp_ms,
                   const Record& record) override;
  int64_t errors() const { return errors_; }

 private:
  HistorySink* sink_;
  int64_t errors_ = 0;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_SINKS_HISTORY_SINK_H_
