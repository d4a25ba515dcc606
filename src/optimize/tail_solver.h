// Internal: exact minimisation of a convex quadratic plus a scenario CVaR over the portfolio
// constraints, with an optional CVaR limit:
//
//   minimise    1/2 x'P x + q'x + c * CVaR_alpha(w)
//   subject to  x in X (the rows and bounds of a LinearFormulation)
//               CVaR_alpha(w) <= L                      (optional)
//
// where w = x.head(n) are the weights, R the T x n scenario returns, losses L_t = -r_t'w and
// CVaR_alpha(w) = min_a a + 1/K sum_t max(0, L_t - a), K = alpha T (Rockafellar-Uryasev).
//
// Method (docs/cvar.md, "How it is solved"). The Rockafellar-Uryasev linear program has T
// auxiliary variables and rows; solving it whole is what makes general LP solvers slow
// (scipy/HiGHS needs tens of seconds at T = 10 000, n = 50). Only scenarios whose loss is near
// the VaR can change sides between nearby portfolios, so around a centre portfolio the
// scenarios are split by the rank of their loss into In (clearly in the tail: max(0, L_t - a)
// replaced by L_t - a), Out (clearly outside: replaced by 0) and a window B around the VaR rank
// (kept exact, with u_t >= L_t - a, u_t >= 0). Since x <= max(0, x) and 0 <= max(0, x), this
// model is a lower bound of the RU function everywhere and equal to it near the centre. Each
// iteration minimises the model plus a proximal term rho/2 ||(x, a, u) - centre||^2 with the
// dense QP solver (n + 1 + |B| variables, warm-started from the previous working set), and
// accepts the step if the true objective decreases enough (a proximal-bundle / trust-region
// rule); rho falls while steps succeed. It stops when the step is zero to rounding and the
// model is exact there (no In scenario below a, no Out scenario above): then the point
// minimises a lower bound of the objective that it attains, so it is optimal for the full LP
// or QP. With a CVaR limit the iterates stay feasible (a first phase minimises CVaR alone,
// which also proves infeasibility when the minimum is above the limit).
#ifndef PFOPT_OPTIMIZE_TAIL_SOLVER_H_
#define PFOPT_OPTIMIZE_TAIL_SOLVER_H_

#include <optional>
#include <string>
#include <vector>

#include "optimize/formulation.h"
#include "pfopt/optimize/mean_variance.h"

namespace pfopt::internal {

struct TailProblem {
  const LinearFormulation* formulation = nullptr;
  Matrix P;                           // num_variables square, symmetric PSD; empty = 0
  Vector q;                           // num_variables; empty = 0
  const Matrix* scenarios = nullptr;  // T x n returns (needed when c > 0 or a limit is set)
  double alpha = 0.05;                // tail probability, 0 < alpha < 1
  double cvar_weight = 0.0;           // c >= 0
  std::optional<double> cvar_limit;   // L
};

struct TailSolverSettings {
  int max_iterations = 1000;  // proximal iterations, all phases together
  Index window = 0;           // half-width of the window B in ranks; 0 = min(n + 8, 25)
  QpOptions qp;
};

struct TailSolution {
  OptimizationStatus status = OptimizationStatus::kNotRun;
  std::string message;
  Vector x;  // HasSolution(status) only
  double cvar = kNaN;
  double var = kNaN;
  // The LP dual: probabilities q_t in [0, 1/K] summing to 1 with CVaR(w) = sum_t q_t L_t(w)
  // (the worst-case distribution). Empty when CVaR plays no role (c = 0 and no binding limit).
  Vector tail_probabilities;
  int outer_iterations = 0;
  int qp_iterations = 0;
  std::vector<ConstraintGroup> conflicting_groups;  // kInfeasible
};

Result<TailSolution> SolveTailProblem(const TailProblem& problem,
                                      const TailSolverSettings& settings);

struct TailValues {
  double var = kNaN;
  double cvar = kNaN;
};
// VaR and CVaR at tail probability alpha of T losses (see include/pfopt/optimize/cvar.h).
TailValues EvaluateTail(const VectorRef& losses, double alpha);

}  // namespace pfopt::internal

#endif  // PFOPT_OPTIMIZE_TAIL_SOLVER_H_
