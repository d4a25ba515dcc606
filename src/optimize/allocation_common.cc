#include "optimize/allocation_common.h"

#include <cstdio>
#include <string>
#include <utility>

namespace pfopt::internal {

std::string FormatValue(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

Status RejectNonBoxConstraints(const PortfolioConstraints& constraints, std::string_view model) {
  const std::string who(model);
  if (!constraints.sector_upper.empty() || !constraints.sector_lower.empty()) {
    const bool upper = !constraints.sector_upper.empty();
    return InvalidArgument(
        who +
            " cannot honour sector limits (it allocates by its own rule and only bounds and "
            "the budget can be imposed on it); remove them or use a mean-variance objective",
        upper ? "constraints.sector_upper" : "constraints.sector_lower");
  }
  if (constraints.turnover_limit) {
    return InvalidArgument(who +
                               " cannot honour a turnover limit (it allocates by its own "
                               "rule); remove it or use a mean-variance objective",
                           "constraints.turnover_limit");
  }
  if (constraints.leverage_limit) {
    return InvalidArgument(who +
                               " cannot honour a leverage limit (its weights are long-only: "
                               "gross exposure equals the budget); remove it",
                           "constraints.leverage_limit");
  }
  if (!(constraints.budget > 0.0)) {
    return InvalidArgument(who + " is long-only and allocates a positive budget; got " +
                               FormatValue(constraints.budget),
                           "budget");
  }
  return Ok();
}

Status CheckSquareOfSize(const MatrixRef& matrix, Index n, const char* field, const char* what) {
  if (matrix.rows() == n && matrix.cols() == n) return Ok();
  return DimensionMismatch(std::string(field) + " is " + std::to_string(matrix.rows()) + "x" +
                               std::to_string(matrix.cols()) + " for " + std::to_string(n) + " " +
                               what,
                           field);
}

bool BoundsAdmitBudget(const VectorRef& lower, const VectorRef& upper, double budget,
                       OptimizationResult* result) {
  const double low = lower.sum();
  const double high = upper.sum();
  const double slack = 1e-12 * std::max(1.0, std::abs(budget));
  if (low <= budget + slack && high >= budget - slack) return true;
  result->status = OptimizationStatus::kInfeasible;
  result->conflicting_groups = {ConstraintGroup::kBounds, ConstraintGroup::kBudget};
  result->message = low > budget
                        ? "bounds vs budget: the minimum weights sum to " + FormatValue(low) +
                              ", more than the budget " + FormatValue(budget)
                        : "bounds vs budget: the maximum weights sum to " + FormatValue(high) +
                              ", less than the budget " + FormatValue(budget);
  return false;
}

Status FinishAllocation(const PortfolioProblem& problem, double risk_free_rate,
                        double constraint_tolerance, Vector weights, OptimizationResult* result) {
  auto performance =
      ComputePerformance(weights, problem.expected_returns, problem.covariance, risk_free_rate);
  if (!performance) return tl::unexpected(performance.error());
  result->performance = *performance;
  result->violations = CheckConstraints(problem, weights, constraint_tolerance);
  result->constraints_satisfied = result->violations.empty();
  if (!result->constraints_satisfied) {
    if (result->status == OptimizationStatus::kOptimal) {
      result->status = OptimizationStatus::kOptimalInaccurate;
    }
    std::string list;
    for (const auto& v : result->violations) {
      if (!list.empty()) list += ", ";
      list += v.name + " by " + FormatValue(v.amount);
    }
    result->warnings.push_back("the solution violates " + list);
  }
  result->weights = std::move(weights);
  if (result->message.empty()) result->message = "optimal";
  return Ok();
}

}  // namespace pfopt::internal
