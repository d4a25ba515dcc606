// Portfolio figures on a scenario cube, exactly as allopy 0.4.7 defines them
// (docs/scenario.md, "Metrics").
//
// Weights w have one entry per asset and need not sum to 1 (the rest is cash earning 0).
// - Portfolio return per trial i over a horizon of P periods (cumulative, not annualised):
//     buy-and-hold  r_i = sum_j w_j G[i, j],  G[i, j] = prod_t (1 + R[t, i, j]) - 1
//     rebalanced    r_i = prod_t (1 + sum_j w_j R[t, i, j]) - 1  (back to w every period)
// - Expected return (annualised), on the main cube with y = n_years:
//     E(w) = mean_i( sign(1 + r_i) |1 + r_i|^(1/y) ) - 1
// - Volatility sigma(w) = sqrt(w' Sigma w), Sigma of ScenarioData (independent of rebalance).
// - CVaR at percentile p (default 5), on the CVaR data, not annualised: c = the p-th percentile
//   of r with linear interpolation (NumPy's default: position p/100 (N - 1) in the sorted
//   sample), CVaR = mean of every r_i <= c (ties included). A return, usually negative; larger
//   is better. The optimisers use the mean of the k = floor(p/100 (N - 1)) + 1 smallest r_i,
//   which is the same number unless another trial ties with the k-th smallest exactly.
// - Sharpe ratio E(w) / sigma(w) (no risk-free rate).
// - Active figures (ActivePortfolioOptimizer; asset 0 is the benchmark): with
//   w_a = [0, w_1, ..., w_{A-1}], tracking error sigma(w_a), active return E(w_a), information
//   ratio E(w_a) / sigma(w_a).
#ifndef PFOPT_SCENARIO_METRICS_H_
#define PFOPT_SCENARIO_METRICS_H_

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/data/scenario_cube.h"
#include "pfopt/scenario/scenario_data.h"

namespace pfopt::scenario {

// r over the first `periods` periods of `cube` (1 <= periods <= cube.num_periods()); weights
// must have cube.num_assets() entries (not checked: use the Result functions below for input
// from users).
Vector PortfolioReturns(const ScenarioCube& cube, Index periods, const VectorRef& weights,
                        bool rebalance);

// mean_i sign(1 + r_i) |1 + r_i|^(1/years) - 1.
double AnnualizedExpectedReturn(const VectorRef& returns, double years);

// The p-th percentile of `values` with linear interpolation, as numpy.percentile (default
// method) computes it, including its interpolation formula. p in [0, 100].
double PercentileLinear(const VectorRef& values, double percentile);

// Mean of the values <= PercentileLinear(values, percentile) (allopy's CVaR).
double ConditionalValueAtRisk(const VectorRef& returns, double percentile);

// Number of smallest returns whose mean is the CVaR: floor(p/100 (N - 1)) + 1.
Index CvarTailSize(Index trials, double percentile);

struct ScenarioMetrics {
  double expected_return = kNaN;  // E(w), annualised
  double volatility = kNaN;       // sigma(w)
  double cvar = kNaN;             // CVaR at the percentile, on the CVaR data
  double sharpe_ratio = kNaN;     // E / sigma
  // Active figures; NaN unless asked for.
  double tracking_error = kNaN;  // sigma(w_a)
  double active_return = kNaN;   // E(w_a)
  double info_ratio = kNaN;      // E(w_a) / sigma(w_a)
};

struct MetricsOptions {
  double percentile = 5.0;  // CVaR percentile, in [0, 100]
  bool rebalance = false;   // rebalanced or buy-and-hold portfolio returns
  bool active = false;      // also compute the active figures (asset 0 = benchmark)
};

// Every figure at `weights`. Errors: wrong number of weights, non-finite weights, a percentile
// outside [0, 100].
Result<ScenarioMetrics> EvaluatePortfolio(const ScenarioData& data, const VectorRef& weights,
                                          const MetricsOptions& options = {});

// The single figures (same errors).
Result<double> ExpectedReturn(const ScenarioData& data, const VectorRef& weights,
                              bool rebalance = false);
Result<double> Volatility(const ScenarioData& data, const VectorRef& weights);
Result<double> Cvar(const ScenarioData& data, const VectorRef& weights, double percentile = 5.0,
                    bool rebalance = false);
Result<double> SharpeRatio(const ScenarioData& data, const VectorRef& weights,
                           bool rebalance = false);

}  // namespace pfopt::scenario

#endif  // PFOPT_SCENARIO_METRICS_H_
