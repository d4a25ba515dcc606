// Dense convex quadratic programming.
//
//   minimise    1/2 x'Px + q'x
//   subject to  A x  = b          (m_eq equality rows)
//               G x <= h          (m_in inequality rows)
//               lb <= x <= ub     (bounds; -inf / +inf where absent)
//
// P must be symmetric positive semidefinite (it may be singular, even zero: linear programs are
// QPs too). All data are dense.
//
// Method: a dual active-set method (Goldfarb-Idnani family, in the formulation of Arnstroem,
// Bemporad and Axehill's DAQP) on the Cholesky factor of P, wrapped in proximal-point outer
// iterations when P is singular or badly conditioned. The active set it ends on is solved
// exactly, so the answer is exact to rounding (KKT residuals ~1e-13 on well-scaled problems),
// and it is fast where portfolio problems live (n up to a few thousand, few general rows). The
// benchmark that justifies the choice against an interior point method is in bench/README.md
// and the algorithm is described in docs/qp_solver.md.
//
// Outcomes: every solve returns a QpSummary whose `status` says how it ended (optimal,
// infeasible with a certificate, unbounded, iteration limit ...). Malformed input (dimension
// mismatch, NaN, lb > ub, invalid options) is an Error instead, reported before any work.
//
// Usage, one-shot:
//   pfopt::QpProblem qp{.P = P, .q = q, .A = A, .b = b, .lb = lb, .ub = ub};
//   pfopt::QpSummary summary;
//   auto solution = pfopt::SolveQp(qp, {}, &summary);
//   if (!solution) { /* bad input: solution.error().message() */ }
//   else if (summary.status == pfopt::QpStatus::kOptimal) { use(solution->x); }
//
// Usage, repeated solves of one P (the factorisation and the active set are kept):
//   pfopt::DenseQpSolver solver;
//   solver.Setup(qp, options);           // factorises P
//   solver.Solve(&solution, &summary);   // cold
//   solver.UpdateLinearTerm(q2);         // or UpdateBounds / UpdateRightHandSides
//   solver.Solve(&solution, &summary);   // warm: starts from the previous active set
#ifndef PFOPT_SOLVE_QP_H_
#define PFOPT_SOLVE_QP_H_

#include <memory>
#include <string>
#include <vector>

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt {

struct QpProblem {
  Matrix P;   // n x n, symmetric PSD. Only needs to be set; an empty P means P = 0 (an LP).
  Vector q;   // n. Defines n.
  Matrix A;   // m_eq x n (0 rows if none)
  Vector b;   // m_eq
  Matrix G;   // m_in x n (0 rows if none)
  Vector h;   // m_in
  Vector lb;  // n, or empty for -inf everywhere
  Vector ub;  // n, or empty for +inf everywhere

  Index num_variables() const { return q.size(); }
  // Checks sizes, finiteness (bounds may be infinite), lb <= ub, symmetry of P (relative
  // 1e-10) and that P has no negative diagonal. Messages name the field and the entry.
  Status Validate() const;
};

enum class QpStatus {
  kNotRun,             // Solve() was not called, or failed with an Error
  kOptimal,            // KKT conditions hold within the tolerances
  kOptimalInaccurate,  // stopped with residuals within 1e3 x the tolerances
  kPrimalInfeasible,   // no x satisfies the constraints; `infeasibility_certificate` set
  kDualInfeasible,     // the objective is unbounded below on the feasible set
  kMaxIterations,      // iteration limit reached before optimality
  kTimeLimit,          // time limit reached before optimality
  kNumericalError,     // the factorisations broke down (e.g. P not PSD)
};

template <>
struct EnumNames<QpStatus> {
  static constexpr std::array<std::pair<QpStatus, std::string_view>, 8> kNames{
      {{QpStatus::kNotRun, "not_run"},
       {QpStatus::kOptimal, "optimal"},
       {QpStatus::kOptimalInaccurate, "optimal_inaccurate"},
       {QpStatus::kPrimalInfeasible, "primal_infeasible"},
       {QpStatus::kDualInfeasible, "dual_infeasible"},
       {QpStatus::kMaxIterations, "max_iterations"},
       {QpStatus::kTimeLimit, "time_limit"},
       {QpStatus::kNumericalError, "numerical_error"}}};
};

struct QpOptions {
  // Primal feasibility tolerance: every constraint may be violated by at most
  // `primal_tolerance * max(1, |rhs|)`. Default 1e-9. Raise it for badly scaled data.
  double primal_tolerance = 1e-9;
  // Dual (stationarity) tolerance on ||P x + q + A'y + G'z + z_bounds||_inf relative to
  // max(1, ||q||_inf, ||P x||_inf). Also the sign tolerance of the multipliers. Default 1e-9.
  double dual_tolerance = 1e-9;
  // Limit on active-set changes over all outer iterations. Default 0 = 10 * (n + m_in) + 100.
  int max_iterations = 0;
  // Limit on proximal outer iterations (used only when P is singular/ill-conditioned).
  int max_proximal_iterations = 1000;
  // Proximal regularisation, used when P's Cholesky factor has a pivot below
  // `singular_pivot_tolerance * max diag P` (P singular or nearly so): the solver then solves a
  // sequence of problems with P + D, D diagonal, each pulled towards the previous answer, which
  // converges to the solution of the original problem (docs/qp_solver.md). D_ii is
  // proximal_rho * max diag P, or, for a variable with P_ii = 0, at least
  // linear_proximal_rho * ||q||_inf. Defaults 1e-7 and 1e-4; change only to trade speed
  // against robustness on badly scaled problems.
  double proximal_rho = 1e-7;
  double linear_proximal_rho = 1e-4;
  // Relative pivot size under which P counts as singular (then the proximal method is used).
  double singular_pivot_tolerance = 1e-11;
  // Relative size under which a new working-set row counts as linearly dependent.
  double dependency_tolerance = 1e-10;
  // Block additions: when the most violated constraint enters the working set, every other
  // constraint violated by at least this fraction of it (violations scaled by row norms)
  // enters with it. In (0, 1]; 1 = strictly one at a time (the classical method). Default
  // 0.25: measured ~40 % faster at n = 500..1000 (bench/README.md), same answers. Switched off
  // automatically within a solve if the dual objective stops decreasing.
  double block_addition_threshold = 0.25;
  // Wall-clock limit in seconds for one Solve(); 0 = none.
  double time_limit_seconds = 0.0;
  // After the active-set phase, refine the solution on the final active set with the original
  // (unregularised) P by iterative refinement. Leave on.
  bool refine = true;

  // Checks every field; the message names the field, its value and the rule broken.
  Status Validate() const;
};

struct QpSummary {
  QpStatus status = QpStatus::kNotRun;
  int iterations = 0;             // active-set changes (additions + removals), all outer iterations
  int proximal_iterations = 0;    // outer proximal iterations (0 when P is well conditioned)
  bool regularized = false;       // whether the proximal method was needed
  double objective = kNaN;        // 1/2 x'Px + q'x at the returned x
  double primal_residual = kNaN;  // max absolute constraint violation
  double dual_residual = kNaN;    // ||P x + q + A'y + G'z + z_bounds||_inf
  double complementarity = kNaN;  // max |multiplier * slack| over inequalities and bounds
  double setup_seconds = 0.0;     // factorisation time (Setup)
  double solve_seconds = 0.0;     // Solve time
  int active_constraints = 0;     // size of the final working set
  std::string message;            // detail of the outcome, e.g. what is infeasible

  // One line: status, iterations, residuals, times.
  std::string BriefReport() const;
};

// Working-set entry: which constraint is held at equality and on which side.
enum class ActiveSide : signed char { kLower = -1, kEquality = 0, kUpper = 1 };

struct QpActiveConstraint {
  enum class Kind : unsigned char { kBound, kEquality, kInequality };
  Kind kind = Kind::kBound;
  Index index = 0;  // variable (kBound), row of A (kEquality) or row of G (kInequality)
  ActiveSide side = ActiveSide::kUpper;
};

struct QpSolution {
  Vector x;         // primal solution (n); always within [lb, ub] exactly
  Vector y;         // multipliers of A x = b (m_eq)
  Vector z;         // multipliers of G x <= h (m_in), >= 0
  Vector z_bounds;  // bound multipliers (n): < 0 at an active lower bound, > 0 at an upper
  // Working set at the end (equalities, active inequalities and bounds): pass it back through
  // DenseQpSolver::SetWarmStart to start a related problem from it.
  std::vector<QpActiveConstraint> active_set;
  // kPrimalInfeasible only: a Farkas certificate, one multiplier per constraint (same layout
  // as y, z, z_bounds), such that the weighted sum of the constraints reads 0 <= negative.
  // The constraints with a nonzero entry are the ones that conflict.
  Vector certificate_y, certificate_z, certificate_bounds;
};

// Stateful solver: keeps the factorisation of P and the last working set, so that a sequence
// of related problems (same P and constraint matrices; new q, b, h, bounds) is solved from a
// warm start. Not thread-safe; use one solver per thread.
class DenseQpSolver {
 public:
  DenseQpSolver();
  ~DenseQpSolver();
  DenseQpSolver(DenseQpSolver&&) noexcept;
  DenseQpSolver& operator=(DenseQpSolver&&) noexcept;
  DenseQpSolver(const DenseQpSolver&) = delete;
  DenseQpSolver& operator=(const DenseQpSolver&) = delete;

  // Validates the problem and options and factorises P. Clears any warm start.
  Status Setup(const QpProblem& problem, const QpOptions& options = {});

  // Replace data that do not change the factorisation; sizes must match the Setup problem.
  // The working set of the previous solve is kept as the warm start.
  Status UpdateLinearTerm(const VectorRef& q);
  Status UpdateRightHandSides(const VectorRef& b, const VectorRef& h);
  Status UpdateBounds(const VectorRef& lb, const VectorRef& ub);

  // Start the next Solve from this working set (and primal point for the proximal method).
  // Entries that do not exist or are linearly dependent are dropped.
  Status SetWarmStart(const std::vector<QpActiveConstraint>& active_set, const Vector& x = {});
  void ClearWarmStart();

  // Solves; fills `solution` and `summary` (both required). The status is in `summary`; an
  // Error means the solver was not set up or the updated data were invalid.
  Status Solve(QpSolution* solution, QpSummary* summary);

  const QpOptions& options() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot convenience: Setup + Solve. `summary` may be null. Thread-safe; reuses a per-thread
// workspace between calls (problems of up to 2000 variables).
Result<QpSolution> SolveQp(const QpProblem& problem, const QpOptions& options = {},
                           QpSummary* summary = nullptr);

// KKT residuals of a candidate solution for `problem` (used by the solver and by tests that
// check optimality independently). Multipliers follow the sign conventions of QpSolution.
struct KktResiduals {
  double primal = 0.0;           // max constraint violation
  double dual = 0.0;             // ||P x + q + A'y + G'z + z_bounds||_inf
  double complementarity = 0.0;  // max |multiplier * slack|
  double dual_sign = 0.0;        // max wrong-sign multiplier magnitude
};
KktResiduals ComputeKktResiduals(const QpProblem& problem, const QpSolution& solution);

}  // namespace pfopt

#endif  // PFOPT_SOLVE_QP_H_
