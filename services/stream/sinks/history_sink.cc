#include "services/stream/sinks/history_sink.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "services/stream/log.h"

namespace pfopt::stream {

namespace {
nlohmann::json Number(double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); }
}  // namespace

Result<std::unique_ptr<JsonLinesHistorySink>> JsonLinesHistorySink::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "ab");
  if (file == nullptr) {
    return MakeError(ErrorCode::kIoError,
                     "cannot open the history file " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<JsonLinesHistorySink>(new JsonLinesHistorySink(file, path));
}

JsonLinesHistorySink::~JsonLinesHistorySink() { std::fclose(file_); }

Status JsonLinesHistorySink::Write(const std::string& line) {
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() ||
      std::fputc('\n', file_) == EOF) {
    return MakeError(ErrorCode::kIoError, "cannot write the history file " + path_);
  }
  return Ok();
}

Status JsonLinesHistorySink::RecordWeights(const PortfolioWeights& w) {
  nlohmann::ordered_json weights = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < w.assets.size(); ++i) {
    weights[w.assets[i]] = Number(w.weights[static_cast<Index>(i)]);
  }
  return Write(nlohmann::ordered_json({{"type", "weights"},
                                       {"portfolio_id", w.portfolio_id},
                                       {"timestamp", FormatIsoTimestampMs(w.timestamp_ms)},
                                       {"timestamp_ms", w.timestamp_ms},
                                       {"weights", weights}})
                   .dump());
}

Status JsonLinesHistorySink::RecordMetrics(const PortfolioMetrics& m) {
  return Write(nlohmann::ordered_json({{"type", "metrics"},
                                       {"portfolio_id", m.portfolio_id},
                                       {"timestamp", FormatIsoTimestampMs(m.timestamp_ms)},
                                       {"timestamp_ms", m.timestamp_ms},
                                       {"expected_return", Number(m.expected_return)},
                                       {"risk", Number(m.risk)},
                                       {"sharpe_ratio", Number(m.sharpe_ratio)}})
                   .dump());
}

Status JsonLinesHistorySink::Flush() {
  if (std::fflush(file_) != 0) return MakeError(ErrorCode::kIoError, "cannot flush " + path_);
  return Ok();
}

void HistoryObserver::OnPublished(Topic topic, const std::string&, int64_t, const Record& record) {
  Status status = Ok();
  if (topic == Topic::kWeights) {
    status = sink_->RecordWeights(std::get<PortfolioWeights>(record));
  } else if (topic == Topic::kMetrics) {
    status = sink_->RecordMetrics(std::get<PortfolioMetrics>(record));
  }
  if (!status && errors_++ < 10) Log(LogLevel::kError, "history", status.error().message());
}

}  // namespace pfopt::stream
