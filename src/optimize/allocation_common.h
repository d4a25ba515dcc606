// Internal: pieces shared by the allocation models that are not mean-variance programs (risk
// parity, hierarchical risk parity, the Black-Litterman closed form): which constraints they can
// honour, the bounds-versus-budget feasibility check, and the common end of every optimiser
// (performance, constraint re-check).
#ifndef PFOPT_OPTIMIZE_ALLOCATION_COMMON_H_
#define PFOPT_OPTIMIZE_ALLOCATION_COMMON_H_

#include <string_view>

#include "pfopt/optimize/mean_variance.h"
#include "pfopt/optimize/portfolio_problem.h"

namespace pfopt::internal {

// An Error naming the first constraint of `constraints` that a long-only model honouring only
// bounds and the budget cannot honour (sector limits, turnover limit, leverage limit, a
// budget <= 0). `model` names the model in the message, e.g. "hierarchical risk parity".
Status RejectNonBoxConstraints(const PortfolioConstraints& constraints, std::string_view model);

// A DimensionMismatch unless `matrix` is n x n: "<field> is RxC for n <what>".
Status CheckSquareOfSize(const MatrixRef& matrix, Index n, const char* field, const char* what);

// True if some weights within [lower, upper] sum to `budget`; otherwise sets `result` to
// kInfeasible (groups bounds and budget) with a message giving both sums.
bool BoundsAdmitBudget(const VectorRef& lower, const VectorRef& upper, double budget,
                       OptimizationResult* result);

// The common end: performance of `weights` (expected return and Sharpe NaN without expected
// returns), the re-check of every constraint (a violation downgrades kOptimal to
// kOptimalInaccurate with a warning), the message "optimal" if none was set, and the weights.
Status FinishAllocation(const PortfolioProblem& problem, double risk_free_rate,
                        double constraint_tolerance, Vector weights, OptimizationResult* result);

// "%.6g"
std::string FormatValue(double value);

}  // namespace pfopt::internal

#endif  // PFOPT_OPTIMIZE_ALLOCATION_COMMON_H_
