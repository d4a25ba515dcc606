// Internal: pieces of the risk models exposed to their tests and benchmarks only.
#ifndef PFOPT_ESTIMATE_RISK_MODELS_INTERNAL_H_
#define PFOPT_ESTIMATE_RISK_MODELS_INTERNAL_H_

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/estimate/risk_models.h"

namespace pfopt::internal {

// Pairwise-complete sample covariance (ddof 1, not annualised). Uses the leading-block fast path
// when every column's missing values form a leading block, unless `force_general_path`.
Result<Matrix> PairwiseSampleCovariance(const MatrixRef& returns, bool force_general_path);

// The last step of every risk model: multiplies the per-period covariance `raw` by
// options.periods_per_year, checks it for positive semidefiniteness and repairs it as
// options.repair says, and sets estimate->covariance, repaired, min_eigenvalue and the
// warnings.
void FinishCovariance(Matrix raw, const RiskModelOptions& options, CovarianceEstimate* estimate);

}  // namespace pfopt::internal

#endif  // PFOPT_ESTIMATE_RISK_MODELS_INTERNAL_H_
