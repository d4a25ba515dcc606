// Re-optimisation of one portfolio on its latest statistics: the ladder of the rebalance stage.
//
// Every solve goes through the engine's OptimizeMeanVariance (no second optimiser), and the
// problem (assets, constraints, options) is built once per portfolio by the one request path,
// service::PrepareProblem, from the portfolio's stored optimisation configuration (or the
// defaults: long-only, fully invested). Each re-optimisation then only swaps in the latest mean
// and covariance.
//
// The ladder (docs/streaming.md), attempt k = 0 .. max_attempts-1 with gamma_k = l2_gamma +
// k * l2_gamma_step:
//   1. the configured objective (default MAX_SHARPE) with L2 gamma_k;
//   2. unless 1 reached the Sharpe threshold: EFFICIENT_RISK at the target volatility and
//      EFFICIENT_RETURN at return_target_factor x mean(mu), both with gamma_k;
// keeping the candidate with the best Sharpe ratio (computed on the unregularised statistics),
// and stopping as soon as a candidate reaches the threshold.
#ifndef PFOPT_SERVICES_STREAM_STAGES_REOPTIMIZER_H_
#define PFOPT_SERVICES_STREAM_STAGES_REOPTIMIZER_H_

#include <string>

#include "pfopt/core/error.h"
#include "pfopt/optimize/mean_variance.h"
#include "services/common/optimization_service.h"
#include "services/stream/portfolio_config.h"

namespace pfopt::stream {

struct ReoptimizationResult {
  bool solved = false;
  Vector weights;                    // in the portfolio's ticker order, when solved
  PortfolioPerformance performance;  // per period, Sharpe not annualised
  double annualised_sharpe = kNaN;   // sqrt(periods_per_year) (mu'w - rf) / sqrt(w'Sigma w)
  Objective objective = Objective::kMaxSharpe;  // the rung that won
  double l2_gamma = 0.0;                        // its gamma
  int attempts = 0;                             // attempts run
  int solves = 0;                               // engine calls
  double seconds = 0.0;                         // wall time of the whole ladder
  std::string message;                          // when nothing solved: the last status
};

class PortfolioOptimizer {
 public:
  // Builds the portfolio's problem through service::PrepareProblem. Errors: a stored
  // configuration that the request path rejects (named field), or one whose method is not
  // MEAN_VARIANCE.
  static Result<PortfolioOptimizer> Create(const PortfolioConfig& config);

  // Runs the ladder on per-period statistics in the portfolio's ticker order. `current_risk` is
  // the current weights' volatility (the efficient-risk target when none is configured).
  // Errors: sizes that do not match; non-finite statistics.
  Result<ReoptimizationResult> Reoptimize(const VectorRef& mean, const MatrixRef& covariance,
                                          double current_risk) const;

  const PortfolioProblem& problem() const { return prepared_.problem; }

 private:
  service::PreparedProblem prepared_;
  ReoptimizationOptions options_;
  double threshold_ = 1.0;
  double periods_per_year_ = 52.0;
  double risk_free_rate_ = 0.0;
};

// The weights a portfolio starts with (published once, when its state is first created).
// Order of precedence:
//   1. with config.black_litterman: Black-Litterman on the initial statistics (the set-up of
//      ../shared/specs/streaming.md section 6, docs/black_litterman.md "The Casablanca
//      start-up"): market weights given or equal, delta = (benchmark_return - rf) / w'Sigma w,
//      prior delta Sigma w + rf, absolute views with Idzorek's omega at `confidence`, tau 0.05,
//      then max Sharpe at rf over the posterior under the portfolio's constraints (when no
//      portfolio there beats rf, a warning is logged and rule 2 applies);
//   2. config.initial_weights (e.g. the published Casablanca initial_weights.json);
//   3. the ladder's answer on the initial statistics.
// Errors name the configuration field (unknown tickers in views; no solution at all).
Result<Vector> StartupWeights(const PortfolioConfig& config, const PortfolioOptimizer& optimizer);

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_STAGES_REOPTIMIZER_H_
