#include "optimize/formulation_extras.h"

namespace pfopt::internal {

Index AppendVariables(LinearFormulation* f, Index count, double lower, double upper) {
  const Index first = f->num_variables;
  const Index total = first + count;
  f->A.conservativeResize(Eigen::NoChange, total);
  f->A.rightCols(count).setZero();
  f->G.conservativeResize(Eigen::NoChange, total);
  f->G.rightCols(count).setZero();
  f->lb.conservativeResize(total);
  f->lb.tail(count).setConstant(lower);
  f->ub.conservativeResize(total);
  f->ub.tail(count).setConstant(upper);
  f->lower_labels.resize(static_cast<std::size_t>(total));
  f->upper_labels.resize(static_cast<std::size_t>(total));
  f->num_variables = total;
  return first;
}

Index AppendAbsoluteValueVariables(LinearFormulation* f, const VectorRef& center,
                                   const std::vector<std::string>& assets,
                                   const std::string& prefix, ConstraintGroup group) {
  const Index n = f->num_assets;
  const Index first = AppendVariables(f, n, 0.0, kInfinity);
  const Index old_rows = f->G.rows();
  f->G.conservativeResize(old_rows + 2 * n, Eigen::NoChange);
  f->G.bottomRows(2 * n).setZero();
  f->h.conservativeResize(old_rows + 2 * n);
  for (Index i = 0; i < n; ++i) {
    const RowLabel label{group, prefix + "[" + assets[static_cast<std::size_t>(i)] + "]"};
    const Index s = first + i;
    const Index up = old_rows + 2 * i;
    f->G(up, i) = 1.0;  // w_i - s_i <= center_i
    f->G(up, s) = -1.0;
    f->h[up] = center[i];
    f->G(up + 1, i) = -1.0;  // -w_i - s_i <= -center_i
    f->G(up + 1, s) = -1.0;
    f->h[up + 1] = -center[i];
    f->g_labels.push_back(label);
    f->g_labels.push_back(label);
    f->lower_labels[static_cast<std::size_t>(s)] = label;
  }
  return first;
}

}  // namespace pfopt::internal
