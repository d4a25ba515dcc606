// A sequential quadratic programming (SQP) method for the scenario optimisers and the general
// optimiser (docs/scenario.md, "Method").
//
//   minimise   f(x)                      (or maximise a ratio N(x)/D(x), or a piecewise min)
//   subject to g_j(x) <= 0 / h_j(x) = 0  smooth constraints
//              psi_k(x) >= c_k           psi_k = min over pieces p of l_p(x) (CVaR)
//              A_eq x = b_eq, A_in x <= b_in, lb <= x <= ub
//
// Each iteration solves a convex QP (pfopt::DenseQpSolver) built from the gradients and the
// Hessian of the Lagrangian (exact, or damped BFGS), with the linear constraints and bounds
// kept exactly. A piecewise function enters the QP as cutting planes: the pieces met so far,
// linearised at the iterate; pieces are added while the QP's answer violates the model of
// psi at that answer (Kelley's method inside each QP, finite because there are finitely many
// pieces). When the pieces are linear (buy-and-hold CVaR, the mean of the k smallest of N
// linear functions) the cuts are valid everywhere and the model is exact at the QP answer.
// A ratio objective is maximised by Newton steps on the Dinkelbach function
// N - lambda D with lambda = N(x)/D(x) at the current iterate.
// Globalisation: l1 exact-penalty merit function, backtracking with a second-order
// correction. Convergence: the QP step is below the step tolerance and the constraints hold;
// then x satisfies the KKT conditions with the QP's multipliers.
#ifndef PFOPT_SCENARIO_SQP_H_
#define PFOPT_SCENARIO_SQP_H_

#include <functional>
#include <string>
#include <vector>

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/solve/qp.h"

namespace pfopt::scenario::internal {

// A twice differentiable function R^n -> R.
class SmoothFunction {
 public:
  virtual ~SmoothFunction() = default;
  // f(x); fills *gradient (size n) when it is not null.
  virtual double Evaluate(const Vector& x, Vector* gradient) = 0;
  // Adds scale * Hessian f(x) to *hessian. Called only when HasHessian().
  virtual void AddHessian(const Vector& x, double scale, Matrix* hessian);
  virtual bool HasHessian() const { return false; }
};

// psi(x) = min over a finite set of smooth pieces l_p(x).
class PiecewiseMinimum {
 public:
  virtual ~PiecewiseMinimum() = default;
  // psi(x) and the id of a minimising piece. Sets the linearisation point of PieceAt/Model.
  virtual double Evaluate(const Vector& x, int* piece) = 0;
  // psi(x) only (line searches); does not move the linearisation point.
  virtual double Value(const Vector& x) = 0;
  // l_p and its gradient at the linearisation point.
  virtual double PieceAt(int piece, Vector* gradient) = 0;
  // min_p [l_p(x0) + grad l_p(x0)'(z - x0)] at the linearisation point x0, and its minimiser.
  virtual double Model(const Vector& z, int* piece) = 0;
  // Whether every piece is linear (then Model(z) = psi(z) and the cuts are global).
  virtual bool LinearPieces() const = 0;
  // Adds scale * Hessian l_p(x) (nonlinear pieces only).
  virtual void AddPieceHessian(int piece, const Vector& x, double scale, Matrix* hessian);
};

enum class SqpObjectiveKind {
  kSmooth,        // minimise f
  kRatio,         // maximise numerator / denominator (denominator > 0)
  kPiecewiseMax,  // maximise psi
};

struct SqpSmoothConstraint {
  SmoothFunction* function = nullptr;  // g(x) <= 0, or h(x) = 0 when `equality`
  bool equality = false;
  std::string name;
  // Optional: g(x) = (x'Qx - limit^2) / (2 limit) exactly, Q PSD (a volatility cap). The first
  // such constraint is kept exactly in the subproblems (a QP with the multiplier found by a
  // one-dimensional search) instead of being linearised: every iterate then meets it, and the
  // steps do not overshoot the curved boundary.
  const Matrix* quadratic = nullptr;
  double limit = 0.0;
};

struct SqpPiecewiseConstraint {
  PiecewiseMinimum* function = nullptr;  // psi(x) >= lower
  double lower = 0.0;
  std::string name;
};

// Bounds and linear constraints, with the names used in messages.
struct LinearSet {
  Vector lower;  // n, may hold -inf
  Vector upper;  // n, may hold +inf
  Matrix a_eq;   // rows x n: a_eq x = b_eq
  Vector b_eq;
  Matrix a_in;  // rows x n: a_in x <= b_in
  Vector b_in;
  std::vector<std::string> eq_names, in_names;  // one per row
  std::vector<std::string> variable_names;      // one per variable
};

// The names of the constraints with a nonzero multiplier in a QP's infeasibility certificate:
// "lower/upper bound of <variable>" and the names of the equality and inequality rows
// (fallbacks "x<j>", "equality row <i>", "inequality row <i>" beyond the lists).
std::vector<std::string> CertificateNames(const QpSolution& solution,
                                          const std::vector<std::string>& variable_names,
                                          const std::vector<std::string>& eq_names,
                                          const std::vector<std::string>& in_names);

// min 1/2 x'Px + q'x over `set` (tolerances 1e-12).
Result<QpSolution> SolveOverLinearSet(const LinearSet& set, const Matrix& p, const Vector& q,
                                      QpSummary* summary);

// The point of `set` nearest to x0 (a QP). Returns false when the set is empty, with the
// names of the constraints in conflict (from the QP's infeasibility certificate).
bool ProjectOntoLinearSet(const LinearSet& set, const Vector& x0, Vector* x,
                          std::vector<std::string>* conflicting);

struct SqpProblem {
  Index num_variables = 0;
  SqpObjectiveKind objective_kind = SqpObjectiveKind::kSmooth;
  SmoothFunction* objective = nullptr;              // kSmooth
  SmoothFunction* numerator = nullptr;              // kRatio
  SmoothFunction* denominator = nullptr;            // kRatio
  PiecewiseMinimum* piecewise_objective = nullptr;  // kPiecewiseMax
  std::vector<SqpSmoothConstraint> smooth;
  std::vector<SqpPiecewiseConstraint> piecewise;
  LinearSet linear;
  // The caller asserts that the problem is convex (objective convex / ratio of a concave
  // nonnegative numerator and a convex positive denominator, g convex, h affine, pieces
  // linear): then Hessians are used as they are and an infeasible QP proves infeasibility.
  bool convex = false;
  // Use a damped BFGS approximation instead of the functions' Hessians.
  bool quasi_newton = false;
};

struct SqpOptions {
  double step_tolerance = 1e-10;         // ||dx||_inf at convergence, relative to max(1, ||x||)
  double feasibility_tolerance = 1e-10;  // nonlinear constraint violation at convergence
  double cut_tolerance = 1e-12;          // model violation that adds a cutting plane
  int max_iterations = 200;
  int max_cuts_per_iteration = 2000;
  double time_limit_seconds = 0.0;  // 0 = none
  // Called once per iteration: iteration, merit objective value (natural units, e.g. E for
  // maximisation problems), max violation.
  std::function<void(int, double, double)> progress;
};

enum class SqpStatus {
  kConverged,      // KKT point found
  kInfeasibleQp,   // a QP subproblem had no solution (with problem.convex: infeasible)
  kUnboundedQp,    // a QP subproblem was unbounded
  kMaxIterations,  // iteration limit
  kTimeLimit,      // time limit
  kLineSearch,     // no acceptable step (numerical trouble, or inaccurate gradients)
  kRatioAtOrigin,  // kRatio: the ratio grows as its denominator goes to 0 (no maximiser)
  kNumerical,      // non-finite values or QP failure
};

struct SqpResult {
  SqpStatus status = SqpStatus::kNumerical;
  Vector x;
  double objective = kNaN;  // f, N/D or psi at x (natural sense: the maximised value for max)
  int iterations = 0;
  int qp_solves = 0;
  int cuts = 0;                            // cutting planes generated, all functions together
  double max_violation = kNaN;             // nonlinear constraints at x
  double stationarity = kNaN;              // ||grad of the Lagrangian||_inf at x (QP multipliers)
  double step = kNaN;                      // last ||dx||_inf
  std::vector<double> smooth_multipliers;  // one per smooth constraint
  std::vector<double> piecewise_multipliers;  // one per piecewise constraint (sum over cuts)
  std::string message;                        // what happened, e.g. the conflicting constraints
  std::vector<std::string> conflicting;       // kInfeasibleQp: names of the rows in conflict
};

// Solves from x0 (which should satisfy the linear constraints and bounds; it is clipped to
// the bounds).
SqpResult SolveSqp(const SqpProblem& problem, const Vector& x0, const SqpOptions& options);

}  // namespace pfopt::scenario::internal

#endif  // PFOPT_SCENARIO_SQP_H_
