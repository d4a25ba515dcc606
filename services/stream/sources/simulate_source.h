// Simulated quotes: correlated geometric Brownian motion, seeded, reproducible.
//
// Per period (one period of the given statistics, e.g. a week for the Casablanca data), the
// vector of log returns is N(mean, covariance); a period is split into `ticks_per_period` steps
// of N(mean / K, covariance / K), one quote per ticker per step, so the log return from the last
// quote of a period to the last quote of the next is exactly N(mean, covariance) distributed.
// Event times: period p covers [start + p * period_ms, start + (p + 1) * period_ms); step j's
// quotes carry start + p * period_ms + (j + 1/2) * period_ms / K. With period_ms equal to the
// stream's window, each window's return has the configured distribution.
// Random numbers: mt19937_64 and the Box-Muller transform (no implementation-defined
// distributions), and the covariance factor from its eigen-decomposition (PSD-safe), so a
// seed gives the same prices on every platform with the same libm.
#ifndef PFOPT_SERVICES_STREAM_SOURCES_SIMULATE_SOURCE_H_
#define PFOPT_SERVICES_STREAM_SOURCES_SIMULATE_SOURCE_H_

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "services/stream/sources/source.h"

namespace pfopt::stream {

struct SimulateOptions {
  std::vector<std::string> tickers;
  Vector mean;        // per-period log returns (n)
  Matrix covariance;  // per-period covariance of log returns (n x n), symmetric PSD
  // Starting prices (n; empty = 100 for all).
  Vector initial_prices;
  // Event time of the first period's start, ms since the epoch. Default 2026-01-05T09:00:00Z.
  int64_t start_ms = 1767603600000;
  // Length of a period in event time, ms (> 0). Default 2000 (the stream's default window).
  int64_t period_ms = 2000;
  // Quotes per ticker per period (>= 1). Default 1.
  int ticks_per_period = 1;
  // Number of periods (0 = unbounded). Default 0.
  int64_t periods = 0;
  uint64_t seed = 1;
  // Decimals of the published prices (the exchange's format). Default 6.
  int price_decimals = 6;

  Status Validate() const;
};

class SimulateSource final : public PriceSource {
 public:
  static Result<std::unique_ptr<SimulateSource>> Create(const SimulateOptions& options);
  Result<bool> Next(std::vector<BourseData>* out, const std::atomic<bool>& stop) override;
  bool has_event_time() const override { return true; }
  std::vector<std::pair<std::string, int64_t>> Counters() const override {
    return {{"simulated_steps", steps_}};
  }

 private:
  explicit SimulateSource(const SimulateOptions& options);
  double Normal();

  SimulateOptions options_;
  Matrix factor_;     // covariance / K = factor factor'
  Vector step_mean_;  // mean / K
  Vector log_prices_;
  std::mt19937_64 rng_;
  Vector z_;
  bool has_spare_ = false;
  double spare_ = 0.0;
  int64_t steps_ = 0;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_SOURCES_SIMULATE_SOURCE_H_
