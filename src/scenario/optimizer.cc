#include "pfopt/scenario/optimizer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>

#include "pfopt/solve/qp.h"
#include "scenario/format.h"
#include "scenario/scenario_functions.h"
#include "scenario/sqp.h"

namespace pfopt::scenario {

namespace {

using Clock = std::chrono::steady_clock;
using internal::AffineOf;
using internal::ExpectedReturnFunction;
using internal::FormatNumber;
using internal::NormFunction;
using internal::QuadraticFunction;
using internal::ReturnModel;
using internal::SmoothFunction;
using internal::SqpObjectiveKind;
using internal::SqpProblem;
using internal::SqpResult;
using internal::SqpStatus;
using internal::TailMeanFunction;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool MethodBelongs(OptimizerKind optimizer, ScenarioMethod method) {
  switch (method) {
    case ScenarioMethod::kMaximizeReturns:
      return optimizer == OptimizerKind::kPortfolio;
    case ScenarioMethod::kMaximizeEva:
    case ScenarioMethod::kMinimizeTrackingError:
    case ScenarioMethod::kMaximizeInfoRatio:
      return optimizer == OptimizerKind::kActive;
    case ScenarioMethod::kMinimizeVolatility:
    case ScenarioMethod::kMinimizeCvar:
    case ScenarioMethod::kMaximizeSharpeRatio:
      return true;
  }
  return false;
}

// --- The problem in terms of three quantities ----------------------------------------------

enum class QuantityKind { kReturn, kVolatility, kCvar };

struct Quantity {
  QuantityKind kind = QuantityKind::kReturn;
  bool active = false;  // of w_a instead of w
};

std::string QuantityName(const Quantity& q) {
  switch (q.kind) {
    case QuantityKind::kReturn:
      return q.active ? "active return" : "expected return";
    case QuantityKind::kVolatility:
      return q.active ? "tracking error" : "volatility";
    case QuantityKind::kCvar:
      return q.active ? "active CVaR" : "CVaR";
  }
  return "?";
}

// Volatility: quantity <= limit; return and CVaR: quantity >= limit.
struct Bound {
  Quantity quantity;
  double limit = 0.0;
  std::string name;
};

enum class GoalKind { kMaximize, kMinimize, kRatio };

struct Goal {
  GoalKind kind = GoalKind::kMaximize;
  Quantity quantity;     // maximised / minimised, or the ratio's numerator (a return)
  Quantity denominator;  // kRatio: a volatility
};

struct Spec {
  Goal goal;
  std::vector<Bound> bounds;
};

std::string BoundName(const Bound& b) {
  const std::string op = b.quantity.kind == QuantityKind::kVolatility ? " <= " : " >= ";
  switch (b.quantity.kind) {
    case QuantityKind::kReturn:
      return (b.quantity.active ? "active_return" : "expected_return") + op + FormatNumber(b.limit);
    case QuantityKind::kVolatility:
      return (b.quantity.active ? "tracking_error" : "volatility") + op + FormatNumber(b.limit);
    case QuantityKind::kCvar:
      return (b.quantity.active ? "active_cvar" : "cvar") + op + FormatNumber(b.limit);
  }
  return "?";
}

Spec MakeSpec(const ScenarioProblem& problem) {
  const MethodArguments& a = problem.arguments;
  Spec spec;
  auto add = [&](QuantityKind kind, bool active, double limit) {
    Bound b{{kind, active}, limit, ""};
    b.name = BoundName(b);
    spec.bounds.push_back(b);
  };
  auto return_floor = [&](bool active) {
    if (a.min_ret) add(QuantityKind::kReturn, active, *a.min_ret);
  };
  const bool is_active = problem.optimizer == OptimizerKind::kActive;
  switch (problem.method) {
    case ScenarioMethod::kMaximizeReturns:
      spec.goal = {GoalKind::kMaximize, {QuantityKind::kReturn, false}, {}};
      if (a.max_vol) add(QuantityKind::kVolatility, false, *a.max_vol);
      if (a.max_cvar) add(QuantityKind::kCvar, false, *a.max_cvar);
      break;
    case ScenarioMethod::kMaximizeEva:
      spec.goal = {GoalKind::kMaximize, {QuantityKind::kReturn, false}, {}};
      if (a.max_vol) add(QuantityKind::kVolatility, a.as_tracking_error, *a.max_vol);
      if (a.max_cvar) add(QuantityKind::kCvar, a.as_active_cvar, *a.max_cvar);
      break;
    case ScenarioMethod::kMinimizeVolatility:
      spec.goal = {GoalKind::kMinimize, {QuantityKind::kVolatility, false}, {}};
      return_floor(is_active && a.as_active_return);
      break;
    case ScenarioMethod::kMinimizeTrackingError:
      spec.goal = {GoalKind::kMinimize, {QuantityKind::kVolatility, true}, {}};
      return_floor(a.as_active_return);
      break;
    case ScenarioMethod::kMinimizeCvar:
      spec.goal = {GoalKind::kMaximize, {QuantityKind::kCvar, is_active && a.as_active_cvar}, {}};
      return_floor(is_active && a.as_active_return);
      break;
    case ScenarioMethod::kMaximizeSharpeRatio:
      spec.goal = {
          GoalKind::kRatio, {QuantityKind::kReturn, false}, {QuantityKind::kVolatility, false}};
      break;
    case ScenarioMethod::kMaximizeInfoRatio:
      spec.goal = {
          GoalKind::kRatio, {QuantityKind::kReturn, true}, {QuantityKind::kVolatility, true}};
      break;
  }
  return spec;
}

// The functions of one solve, built on demand.
class Functions {
 public:
  Functions(const ScenarioData& data, bool rebalance, Index tail_size)
      : data_(data), rebalance_(rebalance), tail_size_(tail_size) {
    active_covariance_ = data.covariance();
    active_covariance_.row(0).setZero();
    active_covariance_.col(0).setZero();
  }

  const Matrix* Covariance(bool active) const {
    return active ? &active_covariance_ : &data_.covariance();
  }
  ExpectedReturnFunction* Return(bool active) {
    auto& slot = returns_[active ? 1 : 0];
    if (!slot) {
      slot = std::make_unique<ExpectedReturnFunction>(Model(false, active), data_.num_years());
    }
    return slot.get();
  }
  TailMeanFunction* Tail(bool active) {
    auto& slot = tails_[active ? 1 : 0];
    if (!slot) slot = std::make_unique<TailMeanFunction>(Model(true, active), tail_size_);
    return slot.get();
  }
  // Keeps a wrapper alive for the duration of the solve.
  SmoothFunction* Keep(std::unique_ptr<SmoothFunction> f) {
    kept_.push_back(std::move(f));
    return kept_.back().get();
  }
  bool rebalance() const { return rebalance_; }

 private:
  const ReturnModel* Model(bool cvar, bool active) {
    auto& slot = models_[(cvar ? 2 : 0) + (active ? 1 : 0)];
    if (!slot) {
      if (cvar) {
        slot = std::make_unique<ReturnModel>(&data_.cvar_cube(), data_.cvar_periods(),
                                             &data_.cvar_cumulative_returns(), rebalance_, active);
      } else {
        slot = std::make_unique<ReturnModel>(&data_.cube(), data_.num_periods(),
                                             &data_.cumulative_returns(), rebalance_, active);
      }
    }
    return slot.get();
  }

  const ScenarioData& data_;
  bool rebalance_;
  Index tail_size_;
  Matrix active_covariance_;
  std::unique_ptr<ReturnModel> models_[4];
  std::unique_ptr<ExpectedReturnFunction> returns_[2];
  std::unique_ptr<TailMeanFunction> tails_[2];
  std::vector<std::unique_ptr<SmoothFunction>> kept_;
};

// Bounds, sum_to_1 and the linear rows of a problem, with their names.
struct LinearPart : internal::LinearSet {
  bool sum_to_1 = false;
};

LinearPart MakeLinearPart(const ScenarioProblem& problem, Index n) {
  LinearPart part;
  const bool active = problem.optimizer == OptimizerKind::kActive;
  DefaultBounds(problem.optimizer, n, &part.lower, &part.upper);
  if (problem.lower_bounds.size() == n) part.lower = problem.lower_bounds;
  if (problem.upper_bounds.size() == n) part.upper = problem.upper_bounds;
  part.sum_to_1 = problem.sum_to_1.value_or(!active);
  const Index user_eq = problem.a_eq.rows();
  part.a_eq.resize(user_eq + (part.sum_to_1 ? 1 : 0), n);
  part.b_eq.resize(part.a_eq.rows());
  Index row = 0;
  if (part.sum_to_1) {
    part.a_eq.row(row).setOnes();
    part.b_eq[row++] = 1.0;
    part.eq_names.push_back("sum_to_1");
  }
  for (Index i = 0; i < user_eq; ++i) {
    part.a_eq.row(row) = problem.a_eq.row(i);
    part.b_eq[row++] = problem.b_eq[i];
    part.eq_names.push_back("a_eq[" + std::to_string(i) + "]");
  }
  part.a_in = problem.a_in.rows() > 0 ? problem.a_in : Matrix(0, n);
  part.b_in = problem.a_in.rows() > 0 ? problem.b_in : Vector(0);
  for (Index i = 0; i < part.a_in.rows(); ++i) {
    part.in_names.push_back("a_in[" + std::to_string(i) + "]");
  }
  for (Index j = 0; j < n; ++j) part.variable_names.push_back("asset " + std::to_string(j));
  return part;
}

// Whether 1 + G_i w > 0 for every trial i and every w allowed by the bounds (and sum_to_1):
// the expected return is then concave on the feasible set (a mean of concave powers of
// positive affine functions). Two sufficient tests: the minimum over the box, or weights >= 0
// that sum to at most 1 with every G > -1 (then 1 + G_i w = (1 - sum w) + sum_j w_j (1 + G_ij)).
bool GrowthPositiveOnBounds(const Matrix& g, const LinearPart& part, bool active) {
  const Index first = active ? 1 : 0;
  const Index count = g.cols() - first;
  const Vector lower = part.lower.tail(count);
  const Vector upper = part.upper.tail(count);
  const bool long_only = lower.minCoeff() >= 0.0;
  const bool at_most_one = (part.sum_to_1 && !active) || upper.sum() <= 1.0;
  if (long_only && at_most_one && g.rightCols(count).minCoeff() > -1.0) return true;
  for (Index i = 0; i < g.rows(); ++i) {
    double worst = 1.0;
    for (Index j = first; j < g.cols(); ++j) {
      const double gij = g(i, j);
      if (gij == 0.0) continue;
      const double bound = gij > 0.0 ? part.lower[j] : part.upper[j];
      if (!std::isfinite(bound)) return false;
      worst += gij * bound;
    }
    if (!(worst > 0.0)) return false;
  }
  return true;
}

struct Built {
  SqpProblem problem;
  bool convex = false;
};

Built BuildSqp(const Spec& spec, const LinearPart& linear, Functions* functions,
               const ScenarioData& data) {
  Built built;
  SqpProblem& p = built.problem;
  p.num_variables = data.num_assets();
  p.linear = linear;
  bool uses_return[2] = {false, false};
  const Goal& goal = spec.goal;
  switch (goal.kind) {
    case GoalKind::kRatio:
      p.objective_kind = SqpObjectiveKind::kRatio;
      p.numerator = functions->Return(goal.quantity.active);
      p.denominator = functions->Keep(
          std::make_unique<NormFunction>(functions->Covariance(goal.denominator.active)));
      uses_return[goal.quantity.active ? 1 : 0] = true;
      break;
    case GoalKind::kMaximize:
    case GoalKind::kMinimize:
      switch (goal.quantity.kind) {
        case QuantityKind::kReturn:  // maximised
          p.objective_kind = SqpObjectiveKind::kSmooth;
          p.objective = functions->Keep(
              std::make_unique<AffineOf>(functions->Return(goal.quantity.active),
                                         goal.kind == GoalKind::kMaximize ? -1.0 : 1.0, 0.0));
          uses_return[goal.quantity.active ? 1 : 0] = true;
          break;
        case QuantityKind::kVolatility:  // minimised, as half the variance
          p.objective_kind = SqpObjectiveKind::kSmooth;
          p.objective = functions->Keep(std::make_unique<QuadraticFunction>(
              functions->Covariance(goal.quantity.active), 0.5, 0.0));
          break;
        case QuantityKind::kCvar:  // maximised
          p.objective_kind = SqpObjectiveKind::kPiecewiseMax;
          p.piecewise_objective = functions->Tail(goal.quantity.active);
          break;
      }
      break;
  }
  for (const Bound& b : spec.bounds) {
    switch (b.quantity.kind) {
      case QuantityKind::kVolatility: {
        // (w'Sw - v^2) / (2 v): in volatility units near the limit.
        const double v = b.limit;
        const Matrix* q = functions->Covariance(b.quantity.active);
        p.smooth.push_back(
            {functions->Keep(std::make_unique<QuadraticFunction>(q, 0.5 / v, -0.5 * v)), false,
             b.name, q, v});
        break;
      }
      case QuantityKind::kReturn:
        p.smooth.push_back({functions->Keep(std::make_unique<AffineOf>(
                                functions->Return(b.quantity.active), -1.0, b.limit)),
                            false, b.name});
        uses_return[b.quantity.active ? 1 : 0] = true;
        break;
      case QuantityKind::kCvar:
        p.piecewise.push_back({functions->Tail(b.quantity.active), b.limit, b.name});
        break;
    }
  }
  bool convex = !functions->rebalance();
  for (int active = 0; active < 2 && convex; ++active) {
    if (uses_return[active]) {
      convex = GrowthPositiveOnBounds(data.cumulative_returns(), linear, active == 1);
    }
  }
  p.convex = convex;
  built.convex = convex;
  return built;
}

// argmin w'Qw over the bounds and linear constraints (they have a common point).
bool MinimumQuadratic(const LinearPart& part, const Matrix& q, Vector* x) {
  QpSummary summary;
  auto solution = internal::SolveOverLinearSet(part, q, Vector::Zero(q.rows()), &summary);
  if (!solution ||
      (summary.status != QpStatus::kOptimal && summary.status != QpStatus::kOptimalInaccurate)) {
    return false;
  }
  *x = solution->x;
  return true;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string text;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " and " : ", ";
    text += names[i];
  }
  return text;
}

class Solver {
 public:
  Solver(const ScenarioData& data, const ScenarioProblem& problem,
         const ScenarioSolverOptions& options)
      : data_(data), problem_(problem), options_(options) {}

  ScenarioResult Run();

 private:
  SqpResult RunSqp(const Spec& spec, Functions* functions, const Vector& x0, bool* convex);
  // Finds the first bound that cannot be met together with the ones before it. Returns the
  // message, or an empty string when every bound can be met (then *feasible is a point that
  // meets them all).
  std::string Diagnose(const Spec& spec, Functions* functions, const Vector& x0, Vector* feasible);
  void Finish(const Spec& spec, const Vector& x, bool global, ScenarioResult* result);
  double QuantityValue(const Quantity& q, const Vector& w) const;

  const ScenarioData& data_;
  const ScenarioProblem& problem_;
  const ScenarioSolverOptions& options_;
  LinearPart linear_;
  Clock::time_point start_;
  int iterations_ = 0, qp_solves_ = 0, cuts_ = 0;
  double stationarity_ = kNaN;
};

SqpResult Solver::RunSqp(const Spec& spec, Functions* functions, const Vector& x0, bool* convex) {
  Built built = BuildSqp(spec, linear_, functions, data_);
  if (convex != nullptr) *convex = built.convex;
  internal::SqpOptions sqp;
  sqp.step_tolerance = options_.step_tolerance;
  sqp.feasibility_tolerance = 0.1 * options_.feasibility_tolerance;
  sqp.max_iterations = std::max(1, options_.max_iterations - iterations_);
  if (options_.time_limit_seconds > 0.0) {
    sqp.time_limit_seconds = std::max(1e-3, options_.time_limit_seconds - Seconds(start_));
  }
  if (options_.progress) {
    sqp.progress = [this](int iteration, double objective, double violation) {
      options_.progress({iterations_ + iteration, objective, violation, Seconds(start_)});
    };
  }
  SqpResult result = internal::SolveSqp(built.problem, x0, sqp);
  iterations_ += result.iterations;
  qp_solves_ += result.qp_solves;
  cuts_ += result.cuts;
  stationarity_ = result.stationarity;
  return result;
}

double Solver::QuantityValue(const Quantity& q, const Vector& w) const {
  Vector v = w;
  if (q.active) v[0] = 0.0;
  switch (q.kind) {
    case QuantityKind::kReturn:
      return *ExpectedReturn(data_, v, problem_.rebalance);
    case QuantityKind::kVolatility:
      return *Volatility(data_, v);
    case QuantityKind::kCvar:
      return *Cvar(data_, v, problem_.arguments.percentile, problem_.rebalance);
  }
  return kNaN;
}

std::string Solver::Diagnose(const Spec& spec, Functions* functions, const Vector& x0,
                             Vector* feasible) {
  Vector x = x0;
  std::vector<std::string> met;
  for (std::size_t j = 0; j < spec.bounds.size(); ++j) {
    const Bound& bound = spec.bounds[j];
    Spec sub;
    sub.goal.kind = bound.quantity.kind == QuantityKind::kVolatility ? GoalKind::kMinimize
                                                                     : GoalKind::kMaximize;
    sub.goal.quantity = bound.quantity;
    sub.bounds.assign(spec.bounds.begin(), spec.bounds.begin() + static_cast<std::ptrdiff_t>(j));
    bool convex = false;
    SqpResult r = RunSqp(sub, functions, x, &convex);
    const std::string within =
        "within the bounds and linear constraints" + (met.empty() ? "" : " and " + JoinNames(met));
    if (r.status != SqpStatus::kConverged) {
      return bound.name + " could not be checked: finding the " +
             (sub.goal.kind == GoalKind::kMinimize ? "smallest " : "largest ") +
             QuantityName(bound.quantity) + " " + within + " ended with: " + r.message;
    }
    const double best = QuantityValue(bound.quantity, r.x);
    const bool upper = bound.quantity.kind == QuantityKind::kVolatility;
    const double gap = upper ? best - bound.limit : bound.limit - best;
    if (gap > options_.feasibility_tolerance) {
      return bound.name + " cannot be met: the " + (upper ? "smallest " : "largest ") +
             QuantityName(bound.quantity) + " possible " + within + " is " + FormatNumber(best) +
             " (" + FormatNumber(gap, 3) + (upper ? " above" : " below") + " the limit)" +
             (convex ? "" : "; this is a local optimum (the problem is not convex)");
    }
    met.push_back(bound.name);
    x = r.x;
  }
  *feasible = x;
  return "";
}

void Solver::Finish(const Spec& spec, const Vector& x, bool global, ScenarioResult* result) {
  const Index n = data_.num_assets();
  const double tol = options_.feasibility_tolerance;
  std::vector<ConstraintReport>& reports = result->constraints;
  auto report = [&](const std::string& name, double value, double limit, double violation) {
    ConstraintReport r;
    r.name = name;
    r.value = value;
    r.limit = limit;
    r.violation = std::max(0.0, violation);
    r.binding = std::abs(value - limit) <= 1e-8 * std::max(1.0, std::abs(limit));
    reports.push_back(r);
  };
  double bound_violation = 0.0;
  for (Index j = 0; j < n; ++j) {
    bound_violation = std::max({bound_violation, linear_.lower[j] - x[j], x[j] - linear_.upper[j]});
  }
  report("bounds", bound_violation, 0.0, bound_violation);
  for (Index i = 0; i < linear_.a_eq.rows(); ++i) {
    const double value = linear_.a_eq.row(i).dot(x);
    report(linear_.eq_names[static_cast<std::size_t>(i)], value, linear_.b_eq[i],
           std::abs(value - linear_.b_eq[i]));
  }
  for (Index i = 0; i < linear_.a_in.rows(); ++i) {
    const double value = linear_.a_in.row(i).dot(x);
    report(linear_.in_names[static_cast<std::size_t>(i)], value, linear_.b_in[i],
           value - linear_.b_in[i]);
  }
  for (const Bound& b : spec.bounds) {
    const double value = QuantityValue(b.quantity, x);
    const bool upper = b.quantity.kind == QuantityKind::kVolatility;
    report(b.name, value, b.limit, upper ? value - b.limit : b.limit - value);
  }
  result->max_violation = 0.0;
  const ConstraintReport* worst = nullptr;
  for (const auto& r : reports) {
    // Linear rows are checked relative to the size of their right-hand side.
    const double scale = std::max(1.0, std::abs(r.limit));
    if (r.violation > result->max_violation) {
      result->max_violation = r.violation;
      if (r.violation > tol * scale) worst = &r;
    }
  }
  if (worst != nullptr) {
    result->status = OptimizationStatus::kNumericalError;
    result->message = "the optimiser's answer breaks " + worst->name + " by " +
                      FormatNumber(worst->violation, 3) + " (tolerance " + FormatNumber(tol, 3) +
                      "); no answer is reported";
    result->weights.resize(0);
    return;
  }
  auto metrics = EvaluatePortfolio(data_, x,
                                   {problem_.arguments.percentile, problem_.rebalance,
                                    problem_.optimizer == OptimizerKind::kActive});
  result->metrics = *metrics;
  const ScenarioMetrics& m = result->metrics;
  switch (problem_.method) {
    case ScenarioMethod::kMaximizeReturns:
    case ScenarioMethod::kMaximizeEva:
      result->objective_value = m.expected_return;
      break;
    case ScenarioMethod::kMinimizeVolatility:
      result->objective_value = m.volatility;
      break;
    case ScenarioMethod::kMinimizeTrackingError:
      result->objective_value = m.tracking_error;
      break;
    case ScenarioMethod::kMinimizeCvar:
      result->objective_value = QuantityValue(spec.goal.quantity, x);
      break;
    case ScenarioMethod::kMaximizeSharpeRatio:
      result->objective_value = m.sharpe_ratio;
      break;
    case ScenarioMethod::kMaximizeInfoRatio:
      result->objective_value = m.info_ratio;
      break;
  }
  if (spec.goal.kind == GoalKind::kRatio && !(result->objective_value > 0.0)) {
    global = false;  // E/sigma is quasi-concave only where E >= 0
  }
  result->weights = x;
  result->global_optimum = global;
  if (result->message.empty()) {
    result->message = global ? "optimal: KKT point of a convex problem (global optimum)"
                             : "optimal: local optimum (KKT point; the problem is not convex: " +
                                   std::string(problem_.rebalance ? "rebalanced returns"
                                               : (spec.goal.kind == GoalKind::kRatio &&
                                                  !(result->objective_value > 0.0))
                                                   ? "negative ratio"
                                                   : "portfolio growth can reach 0 "
                                                     "within the bounds") +
                                   ")";
  }
}

ScenarioResult Solver::Run() {
  start_ = Clock::now();
  ScenarioResult result;
  const Index n = data_.num_assets();
  linear_ = MakeLinearPart(problem_, n);
  auto finish_timing = [&](ScenarioResult* r) {
    r->iterations = iterations_;
    r->qp_solves = qp_solves_;
    r->cutting_planes = cuts_;
    r->stationarity = stationarity_;
    r->solve_seconds = Seconds(start_);
  };

  // Start: x0 (or the midpoint of the bounds) projected on the linear constraints.
  Vector x0 = problem_.arguments.x0;
  if (x0.size() != n) {
    x0.resize(n);
    for (Index j = 0; j < n; ++j) {
      const double lo = linear_.lower[j], hi = linear_.upper[j];
      if (std::isfinite(lo) && std::isfinite(hi)) {
        x0[j] = 0.5 * (lo + hi);
      } else {
        x0[j] = std::clamp(1.0 / static_cast<double>(n), lo, hi);
      }
    }
  }
  Vector start;
  std::vector<std::string> conflicting;
  if (!internal::ProjectOntoLinearSet(linear_, x0, &start, &conflicting)) {
    result.status = OptimizationStatus::kInfeasible;
    result.message =
        conflicting.empty()
            ? "the bounds and linear constraints have no common point"
            : "the bounds and linear constraints have no common point: " + JoinNames(conflicting) +
                  " conflict";
    finish_timing(&result);
    return result;
  }

  const Spec spec = MakeSpec(problem_);
  const Index tail_size =
      CvarTailSize(data_.cvar_cube().num_trials(), problem_.arguments.percentile);
  Functions functions(data_, problem_.rebalance, tail_size);
  // A start that meets the volatility (tracking error) cap: on the segment from the
  // minimum-volatility portfolio to the start, where the volatility equals the cap. Convex
  // problems end at the same optimum from any start; this one saves the iterations that an
  // infeasible start costs.
  for (const Bound& b : spec.bounds) {
    if (b.quantity.kind != QuantityKind::kVolatility) continue;
    const Matrix& q = *functions.Covariance(b.quantity.active);
    const double cap = b.limit * (1.0 - 1e-9);
    if (start.dot(q * start) <= cap * cap) break;
    Vector low;
    if (!MinimumQuadratic(linear_, q, &low)) break;
    const double floor2 = low.dot(q * low);
    if (floor2 > cap * cap) break;  // infeasible: diagnosed below
    const Vector d = start - low;
    const double a = d.dot(q * d), bb = low.dot(q * d), c = floor2 - cap * cap;
    if (a > 0.0) start = low + ((-bb + std::sqrt(std::max(0.0, bb * bb - a * c))) / a) * d;
    break;
  }
  if (problem_.rebalance) {
    // Start the rebalanced problem from the buy-and-hold optimum: both are close, and the
    // buy-and-hold one is cheap (its returns are linear in the weights).
    Functions buy_and_hold(data_, false, tail_size);
    SqpResult first = RunSqp(spec, &buy_and_hold, start, nullptr);
    if (first.status == SqpStatus::kConverged) start = first.x;
  }
  bool convex = false;
  SqpResult sqp = RunSqp(spec, &functions, start, &convex);
  if (sqp.status == SqpStatus::kInfeasibleQp && !spec.bounds.empty()) {
    Vector feasible;
    const std::string why = Diagnose(spec, &functions, start, &feasible);
    if (!why.empty()) {
      result.status = OptimizationStatus::kInfeasible;
      result.message = why;
      finish_timing(&result);
      return result;
    }
    // Not convex: the linearisation was infeasible, the problem is not. Restart from a point
    // that meets every constraint.
    sqp = RunSqp(spec, &functions, feasible, &convex);
  }
  switch (sqp.status) {
    case SqpStatus::kConverged:
      result.status = OptimizationStatus::kOptimal;
      if (!sqp.message.empty()) result.message = "optimal (" + sqp.message + ")";
      Finish(spec, sqp.x, convex, &result);
      break;
    case SqpStatus::kInfeasibleQp:
      result.status = OptimizationStatus::kInfeasible;
      result.message = "the constraints have no common point" +
                       (sqp.conflicting.empty() ? std::string()
                                                : ": " + JoinNames(sqp.conflicting) + " conflict");
      break;
    case SqpStatus::kUnboundedQp:
      result.status = OptimizationStatus::kUnbounded;
      result.message = sqp.message + "; add bounds or constraints";
      break;
    case SqpStatus::kRatioAtOrigin: {
      result.status = OptimizationStatus::kUnbounded;
      Vector w = sqp.x;
      Vector w0 = start;
      if (spec.goal.denominator.active) w[0] = w0[0] = 0.0;
      if (w.cwiseAbs().maxCoeff() < 1e-2 * std::max(1e-300, w0.cwiseAbs().maxCoeff())) {
        result.message = sqp.message +
                         ": the weights in it shrink to 0, and as the expected return is concave "
                         "with E(0) = 0, E(t w) / (t sigma(w)) increases as t shrinks. Fix the "
                         "size of the position, e.g. with an equality row on the weights "
                         "(sum_to_1, a_eq) or positive lower bounds";
      } else {
        result.message = sqp.message +
                         ": the weights can reach a positive expected return with no volatility "
                         "(a riskless asset or combination); cap the weights that carry no risk";
      }
      break;
    }
    case SqpStatus::kMaxIterations:
    case SqpStatus::kTimeLimit:
      result.status = OptimizationStatus::kMaxIterations;
      result.message = sqp.message + " before convergence (last step " + FormatNumber(sqp.step, 3) +
                       ", constraint violation " + FormatNumber(sqp.max_violation, 3) + ")";
      break;
    case SqpStatus::kLineSearch:
      if (sqp.max_violation <= 0.1 * options_.feasibility_tolerance && sqp.step <= 1e-6) {
        result.status = OptimizationStatus::kOptimalInaccurate;
        result.message = "optimal to about " + FormatNumber(sqp.step, 3) +
                         " in the weights (the line search stalled: " + sqp.message + ")";
        Finish(spec, sqp.x, false, &result);
      } else {
        result.status = OptimizationStatus::kNumericalError;
        result.message = "numerical trouble: " + sqp.message;
      }
      break;
    case SqpStatus::kNumerical:
      result.status = OptimizationStatus::kNumericalError;
      result.message = "numerical trouble: " + sqp.message;
      break;
  }
  finish_timing(&result);
  return result;
}

Status CheckFiniteMatrix(const Matrix& m, const char* field) {
  if (!m.allFinite()) return InvalidArgument(std::string(field) + " has non-finite entries", field);
  return Ok();
}

}  // namespace

Status ScenarioProblem::Validate(Index num_assets) const {
  const Index n = num_assets;
  if (!MethodBelongs(optimizer, method)) {
    return InvalidArgument(std::string(EnumToString(method)) + " is not a method of the " +
                               std::string(EnumToString(optimizer)) + " optimizer",
                           "method");
  }
  const MethodArguments& a = arguments;
  auto positive = [](const std::optional<double>& v, const char* field) -> Status {
    if (v && !(std::isfinite(*v) && *v > 0.0)) {
      return InvalidArgument(std::string(field) + " is " + FormatNumber(*v) + "; it must be > 0",
                             field);
    }
    return Ok();
  };
  auto finite = [](const std::optional<double>& v, const char* field) -> Status {
    if (v && !std::isfinite(*v))
      return InvalidArgument(std::string(field) + " is not finite", field);
    return Ok();
  };
  PFOPT_RETURN_IF_ERROR(positive(a.max_vol, "max_vol"));
  PFOPT_RETURN_IF_ERROR(finite(a.max_cvar, "max_cvar"));
  PFOPT_RETURN_IF_ERROR(finite(a.min_ret, "min_ret"));
  if (!(a.percentile > 0.0 && a.percentile <= 100.0)) {
    return InvalidArgument(
        "percentile is " + FormatNumber(a.percentile) + "; it must be in (0, 100]", "percentile");
  }
  const bool max_methods =
      method == ScenarioMethod::kMaximizeReturns || method == ScenarioMethod::kMaximizeEva;
  const bool min_methods = method == ScenarioMethod::kMinimizeVolatility ||
                           method == ScenarioMethod::kMinimizeCvar ||
                           method == ScenarioMethod::kMinimizeTrackingError;
  const std::string name(EnumToString(method));
  if (max_methods && !a.max_vol && !a.max_cvar) {
    return InvalidArgument(name + " needs max_vol or max_cvar (or both)", "max_vol");
  }
  if (!max_methods && (a.max_vol || a.max_cvar)) {
    return InvalidArgument(name + " does not take " + (a.max_vol ? "max_vol" : "max_cvar"),
                           a.max_vol ? "max_vol" : "max_cvar");
  }
  if (!min_methods && a.min_ret) {
    return InvalidArgument(name + " does not take min_ret", "min_ret");
  }
  const bool active = optimizer == OptimizerKind::kActive;
  if (!active && (a.as_active_cvar || a.as_active_return || !a.as_tracking_error)) {
    return InvalidArgument(
        "as_tracking_error, as_active_cvar and as_active_return are options of the active "
        "optimizer",
        "as_active_return");
  }
  if (a.x0.size() != 0) {
    if (a.x0.size() != n) {
      return DimensionMismatch(
          "x0 has " + std::to_string(a.x0.size()) + " entries for " + std::to_string(n) + " assets",
          "x0");
    }
    if (!a.x0.allFinite()) return InvalidArgument("x0 has non-finite entries", "x0");
  }
  for (const auto& [bounds, field] :
       {std::pair<const Vector*, const char*>{&lower_bounds, "lower_bounds"},
        std::pair<const Vector*, const char*>{&upper_bounds, "upper_bounds"}}) {
    if (bounds->size() != 0 && bounds->size() != n) {
      return DimensionMismatch(std::string(field) + " has " + std::to_string(bounds->size()) +
                                   " entries for " + std::to_string(n) + " assets",
                               field);
    }
    for (Index j = 0; j < bounds->size(); ++j) {
      if (std::isnan((*bounds)[j])) {
        return InvalidArgument(std::string(field) + "[" + std::to_string(j) + "] is NaN", field);
      }
    }
  }
  Vector lower, upper;
  DefaultBounds(optimizer, n, &lower, &upper);
  if (lower_bounds.size() == n) lower = lower_bounds;
  if (upper_bounds.size() == n) upper = upper_bounds;
  for (Index j = 0; j < n; ++j) {
    if (lower[j] > upper[j]) {
      return InvalidArgument("lower bound " + FormatNumber(lower[j]) + " of asset " +
                                 std::to_string(j) + " is above its upper bound " +
                                 FormatNumber(upper[j]),
                             lower_bounds.size() == n ? "lower_bounds" : "upper_bounds");
    }
  }
  for (const auto& [a_matrix, b_vector, name_a, name_b] :
       {std::tuple<const Matrix*, const Vector*, const char*, const char*>{&a_in, &b_in, "a_in",
                                                                           "b_in"},
        std::tuple<const Matrix*, const Vector*, const char*, const char*>{&a_eq, &b_eq, "a_eq",
                                                                           "b_eq"}}) {
    if (a_matrix->rows() == 0 && b_vector->size() == 0) continue;
    if (a_matrix->cols() != n) {
      return DimensionMismatch(std::string(name_a) + " has " + std::to_string(a_matrix->cols()) +
                                   " columns for " + std::to_string(n) + " assets",
                               name_a);
    }
    if (b_vector->size() != a_matrix->rows()) {
      return DimensionMismatch(std::string(name_b) + " has " + std::to_string(b_vector->size()) +
                                   " entries for " + std::to_string(a_matrix->rows()) + " rows",
                               name_b);
    }
    PFOPT_RETURN_IF_ERROR(CheckFiniteMatrix(*a_matrix, name_a));
    if (!b_vector->allFinite()) {
      return InvalidArgument(std::string(name_b) + " has non-finite entries", name_b);
    }
  }
  return Ok();
}

void DefaultBounds(OptimizerKind optimizer, Index num_assets, Vector* lower, Vector* upper) {
  *lower = Vector::Zero(num_assets);
  *upper = Vector::Ones(num_assets);
  if (optimizer == OptimizerKind::kActive && num_assets > 0) (*lower)[0] = 1.0;
}

Status ScenarioSolverOptions::Validate() const {
  if (!(feasibility_tolerance > 0.0 && feasibility_tolerance <= 1e-3)) {
    return InvalidArgument("feasibility_tolerance is " + FormatNumber(feasibility_tolerance) +
                               "; it must be in (0, 1e-3]",
                           "feasibility_tolerance");
  }
  if (!(step_tolerance > 0.0 && step_tolerance <= 1e-3)) {
    return InvalidArgument(
        "step_tolerance is " + FormatNumber(step_tolerance) + "; it must be in (0, 1e-3]",
        "step_tolerance");
  }
  if (max_iterations < 1) {
    return InvalidArgument(
        "max_iterations is " + std::to_string(max_iterations) + "; it must be >= 1",
        "max_iterations");
  }
  if (!(time_limit_seconds >= 0.0)) {
    return InvalidArgument("time_limit_seconds must be >= 0", "time_limit_seconds");
  }
  return Ok();
}

Result<ScenarioResult> SolveScenario(const ScenarioData& data, const ScenarioProblem& problem,
                                     const ScenarioSolverOptions& options) {
  PFOPT_RETURN_IF_ERROR(problem.Validate(data.num_assets()));
  PFOPT_RETURN_IF_ERROR(options.Validate());
  if (problem.optimizer == OptimizerKind::kActive && data.num_assets() < 2) {
    return InvalidArgument(
        "the active optimizer needs a benchmark (asset 0) and at least one active asset",
        "optimizer");
  }
  Solver solver(data, problem, options);
  return solver.Run();
}

// --- allopy-style classes ------------------------------------------------------------------

PortfolioOptimizer::PortfolioOptimizer(ScenarioData data, bool rebalance, bool sum_to_1)
    : PortfolioOptimizer(std::move(data), OptimizerKind::kPortfolio, rebalance, sum_to_1) {}

PortfolioOptimizer::PortfolioOptimizer(ScenarioData data, OptimizerKind kind, bool rebalance,
                                       bool sum_to_1)
    : data_(std::move(data)) {
  problem_.optimizer = kind;
  problem_.rebalance = rebalance;
  problem_.sum_to_1 = sum_to_1;
}

Status PortfolioOptimizer::SetBounds(double lower, double upper) {
  const Index n = data_.num_assets();
  return SetBounds(Vector::Constant(n, lower), Vector::Constant(n, upper));
}

Status PortfolioOptimizer::SetBounds(const VectorRef& lower, const VectorRef& upper) {
  ScenarioProblem trial = problem_;
  trial.lower_bounds = lower;
  trial.upper_bounds = upper;
  if (lower.size() != data_.num_assets() || upper.size() != data_.num_assets()) {
    return DimensionMismatch("bounds need " + std::to_string(data_.num_assets()) + " entries",
                             "bounds");
  }
  PFOPT_RETURN_IF_ERROR(trial.Validate(data_.num_assets()));
  problem_ = std::move(trial);
  return Ok();
}

namespace {

// Appends the rows (a, b) to (to_a, to_b) in a copy of `problem` and validates it.
Status AppendMatrixRows(const ScenarioProblem& problem, Index assets, const MatrixRef& a,
                        const VectorRef& b, bool equality, ScenarioProblem* out) {
  const char* field = equality ? "a_eq" : "a_in";
  if (a.cols() != assets || b.size() != a.rows()) {
    return DimensionMismatch(
        "A must have " + std::to_string(assets) + " columns and b one entry per row of A", field);
  }
  ScenarioProblem trial = problem;
  Matrix& to_a = equality ? trial.a_eq : trial.a_in;
  Vector& to_b = equality ? trial.b_eq : trial.b_in;
  const Index rows = to_a.rows();
  to_a.conservativeResize(rows + a.rows(), a.cols());
  to_a.bottomRows(a.rows()) = a;
  to_b.conservativeResize(rows + a.rows());
  to_b.tail(a.rows()) = b;
  PFOPT_RETURN_IF_ERROR(trial.Validate(assets));
  *out = std::move(trial);
  return Ok();
}

}  // namespace

Status PortfolioOptimizer::AddInequalityMatrixConstraint(const MatrixRef& a, const VectorRef& b) {
  return AppendMatrixRows(problem_, data_.num_assets(), a, b, false, &problem_);
}

Status PortfolioOptimizer::AddEqualityMatrixConstraint(const MatrixRef& a, const VectorRef& b) {
  return AppendMatrixRows(problem_, data_.num_assets(), a, b, true, &problem_);
}

void PortfolioOptimizer::RemoveMatrixConstraints() {
  problem_.a_in.resize(0, 0);
  problem_.b_in.resize(0);
  problem_.a_eq.resize(0, 0);
  problem_.b_eq.resize(0);
}

Result<ScenarioResult> PortfolioOptimizer::Run(ScenarioMethod method,
                                               const MethodArguments& arguments) {
  ScenarioProblem problem = problem_;
  problem.method = method;
  problem.arguments = arguments;
  return SolveScenario(data_, problem, options_);
}

Result<ScenarioResult> PortfolioOptimizer::MaximizeReturns(const MethodArguments& arguments) {
  return Run(ScenarioMethod::kMaximizeReturns, arguments);
}
Result<ScenarioResult> PortfolioOptimizer::MinimizeVolatility(const MethodArguments& arguments) {
  return Run(ScenarioMethod::kMinimizeVolatility, arguments);
}
Result<ScenarioResult> PortfolioOptimizer::MinimizeCvar(const MethodArguments& arguments) {
  return Run(ScenarioMethod::kMinimizeCvar, arguments);
}
Result<ScenarioResult> PortfolioOptimizer::MaximizeSharpeRatio(const MethodArguments& arguments) {
  return Run(ScenarioMethod::kMaximizeSharpeRatio, arguments);
}

ActivePortfolioOptimizer::ActivePortfolioOptimizer(ScenarioData data, bool rebalance, bool sum_to_1)
    : PortfolioOptimizer(std::move(data), OptimizerKind::kActive, rebalance, sum_to_1) {}

Result<ScenarioResult> ActivePortfolioOptimizer::MaximizeEva(const MethodArguments& arguments) {
  return Run(ScenarioMethod::kMaximizeEva, arguments);
}
Result<ScenarioResult> ActivePortfolioOptimizer::MinimizeTrackingError(
    const MethodArguments& arguments) {
  return Run(ScenarioMethod::kMinimizeTrackingError, arguments);
}
Result<ScenarioResult> ActivePortfolioOptimizer::MaximizeInfoRatio(
    const MethodArguments& arguments) {
  return Run(ScenarioMethod::kMaximizeInfoRatio, arguments);
}

}  // namespace pfopt::scenario
