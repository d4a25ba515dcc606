#include "pfopt/backtest/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace pfopt {

Status MetricsOptions::Validate() const {
  if (!(std::isfinite(periods_per_year) && periods_per_year > 0.0)) {
    return InvalidArgument(
        "periods_per_year is " + std::to_string(periods_per_year) + "; it must be > 0",
        "periods_per_year");
  }
  if (!(std::isfinite(risk_free_rate) && risk_free_rate > -1.0)) {
    return InvalidArgument(
        "risk_free_rate is " + std::to_string(risk_free_rate) + "; it must be finite and > -1",
        "risk_free_rate");
  }
  return Ok();
}

Vector DrawdownSeries(const VectorRef& wealth) {
  Vector drawdown(wealth.size());
  double peak = -kInfinity;
  for (Index t = 0; t < wealth.size(); ++t) {
    peak = std::max(peak, wealth[t]);
    drawdown[t] = peak > 0.0 ? 1.0 - wealth[t] / peak : 0.0;
  }
  return drawdown;
}

Result<BacktestMetrics> ComputeWealthMetrics(const VectorRef& wealth,
                                             const std::vector<std::string>& periods,
                                             const MetricsOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const Index count = wealth.size();
  if (count < 2) {
    return InvalidArgument("a wealth series needs at least 2 values, got " + std::to_string(count),
                           "wealth");
  }
  if (static_cast<Index>(periods.size()) != count) {
    return DimensionMismatch("wealth has " + std::to_string(count) + " values but " +
                                 std::to_string(periods.size()) + " period labels",
                             "periods");
  }
  for (Index t = 0; t < count; ++t) {
    if (!std::isfinite(wealth[t]) || wealth[t] < 0.0 || (t == 0 && wealth[t] <= 0.0)) {
      return InvalidArgument("wealth at " + periods[static_cast<std::size_t>(t)] + " is " +
                                 std::to_string(wealth[t]) +
                                 "; wealth must be finite, >= 0, and > 0 at the start",
                             "wealth");
    }
  }
  const double f = options.periods_per_year;
  const double rf_period = std::pow(1.0 + options.risk_free_rate, 1.0 / f) - 1.0;
  const Index n = count - 1;
  BacktestMetrics m;
  m.num_periods = n;
  m.years = static_cast<double>(n) / f;
  m.final_wealth = wealth[n];
  const double growth = wealth[n] / wealth[0];
  m.total_return = growth - 1.0;
  m.annual_return = std::pow(growth, 1.0 / m.years) - 1.0;

  Vector returns(n);
  for (Index t = 1; t <= n; ++t) {
    returns[t - 1] = wealth[t - 1] > 0.0 ? wealth[t] / wealth[t - 1] - 1.0 : 0.0;
  }
  const Vector excess = returns.array() - rf_period;
  const double mean_excess = excess.mean();
  // A deviation at the level of rounding (constant returns computed in floating point) is no
  // risk: the ratios dividing by it are undefined rather than astronomically large.
  const double noise =
      64.0 * std::numeric_limits<double>::epsilon() * (1.0 + returns.cwiseAbs().maxCoeff());
  m.best_period = returns.maxCoeff();
  m.worst_period = returns.minCoeff();
  m.hit_rate = static_cast<double>((returns.array() > 0.0).count()) / static_cast<double>(n);
  if (n >= 2) {
    const double mean = returns.mean();
    const double variance = (returns.array() - mean).square().sum() / static_cast<double>(n - 1);
    const double sd = std::sqrt(variance);
    m.annual_volatility = sd * std::sqrt(f);
    if (sd > noise) m.sharpe_ratio = mean_excess / sd * std::sqrt(f);
  }
  const double downside = std::sqrt(excess.array().min(0.0).square().mean());
  if (downside > noise) m.sortino_ratio = mean_excess / downside * std::sqrt(f);

  // Deepest drawdown, its peak, trough and recovery.
  Index peak = 0, best_peak = 0, best_trough = 0;
  double deepest = 0.0;
  for (Index t = 1; t <= n; ++t) {
    if (wealth[t] > wealth[peak]) peak = t;
    const double drawdown = 1.0 - wealth[t] / wealth[peak];
    if (drawdown > deepest) {
      deepest = drawdown;
      best_peak = peak;
      best_trough = t;
    }
  }
  m.max_drawdown = deepest;
  if (deepest > 0.0) {
    m.drawdown_peak = periods[static_cast<std::size_t>(best_peak)];
    m.drawdown_trough = periods[static_cast<std::size_t>(best_trough)];
    for (Index t = best_trough + 1; t <= n; ++t) {
      if (wealth[t] >= wealth[best_peak]) {
        m.drawdown_recovery = periods[static_cast<std::size_t>(t)];
        break;
      }
    }
    m.calmar_ratio = m.annual_return / deepest;
  }
  return m;
}

}  // namespace pfopt
