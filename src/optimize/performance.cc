#include "pfopt/optimize/performance.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace pfopt {

Result<PortfolioPerformance> ComputePerformance(const VectorRef& weights,
                                                const VectorRef& expected_returns,
                                                const MatrixRef& covariance,
                                                double risk_free_rate) {
  const Index n = weights.size();
  if (covariance.rows() != n || covariance.cols() != n) {
    return DimensionMismatch("covariance is " + std::to_string(covariance.rows()) + "x" +
                                 std::to_string(covariance.cols()) + " for " + std::to_string(n) +
                                 " weights",
                             "covariance");
  }
  if (expected_returns.size() != 0 && expected_returns.size() != n) {
    return DimensionMismatch("expected_returns has " + std::to_string(expected_returns.size()) +
                                 " entries for " + std::to_string(n) + " weights",
                             "expected_returns");
  }
  PortfolioPerformance p;
  const double variance = weights.dot(covariance * weights);
  p.volatility = std::sqrt(std::max(0.0, variance));
  if (expected_returns.size() == n) {
    p.expected_return = expected_returns.dot(weights);
    p.sharpe_ratio =
        p.volatility > 0.0 ? (p.expected_return - risk_free_rate) / p.volatility : kNaN;
  }
  return p;
}

Status CleanWeightsOptions::Validate() const {
  if (!(cutoff >= 0.0) || !std::isfinite(cutoff)) {
    return InvalidArgument("cutoff must be a finite number >= 0", "cutoff");
  }
  if (decimals < 0 || decimals > 15) {
    return InvalidArgument("decimals is " + std::to_string(decimals) + "; it must be in 0..15",
                           "decimals");
  }
  if (std::isinf(budget)) return InvalidArgument("budget must be finite or NaN", "budget");
  return Ok();
}

Result<Vector> CleanWeights(const VectorRef& weights, const CleanWeightsOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  if (!weights.allFinite()) return InvalidArgument("weights must be finite", "weights");
  const Index n = weights.size();
  const double scale = std::pow(10.0, options.decimals);  // exact for 0..15 decimals
  // Work in integer units of 10^-decimals.
  std::vector<double> exact(static_cast<std::size_t>(n));
  std::vector<long long> units(static_cast<std::size_t>(n));
  long long total_units = 0;
  for (Index i = 0; i < n; ++i) {
    const double w = std::abs(weights[i]) < options.cutoff ? 0.0 : weights[i];
    exact[static_cast<std::size_t>(i)] = w * scale;
    units[static_cast<std::size_t>(i)] = std::llround(w * scale);
    total_units += units[static_cast<std::size_t>(i)];
  }
  const double budget = std::isnan(options.budget) ? weights.sum() : options.budget;
  const long long target_units = std::llround(budget * scale);
  long long residual = target_units - total_units;
  // Hand the residual back one unit at a time to the nonzero weights whose rounding moved them
  // the most in the opposite direction.
  std::vector<Index> order;
  for (Index i = 0; i < n; ++i) {
    if (units[static_cast<std::size_t>(i)] != 0) order.push_back(i);
  }
  if (!order.empty()) {
    const double direction = residual > 0 ? 1.0 : -1.0;
    std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) {
      const double ra = direction * (exact[static_cast<std::size_t>(a)] -
                                     static_cast<double>(units[static_cast<std::size_t>(a)]));
      const double rb = direction * (exact[static_cast<std::size_t>(b)] -
                                     static_cast<double>(units[static_cast<std::size_t>(b)]));
      return ra > rb;
    });
    std::size_t k = 0;
    while (residual != 0) {
      const Index i = order[k % order.size()];
      units[static_cast<std::size_t>(i)] += residual > 0 ? 1 : -1;
      residual += residual > 0 ? -1 : 1;
      ++k;
    }
  }
  Vector cleaned(n);
  for (Index i = 0; i < n; ++i) {
    // Division by the exact power of ten gives the double nearest to the decimal value.
    cleaned[i] = static_cast<double>(units[static_cast<std::size_t>(i)]) / scale;
  }
  return cleaned;
}

}  // namespace pfopt
