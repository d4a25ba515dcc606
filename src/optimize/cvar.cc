#include "pfopt/optimize/cvar.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "optimize/tail_solver.h"
#include "pfopt/optimize/multi_objective.h"

namespace pfopt {

namespace {

std::string Num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

}  // namespace

Matrix CompleteScenarios(const MatrixRef& returns, Index* dropped) {
  std::vector<Index> rows;
  for (Index t = 0; t < returns.rows(); ++t) {
    if (returns.row(t).allFinite()) rows.push_back(t);
  }
  Matrix scenarios(static_cast<Index>(rows.size()), returns.cols());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    scenarios.row(static_cast<Index>(k)) = returns.row(rows[k]);
  }
  if (dropped != nullptr) *dropped = returns.rows() - scenarios.rows();
  return scenarios;
}

Result<TailRisk> ComputeTailRisk(const MatrixRef& scenario_returns, const VectorRef& weights,
                                 double alpha) {
  if (!(alpha > 0.0 && alpha < 1.0)) {
    return InvalidArgument("alpha is " + Num(alpha) + "; it must be in (0, 1)", "alpha");
  }
  if (scenario_returns.rows() == 0) {
    return InvalidArgument("there are no scenarios", "scenario_returns");
  }
  if (scenario_returns.cols() != weights.size()) {
    return DimensionMismatch("the scenarios have " + std::to_string(scenario_returns.cols()) +
                                 " columns for " + std::to_string(weights.size()) + " weights",
                             "scenario_returns");
  }
  if (!scenario_returns.allFinite() || !weights.allFinite()) {
    return InvalidArgument("the scenarios and weights must be finite (no missing values)",
                           "scenario_returns");
  }
  const Vector losses = -(scenario_returns * weights);
  const internal::TailValues values = internal::EvaluateTail(losses, alpha);
  return TailRisk{alpha, values.var, values.cvar};
}

Status CvarSolverOptions::Validate() const {
  if (max_iterations < 1) {
    return InvalidArgument(
        "max_iterations is " + std::to_string(max_iterations) + "; it must be >= 1",
        "max_iterations");
  }
  if (window < 0) {
    return InvalidArgument("window is " + std::to_string(window) + "; it must be >= 0", "window");
  }
  return qp.Validate();
}

Status CvarOptions::Validate() const {
  if (!(alpha > 0.0 && alpha < 1.0)) {
    return InvalidArgument("alpha is " + Num(alpha) + "; it must be in (0, 1)", "alpha");
  }
  if (target_return && !std::isfinite(*target_return)) {
    return InvalidArgument("target_return must be finite", "target_return");
  }
  if (cvar_limit && !std::isfinite(*cvar_limit)) {
    return InvalidArgument("cvar_limit must be finite", "cvar_limit");
  }
  if (!(std::isfinite(l2_gamma) && l2_gamma >= 0.0)) {
    return InvalidArgument("l2_gamma is " + Num(l2_gamma) + "; it must be a finite number >= 0",
                           "l2_gamma");
  }
  if (!std::isfinite(risk_free_rate)) {
    return InvalidArgument("risk_free_rate must be finite", "risk_free_rate");
  }
  if (!(std::isfinite(constraint_tolerance) && constraint_tolerance > 0.0)) {
    return InvalidArgument("constraint_tolerance must be a finite number > 0",
                           "constraint_tolerance");
  }
  switch (objective) {
    case CvarObjective::kMinCvar:
      if (cvar_limit) {
        return InvalidArgument("MIN_CVAR takes no cvar_limit (it minimises CVaR itself)",
                               "cvar_limit");
      }
      break;
    case CvarObjective::kEfficientReturn:
      if (!target_return) {
        return InvalidArgument("EFFICIENT_RETURN needs a target_return", "target_return");
      }
      if (cvar_limit) {
        return InvalidArgument("EFFICIENT_RETURN takes no cvar_limit", "cvar_limit");
      }
      break;
    case CvarObjective::kEfficientRisk:
      if (!cvar_limit) {
        return InvalidArgument("EFFICIENT_RISK needs a cvar_limit (the largest CVaR allowed)",
                               "cvar_limit");
      }
      if (target_return) {
        return InvalidArgument("EFFICIENT_RISK takes no target_return (it maximises the return)",
                               "target_return");
      }
      break;
  }
  return solver.Validate();
}

Result<CvarResult> OptimizeCvar(const PortfolioProblem& problem, const MatrixRef& scenario_returns,
                                const CvarOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  MultiObjectiveOptions mo;
  mo.cvar_alpha = options.alpha;
  mo.risk_free_rate = options.risk_free_rate;
  mo.constraint_tolerance = options.constraint_tolerance;
  mo.solver = options.solver;
  mo.weights.l2 = options.l2_gamma;
  if (options.objective == CvarObjective::kEfficientRisk) {
    mo.weights.expected_return = 1.0;
    mo.cvar_limit = options.cvar_limit;
  } else {
    mo.weights.cvar = 1.0;
    mo.target_return = options.target_return;
  }
  auto solved = OptimizeMultiObjective(problem, scenario_returns, mo);
  if (!solved) return tl::unexpected(solved.error());
  CvarResult result = std::move(solved->result);
  if (HasSolution(result.optimization.status)) {
    const ObjectiveTerms& t = solved->terms;
    result.optimization.objective_value = options.objective == CvarObjective::kEfficientRisk
                                              ? t.expected_return - options.l2_gamma * t.l2
                                              : t.cvar + options.l2_gamma * t.l2;
  }
  return result;
}

}  // namespace pfopt
