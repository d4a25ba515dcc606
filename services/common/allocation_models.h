// The request path of the allocation models beyond the mean-variance programs:
// Black-Litterman (the posterior replaces mu and Sigma, then any objective; or the closed-form
// weights), risk parity (method RISK_PARITY, or objective RISK_PARITY with a method that yields
// Sigma) and hierarchical risk parity. RunOptimization (optimization_service.h) calls these;
// every Error names the request field at fault. docs/black_litterman.md, docs/risk_parity.md
// and docs/hierarchical_risk_parity.md describe the fields.
#ifndef PFOPT_SERVICES_COMMON_ALLOCATION_MODELS_H_
#define PFOPT_SERVICES_COMMON_ALLOCATION_MODELS_H_

#include <optional>

#include "pfopt/core/error.h"
#include "pfopt/optimize/hierarchical_risk_parity.h"
#include "pfopt/optimize/mean_variance.h"
#include "pfopt/optimize/risk_parity.h"
#include "services/common/optimization_service.h"
#include "services/common/request.h"

namespace pfopt::service {

// True if risk parity or HRP answers the request (objective RISK_PARITY, or method RISK_PARITY
// or HIERARCHICAL_RISK_PARITY) rather than a mean-variance objective.
bool UsesRiskParityModel(const OptimizationRequest& request);

// Checks the model fields against the method and objective before any estimation: the
// objective a method takes, fields only another method uses (risk_budgets, hrp_linkage,
// black_litterman), targets that risk parity would ignore, and constraints the method cannot
// honour (sector limits, turnover, leverage, shorts, budget <= 0 for the risk-parity models).
Status CheckAllocationModelRequest(const OptimizationRequest& request);

// The correlation HRP clusters on: the pairwise Pearson correlation of the histories when the
// covariance is the pairwise sample covariance (PyPortfolioOpt's returns.corr()), else the
// correlation of the prepared covariance (given, or another estimator).
Result<Matrix> HrpCorrelation(const OptimizationRequest& request, const MatrixRef& returns,
                              const MatrixRef& covariance);

struct BlackLittermanOutcome {
  Vector posterior_returns;                       // mu_BL
  std::optional<OptimizationResult> closed_form;  // set for black_litterman.weights CLOSED_FORM
};

// Computes the posterior from the request and the prepared (prior) covariance and expected
// returns, and puts mu_BL and Sigma_BL into `prepared` (unless the closed form was asked for,
// which is then the answer).
Result<BlackLittermanOutcome> ApplyBlackLitterman(const OptimizationRequest& request,
                                                  PreparedProblem* prepared);

Result<RiskParityResult> RunRiskParity(const OptimizationRequest& request,
                                       const PreparedProblem& prepared);
Result<HrpResult> RunHierarchicalRiskParity(const OptimizationRequest& request,
                                            const PreparedProblem& prepared);

}  // namespace pfopt::service

#endif  // PFOPT_SERVICES_COMMON_ALLOCATION_MODELS_H_
