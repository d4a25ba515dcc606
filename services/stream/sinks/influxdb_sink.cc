#include "services/stream/sinks/influxdb_sink.h"

#include <cmath>
#include <cstdio>

#include "services/stream/http_client.h"

namespace pfopt::stream {

namespace {

std::string Number(double x) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", x);
  return buffer;
}

std::string UrlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char buffer[4];
      std::snprintf(buffer, sizeof(buffer), "%%%02X", c);
      out += buffer;
    }
  }
  return out;
}

}  // namespace

Status InfluxOptions::Validate() const {
  if (url.empty()) return InvalidArgument("no InfluxDB URL", "influx_url");
  if (database.empty() == bucket.empty()) {
    return InvalidArgument(
        "give either an InfluxDB 1.x database or a 2.x bucket (with org and "
        "token)",
        "influx_db");
  }
  if (!bucket.empty() && (org.empty() || token.empty())) {
    return InvalidArgument("an InfluxDB 2.x bucket needs an org and a token", "influx_org");
  }
  if (metrics_measurement.empty()) {
    return InvalidArgument("empty metrics measurement name", "influx_measurement");
  }
  return Ok();
}

std::string InfluxEscapeName(const std::string& name, bool measurement) {
  std::string out;
  for (char c : name) {
    if (c == ',' || c == ' ' || c == '\\' || (c == '=' && !measurement)) out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string WeightsLines(const PortfolioWeights& weights) {
  std::string lines;
  const std::string tag = ",portfolio_id=" + InfluxEscapeName(weights.portfolio_id) + " weight=";
  const std::string time = " " + std::to_string(weights.timestamp_ms);
  for (std::size_t i = 0; i < weights.assets.size(); ++i) {
    const double w = weights.weights[static_cast<Index>(i)];
    if (!std::isfinite(w)) continue;
    if (!lines.empty()) lines += '\n';
    lines += InfluxEscapeName(weights.assets[i], /*measurement=*/true) + tag + Number(w) + time;
  }
  return lines;
}

std::string MetricsLine(const PortfolioMetrics& metrics, const std::string& measurement) {
  std::string fields;
  auto add = [&](const char* name, double value) {
    if (!std::isfinite(value)) return;
    if (!fields.empty()) fields += ',';
    fields += std::string(name) + "=" + Number(value);
  };
  add("expected_return", metrics.expected_return);
  add("risk", metrics.risk);
  add("sharpe_ratio", metrics.sharpe_ratio);
  if (fields.empty()) return {};
  return InfluxEscapeName(measurement, /*measurement=*/true) +
         ",portfolio_id=" + InfluxEscapeName(metrics.portfolio_id) + " " + fields + " " +
         std::to_string(metrics.timestamp_ms);
}

Result<std::unique_ptr<InfluxSink>> InfluxSink::Create(const InfluxOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  HttpSenderOptions sender = options.sender;
  std::string base = options.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (!options.database.empty()) {
    sender.url = base + "/write?db=" + UrlEncode(options.database) + "&precision=ms";
  } else {
    sender.url = base + "/api/v2/write?org=" + UrlEncode(options.org) +
                 "&bucket=" + UrlEncode(options.bucket) + "&precision=ms";
    sender.headers.push_back("Authorization: Token " + options.token);
  }
  sender.headers.push_back("Content-Type: text/plain; charset=utf-8");
  auto http = HttpSender::Create("influxdb", sender);
  if (!http) return tl::unexpected(http.error());
  return std::unique_ptr<InfluxSink>(new InfluxSink(options, std::move(*http)));
}

void InfluxSink::OnPublished(Topic topic, const std::string&, int64_t, const Record& record) {
  if (topic == Topic::kWeights) {
    std::string lines = WeightsLines(std::get<PortfolioWeights>(record));
    if (!lines.empty()) sender_->Enqueue(std::move(lines));
  } else if (topic == Topic::kMetrics) {
    std::string line =
        MetricsLine(std::get<PortfolioMetrics>(record), options_.metrics_measurement);
    if (!line.empty()) sender_->Enqueue(std::move(line));
  }
}

}  // namespace pfopt::stream
