// A general smooth optimiser over user functions (allopy's BaseOptimizer): minimise or
// maximise f(x) subject to c(x) <= 0, h(x) = 0, A x <= b, A_eq x = b_eq and bounds.
//
// Method: the SQP of the scenario optimisers (docs/scenario.md, "Method") with a damped BFGS
// approximation of the Hessian of the Lagrangian (the user gives no second derivatives).
// Gradients are the user's, or central differences with step h_j = step * max(1, |x_j|).
// The linear constraints and bounds hold exactly at every iterate (the start is projected on
// them); the nonlinear ones are met at the answer within the feasibility tolerance. Without
// convexity the answer is a local optimum (a KKT point), which the status message says.
//
// Usage:
//   pfopt::scenario::GeneralOptimizer opt(2);
//   opt.SetMinObjective({.value = [](const Vector& x) { return x.squaredNorm(); }});
//   opt.AddInequalityConstraint({.value = [](const Vector& x) { return 1.0 - x.sum(); },
//                                .name = "sum >= 1"});
//   auto result = opt.Optimize(Vector::Zero(2));   // x = (0.5, 0.5)
#ifndef PFOPT_SCENARIO_GENERAL_OPTIMIZER_H_
#define PFOPT_SCENARIO_GENERAL_OPTIMIZER_H_

#include <functional>
#include <string>
#include <vector>

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/optimize/mean_variance.h"

namespace pfopt::scenario {

// A function R^n -> R with an optional gradient.
struct GeneralFunction {
  std::function<double(const Vector&)> value;     // required
  std::function<Vector(const Vector&)> gradient;  // optional: empty = central differences
  std::string name;                               // used in messages; default "f", "c[i]"
};

struct GeneralOptimizerOptions {
  // Largest violation of a nonlinear constraint accepted in the answer. Default 1e-8.
  double feasibility_tolerance = 1e-8;
  // Convergence: the last step in x below this, relative to max(1, |x|). Default 1e-10; with
  // numerical gradients the optimiser stops where rounding in the differences dominates.
  double step_tolerance = 1e-10;
  // Relative step of the central differences. Default 6e-6 (about the cube root of the
  // machine precision, which balances truncation and rounding errors).
  double finite_difference_step = 6e-6;
  // Limit on SQP iterations. Default 500.
  int max_iterations = 500;
  // Wall-clock limit in seconds; 0 = none.
  double time_limit_seconds = 0.0;

  Status Validate() const;
};

struct GeneralResult {
  OptimizationStatus status = OptimizationStatus::kNotRun;
  std::string message;
  Vector x;                     // the answer when HasSolution(status), else empty
  double objective = kNaN;      // f(x)
  double max_violation = kNaN;  // of every constraint at x (bounds and linear rows included)
  std::vector<double> inequality_values;  // c_i(x), one per AddInequalityConstraint
  std::vector<double> equality_values;    // h_i(x), one per AddEqualityConstraint
  int iterations = 0;
  int function_evaluations = 0;  // value calls of all user functions, differences included
  double solve_seconds = 0.0;
};

class GeneralOptimizer {
 public:
  explicit GeneralOptimizer(Index num_variables);

  // Errors: no value function.
  Status SetMinObjective(GeneralFunction f);
  Status SetMaxObjective(GeneralFunction f);
  // c(x) <= 0 and h(x) = 0.
  Status AddInequalityConstraint(GeneralFunction c);
  Status AddEqualityConstraint(GeneralFunction h);
  // Rows of A x <= b and A x = b. Errors: sizes, non-finite entries.
  Status AddInequalityMatrixConstraint(const MatrixRef& a, const VectorRef& b);
  Status AddEqualityMatrixConstraint(const MatrixRef& a, const VectorRef& b);
  // Bounds (-inf / +inf allowed; default unbounded, as NLopt). Errors: sizes, NaN, lower > upper.
  Status SetBounds(double lower, double upper);
  Status SetBounds(const VectorRef& lower, const VectorRef& upper);
  void RemoveAllConstraints();
  GeneralOptimizerOptions& options() { return options_; }

  // Solves from x0 (clipped to the bounds and projected on the linear constraints). Errors: no
  // objective, x0 of the wrong size or not finite, invalid options, a gradient of the wrong
  // size. How the solve ended is the status of the result.
  Result<GeneralResult> Optimize(const VectorRef& x0);

 private:
  Index n_;
  GeneralFunction objective_;
  bool maximize_ = false;
  std::vector<GeneralFunction> inequalities_, equalities_;
  Matrix a_in_, a_eq_;
  Vector b_in_, b_eq_;
  Vector lower_, upper_;
  GeneralOptimizerOptions options_;
};

}  // namespace pfopt::scenario

#endif  // PFOPT_SCENARIO_GENERAL_OPTIMIZER_H_
