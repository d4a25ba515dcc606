// Risk budgeting (risk parity when the budgets are equal).
//
// The risk contribution of asset i to a long-only portfolio w is
//   RC_i = w_i (Sigma w)_i / (w'Sigma w),       sum_i RC_i = 1,
// and the risk-budgeting portfolio is the w >= 0 with RC_i = b_i for given budgets b (b_i >= 0,
// normalised to sum 1), scaled to the budget constraint sum w = B. It exists and is unique for
// a positive definite Sigma.
//
// Method (no binding bounds): Spinu's convex formulation
//   x* = argmin_{x > 0}  1/2 x'Sigma x - sum_i b_i ln x_i,      w = B x* / sum x*,
// whose optimality conditions x_i (Sigma x)_i = b_i are the budget equations. Newton's method
// with a damped step (1 / (1 + Newton decrement) until the decrement is below 1/4, then full
// steps, both backtracked on the objective): the Newton systems (Sigma + diag(b / x^2)) d = -g
// are solved by conjugate gradients with a Jacobi preconditioner while far from the solution,
// then with one Cholesky factorisation of the Hessian as preconditioner (refactorised only if
// conjugate gradients stall). It stops when max_i |RC_i - b_i| <= `tolerance`. An asset with
// budget 0 is held at its lower bound (0 by default) and takes no part in the budgeting.
//
// Bounds (lb_i >= 0, ub_i) and a budget B > 0: the long-only risk-budgeting portfolio under
// bounds is defined (Richard & Roncalli, 2019) as the solution of
//   min 1/2 x'Sigma x - lambda sum_i b_i ln x_i   s.t.  lb <= x <= ub,
// with lambda > 0 chosen so that sum x = B. Its optimality conditions say: among the assets
// strictly inside their bounds the risk contributions are proportional to the budgets
// (RC_i / b_i equal); an asset at its upper bound contributes less than its share, one at its
// lower bound more. If the bounds do not bind this is the unconstrained portfolio. pfopt
// first solves without bounds; if that portfolio breaks a bound it solves the bounded problem:
// for each lambda a box-constrained Newton method whose steps are box-constrained quadratic
// programs (pfopt's QP solver), and an outer secant/bisection search on sqrt(lambda) for
// sum x = B (sum x grows with lambda).
//
// Constraints it cannot honour: sector limits, turnover and leverage limits, negative lower
// bounds (risk budgeting is long-only), a budget <= 0. Such problems are Errors.
#ifndef PFOPT_OPTIMIZE_RISK_PARITY_H_
#define PFOPT_OPTIMIZE_RISK_PARITY_H_

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/optimize/mean_variance.h"
#include "pfopt/optimize/portfolio_problem.h"

namespace pfopt {

struct RiskParityOptions {
  // Risk budgets b (n entries, >= 0, sum > 0; normalised to sum 1). Empty: equal budgets 1/n
  // (risk parity, "equal risk contribution").
  Vector budgets;
  // Stop when max_i |RC_i - b_i| <= tolerance (risk contributions sum to 1). Default 1e-12;
  // in (0, 1e-3].
  double tolerance = 1e-12;
  // Newton iterations (over all lambda values when bounds bind: inner iterations). Default 200.
  int max_iterations = 200;
  // Optional starting weights (n entries > 0 where the budget is > 0), e.g. the previous answer
  // of a rebalancer: Newton then needs two or three steps. Empty: inverse-volatility weights.
  Vector initial_weights;
  // Annualised rate for the Sharpe ratio of the reported performance.
  double risk_free_rate = 0.0;
  // Absolute tolerance of the constraints re-check (weight units). Default 1e-8.
  double constraint_tolerance = 1e-8;

  Status Validate() const;
};

// The common fields are those of OptimizationResult: `objective_value` is
// max_i |RC_i - b_i| (0 up to `tolerance` when no bound binds), `iterations` the Newton
// iterations.
struct RiskParityResult : OptimizationResult {
  Vector risk_contributions;  // RC_i of the returned weights, sum 1
  Vector budgets;             // the normalised budgets b
  bool bounds_bind = false;   // true if bounds changed the answer (the bounded problem was solved)
  // The common ratio RC_i / b_i of the assets strictly inside their bounds (1 when no bound
  // binds; NaN if every asset is at a bound).
  double budget_ratio = kNaN;
};

// Risk-budgeting weights of `problem` (covariance, bounds, budget; expected returns only for
// the reported performance). Errors: an invalid problem or options, a constraint the method
// cannot honour (see above), an asset with positive budget and zero variance, budgets of the
// wrong size or sign. Statuses: kOptimal; kInfeasible if the bounds cannot sum to the budget;
// kMaxIterations / kNumericalError (with the reason) if Newton does not converge, e.g. when a
// combination of assets has zero risk (Sigma singular with a non-negative null vector: no
// risk-budgeting portfolio exists).
Result<RiskParityResult> OptimizeRiskParity(const PortfolioProblem& problem,
                                            const RiskParityOptions& options = {});

// RC_i = w_i (Sigma w)_i / (w'Sigma w). Errors: sizes, a zero-risk portfolio.
Result<Vector> RiskContributions(const VectorRef& weights, const MatrixRef& covariance);

}  // namespace pfopt

#endif  // PFOPT_OPTIMIZE_RISK_PARITY_H_
