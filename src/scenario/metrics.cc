#include "pfopt/scenario/metrics.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "scenario/selection.h"

namespace pfopt::scenario {

namespace {

Status CheckWeights(const ScenarioData& data, const VectorRef& weights) {
  if (weights.size() != data.num_assets()) {
    return DimensionMismatch("got " + std::to_string(weights.size()) + " weights for " +
                                 std::to_string(data.num_assets()) + " assets",
                             "weights");
  }
  if (!weights.allFinite()) return InvalidArgument("the weights are not all finite", "weights");
  return Ok();
}

Status CheckPercentile(double percentile) {
  if (!(percentile >= 0.0 && percentile <= 100.0)) {
    return InvalidArgument(
        "percentile is " + std::to_string(percentile) + "; it must be in [0, 100]", "percentile");
  }
  return Ok();
}

Vector MainReturns(const ScenarioData& data, const VectorRef& weights, bool rebalance) {
  if (!rebalance) return data.cumulative_returns() * weights;
  return PortfolioReturns(data.cube(), data.num_periods(), weights, true);
}

Vector CvarReturns(const ScenarioData& data, const VectorRef& weights, bool rebalance) {
  if (!rebalance) return data.cvar_cumulative_returns() * weights;
  return PortfolioReturns(data.cvar_cube(), data.cvar_periods(), weights, true);
}

}  // namespace

Vector PortfolioReturns(const ScenarioCube& cube, Index periods, const VectorRef& weights,
                        bool rebalance) {
  Vector growth = Vector::Ones(cube.num_trials());
  if (rebalance) {
    for (Index t = 0; t < periods; ++t) {
      growth.array() *= 1.0 + (cube.Period(t) * weights).array();
    }
    return growth.array() - 1.0;
  }
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> g =
      Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>::Ones(
          cube.num_trials(), cube.num_assets());
  for (Index t = 0; t < periods; ++t) g.array() *= 1.0 + cube.Period(t).array();
  g.array() -= 1.0;
  return g * weights;
}

double AnnualizedExpectedReturn(const VectorRef& returns, double years) {
  const Eigen::ArrayXd gross = returns.array() + 1.0;
  const Eigen::ArrayXd magnitude = ((1.0 / years) * gross.abs().log()).exp();
  double sum = 0.0;
  for (Index i = 0; i < returns.size(); ++i) sum += gross[i] < 0.0 ? -magnitude[i] : magnitude[i];
  return sum / static_cast<double>(returns.size()) - 1.0;
}

namespace {

// The cutoff of PercentileLinear, with the selector that found it (its candidates hold every
// value up to the cutoff).
double Cutoff(const VectorRef& values, double percentile, internal::TailSelector* selector) {
  const Index n = values.size();
  if (n == 1) return values[0];
  const double q = percentile / 100.0;
  const double virtual_index = static_cast<double>(n - 1) * q;
  if (virtual_index >= static_cast<double>(n - 1)) return values.maxCoeff();
  if (virtual_index <= 0.0) return values.minCoeff();
  const Index previous = static_cast<Index>(std::floor(virtual_index));
  const double gamma = virtual_index - static_cast<double>(previous);
  double a = 0.0, b = 0.0;
  selector->OrderStatistics(values.data(), n, previous, &a, &b);
  // NumPy's _lerp: a + (b - a) t, or b - (b - a)(1 - t) when t >= 0.5.
  const double difference = b - a;
  return gamma >= 0.5 ? b - difference * (1.0 - gamma) : a + difference * gamma;
}

}  // namespace

double PercentileLinear(const VectorRef& values, double percentile) {
  internal::TailSelector selector;
  return Cutoff(values, percentile, &selector);
}

double ConditionalValueAtRisk(const VectorRef& returns, double percentile) {
  internal::TailSelector selector;
  const double cutoff = Cutoff(returns, percentile, &selector);
  const Index n = returns.size();
  // Every value <= cutoff is a candidate of the selector, except in the cases it did not run.
  const bool candidates_cover =
      n > 1 && percentile / 100.0 * static_cast<double>(n - 1) > 0.0 &&
      percentile / 100.0 * static_cast<double>(n - 1) < static_cast<double>(n - 1);
  double sum = 0.0;
  Index count = 0;
  if (candidates_cover) {
    for (double v : selector.candidate_values()) {
      if (v <= cutoff) {
        sum += v;
        ++count;
      }
    }
  } else {
    for (Index i = 0; i < n; ++i) {
      if (returns[i] <= cutoff) {
        sum += returns[i];
        ++count;
      }
    }
  }
  return sum / static_cast<double>(count);
}

Index CvarTailSize(Index trials, double percentile) {
  const double virtual_index = static_cast<double>(trials - 1) * (percentile / 100.0);
  const Index k = static_cast<Index>(std::floor(virtual_index)) + 1;
  return std::clamp<Index>(k, 1, trials);
}

Result<ScenarioMetrics> EvaluatePortfolio(const ScenarioData& data, const VectorRef& weights,
                                          const MetricsOptions& options) {
  PFOPT_RETURN_IF_ERROR(CheckWeights(data, weights));
  PFOPT_RETURN_IF_ERROR(CheckPercentile(options.percentile));
  ScenarioMetrics m;
  m.expected_return =
      AnnualizedExpectedReturn(MainReturns(data, weights, options.rebalance), data.num_years());
  m.volatility = std::sqrt(std::max(0.0, weights.dot(data.covariance() * weights)));
  m.cvar =
      ConditionalValueAtRisk(CvarReturns(data, weights, options.rebalance), options.percentile);
  m.sharpe_ratio = m.expected_return / m.volatility;
  if (options.active) {
    Vector active = weights;
    active[0] = 0.0;
    m.active_return =
        AnnualizedExpectedReturn(MainReturns(data, active, options.rebalance), data.num_years());
    m.tracking_error = std::sqrt(std::max(0.0, active.dot(data.covariance() * active)));
    m.info_ratio = m.active_return / m.tracking_error;
  }
  return m;
}

Result<double> ExpectedReturn(const ScenarioData& data, const VectorRef& weights, bool rebalance) {
  PFOPT_RETURN_IF_ERROR(CheckWeights(data, weights));
  return AnnualizedExpectedReturn(MainReturns(data, weights, rebalance), data.num_years());
}

Result<double> Volatility(const ScenarioData& data, const VectorRef& weights) {
  PFOPT_RETURN_IF_ERROR(CheckWeights(data, weights));
  return std::sqrt(std::max(0.0, weights.dot(data.covariance() * weights)));
}

Result<double> Cvar(const ScenarioData& data, const VectorRef& weights, double percentile,
                    bool rebalance) {
  PFOPT_RETURN_IF_ERROR(CheckWeights(data, weights));
  PFOPT_RETURN_IF_ERROR(CheckPercentile(percentile));
  return ConditionalValueAtRisk(CvarReturns(data, weights, rebalance), percentile);
}

Result<double> SharpeRatio(const ScenarioData& data, const VectorRef& weights, bool rebalance) {
  auto e = ExpectedReturn(data, weights, rebalance);
  if (!e) return e;
  auto s = Volatility(data, weights);
  if (!s) return s;
  return *e / *s;
}

}  // namespace pfopt::scenario
