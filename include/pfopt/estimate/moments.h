// Expected returns and covariance straight from prices, in one call.
//
// Equivalent to ReturnsFromPrices(prices, return_kind), then EstimateExpectedReturns and
// EstimateCovariance on those returns (same formulas, same errors; results equal to rounding,
// relative differences at the 1e-14 level). The default combination - simple returns,
// MEAN_HISTORICAL, SAMPLE with pairwise missing data (PyPortfolioOpt's defaults) - runs as
// one pass over the prices when every asset's prices have no gap after its first one (listed
// late, no gaps: the layout of price histories such as examples/data/stock_prices.csv):
// - mean historical return: prod_t (1 + r_t) over an asset's returns telescopes to
//   P_last / P_first (exact up to rounding, and more accurate than the product of thousands of
//   factors), so mu_i = (P_last / P_first)^(f / n_i) - 1;
// - the returns are computed block by block, each block once, and multiplied into the
//   pairwise Gram matrix while it is in cache; the divisions overlap with the multiply-adds.
// Anything else (other estimators or return kinds, prices with gaps, invalid prices) takes the
// separate path, which also reports the errors.
#ifndef PFOPT_ESTIMATE_MOMENTS_H_
#define PFOPT_ESTIMATE_MOMENTS_H_

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/data/returns.h"
#include "pfopt/estimate/expected_returns.h"
#include "pfopt/estimate/risk_models.h"

namespace pfopt {

struct MomentsOptions {
  // Returns computed from the prices: SIMPLE (PyPortfolioOpt's default) or LOG.
  ReturnKind return_kind = ReturnKind::kSimple;
  // Expected-returns estimator (default MEAN_HISTORICAL, 252 periods a year).
  ExpectedReturnsOptions expected_returns;
  // Risk model (default SAMPLE, pairwise missing data, 252 periods a year).
  RiskModelOptions risk_model;
  // One-pass path only: run the two halves of its covariance pass on two threads, the
  // calling one and a helper thread that the library starts on first use and keeps (it polls
  // for 100 us after each task, then sleeps). The rows are always split at a point that
  // depends only on the data's layout and the halves' sums are added in a fixed order, so the
  // results are the same with or without it, bit for bit. The calling thread runs the second
  // half itself if the helper has not started it (asleep, busy with another call, no free
  // core), so a call never waits for the helper. Off by default: it pays only when a second
  // core is free (bench/README.md).
  bool parallel = false;

  // Checks every field; the message names the field (prefixed "expected_returns." or
  // "risk_model."), its value and the rule.
  Status Validate() const;
};

struct MomentsEstimate {
  Vector expected_returns;        // n annualised expected returns (decimal)
  CovarianceEstimate covariance;  // as EstimateCovariance returns it (annualised)
  // Return periods: rows of the returns matrix, the periods where some asset has a return.
  Index periods = 0;
  // True if the one-pass path produced the estimate (for tests and benchmarks).
  bool one_pass = false;
};

// `prices`: T x n, oldest row first, NaN = missing price. Errors: those of ReturnsFromPrices,
// EstimateExpectedReturns and EstimateCovariance, and invalid options.
Result<MomentsEstimate> EstimateMomentsFromPrices(const MatrixRef& prices,
                                                  const MomentsOptions& options = {});

}  // namespace pfopt

#endif  // PFOPT_ESTIMATE_MOMENTS_H_
