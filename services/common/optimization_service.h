// The one request path: OptimizationRequest -> PortfolioProblem (estimation of mu and Sigma
// from the strategies' histories, constraints) -> engine -> OptimizationResponse. The CLI, the
// REST handlers, the batch endpoint and the rebalancer all call RunOptimization, so a fix or a
// speed-up lands everywhere.
//
// Errors (bad input, with the request field at fault) are Error values; how the optimisation
// ended (optimal, infeasible with the conflicting constraints, ...) is in the response.
#ifndef PFOPT_SERVICES_COMMON_OPTIMIZATION_SERVICE_H_
#define PFOPT_SERVICES_COMMON_OPTIMIZATION_SERVICE_H_

#include <string>
#include <vector>

#include "pfopt/core/error.h"
#include "pfopt/optimize/frontier.h"
#include "pfopt/optimize/mean_variance.h"
#include "pfopt/optimize/multi_objective.h"
#include "services/common/request.h"

namespace pfopt::service {

// A request turned into engine inputs.
struct PreparedProblem {
  PortfolioProblem problem;
  MeanVarianceOptions options;
  std::vector<std::string> warnings;  // e.g. covariance repaired to be PSD
  double estimation_seconds = 0.0;    // time spent deriving returns, mu and Sigma
  Index history_periods = 0;          // return periods the estimates used (0 if given)
  // HIERARCHICAL_RISK_PARITY only: the correlation the tree is built from (allocation_models.h).
  Matrix correlation;
  // The periodic returns of the histories (history_periods x n, request order, NaN = missing):
  // the scenarios of CVaR. Kept when NeedsReturnScenarios(request) (extended_models.h), else
  // empty (and always empty without histories).
  Matrix returns;
};

// How the request path may use the machine.
struct RunOptions {
  // Estimate from prices on two threads when a second core is free (MomentsOptions::parallel;
  // the same numbers either way). For one-off calls such as `pfopt optimize`; the service, which
  // answers requests in parallel already, leaves it off.
  bool parallel_estimation = false;
};

// Validates the request (every field, messages naming it) and builds the engine problem.
// `needs_expected_returns` false lets a request without any return information through (for
// MIN_VOLATILITY); the expected returns are then estimated only if histories are there.
Result<PreparedProblem> PrepareProblem(const OptimizationRequest& request,
                                       const RunOptions& run = {});

// The whole path. Errors: malformed or inconsistent requests (naming the field), unreachable
// targets.
Result<OptimizationResponse> RunOptimization(const OptimizationRequest& request,
                                             const RunOptions& run = {});

struct FrontierResponse {
  std::string portfolio_id;
  OptimizationStatus status = OptimizationStatus::kNotRun;
  std::string message;
  std::vector<std::string> assets;  // request order
  std::vector<FrontierPoint> points;
  int iterations = 0;
  double optimization_time_ms = 0.0;
  std::vector<std::string> warnings;
  // Pareto fronts (extended_models.h, RunParetoFront; `points` is then empty): the measure each
  // point minimises, the one bounded by its epsilon, the tail probability of CVaR, and the
  // points with every measure.
  std::string minimised, constrained;
  double cvar_alpha = kNaN;
  std::vector<ParetoPoint> pareto_points;
};

// The efficient frontier of the request's strategies and constraints (its objective is
// ignored), `num_points` points.
Result<FrontierResponse> RunFrontier(const OptimizationRequest& request, int num_points);

}  // namespace pfopt::service

#endif  // PFOPT_SERVICES_COMMON_OPTIMIZATION_SERVICE_H_
