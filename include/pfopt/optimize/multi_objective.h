// Multi-objective portfolios: a weighted sum of return, variance, CVaR, turnover and L2, and
// Pareto fronts of two of return / volatility / CVaR / turnover (docs/multi_objective.md).
//
// The weighted sum, exactly:
//   minimise  - lambda_return   * mu'w                  (annualised expected return)
//             + lambda_variance * w'Sigma w             (annualised variance)
//             + lambda_cvar     * CVaR_alpha(w)         (per period of the scenarios, cvar.h)
//             + lambda_turnover * sum_i |w_i - w0_i|    (fraction of capital traded)
//             + lambda_l2       * ||w||^2
//   subject to the problem's constraints (bounds, budget, sectors, turnover and leverage
//   limits) and, optionally, mu'w >= target_return and CVaR_alpha(w) <= cvar_limit.
// The lambdas are >= 0 and not all 0; units are those of each term, so choosing them is
// choosing exchange rates: lambda_variance = delta/2 with lambda_return = 1 is MAX_UTILITY with
// risk aversion delta; a CVaR weight of 1 next to a return weight of 1 trades one unit of
// annual return for one unit of average tail loss per period.
//
// Solved exactly: without CVaR one QP; with CVaR (as a term or a limit) the exact CVaR solver
// of cvar.h on the same formulation. Every answer is re-checked against every constraint.
#ifndef PFOPT_OPTIMIZE_MULTI_OBJECTIVE_H_
#define PFOPT_OPTIMIZE_MULTI_OBJECTIVE_H_

#include <optional>
#include <string>
#include <vector>

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/optimize/cvar.h"

namespace pfopt {

struct ObjectiveWeights {
  double expected_return = 0.0;  // lambda_return >= 0 (the request's "return")
  double variance = 0.0;         // lambda_variance >= 0
  double cvar = 0.0;             // lambda_cvar >= 0 (needs scenarios)
  double turnover = 0.0;         // lambda_turnover >= 0 (against the current weights)
  double l2 = 0.0;               // lambda_l2 >= 0

  // Each finite and >= 0, not all 0; the message names the weight.
  Status Validate() const;
};

// The value of each term at a portfolio (before weighting).
struct ObjectiveTerms {
  double expected_return = kNaN;  // mu'w, annualised (NaN without expected returns)
  double variance = kNaN;         // w'Sigma w, annualised
  double cvar = kNaN;             // CVaR_alpha(w), per period (NaN without scenarios)
  double turnover = kNaN;         // sum |w - w0|
  double l2 = kNaN;               // ||w||^2
};

struct MultiObjectiveOptions {
  ObjectiveWeights weights;
  // Tail probability of the CVaR term and limit, in (0, 1). Default 0.05.
  double cvar_alpha = 0.05;
  // Optional constraints on top of the problem's: mu'w >= target_return (annualised),
  // CVaR_alpha(w) <= cvar_limit (per period).
  std::optional<double> target_return;
  std::optional<double> cvar_limit;
  // Annualised risk-free rate of the reported Sharpe ratio. Default 0.
  double risk_free_rate = 0.0;
  double constraint_tolerance = 1e-8;  // of the constraints re-check, weight units
  CvarSolverOptions solver;

  Status Validate() const;
};

struct MultiObjectiveResult {
  CvarResult result;     // weights, status, performance, tail risk (when scenarios are given)
  ObjectiveTerms terms;  // at the returned weights; result.optimization.objective_value is the
                         // weighted sum above
};

// `scenario_returns` (T x n) is needed when the CVaR weight is positive or a CVaR limit is set;
// otherwise it may be empty (given, it is used to report the tail risk). Errors: invalid
// problem or options, missing expected returns for a return weight or target, missing
// scenarios. Statuses as OptimizeCvar.
Result<MultiObjectiveResult> OptimizeMultiObjective(const PortfolioProblem& problem,
                                                    const MatrixRef& scenario_returns,
                                                    const MultiObjectiveOptions& options);

// The measures a Pareto front can trade off.
enum class ParetoMeasure { kReturn, kVolatility, kCvar, kTurnover };

template <>
struct EnumNames<ParetoMeasure> {
  static constexpr std::array<std::pair<ParetoMeasure, std::string_view>, 4> kNames{
      {{ParetoMeasure::kReturn, "return"},
       {ParetoMeasure::kVolatility, "volatility"},
       {ParetoMeasure::kCvar, "cvar"},
       {ParetoMeasure::kTurnover, "turnover"}}};
};

struct ParetoFrontOptions {
  // Two different measures (order does not matter). Return is maximised, the others
  // minimised. Default: return and CVaR.
  ParetoMeasure first = ParetoMeasure::kReturn;
  ParetoMeasure second = ParetoMeasure::kCvar;
  // Number of points, >= 2. Default 20.
  int num_points = 20;
  double cvar_alpha = 0.05;     // tail probability of CVaR
  double risk_free_rate = 0.0;  // for the Sharpe ratio of each point
  CvarSolverOptions solver;

  Status Validate() const;
};

// One point of a front: the measures of its portfolio and the epsilon of the constraint that
// made it.
struct ParetoPoint {
  double epsilon = kNaN;  // the bound of the constrained measure at this point
  ObjectiveTerms terms;   // return, variance, CVaR (when scenarios are given), turnover, l2
  PortfolioPerformance performance;
  double value_at_risk = kNaN;
  Vector weights;
};

struct ParetoFront {
  OptimizationStatus status = OptimizationStatus::kNotRun;  // optimal if every point solved
  std::string message;
  ParetoMeasure minimised = ParetoMeasure::kCvar;      // the objective of every point
  ParetoMeasure constrained = ParetoMeasure::kReturn;  // bounded by epsilon
  std::vector<ParetoPoint> points;                     // from the constrained measure's
                                                       // loosest useful bound to its tightest
  int iterations = 0;
  double solve_seconds = 0.0;
};

// The epsilon-constraint method: one measure is the objective, the other a constraint whose
// bound eps sweeps evenly from its value at the objective's own optimum (point 0) to its best
// attainable value (the last point; there the objective breaks the ties; if rounding makes that
// bound infeasible, it is retried 1e-9 relative inside). Which one is the objective:
//   return & volatility  min variance s.t. mu'w >= eps        (the efficient frontier)
//   return & CVaR        min CVaR s.t. mu'w >= eps
//   return & turnover    min turnover s.t. mu'w >= eps
//   volatility & CVaR    min variance s.t. CVaR <= eps
//   volatility & turnover min variance s.t. turnover <= eps
//   CVaR & turnover      min CVaR s.t. turnover <= eps
// Every point is exact (a QP, or the exact CVaR solver). Points that coincide are kept.
Result<ParetoFront> TraceParetoFront(const PortfolioProblem& problem,
                                     const MatrixRef& scenario_returns,
                                     const ParetoFrontOptions& options);

}  // namespace pfopt

#endif  // PFOPT_OPTIMIZE_MULTI_OBJECTIVE_H_
