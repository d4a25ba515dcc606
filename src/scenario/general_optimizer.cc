#include "pfopt/scenario/general_optimizer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "scenario/format.h"
#include "scenario/sqp.h"

namespace pfopt::scenario {

namespace {

using Clock = std::chrono::steady_clock;

// A user function for the SQP: value, gradient (the user's or central differences), sign.
// Exceptions thrown by user code are caught here and reported as an Error by Optimize.
class UserFunction : public internal::SmoothFunction {
 public:
  UserFunction(const GeneralFunction* f, double sign, double step, int* evaluations,
               std::string* failure)
      : f_(f), sign_(sign), step_(step), evaluations_(evaluations), failure_(failure) {}

  double Evaluate(const Vector& x, Vector* gradient) override {
    const double value = Call(x);
    if (gradient == nullptr || !std::isfinite(value)) return sign_ * value;
    if (f_->gradient) {
      try {
        *gradient = f_->gradient(x);
      } catch (const std::exception& e) {
        Fail("the gradient of '" + f_->name + "' threw: " + e.what());
        return kNaN;
      }
      if (gradient->size() != x.size()) {
        Fail("the gradient of '" + f_->name + "' has " + std::to_string(gradient->size()) +
             " entries for " + std::to_string(x.size()) + " variables");
        return kNaN;
      }
      *gradient *= sign_;
    } else {
      gradient->resize(x.size());
      Vector probe = x;
      for (Index j = 0; j < x.size(); ++j) {
        const double h = step_ * std::max(1.0, std::abs(x[j]));
        probe[j] = x[j] + h;
        const double plus = Call(probe);
        probe[j] = x[j] - h;
        const double minus = Call(probe);
        probe[j] = x[j];
        (*gradient)[j] = sign_ * (plus - minus) / (2.0 * h);
      }
    }
    return sign_ * value;
  }

 private:
  double Call(const Vector& x) {
    ++*evaluations_;
    try {
      return f_->value(x);
    } catch (const std::exception& e) {
      Fail("'" + f_->name + "' threw: " + e.what());
      return kNaN;
    }
  }
  void Fail(const std::string& message) {
    if (failure_->empty()) *failure_ = message;
  }

  const GeneralFunction* f_;
  double sign_, step_;
  int* evaluations_;
  std::string* failure_;
};

Status CheckBounds(const Vector& lower, const Vector& upper) {
  for (Index j = 0; j < lower.size(); ++j) {
    if (std::isnan(lower[j]) || std::isnan(upper[j])) {
      return InvalidArgument("bound " + std::to_string(j) + " is NaN", "bounds");
    }
    if (lower[j] > upper[j]) {
      return InvalidArgument("lower bound " + std::to_string(lower[j]) + " of variable " +
                                 std::to_string(j) + " is above its upper bound " +
                                 std::to_string(upper[j]),
                             "bounds");
    }
  }
  return Ok();
}

Status AppendRows(const MatrixRef& a, const VectorRef& b, Index n, const char* field, Matrix* to_a,
                  Vector* to_b) {
  if (a.cols() != n || b.size() != a.rows()) {
    return DimensionMismatch(std::string(field) + " needs " + std::to_string(n) +
                                 " columns and one right-hand side per row",
                             field);
  }
  if (!a.allFinite() || !b.allFinite()) {
    return InvalidArgument(std::string(field) + " has non-finite entries", field);
  }
  const Index rows = to_a->rows();
  to_a->conservativeResize(rows + a.rows(), n);
  to_a->bottomRows(a.rows()) = a;
  to_b->conservativeResize(rows + a.rows());
  to_b->tail(a.rows()) = b;
  return Ok();
}

}  // namespace

Status GeneralOptimizerOptions::Validate() const {
  if (!(feasibility_tolerance > 0.0 && feasibility_tolerance <= 1e-2)) {
    return InvalidArgument("feasibility_tolerance must be in (0, 1e-2]", "feasibility_tolerance");
  }
  if (!(step_tolerance > 0.0 && step_tolerance <= 1e-2)) {
    return InvalidArgument("step_tolerance must be in (0, 1e-2]", "step_tolerance");
  }
  if (!(finite_difference_step > 0.0 && finite_difference_step <= 1e-2)) {
    return InvalidArgument("finite_difference_step must be in (0, 1e-2]", "finite_difference_step");
  }
  if (max_iterations < 1) return InvalidArgument("max_iterations must be >= 1", "max_iterations");
  if (!(time_limit_seconds >= 0.0)) {
    return InvalidArgument("time_limit_seconds must be >= 0", "time_limit_seconds");
  }
  return Ok();
}

GeneralOptimizer::GeneralOptimizer(Index num_variables)
    : n_(num_variables),
      a_in_(0, num_variables),
      a_eq_(0, num_variables),
      lower_(Vector::Constant(num_variables, -kInfinity)),
      upper_(Vector::Constant(num_variables, kInfinity)) {}

Status GeneralOptimizer::SetMinObjective(GeneralFunction f) {
  if (!f.value) return InvalidArgument("the objective has no value function", "objective");
  if (f.name.empty()) f.name = "f";
  objective_ = std::move(f);
  maximize_ = false;
  return Ok();
}

Status GeneralOptimizer::SetMaxObjective(GeneralFunction f) {
  PFOPT_RETURN_IF_ERROR(SetMinObjective(std::move(f)));
  maximize_ = true;
  return Ok();
}

Status GeneralOptimizer::AddInequalityConstraint(GeneralFunction c) {
  if (!c.value) return InvalidArgument("the constraint has no value function", "constraint");
  if (c.name.empty()) c.name = "c[" + std::to_string(inequalities_.size()) + "]";
  inequalities_.push_back(std::move(c));
  return Ok();
}

Status GeneralOptimizer::AddEqualityConstraint(GeneralFunction h) {
  if (!h.value) return InvalidArgument("the constraint has no value function", "constraint");
  if (h.name.empty()) h.name = "h[" + std::to_string(equalities_.size()) + "]";
  equalities_.push_back(std::move(h));
  return Ok();
}

Status GeneralOptimizer::AddInequalityMatrixConstraint(const MatrixRef& a, const VectorRef& b) {
  return AppendRows(a, b, n_, "a_in", &a_in_, &b_in_);
}

Status GeneralOptimizer::AddEqualityMatrixConstraint(const MatrixRef& a, const VectorRef& b) {
  return AppendRows(a, b, n_, "a_eq", &a_eq_, &b_eq_);
}

Status GeneralOptimizer::SetBounds(double lower, double upper) {
  return SetBounds(Vector::Constant(n_, lower), Vector::Constant(n_, upper));
}

Status GeneralOptimizer::SetBounds(const VectorRef& lower, const VectorRef& upper) {
  if (lower.size() != n_ || upper.size() != n_) {
    return DimensionMismatch("bounds need " + std::to_string(n_) + " entries each", "bounds");
  }
  PFOPT_RETURN_IF_ERROR(CheckBounds(lower, upper));
  lower_ = lower;
  upper_ = upper;
  return Ok();
}

void GeneralOptimizer::RemoveAllConstraints() {
  inequalities_.clear();
  equalities_.clear();
  a_in_.resize(0, n_);
  b_in_.resize(0);
  a_eq_.resize(0, n_);
  b_eq_.resize(0);
}

Result<GeneralResult> GeneralOptimizer::Optimize(const VectorRef& x0) {
  const auto start = Clock::now();
  if (!objective_.value) return InvalidArgument("set an objective first", "objective");
  if (x0.size() != n_) {
    return DimensionMismatch(
        "x0 has " + std::to_string(x0.size()) + " entries for " + std::to_string(n_) + " variables",
        "x0");
  }
  if (!x0.allFinite()) return InvalidArgument("x0 has non-finite entries", "x0");
  PFOPT_RETURN_IF_ERROR(options_.Validate());

  GeneralResult result;
  internal::SqpProblem problem;
  problem.num_variables = n_;
  internal::LinearSet& linear = problem.linear;
  linear.lower = lower_;
  linear.upper = upper_;
  linear.a_eq = a_eq_;
  linear.b_eq = b_eq_;
  linear.a_in = a_in_;
  linear.b_in = b_in_;
  for (Index i = 0; i < a_eq_.rows(); ++i)
    linear.eq_names.push_back("a_eq[" + std::to_string(i) + "]");
  for (Index i = 0; i < a_in_.rows(); ++i)
    linear.in_names.push_back("a_in[" + std::to_string(i) + "]");
  for (Index j = 0; j < n_; ++j) linear.variable_names.push_back("x[" + std::to_string(j) + "]");

  Vector x;
  std::vector<std::string> conflicting;
  const Vector clipped = x0.cwiseMax(lower_).cwiseMin(upper_);
  if (!internal::ProjectOntoLinearSet(linear, clipped, &x, &conflicting)) {
    result.status = OptimizationStatus::kInfeasible;
    result.message = "the bounds and linear constraints have no common point";
    for (std::size_t i = 0; i < conflicting.size(); ++i) {
      result.message += (i == 0 ? ": " : ", ") + conflicting[i];
    }
    result.solve_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return result;
  }

  std::string failure;
  const double step = options_.finite_difference_step;
  UserFunction objective(&objective_, maximize_ ? -1.0 : 1.0, step, &result.function_evaluations,
                         &failure);
  std::vector<std::unique_ptr<UserFunction>> constraints;
  for (const auto& c : inequalities_) {
    constraints.push_back(
        std::make_unique<UserFunction>(&c, 1.0, step, &result.function_evaluations, &failure));
    problem.smooth.push_back({constraints.back().get(), false, c.name});
  }
  for (const auto& h : equalities_) {
    constraints.push_back(
        std::make_unique<UserFunction>(&h, 1.0, step, &result.function_evaluations, &failure));
    problem.smooth.push_back({constraints.back().get(), true, h.name});
  }
  problem.objective_kind = internal::SqpObjectiveKind::kSmooth;
  problem.objective = &objective;
  problem.quasi_newton = true;

  internal::SqpOptions sqp;
  sqp.step_tolerance = options_.step_tolerance;
  sqp.feasibility_tolerance = 0.1 * options_.feasibility_tolerance;
  sqp.max_iterations = options_.max_iterations;
  sqp.time_limit_seconds = options_.time_limit_seconds;
  const internal::SqpResult r = internal::SolveSqp(problem, x, sqp);
  if (!failure.empty()) return InvalidArgument(failure, "function");
  result.iterations = r.iterations;
  switch (r.status) {
    case internal::SqpStatus::kConverged:
      result.status = OptimizationStatus::kOptimal;
      result.message = "optimal: local optimum (KKT point; quasi-Newton SQP)";
      break;
    case internal::SqpStatus::kInfeasibleQp:
      result.status = OptimizationStatus::kInfeasible;
      result.message =
          "no point meeting every constraint was found: the constraints linearised at the last "
          "iterate have no common point";
      for (std::size_t i = 0; i < r.conflicting.size(); ++i) {
        result.message += (i == 0 ? " (" : ", ") + r.conflicting[i];
      }
      if (!r.conflicting.empty()) result.message += ")";
      break;
    case internal::SqpStatus::kUnboundedQp:
    case internal::SqpStatus::kRatioAtOrigin:
      result.status = OptimizationStatus::kUnbounded;
      result.message = r.message;
      break;
    case internal::SqpStatus::kMaxIterations:
    case internal::SqpStatus::kTimeLimit:
      result.status = OptimizationStatus::kMaxIterations;
      result.message = r.message + " (last step " + internal::FormatNumber(r.step, 3) + ")";
      break;
    case internal::SqpStatus::kLineSearch:
      if (r.max_violation <= options_.feasibility_tolerance && r.step <= 1e-5) {
        result.status = OptimizationStatus::kOptimalInaccurate;
        result.message = "optimal to about " + internal::FormatNumber(r.step, 3) +
                         " in x (the line search stalled, "
                         "usually because of the accuracy of numerical gradients)";
      } else {
        result.status = OptimizationStatus::kNumericalError;
        result.message = "numerical trouble: " + r.message;
      }
      break;
    case internal::SqpStatus::kNumerical:
      result.status = OptimizationStatus::kNumericalError;
      result.message = "numerical trouble: " + r.message;
      break;
  }
  if (HasSolution(result.status)) {
    const Vector& answer = r.x;
    int ignored = 0;
    std::string ignored_failure;
    double violation = 0.0;
    for (Index j = 0; j < n_; ++j) {
      violation = std::max({violation, lower_[j] - answer[j], answer[j] - upper_[j]});
    }
    if (a_eq_.rows() > 0) {
      violation = std::max(violation, (a_eq_ * answer - b_eq_).cwiseAbs().maxCoeff());
    }
    if (a_in_.rows() > 0) violation = std::max(violation, (a_in_ * answer - b_in_).maxCoeff());
    for (const auto& c : inequalities_) {
      UserFunction f(&c, 1.0, step, &ignored, &ignored_failure);
      result.inequality_values.push_back(f.Evaluate(answer, nullptr));
      violation = std::max(violation, result.inequality_values.back());
    }
    for (const auto& h : equalities_) {
      UserFunction f(&h, 1.0, step, &ignored, &ignored_failure);
      result.equality_values.push_back(f.Evaluate(answer, nullptr));
      violation = std::max(violation, std::abs(result.equality_values.back()));
    }
    result.max_violation = violation;
    if (!(violation <= options_.feasibility_tolerance)) {
      result.status = OptimizationStatus::kNumericalError;
      result.message = "the answer breaks a constraint by " + internal::FormatNumber(violation, 3) +
                       " (tolerance " + internal::FormatNumber(options_.feasibility_tolerance, 3) +
                       "); no answer is reported";
    } else {
      result.x = answer;
      result.objective = maximize_ ? -r.objective : r.objective;
    }
  }
  result.solve_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace pfopt::scenario
