// Dual active-set QP solver. See include/pfopt/solve/qp.h for the contract and
// docs/qp_solver.md for the method.
//
// Notation. H = P + rho I = L L' (L lower triangular; rho = 0 unless P is singular or badly
// conditioned, then proximal outer iterations recover the solution of the unregularised
// problem). Every constraint c is a row a_c (a bound is e_i) held, when in the working set W, at
// a_c'x = beta_c. With m_c = L^-1 a_c, v = L^-1 f (f the linear term), u = L'x + v, the
// stationarity H x + f + sum_W lambda_c a_c = 0 reads u = -M_W' lambda and the working-set
// equations read S lambda = -d with S = M_W M_W' and d_c = beta_c + m_c'v. The method is a
// primal active-set method on the dual (Arnstroem, Bemporad & Axehill, 2022): lambda stays
// dual feasible (lambda_c >= 0 at an upper side, <= 0 at a lower side, free for equalities),
// constraints violated by the primal point enter W one at a time, and constraints whose
// multiplier would change sign leave it. S is kept as an LDL' factorisation updated in O(k^2).
#include <Eigen/Cholesky>
#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>

#include "pfopt/solve/qp.h"
#include "solve/ldl.h"

namespace pfopt {

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string FormatDouble(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

bool AllFinite(const VectorRef& v) { return v.allFinite(); }

Status CheckVectorSize(const Vector& v, Index expected, const char* name, bool allow_empty) {
  if (allow_empty && v.size() == 0) return Ok();
  if (v.size() != expected) {
    return DimensionMismatch(std::string(name) + " has " + std::to_string(v.size()) +
                                 " entries, expected " + std::to_string(expected),
                             name);
  }
  return Ok();
}

Status CheckFinite(const MatrixRef& m, const char* name) {
  if (m.allFinite()) return Ok();
  for (Index j = 0; j < m.cols(); ++j) {
    for (Index i = 0; i < m.rows(); ++i) {
      if (!std::isfinite(m(i, j))) {
        return InvalidArgument(std::string(name) + "(" + std::to_string(i) + "," +
                                   std::to_string(j) + ") is " + FormatDouble(m(i, j)) +
                                   "; every entry must be finite",
                               name);
      }
    }
  }
  return Ok();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Validation and reporting.

Status QpProblem::Validate() const {
  const Index n = q.size();
  if (n == 0) return InvalidArgument("the problem has no variables (q is empty)", "q");
  PFOPT_RETURN_IF_ERROR(CheckFinite(q, "q"));
  if (P.size() != 0) {
    if (P.rows() != n || P.cols() != n) {
      return DimensionMismatch("P is " + std::to_string(P.rows()) + "x" + std::to_string(P.cols()) +
                                   ", expected " + std::to_string(n) + "x" + std::to_string(n) +
                                   " (q has " + std::to_string(n) + " entries)",
                               "P");
    }
    PFOPT_RETURN_IF_ERROR(CheckFinite(P, "P"));
    for (Index j = 0; j < n; ++j) {
      if (P(j, j) < 0.0) {
        return InvalidArgument("P(" + std::to_string(j) + "," + std::to_string(j) +
                                   ") = " + FormatDouble(P(j, j)) +
                                   " is negative; P must be positive semidefinite",
                               "P");
      }
    }
    // Symmetry, block by block so that both triangles are read cache-friendly.
    const double tolerance = 1e-10 * std::max(1.0, P.diagonal().cwiseAbs().maxCoeff());
    constexpr Index kBlock = 64;
    for (Index j0 = 0; j0 < n; j0 += kBlock) {
      const Index bj = std::min(kBlock, n - j0);
      for (Index i0 = j0; i0 < n; i0 += kBlock) {
        const Index bi = std::min(kBlock, n - i0);
        const double gap =
            (P.block(i0, j0, bi, bj) - P.block(j0, i0, bj, bi).transpose()).cwiseAbs().maxCoeff();
        if (gap <= tolerance) continue;
        for (Index j = j0; j < j0 + bj; ++j) {
          for (Index i = i0; i < i0 + bi; ++i) {
            if (std::abs(P(i, j) - P(j, i)) > tolerance) {
              return InvalidArgument("P is not symmetric: P(" + std::to_string(i) + "," +
                                         std::to_string(j) + ") = " + FormatDouble(P(i, j)) +
                                         " but P(" + std::to_string(j) + "," + std::to_string(i) +
                                         ") = " + FormatDouble(P(j, i)),
                                     "P");
            }
          }
        }
      }
    }
  }
  if (A.rows() > 0 && A.cols() != n) {
    return DimensionMismatch(
        "A has " + std::to_string(A.cols()) + " columns, expected " + std::to_string(n), "A");
  }
  if (b.size() != A.rows()) {
    return DimensionMismatch("b has " + std::to_string(b.size()) + " entries but A has " +
                                 std::to_string(A.rows()) + " rows",
                             "b");
  }
  if (G.rows() > 0 && G.cols() != n) {
    return DimensionMismatch(
        "G has " + std::to_string(G.cols()) + " columns, expected " + std::to_string(n), "G");
  }
  if (h.size() != G.rows()) {
    return DimensionMismatch("h has " + std::to_string(h.size()) + " entries but G has " +
                                 std::to_string(G.rows()) + " rows",
                             "h");
  }
  PFOPT_RETURN_IF_ERROR(CheckFinite(A, "A"));
  PFOPT_RETURN_IF_ERROR(CheckFinite(b, "b"));
  PFOPT_RETURN_IF_ERROR(CheckFinite(G, "G"));
  PFOPT_RETURN_IF_ERROR(CheckFinite(h, "h"));
  PFOPT_RETURN_IF_ERROR(CheckVectorSize(lb, n, "lb", true));
  PFOPT_RETURN_IF_ERROR(CheckVectorSize(ub, n, "ub", true));
  for (Index i = 0; i < lb.size(); ++i) {
    if (std::isnan(lb[i]) || lb[i] == kInfinity) {
      return InvalidArgument("lb(" + std::to_string(i) + ") is " + FormatDouble(lb[i]) +
                                 "; a lower bound must be a number or -inf",
                             "lb");
    }
  }
  for (Index i = 0; i < ub.size(); ++i) {
    if (std::isnan(ub[i]) || ub[i] == -kInfinity) {
      return InvalidArgument("ub(" + std::to_string(i) + ") is " + FormatDouble(ub[i]) +
                                 "; an upper bound must be a number or +inf",
                             "ub");
    }
  }
  if (lb.size() > 0 && ub.size() > 0) {
    for (Index i = 0; i < n; ++i) {
      if (lb[i] > ub[i]) {
        return InvalidArgument("lb(" + std::to_string(i) + ") = " + FormatDouble(lb[i]) +
                                   " is greater than ub(" + std::to_string(i) +
                                   ") = " + FormatDouble(ub[i]),
                               "lb");
      }
    }
  }
  return Ok();
}

Status QpOptions::Validate() const {
  auto positive = [](double value, const char* name) -> Status {
    if (!(value > 0.0) || !std::isfinite(value)) {
      return InvalidArgument(std::string("QpOptions.") + name + " = " + FormatDouble(value) +
                                 " must be a finite number > 0",
                             name);
    }
    return Ok();
  };
  PFOPT_RETURN_IF_ERROR(positive(primal_tolerance, "primal_tolerance"));
  PFOPT_RETURN_IF_ERROR(positive(dual_tolerance, "dual_tolerance"));
  PFOPT_RETURN_IF_ERROR(positive(proximal_rho, "proximal_rho"));
  PFOPT_RETURN_IF_ERROR(positive(linear_proximal_rho, "linear_proximal_rho"));
  PFOPT_RETURN_IF_ERROR(positive(singular_pivot_tolerance, "singular_pivot_tolerance"));
  PFOPT_RETURN_IF_ERROR(positive(dependency_tolerance, "dependency_tolerance"));
  if (!(block_addition_threshold > 0.0 && block_addition_threshold <= 1.0)) {
    return InvalidArgument("QpOptions.block_addition_threshold = " +
                               FormatDouble(block_addition_threshold) + " must be in (0, 1]",
                           "block_addition_threshold");
  }
  if (max_iterations < 0) {
    return InvalidArgument("QpOptions.max_iterations = " + std::to_string(max_iterations) +
                               " must be >= 0 (0 = automatic)",
                           "max_iterations");
  }
  if (max_proximal_iterations < 1) {
    return InvalidArgument("QpOptions.max_proximal_iterations = " +
                               std::to_string(max_proximal_iterations) + " must be >= 1",
                           "max_proximal_iterations");
  }
  if (!(time_limit_seconds >= 0.0) || !std::isfinite(time_limit_seconds)) {
    return InvalidArgument("QpOptions.time_limit_seconds = " + FormatDouble(time_limit_seconds) +
                               " must be >= 0 (0 = no limit)",
                           "time_limit_seconds");
  }
  return Ok();
}

std::string QpSummary::BriefReport() const {
  std::ostringstream out;
  out << "QP " << EnumToString(status) << ": iterations " << iterations;
  if (regularized) out << " (proximal " << proximal_iterations << ")";
  out << ", objective " << FormatDouble(objective) << ", residuals primal "
      << FormatDouble(primal_residual) << " dual " << FormatDouble(dual_residual) << ", active "
      << active_constraints << ", setup " << FormatDouble(setup_seconds * 1e3) << " ms, solve "
      << FormatDouble(solve_seconds * 1e3) << " ms";
  if (!message.empty()) out << "; " << message;
  return out.str();
}

namespace {

// KKT residuals given P x (so that the solver can use its own product with P).
KktResiduals ResidualsGivenPx(const QpProblem& problem, const Vector& px,
                              const QpSolution& solution) {
  KktResiduals r;
  const Index n = problem.q.size();
  const Vector& x = solution.x;
  Vector grad = problem.q + px;
  if (problem.A.rows() > 0) {
    grad.noalias() += problem.A.transpose() * solution.y;
    r.primal = std::max(r.primal, (problem.A * x - problem.b).cwiseAbs().maxCoeff());
  }
  if (problem.G.rows() > 0) {
    grad.noalias() += problem.G.transpose() * solution.z;
    const Vector slack = problem.h - problem.G * x;
    for (Index i = 0; i < slack.size(); ++i) {
      r.primal = std::max(r.primal, -slack[i]);
      r.complementarity =
          std::max(r.complementarity, std::abs(solution.z[i] * std::max(0.0, slack[i])));
      r.dual_sign = std::max(r.dual_sign, -solution.z[i]);
    }
  }
  grad += solution.z_bounds;
  for (Index i = 0; i < n; ++i) {
    const double lo = problem.lb.size() ? problem.lb[i] : -kInfinity;
    const double hi = problem.ub.size() ? problem.ub[i] : kInfinity;
    r.primal = std::max({r.primal, lo - x[i], x[i] - hi});
    const double zb = solution.z_bounds[i];
    if (zb < 0.0) {  // lower bound multiplier
      r.complementarity = std::max(r.complementarity, std::abs(zb) * std::abs(x[i] - lo));
      if (lo == -kInfinity) r.dual_sign = std::max(r.dual_sign, -zb);
    } else if (zb > 0.0) {
      r.complementarity = std::max(r.complementarity, zb * std::abs(hi - x[i]));
      if (hi == kInfinity) r.dual_sign = std::max(r.dual_sign, zb);
    }
  }
  r.dual = grad.size() ? grad.cwiseAbs().maxCoeff() : 0.0;
  r.primal = std::max(r.primal, 0.0);
  return r;
}

}  // namespace

KktResiduals ComputeKktResiduals(const QpProblem& problem, const QpSolution& solution) {
  const Vector px = problem.P.size() != 0 ? Vector(problem.P * solution.x)
                                          : Vector(Vector::Zero(problem.q.size()));
  return ResidualsGivenPx(problem, px, solution);
}

// ---------------------------------------------------------------------------------------------
// The solver.

class DenseQpSolver::Impl {
 public:
  Status Setup(const QpProblem& problem, const QpOptions& options);
  Status UpdateLinearTerm(const VectorRef& q);
  Status UpdateRightHandSides(const VectorRef& b, const VectorRef& h);
  Status UpdateBounds(const VectorRef& lb, const VectorRef& ub);
  Status SetWarmStart(const std::vector<QpActiveConstraint>& active_set, const Vector& x);
  void ClearWarmStart() {
    warm_set_.clear();
    warm_x_.resize(0);
    std::fill(warm_lambda_.begin(), warm_lambda_.end(), 0.0);
  }
  Status Solve(QpSolution* solution, QpSummary* summary);

  bool is_setup() const { return is_setup_; }
  const QpOptions& options() const { return options_; }

 private:
  // kStalled: the dual objective stopped decreasing with single additions as well (cycling on
  // a numerically near-dependent working set, or violations at the level of rounding).
  enum class InnerOutcome { kOptimal, kInfeasible, kMaxIterations, kTimeLimit, kStalled };

  struct Entry {
    Index constraint;  // unified index: [0, n) bound, [n, n + m_eq) equality, then inequality
    ActiveSide side;   // kLower / kUpper, or kEquality (equality rows and fixed variables)
    double beta;       // right-hand side the constraint is held at
    double direction;  // +1/-1: sign in which its multiplier may grow (for equalities: chosen)
    Index start;       // first nonzero entry of its row m_c
    Index slot;        // where its row m_c is stored in m_rows_
  };

  Index num_constraints() const { return n_ + m_eq_ + m_in_; }
  bool IsBound(Index c) const { return c < n_; }
  bool IsEquality(Index c) const { return c >= n_ && c < n_ + m_eq_; }
  double* MRow(Index slot) { return &m_rows_[static_cast<std::size_t>(slot * n_)]; }
  const double* MRow(Index slot) const { return &m_rows_[static_cast<std::size_t>(slot * n_)]; }
  // Row m_c of the working-set entry at position i.
  const double* EntryRow(Index i) const { return MRow(work_[static_cast<std::size_t>(i)].slot); }
  double RowNorm(Index c) const {
    return IsBound(c) ? 1.0 : (IsEquality(c) ? a_norms_[c - n_] : g_norms_[c - n_ - m_eq_]);
  }
  double Rhs(Index c, ActiveSide side) const;

  Status Factorize();
  void ReserveSlots(Index slots);
  // Computes m_c = L^-1 a_c into the next free slot; returns its first nonzero index.
  Index ComputeRow(Index c, double* out) const;
  // Appends constraint c at `side` to W; returns the new pivot relative to ||m_c||^2.
  double AddToWorkingSet(Index c, ActiveSide side, double beta, double direction);
  void RemoveFromWorkingSet(Index slot);
  void SetMembership(const Entry& entry, bool member);
  bool IsMember(Index c) const { return member_[static_cast<std::size_t>(c)] != 0; }

  // Builds W from equalities, fixed variables and the warm start. Returns false (and sets the
  // certificate) if the equalities are inconsistent.
  bool InitializeWorkingSet(bool use_warm_start = true);
  // Computes v = L^-1 f and d for W.
  void SetLinearTerm(const Vector& f);
  // Primal point from the current lambda: x = L'^-1 (-M_W' lambda - v).
  void ComputePrimal(const double* lambda, Vector* x);
  InnerOutcome RunActiveSet(Clock::time_point deadline_start);
  bool HandleSingularLast();  // false: infeasible (certificate set)
  void RecordCertificate(const std::vector<double>& w);
  // One step of iterative refinement of (x, lambda) for H x + f + A_W' lambda = 0, A_W x = beta.
  void RefineOnWorkingSet(const Vector& f);
  void FillSolution(QpSolution* solution) const;
  // Variables held at a bound by the working set take the bound's exact value (the solve
  // leaves them within rounding of it, e.g. -4e-27 for a bound of 0).
  void SnapActiveBounds();
  double OriginalObjective(const Vector& x) const;
  // P x, from the strict upper triangle of chol_ (which still holds P) and P's diagonal.
  Vector PTimes(const Vector& x) const;
  bool CheckUnboundedRay(const Vector& d) const;

  // Data.
  QpProblem problem_;
  QpOptions options_;
  Index n_ = 0, m_eq_ = 0, m_in_ = 0;
  Matrix at_;  // A' (n x m_eq): column j is row j of A
  Matrix gt_;  // G' (n x m_in)
  Vector a_norms_, g_norms_;
  // Lower triangle: L with H = L L'. Strict upper triangle: P's (never overwritten), so that P
  // need not be stored twice.
  Matrix chol_;
  Vector p_diag_;     // diagonal of P
  double rho_ = 0.0;  // 0, or the largest entry of rho_diag_
  Vector rho_diag_;   // per-variable proximal weights when regularised
  double p_scale_ = 1.0;
  bool is_setup_ = false;
  double setup_seconds_ = 0.0;
  int max_iterations_ = 0;

  // Working set.
  std::vector<Entry> work_;
  std::vector<double> m_rows_;  // slot-major rows of length n
  Index slot_capacity_ = 0;
  Index slots_used_ = 0;  // slots ever handed out (free ones are in free_slots_)
  std::vector<Index> free_slots_;
  internal::GrowingLdl ldl_;
  std::vector<double> lambda_, lambda_star_, d_, column_;
  std::vector<signed char> member_;     // per constraint: in W?
  std::vector<signed char> redundant_;  // per equality row: dependent and consistent
  std::vector<QpActiveConstraint> warm_set_;
  Vector warm_x_;
  // Multipliers of the previous solve per constraint (0 where inactive): a dual-feasible start.
  std::vector<double> warm_lambda_;

  // Per-solve state.
  struct Candidate {
    double score;
    Index constraint;
    ActiveSide side;
  };
  std::vector<Candidate> candidates_;
  bool block_additions_ = true;
  // Set for the rest of a Solve() once block additions led to a stall: the inner problems are
  // then solved by the classical one-at-a-time method from a cold working set.
  bool single_additions_only_ = false;
  int stalls_ = 0;
  double best_dual_objective_ = kInfinity;
  Vector v_, x_, u_, gx_;
  int iterations_ = 0;
  bool singular_last_ = false;
  std::vector<double> certificate_;  // per constraint, when infeasible
  std::string message_;
};

double DenseQpSolver::Impl::Rhs(Index c, ActiveSide side) const {
  if (IsBound(c)) {
    return side == ActiveSide::kUpper ? problem_.ub[c] : problem_.lb[c];
  }
  if (IsEquality(c)) return problem_.b[c - n_];
  return problem_.h[c - n_ - m_eq_];
}

Status DenseQpSolver::Impl::Setup(const QpProblem& problem, const QpOptions& options) {
  const auto start = Clock::now();
  is_setup_ = false;
  PFOPT_RETURN_IF_ERROR(options.Validate());
  PFOPT_RETURN_IF_ERROR(problem.Validate());
  options_ = options;
  n_ = problem.q.size();
  // Everything but P, which goes straight into the factor's storage.
  problem_.P.resize(0, 0);
  problem_.q = problem.q;
  problem_.A = problem.A;
  problem_.b = problem.b;
  problem_.G = problem.G;
  problem_.h = problem.h;
  problem_.lb = problem.lb;
  problem_.ub = problem.ub;
  if (problem.P.size() == 0) {
    chol_.setZero(n_, n_);
  } else {
    chol_ = problem.P;
  }
  p_diag_ = chol_.diagonal();
  m_eq_ = problem_.A.rows();
  m_in_ = problem_.G.rows();
  if (problem_.lb.size() == 0) problem_.lb = Vector::Constant(n_, -kInfinity);
  if (problem_.ub.size() == 0) problem_.ub = Vector::Constant(n_, kInfinity);
  if (problem_.A.cols() != n_) problem_.A.resize(0, n_);
  if (problem_.G.cols() != n_) problem_.G.resize(0, n_);
  at_ = problem_.A.transpose();
  gt_ = problem_.G.transpose();
  a_norms_ = at_.colwise().norm().transpose();
  g_norms_ = gt_.colwise().norm().transpose();
  for (Index i = 0; i < m_eq_; ++i) {
    if (a_norms_[i] == 0.0) {
      if (problem_.b[i] != 0.0) {
        return InvalidArgument("row " + std::to_string(i) + " of A is zero but b(" +
                                   std::to_string(i) + ") = " + FormatDouble(problem_.b[i]),
                               "A");
      }
    }
  }
  PFOPT_RETURN_IF_ERROR(Factorize());
  max_iterations_ = options_.max_iterations > 0 ? options_.max_iterations
                                                : static_cast<int>(10 * (n_ + m_in_ + m_eq_) + 100);
  const std::size_t total = static_cast<std::size_t>(num_constraints());
  member_.assign(total, 0);
  redundant_.assign(static_cast<std::size_t>(m_eq_), 0);
  certificate_.assign(total, 0.0);
  warm_lambda_.assign(total, 0.0);
  work_.clear();
  work_.reserve(static_cast<std::size_t>(std::min<Index>(n_ + 1, num_constraints()) + 1));
  slot_capacity_ = 0;  // rows have length n: size the storage anew (the allocation is reused)
  slots_used_ = 0;
  free_slots_.clear();
  ReserveSlots(std::min<Index>(n_ + 1, 32));
  column_.assign(static_cast<std::size_t>(n_ + 2), 0.0);
  candidates_.reserve(static_cast<std::size_t>(n_ + m_in_));
  v_.resize(n_);
  x_.resize(n_);
  u_.resize(n_);
  gx_.resize(m_in_);
  warm_set_.clear();
  warm_x_.resize(0);
  is_setup_ = true;
  setup_seconds_ = SecondsSince(start);
  return Ok();
}

Status DenseQpSolver::Impl::Factorize() {
  // chol_ holds P on entry. The Cholesky factorisation reads and overwrites only the lower
  // triangle, so the strict upper triangle keeps P.
  const double max_diag = n_ > 0 ? p_diag_.maxCoeff() : 0.0;
  const double q_scale = problem_.q.cwiseAbs().maxCoeff();
  p_scale_ = max_diag > 0.0 ? max_diag : 1.0;
  rho_ = 0.0;
  bool ok = false;
  if (max_diag > 0.0) {
    Eigen::LLT<Eigen::Ref<Matrix>, Eigen::Lower> llt(chol_);
    if (llt.info() == Eigen::Success) {
      const double min_pivot = chol_.diagonal().minCoeff();
      ok = min_pivot * min_pivot > options_.singular_pivot_tolerance * max_diag;
    }
  }
  if (!ok) {
    // Proximal regularisation: H = P + D, D diagonal. Variables with curvature get
    // proximal_rho relative to P's scale. Variables without any (P_ii = 0, so their whole row
    // of P is 0: linear-programming directions) get a weight relative to the linear term as well,
    // so that one proximal step moves them by O(1 / linear_proximal_rho), not by 1e7: that keeps
    // the numbers moderate, and a proximal step on a linear direction reaches the optimal face
    // whatever its length.
    const double base = options_.proximal_rho * p_scale_;
    rho_diag_.resize(n_);
    for (Index i = 0; i < n_; ++i) {
      const bool linear = p_diag_[i] <= 1e-14 * p_scale_;
      rho_diag_[i] = linear ? std::max(base, options_.linear_proximal_rho * q_scale) : base;
    }
    rho_ = rho_diag_.maxCoeff();
    chol_.triangularView<Eigen::StrictlyLower>() =
        chol_.triangularView<Eigen::StrictlyUpper>().transpose();
    chol_.diagonal() = p_diag_ + rho_diag_;
    Eigen::LLT<Eigen::Ref<Matrix>, Eigen::Lower> llt(chol_);
    if (llt.info() != Eigen::Success) {
      return InvalidArgument(
          "P is not positive semidefinite (its Cholesky factorisation failed even with "
          "regularisation " +
              FormatDouble(rho_) + ")",
          "P");
    }
  }
  return Ok();  // only the lower triangle of chol_ is ever read
}

void DenseQpSolver::Impl::ReserveSlots(Index slots) {
  if (slots <= slot_capacity_) return;
  const Index capacity = std::max(slots, 2 * slot_capacity_);
  m_rows_.resize(static_cast<std::size_t>(capacity * n_));
  lambda_.resize(static_cast<std::size_t>(capacity));
  lambda_star_.resize(static_cast<std::size_t>(capacity));
  d_.resize(static_cast<std::size_t>(capacity));
  ldl_.Reserve(capacity);
  slot_capacity_ = capacity;
}

Index DenseQpSolver::Impl::ComputeRow(Index c, double* out) const {
  Eigen::Map<Vector> row(out, n_);
  if (IsBound(c)) {
    const Index len = n_ - c;
    row.head(c).setZero();
    row.tail(len).setZero();
    row[c] = 1.0;
    chol_.bottomRightCorner(len, len).triangularView<Eigen::Lower>().solveInPlace(row.tail(len));
    return c;
  }
  if (IsEquality(c)) {
    row = at_.col(c - n_);
  } else {
    row = gt_.col(c - n_ - m_eq_);
  }
  Index start = 0;
  while (start < n_ && row[start] == 0.0) ++start;
  if (start < n_) {
    const Index len = n_ - start;
    chol_.bottomRightCorner(len, len).triangularView<Eigen::Lower>().solveInPlace(row.tail(len));
  }
  return std::min(start, n_ - 1);
}

double DenseQpSolver::Impl::AddToWorkingSet(Index c, ActiveSide side, double beta,
                                            double direction) {
  const Index k = static_cast<Index>(work_.size());
  Index slot = 0;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    ReserveSlots(slots_used_ + 1);
    slot = slots_used_++;
  }
  ReserveSlots(k + 1);
  double* row = MRow(slot);
  const Index start = ComputeRow(c, row);
  const Eigen::Map<const Vector> mc(row, n_);
  for (Index i = 0; i < k; ++i) {
    const Index from = std::max(start, work_[static_cast<std::size_t>(i)].start);
    column_[static_cast<std::size_t>(i)] =
        Eigen::Map<const Vector>(EntryRow(i) + from, n_ - from).dot(mc.segment(from, n_ - from));
  }
  const double norm2 = mc.segment(start, n_ - start).squaredNorm();
  const double pivot = ldl_.Append(column_.data(), norm2);
  Entry entry{c, side, beta, direction, start, slot};
  work_.push_back(entry);
  SetMembership(entry, true);
  lambda_[static_cast<std::size_t>(k)] = 0.0;
  d_[static_cast<std::size_t>(k)] =
      beta + mc.segment(start, n_ - start).dot(v_.segment(start, n_ - start));
  return norm2 > 0.0 ? pivot / norm2 : 0.0;
}

void DenseQpSolver::Impl::RemoveFromWorkingSet(Index position) {
  const Index k = static_cast<Index>(work_.size());
  SetMembership(work_[static_cast<std::size_t>(position)], false);
  free_slots_.push_back(work_[static_cast<std::size_t>(position)].slot);
  ldl_.Remove(position);
  for (Index i = position + 1; i < k; ++i) {
    lambda_[static_cast<std::size_t>(i - 1)] = lambda_[static_cast<std::size_t>(i)];
    d_[static_cast<std::size_t>(i - 1)] = d_[static_cast<std::size_t>(i)];
  }
  work_.erase(work_.begin() + position);
}

void DenseQpSolver::Impl::SetMembership(const Entry& entry, bool member) {
  member_[static_cast<std::size_t>(entry.constraint)] = member ? 1 : 0;
}

void DenseQpSolver::Impl::SetLinearTerm(const Vector& f) {
  v_ = f;
  chol_.triangularView<Eigen::Lower>().solveInPlace(v_);
  for (std::size_t i = 0; i < work_.size(); ++i) {
    const Entry& e = work_[i];
    d_[i] =
        e.beta + Eigen::Map<const Vector>(EntryRow(static_cast<Index>(i)) + e.start, n_ - e.start)
                     .dot(v_.segment(e.start, n_ - e.start));
  }
}

void DenseQpSolver::Impl::ComputePrimal(const double* lambda, Vector* x) {
  u_.setZero();
  for (std::size_t i = 0; i < work_.size(); ++i) {
    const double l = lambda[i];
    if (l == 0.0) continue;
    const Index s = work_[i].start;
    u_.segment(s, n_ - s).noalias() -=
        l * Eigen::Map<const Vector>(EntryRow(static_cast<Index>(i)) + s, n_ - s);
  }
  *x = u_ - v_;
  chol_.triangularView<Eigen::Lower>().adjoint().solveInPlace(*x);
}

bool DenseQpSolver::Impl::InitializeWorkingSet(bool use_warm_start) {
  work_.clear();
  ldl_.Clear();
  free_slots_.clear();
  slots_used_ = 0;
  std::fill(member_.begin(), member_.end(), 0);
  std::fill(redundant_.begin(), redundant_.end(), 0);
  singular_last_ = false;
  const double dep_tol = options_.dependency_tolerance;
  // Equalities and fixed variables first: they never leave W.
  auto add_equality = [&](Index c, double beta) -> bool {
    const double relative_pivot = AddToWorkingSet(c, ActiveSide::kEquality, beta, 1.0);
    if (relative_pivot > dep_tol && static_cast<Index>(work_.size()) <= n_) return true;
    // Linearly dependent on the equalities already in W: consistent (redundant) or not.
    const Index k = static_cast<Index>(work_.size());
    std::vector<double> alpha(static_cast<std::size_t>(k - 1));
    ldl_.DependencyOfLastRow(alpha.data());
    double implied = 0.0;
    for (Index i = 0; i + 1 < k; ++i)
      implied += alpha[static_cast<std::size_t>(i)] * work_[static_cast<std::size_t>(i)].beta;
    const double gap = beta - implied;
    if (std::abs(gap) <= options_.primal_tolerance * std::max(1.0, std::abs(beta))) {
      RemoveFromWorkingSet(k - 1);
      if (IsEquality(c)) redundant_[static_cast<std::size_t>(c - n_)] = 1;
      return true;
    }
    // Inconsistent: sum_i w_i a_i = 0 with sum_i w_i beta_i < 0.
    std::vector<double> w(static_cast<std::size_t>(k));
    const double sign = gap > 0.0 ? -1.0 : 1.0;
    for (Index i = 0; i + 1 < k; ++i)
      w[static_cast<std::size_t>(i)] = -sign * alpha[static_cast<std::size_t>(i)];
    w[static_cast<std::size_t>(k - 1)] = sign;
    RecordCertificate(w);
    message_ = "the equality constraints are inconsistent";
    return false;
  };
  for (Index row = 0; row < m_eq_; ++row) {
    if (a_norms_[row] == 0.0) {  // 0 = 0 (0 = nonzero was rejected by Setup)
      redundant_[static_cast<std::size_t>(row)] = 1;
      continue;
    }
    if (!add_equality(n_ + row, problem_.b[row])) return false;
  }
  for (Index i = 0; i < n_; ++i) {
    if (problem_.lb[i] == problem_.ub[i]) {
      if (!add_equality(i, problem_.lb[i])) return false;
    }
  }
  // Warm start: inequalities and bounds, multipliers 0 (dual feasible); dependent ones dropped.
  const std::vector<QpActiveConstraint> cold;
  for (const QpActiveConstraint& entry : use_warm_start ? warm_set_ : cold) {
    Index c = 0;
    switch (entry.kind) {
      case QpActiveConstraint::Kind::kBound:
        c = entry.index;
        break;
      case QpActiveConstraint::Kind::kEquality:
        continue;  // already in
      case QpActiveConstraint::Kind::kInequality:
        c = n_ + m_eq_ + entry.index;
        break;
    }
    if (c < 0 || c >= num_constraints() || IsMember(c)) continue;
    ActiveSide side = entry.side;
    if (IsBound(c)) {
      if (side == ActiveSide::kEquality) continue;
      const double bound = Rhs(c, side);
      if (!std::isfinite(bound)) continue;
    } else {
      side = ActiveSide::kUpper;
    }
    const double relative_pivot =
        AddToWorkingSet(c, side, Rhs(c, side), side == ActiveSide::kUpper ? 1.0 : -1.0);
    if (relative_pivot <= dep_tol || static_cast<Index>(work_.size()) > n_) {
      RemoveFromWorkingSet(static_cast<Index>(work_.size()) - 1);
    }
  }
  // Multipliers of the previous solve, where they have the sign their side allows.
  for (std::size_t i = 0; i < work_.size(); ++i) {
    const Entry& e = work_[i];
    const double l = use_warm_start ? warm_lambda_[static_cast<std::size_t>(e.constraint)] : 0.0;
    const bool allowed = e.side == ActiveSide::kEquality ||
                         (e.side == ActiveSide::kUpper && l >= 0.0) ||
                         (e.side == ActiveSide::kLower && l <= 0.0);
    lambda_[i] = allowed ? l : 0.0;
  }
  return true;
}

void DenseQpSolver::Impl::RecordCertificate(const std::vector<double>& w) {
  std::fill(certificate_.begin(), certificate_.end(), 0.0);
  double scale = 0.0;
  for (double value : w) scale = std::max(scale, std::abs(value));
  if (scale == 0.0) scale = 1.0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    certificate_[static_cast<std::size_t>(work_[i].constraint)] = w[i] / scale;
  }
}

bool DenseQpSolver::Impl::HandleSingularLast() {
  // The last constraint c is a combination of the others: m_c = sum_i alpha_i m_i. Along
  // p = (-alpha, 1) the dual objective decreases linearly; move until a multiplier hits zero.
  const Index k = static_cast<Index>(work_.size());
  std::vector<double> alpha(static_cast<std::size_t>(k - 1));
  ldl_.DependencyOfLastRow(alpha.data());
  const double sigma = work_.back().direction;
  std::vector<double> w(static_cast<std::size_t>(k));
  for (Index i = 0; i + 1 < k; ++i)
    w[static_cast<std::size_t>(i)] = -sigma * alpha[static_cast<std::size_t>(i)];
  w[static_cast<std::size_t>(k - 1)] = sigma;
  double t = kInfinity;
  Index block = -1;
  for (Index i = 0; i + 1 < k; ++i) {
    const Entry& e = work_[static_cast<std::size_t>(i)];
    if (e.side == ActiveSide::kEquality) continue;
    const double s = e.side == ActiveSide::kUpper ? 1.0 : -1.0;
    const double rate = s * w[static_cast<std::size_t>(i)];
    if (rate < 0.0) {
      const double ti = std::max(0.0, s * lambda_[static_cast<std::size_t>(i)]) / -rate;
      if (ti < t) {
        t = ti;
        block = i;
      }
    }
  }
  if (block < 0) {
    RecordCertificate(w);
    return false;
  }
  for (Index i = 0; i < k; ++i)
    lambda_[static_cast<std::size_t>(i)] += t * w[static_cast<std::size_t>(i)];
  lambda_[static_cast<std::size_t>(block)] = 0.0;
  RemoveFromWorkingSet(block);
  ++iterations_;
  return true;
}

DenseQpSolver::Impl::InnerOutcome DenseQpSolver::Impl::RunActiveSet(Clock::time_point start) {
  block_additions_ = !single_additions_only_ && options_.block_addition_threshold < 1.0;
  best_dual_objective_ = kInfinity;
  stalls_ = 0;
  const double dep_tol = options_.dependency_tolerance;
  const double primal_tol = options_.primal_tolerance;
  const bool timed = options_.time_limit_seconds > 0.0;
  while (true) {
    if (iterations_ >= max_iterations_) return InnerOutcome::kMaxIterations;
    if (timed && (iterations_ & 15) == 0 && SecondsSince(start) > options_.time_limit_seconds) {
      return InnerOutcome::kTimeLimit;
    }
    const Index k = static_cast<Index>(work_.size());
    if (singular_last_) {
      if (!HandleSingularLast()) return InnerOutcome::kInfeasible;
      const Index kk = static_cast<Index>(work_.size());
      const double norm2 = Eigen::Map<const Vector>(EntryRow(kk - 1), n_).squaredNorm();
      singular_last_ = ldl_.Pivot(kk - 1) <= dep_tol * norm2 || kk > n_;
      continue;
    }
    // Minimiser of the dual objective on W.
    double max_abs = 0.0;
    for (Index i = 0; i < k; ++i)
      lambda_star_[static_cast<std::size_t>(i)] = -d_[static_cast<std::size_t>(i)];
    if (k > 0) ldl_.Solve(lambda_star_.data());
    for (Index i = 0; i < k; ++i)
      max_abs = std::max(max_abs, std::abs(lambda_star_[static_cast<std::size_t>(i)]));
    const double sign_tol = 1e-14 * std::max(1.0, max_abs);
    double t = 1.0;
    Index block = -1;
    for (Index i = 0; i < k; ++i) {
      const Entry& e = work_[static_cast<std::size_t>(i)];
      if (e.side == ActiveSide::kEquality) continue;
      const double s = e.side == ActiveSide::kUpper ? 1.0 : -1.0;
      const double target = s * lambda_star_[static_cast<std::size_t>(i)];
      if (target < -sign_tol) {
        const double current = std::max(0.0, s * lambda_[static_cast<std::size_t>(i)]);
        const double ti = current / (current - target);
        if (ti < t) {
          t = ti;
          block = i;
        }
      }
    }
    if (block >= 0) {
      for (Index i = 0; i < k; ++i) {
        double& l = lambda_[static_cast<std::size_t>(i)];
        l += t * (lambda_star_[static_cast<std::size_t>(i)] - l);
      }
      RemoveFromWorkingSet(block);
      ++iterations_;
      continue;
    }
    for (Index i = 0; i < k; ++i)
      lambda_[static_cast<std::size_t>(i)] = lambda_star_[static_cast<std::size_t>(i)];
    ComputePrimal(lambda_.data(), &x_);
    // Dual objective J = 1/2 ||u||^2 + d'lambda at this minimiser on W: in exact arithmetic it
    // decreases strictly from one primal point to the next. A point that does not beat the best
    // J so far is a stall (comparing with the best, not the last, also catches a cycle that
    // alternates between two working sets). First remedy: switch block additions off; if
    // single additions stall three times more, give up on this working set (the caller
    // restarts cold or judges the result by its residuals).
    double dual_objective = 0.5 * u_.squaredNorm();
    for (Index i = 0; i < k; ++i)
      dual_objective += d_[static_cast<std::size_t>(i)] * lambda_[static_cast<std::size_t>(i)];
    if (best_dual_objective_ == kInfinity ||
        dual_objective < best_dual_objective_ - 1e-14 * std::abs(best_dual_objective_)) {
      best_dual_objective_ = dual_objective;
      stalls_ = 0;
    } else if (block_additions_) {
      block_additions_ = false;
    } else if (++stalls_ >= 3) {
      return InnerOutcome::kStalled;
    }
    // Constraints outside W violated beyond the tolerance, scored by violation / row norm.
    candidates_.clear();
    const Vector& lb = problem_.lb;
    const Vector& ub = problem_.ub;
    double best_score = 0.0;
    for (Index i = 0; i < n_; ++i) {
      if (member_[static_cast<std::size_t>(i)]) continue;
      const double xi = x_[i];
      const double below = lb[i] - xi;
      const double above = xi - ub[i];
      if (below > 0.0 && below > primal_tol * std::max(1.0, std::abs(lb[i]))) {
        candidates_.push_back({below, i, ActiveSide::kLower});
        best_score = std::max(best_score, below);
      } else if (above > 0.0 && above > primal_tol * std::max(1.0, std::abs(ub[i]))) {
        candidates_.push_back({above, i, ActiveSide::kUpper});
        best_score = std::max(best_score, above);
      }
    }
    if (m_in_ > 0) {
      Vector& gx = gx_;
      gx.noalias() = gt_.transpose() * x_;
      for (Index r = 0; r < m_in_; ++r) {
        const Index c = n_ + m_eq_ + r;
        if (member_[static_cast<std::size_t>(c)]) continue;
        const double excess = gx[r] - problem_.h[r];
        if (excess > primal_tol * std::max(1.0, std::abs(problem_.h[r]))) {
          const double score = excess / g_norms_[r];
          candidates_.push_back({score, c, ActiveSide::kUpper});
          best_score = std::max(best_score, score);
        }
      }
    }
    if (candidates_.empty()) return InnerOutcome::kOptimal;
    // The most violated constraint enters (the Goldfarb-Idnani step); with block additions,
    // every other one violated by at least `block_addition_threshold` of it enters too, with a
    // zero multiplier (which keeps lambda dual feasible). Most of them end up active anyway,
    // and each saves a primal evaluation (a triangular solve with the full factor).
    const double threshold =
        block_additions_ ? options_.block_addition_threshold * best_score : best_score;
    auto last = std::partition(candidates_.begin(), candidates_.end(),
                               [&](const Candidate& cand) { return cand.score >= threshold; });
    std::sort(candidates_.begin(), last,
              [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    bool first = true;
    for (auto it = candidates_.begin(); it != last; ++it) {
      const Index size_before = static_cast<Index>(work_.size());
      const double relative_pivot =
          AddToWorkingSet(it->constraint, it->side, Rhs(it->constraint, it->side),
                          it->side == ActiveSide::kUpper ? 1.0 : -1.0);
      ++iterations_;
      // More than n rows are always dependent, whatever rounding made of the pivot.
      const bool dependent = relative_pivot <= dep_tol || size_before >= n_;
      if (first) {
        first = false;
        singular_last_ = dependent;
        if (dependent) break;  // handled by the singular step
      } else if (dependent) {
        RemoveFromWorkingSet(size_before);  // a dependent extra: leave it out
      }
      if (iterations_ >= max_iterations_) break;
    }
  }
}

void DenseQpSolver::Impl::RefineOnWorkingSet(const Vector& f) {
  // Residuals of H x + f + A_W' lambda = 0 and A_W x = beta; solve the same system for the
  // correction: min 1/2 dx'H dx + r_d'dx  s.t.  A_W dx = -r_p.
  const Index k = static_cast<Index>(work_.size());
  Vector r_d = f;
  r_d += PTimes(x_);
  if (rho_ > 0.0) r_d += rho_diag_.cwiseProduct(x_);
  for (Index i = 0; i < k; ++i) {
    const Entry& e = work_[static_cast<std::size_t>(i)];
    const double l = lambda_[static_cast<std::size_t>(i)];
    const Index c = e.constraint;
    if (IsBound(c)) {
      r_d[c] += l;
    } else if (IsEquality(c)) {
      r_d.noalias() += l * at_.col(c - n_);
    } else {
      r_d.noalias() += l * gt_.col(c - n_ - m_eq_);
    }
  }
  Vector v_r = r_d;
  chol_.triangularView<Eigen::Lower>().solveInPlace(v_r);
  std::vector<double> dl(static_cast<std::size_t>(k));
  for (Index i = 0; i < k; ++i) {
    const Entry& e = work_[static_cast<std::size_t>(i)];
    const Index c = e.constraint;
    double ax = 0.0;
    if (IsBound(c)) {
      ax = x_[c];
    } else if (IsEquality(c)) {
      ax = at_.col(c - n_).dot(x_);
    } else {
      ax = gt_.col(c - n_ - m_eq_).dot(x_);
    }
    const double r_p = ax - e.beta;
    const double d = -r_p + Eigen::Map<const Vector>(EntryRow(i) + e.start, n_ - e.start)
                                .dot(v_r.segment(e.start, n_ - e.start));
    dl[static_cast<std::size_t>(i)] = -d;
  }
  if (k > 0) ldl_.Solve(dl.data());
  Vector du = Vector::Zero(n_);
  for (Index i = 0; i < k; ++i) {
    const Index s = work_[static_cast<std::size_t>(i)].start;
    du.segment(s, n_ - s).noalias() -=
        dl[static_cast<std::size_t>(i)] * Eigen::Map<const Vector>(EntryRow(i) + s, n_ - s);
  }
  Vector dx = du - v_r;
  chol_.triangularView<Eigen::Lower>().adjoint().solveInPlace(dx);
  x_ += dx;
  for (Index i = 0; i < k; ++i)
    lambda_[static_cast<std::size_t>(i)] += dl[static_cast<std::size_t>(i)];
}

void DenseQpSolver::Impl::SnapActiveBounds() {
  for (const Entry& e : work_) {
    if (IsBound(e.constraint)) x_[e.constraint] = e.beta;
  }
  // Variables outside the working set satisfy their bounds to the primal tolerance; clip the
  // rounding-sized violations so that bounds hold exactly (a long-only weight of -2e-15 is
  // correct to tolerance but wrong to show).
  x_ = x_.cwiseMax(problem_.lb).cwiseMin(problem_.ub);
}

double DenseQpSolver::Impl::OriginalObjective(const Vector& x) const {
  return 0.5 * x.dot(PTimes(x)) + problem_.q.dot(x);
}

Vector DenseQpSolver::Impl::PTimes(const Vector& x) const {
  Vector y = p_diag_.cwiseProduct(x);
  y.noalias() += chol_.triangularView<Eigen::StrictlyUpper>() * x;
  y.noalias() += chol_.triangularView<Eigen::StrictlyUpper>().transpose() * x;
  return y;
}

bool DenseQpSolver::Impl::CheckUnboundedRay(const Vector& d) const {
  const double norm = d.cwiseAbs().maxCoeff();
  if (!(norm > 0.0)) return false;
  const Vector dn = d / norm;
  const double tol = 1e-7;
  if (PTimes(dn).cwiseAbs().maxCoeff() > tol * p_scale_) return false;
  if (problem_.q.dot(dn) >= -tol * std::max(1.0, problem_.q.cwiseAbs().maxCoeff())) return false;
  if (m_eq_ > 0 && (problem_.A * dn).cwiseAbs().maxCoeff() > tol * a_norms_.maxCoeff())
    return false;
  if (m_in_ > 0 && (problem_.G * dn).maxCoeff() > tol * g_norms_.maxCoeff()) return false;
  for (Index i = 0; i < n_; ++i) {
    if (dn[i] > tol && std::isfinite(problem_.ub[i])) return false;
    if (dn[i] < -tol && std::isfinite(problem_.lb[i])) return false;
  }
  return true;
}

void DenseQpSolver::Impl::FillSolution(QpSolution* solution) const {
  solution->x = x_;
  solution->y = Vector::Zero(m_eq_);
  solution->z = Vector::Zero(m_in_);
  solution->z_bounds = Vector::Zero(n_);
  solution->active_set.clear();
  for (std::size_t i = 0; i < work_.size(); ++i) {
    const Entry& e = work_[i];
    const double l = lambda_[i];
    QpActiveConstraint active;
    active.side = e.side;
    if (IsBound(e.constraint)) {
      active.kind = QpActiveConstraint::Kind::kBound;
      active.index = e.constraint;
      solution->z_bounds[e.constraint] = l;
    } else if (IsEquality(e.constraint)) {
      active.kind = QpActiveConstraint::Kind::kEquality;
      active.index = e.constraint - n_;
      solution->y[active.index] = l;
    } else {
      active.kind = QpActiveConstraint::Kind::kInequality;
      active.index = e.constraint - n_ - m_eq_;
      solution->z[active.index] = std::max(0.0, l);
    }
    solution->active_set.push_back(active);
  }
  solution->certificate_y.resize(0);
  solution->certificate_z.resize(0);
  solution->certificate_bounds.resize(0);
}

Status DenseQpSolver::Impl::Solve(QpSolution* solution, QpSummary* summary) {
  if (!is_setup_) {
    return MakeError(ErrorCode::kInvalidArgument, "DenseQpSolver::Solve called before Setup");
  }
  if (solution == nullptr || summary == nullptr) {
    return InvalidArgument("DenseQpSolver::Solve needs a solution and a summary");
  }
  const auto start = Clock::now();
  *summary = QpSummary();
  summary->setup_seconds = setup_seconds_;
  summary->regularized = rho_ > 0.0;
  iterations_ = 0;
  message_.clear();
  singular_last_ = false;
  single_additions_only_ = false;

  auto finish = [&](QpStatus status) -> Status {
    summary->status = status;
    summary->iterations = iterations_;
    summary->message = message_;
    summary->active_constraints = static_cast<int>(work_.size());
    FillSolution(solution);
    if (status == QpStatus::kPrimalInfeasible) {
      solution->certificate_bounds = Eigen::Map<const Vector>(certificate_.data(), n_);
      solution->certificate_y = Eigen::Map<const Vector>(certificate_.data() + n_, m_eq_);
      solution->certificate_z = Eigen::Map<const Vector>(certificate_.data() + n_ + m_eq_, m_in_);
    }
    const KktResiduals kkt = ResidualsGivenPx(problem_, PTimes(x_), *solution);
    summary->primal_residual = kkt.primal;
    summary->dual_residual = kkt.dual;
    summary->complementarity = kkt.complementarity;
    summary->objective = OriginalObjective(x_);
    summary->solve_seconds = SecondsSince(start);
    return Ok();
  };

  // Starting point of the proximal iterations: the warm start, else 0 clipped to the bounds.
  Vector x_prev = warm_x_.size() == n_
                      ? warm_x_
                      : Vector(Vector::Zero(n_).cwiseMax(problem_.lb).cwiseMin(problem_.ub));
  x_ = x_prev;
  v_.setZero();
  if (!InitializeWorkingSet()) return finish(QpStatus::kPrimalInfeasible);

  const double q_scale = std::max(1.0, problem_.q.cwiseAbs().maxCoeff());
  Vector f = problem_.q;
  Vector previous_step;
  double previous_stationarity = kInfinity;
  int polish_rounds = 0;
  InnerOutcome outcome = InnerOutcome::kOptimal;
  int proximal = 0;
  while (true) {
    if (rho_ > 0.0) f = problem_.q - rho_diag_.cwiseProduct(x_prev);
    SetLinearTerm(f);
    const int iterations_before = iterations_;
    outcome = RunActiveSet(start);
    if (outcome == InnerOutcome::kStalled) {
      if (!single_additions_only_ && options_.block_addition_threshold < 1.0) {
        // Block additions can bring rows into W that are independent only by a hair; the
        // factor of W then loses the accuracy that the singular steps rely on and the method
        // cycles. Solve this inner problem again from a cold working set, one constraint at a
        // time (the classical method, which needs no such luck).
        single_additions_only_ = true;
        if (!InitializeWorkingSet(/*use_warm_start=*/false)) {
          outcome = InnerOutcome::kInfeasible;
          break;
        }
        continue;
      }
      outcome = InnerOutcome::kOptimal;  // violations at rounding level: judged by residuals
    }
    if (outcome != InnerOutcome::kOptimal) break;
    RefineOnWorkingSet(f);
    SnapActiveBounds();
    if (rho_ == 0.0) break;
    ++proximal;
    const Vector step = x_ - x_prev;
    const double step_norm = step.cwiseAbs().maxCoeff();
    const double stationarity = rho_diag_.cwiseProduct(step).cwiseAbs().maxCoeff();
    const double dual_scale = std::max(q_scale, PTimes(x_).cwiseAbs().maxCoeff());
    if (stationarity <= 1e-14 * dual_scale ||
        step_norm <= 1e-15 * std::max(1.0, x_.cwiseAbs().maxCoeff())) {
      break;  // exact to rounding
    }
    if (stationarity <= options_.dual_tolerance * dual_scale) {
      // Within tolerance. While the working set is stable and the residual still shrinks
      // quickly, polish on: each round costs one solve on the fixed working set and brings the
      // answer to rounding level rather than to the tolerance.
      const bool stable = iterations_ == iterations_before;
      if (!stable) {
        polish_rounds = 0;
      } else if (stationarity > 0.5 * previous_stationarity || ++polish_rounds > 60) {
        break;
      }
    }
    previous_stationarity = stationarity;
    if (iterations_ == iterations_before && previous_step.size() == n_ &&
        (step - previous_step).cwiseAbs().maxCoeff() <= 1e-9 * step_norm &&
        CheckUnboundedRay(step)) {
      summary->proximal_iterations = proximal;
      message_ = "the objective decreases without bound along a feasible direction";
      return finish(QpStatus::kDualInfeasible);
    }
    if (proximal >= options_.max_proximal_iterations) {
      summary->proximal_iterations = proximal;
      message_ = "proximal iteration limit " + std::to_string(options_.max_proximal_iterations) +
                 " reached";
      return finish(QpStatus::kMaxIterations);
    }
    if (!x_.allFinite() || x_.cwiseAbs().maxCoeff() > 1e30) {
      summary->proximal_iterations = proximal;
      message_ = "the iterates grew without bound: the objective is unbounded below";
      return finish(QpStatus::kDualInfeasible);
    }
    previous_step = step;
    x_prev = x_;
  }
  summary->proximal_iterations = proximal;
  switch (outcome) {
    case InnerOutcome::kInfeasible:
      if (message_.empty()) message_ = "the constraints have no common point";
      return finish(QpStatus::kPrimalInfeasible);
    case InnerOutcome::kMaxIterations:
      message_ = "active-set iteration limit " + std::to_string(max_iterations_) + " reached";
      return finish(QpStatus::kMaxIterations);
    case InnerOutcome::kTimeLimit:
      message_ = "time limit of " + FormatDouble(options_.time_limit_seconds) + " s reached";
      return finish(QpStatus::kTimeLimit);
    case InnerOutcome::kOptimal:
    case InnerOutcome::kStalled:  // turned into kOptimal above; listed for -Wswitch
      break;
  }
  if (!x_.allFinite()) {
    message_ = "non-finite values appeared in the solution";
    return finish(QpStatus::kNumericalError);
  }
  // Final verdict on the original problem's KKT conditions.
  Status status = finish(QpStatus::kOptimal);
  const double dual_scale = std::max({q_scale, PTimes(x_).cwiseAbs().maxCoeff(), 1.0});
  const double primal_scale =
      std::max({1.0, problem_.b.size() ? problem_.b.cwiseAbs().maxCoeff() : 0.0,
                problem_.h.size() ? problem_.h.cwiseAbs().maxCoeff() : 0.0});
  const double primal_ratio = summary->primal_residual / (options_.primal_tolerance * primal_scale);
  const double dual_ratio = summary->dual_residual / (options_.dual_tolerance * dual_scale);
  if (primal_ratio > 1.0 || dual_ratio > 1.0) {
    if (primal_ratio <= 1e3 && dual_ratio <= 1e3) {
      summary->status = QpStatus::kOptimalInaccurate;
      summary->message = "residuals above tolerance: primal " +
                         FormatDouble(summary->primal_residual) + ", dual " +
                         FormatDouble(summary->dual_residual);
    } else {
      summary->status = QpStatus::kNumericalError;
      summary->message =
          "the active-set solution does not satisfy the optimality conditions "
          "(primal residual " +
          FormatDouble(summary->primal_residual) + ", dual " +
          FormatDouble(summary->dual_residual) + ")";
    }
  }
  // Keep the working set as the warm start of the next solve.
  warm_set_ = solution->active_set;
  warm_x_ = x_;
  std::fill(warm_lambda_.begin(), warm_lambda_.end(), 0.0);
  for (std::size_t i = 0; i < work_.size(); ++i) {
    warm_lambda_[static_cast<std::size_t>(work_[i].constraint)] = lambda_[i];
  }
  return status;
}

Status DenseQpSolver::Impl::UpdateLinearTerm(const VectorRef& q) {
  if (!is_setup_) return InvalidArgument("UpdateLinearTerm called before Setup");
  if (q.size() != n_) {
    return DimensionMismatch(
        "q has " + std::to_string(q.size()) + " entries, expected " + std::to_string(n_), "q");
  }
  if (!AllFinite(q)) return InvalidArgument("q has a non-finite entry", "q");
  problem_.q = q;
  return Ok();
}

Status DenseQpSolver::Impl::UpdateRightHandSides(const VectorRef& b, const VectorRef& h) {
  if (!is_setup_) return InvalidArgument("UpdateRightHandSides called before Setup");
  if (b.size() != m_eq_ || h.size() != m_in_) {
    return DimensionMismatch("b/h have " + std::to_string(b.size()) + "/" +
                             std::to_string(h.size()) + " entries, expected " +
                             std::to_string(m_eq_) + "/" + std::to_string(m_in_));
  }
  if (!AllFinite(b) || !AllFinite(h)) return InvalidArgument("b or h has a non-finite entry");
  problem_.b = b;
  problem_.h = h;
  return Ok();
}

Status DenseQpSolver::Impl::UpdateBounds(const VectorRef& lb, const VectorRef& ub) {
  if (!is_setup_) return InvalidArgument("UpdateBounds called before Setup");
  QpProblem check;
  check.q = problem_.q;
  check.lb = lb;
  check.ub = ub;
  PFOPT_RETURN_IF_ERROR(check.Validate());
  problem_.lb = lb;
  problem_.ub = ub;
  return Ok();
}

Status DenseQpSolver::Impl::SetWarmStart(const std::vector<QpActiveConstraint>& active_set,
                                         const Vector& x) {
  if (!is_setup_) return InvalidArgument("SetWarmStart called before Setup");
  if (x.size() != 0 && x.size() != n_) {
    return DimensionMismatch(
        "warm-start x has " + std::to_string(x.size()) + " entries, expected " + std::to_string(n_),
        "x");
  }
  warm_set_ = active_set;
  warm_x_ = x;
  std::fill(warm_lambda_.begin(), warm_lambda_.end(), 0.0);
  return Ok();
}

// ---------------------------------------------------------------------------------------------

DenseQpSolver::DenseQpSolver() : impl_(std::make_unique<Impl>()) {}
DenseQpSolver::~DenseQpSolver() = default;
DenseQpSolver::DenseQpSolver(DenseQpSolver&&) noexcept = default;
DenseQpSolver& DenseQpSolver::operator=(DenseQpSolver&&) noexcept = default;

Status DenseQpSolver::Setup(const QpProblem& problem, const QpOptions& options) {
  return impl_->Setup(problem, options);
}
Status DenseQpSolver::UpdateLinearTerm(const VectorRef& q) { return impl_->UpdateLinearTerm(q); }
Status DenseQpSolver::UpdateRightHandSides(const VectorRef& b, const VectorRef& h) {
  return impl_->UpdateRightHandSides(b, h);
}
Status DenseQpSolver::UpdateBounds(const VectorRef& lb, const VectorRef& ub) {
  return impl_->UpdateBounds(lb, ub);
}
Status DenseQpSolver::SetWarmStart(const std::vector<QpActiveConstraint>& active_set,
                                   const Vector& x) {
  return impl_->SetWarmStart(active_set, x);
}
void DenseQpSolver::ClearWarmStart() { impl_->ClearWarmStart(); }
Status DenseQpSolver::Solve(QpSolution* solution, QpSummary* summary) {
  return impl_->Solve(solution, summary);
}
const QpOptions& DenseQpSolver::options() const { return impl_->options(); }

Result<QpSolution> SolveQp(const QpProblem& problem, const QpOptions& options, QpSummary* summary) {
  // A per-thread solver whose buffers are reused from call to call: a fresh 8 n^2-byte factor
  // costs page faults that are a sizeable part of a solve at n = 1000. Problems above
  // kMaxRetainedVariables get a solver of their own so that no thread keeps a huge buffer.
  constexpr Index kMaxRetainedVariables = 2000;
  thread_local DenseQpSolver retained;
  std::optional<DenseQpSolver> own;
  if (problem.q.size() > kMaxRetainedVariables) own.emplace();
  DenseQpSolver& solver = own ? *own : retained;
  PFOPT_RETURN_IF_ERROR(solver.Setup(problem, options));
  QpSolution solution;
  QpSummary local_summary;
  PFOPT_RETURN_IF_ERROR(solver.Solve(&solution, summary ? summary : &local_summary));
  return solution;
}

}  // namespace pfopt
