#include "pfopt/optimize/robust.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <utility>

#include "optimize/formulation.h"
#include "optimize/formulation_extras.h"
#include "optimize/result_checks.h"
#include "pfopt/estimate/distributions.h"

namespace pfopt {

namespace {

using Clock = std::chrono::steady_clock;
using internal::LinearFormulation;

std::string Num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

using internal::QpSolved;

// Records why a QP did not solve in `result`.
void RecordFailure(const LinearFormulation& f, const QpSolution& solution, const QpSummary& summary,
                   OptimizationResult* result) {
  internal::QpFailure failure = internal::DescribeQpFailure(f, solution, summary);
  result->status = failure.status;
  result->message = std::move(failure.message);
  result->conflicting_groups = std::move(failure.conflicting_groups);
}

// One QP; false (with the failure recorded) when it did not solve.
Result<bool> SolveOnce(const LinearFormulation& f, const QpProblem& qp, const QpOptions& options,
                       OptimizationResult* result, Vector* x) {
  QpSummary summary;
  auto solution = SolveQp(qp, options, &summary);
  if (!solution) return tl::unexpected(solution.error());
  result->iterations += summary.iterations;
  if (!QpSolved(summary.status)) {
    RecordFailure(f, *solution, summary, result);
    return false;
  }
  *x = std::move(solution->x);
  return true;
}

// A point of the frontier path x(t) = argmin 1/2 w'(Sigma + 2 gamma t I)w - t c'x over the
// formulation (c over all its variables: the return, minus the box penalty on the s block).
struct PathPoint {
  double t = 0.0;
  Vector x;
  double sigma = 0.0;   // sqrt(w'Sigma w)
  double reward = 0.0;  // c'x: the (worst-case) return of the point
  double l2 = 0.0;      // ||w||^2
};

class FrontierPath {
 public:
  FrontierPath(const LinearFormulation& f, const Matrix& sigma, Vector c, double gamma,
               const QpOptions& options, OptimizationResult* result)
      : f_(f), sigma_(sigma), c_(std::move(c)), gamma_(gamma), options_(options), result_(result) {
    qp_ = f.MakeQp(sigma, Vector());
  }

  // Solves at t; false (with the failure recorded in the result) when the QP did not solve.
  Result<bool> Evaluate(double t, PathPoint* point) {
    const Index n = f_.num_assets;
    if (gamma_ > 0.0 || !setup_) {
      qp_.P.topLeftCorner(n, n) = sigma_;
      qp_.P.diagonal().head(n).array() += 2.0 * gamma_ * t;
      PFOPT_RETURN_IF_ERROR(solver_.Setup(qp_, options_));
      if (!warm_.empty()) PFOPT_RETURN_IF_ERROR(solver_.SetWarmStart(warm_));
      setup_ = true;
    }
    PFOPT_RETURN_IF_ERROR(solver_.UpdateLinearTerm(-t * c_));
    QpSolution solution;
    QpSummary summary;
    PFOPT_RETURN_IF_ERROR(solver_.Solve(&solution, &summary));
    result_->iterations += summary.iterations;
    if (!QpSolved(summary.status)) {
      RecordFailure(f_, solution, summary, result_);
      return false;
    }
    warm_ = solution.active_set;
    point->t = t;
    point->x = std::move(solution.x);
    const Vector w = point->x.head(n);
    point->sigma = std::sqrt(std::max(0.0, w.dot(sigma_ * w)));
    point->reward = c_.dot(point->x);
    point->l2 = w.squaredNorm();
    return true;
  }

 private:
  const LinearFormulation& f_;
  const Matrix& sigma_;
  Vector c_;
  double gamma_;
  QpOptions options_;
  OptimizationResult* result_;
  QpProblem qp_;
  DenseQpSolver solver_;
  bool setup_ = false;
  std::vector<QpActiveConstraint> warm_;
};

using PathFunction = std::function<double(const PathPoint&)>;

// Brackets and solves g(t) = 0 along the path, g(lo) >= 0 >= g(hi) (Illinois, i.e. modified
// regula falsi; g changes sign once). `lo` must be evaluated; `hi` is searched upwards from
// t_start by factors of 8 when `hi_given` is false. Returns false when a QP failed or no sign
// change was found (then `*no_root` is set and `lo_out` holds the last point). On success
// `lo_out` / `hi_out` are the final bracket ends (g >= 0 and g <= 0 sides).
Result<bool> FindRoot(FrontierPath& path, const PathFunction& g, PathPoint lo, PathPoint hi,
                      bool hi_given, double t_start, double tolerance, PathPoint* lo_out,
                      PathPoint* hi_out, bool* no_root) {
  *no_root = false;
  double g_lo = g(lo);
  double g_hi = 0.0;
  if (hi_given) {
    g_hi = g(hi);
  } else {
    double t = std::max(t_start, lo.t);
    for (int i = 0;; ++i) {
      auto ok = path.Evaluate(t, &hi);
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) return false;
      g_hi = g(hi);
      if (g_hi <= 0.0) break;
      lo = hi;
      g_lo = g_hi;
      if (i > 80) {
        *no_root = true;
        *lo_out = lo;
        return false;
      }
      t *= 8.0;
    }
  }
  int side = 0;
  for (int i = 0; i < 300; ++i) {
    if (g_lo <= tolerance || -g_hi <= tolerance) break;
    if (hi.t - lo.t <= 1e-15 * hi.t) break;
    double t = (lo.t * g_hi - hi.t * g_lo) / (g_hi - g_lo);
    if (!(t > lo.t && t < hi.t)) t = 0.5 * (lo.t + hi.t);
    PathPoint mid;
    auto ok = path.Evaluate(t, &mid);
    if (!ok) return tl::unexpected(ok.error());
    if (!*ok) return false;
    const double g_mid = g(mid);
    if (g_mid > 0.0) {
      lo = std::move(mid);
      g_lo = g_mid;
      if (side == -1) g_hi *= 0.5;
      side = -1;
    } else {
      hi = std::move(mid);
      g_hi = g_mid;
      if (side == 1) g_lo *= 0.5;
      side = 1;
    }
  }
  *lo_out = std::move(lo);
  *hi_out = std::move(hi);
  return true;
}

// The end of a root search whose |g| is smaller.
const PathPoint& Closer(const PathFunction& g, const PathPoint& a, const PathPoint& b) {
  return std::abs(g(a)) <= std::abs(g(b)) ? a : b;
}

// For a constraint g >= 0 (lo side) or g <= 0 (hi side): the end on the required side, unless
// the other end is a root to the search's tolerance and closer.
const PathPoint& Feasible(const PathFunction& g, const PathPoint& lo, const PathPoint& hi,
                          bool lo_side, double tolerance) {
  const PathPoint& inside = lo_side ? lo : hi;
  const PathPoint& other = lo_side ? hi : lo;
  if (std::abs(g(other)) <= tolerance && std::abs(g(other)) < std::abs(g(inside))) return other;
  return inside;
}

// The robust objective at w (see robust.h) and the penalty mu'w - WR(w).
double Penalty(UncertaintySet set, double k, const Vector& box_cost, const Matrix& sigma,
               const Vector& w) {
  if (set == UncertaintySet::kEllipsoidal) return k * std::sqrt(std::max(0.0, w.dot(sigma * w)));
  return box_cost.dot(w.cwiseAbs());
}

struct Context {
  const PortfolioProblem& problem;
  const RobustOptions& options;
  Objective objective;
  double k = 0.0;   // ellipsoid: kappa / sqrt(T)
  Vector box_cost;  // box: z sigma_i / sqrt(T)
  OptimizationResult* result;
};

// Delegates to the nominal optimiser on `problem` (possibly with shifted expected returns).
Status SolveNominal(const PortfolioProblem& problem, const Context& ctx, Vector* weights,
                    const char* what_mu) {
  MeanVarianceOptions mv = ctx.options.mean_variance;
  mv.objective = ctx.objective;
  auto nominal = OptimizeMeanVariance(problem, mv);
  if (!nominal) {
    if (what_mu != nullptr) {
      return tl::unexpected(Error(nominal.error().code(),
                                  nominal.error().message() + " (" + what_mu + ")",
                                  nominal.error().field()));
    }
    return tl::unexpected(nominal.error());
  }
  OptimizationResult& r = *ctx.result;
  r.status = nominal->status;
  r.message = nominal->message;
  r.iterations += nominal->iterations;
  r.conflicting_groups = nominal->conflicting_groups;
  for (const auto& w : nominal->warnings) r.warnings.push_back(w);
  if (HasSolution(nominal->status)) *weights = nominal->weights;
  return Ok();
}

// ---------------------------------------------------------------------------------------------
// Ellipsoidal set: a scalar search along the nominal frontier.

// The robust MAX_RETURN / MAX_UTILITY point: (1 - delta t) sigma(t) = k t.
Result<bool> EllipsoidUtilityPoint(FrontierPath& path, double k, double delta, PathPoint* out) {
  PathPoint start;
  auto ok = path.Evaluate(0.0, &start);
  if (!ok || !*ok) return ok;
  const PathFunction g = [k, delta](const PathPoint& p) {
    return (1.0 - delta * p.t) * p.sigma - k * p.t;
  };
  const double tolerance = 1e-15 * std::max(start.sigma, 1e-300);
  PathPoint lo, hi, upper;
  bool no_root = false;
  bool hi_given = false;
  if (delta > 0.0) {  // g(1 / delta) = -k / delta < 0
    ok = path.Evaluate(1.0 / delta, &upper);
    if (!ok || !*ok) return ok;
    hi_given = true;
  }
  ok = FindRoot(path, g, start, upper, hi_given, 1.0, tolerance, &lo, &hi, &no_root);
  if (!ok || !*ok) return ok;
  *out = Closer(g, lo, hi);
  return true;
}

Status SolveEllipsoid(const Context& ctx, Vector* weights) {
  const PortfolioProblem& problem = ctx.problem;
  const MeanVarianceOptions& mv = ctx.options.mean_variance;
  OptimizationResult& result = *ctx.result;
  const Index n = problem.num_assets();
  const double gamma = mv.l2_gamma;
  if (ctx.objective == Objective::kMaxSharpe) {
    if (gamma > 0.0) {
      return InvalidArgument(
          "l2_gamma is not supported by the robust MAX_SHARPE with the ellipsoidal set",
          "l2_gamma");
    }
    // (WR(w) - rf) / sigma(w) = Sharpe(w) - k: the nominal optimum is the robust one.
    return SolveNominal(problem, ctx, weights, nullptr);
  }
  const LinearFormulation f = internal::BuildLinearFormulation(problem);
  Vector c = Vector::Zero(f.num_variables);
  c.head(n) = problem.expected_returns;
  FrontierPath path(f, problem.covariance, c, gamma, mv.qp, &result);
  PathPoint point;
  switch (ctx.objective) {
    case Objective::kMaxUtility:
    case Objective::kMaxReturn: {
      const double delta = ctx.objective == Objective::kMaxUtility ? mv.risk_aversion : 0.0;
      auto ok = EllipsoidUtilityPoint(path, ctx.k, delta, &point);
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) return Ok();
      *weights = point.x.head(n);
      return Ok();
    }
    case Objective::kEfficientRisk: {
      // The unconstrained robust optimum if it is within the volatility target; otherwise the
      // target binds and, the penalty being a function of the volatility, the answer is the
      // nominal EFFICIENT_RISK portfolio at the target.
      auto ok = EllipsoidUtilityPoint(path, ctx.k, 0.0, &point);
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) return Ok();
      if (point.sigma <= *mv.target_volatility) {
        *weights = point.x.head(n);
        return Ok();
      }
      return SolveNominal(problem, ctx, weights, nullptr);
    }
    case Objective::kEfficientReturn: {
      if (gamma > 0.0) {
        return InvalidArgument(
            "l2_gamma is not supported by the robust EFFICIENT_RETURN with the ellipsoidal set",
            "l2_gamma");
      }
      const double target = *mv.target_return;
      // The worst-case return rises along the path up to the robust MAX_RETURN point.
      PathPoint top;
      auto ok = EllipsoidUtilityPoint(path, ctx.k, 0.0, &top);
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) return Ok();
      const double k = ctx.k;
      const PathFunction h = [k, target](const PathPoint& p) {
        return -(p.reward - k * p.sigma - target);  // <= 0 once the target is reached
      };
      const double best = top.reward - k * top.sigma;
      if (target > best + 1e-12 * std::max(1.0, std::abs(best))) {
        return InvalidArgument("target_return " + Num(target) +
                                   " is above the maximum attainable worst-case return " +
                                   Num(best) + " under the constraints",
                               "target_return");
      }
      PathPoint start;
      ok = path.Evaluate(0.0, &start);
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) return Ok();
      if (h(start) <= 0.0) {  // the minimum-volatility portfolio already meets the target
        *weights = start.x.head(n);
        return Ok();
      }
      PathPoint lo, hi;
      bool no_root = false;
      const double tolerance = 1e-15 * std::max(1.0, std::abs(target));
      ok = FindRoot(path, h, start, top, true, 1.0, tolerance, &lo, &hi, &no_root);
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) return Ok();
      *weights = Feasible(h, lo, hi, false, tolerance).x.head(n);  // meets the target
      return Ok();
    }
    case Objective::kMinVolatility:
    case Objective::kMaxSharpe:
      break;
  }
  return Ok();
}

// ---------------------------------------------------------------------------------------------
// Box set.

Status SolveBox(const Context& ctx, Vector* weights) {
  const PortfolioProblem& problem = ctx.problem;
  const MeanVarianceOptions& mv = ctx.options.mean_variance;
  OptimizationResult& result = *ctx.result;
  const Index n = problem.num_assets();
  const Vector lower = EffectiveLowerBounds(problem.constraints, n);
  const Vector upper = EffectiveUpperBounds(problem.constraints, n);
  const Vector& mu = problem.expected_returns;
  // One-signed weights: |w| is linear, and the worst case is a shift of mu.
  if (lower.minCoeff() >= 0.0 || upper.maxCoeff() <= 0.0) {
    PortfolioProblem shifted = problem;
    shifted.expected_returns =
        lower.minCoeff() >= 0.0 ? Vector(mu - ctx.box_cost) : Vector(mu + ctx.box_cost);
    return SolveNominal(shifted, ctx, weights, "worst-case returns of the box set");
  }
  // Both signs: s >= |w| (cost z sigma_i / sqrt(T) each).
  LinearFormulation f = internal::BuildLinearFormulation(problem);
  const Index s0 = internal::AppendAbsoluteValueVariables(&f, Vector::Zero(n), problem.assets,
                                                          "robust_abs", ConstraintGroup::kBounds);
  const Index nx = f.num_variables;
  Vector c = Vector::Zero(nx);  // worst-case return over the formulation's variables
  c.head(n) = mu;
  c.segment(s0, n) = -ctx.box_cost;
  const double gamma = mv.l2_gamma;
  const Matrix& sigma = problem.covariance;
  auto w_block = [&](const Matrix& block) {
    Matrix p = Matrix::Zero(nx, nx);
    p.topLeftCorner(n, n) = block;
    return p;
  };
  const Matrix identity = Matrix::Identity(n, n);
  // The s variables have no curvature, so these QPs go through the solver's proximal
  // iterations, which stop at its dual tolerance (absolute for data of size < 1): ask for
  // rounding level, as the frontier search needs exact points.
  QpOptions qp_options = mv.qp;
  qp_options.dual_tolerance = std::min(qp_options.dual_tolerance, 1e-13);
  Vector x;
  // max WR(w) over the constraints (a linear program): the top of the worst-case frontier.
  auto solve_top = [&]() -> Result<bool> {
    QpProblem top = f.MakeQp(Matrix(), Vector());
    top.q = -c;
    return SolveOnce(f, top, qp_options, &result, &x);
  };
  switch (ctx.objective) {
    case Objective::kMaxUtility:
    case Objective::kMaxReturn: {
      const double delta = ctx.objective == Objective::kMaxUtility ? mv.risk_aversion : 0.0;
      QpProblem qp = f.MakeQp(Matrix(), Vector());
      qp.P = w_block(delta * sigma + 2.0 * gamma * identity);
      qp.q = -c;
      auto ok = SolveOnce(f, qp, qp_options, &result, &x);
      if (!ok) return tl::unexpected(ok.error());
      if (*ok) *weights = x.head(n);
      return Ok();
    }
    case Objective::kEfficientReturn: {
      const double target = *mv.target_return;
      auto ok = solve_top();
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) return Ok();
      const double best = c.dot(x);
      if (target > best + 1e-12 * std::max(1.0, std::abs(best))) {
        return InvalidArgument("target_return " + Num(target) +
                                   " is above the maximum attainable worst-case return " +
                                   Num(best) + " under the constraints",
                               "target_return");
      }
      LinearFormulation g = f;
      const Index row = g.G.rows();
      g.G.conservativeResize(row + 1, Eigen::NoChange);
      g.G.row(row) = -c.transpose();
      g.h.conservativeResize(row + 1);
      g.h[row] = -target;
      g.g_labels.push_back({ConstraintGroup::kTarget, "target_return (worst case)"});
      QpProblem qp = g.MakeQp(Matrix(), Vector());
      qp.P = w_block(2.0 * (sigma + gamma * identity));
      ok = SolveOnce(g, qp, qp_options, &result, &x);
      if (!ok) return tl::unexpected(ok.error());
      if (*ok) *weights = x.head(n);
      return Ok();
    }
    case Objective::kEfficientRisk: {
      const double target = *mv.target_volatility;
      FrontierPath path(f, sigma, c, gamma, qp_options, &result);
      PathPoint start;
      auto ok = path.Evaluate(0.0, &start);
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) return Ok();
      if (target < start.sigma * (1.0 - 1e-12)) {
        return InvalidArgument("target_volatility " + Num(target) +
                                   " is below the minimum attainable volatility " +
                                   Num(start.sigma) + " under the constraints",
                               "target_volatility");
      }
      QpProblem top = f.MakeQp(Matrix(), Vector());
      top.P = w_block(2.0 * gamma * identity);
      top.q = -c;
      ok = SolveOnce(f, top, qp_options, &result, &x);
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) return Ok();
      const Vector w_top = x.head(n);
      if (std::sqrt(std::max(0.0, w_top.dot(sigma * w_top))) <= target * (1.0 + 1e-12)) {
        *weights = w_top;
        return Ok();
      }
      const PathFunction g = [target](const PathPoint& p) { return target - p.sigma; };
      PathPoint lo, hi;
      bool no_root = false;
      const double tolerance = 1e-15 * target;
      ok = FindRoot(path, g, start, PathPoint(), false, 1.0, tolerance, &lo, &hi, &no_root);
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) {
        if (no_root) *weights = w_top;
        return Ok();
      }
      *weights = Feasible(g, lo, hi, true, tolerance).x.head(n);  // within the target
      return Ok();
    }
    case Objective::kMaxSharpe: {
      if (gamma > 0.0) {
        return InvalidArgument(
            "l2_gamma is not supported by the robust MAX_SHARPE with the box set when weights "
            "may take both signs",
            "l2_gamma");
      }
      // The tangency portfolio of the worst-case frontier: sigma(t)^2 = t (WR(t) - rf).
      const double rf = mv.risk_free_rate;
      auto ok = solve_top();
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) return Ok();
      const double best = c.dot(x);
      if (!(best > rf)) {
        result.status = OptimizationStatus::kInfeasible;
        result.conflicting_groups = {ConstraintGroup::kTarget};
        result.message = "no feasible portfolio has a worst-case return above the risk-free rate " +
                         Num(rf) + ": the highest attainable is " + Num(best);
        return Ok();
      }
      FrontierPath path(f, sigma, c, 0.0, qp_options, &result);
      PathPoint start;
      ok = path.Evaluate(0.0, &start);
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) return Ok();
      const PathFunction g = [rf](const PathPoint& p) {
        return p.sigma * p.sigma - p.t * (p.reward - rf);
      };
      PathPoint lo, hi;
      bool no_root = false;
      ok = FindRoot(path, g, start, PathPoint(), false, 1.0,
                    1e-15 * std::max(start.sigma * start.sigma, 1e-300), &lo, &hi, &no_root);
      if (!ok) return tl::unexpected(ok.error());
      if (!*ok) {
        if (no_root) {
          result.status = OptimizationStatus::kNumericalError;
          result.message = "robust MAX_SHARPE: the tangency point was not found";
        }
        return Ok();
      }
      *weights = Closer(g, lo, hi).x.head(n);
      return Ok();
    }
    case Objective::kMinVolatility:
      break;
  }
  return Ok();
}

double RobustObjective(Objective objective, const PortfolioProblem& problem,
                       const MeanVarianceOptions& mv, const Vector& w, double worst_case) {
  const double variance = w.dot(problem.covariance * w);
  const double l2 = mv.l2_gamma * w.squaredNorm();
  switch (objective) {
    case Objective::kMinVolatility:
    case Objective::kEfficientReturn:
      return variance + l2;
    case Objective::kMaxSharpe:
      return variance > 0.0 ? (worst_case - mv.risk_free_rate) / std::sqrt(variance) : kNaN;
    case Objective::kMaxReturn:
    case Objective::kEfficientRisk:
      return worst_case - l2;
    case Objective::kMaxUtility:
      return worst_case - 0.5 * mv.risk_aversion * variance - l2;
  }
  return kNaN;
}

}  // namespace

Status RobustOptions::Validate() const {
  if (!(confidence >= 0.0 && confidence < 1.0)) {
    return InvalidArgument("confidence is " + Num(confidence) + "; it must be in [0, 1)",
                           "confidence");
  }
  if (kappa && !(std::isfinite(*kappa) && *kappa >= 0.0)) {
    return InvalidArgument("kappa is " + Num(*kappa) + "; it must be a finite number >= 0",
                           "kappa");
  }
  if (num_observations < 0) {
    return InvalidArgument("num_observations must be >= 1", "num_observations");
  }
  const bool zero_radius = kappa ? *kappa == 0.0 : confidence == 0.0;
  if (!zero_radius && num_observations < 1) {
    return InvalidArgument(
        "the uncertainty set needs the number of return observations T behind mu and Sigma "
        "(the sets are scaled by Sigma / T)",
        "num_observations");
  }
  return mean_variance.Validate();
}

Result<double> RobustRadius(const RobustOptions& options, Index num_assets) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  if (options.kappa) return *options.kappa;
  if (options.confidence == 0.0) return 0.0;
  if (options.uncertainty == UncertaintySet::kEllipsoidal) {
    auto q = ChiSquareQuantile(options.confidence, static_cast<double>(num_assets));
    if (!q) return tl::unexpected(q.error());
    return std::sqrt(*q);
  }
  return NormalQuantile(0.5 * (1.0 + options.confidence));
}

Result<RobustResult> OptimizeRobust(const PortfolioProblem& problem, const RobustOptions& options) {
  PFOPT_RETURN_IF_ERROR(problem.Validate());
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const auto start = Clock::now();
  const Index n = problem.num_assets();
  const MeanVarianceOptions& mv = options.mean_variance;
  auto solved_objective = internal::CheckMeanVarianceProblem(problem, mv);
  if (!solved_objective) return tl::unexpected(solved_objective.error());
  const Objective objective = *solved_objective;
  auto radius = RobustRadius(options, n);
  if (!radius) return tl::unexpected(radius.error());
  RobustResult out;
  out.uncertainty = options.uncertainty;
  out.radius = *radius;
  OptimizationResult& result = out.optimization;
  result.status = OptimizationStatus::kOptimal;
  const double sqrt_t =
      std::sqrt(static_cast<double>(std::max<Index>(options.num_observations, 1)));
  Context ctx{problem, options, objective, *radius / sqrt_t, Vector(), &result};
  ctx.box_cost = *radius / sqrt_t * problem.covariance.diagonal().cwiseMax(0.0).cwiseSqrt();
  Vector weights;
  if (*radius == 0.0 || objective == Objective::kMinVolatility) {
    PFOPT_RETURN_IF_ERROR(SolveNominal(problem, ctx, &weights, nullptr));
    if (objective == Objective::kMinVolatility && *radius > 0.0) {
      result.warnings.push_back(
          "MIN_VOLATILITY does not use the expected returns: the robust portfolio is the nominal "
          "one");
    }
  } else if (options.uncertainty == UncertaintySet::kEllipsoidal) {
    PFOPT_RETURN_IF_ERROR(SolveEllipsoid(ctx, &weights));
  } else {
    PFOPT_RETURN_IF_ERROR(SolveBox(ctx, &weights));
  }

  if (HasSolution(result.status) && weights.size() == n) {
    const Vector& mu = problem.expected_returns;
    auto performance = ComputePerformance(weights, mu, problem.covariance, mv.risk_free_rate);
    if (!performance) return tl::unexpected(performance.error());
    result.performance = *performance;
    if (mu.size() == n) {
      out.return_penalty =
          Penalty(options.uncertainty, ctx.k, ctx.box_cost, problem.covariance, weights);
      out.worst_case_return = mu.dot(weights) - out.return_penalty;
    }
    result.objective_value =
        RobustObjective(objective, problem, mv, weights, out.worst_case_return);
    internal::ApplyConstraintCheck(CheckConstraints(problem, weights, mv.constraint_tolerance),
                                   &result);
    result.weights = std::move(weights);
    if (result.message.empty() || result.status == OptimizationStatus::kOptimal) {
      result.message = "optimal";
    }
  } else if (HasSolution(result.status)) {
    result.status = OptimizationStatus::kNumericalError;
    if (result.message.empty()) result.message = "no weights were produced";
  }
  result.solve_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

}  // namespace pfopt
