#include "services/stream/sources/simulate_source.h"

#include <Eigen/Eigenvalues>
#include <cmath>
#include <cstdio>
#include <set>

namespace pfopt::stream {

Status SimulateOptions::Validate() const {
  const Index n = static_cast<Index>(tickers.size());
  if (n == 0) return InvalidArgument("no tickers to simulate", "tickers");
  std::set<std::string> unique(tickers.begin(), tickers.end());
  if (static_cast<Index>(unique.size()) != n) {
    return InvalidArgument("a ticker is listed twice", "tickers");
  }
  if (mean.size() != n || covariance.rows() != n || covariance.cols() != n) {
    return DimensionMismatch("mean and covariance must match the " + std::to_string(n) + " tickers",
                             "covariance");
  }
  if (!mean.allFinite() || !covariance.allFinite()) {
    return InvalidArgument("mean and covariance must be finite", "covariance");
  }
  if ((covariance - covariance.transpose()).cwiseAbs().maxCoeff() >
      1e-9 * std::max(1e-300, covariance.cwiseAbs().maxCoeff())) {
    return InvalidArgument("the covariance is not symmetric", "covariance");
  }
  if (initial_prices.size() != 0 &&
      (initial_prices.size() != n || !(initial_prices.array() > 0.0).all() ||
       !initial_prices.allFinite())) {
    return InvalidArgument("initial prices must be n positive numbers", "initial_prices");
  }
  if (period_ms <= 0) return InvalidArgument("period must be > 0 ms", "period_ms");
  if (ticks_per_period < 1) {
    return InvalidArgument("ticks per period must be >= 1", "ticks_per_period");
  }
  if (periods < 0) return InvalidArgument("periods must be >= 0", "periods");
  if (price_decimals < 0 || price_decimals > 12) {
    return InvalidArgument("price decimals must be 0..12", "price_decimals");
  }
  return Ok();
}

SimulateSource::SimulateSource(const SimulateOptions& options)
    : options_(options), rng_(options.seed), z_(options.tickers.size()) {}

Result<std::unique_ptr<SimulateSource>> SimulateSource::Create(const SimulateOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<SimulateSource> source(new SimulateSource(options));
  const double k = options.ticks_per_period;
  const Matrix symmetric = 0.5 * (options.covariance + options.covariance.transpose());
  Eigen::SelfAdjointEigenSolver<Matrix> eigen(symmetric);
  const double largest = std::max(eigen.eigenvalues().cwiseAbs().maxCoeff(), 1e-300);
  if (eigen.eigenvalues().minCoeff() < -1e-10 * largest) {
    return InvalidArgument("the covariance is not positive semidefinite (smallest eigenvalue " +
                               std::to_string(eigen.eigenvalues().minCoeff()) + ")",
                           "covariance");
  }
  const Vector roots = (eigen.eigenvalues().array().max(0.0) / k).sqrt();
  source->factor_ = eigen.eigenvectors() * roots.asDiagonal();
  source->step_mean_ = options.mean / k;
  const Index n = static_cast<Index>(options.tickers.size());
  source->log_prices_ = options.initial_prices.size() == n
                            ? Vector(options.initial_prices.array().log())
                            : Vector::Constant(n, std::log(100.0));
  return source;
}

double SimulateSource::Normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  // Uniforms in (0, 1] from the top 53 bits.
  const double u1 = (static_cast<double>(rng_() >> 11) + 1.0) * 0x1.0p-53;
  const double u2 = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * 3.14159265358979323846 * u2;
  spare_ = radius * std::sin(angle);
  has_spare_ = true;
  return radius * std::cos(angle);
}

Result<bool> SimulateSource::Next(std::vector<BourseData>* out, const std::atomic<bool>&) {
  const int64_t k = options_.ticks_per_period;
  if (options_.periods > 0 && steps_ >= options_.periods * k) return false;
  const int64_t period = steps_ / k;
  const int64_t step = steps_ % k;
  for (Index i = 0; i < z_.size(); ++i) z_[i] = Normal();
  log_prices_ += step_mean_ + factor_ * z_;
  const int64_t time_ms = options_.start_ms + period * options_.period_ms +
                          (2 * step + 1) * options_.period_ms / (2 * k);
  const std::string time = FormatIsoTimestampMs(time_ms);
  char price[64];
  for (std::size_t i = 0; i < options_.tickers.size(); ++i) {
    std::snprintf(price, sizeof(price), "%.*f", options_.price_decimals,
                  std::exp(log_prices_[static_cast<Index>(i)]));
    BourseData& quote = out->emplace_back();
    quote.ticker = options_.tickers[i];
    quote.label = options_.tickers[i];
    quote.field_cours_courant = price;
    quote.field_last_traded_price = price;
    quote.field_last_traded_time = time;
  }
  ++steps_;
  return options_.periods == 0 || steps_ < options_.periods * k;
}

}  // namespace pfopt::stream
