// Performance figures of a weight vector, and weight cleaning.
#ifndef PFOPT_OPTIMIZE_PERFORMANCE_H_
#define PFOPT_OPTIMIZE_PERFORMANCE_H_

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt {

struct PortfolioPerformance {
  double expected_return = kNaN;  // mu'w, annualised
  double volatility = kNaN;       // sqrt(w' Sigma w), annualised
  double sharpe_ratio = kNaN;     // (mu'w - rf) / volatility; NaN when volatility is 0
};

// Expected return, volatility and Sharpe ratio as PyPortfolioOpt's portfolio_performance
// defines them. `expected_returns` may be empty (return and Sharpe are then NaN).
// Errors: sizes that do not match.
Result<PortfolioPerformance> ComputePerformance(const VectorRef& weights,
                                                const VectorRef& expected_returns,
                                                const MatrixRef& covariance,
                                                double risk_free_rate = 0.0);

struct CleanWeightsOptions {
  // Weights with |w| below this become 0. Default 1e-4 (PyPortfolioOpt's clean_weights).
  double cutoff = 1e-4;
  // Decimals to round to (0..15). Default 5.
  int decimals = 5;
  // The sum the cleaned weights must keep exactly (in units of 10^-decimals); NaN = the sum of
  // the input weights, rounded.
  double budget = kNaN;

  Status Validate() const;
};

// Cuts tiny weights, rounds the rest, then gives the rounding residual back in steps of
// 10^-decimals to the weights whose rounding lost the most (largest remainder method), so
// that the cleaned weights still sum to the budget. Errors: invalid options, non-finite input.
Result<Vector> CleanWeights(const VectorRef& weights, const CleanWeightsOptions& options = {});

}  // namespace pfopt

#endif  // PFOPT_OPTIMIZE_PERFORMANCE_H_
