// Scenario (historical) CVaR of a portfolio, and portfolios that minimise it or respect a
// limit on it (docs/cvar.md).
//
// Definitions (Rockafellar & Uryasev, 2000; the CVaR of fPortfolio's "CVaR" portfolios and of
// PyPortfolioOpt's EfficientCVaR). The scenarios are T rows r_t of periodic asset returns (a
// return history: oldest first, no missing values). The loss of weights w in scenario t is
// L_t = -r_t'w. For a tail probability alpha (0.05: the worst 5 % of the scenarios) and
// K = alpha T:
//   CVaR_alpha(w) = min over a of  a + 1/K sum_t max(0, L_t - a)
//                 = (sum of the floor(K) largest losses + (K - floor(K)) x the next one) / K,
//   VaR_alpha(w)  = the (floor(K) + 1)-th largest loss: the smallest minimiser a above, i.e.
//                   the lower (1 - alpha)-quantile of the scenario losses.
// Units: per period of the scenarios (daily returns give a daily CVaR), decimal, a positive
// number is a loss. Not annualised (expected returns and volatility in the results are, as
// everywhere in pfopt).
//
// The optimisers solve the Rockafellar-Uryasev linear program (a QP with an L2 term) exactly,
// without forming it whole (docs/cvar.md): about 50 ms of CPU at T = 10 000 scenarios, n = 50
// assets, where LP solvers take seconds to minutes (bench/README.md). The answer's CVaR is
// recomputed from the weights by the formula above (it is not a solver's auxiliary variable),
// and every constraint of the problem is re-checked.
#ifndef PFOPT_OPTIMIZE_CVAR_H_
#define PFOPT_OPTIMIZE_CVAR_H_

#include <optional>
#include <string>

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/optimize/mean_variance.h"
#include "pfopt/optimize/portfolio_problem.h"

namespace pfopt {

struct TailRisk {
  double alpha = kNaN;          // tail probability used
  double value_at_risk = kNaN;  // VaR_alpha(w), per period
  double cvar = kNaN;           // CVaR_alpha(w), per period
};

// The scenarios of a return history: the rows of the T x n `returns` (NaN = missing) where
// every asset has a return, in order. `dropped`, if given, receives how many rows were left out.
Matrix CompleteScenarios(const MatrixRef& returns, Index* dropped = nullptr);

// VaR and CVaR of `weights` over the T x n `scenario_returns`. Errors: sizes that do not
// match, alpha outside (0, 1), no scenarios, non-finite values.
Result<TailRisk> ComputeTailRisk(const MatrixRef& scenario_returns, const VectorRef& weights,
                                 double alpha = 0.05);

enum class CvarObjective {
  kMinCvar,          // min CVaR_alpha(w) + gamma ||w||^2 (with target_return: s.t. mu'w >= it)
  kEfficientReturn,  // min CVaR_alpha(w) + gamma ||w||^2 s.t. mu'w >= target_return
  kEfficientRisk,    // max mu'w - gamma ||w||^2 s.t. CVaR_alpha(w) <= cvar_limit
};

template <>
struct EnumNames<CvarObjective> {
  static constexpr std::array<std::pair<CvarObjective, std::string_view>, 3> kNames{
      {{CvarObjective::kMinCvar, "MIN_CVAR"},
       {CvarObjective::kEfficientReturn, "EFFICIENT_RETURN"},
       {CvarObjective::kEfficientRisk, "EFFICIENT_RISK"}}};
};

// Settings of the exact CVaR solver (docs/cvar.md, "How it is solved"). The defaults suit every
// case tested; change them only when the result reports an iteration limit.
struct CvarSolverOptions {
  // Proximal iterations over all phases, >= 1. Default 1000 (typical: 10-60).
  int max_iterations = 1000;
  // Half-width, in loss ranks around the VaR scenario, of the window of scenarios modelled
  // exactly in each subproblem; 0 = min(n + 8, 25) (n assets). Larger: fewer, bigger
  // subproblems (bench/README.md: 20-25 is fastest at n = 50 and 200).
  Index window = 0;
  QpOptions qp;

  Status Validate() const;
};

struct CvarOptions {
  CvarObjective objective = CvarObjective::kMinCvar;
  // Tail probability alpha in (0, 1). Default 0.05 (PyPortfolioOpt's beta = 0.95).
  double alpha = 0.05;
  // kEfficientReturn (required) and kMinCvar (optional): annualised return floor mu'w >= it.
  std::optional<double> target_return;
  // kEfficientRisk (required): CVaR limit, per period, decimal (0.02 = a 2 % average tail loss).
  std::optional<double> cvar_limit;
  // L2 regularisation gamma >= 0, in the objective as in MeanVarianceOptions (PyPortfolioOpt's
  // add_objective(L2_reg, gamma)). Default 0.
  double l2_gamma = 0.0;
  // Annualised risk-free rate of the reported Sharpe ratio. Default 0.
  double risk_free_rate = 0.0;
  // Absolute tolerance of the constraints re-check (weight units). Default 1e-8.
  double constraint_tolerance = 1e-8;
  CvarSolverOptions solver;

  Status Validate() const;
};

// What a scenario-based optimisation (CVaR, multi-objective) returns: the common result plus
// the tail risk of the answer and the LP dual.
struct CvarResult {
  // Status, message, weights, annualised performance from the problem's mu and Sigma,
  // objective_value (the objective as defined by the options; for a max problem its max),
  // iterations (QP iterations of all subproblems), constraints re-check, conflicts.
  OptimizationResult optimization;
  TailRisk tail_risk;  // of the returned weights (recomputed from them), when solved
  // Worst-case scenario probabilities q (T entries, 0 <= q_t <= 1/K, sum 1) with
  // CVaR(w) = sum_t q_t L_t(w): the dual solution of the Rockafellar-Uryasev LP. Empty when
  // CVaR did not enter the problem (a limit that does not bind still gives it).
  Vector tail_probabilities;
  int outer_iterations = 0;  // proximal iterations of the CVaR solver
};

// Errors: invalid problem or options, scenarios that do not match the problem's assets or
// contain non-finite values, a missing target, a market-neutral budget without shorts.
// Statuses: optimal; infeasible (constraints in conflict, or a CVaR limit below the minimum
// attainable CVaR, group "target"); unbounded; max_iterations.
Result<CvarResult> OptimizeCvar(const PortfolioProblem& problem, const MatrixRef& scenario_returns,
                                const CvarOptions& options);

}  // namespace pfopt

#endif  // PFOPT_OPTIMIZE_CVAR_H_
