// Mean-variance optimisation over a PortfolioProblem.
//
// Objectives (PyPortfolioOpt 1.5.6 definitions; gamma = l2_gamma, delta = risk_aversion):
//   MIN_VOLATILITY    min  w'Sigma w + gamma ||w||^2
//   MAX_SHARPE        max  (mu'w - rf) / sqrt(w'Sigma w), solved exactly in the homogenised
//                     (Charnes-Cooper) form: min y'Sigma y + gamma ||y||^2 s.t. (mu - rf)'y = 1,
//                     every constraint a'w <= b written a'y <= b kappa, kappa >= 0, w = y/kappa.
//                     With gamma > 0 the L2 term is on y, as PyPortfolioOpt does (it keeps the
//                     problem convex; docs/objectives.md discusses it).
//   MAX_RETURN        max  mu'w - gamma ||w||^2 (a linear program when gamma = 0); with a
//                     target volatility it is EFFICIENT_RISK.
//   EFFICIENT_RISK    max  mu'w - gamma ||w||^2  s.t. sqrt(w'Sigma w) <= target_volatility
//   EFFICIENT_RETURN  min  w'Sigma w + gamma ||w||^2  s.t. mu'w >= target_return
//   MAX_UTILITY       max  mu'w - delta/2 w'Sigma w - gamma ||w||^2
// subject to the problem's constraints (bounds, budget, sectors, turnover, leverage).
//
// Every answer is re-checked against every constraint (`constraints_satisfied`). An
// infeasible problem is a status, with the groups of constraints that conflict; a target out
// of reach says what is reachable.
#ifndef PFOPT_OPTIMIZE_MEAN_VARIANCE_H_
#define PFOPT_OPTIMIZE_MEAN_VARIANCE_H_

#include <optional>
#include <string>
#include <vector>

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/optimize/performance.h"
#include "pfopt/optimize/portfolio_problem.h"
#include "pfopt/solve/qp.h"

namespace pfopt {

enum class Objective {
  kMinVolatility,
  kMaxSharpe,
  kMaxReturn,
  kEfficientRisk,
  kEfficientReturn,
  kMaxUtility,
};

template <>
struct EnumNames<Objective> {
  static constexpr std::array<std::pair<Objective, std::string_view>, 6> kNames{
      {{Objective::kMinVolatility, "MIN_VOLATILITY"},
       {Objective::kMaxSharpe, "MAX_SHARPE"},
       {Objective::kMaxReturn, "MAX_RETURN"},
       {Objective::kEfficientRisk, "EFFICIENT_RISK"},
       {Objective::kEfficientReturn, "EFFICIENT_RETURN"},
       {Objective::kMaxUtility, "MAX_UTILITY"}}};
};

// How an optimisation ended (the API's `convergence_status`).
enum class OptimizationStatus {
  kNotRun,
  kOptimal,
  kOptimalInaccurate,
  kInfeasible,
  kUnbounded,
  kMaxIterations,
  kNumericalError,
};

template <>
struct EnumNames<OptimizationStatus> {
  static constexpr std::array<std::pair<OptimizationStatus, std::string_view>, 7> kNames{
      {{OptimizationStatus::kNotRun, "not_run"},
       {OptimizationStatus::kOptimal, "optimal"},
       {OptimizationStatus::kOptimalInaccurate, "optimal_inaccurate"},
       {OptimizationStatus::kInfeasible, "infeasible"},
       {OptimizationStatus::kUnbounded, "unbounded"},
       {OptimizationStatus::kMaxIterations, "max_iterations"},
       {OptimizationStatus::kNumericalError, "numerical_error"}}};
};

// True for kOptimal and kOptimalInaccurate: the weights are an answer.
bool HasSolution(OptimizationStatus status);

struct MeanVarianceOptions {
  Objective objective = Objective::kMaxSharpe;
  // Annualised risk-free rate: the MAX_SHARPE hurdle and the rf of the reported Sharpe ratio.
  double risk_free_rate = 0.0;
  // EFFICIENT_RISK (required) and MAX_RETURN (optional): annualised volatility cap, > 0.
  std::optional<double> target_volatility;
  // EFFICIENT_RETURN (required): annualised return floor.
  std::optional<double> target_return;
  // MAX_UTILITY: risk aversion delta, > 0. Default 1 (PyPortfolioOpt's default).
  double risk_aversion = 1.0;
  // L2 regularisation gamma >= 0 (adds gamma ||w||^2 to the minimised objective). Pulls weights
  // towards equal weight; PyPortfolioOpt's L2_reg default is gamma = 1 when added.
  double l2_gamma = 0.0;
  // Absolute tolerance of the constraints re-check (weight units). Default 1e-8.
  double constraint_tolerance = 1e-8;
  QpOptions qp;

  Status Validate() const;
};

struct OptimizationResult {
  OptimizationStatus status = OptimizationStatus::kNotRun;
  std::string message;  // why it ended so; for infeasible problems which constraints conflict
  Vector weights;       // n weights when HasSolution(status), else empty
  PortfolioPerformance performance;  // of `weights`, with the options' risk-free rate
  double objective_value = kNaN;     // value of the objective as defined above (max ones: the max)
  int iterations = 0;                // QP active-set iterations, all solves together
  double solve_seconds = 0.0;        // time of the optimisation (not of estimation or parsing)
  bool constraints_satisfied = false;
  std::vector<ConstraintViolation> violations;      // re-check failures (normally empty)
  std::vector<ConstraintGroup> conflicting_groups;  // kInfeasible: the groups in conflict
  std::vector<std::string> warnings;
};

// Solves the chosen objective. Errors (bad input): an invalid problem or options, a missing
// expected-returns vector for an objective that needs it, a missing target, market neutral
// without shorts. Statuses (how it ended): see OptimizationResult.
Result<OptimizationResult> OptimizeMeanVariance(const PortfolioProblem& problem,
                                                const MeanVarianceOptions& options);

}  // namespace pfopt

#endif  // PFOPT_OPTIMIZE_MEAN_VARIANCE_H_
