#include "scenario/sqp.h"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <unordered_set>
#include <utility>

#include "pfopt/solve/qp.h"
#include "scenario/format.h"

namespace pfopt::scenario::internal {

void SmoothFunction::AddHessian(const Vector& /*x*/, double /*scale*/, Matrix* /*hessian*/) {}

void PiecewiseMinimum::AddPieceHessian(int /*piece*/, const Vector& /*x*/, double /*scale*/,
                                       Matrix* /*hessian*/) {}

namespace {

using Clock = std::chrono::steady_clock;

// The cutting planes of one piecewise function: the pieces met so far.
struct Pool {
  std::vector<int> pieces;
  std::unordered_set<int> present;
  std::vector<double> multipliers;  // of the pieces' rows in the last QP

  bool Add(int piece) {
    if (!present.insert(piece).second) return false;
    pieces.push_back(piece);
    multipliers.push_back(0.0);
    return true;
  }
};

// Values (and gradients) of every function at one point.
struct Point {
  Vector x;
  double merit_objective = 0.0;  // minimised: f, -N/D or -psi
  double natural_objective = 0.0;
  Vector model_gradient;  // gradient of the minimised objective model
  double lambda = 0.0;    // kRatio: N/D
  double denominator = 1.0;
  std::vector<double> g;       // smooth constraint values
  std::vector<Vector> g_grad;  // and gradients
  std::vector<double> psi;     // piecewise constraint values
  double violation_l1 = 0.0;
  double violation_max = 0.0;
};

class Sqp {
 public:
  Sqp(const SqpProblem& problem, const SqpOptions& options)
      : p_(problem), o_(options), n_(problem.num_variables) {
    has_t_ = p_.objective_kind == SqpObjectiveKind::kPiecewiseMax;
    nz_ = n_ + (has_t_ ? 1 : 0);
    pools_.resize(p_.piecewise.size());
    smooth_multipliers_.assign(p_.smooth.size(), 0.0);
    for (std::size_t j = 0; j < p_.smooth.size(); ++j) {
      const auto& c = p_.smooth[j];
      if (exact_ < 0 && !c.equality && c.quadratic != nullptr && c.limit > 0.0 &&
          !p_.quasi_newton) {
        exact_ = static_cast<int>(j);
        row_of_smooth_.push_back(-1);
        continue;
      }
      row_of_smooth_.push_back(c.equality ? num_smooth_eq_++ : num_smooth_in_++);
    }
    qp_options_.primal_tolerance = 1e-11;
    qp_options_.dual_tolerance = 1e-11;
  }

  SqpResult Run(Vector x);

 private:
  bool Evaluate(const Vector& x, bool gradients, Point* point);
  Matrix LagrangianHessian(const Point& point);
  void BuildQp(const Point& point, const Matrix& hessian);
  // Solves the QP with cut generation. Returns false on a QP failure (result_ filled).
  bool SolveWithCuts(const Point& point, QpSolution* solution);
  void AppendCutRow(int family, int piece, const Vector& x);  // family -1 = objective
  void ReadMultipliers(const QpSolution& solution);
  std::vector<std::string> ConflictNames(const QpSolution& solution) const;
  double Merit(const Point& point, double nu) const {
    return point.merit_objective + nu * point.violation_l1;
  }
  bool TimeUp() const {
    return o_.time_limit_seconds > 0.0 &&
           std::chrono::duration<double>(Clock::now() - start_).count() > o_.time_limit_seconds;
  }

  const SqpProblem& p_;
  const SqpOptions& o_;
  Index n_ = 0, nz_ = 0;
  bool has_t_ = false;
  int num_smooth_eq_ = 0, num_smooth_in_ = 0;
  // Row of each smooth constraint among the smooth rows of its kind; -1 for the one kept
  // exactly (exact_, or -1 when there is none) and its multiplier.
  std::vector<int> row_of_smooth_;
  int exact_ = -1;
  double exact_multiplier_ = 0.0;
  Matrix base_p_;  // P without the exact constraint's term
  // Solves the QP once (qp_ as it is); false on failure (result_ filled).
  bool SolveQpOnce(DenseQpSolver* solver, const Vector& start, bool warm, QpSolution* solution);
  // Solves the subproblem with the exact constraint: the multiplier mu >= 0 at which the QP
  // with P + mu Q / limit meets it with complementarity.
  bool SolveExact(DenseQpSolver* solver, const Vector& start, QpSolution* solution);
  std::vector<Pool> pools_;
  Pool objective_pool_;
  std::vector<double> smooth_multipliers_;
  QpOptions qp_options_;
  QpProblem qp_;
  // Inequality rows after the linear and smooth ones: (family, piece) of each cut row.
  std::vector<std::pair<int, int>> cut_rows_;
  std::vector<QpActiveConstraint> warm_set_;
  Vector warm_x_;
  SqpResult result_;
  Clock::time_point start_;
  // BFGS state.
  Matrix bfgs_;
  // Parts of the Hessian of the Lagrangian at hessian_x_.
  Vector hessian_x_;
  Matrix objective_hessian_;
  std::vector<Matrix> constraint_hessians_;
  bool first_update_ = true;
  Vector previous_x_, previous_model_gradient_;
  std::vector<Vector> previous_g_grad_;
  Matrix LagrangianHessianBfgsUpdate(const Point& point, const Vector& s, const Vector& y);
};

bool Sqp::Evaluate(const Vector& x, bool gradients, Point* point) {
  point->x = x;
  Vector* grad = gradients ? &point->model_gradient : nullptr;
  switch (p_.objective_kind) {
    case SqpObjectiveKind::kSmooth: {
      const double f = p_.objective->Evaluate(x, grad);
      point->merit_objective = f;
      point->natural_objective = f;
      break;
    }
    case SqpObjectiveKind::kRatio: {
      Vector gn, gd;
      const double num = p_.numerator->Evaluate(x, gradients ? &gn : nullptr);
      const double den = p_.denominator->Evaluate(x, gradients ? &gd : nullptr);
      if (!(den > 0.0)) return false;
      point->lambda = num / den;
      point->denominator = den;
      point->merit_objective = -point->lambda;
      point->natural_objective = point->lambda;
      if (gradients) point->model_gradient = -(gn - point->lambda * gd) / den;
      break;
    }
    case SqpObjectiveKind::kPiecewiseMax: {
      double psi = 0.0;
      if (gradients) {
        int piece = -1;
        psi = p_.piecewise_objective->Evaluate(x, &piece);
        objective_pool_.Add(piece);
      } else {
        psi = p_.piecewise_objective->Value(x);
      }
      point->merit_objective = -psi;
      point->natural_objective = psi;
      break;
    }
  }
  if (!std::isfinite(point->merit_objective)) return false;
  point->violation_l1 = 0.0;
  point->violation_max = 0.0;
  point->g.resize(p_.smooth.size());
  point->g_grad.resize(gradients ? p_.smooth.size() : 0);
  for (std::size_t j = 0; j < p_.smooth.size(); ++j) {
    const double g = p_.smooth[j].function->Evaluate(x, gradients ? &point->g_grad[j] : nullptr);
    if (!std::isfinite(g)) return false;
    point->g[j] = g;
    const double v = p_.smooth[j].equality ? std::abs(g) : std::max(0.0, g);
    point->violation_l1 += v;
    point->violation_max = std::max(point->violation_max, v);
  }
  point->psi.resize(p_.piecewise.size());
  for (std::size_t k = 0; k < p_.piecewise.size(); ++k) {
    double psi = 0.0;
    if (gradients) {
      int piece = -1;
      psi = p_.piecewise[k].function->Evaluate(x, &piece);
      pools_[k].Add(piece);
    } else {
      psi = p_.piecewise[k].function->Value(x);
    }
    if (!std::isfinite(psi)) return false;
    point->psi[k] = psi;
    const double v = std::max(0.0, p_.piecewise[k].lower - psi);
    point->violation_l1 += v;
    point->violation_max = std::max(point->violation_max, v);
  }
  return true;
}

Matrix Sqp::LagrangianHessian(const Point& point) {
  const Vector& x = point.x;
  if (p_.quasi_newton) {
    // Damped BFGS (Powell) on the gradient of the Lagrangian, both gradients taken with the
    // latest multipliers.
    if (bfgs_.size() == 0) {
      bfgs_ = Matrix::Identity(n_, n_);
    } else if (previous_x_.size() == n_) {
      const Vector s = x - previous_x_;
      Vector y = point.model_gradient - previous_model_gradient_;
      for (std::size_t j = 0; j < p_.smooth.size(); ++j) {
        y += smooth_multipliers_[j] * (point.g_grad[j] - previous_g_grad_[j]);
      }
      const Vector bs = bfgs_ * s;
      const double sbs = s.dot(bs);
      const double sy = s.dot(y);
      if (sbs > 0.0) {
        if (first_update_ && sy > 0.0) {
          // Scale the initial matrix to the curvature seen along the first step.
          bfgs_ *= y.squaredNorm() / sy;
          first_update_ = false;
        }
        return LagrangianHessianBfgsUpdate(point, s, y);
      }
    }
    previous_x_ = x;
    previous_model_gradient_ = point.model_gradient;
    previous_g_grad_ = point.g_grad;
    return bfgs_;
  }
  // The objective's part once per iteration; each constraint's part on demand (once).
  if (hessian_x_.size() != n_ || hessian_x_ != x) {
    hessian_x_ = x;
    objective_hessian_ = Matrix::Zero(n_, n_);
    switch (p_.objective_kind) {
      case SqpObjectiveKind::kSmooth:
        p_.objective->AddHessian(x, 1.0, &objective_hessian_);
        break;
      case SqpObjectiveKind::kRatio:
        p_.numerator->AddHessian(x, -1.0 / point.denominator, &objective_hessian_);
        p_.denominator->AddHessian(x, point.lambda / point.denominator, &objective_hessian_);
        break;
      case SqpObjectiveKind::kPiecewiseMax:
        break;
    }
    constraint_hessians_.assign(p_.smooth.size(), Matrix());
  }
  Matrix h = objective_hessian_;
  if (p_.objective_kind == SqpObjectiveKind::kPiecewiseMax &&
      !p_.piecewise_objective->LinearPieces()) {
    for (std::size_t c = 0; c < objective_pool_.pieces.size(); ++c) {
      if (objective_pool_.multipliers[c] > 0.0) {
        p_.piecewise_objective->AddPieceHessian(objective_pool_.pieces[c], x,
                                                -objective_pool_.multipliers[c], &h);
      }
    }
  }
  for (std::size_t j = 0; j < p_.smooth.size(); ++j) {
    if (smooth_multipliers_[j] == 0.0 || static_cast<int>(j) == exact_) continue;
    if (constraint_hessians_[j].size() == 0) {
      constraint_hessians_[j] = Matrix::Zero(n_, n_);
      p_.smooth[j].function->AddHessian(x, 1.0, &constraint_hessians_[j]);
    }
    h += smooth_multipliers_[j] * constraint_hessians_[j];
  }
  for (std::size_t k = 0; k < p_.piecewise.size(); ++k) {
    if (p_.piecewise[k].function->LinearPieces()) continue;
    for (std::size_t c = 0; c < pools_[k].pieces.size(); ++c) {
      if (pools_[k].multipliers[c] > 0.0) {
        p_.piecewise[k].function->AddPieceHessian(pools_[k].pieces[c], x, -pools_[k].multipliers[c],
                                                  &h);
      }
    }
  }
  h = 0.5 * (h + h.transpose()).eval();
  const bool negative_ratio = p_.objective_kind == SqpObjectiveKind::kRatio && point.lambda < 0.0;
  if (!p_.convex || negative_ratio) {
    // Make the model convex: negative curvature is replaced by its magnitude.
    Eigen::SelfAdjointEigenSolver<Matrix> eigen(h);
    const Vector& values = eigen.eigenvalues();
    const double scale = std::max(1e-300, values.cwiseAbs().maxCoeff());
    if (values.minCoeff() < -1e-12 * scale) {
      h = eigen.eigenvectors() * values.cwiseAbs().asDiagonal() * eigen.eigenvectors().transpose();
      h = 0.5 * (h + h.transpose()).eval();
    }
  }
  return h;
}

Matrix Sqp::LagrangianHessianBfgsUpdate(const Point& point, const Vector& s, const Vector& y) {
  const Vector bs = bfgs_ * s;
  const double sbs = s.dot(bs);
  const double sy = s.dot(y);
  const double theta = sy >= 0.2 * sbs ? 1.0 : 0.8 * sbs / (sbs - sy);
  const Vector r = theta * y + (1.0 - theta) * bs;
  const double sr = s.dot(r);
  if (sbs > 0.0 && sr > 1e-300) {
    bfgs_ += r * r.transpose() / sr - bs * bs.transpose() / sbs;
    bfgs_ = 0.5 * (bfgs_ + bfgs_.transpose()).eval();
  }
  previous_x_ = point.x;
  previous_model_gradient_ = point.model_gradient;
  previous_g_grad_ = point.g_grad;
  return bfgs_;
}

void Sqp::AppendCutRow(int family, int piece, const Vector& x) {
  PiecewiseMinimum* f = family < 0 ? p_.piecewise_objective : p_.piecewise[family].function;
  Vector gradient;
  const double value = f->PieceAt(piece, &gradient);
  const Index row = qp_.G.rows();
  qp_.G.conservativeResize(row + 1, nz_);
  qp_.h.conservativeResize(row + 1);
  qp_.G.row(row).setZero();
  const double offset = value - gradient.dot(x);
  if (family < 0) {
    // t <= l_p(x) + grad'(z - x)  ->  t - grad'z <= value - grad'x
    qp_.G.row(row).head(n_) = -gradient.transpose();
    qp_.G(row, n_) = 1.0;
    qp_.h[row] = offset;
  } else {
    // l_p(x) + grad'(z - x) >= c  ->  -grad'z <= value - grad'x - c
    qp_.G.row(row).head(n_) = -gradient.transpose();
    qp_.h[row] = offset - p_.piecewise[family].lower;
  }
  cut_rows_.emplace_back(family, piece);
}

void Sqp::BuildQp(const Point& point, const Matrix& hessian) {
  const Vector& x = point.x;
  const Index m_eq_lin = p_.linear.a_eq.rows(), m_in_lin = p_.linear.a_in.rows();
  qp_.P = Matrix::Zero(nz_, nz_);
  qp_.P.topLeftCorner(n_, n_) = hessian;
  qp_.q = Vector::Zero(nz_);
  if (has_t_) {
    qp_.q.head(n_) = -qp_.P.topLeftCorner(n_, n_) * x;
    qp_.q[n_] = -1.0;
  } else {
    qp_.q.head(n_) = point.model_gradient - qp_.P.topLeftCorner(n_, n_) * x;
  }
  qp_.A = Matrix::Zero(m_eq_lin + num_smooth_eq_, nz_);
  qp_.b.resize(m_eq_lin + num_smooth_eq_);
  qp_.G = Matrix::Zero(m_in_lin + num_smooth_in_, nz_);
  qp_.h.resize(m_in_lin + num_smooth_in_);
  if (m_eq_lin > 0) {
    qp_.A.topLeftCorner(m_eq_lin, n_) = p_.linear.a_eq;
    qp_.b.head(m_eq_lin) = p_.linear.b_eq;
  }
  if (m_in_lin > 0) {
    qp_.G.topLeftCorner(m_in_lin, n_) = p_.linear.a_in;
    qp_.h.head(m_in_lin) = p_.linear.b_in;
  }
  for (std::size_t j = 0; j < p_.smooth.size(); ++j) {
    const int row = row_of_smooth_[j];
    if (row < 0) continue;
    const Vector& grad = point.g_grad[j];
    const double rhs = grad.dot(x) - point.g[j];
    if (p_.smooth[j].equality) {
      qp_.A.row(m_eq_lin + row).head(n_) = grad.transpose();
      qp_.b[m_eq_lin + row] = rhs;
    } else {
      qp_.G.row(m_in_lin + row).head(n_) = grad.transpose();
      qp_.h[m_in_lin + row] = rhs;
    }
  }
  cut_rows_.clear();
  for (std::size_t k = 0; k < pools_.size(); ++k) {
    for (int piece : pools_[k].pieces) AppendCutRow(static_cast<int>(k), piece, x);
  }
  for (int piece : objective_pool_.pieces) AppendCutRow(-1, piece, x);
  base_p_ = qp_.P;
  qp_.lb.resize(nz_);
  qp_.ub.resize(nz_);
  qp_.lb.head(n_) = p_.linear.lower;
  qp_.ub.head(n_) = p_.linear.upper;
  if (has_t_) {
    qp_.lb[n_] = -kInfinity;
    qp_.ub[n_] = kInfinity;
  }
}

bool Sqp::SolveQpOnce(DenseQpSolver* solver, const Vector& start, bool warm, QpSolution* solution) {
  QpSummary summary;
  if (auto status = solver->Setup(qp_, qp_options_); !status) {
    result_.status = SqpStatus::kNumerical;
    result_.message = "invalid QP subproblem: " + status.error().message();
    return false;
  }
  auto solve = [&]() {
    ++result_.qp_solves;
    if (auto status = solver->Solve(solution, &summary); !status) {
      result_.status = SqpStatus::kNumerical;
      result_.message = "QP subproblem failed: " + status.error().message();
      return false;
    }
    return true;
  };
  (void)solver->SetWarmStart(warm_set_, warm ? warm_x_ : start);
  if (!solve()) return false;
  if (summary.status == QpStatus::kNumericalError || summary.status == QpStatus::kMaxIterations) {
    // Retry from a cold start, which avoids a warm working set that became degenerate.
    solver->ClearWarmStart();
    (void)solver->SetWarmStart({}, start);
    if (!solve()) return false;
  }
  switch (summary.status) {
    case QpStatus::kOptimal:
    case QpStatus::kOptimalInaccurate:
      break;
    case QpStatus::kPrimalInfeasible:
      result_.status = SqpStatus::kInfeasibleQp;
      result_.conflicting = ConflictNames(*solution);
      result_.message = summary.message;
      return false;
    case QpStatus::kDualInfeasible:
      result_.status = SqpStatus::kUnboundedQp;
      result_.message = "the objective is unbounded on the feasible set (" + summary.message + ")";
      return false;
    default:
      result_.status = SqpStatus::kNumerical;
      result_.message =
          "QP subproblem: " + std::string(EnumToString(summary.status)) + ": " + summary.message;
      return false;
  }
  warm_set_ = solution->active_set;
  warm_x_ = solution->x;
  return true;
}

bool Sqp::SolveExact(DenseQpSolver* solver, const Vector& start, QpSolution* solution) {
  const SqpSmoothConstraint& c = p_.smooth[static_cast<std::size_t>(exact_)];
  const Matrix& q = *c.quadratic;
  const double v = c.limit;
  // g(mu) = (z'Qz - v^2) / (2 v) at the QP's answer for mu: non-increasing in mu.
  auto solve = [&](double mu, double* g) -> bool {
    qp_.P = base_p_;
    qp_.P.topLeftCorner(n_, n_) += (mu / v) * q;
    if (!SolveQpOnce(solver, start, true, solution)) return false;
    const Vector z = solution->x.head(n_);
    *g = (z.dot(q * z) - v * v) / (2.0 * v);
    return true;
  };
  const double tolerance = 1e-14 * v;
  double g_low = 0.0;
  if (solve(0.0, &g_low)) {
    if (g_low <= 0.0) {
      exact_multiplier_ = 0.0;
      return true;
    }
  } else if (result_.status == SqpStatus::kUnboundedQp) {
    g_low = kInfinity;  // bounded by the quadratic term once mu > 0
  } else {
    return false;
  }
  double mu_low = 0.0;
  double mu_high = exact_multiplier_ > 0.0 ? exact_multiplier_ : 1e-3;
  double g_high = 0.0;
  QpSolution best;
  for (int expand = 0;; ++expand) {
    if (!solve(mu_high, &g_high)) return false;
    if (g_high <= 0.0) break;
    mu_low = mu_high;
    g_low = g_high;
    mu_high *= 4.0;
    if (expand > 80) {
      result_.status = SqpStatus::kInfeasibleQp;
      result_.conflicting = {c.name};
      result_.message = c.name + " cannot be met within the linear constraints";
      return false;
    }
  }
  best = *solution;
  // Regula falsi (Illinois) on [mu_low, mu_high]; keep the feasible end.
  int side = 0;
  for (int it = 0; it < 100 && g_high < -tolerance; ++it) {
    double mu = std::isinf(g_low) ? 0.5 * (mu_low + mu_high)
                                  : (mu_low * g_high - mu_high * g_low) / (g_high - g_low);
    if (!(mu > mu_low && mu < mu_high)) mu = 0.5 * (mu_low + mu_high);
    double g = 0.0;
    if (!solve(mu, &g)) return false;
    if (g <= 0.0) {
      mu_high = mu;
      g_high = g;
      best = *solution;
      if (side == -1 && !std::isinf(g_low)) g_low *= 0.5;
      side = -1;
    } else {
      mu_low = mu;
      g_low = g;
      if (side == 1) g_high *= 0.5;
      side = 1;
    }
    if (mu_high - mu_low <= 1e-15 * mu_high) break;
  }
  *solution = best;
  warm_x_ = best.x;
  warm_set_ = best.active_set;
  exact_multiplier_ = mu_high;
  return true;
}

bool Sqp::SolveWithCuts(const Point& point, QpSolution* solution) {
  DenseQpSolver solver;
  const Vector& x = point.x;
  // The proximal iterations of the QP solver (used when the model is singular, e.g. linear in
  // the CVaR epigraph variable) start from the iterate, so that among several optimal points
  // of the model the one nearest the iterate is taken.
  Vector start(nz_);
  start.head(n_) = x;
  if (has_t_) start[n_] = point.natural_objective;
  warm_x_ = start;
  for (int round = 0;; ++round) {
    if (exact_ >= 0) {
      if (!SolveExact(&solver, start, solution)) return false;
    } else if (!SolveQpOnce(&solver, start, true, solution)) {
      return false;
    }
    if (round >= o_.max_cuts_per_iteration) break;
    // Cut generation: a piece whose linearisation the QP answer violates.
    const Vector z = solution->x.head(n_);
    bool added = false;
    for (std::size_t k = 0; k < pools_.size(); ++k) {
      int piece = -1;
      const double model = p_.piecewise[k].function->Model(z, &piece);
      const double lower = p_.piecewise[k].lower;
      if (model < lower - o_.cut_tolerance * std::max(1.0, std::abs(lower)) &&
          pools_[k].Add(piece)) {
        AppendCutRow(static_cast<int>(k), piece, x);
        added = true;
      }
    }
    if (has_t_) {
      int piece = -1;
      const double model = p_.piecewise_objective->Model(z, &piece);
      const double t = solution->x[n_];
      if (model < t - o_.cut_tolerance * std::max(1.0, std::abs(t)) && objective_pool_.Add(piece)) {
        AppendCutRow(-1, piece, x);
        added = true;
      }
    }
    if (!added) break;
    // AppendCutRow grew qp_.G; keep the exact-constraint base in step (P is unchanged).
    ++result_.cuts;
  }
  return true;
}

void Sqp::ReadMultipliers(const QpSolution& solution) {
  const Index m_eq_lin = p_.linear.a_eq.rows(), m_in_lin = p_.linear.a_in.rows();
  for (std::size_t j = 0; j < p_.smooth.size(); ++j) {
    const int row = row_of_smooth_[j];
    if (row < 0) {
      smooth_multipliers_[j] = exact_multiplier_;
    } else {
      smooth_multipliers_[j] =
          p_.smooth[j].equality ? solution.y[m_eq_lin + row] : solution.z[m_in_lin + row];
    }
  }
  const Index in = m_in_lin + num_smooth_in_;
  for (auto& pool : pools_) std::fill(pool.multipliers.begin(), pool.multipliers.end(), 0.0);
  std::fill(objective_pool_.multipliers.begin(), objective_pool_.multipliers.end(), 0.0);
  for (std::size_t r = 0; r < cut_rows_.size(); ++r) {
    const auto [family, piece] = cut_rows_[r];
    Pool& pool = family < 0 ? objective_pool_ : pools_[static_cast<std::size_t>(family)];
    const auto it = std::find(pool.pieces.begin(), pool.pieces.end(), piece);
    pool.multipliers[static_cast<std::size_t>(it - pool.pieces.begin())] =
        solution.z[in + static_cast<Index>(r)];
  }
}

std::vector<std::string> Sqp::ConflictNames(const QpSolution& solution) const {
  // Names of every row of the QP: the linear rows, the linearised smooth constraints, the cuts.
  std::vector<std::string> eq_names = p_.linear.eq_names, in_names = p_.linear.in_names;
  eq_names.resize(static_cast<std::size_t>(p_.linear.a_eq.rows()));
  in_names.resize(static_cast<std::size_t>(p_.linear.a_in.rows()));
  std::vector<std::string> eq_smooth(static_cast<std::size_t>(num_smooth_eq_)),
      in_smooth(static_cast<std::size_t>(num_smooth_in_));
  for (std::size_t j = 0; j < p_.smooth.size(); ++j) {
    const int row = row_of_smooth_[j];
    if (row < 0) continue;
    (p_.smooth[j].equality ? eq_smooth : in_smooth)[static_cast<std::size_t>(row)] =
        p_.smooth[j].name;
  }
  eq_names.insert(eq_names.end(), eq_smooth.begin(), eq_smooth.end());
  in_names.insert(in_names.end(), in_smooth.begin(), in_smooth.end());
  for (const auto& [family, piece] : cut_rows_) {
    in_names.push_back(family >= 0 ? p_.piecewise[static_cast<std::size_t>(family)].name
                                   : std::string("the CVaR objective's cuts"));
  }
  std::vector<std::string> names =
      CertificateNames(solution, p_.linear.variable_names, eq_names, in_names);
  names.erase(std::remove(names.begin(), names.end(), "the CVaR objective's cuts"), names.end());
  return names;
}

SqpResult Sqp::Run(Vector x) {
  start_ = Clock::now();
  result_ = SqpResult();
  x = x.cwiseMax(p_.linear.lower).cwiseMin(p_.linear.upper);
  double nu = 1.0;
  double initial_denominator = 0.0;
  Point point, trial;
  QpSolution solution;
  for (int iteration = 0;; ++iteration) {
    result_.iterations = iteration;
    if (!Evaluate(x, true, &point)) {
      result_.status = SqpStatus::kNumerical;
      result_.message =
          "a function is not finite (or the denominator is not positive) at an "
          "iterate";
      result_.x = x;
      return result_;
    }
    if (o_.progress) o_.progress(iteration, point.natural_objective, point.violation_max);
    if (p_.objective_kind == SqpObjectiveKind::kRatio) {
      if (iteration == 0) initial_denominator = point.denominator;
      if (point.denominator < 1e-6 * initial_denominator) {
        // The ratio grows as its denominator goes to 0: the supremum is not attained (E(t w)
        // / t grows as t -> 0 for a concave E with E(0) = 0, or a riskless direction exists).
        result_.status = SqpStatus::kRatioAtOrigin;
        result_.message = "the ratio keeps increasing as its denominator goes to 0 (it is " +
                          FormatNumber(point.natural_objective, 6) + " with a denominator of " +
                          FormatNumber(point.denominator, 6) + "); it has no maximiser";
        break;
      }
    }
    if (iteration >= o_.max_iterations) {
      result_.status = SqpStatus::kMaxIterations;
      result_.message = "iteration limit " + std::to_string(o_.max_iterations) + " reached";
      break;
    }
    if (TimeUp()) {
      result_.status = SqpStatus::kTimeLimit;
      result_.message = "time limit of " + FormatNumber(o_.time_limit_seconds, 6) + " s reached";
      break;
    }
    // A failed subproblem ends the solve at x (result_ says why).
    auto stop_at = [&]() {
      result_.x = x;
      result_.objective = point.natural_objective;
      result_.max_violation = point.violation_max;
      return result_;
    };
    Matrix hessian = LagrangianHessian(point);
    BuildQp(point, hessian);
    if (!SolveWithCuts(point, &solution)) return stop_at();
    std::vector<double> previous_multipliers = smooth_multipliers_;
    ReadMultipliers(solution);
    if (!p_.quasi_newton) {
      // A constraint that just became active brings its curvature into the Hessian: solve the
      // QP again with it (cheap: the parts of the Hessian are kept), instead of taking a step
      // that ignores it.
      bool newly_active = false;
      for (std::size_t j = 0; j < p_.smooth.size(); ++j) {
        newly_active =
            newly_active || (static_cast<int>(j) != exact_ && previous_multipliers[j] == 0.0 &&
                             smooth_multipliers_[j] != 0.0);
      }
      if (newly_active) {
        const Matrix updated = LagrangianHessian(point);
        BuildQp(point, updated);
        if (!SolveWithCuts(point, &solution)) return stop_at();
        ReadMultipliers(solution);
        hessian = updated;
      }
    }
    const Vector d = solution.x.head(n_) - x;
    const double step = d.cwiseAbs().maxCoeff();
    result_.step = step;
    const double dhd = d.dot(hessian * d);
    result_.stationarity = (hessian * d).cwiseAbs().maxCoeff();
    const double x_scale = std::max(1.0, x.cwiseAbs().maxCoeff());
    // Linear model change of the objective along d.
    double linear_change = 0.0;
    if (has_t_) {
      linear_change = -(solution.x[n_] - point.natural_objective);
    } else {
      linear_change = point.model_gradient.dot(d);
    }
    // Converged: the step is negligible, or it would change the objective model by less than
    // rounding (then the remaining step lies along directions the model is flat in).
    const double model_change = std::abs(linear_change) + 0.5 * std::abs(dhd);
    const bool negligible =
        model_change <= 1e-15 * std::max(1.0, std::abs(point.merit_objective)) &&
        step <= std::sqrt(o_.step_tolerance) * x_scale;
    if ((step <= o_.step_tolerance * x_scale || negligible) &&
        point.violation_max <= o_.feasibility_tolerance) {
      // Converged. Take the last tiny step if it keeps the constraints.
      result_.status = SqpStatus::kConverged;
      if (step > 0.0) {
        const Vector candidate =
            solution.x.head(n_).cwiseMax(p_.linear.lower).cwiseMin(p_.linear.upper);
        if (Evaluate(candidate, false, &trial) &&
            trial.violation_max <= std::max(o_.feasibility_tolerance, point.violation_max) &&
            trial.merit_objective <=
                point.merit_objective + 1e-14 * std::max(1.0, std::abs(point.merit_objective))) {
          point = trial;
          x = candidate;
        }
      }
      break;
    }
    // Penalty parameter.
    double max_multiplier = 0.0;
    for (double m : smooth_multipliers_) max_multiplier = std::max(max_multiplier, std::abs(m));
    for (const auto& pool : pools_) {
      double sum = 0.0;
      for (double m : pool.multipliers) sum += std::abs(m);
      max_multiplier = std::max(max_multiplier, sum);
    }
    nu = std::max(nu, 1.1 * max_multiplier + 1e-8);
    if (point.violation_l1 > 0.0) {
      nu = std::max(nu, (linear_change + 0.5 * std::max(0.0, dhd)) / (0.5 * point.violation_l1));
    }
    const double merit0 = Merit(point, nu);
    const double slope = linear_change - nu * point.violation_l1;
    const double roundoff = 1e-14 * std::max(1.0, std::abs(merit0));
    // Line search along d, with a second-order correction after a rejected full step.
    double alpha = 1.0;
    bool accepted = false;
    Vector next;
    while (alpha >= 1e-12) {
      next = (x + alpha * d).cwiseMax(p_.linear.lower).cwiseMin(p_.linear.upper);
      if (Evaluate(next, false, &trial) &&
          Merit(trial, nu) <= merit0 + 1e-4 * alpha * std::min(slope, 0.0) + roundoff) {
        accepted = true;
        break;
      }
      if (alpha == 1.0 && !p_.smooth.empty() && trial.g.size() == p_.smooth.size() &&
          trial.violation_l1 > point.violation_l1) {
        // Second-order correction: the same QP with the smooth constraints linearised at x
        // but shifted by their curvature along d.
        const Index m_eq_lin = p_.linear.a_eq.rows(), m_in_lin = p_.linear.a_in.rows();
        QpProblem saved_b = qp_;
        for (std::size_t j = 0; j < p_.smooth.size(); ++j) {
          const int row = row_of_smooth_[j];
          if (row < 0) continue;
          const double shift = trial.g[j] - point.g[j] - point.g_grad[j].dot(d);
          if (p_.smooth[j].equality) {
            qp_.b[m_eq_lin + row] -= shift;
          } else {
            qp_.h[m_in_lin + row] -= shift;
          }
        }
        QpSolution correction;
        DenseQpSolver solver;
        QpSummary summary;
        if (exact_ >= 0) {
          qp_.P.topLeftCorner(n_, n_) +=
              (exact_multiplier_ / p_.smooth[static_cast<std::size_t>(exact_)].limit) *
              *p_.smooth[static_cast<std::size_t>(exact_)].quadratic;
        }
        if (solver.Setup(qp_, qp_options_) && solver.Solve(&correction, &summary) &&
            (summary.status == QpStatus::kOptimal ||
             summary.status == QpStatus::kOptimalInaccurate)) {
          ++result_.qp_solves;
          const Vector corrected =
              correction.x.head(n_).cwiseMax(p_.linear.lower).cwiseMin(p_.linear.upper);
          if (Evaluate(corrected, false, &trial) &&
              Merit(trial, nu) <= merit0 + 1e-4 * std::min(slope, 0.0) + roundoff) {
            next = corrected;
            accepted = true;
            qp_ = std::move(saved_b);
            break;
          }
        }
        qp_ = std::move(saved_b);
      }
      alpha *= 0.5;
    }
    if (!accepted) {
      if (point.violation_max <= o_.feasibility_tolerance &&
          step <= std::sqrt(o_.step_tolerance) * x_scale) {
        // The step is small and no longer improves the merit function within rounding:
        // accept x as converged to the precision the functions allow.
        result_.status = SqpStatus::kConverged;
        result_.message = "stopped at rounding level (step " + FormatNumber(step, 6) + ")";
        break;
      }
      result_.status = SqpStatus::kLineSearch;
      result_.message = "no step decreases the merit function (step " + FormatNumber(step, 6) +
                        ", violation " + FormatNumber(point.violation_max, 6) + ")";
      break;
    }
    x = next;
  }
  result_.x = x;
  result_.objective = point.natural_objective;
  result_.max_violation = point.violation_max;
  result_.smooth_multipliers = smooth_multipliers_;
  result_.piecewise_multipliers.assign(pools_.size(), 0.0);
  for (std::size_t k = 0; k < pools_.size(); ++k) {
    for (double m : pools_[k].multipliers) result_.piecewise_multipliers[k] += m;
  }
  return result_;
}

}  // namespace

std::vector<std::string> CertificateNames(const QpSolution& solution,
                                          const std::vector<std::string>& variable_names,
                                          const std::vector<std::string>& eq_names,
                                          const std::vector<std::string>& in_names) {
  std::vector<std::string> names;
  auto significant = [](const Vector& v, Index i) {
    const double scale = v.size() ? v.cwiseAbs().maxCoeff() : 0.0;
    return scale > 0.0 && std::abs(v[i]) > 1e-9 * scale;
  };
  auto add = [&](const std::vector<std::string>& list, Index i, const std::string& fallback,
                 const std::string& prefix) {
    const std::string name =
        prefix + (i < static_cast<Index>(list.size()) ? list[static_cast<std::size_t>(i)]
                                                      : fallback + std::to_string(i));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  };
  for (Index j = 0; j < solution.certificate_bounds.size(); ++j) {
    if (!significant(solution.certificate_bounds, j)) continue;
    add(variable_names, j, "x",
        solution.certificate_bounds[j] < 0 ? "lower bound of " : "upper bound of ");
  }
  for (Index i = 0; i < solution.certificate_y.size(); ++i) {
    if (significant(solution.certificate_y, i)) add(eq_names, i, "equality row ", "");
  }
  for (Index i = 0; i < solution.certificate_z.size(); ++i) {
    if (significant(solution.certificate_z, i)) add(in_names, i, "inequality row ", "");
  }
  return names;
}

Result<QpSolution> SolveOverLinearSet(const LinearSet& set, const Matrix& p, const Vector& q,
                                      QpSummary* summary) {
  const Index n = q.size();
  QpProblem qp;
  qp.P = p;
  qp.q = q;
  qp.A = set.a_eq.rows() > 0 ? set.a_eq : Matrix(0, n);
  qp.b = set.a_eq.rows() > 0 ? set.b_eq : Vector(0);
  qp.G = set.a_in.rows() > 0 ? set.a_in : Matrix(0, n);
  qp.h = set.a_in.rows() > 0 ? set.b_in : Vector(0);
  qp.lb = set.lower;
  qp.ub = set.upper;
  QpOptions options;
  options.primal_tolerance = 1e-12;
  options.dual_tolerance = 1e-12;
  return SolveQp(qp, options, summary);
}

bool ProjectOntoLinearSet(const LinearSet& set, const Vector& x0, Vector* x,
                          std::vector<std::string>* conflicting) {
  QpSummary summary;
  auto solution = SolveOverLinearSet(set, Matrix::Identity(x0.size(), x0.size()), -x0, &summary);
  if (solution &&
      (summary.status == QpStatus::kOptimal || summary.status == QpStatus::kOptimalInaccurate)) {
    *x = solution->x;
    return true;
  }
  if (solution && summary.status == QpStatus::kPrimalInfeasible) {
    *conflicting = CertificateNames(*solution, set.variable_names, set.eq_names, set.in_names);
  }
  return false;
}

SqpResult SolveSqp(const SqpProblem& problem, const Vector& x0, const SqpOptions& options) {
  Sqp sqp(problem, options);
  return sqp.Run(x0);
}

}  // namespace pfopt::scenario::internal
