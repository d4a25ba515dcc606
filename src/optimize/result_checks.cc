#include "optimize/result_checks.h"

#include <cstdio>
#include <utility>

#include "pfopt/core/enum_names.h"

namespace pfopt::internal {

Result<Objective> CheckMeanVarianceProblem(const PortfolioProblem& problem,
                                           const MeanVarianceOptions& options) {
  const Index n = problem.num_assets();
  Objective objective = options.objective;
  if (objective == Objective::kMaxReturn && options.target_volatility) {
    objective = Objective::kEfficientRisk;
  }
  if (objective != Objective::kMinVolatility && problem.expected_returns.size() != n) {
    return InvalidArgument(
        std::string(EnumToString(options.objective)) + " needs expected returns for every asset",
        "expected_returns");
  }
  PFOPT_RETURN_IF_ERROR(CheckMarketNeutralAllowsShorts(problem.constraints, n));
  return objective;
}

Status CheckMarketNeutralAllowsShorts(const PortfolioConstraints& constraints, Index num_assets) {
  if (constraints.budget == 0.0 &&
      EffectiveLowerBounds(constraints, num_assets).minCoeff() >= 0.0) {
    return InvalidArgument(
        "a market-neutral portfolio (budget 0) needs short positions: set a negative minimum "
        "weight",
        "budget");
  }
  return Ok();
}

bool QpSolved(QpStatus status) {
  return status == QpStatus::kOptimal || status == QpStatus::kOptimalInaccurate;
}

OptimizationStatus StatusFromQp(QpStatus status) {
  switch (status) {
    case QpStatus::kOptimal:
      return OptimizationStatus::kOptimal;
    case QpStatus::kOptimalInaccurate:
      return OptimizationStatus::kOptimalInaccurate;
    case QpStatus::kPrimalInfeasible:
      return OptimizationStatus::kInfeasible;
    case QpStatus::kDualInfeasible:
      return OptimizationStatus::kUnbounded;
    case QpStatus::kMaxIterations:
    case QpStatus::kTimeLimit:
      return OptimizationStatus::kMaxIterations;
    case QpStatus::kNotRun:
    case QpStatus::kNumericalError:
      break;
  }
  return OptimizationStatus::kNumericalError;
}

QpFailure DescribeQpFailure(const LinearFormulation& f, const QpSolution& solution,
                            const QpSummary& summary) {
  QpFailure failure;
  failure.status = StatusFromQp(summary.status);
  if (summary.status == QpStatus::kPrimalInfeasible) {
    failure.conflicting_groups = ConflictingGroups(f, solution);
    failure.message = DescribeConflict(f, solution);
  } else {
    failure.message = summary.message.empty() ? summary.BriefReport() : summary.message;
  }
  return failure;
}

void ApplyConstraintCheck(std::vector<ConstraintViolation> violations, OptimizationResult* result) {
  result->violations = std::move(violations);
  result->constraints_satisfied = result->violations.empty();
  if (result->constraints_satisfied) return;
  result->status = OptimizationStatus::kOptimalInaccurate;
  std::string list;
  for (const auto& v : result->violations) {
    char amount[32];
    std::snprintf(amount, sizeof(amount), "%.6g", v.amount);
    if (!list.empty()) list += ", ";
    list += v.name + " by " + amount;
  }
  result->warnings.push_back("the solution violates " + list);
}

}  // namespace pfopt::internal
