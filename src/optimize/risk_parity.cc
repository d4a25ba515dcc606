#include "pfopt/optimize/risk_parity.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "optimize/allocation_common.h"
#include "pfopt/solve/qp.h"

namespace pfopt {

namespace {

using Clock = std::chrono::steady_clock;
using internal::FormatValue;

// Up to this many assets every Newton system is solved by a fresh Cholesky factorisation (it
// costs less than the conjugate-gradient iterations it would replace).
constexpr Index kDirectSolveMaxAssets = 24;
// Newton decrement below which full steps are taken (the quadratic convergence region of a
// self-concordant function).
constexpr double kFullStepDecrement = 0.25;

enum class Outcome { kConverged, kMaxIterations, kNumericalError };

struct NewtonRun {
  Outcome outcome = Outcome::kNumericalError;
  int iterations = 0;
  std::string message;
};

// max_i |RC_i - b_i| with RC_i = x_i (Sigma x)_i / x'Sigma x.
double BudgetError(const Vector& x, const Vector& sx, const Vector& b) {
  const double v = x.dot(sx);
  return ((x.array() * sx.array()) / v - b.array()).abs().maxCoeff();
}

// Cholesky factorisation H = L L' in place, L in the lower triangle (the strict upper one is
// left as it was). Small matrices by the left-looking unblocked algorithm (column k of L from
// one matrix-vector product; no packing: several times faster than Eigen's blocked LLT up to a
// few hundred rows), larger ones by Eigen's blocked LLT. False if the matrix is not
// numerically positive definite.
bool CholeskyInPlace(Eigen::MatrixXf* matrix) {
  Eigen::MatrixXf& a = *matrix;
  const Index n = a.rows();
  if (n > 256) {
    Eigen::LLT<Eigen::Ref<Eigen::MatrixXf>> llt(a);
    return llt.info() == Eigen::Success;
  }
  // Left-looking by panels of kPanel columns: one matrix product brings a panel up to date
  // with the columns before it, then the panel's columns are factorised one by one.
  constexpr Index kPanel = 16;
  for (Index k0 = 0; k0 < n; k0 += kPanel) {
    const Index width = std::min(kPanel, n - k0);
    const Index rest = n - k0;
    if (k0 > 0) {
      a.block(k0, k0, rest, width).noalias() -=
          a.block(k0, 0, rest, k0) * a.block(k0, 0, width, k0).transpose();
    }
    for (Index k = k0; k < k0 + width; ++k) {
      const Index below = n - k;
      if (k > k0) {
        a.col(k).tail(below).noalias() -=
            a.block(k, k0, below, k - k0) * a.row(k).segment(k0, k - k0).transpose();
      }
      const float pivot = a(k, k);
      if (!(pivot > 0.0f) || !std::isfinite(pivot)) return false;
      const float root = std::sqrt(pivot);
      a(k, k) = root;
      a.col(k).tail(below - 1) /= root;
    }
  }
  return true;
}

// Spinu's problem min 1/2 x'Sigma x - b'ln x over x > 0 (every b_i > 0, sum b = 1), by damped
// Newton; `x` holds the start (> 0) and receives the solution.
//
// The Newton systems H d = -g, H = Sigma + diag(b / x^2): up to kDirectSolveMaxAssets assets by
// a Cholesky factorisation each time. Above, while the Newton decrement is large (the damped
// phase, where a rough direction is as good as an exact one) by conjugate gradients with a
// Jacobi preconditioner to a relative residual of 1/2; then by conjugate gradients
// preconditioned with a single-precision Cholesky factor of H at the first point of the
// quadratic phase (H changes little there, so two or three iterations reach the accuracy that
// keeps Newton's quadratic convergence; it is refactorised if they do not). The float factor
// halves the cost of the one O(n^3) step; the iteration itself stays in double precision.
class SpinuNewton {
 public:
  SpinuNewton(const MatrixRef& sigma, const Vector& b) : sigma_(sigma), b_(b), n_(b.size()) {}

  NewtonRun Solve(Vector* x_io, double tolerance, int max_iterations) {
    NewtonRun run;
    Vector& x = *x_io;
    // The best multiple of the start: argmin_t f(t x) is t = sqrt(sum b / x'Sigma x).
    Vector sx = sigma_ * x;
    const double start_risk = x.dot(sx);
    if (!(start_risk > 0.0) || !std::isfinite(start_risk)) {
      run.message =
          "the starting portfolio has no risk (x'Sigma x = " + FormatValue(start_risk) + ")";
      return run;
    }
    const double scale = std::sqrt(b_.sum() / start_risk);
    x *= scale;
    sx *= scale;
    const bool direct = n_ <= kDirectSolveMaxAssets;
    double last_decrement = kInfinity;
    double log_term = LogTerm(x, 0.0, x);  // b'ln x at the current x
    Vector g(n_), barrier(n_), d(n_), r(n_);
    for (;;) {
      if (run.iterations > 0) sx.noalias() = sigma_ * x;
      const double error = BudgetError(x, sx, b_);
      if (!std::isfinite(error)) {
        run.message = "the iterates left the domain (risk contributions are not finite)";
        return run;
      }
      if (error <= tolerance) {
        run.outcome = Outcome::kConverged;
        return run;
      }
      if (run.iterations >= max_iterations) {
        run.outcome = Outcome::kMaxIterations;
        run.message = "Newton stopped after " + std::to_string(run.iterations) +
                      " iterations with max |RC_i - b_i| = " + FormatValue(error);
        return run;
      }
      ++run.iterations;
      g = sx - (b_.array() / x.array()).matrix();
      barrier = (b_.array() / x.array().square()).matrix();
      bool solved = false;
      if (direct) {
        solved = SolveDirect(g, barrier, &d, &r);
      } else if (last_decrement > kFullStepDecrement) {
        Pcg(g, barrier, /*use_factor=*/false, /*relative_tolerance=*/0.5,
            static_cast<int>(std::min<Index>(n_, 500)), &d, &r);
        solved = true;
      } else {
        const double eta = std::min(1e-3, last_decrement * last_decrement);
        solved = (have_factor_ && Pcg(g, barrier, /*use_factor=*/true, eta, 6, &d, &r)) ||
                 (Factorise(barrier) && Pcg(g, barrier, /*use_factor=*/true, eta, 20, &d, &r));
      }
      if (!solved) {
        run.message = "the Newton matrix Sigma + diag(b / x^2) is not positive definite";
        return run;
      }
      const double decrement = std::sqrt(std::max(0.0, -g.dot(d)));
      last_decrement = decrement;
      // d'Sigma d from the solver's residual r = -g - H d, without another product.
      const double d_sigma_d = -g.dot(d) - d.dot(r) - d.dot(barrier.cwiseProduct(d));
      double t = decrement > kFullStepDecrement ? 1.0 / (1.0 + decrement) : 1.0;
      for (Index i = 0; i < n_; ++i) {
        if (d[i] < 0.0) t = std::min(t, -0.95 * x[i] / d[i]);
      }
      const double x_sx = x.dot(sx);
      const double d_sx = d.dot(sx);
      const double f0 = 0.5 * x_sx - log_term;
      const double slope = g.dot(d);
      bool accepted = false;
      double trial_log_term = 0.0;
      for (int halving = 0; halving < 60; ++halving) {
        const double f = Objective(x, x_sx, d_sx, d_sigma_d, t, d, &trial_log_term);
        if (f <= f0 + 1e-4 * t * slope || std::abs(f - f0) <= 1e-15 * std::abs(f0)) {
          accepted = true;
          break;
        }
        t *= 0.5;
      }
      if (!accepted) {
        run.message = "the line search failed (max |RC_i - b_i| = " + FormatValue(error) + ")";
        run.outcome = error <= 1e3 * tolerance ? Outcome::kConverged : Outcome::kNumericalError;
        return run;
      }
      log_term = trial_log_term;
      x += t * d;
    }
  }

 private:
  // 1/2 (x + t d)'Sigma (x + t d) - b'ln(x + t d), from x'Sigma x, d'Sigma x and d'Sigma d;
  // `log_term` receives b'ln(x + t d).
  double Objective(const Vector& x, double x_sx, double d_sx, double d_sigma_d, double t,
                   const Vector& d, double* log_term) const {
    const double quadratic = 0.5 * (x_sx + 2.0 * t * d_sx + t * t * d_sigma_d);
    *log_term = LogTerm(x, t, d);
    return quadratic - *log_term;
  }

  // b'ln(x + t d); -inf outside the domain.
  double LogTerm(const Vector& x, double t, const Vector& d) const {
    double sum = 0.0;
    for (Index i = 0; i < n_; ++i) {
      const double xi = x[i] + t * d[i];
      if (!(xi > 0.0)) return -kInfinity;
      sum += b_[i] * std::log(xi);
    }
    return sum;
  }

  // Exact solve by a double-precision Cholesky factorisation (small n). r = 0.
  bool SolveDirect(const Vector& g, const Vector& barrier, Vector* d, Vector* r) {
    work_ = sigma_;
    work_.diagonal() += barrier;
    Eigen::LLT<Eigen::Ref<Matrix>> llt(work_);
    if (llt.info() != Eigen::Success) return false;
    *d = llt.solve(-g);
    r->setZero();
    return d->allFinite();
  }

  // Whether Sigma's entries are well inside float's range (each variance above 1e-30, no
  // entry above 1e30), so that products with sigma_float_ lose only precision; makes
  // sigma_float_ on the first call.
  bool SingleProductsSafe() {
    if (!single_safe_) {
      const double largest = sigma_.cwiseAbs().maxCoeff();
      single_safe_ = largest <= 1e30 && sigma_.diagonal().minCoeff() >= 1e-30;
      if (*single_safe_) sigma_float_ = sigma_.cast<float>();
    }
    return *single_safe_;
  }

  // Single-precision Cholesky factor of H at the current point, in place.
  bool Factorise(const Vector& barrier) {
    if (SingleProductsSafe()) {
      factor_ = sigma_float_;  // allocates on the first call only
    } else {
      factor_ = sigma_.cast<float>();
    }
    factor_.diagonal() += barrier.cast<float>();
    have_factor_ = CholeskyInPlace(&factor_);
    return have_factor_;
  }

  // Preconditioned CG on (Sigma + diag(barrier)) d = -g from d = 0; true if the residual fell
  // below relative_tolerance * ||g||.
  bool Pcg(const Vector& g, const Vector& barrier, bool use_factor, double relative_tolerance,
           int max_iterations, Vector* d_out, Vector* r_out) {
    Vector& d = *d_out;
    Vector& r = *r_out;
    d.setZero();
    r = -g;
    inverse_diagonal_ = (sigma_.diagonal() + barrier).cwiseInverse();
    auto precondition = [&](const Vector& v, Vector* z) {
      if (use_factor) {
        work_float_ = v.cast<float>();
        factor_.triangularView<Eigen::Lower>().solveInPlace(work_float_);
        factor_.triangularView<Eigen::Lower>().transpose().solveInPlace(work_float_);
        *z = work_float_.cast<double>();
      } else {
        *z = inverse_diagonal_.cwiseProduct(v);
      }
    };
    const double target = relative_tolerance * g.norm();
    precondition(r, &z_);
    p_ = z_;
    double rz = r.dot(z_);
    for (int it = 0; it < max_iterations; ++it) {
      if (use_factor || !SingleProductsSafe()) {
        hp_.noalias() = sigma_ * p_;
      } else {
        // The damped phase wants a rough direction (relative residual 1/2): the product with
        // the single-precision copy of Sigma (half the memory traffic) is accurate enough.
        p_float_ = p_.cast<float>();
        hp_float_.noalias() = sigma_float_ * p_float_;
        hp_ = hp_float_.cast<double>();
      }
      hp_ += barrier.cwiseProduct(p_);
      const double curvature = p_.dot(hp_);
      if (!(curvature > 0.0)) break;
      const double alpha = rz / curvature;
      d += alpha * p_;
      r -= alpha * hp_;
      if (r.norm() <= target) return true;
      precondition(r, &z_);
      const double rz_next = r.dot(z_);
      p_ = z_ + (rz_next / rz) * p_;
      rz = rz_next;
    }
    return r.norm() <= target;
  }

  MatrixRef sigma_;
  const Vector& b_;
  Index n_;
  Matrix work_;
  Eigen::MatrixXf factor_;  // lower triangle: the Cholesky factor L of H = L L'
  Eigen::VectorXf work_float_;
  std::optional<bool> single_safe_;  // SingleProductsSafe(), once known
  Eigen::MatrixXf sigma_float_;      // Sigma in single precision, if SingleProductsSafe()
  Eigen::VectorXf p_float_, hp_float_;
  bool have_factor_ = false;
  Vector inverse_diagonal_, z_, p_, hp_;
};

// The bounded problem at a given lambda: min 1/2 x'Sigma x + c'x - lambda sum b_i ln x_i over
// lo <= x <= hi, by Newton steps that are box-constrained QPs, backtracked on the objective.
// Assets with b_i = 0 are not variables: they sit at their lower bounds, and c = Sigma_AF x_F
// carries their covariance with the others.
class BoxedNewton {
 public:
  BoxedNewton(const Matrix& sigma, const Vector& linear, const Vector& b, const Vector& lo,
              const Vector& hi)
      : sigma_(sigma), linear_(linear), b_(b), lo_(lo), hi_(hi), n_(b.size()) {}

  // `x` (inside the box, > 0) is the start and the answer.
  NewtonRun Solve(double lambda, Vector* x_io, int max_iterations) {
    NewtonRun run;
    Vector& x = *x_io;
    QpProblem qp;
    qp.q.resize(n_);
    qp.lb.resize(n_);
    qp.ub.resize(n_);
    for (;;) {
      const Vector sx = sigma_ * x + linear_;
      const Vector lb_over_x = (lambda * b_.array() / x.array()).matrix();
      const Vector g = sx - lb_over_x;
      const Vector barrier = lb_over_x.cwiseQuotient(x);
      qp.P = sigma_;
      qp.P.diagonal() += barrier;
      qp.q = g;
      // Steps keep x_i >= 5 % of its value: the barrier keeps the solution away from 0.
      qp.lb = lo_.cwiseMax(0.05 * x) - x;
      qp.ub = hi_ - x;
      QpSummary summary;
      auto step = SolveQp(qp, QpOptions{}, &summary);
      if (!step || (summary.status != QpStatus::kOptimal &&
                    summary.status != QpStatus::kOptimalInaccurate)) {
        run.message = "a Newton step (box-constrained QP) failed: " +
                      (step ? summary.BriefReport() : step.error().message());
        return run;
      }
      const Vector& d = step->x;
      ++run.iterations;
      const Vector sd = sigma_ * d;
      auto objective = [&](double t) {
        double barrier_sum = 0.0;
        for (Index i = 0; i < n_; ++i) barrier_sum += b_[i] * std::log(x[i] + t * d[i]);
        // 1/2 y'Sigma y + c'y at y = x + t d, with sx = Sigma x + c.
        return 0.5 * (x.dot(sx) + x.dot(linear_) + 2.0 * t * d.dot(sx) + t * t * d.dot(sd)) -
               lambda * barrier_sum;
      };
      const double f0 = objective(0.0);
      const double slope = g.dot(d);
      double t = 1.0;
      while (t > 1e-12 && objective(t) > f0 + 1e-4 * t * slope &&
             std::abs(objective(t) - f0) > 1e-15 * std::abs(f0)) {
        t *= 0.5;
      }
      x = (x + t * d).cwiseMax(lo_).cwiseMin(hi_);
      const double size = d.cwiseAbs().maxCoeff();
      if (t == 1.0 && size <= 1e-14 * x.cwiseAbs().maxCoeff()) {
        run.outcome = Outcome::kConverged;
        return run;
      }
      if (run.iterations >= max_iterations) {
        run.outcome = Outcome::kMaxIterations;
        run.message = "bounded risk budgeting: Newton stopped after " +
                      std::to_string(run.iterations) + " iterations";
        return run;
      }
    }
  }

 private:
  const Matrix& sigma_;
  const Vector& linear_;
  const Vector& b_;
  const Vector& lo_;
  const Vector& hi_;
  Index n_;
};

OptimizationStatus StatusOf(Outcome outcome) {
  switch (outcome) {
    case Outcome::kConverged:
      return OptimizationStatus::kOptimal;
    case Outcome::kMaxIterations:
      return OptimizationStatus::kMaxIterations;
    case Outcome::kNumericalError:
      return OptimizationStatus::kNumericalError;
  }
  return OptimizationStatus::kNumericalError;
}

Matrix Submatrix(const Matrix& m, const std::vector<Index>& index) {
  const Index k = static_cast<Index>(index.size());
  Matrix out(k, k);
  for (Index j = 0; j < k; ++j)
    for (Index i = 0; i < k; ++i)
      out(i, j) = m(index[static_cast<std::size_t>(i)], index[static_cast<std::size_t>(j)]);
  return out;
}

Vector Subvector(const Vector& v, const std::vector<Index>& index) {
  Vector out(static_cast<Index>(index.size()));
  for (std::size_t k = 0; k < index.size(); ++k) out[static_cast<Index>(k)] = v[index[k]];
  return out;
}

}  // namespace

Status RiskParityOptions::Validate() const {
  for (Index i = 0; i < budgets.size(); ++i) {
    if (!std::isfinite(budgets[i]) || budgets[i] < 0.0) {
      return InvalidArgument("budgets[" + std::to_string(i) + "] is " + FormatValue(budgets[i]) +
                                 "; risk budgets must be finite and >= 0",
                             "budgets");
    }
  }
  if (budgets.size() > 0 && !(budgets.sum() > 0.0)) {
    return InvalidArgument("the risk budgets sum to 0; at least one must be positive", "budgets");
  }
  if (!(tolerance > 0.0 && tolerance <= 1e-3)) {
    return InvalidArgument("tolerance is " + FormatValue(tolerance) + "; it must be in (0, 1e-3]",
                           "tolerance");
  }
  if (max_iterations < 1) {
    return InvalidArgument(
        "max_iterations is " + std::to_string(max_iterations) + "; it must be >= 1",
        "max_iterations");
  }
  if (!initial_weights.allFinite()) {
    return InvalidArgument("initial_weights must be finite", "initial_weights");
  }
  if (!std::isfinite(risk_free_rate)) {
    return InvalidArgument("risk_free_rate must be finite", "risk_free_rate");
  }
  if (!(std::isfinite(constraint_tolerance) && constraint_tolerance > 0.0)) {
    return InvalidArgument("constraint_tolerance must be a finite number > 0",
                           "constraint_tolerance");
  }
  return Ok();
}

Result<Vector> RiskContributions(const VectorRef& weights, const MatrixRef& covariance) {
  PFOPT_RETURN_IF_ERROR(
      internal::CheckSquareOfSize(covariance, weights.size(), "covariance", "weights"));
  const Vector sw = covariance * weights;
  const double variance = weights.dot(sw);
  if (!(variance > 0.0)) {
    return InvalidArgument("the portfolio variance is " + FormatValue(variance) +
                               "; risk contributions need a portfolio with risk",
                           "weights");
  }
  return Vector((weights.array() * sw.array()) / variance);
}

Result<RiskParityResult> OptimizeRiskParity(const PortfolioProblem& problem,
                                            const RiskParityOptions& options) {
  PFOPT_RETURN_IF_ERROR(problem.Validate());
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const PortfolioConstraints& c = problem.constraints;
  PFOPT_RETURN_IF_ERROR(internal::RejectNonBoxConstraints(c, "risk parity"));
  const Index n = problem.num_assets();
  const Matrix& sigma = problem.covariance;
  if (options.budgets.size() != 0 && options.budgets.size() != n) {
    return DimensionMismatch("budgets has " + std::to_string(options.budgets.size()) +
                                 " entries for " + std::to_string(n) + " assets",
                             "budgets");
  }
  if (options.initial_weights.size() != 0 && options.initial_weights.size() != n) {
    return DimensionMismatch("initial_weights has " +
                                 std::to_string(options.initial_weights.size()) + " entries for " +
                                 std::to_string(n) + " assets",
                             "initial_weights");
  }
  const Vector lower = EffectiveLowerBounds(c, n);
  const Vector upper = EffectiveUpperBounds(c, n);
  for (Index i = 0; i < n; ++i) {
    if (lower[i] < 0.0) {
      return InvalidArgument("risk parity is long-only: the minimum weight of '" +
                                 problem.assets[static_cast<std::size_t>(i)] + "' is " +
                                 FormatValue(lower[i]) + "; it must be >= 0",
                             "lower_bounds");
    }
  }
  Vector budgets = options.budgets.size() == n ? options.budgets : Vector::Ones(n);
  budgets /= budgets.sum();
  std::vector<Index> active;  // assets with a positive budget
  for (Index i = 0; i < n; ++i) {
    if (budgets[i] > 0.0) {
      active.push_back(i);
      if (!(sigma(i, i) > 0.0)) {
        return InvalidArgument("asset '" + problem.assets[static_cast<std::size_t>(i)] +
                                   "' has a positive risk budget but variance " +
                                   FormatValue(sigma(i, i)) +
                                   "; its risk contribution cannot reach its budget",
                               "covariance");
      }
      if (options.initial_weights.size() == n && !(options.initial_weights[i] > 0.0)) {
        return InvalidArgument("initial_weights[" + std::to_string(i) +
                                   "] must be > 0 (the asset has a positive budget)",
                               "initial_weights");
      }
    }
  }

  const auto start = Clock::now();
  RiskParityResult result;
  result.budgets = budgets;
  result.status = OptimizationStatus::kOptimal;
  auto finish = [&](Vector weights) -> Result<RiskParityResult> {
    if (HasSolution(result.status)) {
      auto rc = RiskContributions(weights, sigma);
      if (!rc) return tl::unexpected(rc.error());
      result.risk_contributions = *rc;
      result.objective_value = (*rc - budgets).cwiseAbs().maxCoeff();
      // The common RC_i / b_i of the assets strictly inside their bounds.
      double ratio = kNaN;
      for (Index i : active) {
        const double slack = 1e-9 * std::max(1.0, std::abs(weights[i]));
        if (weights[i] > lower[i] + slack && weights[i] < upper[i] - slack) {
          ratio = (*rc)[i] / budgets[i];
          break;
        }
      }
      result.budget_ratio = ratio;
      PFOPT_RETURN_IF_ERROR(internal::FinishAllocation(problem, options.risk_free_rate,
                                                       options.constraint_tolerance,
                                                       std::move(weights), &result));
    }
    result.solve_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return result;
  };
  if (!internal::BoundsAdmitBudget(lower, upper, c.budget, &result)) return finish(Vector());

  // The covariance of the assets with a positive budget (all of them, usually: no copy then).
  const bool all_active = static_cast<Index>(active.size()) == n;
  Matrix sigma_subset;
  if (!all_active) sigma_subset = Submatrix(sigma, active);
  const Matrix& sigma_active = all_active ? sigma : sigma_subset;
  const Vector b_active = Subvector(budgets, active);
  const Index m = static_cast<Index>(active.size());
  Vector x = options.initial_weights.size() == n
                 ? Subvector(options.initial_weights, active)
                 : Vector((b_active.array() / sigma_active.diagonal().array().sqrt()).matrix());

  // 1. Without bounds.
  SpinuNewton newton(sigma_active, b_active);
  NewtonRun run = newton.Solve(&x, options.tolerance, options.max_iterations);
  result.iterations = run.iterations;
  if (run.outcome != Outcome::kConverged) {
    result.status = StatusOf(run.outcome);
    result.message =
        "risk parity did not converge: " + run.message +
        (run.outcome == Outcome::kNumericalError ? " (is a combination of the assets riskless?)"
                                                 : "");
    return finish(Vector());
  }
  Vector weights = Vector::Zero(n);
  const double total = x.sum();
  for (Index k = 0; k < m; ++k)
    weights[active[static_cast<std::size_t>(k)]] = c.budget * x[k] / total;
  const double slack = 1e-12 * c.budget;
  bool inside = true;
  for (Index i = 0; i < n && inside; ++i) {
    inside = weights[i] >= lower[i] - slack && weights[i] <= upper[i] + slack;
  }
  if (inside) {
    for (Index i = 0; i < n; ++i) weights[i] = std::clamp(weights[i], lower[i], upper[i]);
    return finish(std::move(weights));
  }

  // 2. With bounds: assets with budget 0 sit at their lower bounds; the others solve the
  // bounded problem, with lambda such that the weights sum to the budget.
  result.bounds_bind = true;
  const Vector lo = Subvector(lower, active);
  const Vector hi = Subvector(upper, active);
  double fixed = 0.0;
  for (Index i = 0; i < n; ++i) {
    if (budgets[i] == 0.0) fixed += lower[i];
  }
  const double target = c.budget - fixed;
  weights = lower;
  if (hi.sum() <= target * (1.0 + 1e-12) || lo.sum() >= target * (1.0 - 1e-12)) {
    // The bounds leave a single point (every asset at its upper, or lower, bound).
    const Vector& only = hi.sum() <= target * (1.0 + 1e-12) ? hi : lo;
    for (Index k = 0; k < m; ++k) weights[active[static_cast<std::size_t>(k)]] = only[k];
    result.message = "optimal (the bounds leave a single portfolio)";
    return finish(std::move(weights));
  }
  Vector linear = Vector::Zero(m);  // Sigma_AF x_F of the assets held at their lower bounds
  for (Index i = 0; i < n; ++i) {
    if (budgets[i] != 0.0) continue;
    for (Index k = 0; k < m; ++k)
      linear[k] += sigma(active[static_cast<std::size_t>(k)], i) * lower[i];
  }
  BoxedNewton boxed(sigma_active, linear, b_active, lo, hi);
  // Unbounded, x(lambda) = sqrt(lambda) x(1): s = sqrt(lambda) is the natural search variable.
  Vector x_unbounded = x / std::sqrt(x.dot(sigma_active * x));  // x(1) for sum b = 1
  Vector x_s;
  auto evaluate = [&](double s, Vector* x_out, double* gap) -> Outcome {
    Vector start_x = (s * x_unbounded).cwiseMax(lo).cwiseMin(hi);
    if (x_out->size() == m) start_x = *x_out;
    start_x = start_x.cwiseMax(lo.cwiseMax(Vector::Constant(m, 1e-300))).cwiseMin(hi);
    NewtonRun inner = boxed.Solve(s * s, &start_x, options.max_iterations);
    result.iterations += inner.iterations;
    if (inner.outcome != Outcome::kConverged) {
      result.message = inner.message;
      return inner.outcome;
    }
    *x_out = start_x;
    *gap = start_x.sum() - target;
    return Outcome::kConverged;
  };
  double s_lo = 0.0, s_hi = 0.0, gap_lo = 0.0, gap_hi = 0.0;
  double s = target / x_unbounded.sum();
  double gap = 0.0;
  Vector x_lo, x_hi;
  Outcome outcome = evaluate(s, &x_s, &gap);
  if (outcome != Outcome::kConverged) {
    result.status = StatusOf(outcome);
    return finish(Vector());
  }
  // Bracket the root of gap(s) = sum x(s^2) - target (increasing in s): halve s while the
  // gap is positive, or double it while it is negative.
  s_lo = s_hi = s;
  gap_lo = gap_hi = gap;
  x_lo = x_hi = x_s;
  const bool downward = gap > 0.0;
  double& s_far = downward ? s_lo : s_hi;
  double& gap_far = downward ? gap_lo : gap_hi;
  Vector& x_far = downward ? x_lo : x_hi;
  double& s_near = downward ? s_hi : s_lo;
  double& gap_near = downward ? gap_hi : gap_lo;
  Vector& x_near = downward ? x_hi : x_lo;
  const double factor = downward ? 0.5 : 2.0;
  for (int i = 0; i < 200 && (downward ? gap_far > 0.0 : gap_far < 0.0); ++i) {
    s_near = s_far;
    gap_near = gap_far;
    x_near = x_far;
    s_far *= factor;
    Vector trial = x_far * factor;
    outcome = evaluate(s_far, &trial, &gap_far);
    if (outcome != Outcome::kConverged) break;
    x_far = trial;
  }
  if (outcome != Outcome::kConverged) {
    result.status = StatusOf(outcome);
    return finish(Vector());
  }
  // Illinois (modified regula falsi) on the bracket.
  Vector best = std::abs(gap_lo) < std::abs(gap_hi) ? x_lo : x_hi;
  double best_gap = std::min(std::abs(gap_lo), std::abs(gap_hi));
  int side = 0;
  for (int i = 0; i < 200 && best_gap > 1e-15 * target; ++i) {
    double s_new = (s_lo * gap_hi - s_hi * gap_lo) / (gap_hi - gap_lo);
    if (!(s_new > s_lo && s_new < s_hi)) s_new = 0.5 * (s_lo + s_hi);
    if (s_hi - s_lo <= 1e-16 * s_hi) break;
    // Warm start: the nearer end of the bracket, scaled like the unbounded solution.
    const bool near_lo = s_new - s_lo < s_hi - s_new;
    Vector trial = near_lo ? Vector(x_lo * (s_new / s_lo)) : Vector(x_hi * (s_new / s_hi));
    double gap_new = 0.0;
    outcome = evaluate(s_new, &trial, &gap_new);
    if (outcome != Outcome::kConverged) {
      result.status = StatusOf(outcome);
      return finish(Vector());
    }
    if (std::abs(gap_new) < best_gap) {
      best = trial;
      best_gap = std::abs(gap_new);
    }
    if (gap_new < 0.0) {
      s_lo = s_new;
      gap_lo = gap_new;
      x_lo = trial;
      if (side == -1) gap_hi *= 0.5;
      side = -1;
    } else {
      s_hi = s_new;
      gap_hi = gap_new;
      x_hi = trial;
      if (side == 1) gap_lo *= 0.5;
      side = 1;
    }
  }
  if (best_gap > 1e-10 * target) {
    result.warnings.push_back("bounded risk budgeting: the weights miss the budget by " +
                              FormatValue(best_gap));
  }
  for (Index k = 0; k < m; ++k) weights[active[static_cast<std::size_t>(k)]] = best[k];
  return finish(std::move(weights));
}

}  // namespace pfopt
