#include "optimize/tail_solver.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <utility>

#include "optimize/result_checks.h"

namespace pfopt::internal {

namespace {

std::string Num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

// Descending order of the losses with ties broken by index (a strict weak order, so that the
// partitions are deterministic).
struct LossGreater {
  const Vector* losses;
  bool operator()(Index a, Index b) const {
    const double la = (*losses)[a], lb = (*losses)[b];
    return la > lb || (la == lb && a < b);
  }
};

// Neumaier's compensated sum of v[ids].
double CompensatedSum(const Vector& v, const Index* ids, Index count) {
  double sum = 0.0, compensation = 0.0;
  for (Index k = 0; k < count; ++k) {
    const double x = v[ids[k]];
    const double t = sum + x;
    compensation += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
  }
  return sum + compensation;
}

// What one phase of the proximal method minimises.
struct PhaseObjective {
  const Matrix* P = nullptr;  // nx x nx or null (= 0)
  const Vector* q = nullptr;  // nx or null (= 0)
  double cvar_weight = 0.0;
  std::optional<double> cvar_limit;
};

struct PhaseResult {
  OptimizationStatus status = OptimizationStatus::kNotRun;
  std::string message;
  Vector x;
  TailValues tail;
  Vector tail_probabilities;
};

class ProximalTailMethod {
 public:
  ProximalTailMethod(const TailProblem& problem, const TailSolverSettings& settings,
                     TailSolution* counters)
      : f_(*problem.formulation),
        scenarios_(*problem.scenarios),
        alpha_(problem.alpha),
        settings_(settings),
        counters_(counters) {
    nx_ = f_.num_variables;
    n_ = f_.num_assets;
    periods_ = scenarios_.rows();
    k_ = alpha_ * static_cast<double>(periods_);
    k_floor_ = std::min<Index>(static_cast<Index>(std::floor(k_)), periods_ - 1);
    half_window_ = settings.window > 0 ? settings.window : std::min<Index>(n_ + 8, 25);
  }

  // Minimises the phase objective from `start` (a point of X; within the limit if any).
  Status Run(const PhaseObjective& objective, const Vector& start, PhaseResult* result) {
    objective_ = objective;
    prev_active_.clear();
    prev_slots_.clear();
    sticky_.assign(static_cast<std::size_t>(periods_), 0);
    SetCentre(start);
    const double gradient = GradientScale();
    rho_ = 100.0 * std::max(gradient, 1e-8);
    const double rho_floor = 1e-14 * rho_;
    const double loss_scale = std::max(centre_losses_.cwiseAbs().maxCoeff(), 1e-300);
    const double tight_tolerance = 1e-12 * loss_scale;
    const double limit_tolerance =
        objective.cvar_limit ? 1e-12 * std::max(std::abs(*objective.cvar_limit), loss_scale) : 0.0;

    for (;;) {
      if (counters_->outer_iterations >= settings_.max_iterations) {
        result->status = OptimizationStatus::kMaxIterations;
        result->message = "CVaR solver: iteration limit " +
                          std::to_string(settings_.max_iterations) + " reached (last step " +
                          Num(last_step_) + ")";
        result->x = centre_;
        result->tail = centre_tail_;
        return Ok();
      }
      ++counters_->outer_iterations;
      BuildMaster();
      QpSolution solution;
      QpSummary summary;
      PFOPT_RETURN_IF_ERROR(solver_.Setup(master_, settings_.qp));
      if (!prev_active_.empty()) PFOPT_RETURN_IF_ERROR(solver_.SetWarmStart(MapWarmStart()));
      PFOPT_RETURN_IF_ERROR(solver_.Solve(&solution, &summary));
      counters_->qp_iterations += summary.iterations;
      if (!QpSolved(summary.status)) {
        result->status = StatusFromQp(summary.status);
        result->message = "CVaR solver subproblem: " + summary.BriefReport();
        return Ok();
      }
      prev_active_ = solution.active_set;
      prev_slots_ = window_ids_;

      const Vector x = solution.x.head(nx_);
      const double a = solution.x[nx_];
      const Vector losses = -(scenarios_ * x.head(n_));
      const TailValues tail = EvaluateTail(losses, alpha_);
      const double merit = Smooth(x) + objective_.cvar_weight * tail.cvar;
      const double model = Smooth(x) + objective_.cvar_weight * ModelCvar(solution.x);
      // Exactness of the model at the new point: In scenarios above a, Out scenarios below.
      std::vector<Index> violators;
      for (Index t = 0; t < periods_; ++t) {
        const signed char s = side_[static_cast<std::size_t>(t)];
        if ((s > 0 && losses[t] < a - tight_tolerance) ||
            (s < 0 && losses[t] > a + tight_tolerance)) {
          violators.push_back(t);
        }
      }
      const bool tight = violators.empty();
      const bool feasible =
          !objective_.cvar_limit || tail.cvar <= *objective_.cvar_limit + limit_tolerance;
      last_step_ = (x - centre_).cwiseAbs().maxCoeff();
      const double step_tolerance = 1e-12 * std::max(1.0, centre_.cwiseAbs().maxCoeff());
      if (tight && feasible && last_step_ <= step_tolerance) {
        result->status = OptimizationStatus::kOptimal;
        result->x = x;
        result->tail = tail;
        result->tail_probabilities = TailProbabilities(solution);
        return Ok();
      }
      const double predicted = centre_merit_ - model;
      const double actual = centre_merit_ - merit;
      const double noise = 1e-15 * std::max(1.0, std::abs(centre_merit_));
      if (feasible && actual >= 0.1 * predicted - noise && actual > -noise) {
        if (actual >= 0.5 * predicted) rho_ = std::max(0.25 * rho_, rho_floor);
        SetCentre(x, losses, tail);
      } else {
        rho_ *= 4.0;
        // Model the scenarios that broke the model exactly from now on, but only the worst
        // ones (a long step can break hundreds; the larger rho shortens the next one anyway).
        if (static_cast<Index>(violators.size()) > half_window_) {
          std::nth_element(
              violators.begin(), violators.begin() + half_window_, violators.end(),
              [&](Index s, Index t) { return std::abs(losses[s] - a) > std::abs(losses[t] - a); });
          violators.resize(static_cast<std::size_t>(half_window_));
        }
        for (Index t : violators) sticky_[static_cast<std::size_t>(t)] = 1;
      }
    }
  }

 private:
  double Smooth(const Vector& x) const {
    double value = 0.0;
    if (objective_.P != nullptr) value += 0.5 * x.dot(*objective_.P * x);
    if (objective_.q != nullptr) value += objective_.q->dot(x);
    return value;
  }

  // Scale of the objective's gradient at the centre (sets the first proximal weight).
  double GradientScale() const {
    Vector g = Vector::Zero(nx_);
    if (objective_.P != nullptr) g += *objective_.P * centre_;
    if (objective_.q != nullptr) g += *objective_.q;
    double scale = g.cwiseAbs().maxCoeff();
    if (objective_.cvar_weight > 0.0 || objective_.cvar_limit) {
      const double c = std::max(objective_.cvar_weight, 1.0);
      scale = std::max(scale, c * scenarios_.cwiseAbs().maxCoeff());
    }
    return scale;
  }

  void SetCentre(const Vector& x) {
    const Vector losses = -(scenarios_ * x.head(n_));
    SetCentre(x, losses, EvaluateTail(losses, alpha_));
  }

  void SetCentre(const Vector& x, const Vector& losses, const TailValues& tail) {
    centre_ = x;
    centre_losses_ = losses;
    centre_tail_ = tail;
    centre_merit_ = Smooth(x) + objective_.cvar_weight * tail.cvar;
    // Ranks: [0, lo) In, [lo, hi] window, the rest Out.
    const Index lo = std::max<Index>(0, k_floor_ - half_window_);
    const Index hi = std::min<Index>(periods_ - 1, k_floor_ + half_window_);
    order_.resize(static_cast<std::size_t>(periods_));
    std::iota(order_.begin(), order_.end(), Index{0});
    const LossGreater greater{&centre_losses_};
    if (lo > 0) std::nth_element(order_.begin(), order_.begin() + lo, order_.end(), greater);
    if (hi + 1 < periods_) {
      std::nth_element(order_.begin() + lo, order_.begin() + hi + 1, order_.end(), greater);
    }
    std::sort(order_.begin() + lo, order_.begin() + hi + 1, greater);
    side_.assign(static_cast<std::size_t>(periods_), -1);
    for (Index r = 0; r < lo; ++r) side_[static_cast<std::size_t>(order_[r])] = 1;
    for (Index r = lo; r <= hi; ++r) side_[static_cast<std::size_t>(order_[r])] = 0;
    // Scenarios tied with the VaR loss must be modelled exactly even outside the rank window:
    // any move breaks such ties either way.
    const double var = tail.var;
    const double tie = 1e-12 * std::max(std::abs(var), 1e-300) + 1e-300;
    for (Index t = 0; t < periods_; ++t) {
      if (std::abs(losses[t] - var) <= tie) side_[static_cast<std::size_t>(t)] = 0;
    }
  }

  // The window B: ranks around the VaR plus the sticky scenarios (model violators of rejected
  // steps), in rank order then index order.
  void CollectWindow() {
    window_ids_.clear();
    for (Index r = 0; r < periods_; ++r) {
      const Index t = order_[r];
      const std::size_t st = static_cast<std::size_t>(t);
      if (sticky_[st]) side_[st] = 0;
      if (side_[st] == 0) window_ids_.push_back(t);
    }
    in_ids_.clear();
    for (Index t = 0; t < periods_; ++t) {
      if (side_[static_cast<std::size_t>(t)] > 0) in_ids_.push_back(t);
    }
  }

  // Model of CVaR at master variables (x, a, u): g_in'w + (1 - |In|/K) a + sum(u)/K.
  double ModelCvar(const Vector& z) const {
    const Index nb = static_cast<Index>(window_ids_.size());
    return in_gradient_.dot(z.head(n_)) + in_coefficient_ * z[nx_] +
           z.segment(nx_ + 1, nb).sum() / k_;
  }

  void BuildMaster() {
    CollectWindow();
    const Index nb = static_cast<Index>(window_ids_.size());
    const Index nv = nx_ + 1 + nb;
    const Index a_index = nx_;
    const Index u0 = nx_ + 1;
    const double c = objective_.cvar_weight;
    in_gradient_ = Vector::Zero(n_);
    for (Index t : in_ids_) in_gradient_ -= scenarios_.row(t).transpose();
    in_gradient_ /= k_;
    in_coefficient_ = 1.0 - static_cast<double>(in_ids_.size()) / k_;
    // The centre in master variables: a at the VaR, u at max(0, L - a).
    const double a_centre = centre_tail_.var;
    Vector u_centre(nb);
    for (Index b = 0; b < nb; ++b) {
      u_centre[b] =
          std::max(0.0, centre_losses_[window_ids_[static_cast<std::size_t>(b)]] - a_centre);
    }
    QpProblem& m = master_;
    m.P = Matrix::Zero(nv, nv);
    if (objective_.P != nullptr) m.P.topLeftCorner(nx_, nx_) = *objective_.P;
    m.P.diagonal().array() += rho_;
    m.q = Vector::Zero(nv);
    if (objective_.q != nullptr) m.q.head(nx_) = *objective_.q;
    m.q.head(nx_) -= rho_ * centre_;
    m.q.head(n_) += c * in_gradient_;
    m.q[a_index] = c * in_coefficient_ - rho_ * a_centre;
    m.q.tail(nb).setConstant(c / k_);
    m.q.tail(nb) -= rho_ * u_centre;
    m.A = Matrix::Zero(f_.A.rows(), nv);
    m.A.leftCols(nx_) = f_.A;
    m.b = f_.b;
    const Index mg = f_.G.rows();
    const bool limit = objective_.cvar_limit.has_value();
    const Index rows = mg + nb + (limit ? 1 : 0);
    m.G = Matrix::Zero(rows, nv);
    m.h = Vector::Zero(rows);
    m.G.topLeftCorner(mg, nx_) = f_.G;
    m.h.head(mg) = f_.h;
    for (Index b = 0; b < nb; ++b) {  // -r_t'w - a - u_t <= 0
      m.G.row(mg + b).head(n_) = -scenarios_.row(window_ids_[static_cast<std::size_t>(b)]);
      m.G(mg + b, a_index) = -1.0;
      m.G(mg + b, u0 + b) = -1.0;
    }
    if (limit) {
      const Index r = mg + nb;
      m.G.row(r).head(n_) = in_gradient_.transpose();
      m.G(r, a_index) = in_coefficient_;
      m.G.row(r).tail(nb).setConstant(1.0 / k_);
      m.h[r] = *objective_.cvar_limit;
    }
    m.lb.resize(nv);
    m.ub.resize(nv);
    m.lb.head(nx_) = f_.lb;
    m.ub.head(nx_) = f_.ub;
    m.lb[a_index] = -kInfinity;
    m.ub[a_index] = kInfinity;
    m.lb.tail(nb).setZero();
    m.ub.tail(nb).setConstant(kInfinity);
    slot_of_.assign(static_cast<std::size_t>(periods_), -1);
    for (Index b = 0; b < nb; ++b)
      slot_of_[static_cast<std::size_t>(window_ids_[static_cast<std::size_t>(b)])] = b;
  }

  // The previous master's working set, translated to the current master (scenario rows and
  // bounds follow their scenario; those that left the window are dropped).
  std::vector<QpActiveConstraint> MapWarmStart() const {
    std::vector<QpActiveConstraint> mapped;
    const Index mg = f_.G.rows();
    const Index prev_nb = static_cast<Index>(prev_slots_.size());
    const Index nb = static_cast<Index>(window_ids_.size());
    for (QpActiveConstraint entry : prev_active_) {
      switch (entry.kind) {
        case QpActiveConstraint::Kind::kEquality:
          mapped.push_back(entry);
          break;
        case QpActiveConstraint::Kind::kInequality: {
          if (entry.index < mg) {
            mapped.push_back(entry);
          } else if (entry.index < mg + prev_nb) {
            const Index id = prev_slots_[static_cast<std::size_t>(entry.index - mg)];
            const Index slot = slot_of_[static_cast<std::size_t>(id)];
            if (slot >= 0) {
              entry.index = mg + slot;
              mapped.push_back(entry);
            }
          } else if (objective_.cvar_limit) {
            entry.index = mg + nb;
            mapped.push_back(entry);
          }
          break;
        }
        case QpActiveConstraint::Kind::kBound: {
          if (entry.index < nx_) {
            mapped.push_back(entry);
          } else if (entry.index > nx_) {
            const Index id = prev_slots_[static_cast<std::size_t>(entry.index - nx_ - 1)];
            const Index slot = slot_of_[static_cast<std::size_t>(id)];
            if (slot >= 0) {
              entry.index = nx_ + 1 + slot;
              mapped.push_back(entry);
            }
          }
          break;
        }
      }
    }
    return mapped;
  }

  // The dual of the full LP from the master's multipliers: 1/K on In, z_b / (c + mu) on the
  // window, 0 on Out.
  Vector TailProbabilities(const QpSolution& solution) const {
    const Index mg = f_.G.rows();
    const Index nb = static_cast<Index>(window_ids_.size());
    const double mu = objective_.cvar_limit ? solution.z[mg + nb] : 0.0;
    const double scale = objective_.cvar_weight + mu;
    if (!(scale > 0.0)) return {};
    Vector q = Vector::Zero(periods_);
    for (Index t : in_ids_) q[t] = 1.0 / k_;
    for (Index b = 0; b < nb; ++b) {
      q[window_ids_[static_cast<std::size_t>(b)]] =
          std::clamp(solution.z[mg + b] / scale, 0.0, 1.0 / k_);
    }
    return q;
  }

  const LinearFormulation& f_;
  const Matrix& scenarios_;
  double alpha_;
  TailSolverSettings settings_;
  TailSolution* counters_;
  Index nx_ = 0, n_ = 0, periods_ = 0, k_floor_ = 0, half_window_ = 0;
  double k_ = 0.0;
  PhaseObjective objective_;
  double rho_ = 1.0;
  double last_step_ = kNaN;
  // Centre.
  Vector centre_, centre_losses_;
  TailValues centre_tail_;
  double centre_merit_ = 0.0;
  std::vector<Index> order_;
  std::vector<signed char> side_;    // +1 In, 0 window, -1 Out
  std::vector<signed char> sticky_;  // forced into the window
  // Current master.
  std::vector<Index> window_ids_, in_ids_;
  std::vector<Index> slot_of_;
  Vector in_gradient_;
  double in_coefficient_ = 1.0;
  QpProblem master_;
  DenseQpSolver solver_;
  std::vector<QpActiveConstraint> prev_active_;
  std::vector<Index> prev_slots_;
};

Status CheckProblem(const TailProblem& p) {
  if (p.formulation == nullptr) return InvalidArgument("no formulation", "formulation");
  const Index nx = p.formulation->num_variables;
  if (p.P.size() != 0 && (p.P.rows() != nx || p.P.cols() != nx)) {
    return DimensionMismatch("P does not match the formulation", "P");
  }
  if (p.q.size() != 0 && p.q.size() != nx) {
    return DimensionMismatch("q does not match the formulation", "q");
  }
  if (!(p.cvar_weight >= 0.0) || !std::isfinite(p.cvar_weight)) {
    return InvalidArgument("the CVaR weight must be a finite number >= 0", "cvar_weight");
  }
  const bool uses_tail = p.cvar_weight > 0.0 || p.cvar_limit.has_value();
  if (uses_tail) {
    if (p.scenarios == nullptr || p.scenarios->rows() == 0) {
      return InvalidArgument("CVaR needs scenario returns", "scenarios");
    }
    if (p.scenarios->cols() != p.formulation->num_assets) {
      return DimensionMismatch("the scenarios have " + std::to_string(p.scenarios->cols()) +
                                   " columns for " + std::to_string(p.formulation->num_assets) +
                                   " assets",
                               "scenarios");
    }
    if (!(p.alpha > 0.0 && p.alpha < 1.0)) {
      return InvalidArgument("alpha is " + Num(p.alpha) + "; it must be in (0, 1)", "alpha");
    }
  }
  return Ok();
}

// One QP over the formulation: the feasible starting point or, without CVaR, the answer.
Status SolveOverFormulation(const LinearFormulation& f, const Matrix& P, const Vector& q,
                            const QpOptions& options, TailSolution* out, Vector* x) {
  QpProblem qp = f.MakeQp(Matrix(), Vector());
  if (P.size() != 0) qp.P = P;
  if (q.size() != 0) qp.q = q;
  QpSummary summary;
  auto solution = SolveQp(qp, options, &summary);
  if (!solution) return tl::unexpected(solution.error());
  out->qp_iterations += summary.iterations;
  if (!QpSolved(summary.status)) {
    QpFailure failure = DescribeQpFailure(f, *solution, summary);
    out->status = failure.status;
    out->message = std::move(failure.message);
    out->conflicting_groups = std::move(failure.conflicting_groups);
    return Ok();
  }
  *x = solution->x;
  return Ok();
}

}  // namespace

TailValues EvaluateTail(const VectorRef& losses_in, double alpha) {
  const Vector losses = losses_in;
  const Index periods = losses.size();
  TailValues values;
  if (periods == 0) return values;
  const double k = alpha * static_cast<double>(periods);
  const Index k_floor = std::min<Index>(static_cast<Index>(std::floor(k)), periods - 1);
  std::vector<Index> order(static_cast<std::size_t>(periods));
  std::iota(order.begin(), order.end(), Index{0});
  const LossGreater greater{&losses};
  std::nth_element(order.begin(), order.begin() + k_floor, order.end(), greater);
  std::sort(order.begin(), order.begin() + k_floor, greater);
  values.var = losses[order[static_cast<std::size_t>(k_floor)]];
  const double tail_sum = CompensatedSum(losses, order.data(), k_floor);
  values.cvar = (tail_sum + (k - static_cast<double>(k_floor)) * values.var) / k;
  return values;
}

Result<TailSolution> SolveTailProblem(const TailProblem& problem,
                                      const TailSolverSettings& settings) {
  PFOPT_RETURN_IF_ERROR(CheckProblem(problem));
  PFOPT_RETURN_IF_ERROR(settings.qp.Validate());
  const LinearFormulation& f = *problem.formulation;
  const Index n = f.num_assets;
  const Index nx = f.num_variables;
  TailSolution out;
  const bool uses_tail = problem.cvar_weight > 0.0 || problem.cvar_limit.has_value();
  if (!uses_tail) {
    Vector x;
    PFOPT_RETURN_IF_ERROR(SolveOverFormulation(f, problem.P, problem.q, settings.qp, &out, &x));
    if (x.size() == 0) return out;
    out.status = OptimizationStatus::kOptimal;
    out.x = std::move(x);
    return out;
  }
  const Matrix& scenarios = *problem.scenarios;
  // Start: about the minimum-variance portfolio of the scenarios (a feasible point near the
  // minimum-CVaR one), tilted by a fixed generic vector so that it is not a point where many
  // scenario losses tie (w = 0 for a market-neutral budget would tie them all). It also proves
  // the constraints infeasible when they are.
  Matrix start_p = Matrix::Zero(nx, nx);
  Vector start_q = Vector::Zero(nx);
  {
    const Matrix centred = scenarios.rowwise() - scenarios.colwise().mean();
    Matrix s = centred.transpose() * centred / static_cast<double>(scenarios.rows());
    const double ridge = 1e-8 * std::max(s.diagonal().mean(), 1e-300);
    s.diagonal().array() += ridge;
    start_p.topLeftCorner(n, n) = s / std::max(s.diagonal().maxCoeff(), 1e-300);
    for (Index i = 0; i < n; ++i) {
      const double golden = 0.6180339887498949 * static_cast<double>(i + 1);
      start_q[i] = 0.01 * (golden - std::floor(golden) - 0.5);
    }
  }
  Vector start;
  PFOPT_RETURN_IF_ERROR(SolveOverFormulation(f, start_p, start_q, settings.qp, &out, &start));
  if (start.size() == 0) return out;

  ProximalTailMethod method(problem, settings, &out);
  if (problem.cvar_limit) {
    // Phase 1: the minimum CVaR, a feasible start for the limit (or proof that none exists).
    PhaseObjective minimum{nullptr, nullptr, 1.0, std::nullopt};
    PhaseResult phase;
    PFOPT_RETURN_IF_ERROR(method.Run(minimum, start, &phase));
    if (!HasSolution(phase.status)) {
      out.status = phase.status;
      out.message = "minimising CVaR (to start within the limit): " + phase.message;
      return out;
    }
    const double limit = *problem.cvar_limit;
    if (phase.tail.cvar > limit + 1e-12 * std::max(std::abs(limit), 1e-300)) {
      out.status = OptimizationStatus::kInfeasible;
      out.conflicting_groups = {ConstraintGroup::kTarget};
      out.message = "cvar_limit " + Num(limit) + " is below the minimum attainable CVaR " +
                    Num(phase.tail.cvar) + " under the constraints";
      out.cvar = phase.tail.cvar;
      return out;
    }
    start = phase.x;
  }
  PhaseObjective objective{problem.P.size() != 0 ? &problem.P : nullptr,
                           problem.q.size() != 0 ? &problem.q : nullptr, problem.cvar_weight,
                           problem.cvar_limit};
  PhaseResult phase;
  PFOPT_RETURN_IF_ERROR(method.Run(objective, start, &phase));
  out.status = phase.status;
  out.message = phase.message;
  if (phase.x.size() == nx && (HasSolution(phase.status))) {
    out.x = std::move(phase.x);
    out.cvar = phase.tail.cvar;
    out.var = phase.tail.var;
    out.tail_probabilities = std::move(phase.tail_probabilities);
  }
  return out;
}

}  // namespace pfopt::internal
