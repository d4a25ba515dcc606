// Internal: the linear constraints of a PortfolioProblem as QP data, with a label per row so
// that an infeasibility certificate can be mapped back to the constraint groups in conflict.
//
// Variables: x = [w (n weights) | t (n, when a turnover limit is set) | s (n, when a leverage
// limit needs them)], with t_i >= |w_i - current_i| and s_i >= |w_i|.
#ifndef PFOPT_OPTIMIZE_FORMULATION_H_
#define PFOPT_OPTIMIZE_FORMULATION_H_

#include <string>
#include <vector>

#include "pfopt/optimize/portfolio_problem.h"
#include "pfopt/solve/qp.h"

namespace pfopt::internal {

struct RowLabel {
  ConstraintGroup group;
  std::string name;
};

struct LinearFormulation {
  Index num_assets = 0;
  Index num_variables = 0;
  Index turnover_offset = -1;  // first t variable, or -1
  Index leverage_offset = -1;  // first s variable, or -1
  Index kappa_index = -1;      // homogenised form only: the scale variable
  double budget = 1.0;         // the budget row: sum of the weights = budget
  Matrix A;
  Vector b;
  std::vector<RowLabel> a_labels;
  Matrix G;
  Vector h;
  std::vector<RowLabel> g_labels;
  Vector lb, ub;
  std::vector<RowLabel> lower_labels, upper_labels;  // per variable

  // Appends the row coefficients'w <= rhs (coefficients over the n weights).
  void AddWeightInequality(const VectorRef& coefficients, double rhs, RowLabel label);
  // A QP over these constraints with the given weight-block P and q (zero elsewhere).
  QpProblem MakeQp(const MatrixRef& weight_p, const VectorRef& weight_q) const;
};

LinearFormulation BuildLinearFormulation(const PortfolioProblem& problem);

// Charnes-Cooper homogenisation for max Sharpe: variables [y | aux | kappa]; each constraint
// a'x <= c becomes a'x - c kappa <= 0 (equalities alike, bounds become rows unless 0 or
// infinite), kappa >= 0, and the normalisation excess'y = 1 (group kTarget) is added. An upper
// bound that the budget and the (nonnegative) lower bounds already imply, w_j <= budget -
// sum_{k != j} lb_k (max_weight 1 on a long-only fully invested portfolio), adds no row.
LinearFormulation Homogenise(const LinearFormulation& formulation, const VectorRef& excess);

// Groups whose rows carry a nonzero multiplier in the infeasibility certificate of `solution`.
std::vector<ConstraintGroup> ConflictingGroups(const LinearFormulation& formulation,
                                               const QpSolution& solution);
// "bounds vs budget" style description, plus the named rows of the certificate.
std::string DescribeConflict(const LinearFormulation& formulation, const QpSolution& solution);

}  // namespace pfopt::internal

#endif  // PFOPT_OPTIMIZE_FORMULATION_H_
