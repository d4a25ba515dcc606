// allopy-compatible scenario optimisers: PortfolioOptimizer and ActivePortfolioOptimizer on a
// Monte-Carlo cube (docs/scenario.md maps every allopy call to its pfopt equivalent).
//
// The methods and their problems (E, sigma, CVaR, tracking error: see metrics.h):
//
//   PortfolioOptimizer (sum_to_1 by default)
//     maximize_returns(max_vol, max_cvar)  max E(w)      s.t. sigma(w) <= max_vol, CVaR(w) >=
//     max_cvar minimize_volatility(min_ret)         min sigma(w)  s.t. E(w) >= min_ret
//     minimize_cvar(min_ret)               max CVaR(w)   s.t. E(w) >= min_ret
//     maximize_sharpe_ratio()              max E(w) / sigma(w)
//   ActivePortfolioOptimizer (no sum constraint by default; asset 0 = benchmark, w_a = w with
//   its weight 0)
//     maximize_eva(max_vol, max_cvar)      max E(w)      s.t. sigma(w_a) <= max_vol (sigma(w) if
//                                                        !as_tracking_error), CVaR(w or w_a) >=
//                                                        max_cvar
//     minimize_tracking_error(min_ret)     min sigma(w_a) s.t. E(w or w_a) >= min_ret
//     minimize_volatility(min_ret)         min sigma(w)  s.t. E(w or w_a) >= min_ret
//     minimize_cvar(min_ret)               max CVaR(w or w_a) s.t. E(w or w_a) >= min_ret
//     maximize_info_ratio()                max E(w_a) / sigma(w_a)
//     maximize_sharpe_ratio()              max E(w) / sigma(w)
// All of them also keep the bounds, sum_to_1 and the linear constraints A_in w <= b_in,
// A_eq w = b_eq. Constraints in parentheses are optional; maximize_returns and maximize_eva
// need at least one of max_vol / max_cvar.
//
// Method (docs/scenario.md, "Method"): sequential quadratic programming on pfopt's dense QP
// solver with analytic gradients and Hessians; CVaR (the mean of the k worst trials) enters as
// exact cutting planes of the Rockafellar-Uryasev representation; ratios are maximised by
// Newton steps on the Dinkelbach function. Buy-and-hold problems whose portfolio growth is
// positive on the bounds are convex (ratios: quasi-concave while E > 0), so the KKT point found
// is the global optimum (`global_optimum`); rebalanced problems are not convex in general and
// are solved to a local optimum, started from the buy-and-hold optimum.
//
// Outcomes: every answer is re-checked against every constraint. A status says how the solve
// ended (optimal / infeasible with the constraint that cannot be met and by how much /
// unbounded / iteration limit / numerical trouble); weights are only returned with an answer.
// Malformed input (sizes, NaN, a method that the optimiser does not have, a missing max_vol
// and max_cvar, lower > upper bounds) is an Error instead.
#ifndef PFOPT_SCENARIO_OPTIMIZER_H_
#define PFOPT_SCENARIO_OPTIMIZER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/optimize/mean_variance.h"
#include "pfopt/scenario/metrics.h"
#include "pfopt/scenario/scenario_data.h"

namespace pfopt::scenario {

enum class OptimizerKind {
  kPortfolio,  // allopy's PortfolioOptimizer
  kActive,     // allopy's ActivePortfolioOptimizer (asset 0 = benchmark)
};

enum class ScenarioMethod {
  kMaximizeReturns,        // PortfolioOptimizer
  kMinimizeVolatility,     // both
  kMinimizeCvar,           // both
  kMaximizeSharpeRatio,    // both
  kMaximizeEva,            // ActivePortfolioOptimizer
  kMinimizeTrackingError,  // ActivePortfolioOptimizer
  kMaximizeInfoRatio,      // ActivePortfolioOptimizer
};

// The keyword arguments of the allopy methods. Fields that a method does not use must keep
// their defaults (an Error says which field the method does not take).
struct MethodArguments {
  // maximize_returns / maximize_eva: volatility (tracking error) cap, > 0.
  std::optional<double> max_vol;
  // maximize_returns / maximize_eva: CVaR floor; "max_cvar = -0.1" means CVaR(w) >= -0.1
  // (allopy's naming: a cap on the expected shortfall).
  std::optional<double> max_cvar;
  // minimize_*: floor on the annualised expected return.
  std::optional<double> min_ret;
  // CVaR percentile in (0, 100], default 5 (the 5 % worst trials).
  double percentile = 5.0;
  // maximize_eva: max_vol caps the tracking error sigma(w_a) (true, the default) or sigma(w).
  bool as_tracking_error = true;
  // maximize_eva / active minimize_cvar: the CVaR of w_a instead of w.
  bool as_active_cvar = false;
  // active minimize_tracking_error / minimize_volatility / minimize_cvar: min_ret applies to
  // the active return E(w_a) instead of E(w).
  bool as_active_return = false;
  // Starting point (one weight per asset); empty = the midpoint of the bounds projected on
  // the linear constraints. Convex problems end at the same optimum from any start.
  Vector x0;
};

struct ScenarioProblem {
  OptimizerKind optimizer = OptimizerKind::kPortfolio;
  ScenarioMethod method = ScenarioMethod::kMaximizeSharpeRatio;
  MethodArguments arguments;
  // Portfolio returns rebalanced to w every period (true) or buy-and-hold (false, default).
  bool rebalance = false;
  // Bounds, one per asset; an empty side takes the defaults (DefaultBounds): [0, 1] for every
  // asset of a PortfolioOptimizer; [1, 1] for the benchmark (asset 0) and [0, 1] for the
  // others of an ActivePortfolioOptimizer. (allopy leaves them unbounded unless set;
  // docs/scenario.md.) -inf / +inf are allowed.
  Vector lower_bounds;
  Vector upper_bounds;
  // sum(w) = 1; unset = the optimiser's default (Portfolio true, Active false).
  std::optional<bool> sum_to_1;
  // A_in w <= b_in and A_eq w = b_eq (rows x assets); empty = none.
  Matrix a_in;
  Vector b_in;
  Matrix a_eq;
  Vector b_eq;

  // Checks sizes, finiteness, the method against the optimiser, the arguments the method
  // takes. Messages name the field.
  Status Validate(Index num_assets) const;
};

// Progress of a running solve (the CLI shows it for solves that take more than a second).
struct ScenarioProgress {
  int iteration = 0;
  double objective = kNaN;      // current objective value (natural units)
  double max_violation = kNaN;  // of the nonlinear constraints
  double elapsed_seconds = 0.0;
};

struct ScenarioSolverOptions {
  // Largest violation of a constraint accepted in the answer, natural units (volatility,
  // return, CVaR; weight units for linear constraints). Default 1e-9; the optimiser normally
  // ends far below (1e-13).
  double feasibility_tolerance = 1e-9;
  // SQP convergence: the last step in the weights is below this (relative to max(1, |w|)).
  // Default 1e-10; the objective is then exact to about 1e-12 relative.
  double step_tolerance = 1e-10;
  // Limit on SQP iterations, all phases together. Default 300.
  int max_iterations = 300;
  // Wall-clock limit in seconds; 0 = none (default).
  double time_limit_seconds = 0.0;
  // Called once per SQP iteration (optional).
  std::function<void(const ScenarioProgress&)> progress;

  Status Validate() const;
};

// One constraint re-checked at the answer.
struct ConstraintReport {
  std::string name;        // e.g. "volatility <= 0.1", "sum_to_1", "a_in[2]", "bounds"
  double value = kNaN;     // the constrained quantity at the weights
  double limit = kNaN;     // its limit
  double violation = 0.0;  // by how much it is broken (> 0) in natural units; 0 when it holds
  bool binding = false;    // at its limit (within 1e-8)
};

struct ScenarioResult {
  OptimizationStatus status = OptimizationStatus::kNotRun;
  // Whether the answer is certified globally optimal (a KKT point of a convex problem);
  // false for local optima (rebalanced paths, leverage, negative ratios).
  bool global_optimum = false;
  // How it ended; for infeasible problems the constraint that cannot be met and by how much.
  std::string message;
  Vector weights;           // one per asset when HasSolution(status), else empty
  ScenarioMetrics metrics;  // at `weights` (active figures for the Active optimiser)
  // The objective at the weights in its natural sense: E, sigma, CVaR, E/sigma, tracking
  // error or information ratio.
  double objective_value = kNaN;
  std::vector<ConstraintReport> constraints;  // every constraint at the weights
  double max_violation = kNaN;                // max over `constraints`
  double stationarity = kNaN;                 // KKT residual of the last SQP step
  int iterations = 0;                         // SQP iterations, all phases
  int qp_solves = 0;
  int cutting_planes = 0;
  double solve_seconds = 0.0;
};

// The default bounds of an optimiser for `num_assets` assets (see ScenarioProblem).
void DefaultBounds(OptimizerKind optimizer, Index num_assets, Vector* lower, Vector* upper);

// Solves `problem` on `data`. Errors: invalid problem or options (see Validate).
Result<ScenarioResult> SolveScenario(const ScenarioData& data, const ScenarioProblem& problem,
                                     const ScenarioSolverOptions& options = {});

// allopy's PortfolioOptimizer: keeps data, bounds, linear constraints and options; each
// method solves from scratch (calls do not influence each other, unlike allopy's, where
// constraints accumulate on the NLopt object).
class PortfolioOptimizer {
 public:
  explicit PortfolioOptimizer(ScenarioData data, bool rebalance = false, bool sum_to_1 = true);

  // One bound for every asset, or one per asset. Errors: sizes, NaN, lower > upper.
  Status SetBounds(double lower, double upper);
  Status SetBounds(const VectorRef& lower, const VectorRef& upper);
  // Adds rows of A w <= b (resp. A w = b).
  Status AddInequalityMatrixConstraint(const MatrixRef& a, const VectorRef& b);
  Status AddEqualityMatrixConstraint(const MatrixRef& a, const VectorRef& b);
  void RemoveMatrixConstraints();
  ScenarioSolverOptions& options() { return options_; }
  const ScenarioData& data() const { return data_; }

  Result<ScenarioResult> MaximizeReturns(const MethodArguments& arguments);
  Result<ScenarioResult> MinimizeVolatility(const MethodArguments& arguments = {});
  Result<ScenarioResult> MinimizeCvar(const MethodArguments& arguments = {});
  Result<ScenarioResult> MaximizeSharpeRatio(const MethodArguments& arguments = {});

 protected:
  PortfolioOptimizer(ScenarioData data, OptimizerKind kind, bool rebalance, bool sum_to_1);
  Result<ScenarioResult> Run(ScenarioMethod method, const MethodArguments& arguments);

 private:
  ScenarioData data_;
  ScenarioProblem problem_;
  ScenarioSolverOptions options_;
};

// allopy's ActivePortfolioOptimizer (asset 0 = benchmark).
class ActivePortfolioOptimizer : public PortfolioOptimizer {
 public:
  explicit ActivePortfolioOptimizer(ScenarioData data, bool rebalance = false,
                                    bool sum_to_1 = false);

  Result<ScenarioResult> MaximizeEva(const MethodArguments& arguments);
  Result<ScenarioResult> MinimizeTrackingError(const MethodArguments& arguments = {});
  Result<ScenarioResult> MaximizeInfoRatio(const MethodArguments& arguments = {});
  // MinimizeVolatility, MinimizeCvar and MaximizeSharpeRatio as in the base class, with the
  // active options (as_active_return, as_active_cvar). MaximizeReturns is not an active method.
  Result<ScenarioResult> MaximizeReturns(const MethodArguments& arguments) = delete;
};

}  // namespace pfopt::scenario

namespace pfopt {

template <>
struct EnumNames<scenario::OptimizerKind> {
  using E = scenario::OptimizerKind;
  static constexpr std::array<std::pair<E, std::string_view>, 2> kNames{
      {{E::kPortfolio, "portfolio"}, {E::kActive, "active"}}};
};

template <>
struct EnumNames<scenario::ScenarioMethod> {
  using E = scenario::ScenarioMethod;
  static constexpr std::array<std::pair<E, std::string_view>, 7> kNames{
      {{E::kMaximizeReturns, "maximize_returns"},
       {E::kMinimizeVolatility, "minimize_volatility"},
       {E::kMinimizeCvar, "minimize_cvar"},
       {E::kMaximizeSharpeRatio, "maximize_sharpe_ratio"},
       {E::kMaximizeEva, "maximize_eva"},
       {E::kMinimizeTrackingError, "minimize_tracking_error"},
       {E::kMaximizeInfoRatio, "maximize_info_ratio"}}};
};

}  // namespace pfopt

#endif  // PFOPT_SCENARIO_OPTIMIZER_H_
