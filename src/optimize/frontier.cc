#include "pfopt/optimize/frontier.h"

#include <chrono>
#include <cmath>
#include <cstdio>

#include "optimize/formulation.h"

namespace pfopt {

namespace {

std::string Num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

bool Solved(QpStatus status) {
  return status == QpStatus::kOptimal || status == QpStatus::kOptimalInaccurate;
}

}  // namespace

Status FrontierOptions::Validate() const {
  if (num_points < 2 || num_points > 100000) {
    return InvalidArgument(
        "num_points is " + std::to_string(num_points) + "; it must be in 2..100000", "num_points");
  }
  if (min_return && !std::isfinite(*min_return)) {
    return InvalidArgument("min_return must be finite", "min_return");
  }
  if (max_return && !std::isfinite(*max_return)) {
    return InvalidArgument("max_return must be finite", "max_return");
  }
  if (min_return && max_return && *min_return > *max_return) {
    return InvalidArgument(
        "min_return " + Num(*min_return) + " is above max_return " + Num(*max_return),
        "min_return");
  }
  if (!std::isfinite(risk_free_rate))
    return InvalidArgument("risk_free_rate must be finite", "risk_free_rate");
  if (!(std::isfinite(l2_gamma) && l2_gamma >= 0.0)) {
    return InvalidArgument("l2_gamma must be a finite number >= 0", "l2_gamma");
  }
  return qp.Validate();
}

Result<EfficientFrontier> TraceEfficientFrontier(const PortfolioProblem& problem,
                                                 const FrontierOptions& options) {
  PFOPT_RETURN_IF_ERROR(problem.Validate());
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const Index n = problem.num_assets();
  if (problem.expected_returns.size() != n) {
    return InvalidArgument("the efficient frontier needs expected returns for every asset",
                           "expected_returns");
  }
  const auto start = std::chrono::steady_clock::now();
  EfficientFrontier frontier;
  const Vector& mu = problem.expected_returns;
  const Matrix& sigma = problem.covariance;

  // Ends of the frontier: the minimum-volatility portfolio and the maximum attainable return.
  MeanVarianceOptions mv;
  mv.l2_gamma = options.l2_gamma;
  mv.risk_free_rate = options.risk_free_rate;
  mv.qp = options.qp;
  mv.objective = Objective::kMinVolatility;
  auto low = OptimizeMeanVariance(problem, mv);
  if (!low) return tl::unexpected(low.error());
  frontier.iterations += low->iterations;
  if (!HasSolution(low->status)) {
    frontier.status = low->status;
    frontier.message = "minimum-volatility end: " + low->message;
    return frontier;
  }
  mv.objective = Objective::kMaxReturn;
  mv.l2_gamma = 0.0;
  auto high = OptimizeMeanVariance(problem, mv);
  if (!high) return tl::unexpected(high.error());
  frontier.iterations += high->iterations;
  if (!HasSolution(high->status)) {
    frontier.status = high->status;
    frontier.message = "maximum-return end: " + high->message;
    return frontier;
  }
  const double attainable = high->performance.expected_return;
  const double r_lo = options.min_return.value_or(low->performance.expected_return);
  const double r_hi = options.max_return.value_or(attainable);
  if (r_hi > attainable + 1e-12 * std::max(1.0, std::abs(attainable))) {
    return InvalidArgument("max_return " + Num(r_hi) + " is above the maximum attainable return " +
                               Num(attainable) + " under the constraints",
                           "max_return");
  }

  internal::LinearFormulation f = internal::BuildLinearFormulation(problem);
  f.AddWeightInequality(-mu, -r_lo, {ConstraintGroup::kTarget, "target_return"});
  Matrix p = sigma;
  p.diagonal().array() += options.l2_gamma;
  DenseQpSolver solver;
  PFOPT_RETURN_IF_ERROR(solver.Setup(f.MakeQp(2.0 * p, Vector()), options.qp));
  Vector h = f.h;
  QpSolution solution;
  QpSummary summary;
  frontier.status = OptimizationStatus::kOptimal;
  for (int k = 0; k < options.num_points; ++k) {
    const double target =
        r_lo + (r_hi - r_lo) * static_cast<double>(k) / static_cast<double>(options.num_points - 1);
    h[h.size() - 1] = -target;
    PFOPT_RETURN_IF_ERROR(solver.UpdateRightHandSides(f.b, h));
    PFOPT_RETURN_IF_ERROR(solver.Solve(&solution, &summary));
    frontier.iterations += summary.iterations;
    if (!Solved(summary.status)) {
      frontier.status = OptimizationStatus::kNumericalError;
      frontier.message = "point " + std::to_string(k) + " (target return " + Num(target) +
                         "): " + summary.BriefReport();
      break;
    }
    FrontierPoint point;
    point.target_return = target;
    point.weights = solution.x.head(n);
    auto performance = ComputePerformance(point.weights, mu, sigma, options.risk_free_rate);
    if (!performance) return tl::unexpected(performance.error());
    point.performance = *performance;
    frontier.points.push_back(std::move(point));
  }
  if (frontier.status == OptimizationStatus::kOptimal) frontier.message = "optimal";
  frontier.solve_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return frontier;
}

}  // namespace pfopt
