#include "pfopt/optimize/mean_variance.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <utility>

#include "optimize/formulation.h"
#include "optimize/result_checks.h"

namespace pfopt {

namespace {

using Clock = std::chrono::steady_clock;
using internal::LinearFormulation;

std::string Num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

// One QP over the formulation; records iterations and, when it did not solve, the status and
// the reason (with the conflicting groups for an infeasible one) into `result`.
struct QpRun {
  QpSolution solution;
  QpSummary summary;
  bool solved = false;
};

Result<QpRun> RunQp(const LinearFormulation& f, const QpProblem& qp, const QpOptions& options,
                    OptimizationResult* result) {
  QpRun run;
  auto solution = SolveQp(qp, options, &run.summary);
  if (!solution) return tl::unexpected(solution.error());
  run.solution = std::move(*solution);
  result->iterations += run.summary.iterations;
  run.solved = internal::QpSolved(run.summary.status);
  if (!run.solved) {
    result->status = internal::StatusFromQp(run.summary.status);
    if (run.summary.status == QpStatus::kPrimalInfeasible) {
      result->conflicting_groups = internal::ConflictingGroups(f, run.solution);
      result->message = internal::DescribeConflict(f, run.solution);
    } else {
      result->message =
          run.summary.message.empty() ? run.summary.BriefReport() : run.summary.message;
    }
  } else if (run.summary.status == QpStatus::kOptimalInaccurate) {
    result->warnings.push_back("QP solved to reduced accuracy: " + run.summary.message);
  }
  return run;
}

// max c'w over the feasible set (a linear program). Fills `result` if it is not solved.
Result<QpRun> MaximizeLinear(const LinearFormulation& f, const VectorRef& c,
                             const QpOptions& options, OptimizationResult* result) {
  return RunQp(f, f.MakeQp(Matrix(), -c), options, result);
}

Matrix RegularisedCovariance(const Matrix& sigma, double gamma) {
  Matrix m = sigma;
  m.diagonal().array() += gamma;
  return m;
}

// EFFICIENT_RISK: max mu'w - gamma ||w||^2 s.t. sqrt(w'Sigma w) <= target. The solutions of
//   min 1/2 w'(Sigma + 2 gamma t I) w - t mu'w      (t >= 0)
// trace the constrained optimum as t moves; their volatility grows with t. The answer is the
// point where it equals the target (or the t -> infinity end if that is below the target).
// Without L2 the QP matrix does not depend on t: one factorisation, warm-started solves.
Status SolveEfficientRisk(const PortfolioProblem& problem, const LinearFormulation& f,
                          const MeanVarianceOptions& options, OptimizationResult* result,
                          Vector* weights) {
  const Matrix& sigma = problem.covariance;
  const Vector& mu = problem.expected_returns;
  const double target = *options.target_volatility;
  const double gamma = options.l2_gamma;
  const Index n = problem.num_assets();
  auto volatility = [&](const Vector& w) { return std::sqrt(std::max(0.0, w.dot(sigma * w))); };

  // Lowest attainable volatility.
  auto min_var = RunQp(f, f.MakeQp(sigma, Vector()), options.qp, result);
  if (!min_var) return tl::unexpected(min_var.error());
  if (!min_var->solved) return Ok();
  const Vector w_min = min_var->solution.x.head(n);
  const double vol_min = volatility(w_min);
  if (target < vol_min * (1.0 - 1e-12)) {
    return InvalidArgument("target_volatility " + Num(target) +
                               " is below the minimum attainable volatility " + Num(vol_min) +
                               " under the constraints",
                           "target_volatility");
  }
  // The unconstrained-risk end: max mu'w - gamma ||w||^2.
  auto top =
      RunQp(f, f.MakeQp(Matrix(2.0 * gamma * Matrix::Identity(n, n)), -mu), options.qp, result);
  if (!top) return tl::unexpected(top.error());
  if (!top->solved) return Ok();
  const Vector w_top = top->solution.x.head(n);
  if (volatility(w_top) <= target * (1.0 + 1e-12)) {
    *weights = w_top;
    return Ok();
  }
  if (target <= vol_min * (1.0 + 1e-12)) {
    *weights = w_min;
    return Ok();
  }

  DenseQpSolver solver;
  QpProblem qp = f.MakeQp(sigma, Vector());
  PFOPT_RETURN_IF_ERROR(solver.Setup(qp, options.qp));
  QpSolution solution;
  QpSummary summary;
  std::vector<QpActiveConstraint> warm = min_var->solution.active_set;
  // vol(t) - target, solving the QP at t.
  auto evaluate = [&](double t, double* gap) -> Status {
    if (gamma > 0.0) {
      qp.P.topLeftCorner(n, n) = RegularisedCovariance(sigma, 2.0 * gamma * t);
      PFOPT_RETURN_IF_ERROR(solver.Setup(qp, options.qp));
      PFOPT_RETURN_IF_ERROR(solver.SetWarmStart(warm));
    }
    Vector q = Vector::Zero(f.num_variables);
    q.head(n) = -t * mu;
    PFOPT_RETURN_IF_ERROR(solver.UpdateLinearTerm(q));
    PFOPT_RETURN_IF_ERROR(solver.Solve(&solution, &summary));
    result->iterations += summary.iterations;
    warm = solution.active_set;
    if (!internal::QpSolved(summary.status)) {
      result->status = internal::StatusFromQp(summary.status);
      result->message = "efficient_risk: " + summary.BriefReport();
      *gap = kNaN;
      return Ok();
    }
    *gap = volatility(solution.x.head(n)) - target;
    return Ok();
  };
  // Bracket the root: gap(0) < 0 (vol_min < target), grow t until the gap is >= 0.
  double t_lo = 0.0, gap_lo = vol_min - target;
  double t_hi = 1.0, gap_hi = 0.0;
  for (int i = 0;; ++i) {
    PFOPT_RETURN_IF_ERROR(evaluate(t_hi, &gap_hi));
    if (std::isnan(gap_hi)) return Ok();
    if (gap_hi >= 0.0) break;
    t_lo = t_hi;
    gap_lo = gap_hi;
    t_hi *= 8.0;
    if (i > 60) {  // the target is numerically at the top end
      *weights = w_top;
      return Ok();
    }
  }
  // Illinois (modified regula falsi) on the bracket; gap is monotone in t.
  Vector best = solution.x.head(n);
  double best_gap = gap_hi;
  int side = 0;
  for (int i = 0; i < 200; ++i) {
    if (std::abs(best_gap) <= 1e-13 * target) break;
    double t = (t_lo * gap_hi - t_hi * gap_lo) / (gap_hi - gap_lo);
    if (!(t > t_lo && t < t_hi)) t = 0.5 * (t_lo + t_hi);
    if (t_hi - t_lo <= 1e-15 * t_hi) break;
    double gap = 0.0;
    PFOPT_RETURN_IF_ERROR(evaluate(t, &gap));
    if (std::isnan(gap)) return Ok();
    if (std::abs(gap) < std::abs(best_gap) || (gap <= 0.0 && best_gap > 0.0)) {
      best = solution.x.head(n);
      best_gap = gap;
    }
    if (gap < 0.0) {
      t_lo = t;
      gap_lo = gap;
      if (side == -1) gap_hi *= 0.5;
      side = -1;
    } else {
      t_hi = t;
      gap_hi = gap;
      if (side == 1) gap_lo *= 0.5;
      side = 1;
    }
  }
  if (std::abs(best_gap) > 1e-9 * target) {
    result->warnings.push_back("efficient_risk: volatility differs from the target by " +
                               Num(best_gap));
  }
  *weights = best;
  return Ok();
}

double ObjectiveValue(Objective objective, const PortfolioProblem& problem,
                      const MeanVarianceOptions& options, const Vector& w,
                      const PortfolioPerformance& performance) {
  const double variance = w.dot(problem.covariance * w);
  const double l2 = options.l2_gamma * w.squaredNorm();
  switch (objective) {
    case Objective::kMinVolatility:
    case Objective::kEfficientReturn:
      return variance + l2;
    case Objective::kMaxSharpe:
      return performance.sharpe_ratio;
    case Objective::kMaxReturn:
    case Objective::kEfficientRisk:
      return performance.expected_return - l2;
    case Objective::kMaxUtility:
      return performance.expected_return - 0.5 * options.risk_aversion * variance - l2;
  }
  return kNaN;
}

}  // namespace

bool HasSolution(OptimizationStatus status) {
  return status == OptimizationStatus::kOptimal || status == OptimizationStatus::kOptimalInaccurate;
}

Status MeanVarianceOptions::Validate() const {
  if (!std::isfinite(risk_free_rate)) {
    return InvalidArgument("risk_free_rate is " + Num(risk_free_rate) + "; it must be finite",
                           "risk_free_rate");
  }
  if (target_volatility && !(std::isfinite(*target_volatility) && *target_volatility > 0.0)) {
    return InvalidArgument(
        "target_volatility is " + Num(*target_volatility) + "; it must be a finite number > 0",
        "target_volatility");
  }
  if (target_return && !std::isfinite(*target_return)) {
    return InvalidArgument("target_return is " + Num(*target_return) + "; it must be finite",
                           "target_return");
  }
  if (!(std::isfinite(risk_aversion) && risk_aversion > 0.0)) {
    return InvalidArgument(
        "risk_aversion is " + Num(risk_aversion) + "; it must be a finite number > 0",
        "risk_aversion");
  }
  if (!(std::isfinite(l2_gamma) && l2_gamma >= 0.0)) {
    return InvalidArgument("l2_gamma is " + Num(l2_gamma) + "; it must be a finite number >= 0",
                           "l2_gamma");
  }
  if (!(std::isfinite(constraint_tolerance) && constraint_tolerance > 0.0)) {
    return InvalidArgument("constraint_tolerance must be a finite number > 0",
                           "constraint_tolerance");
  }
  if (objective == Objective::kEfficientRisk && !target_volatility) {
    return InvalidArgument("EFFICIENT_RISK needs a target_volatility", "target_volatility");
  }
  if (objective == Objective::kEfficientReturn && !target_return) {
    return InvalidArgument("EFFICIENT_RETURN needs a target_return", "target_return");
  }
  return qp.Validate();
}

Result<OptimizationResult> OptimizeMeanVariance(const PortfolioProblem& problem,
                                                const MeanVarianceOptions& options) {
  PFOPT_RETURN_IF_ERROR(problem.Validate());
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const auto start = Clock::now();
  const Index n = problem.num_assets();
  auto solved_objective = internal::CheckMeanVarianceProblem(problem, options);
  if (!solved_objective) return tl::unexpected(solved_objective.error());
  const Objective objective = *solved_objective;
  const PortfolioConstraints& c = problem.constraints;

  OptimizationResult result;
  result.status = OptimizationStatus::kOptimal;
  const LinearFormulation f = internal::BuildLinearFormulation(problem);
  const Matrix& sigma = problem.covariance;
  const Vector& mu = problem.expected_returns;
  const double gamma = options.l2_gamma;
  Vector weights;

  switch (objective) {
    case Objective::kMinVolatility: {
      auto run = RunQp(f, f.MakeQp(2.0 * RegularisedCovariance(sigma, gamma), Vector()), options.qp,
                       &result);
      if (!run) return tl::unexpected(run.error());
      if (run->solved) weights = run->solution.x.head(n);
      break;
    }
    case Objective::kMaxUtility: {
      Matrix p = options.risk_aversion * sigma;
      p.diagonal().array() += 2.0 * gamma;
      auto run = RunQp(f, f.MakeQp(p, -mu), options.qp, &result);
      if (!run) return tl::unexpected(run.error());
      if (run->solved) weights = run->solution.x.head(n);
      break;
    }
    case Objective::kMaxReturn: {
      auto run = RunQp(f, f.MakeQp(Matrix(2.0 * gamma * Matrix::Identity(n, n)), -mu), options.qp,
                       &result);
      if (!run) return tl::unexpected(run.error());
      if (run->solved) weights = run->solution.x.head(n);
      break;
    }
    case Objective::kEfficientReturn: {
      const double target = *options.target_return;
      auto top = MaximizeLinear(f, mu, options.qp, &result);
      if (!top) return tl::unexpected(top.error());
      if (!top->solved) break;
      const double max_return = mu.dot(top->solution.x.head(n));
      if (target > max_return + 1e-12 * std::max(1.0, std::abs(max_return))) {
        return InvalidArgument("target_return " + Num(target) +
                                   " is above the maximum attainable return " + Num(max_return) +
                                   " under the constraints",
                               "target_return");
      }
      LinearFormulation with_target = f;
      with_target.AddWeightInequality(-mu, -target, {ConstraintGroup::kTarget, "target_return"});
      auto run = RunQp(with_target,
                       with_target.MakeQp(2.0 * RegularisedCovariance(sigma, gamma), Vector()),
                       options.qp, &result);
      if (!run) return tl::unexpected(run.error());
      if (run->solved) weights = run->solution.x.head(n);
      break;
    }
    case Objective::kEfficientRisk: {
      PFOPT_RETURN_IF_ERROR(SolveEfficientRisk(problem, f, options, &result, &weights));
      break;
    }
    case Objective::kMaxSharpe: {
      const Vector excess = mu.array() - options.risk_free_rate;
      const LinearFormulation g = internal::Homogenise(f, excess);
      QpProblem qp = g.MakeQp(2.0 * RegularisedCovariance(sigma, gamma), Vector());
      if (c.budget != 0.0) {
        // kappa = 1'y / budget on every feasible point, so eps (kappa - 1'y / budget)^2 changes
        // nothing there, but it gives kappa curvature: P becomes positive definite and the QP
        // needs no proximal iterations. eps on the scale of the covariance.
        const double eps = 2.0 * std::max(sigma.diagonal().maxCoeff(), 1e-12);
        Vector a = Vector::Zero(g.num_variables);
        a.head(n).setConstant(-1.0 / c.budget);
        a[g.kappa_index] = 1.0;
        qp.P.noalias() += eps * a * a.transpose();
      }
      auto run = RunQp(g, qp, options.qp, &result);
      if (!run) return tl::unexpected(run.error());
      if (!run->solved) {
        if (run->summary.status != QpStatus::kPrimalInfeasible) break;
        // Infeasible homogenised problem: either the constraints conflict, or no feasible
        // portfolio beats the risk-free rate. The linear program max (mu - rf)'w tells which
        // (and only this rare path pays for it).
        OptimizationResult diagnosis;
        auto best = MaximizeLinear(f, excess, options.qp, &diagnosis);
        if (!best) return tl::unexpected(best.error());
        result.iterations += diagnosis.iterations;
        if (!best->solved) {  // the constraints themselves conflict
          result.status = diagnosis.status;
          result.message = diagnosis.message;
          result.conflicting_groups = diagnosis.conflicting_groups;
          break;
        }
        const double best_excess = excess.dot(best->solution.x.head(n));
        result.status = OptimizationStatus::kInfeasible;
        result.conflicting_groups = {ConstraintGroup::kTarget};
        result.message = "no feasible portfolio has an expected return above the risk-free rate " +
                         Num(options.risk_free_rate) + ": the highest attainable is " +
                         Num(best_excess + options.risk_free_rate * c.budget) +
                         " (max Sharpe needs a positive excess return)";
        break;
      }
      const double kappa = run->solution.x[g.kappa_index];
      if (!(kappa > 0.0) || !std::isfinite(kappa)) {
        result.status = OptimizationStatus::kNumericalError;
        result.message = "max Sharpe: the scale variable kappa is " + Num(kappa) +
                         " (the Sharpe ratio is not attained at a finite portfolio)";
        break;
      }
      weights = run->solution.x.head(n) / kappa;
      break;
    }
  }

  if (HasSolution(result.status) && weights.size() == n) {
    auto performance = ComputePerformance(weights, mu, sigma, options.risk_free_rate);
    if (!performance) return tl::unexpected(performance.error());
    result.performance = *performance;
    result.objective_value = ObjectiveValue(objective, problem, options, weights, *performance);
    result.violations = CheckConstraints(problem, weights, options.constraint_tolerance);
    result.constraints_satisfied = result.violations.empty();
    if (!result.constraints_satisfied) {
      result.status = OptimizationStatus::kOptimalInaccurate;
      std::string list;
      for (const auto& v : result.violations) {
        if (!list.empty()) list += ", ";
        list += v.name + " by " + Num(v.amount);
      }
      result.warnings.push_back("the solution violates " + list);
    }
    result.weights = std::move(weights);
  } else if (HasSolution(result.status)) {
    result.status = OptimizationStatus::kNumericalError;
    if (result.message.empty()) result.message = "no weights were produced";
  }
  if (result.status == OptimizationStatus::kOptimal && result.message.empty()) {
    result.message = "optimal";
  }
  result.solve_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace pfopt
