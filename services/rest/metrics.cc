#include "services/rest/metrics.h"

#include <cstdio>

namespace pfopt::rest {

namespace {

// 100 us .. 30 s: request latencies of a fast solve through a slow batch.
std::vector<double> LatencyBounds() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0, 30.0};
}

std::string Number(double value) {
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  return buffer;
}

void Header(std::string* out, std::string_view name, std::string_view type, std::string_view help) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

void Counters(std::string* out, std::string_view name, std::string_view help,
              const std::map<std::string, std::uint64_t>& values) {
  Header(out, name, "counter", help);
  for (const auto& [labels, count] : values) {
    *out += std::string(name) + "{" + labels + "} " + std::to_string(count) + "\n";
  }
}

}  // namespace

std::string EscapeLabel(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::Observe(double seconds) {
  std::size_t bucket = 0;
  while (bucket < bounds_.size() && seconds > bounds_[bucket]) ++bucket;
  ++counts_[bucket];
  sum_ += seconds;
  ++count_;
}

void Histogram::Write(std::string* out, std::string_view name, std::string_view labels) const {
  const std::string prefix = labels.empty() ? std::string() : std::string(labels) + ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const std::string le = i < bounds_.size() ? Number(bounds_[i]) : "+Inf";
    *out += std::string(name) + "_bucket{" + prefix + "le=\"" + le + "\"} " +
            std::to_string(cumulative) + "\n";
  }
  const std::string braces = labels.empty() ? std::string() : "{" + std::string(labels) + "}";
  *out += std::string(name) + "_sum" + braces + " " + Number(sum_) + "\n";
  *out += std::string(name) + "_count" + braces + " " + std::to_string(count_) + "\n";
}

void Metrics::RecordRequest(std::string_view route, std::string_view method, int status,
                            double seconds) {
  const std::string route_label = "route=\"" + EscapeLabel(route) + "\"";
  const std::string labels = route_label + ",method=\"" + EscapeLabel(method) + "\",status=\"" +
                             std::to_string(status) + "\"";
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[labels];
  request_seconds_.try_emplace(route_label, LatencyBounds()).first->second.Observe(seconds);
}

void Metrics::RecordOptimization(std::string_view objective, std::string_view status,
                                 double seconds) {
  const std::string objective_label = "objective=\"" + EscapeLabel(objective) + "\"";
  const std::string status_label = "status=\"" + EscapeLabel(status) + "\"";
  std::lock_guard<std::mutex> lock(mutex_);
  ++optimizations_[status_label];
  optimization_seconds_.try_emplace(objective_label, LatencyBounds())
      .first->second.Observe(seconds);
}

void Metrics::RecordError(std::string_view code) {
  const std::string labels = "code=\"" + EscapeLabel(code) + "\"";
  std::lock_guard<std::mutex> lock(mutex_);
  ++errors_[labels];
}

std::string Metrics::Render(const std::string& extra) const {
  std::string out;
  std::lock_guard<std::mutex> lock(mutex_);
  Counters(&out, "pfopt_http_requests_total", "HTTP requests by route, method and status.",
           requests_);
  Header(&out, "pfopt_http_request_duration_seconds", "histogram",
         "Time from the request's arrival to its response, by route.");
  for (const auto& [labels, histogram] : request_seconds_) {
    histogram.Write(&out, "pfopt_http_request_duration_seconds", labels);
  }
  Header(&out, "pfopt_optimization_duration_seconds", "histogram",
         "Estimation and solve time of one optimisation, by objective.");
  for (const auto& [labels, histogram] : optimization_seconds_) {
    histogram.Write(&out, "pfopt_optimization_duration_seconds", labels);
  }
  Counters(&out, "pfopt_optimizations_total", "Optimisations by convergence status.",
           optimizations_);
  Counters(&out, "pfopt_errors_total", "Error responses by error code.", errors_);
  Header(&out, "pfopt_solves_in_progress", "gauge", "Requests being parsed or solved now.");
  out += "pfopt_solves_in_progress " + std::to_string(solves_in_progress_.load()) + "\n";
  out += extra;
  return out;
}

}  // namespace pfopt::rest
