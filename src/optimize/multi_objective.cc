#include "pfopt/optimize/multi_objective.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <utility>

#include "optimize/formulation.h"
#include "optimize/formulation_extras.h"
#include "optimize/result_checks.h"
#include "optimize/tail_solver.h"
#include "pfopt/optimize/frontier.h"

namespace pfopt {

namespace {

using Clock = std::chrono::steady_clock;

std::string Num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.6g", value);
  return buffer;
}

Status CheckScenarios(const MatrixRef& scenarios, Index n, bool required, const std::string& why) {
  if (scenarios.size() == 0) {
    if (required) {
      return InvalidArgument(why + " needs scenario returns (a return history of every asset)",
                             "scenario_returns");
    }
    return Ok();
  }
  if (scenarios.cols() != n) {
    return DimensionMismatch("the scenarios have " + std::to_string(scenarios.cols()) +
                                 " columns for " + std::to_string(n) + " assets",
                             "scenario_returns");
  }
  for (Index j = 0; j < scenarios.cols(); ++j) {
    for (Index t = 0; t < scenarios.rows(); ++t) {
      if (!std::isfinite(scenarios(t, j))) {
        return InvalidArgument("scenario return (" + std::to_string(t) + ", " + std::to_string(j) +
                                   ") is " + Num(scenarios(t, j)) +
                                   "; scenarios must be finite (drop periods with missing values)",
                               "scenario_returns");
      }
    }
  }
  return Ok();
}

Vector CurrentWeights(const PortfolioProblem& problem) {
  const Index n = problem.num_assets();
  const Vector& c = problem.constraints.current_weights;
  return c.size() == n ? c : Vector(Vector::Zero(n));
}

ObjectiveTerms ComputeTerms(const PortfolioProblem& problem, const MatrixRef& scenarios,
                            double alpha, const Vector& w, TailRisk* tail) {
  ObjectiveTerms terms;
  if (problem.expected_returns.size() == w.size()) {
    terms.expected_return = problem.expected_returns.dot(w);
  }
  terms.variance = w.dot(problem.covariance * w);
  terms.turnover = (w - CurrentWeights(problem)).cwiseAbs().sum();
  terms.l2 = w.squaredNorm();
  if (scenarios.size() != 0) {
    const Vector losses = -(scenarios * w);
    const internal::TailValues values = internal::EvaluateTail(losses, alpha);
    terms.cvar = values.cvar;
    if (tail != nullptr) *tail = TailRisk{alpha, values.var, values.cvar};
  }
  return terms;
}

double WeightedSum(const ObjectiveWeights& lw, const ObjectiveTerms& t) {
  double value = 0.0;
  auto add = [&](double weight, double term) {
    if (weight != 0.0) value += weight * term;
  };
  add(-lw.expected_return, t.expected_return);
  add(lw.variance, t.variance);
  add(lw.cvar, t.cvar);
  add(lw.turnover, t.turnover);
  add(lw.l2, t.l2);
  return value;
}

}  // namespace

Status ObjectiveWeights::Validate() const {
  const std::pair<double, const char*> all[] = {{expected_return, "return"},
                                                {variance, "variance"},
                                                {cvar, "cvar"},
                                                {turnover, "turnover"},
                                                {l2, "l2"}};
  double total = 0.0;
  for (const auto& [value, name] : all) {
    if (!(std::isfinite(value) && value >= 0.0)) {
      return InvalidArgument("objective weight '" + std::string(name) + "' is " + Num(value) +
                                 "; it must be a finite number >= 0",
                             name);
    }
    total += value;
  }
  if (!(total > 0.0)) {
    return InvalidArgument(
        "every objective weight is 0; give at least one of return, variance, cvar, turnover, l2",
        "");
  }
  return Ok();
}

Status MultiObjectiveOptions::Validate() const {
  if (auto status = weights.Validate(); !status) {
    return tl::unexpected(status.error().WithFieldPrefix("weights"));
  }
  if (!(cvar_alpha > 0.0 && cvar_alpha < 1.0)) {
    return InvalidArgument("cvar_alpha is " + Num(cvar_alpha) + "; it must be in (0, 1)",
                           "cvar_alpha");
  }
  if (target_return && !std::isfinite(*target_return)) {
    return InvalidArgument("target_return must be finite", "target_return");
  }
  if (cvar_limit && !std::isfinite(*cvar_limit)) {
    return InvalidArgument("cvar_limit must be finite", "cvar_limit");
  }
  if (!std::isfinite(risk_free_rate)) {
    return InvalidArgument("risk_free_rate must be finite", "risk_free_rate");
  }
  if (!(std::isfinite(constraint_tolerance) && constraint_tolerance > 0.0)) {
    return InvalidArgument("constraint_tolerance must be a finite number > 0",
                           "constraint_tolerance");
  }
  return solver.Validate();
}

Result<MultiObjectiveResult> OptimizeMultiObjective(const PortfolioProblem& problem,
                                                    const MatrixRef& scenario_returns,
                                                    const MultiObjectiveOptions& options) {
  PFOPT_RETURN_IF_ERROR(problem.Validate());
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const auto start = Clock::now();
  const Index n = problem.num_assets();
  const ObjectiveWeights& lw = options.weights;
  const Vector& mu = problem.expected_returns;
  if ((lw.expected_return > 0.0 || options.target_return) && mu.size() != n) {
    return InvalidArgument(
        std::string(options.target_return ? "a target_return" : "a return weight") +
            " needs expected returns for every asset",
        "expected_returns");
  }
  const bool uses_tail = lw.cvar > 0.0 || options.cvar_limit.has_value();
  PFOPT_RETURN_IF_ERROR(CheckScenarios(scenario_returns, n, uses_tail,
                                       lw.cvar > 0.0 ? "a CVaR objective" : "a CVaR limit"));
  PFOPT_RETURN_IF_ERROR(internal::CheckMarketNeutralAllowsShorts(problem.constraints, n));
  const Matrix scenarios = scenario_returns;

  internal::LinearFormulation f = internal::BuildLinearFormulation(problem);
  if (options.target_return) {
    f.AddWeightInequality(-mu, -*options.target_return,
                          {ConstraintGroup::kTarget, "target_return"});
  }
  Index turnover_offset = f.turnover_offset;
  if (lw.turnover > 0.0 && turnover_offset < 0) {
    turnover_offset = internal::AppendAbsoluteValueVariables(
        &f, CurrentWeights(problem), problem.assets, "turnover", ConstraintGroup::kTurnover);
  }
  const Index nx = f.num_variables;
  internal::TailProblem tail_problem;
  tail_problem.formulation = &f;
  if (lw.variance > 0.0 || lw.l2 > 0.0) {
    tail_problem.P = Matrix::Zero(nx, nx);
    tail_problem.P.topLeftCorner(n, n) = 2.0 * lw.variance * problem.covariance;
    tail_problem.P.diagonal().head(n).array() += 2.0 * lw.l2;
  }
  if (lw.expected_return > 0.0 || lw.turnover > 0.0) {
    tail_problem.q = Vector::Zero(nx);
    if (lw.expected_return > 0.0) tail_problem.q.head(n) = -lw.expected_return * mu;
    if (lw.turnover > 0.0) tail_problem.q.segment(turnover_offset, n).setConstant(lw.turnover);
  }
  tail_problem.scenarios = uses_tail ? &scenarios : nullptr;
  tail_problem.alpha = options.cvar_alpha;
  tail_problem.cvar_weight = lw.cvar;
  tail_problem.cvar_limit = options.cvar_limit;
  internal::TailSolverSettings settings;
  settings.max_iterations = options.solver.max_iterations;
  settings.window = options.solver.window;
  settings.qp = options.solver.qp;
  auto solved = internal::SolveTailProblem(tail_problem, settings);
  if (!solved) return tl::unexpected(solved.error());

  MultiObjectiveResult out;
  CvarResult& result = out.result;
  OptimizationResult& o = result.optimization;
  o.status = solved->status;
  o.message = solved->message;
  o.iterations = solved->qp_iterations;
  o.conflicting_groups = solved->conflicting_groups;
  result.outer_iterations = solved->outer_iterations;
  if (o.status == OptimizationStatus::kInfeasible && options.target_return &&
      std::find(o.conflicting_groups.begin(), o.conflicting_groups.end(),
                ConstraintGroup::kTarget) != o.conflicting_groups.end()) {
    // Say what is reachable, as mean-variance EFFICIENT_RETURN does.
    const internal::LinearFormulation base = internal::BuildLinearFormulation(problem);
    QpSummary summary;
    auto top = SolveQp(base.MakeQp(Matrix(), -mu), options.solver.qp, &summary);
    if (top && summary.status == QpStatus::kOptimal) {
      const double best = mu.dot(top->x.head(n));
      if (*options.target_return > best + 1e-12 * std::max(1.0, std::abs(best))) {
        return InvalidArgument("target_return " + Num(*options.target_return) +
                                   " is above the maximum attainable return " + Num(best) +
                                   " under the constraints",
                               "target_return");
      }
    }
  }
  if (HasSolution(o.status) && solved->x.size() == nx) {
    Vector w = solved->x.head(n);
    auto performance = ComputePerformance(w, mu, problem.covariance, options.risk_free_rate);
    if (!performance) return tl::unexpected(performance.error());
    o.performance = *performance;
    out.terms = ComputeTerms(problem, scenarios, options.cvar_alpha, w, &result.tail_risk);
    o.objective_value = WeightedSum(lw, out.terms);
    result.tail_probabilities = std::move(solved->tail_probabilities);
    std::vector<ConstraintViolation> violations =
        CheckConstraints(problem, w, options.constraint_tolerance);
    if (options.target_return &&
        out.terms.expected_return < *options.target_return - options.constraint_tolerance) {
      violations.push_back({ConstraintGroup::kTarget, "target_return",
                            *options.target_return - out.terms.expected_return});
    }
    if (options.cvar_limit && out.terms.cvar > *options.cvar_limit + options.constraint_tolerance) {
      violations.push_back(
          {ConstraintGroup::kTarget, "cvar_limit", out.terms.cvar - *options.cvar_limit});
    }
    internal::ApplyConstraintCheck(std::move(violations), &o);
    o.weights = std::move(w);
  } else if (HasSolution(o.status)) {
    o.status = OptimizationStatus::kNumericalError;
    if (o.message.empty()) o.message = "no weights were produced";
  }
  if (o.status == OptimizationStatus::kOptimal && o.message.empty()) o.message = "optimal";
  o.solve_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return out;
}

}  // namespace pfopt

namespace pfopt {

namespace {

double Measure(ParetoMeasure measure, const ObjectiveTerms& terms) {
  switch (measure) {
    case ParetoMeasure::kReturn:
      return terms.expected_return;
    case ParetoMeasure::kVolatility:
      return std::sqrt(std::max(0.0, terms.variance));
    case ParetoMeasure::kCvar:
      return terms.cvar;
    case ParetoMeasure::kTurnover:
      return terms.turnover;
  }
  return kNaN;
}

ObjectiveWeights WeightsFor(ParetoMeasure measure) {
  ObjectiveWeights w;
  switch (measure) {
    case ParetoMeasure::kReturn:
      w.expected_return = 1.0;
      break;
    case ParetoMeasure::kVolatility:
      w.variance = 1.0;
      break;
    case ParetoMeasure::kCvar:
      w.cvar = 1.0;
      break;
    case ParetoMeasure::kTurnover:
      w.turnover = 1.0;
      break;
  }
  return w;
}

}  // namespace

Status ParetoFrontOptions::Validate() const {
  if (first == second) {
    return InvalidArgument("a Pareto front needs two different measures, got " +
                               std::string(EnumToString(first)) + " twice",
                           "objectives");
  }
  if (num_points < 2 || num_points > 100000) {
    return InvalidArgument(
        "num_points is " + std::to_string(num_points) + "; it must be in 2..100000", "num_points");
  }
  if (!(cvar_alpha > 0.0 && cvar_alpha < 1.0)) {
    return InvalidArgument("cvar_alpha is " + Num(cvar_alpha) + "; it must be in (0, 1)",
                           "cvar_alpha");
  }
  if (!std::isfinite(risk_free_rate)) {
    return InvalidArgument("risk_free_rate must be finite", "risk_free_rate");
  }
  return solver.Validate();
}

Result<ParetoFront> TraceParetoFront(const PortfolioProblem& problem,
                                     const MatrixRef& scenario_returns,
                                     const ParetoFrontOptions& options) {
  PFOPT_RETURN_IF_ERROR(problem.Validate());
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const auto start = Clock::now();
  const Index n = problem.num_assets();
  auto has = [&](ParetoMeasure m) { return options.first == m || options.second == m; };
  ParetoFront front;
  if (has(ParetoMeasure::kReturn)) {
    front.constrained = ParetoMeasure::kReturn;
    front.minimised = options.first == ParetoMeasure::kReturn ? options.second : options.first;
  } else if (has(ParetoMeasure::kVolatility)) {
    front.minimised = ParetoMeasure::kVolatility;
    front.constrained =
        options.first == ParetoMeasure::kVolatility ? options.second : options.first;
  } else {
    front.minimised = ParetoMeasure::kCvar;
    front.constrained = ParetoMeasure::kTurnover;
  }
  if (has(ParetoMeasure::kReturn) && problem.expected_returns.size() != n) {
    return InvalidArgument("a front with return needs expected returns for every asset",
                           "expected_returns");
  }
  PFOPT_RETURN_IF_ERROR(
      CheckScenarios(scenario_returns, n, has(ParetoMeasure::kCvar), "a front with CVaR"));
  auto make_point = [&](const Vector& w, double epsilon,
                        const PortfolioPerformance& performance) -> ParetoPoint {
    ParetoPoint point;
    point.epsilon = epsilon;
    TailRisk tail;
    point.terms = ComputeTerms(problem, scenario_returns, options.cvar_alpha, w, &tail);
    point.value_at_risk = tail.value_at_risk;
    point.performance = performance;
    point.weights = w;
    return point;
  };

  if (front.minimised == ParetoMeasure::kVolatility &&
      front.constrained == ParetoMeasure::kReturn) {
    // The efficient frontier (frontier.h), with the other measures added to each point.
    FrontierOptions fo;
    fo.num_points = options.num_points;
    fo.risk_free_rate = options.risk_free_rate;
    fo.qp = options.solver.qp;
    auto frontier = TraceEfficientFrontier(problem, fo);
    if (!frontier) return tl::unexpected(frontier.error());
    front.status = frontier->status;
    front.message = frontier->message;
    front.iterations = frontier->iterations;
    for (const FrontierPoint& p : frontier->points) {
      front.points.push_back(make_point(p.weights, p.target_return, p.performance));
    }
    front.solve_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return front;
  }

  MultiObjectiveOptions base;
  base.cvar_alpha = options.cvar_alpha;
  base.risk_free_rate = options.risk_free_rate;
  base.solver = options.solver;
  // One optimisation; false (with the front's status set) when it has no answer.
  auto solve = [&](const PortfolioProblem& p, const MultiObjectiveOptions& o, const char* what,
                   MultiObjectiveResult* out) -> Result<bool> {
    auto r = OptimizeMultiObjective(p, scenario_returns, o);
    if (!r) return tl::unexpected(r.error());
    front.iterations += r->result.optimization.iterations;
    if (!HasSolution(r->result.optimization.status)) {
      front.status = r->result.optimization.status;
      front.message = std::string(what) + ": " + r->result.optimization.message;
      return false;
    }
    *out = std::move(*r);
    return true;
  };
  // The two ends: the objective alone, and the best value of the constrained measure.
  MultiObjectiveOptions alone = base;
  alone.weights = WeightsFor(front.minimised);
  MultiObjectiveResult end_a, end_b;
  auto ok = solve(problem, alone, "the end minimising the objective alone", &end_a);
  if (!ok) return tl::unexpected(ok.error());
  if (!*ok) return front;
  MultiObjectiveOptions best = base;
  best.weights = WeightsFor(front.constrained);
  ok = solve(problem, best, "the end optimising the constrained measure", &end_b);
  if (!ok) return tl::unexpected(ok.error());
  if (!*ok) return front;
  const double from = Measure(front.constrained, end_a.terms);
  const double to = Measure(front.constrained, end_b.terms);
  // The last point bounds the measure at its best attainable value; if rounding makes that
  // infeasible (its feasible set may be a single point), it is retried 1e-9 (relative) inside.
  const double backoff =
      (front.constrained == ParetoMeasure::kReturn ? -1e-9 : 1e-9) * std::max(1.0, std::abs(to));

  front.status = OptimizationStatus::kOptimal;
  for (int k = 0; k < options.num_points; ++k) {
    const double epsilon = k + 1 == options.num_points
                               ? to
                               : from + (to - from) * static_cast<double>(k) /
                                            static_cast<double>(options.num_points - 1);
    PortfolioProblem point_problem = problem;
    MultiObjectiveOptions o = alone;
    switch (front.constrained) {
      case ParetoMeasure::kReturn:
        o.target_return = epsilon;
        break;
      case ParetoMeasure::kCvar:
        o.cvar_limit = epsilon;
        break;
      case ParetoMeasure::kTurnover:
        point_problem.constraints.turnover_limit =
            std::min(epsilon, problem.constraints.turnover_limit.value_or(kInfinity));
        break;
      case ParetoMeasure::kVolatility:
        break;  // volatility is always the objective when it is in the pair
    }
    MultiObjectiveResult r;
    const std::string what = "point " + std::to_string(k) + " (bound " + Num(epsilon) + ")";
    ok = solve(point_problem, o, what.c_str(), &r);
    if (!ok) return tl::unexpected(ok.error());
    double bound = epsilon;
    if (!*ok && k + 1 == options.num_points && front.status == OptimizationStatus::kInfeasible) {
      bound = epsilon + backoff;
      switch (front.constrained) {
        case ParetoMeasure::kReturn:
          o.target_return = bound;
          break;
        case ParetoMeasure::kCvar:
          o.cvar_limit = bound;
          break;
        case ParetoMeasure::kTurnover:
          point_problem.constraints.turnover_limit = bound;
          break;
        case ParetoMeasure::kVolatility:
          break;
      }
      front.status = OptimizationStatus::kOptimal;
      ok = solve(point_problem, o, what.c_str(), &r);
      if (!ok) return tl::unexpected(ok.error());
    }
    if (!*ok) break;
    front.points.push_back(
        make_point(r.result.optimization.weights, bound, r.result.optimization.performance));
  }
  if (front.status == OptimizationStatus::kOptimal) front.message = "optimal";
  front.solve_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return front;
}

}  // namespace pfopt
