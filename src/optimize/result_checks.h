// Internal: what the robust, CVaR and multi-objective optimisers share when they turn QP
// outcomes into optimisation results: the status mapping, the description of a failed QP, and
// the final re-check of the weights against every constraint.
#ifndef PFOPT_OPTIMIZE_RESULT_CHECKS_H_
#define PFOPT_OPTIMIZE_RESULT_CHECKS_H_

#include <string>
#include <vector>

#include "optimize/formulation.h"
#include "pfopt/optimize/mean_variance.h"

namespace pfopt::internal {

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
