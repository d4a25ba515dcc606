// Service metrics in the Prometheus text exposition format (GET /metrics).
//
//   pfopt_http_requests_total{route,method,status}         counter
//   pfopt_http_request_duration_seconds{route}             histogram (whole request)
//   pfopt_optimization_duration_seconds{objective}         histogram (estimation + solve)
//   pfopt_optimizations_total{status}                      counter (convergence status)
//   pfopt_errors_total{code}                               counter (error body codes)
//   pfopt_solves_in_progress                               gauge
// plus gauges the service adds at scrape time (outbox backlog, events published).
//
// Thread-safe; an update is a short critical section.
#ifndef PFOPT_SERVICES_REST_METRICS_H_
#define PFOPT_SERVICES_REST_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace pfopt::rest {

class Histogram {
 public:
  // Upper bounds in seconds, increasing; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void Observe(double seconds);
  // Appends the _bucket/_sum/_count lines of `name` with `labels` (`a="b",c="d"` or empty).
  void Write(std::string* out, std::string_view name, std::string_view labels) const;

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative
  double sum_ = 0.0;
  std::uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics() = default;

  void RecordRequest(std::string_view route, std::string_view method, int status, double seconds);
  void RecordOptimization(std::string_view objective, std::string_view status, double seconds);
  void RecordError(std::string_view code);
  std::atomic<int>& solves_in_progress() { return solves_in_progress_; }

  // The exposition text; `extra` (complete lines with HELP/TYPE) is appended.
  std::string Render(const std::string& extra = {}) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> requests_;  // labels -> count
  std::map<std::string, Histogram> request_seconds_;
  std::map<std::string, Histogram> optimization_seconds_;
  std::map<std::string, std::uint64_t> optimizations_;
  std::map<std::string, std::uint64_t> errors_;
  std::atomic<int> solves_in_progress_{0};
};

// Escapes a label value (backslash, quote, newline).
std::string EscapeLabel(std::string_view value);

}  // namespace pfopt::rest

#endif  // PFOPT_SERVICES_REST_METRICS_H_
