// Internal: what the mean-variance, robust, CVaR and multi-objective optimisers share when they
// turn QP outcomes into optimisation results: the status mapping, the description of a failed QP,
// and the final re-check of the weights against every constraint.
#ifndef PFOPT_OPTIMIZE_RESULT_CHECKS_H_
#define PFOPT_OPTIMIZE_RESULT_CHECKS_H_

#include <string>
#include <vector>

#include "optimize/formulation.h"
#include "pfopt/optimize/mean_variance.h"

namespace pfopt::internal {

// The checks every mean-variance model makes of its problem before solving: expected returns
// for every asset unless the objective is MIN_VOLATILITY, and short positions allowed when the
// budget is 0 (market neutral). Returns the objective actually solved: MAX_RETURN with a
// volatility cap is EFFICIENT_RISK. Errors name the field.
Result<Objective> CheckMeanVarianceProblem(const PortfolioProblem& problem,
                                           const MeanVarianceOptions& options);

// A market-neutral budget (0) needs short positions: an error naming `budget` if every minimum
// weight is >= 0.
Status CheckMarketNeutralAllowsShorts(const PortfolioConstraints& constraints, Index num_assets);

// kOptimal / kOptimalInaccurate.
bool QpSolved(QpStatus status);

// How a QP status reads as an optimisation status.
OptimizationStatus StatusFromQp(QpStatus status);

// Why a QP over `formulation` did not solve: the status, a message, and for an infeasible one
// the constraint groups in conflict (from its certificate).
struct QpFailure {
  OptimizationStatus status = OptimizationStatus::kNumericalError;
  std::string message;
  std::vector<ConstraintGroup> conflicting_groups;
};
QpFailure DescribeQpFailure(const LinearFormulation& formulation, const QpSolution& solution,
                            const QpSummary& summary);

// Stores `violations` (from CheckConstraints, plus any the caller adds) in `result`; when there
// are any, the status becomes optimal_inaccurate and a warning lists them.
void ApplyConstraintCheck(std::vector<ConstraintViolation> violations, OptimizationResult* result);

}  // namespace pfopt::internal

#endif  // PFOPT_OPTIMIZE_RESULT_CHECKS_H_
