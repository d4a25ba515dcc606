#include "optimize/formulation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

namespace pfopt::internal {

namespace {

// Rows are collected here and written into their matrix once, at the final size (growing a
// dense matrix a row at a time would copy it every time).
struct RowSet {
  std::vector<std::pair<std::vector<std::pair<Index, double>>, double>> rows;  // sparse rows
  std::vector<RowLabel> labels;

  void Add(std::vector<std::pair<Index, double>> entries, double rhs, RowLabel label) {
    rows.emplace_back(std::move(entries), rhs);
    labels.push_back(std::move(label));
  }
  // Appends the collected rows below the existing ones of (m, v, l).
  void AppendTo(Matrix* m, Vector* v, std::vector<RowLabel>* l, Index cols) {
    const Index old_rows = m->rows();
    const Index total = old_rows + static_cast<Index>(rows.size());
    Matrix grown = Matrix::Zero(total, cols);
    Vector rhs(total);
    if (old_rows > 0) {
      grown.topRows(old_rows) = *m;
      rhs.head(old_rows) = *v;
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const Index row = old_rows + static_cast<Index>(r);
      for (const auto& [col, value] : rows[r].first) grown(row, col) += value;
      rhs[row] = rows[r].second;
    }
    *m = std::move(grown);
    *v = std::move(rhs);
    l->insert(l->end(), labels.begin(), labels.end());
  }
};

std::vector<std::pair<Index, double>> Dense(const VectorRef& row, Index offset = 0) {
  std::vector<std::pair<Index, double>> entries;
  for (Index i = 0; i < row.size(); ++i) {
    if (row[i] != 0.0) entries.emplace_back(offset + i, row[i]);
  }
  return entries;
}

}  // namespace

void LinearFormulation::AddWeightInequality(const VectorRef& coefficients, double rhs,
                                            RowLabel label) {
  RowSet set;
  set.Add(Dense(coefficients), rhs, std::move(label));
  set.AppendTo(&G, &h, &g_labels, num_variables);
}

QpProblem LinearFormulation::MakeQp(const MatrixRef& weight_p, const VectorRef& weight_q) const {
  QpProblem qp;
  qp.P = Matrix::Zero(num_variables, num_variables);
  if (weight_p.size() != 0) qp.P.topLeftCorner(num_assets, num_assets) = weight_p;
  qp.q = Vector::Zero(num_variables);
  if (weight_q.size() != 0) qp.q.head(num_assets) = weight_q;
  qp.A = A;
  qp.b = b;
  qp.G = G;
  qp.h = h;
  qp.lb = lb;
  qp.ub = ub;
  return qp;
}

LinearFormulation BuildLinearFormulation(const PortfolioProblem& problem) {
  const Index n = problem.num_assets();
  const PortfolioConstraints& c = problem.constraints;
  LinearFormulation f;
  f.num_assets = n;
  f.budget = c.budget;
  const Vector lower = EffectiveLowerBounds(c, n);
  const Vector upper = EffectiveUpperBounds(c, n);
  const bool long_only = lower.minCoeff() >= 0.0;
  // Leverage on a long-only portfolio is sum w <= L: no auxiliary variables needed.
  const bool leverage_variables = c.leverage_limit.has_value() && !long_only;
  Index num_variables = n;
  if (c.turnover_limit) {
    f.turnover_offset = num_variables;
    num_variables += n;
  }
  if (leverage_variables) {
    f.leverage_offset = num_variables;
    num_variables += n;
  }
  f.num_variables = num_variables;
  f.lb = Vector::Zero(num_variables);
  f.ub = Vector::Constant(num_variables, kInfinity);
  f.lower_labels.resize(static_cast<std::size_t>(num_variables));
  f.upper_labels.resize(static_cast<std::size_t>(num_variables));
  for (Index i = 0; i < n; ++i) {
    const std::string& id = problem.assets[static_cast<std::size_t>(i)];
    f.lb[i] = lower[i];
    f.ub[i] = upper[i];
    f.lower_labels[static_cast<std::size_t>(i)] = {ConstraintGroup::kBounds,
                                                   "min_weight[" + id + "]"};
    f.upper_labels[static_cast<std::size_t>(i)] = {ConstraintGroup::kBounds,
                                                   "max_weight[" + id + "]"};
  }
  f.A.resize(0, num_variables);
  f.G.resize(0, num_variables);
  // Budget.
  RowSet equalities;
  equalities.Add(Dense(Vector::Ones(n)), c.budget, {ConstraintGroup::kBudget, "budget"});
  equalities.AppendTo(&f.A, &f.b, &f.a_labels, num_variables);
  RowSet inequalities;
  // Sectors.
  if (!c.sectors.empty()) {
    auto members = [&](const std::string& sector, double sign) {
      std::vector<std::pair<Index, double>> entries;
      for (Index i = 0; i < n; ++i) {
        if (c.sectors[static_cast<std::size_t>(i)] == sector) entries.emplace_back(i, sign);
      }
      return entries;
    };
    for (const auto& [sector, limit] : c.sector_upper) {
      inequalities.Add(members(sector, 1.0), limit,
                       {ConstraintGroup::kSectors, "sector_upper[" + sector + "]"});
    }
    for (const auto& [sector, limit] : c.sector_lower) {
      inequalities.Add(members(sector, -1.0), -limit,
                       {ConstraintGroup::kSectors, "sector_lower[" + sector + "]"});
    }
  }
  // Turnover: t_i >= w_i - w0_i, t_i >= w0_i - w_i, sum t <= T.
  if (c.turnover_limit) {
    const Vector current =
        c.current_weights.size() == n ? c.current_weights : Vector(Vector::Zero(n));
    std::vector<std::pair<Index, double>> sum;
    for (Index i = 0; i < n; ++i) {
      const std::string& id = problem.assets[static_cast<std::size_t>(i)];
      const Index t = f.turnover_offset + i;
      const RowLabel label{ConstraintGroup::kTurnover, "turnover[" + id + "]"};
      f.lower_labels[static_cast<std::size_t>(t)] = label;
      inequalities.Add({{i, 1.0}, {t, -1.0}}, current[i], label);
      inequalities.Add({{i, -1.0}, {t, -1.0}}, -current[i], label);
      sum.emplace_back(t, 1.0);
    }
    inequalities.Add(std::move(sum), *c.turnover_limit,
                     {ConstraintGroup::kTurnover, "turnover_limit"});
  }
  // Leverage.
  if (c.leverage_limit) {
    if (!leverage_variables) {
      inequalities.Add(Dense(Vector::Ones(n)), *c.leverage_limit,
                       {ConstraintGroup::kLeverage, "leverage_limit"});
    } else {
      std::vector<std::pair<Index, double>> sum;
      for (Index i = 0; i < n; ++i) {
        const std::string& id = problem.assets[static_cast<std::size_t>(i)];
        const Index s = f.leverage_offset + i;
        const RowLabel label{ConstraintGroup::kLeverage, "leverage[" + id + "]"};
        f.lower_labels[static_cast<std::size_t>(s)] = label;
        inequalities.Add({{i, 1.0}, {s, -1.0}}, 0.0, label);
        inequalities.Add({{i, -1.0}, {s, -1.0}}, 0.0, label);
        sum.emplace_back(s, 1.0);
      }
      inequalities.Add(std::move(sum), *c.leverage_limit,
                       {ConstraintGroup::kLeverage, "leverage_limit"});
    }
  }
  inequalities.AppendTo(&f.G, &f.h, &f.g_labels, num_variables);
  return f;
}

LinearFormulation Homogenise(const LinearFormulation& f, const VectorRef& excess) {
  LinearFormulation g;
  const Index nv = f.num_variables + 1;
  const Index kappa = f.num_variables;
  g.num_assets = f.num_assets;
  g.num_variables = nv;
  g.turnover_offset = f.turnover_offset;
  g.leverage_offset = f.leverage_offset;
  g.kappa_index = kappa;
  g.budget = f.budget;
  // With every weight's lower bound finite and >= 0, w_j <= budget - sum_{k != j} lb_k holds
  // on the budget row: an upper bound at or above it is redundant.
  const Index n = f.num_assets;
  const bool bounds_nonnegative =
      n > 0 && f.lb.head(n).minCoeff() >= 0.0 && f.lb.head(n).allFinite();
  const double lower_sum = bounds_nonnegative ? f.lb.head(n).sum() : 0.0;
  const auto implied = [&](Index j) {
    return bounds_nonnegative && j < n && f.ub[j] >= f.budget - (lower_sum - f.lb[j]);
  };
  g.A.resize(0, nv);
  g.G.resize(0, nv);
  g.lb = Vector::Constant(nv, -kInfinity);
  g.ub = Vector::Constant(nv, kInfinity);
  g.lower_labels.resize(static_cast<std::size_t>(nv));
  g.upper_labels.resize(static_cast<std::size_t>(nv));
  RowSet equalities, inequalities;
  for (Index r = 0; r < f.A.rows(); ++r) {
    auto entries = Dense(f.A.row(r).transpose());
    if (f.b[r] != 0.0) entries.emplace_back(kappa, -f.b[r]);
    equalities.Add(std::move(entries), 0.0, f.a_labels[static_cast<std::size_t>(r)]);
  }
  equalities.Add(Dense(excess), 1.0,
                 {ConstraintGroup::kTarget, "expected return above the risk-free rate"});
  for (Index r = 0; r < f.G.rows(); ++r) {
    auto entries = Dense(f.G.row(r).transpose());
    if (f.h[r] != 0.0) entries.emplace_back(kappa, -f.h[r]);
    inequalities.Add(std::move(entries), 0.0, f.g_labels[static_cast<std::size_t>(r)]);
  }
  for (Index j = 0; j < f.num_variables; ++j) {
    const std::size_t sj = static_cast<std::size_t>(j);
    const double lo = f.lb[j];
    const double hi = f.ub[j];
    if (lo == 0.0) {
      g.lb[j] = 0.0;
      g.lower_labels[sj] = f.lower_labels[sj];
    } else if (std::isfinite(lo)) {  // -x_j + lo kappa <= 0
      inequalities.Add({{j, -1.0}, {kappa, lo}}, 0.0, f.lower_labels[sj]);
    }
    if (hi == 0.0) {
      g.ub[j] = 0.0;
      g.upper_labels[sj] = f.upper_labels[sj];
    } else if (std::isfinite(hi) && !implied(j)) {  // x_j - hi kappa <= 0
      inequalities.Add({{j, 1.0}, {kappa, -hi}}, 0.0, f.upper_labels[sj]);
    }
  }
  g.lb[kappa] = 0.0;
  g.lower_labels[static_cast<std::size_t>(kappa)] = {ConstraintGroup::kTarget, "kappa >= 0"};
  equalities.AppendTo(&g.A, &g.b, &g.a_labels, nv);
  inequalities.AppendTo(&g.G, &g.h, &g.g_labels, nv);
  return g;
}

std::vector<ConstraintGroup> ConflictingGroups(const LinearFormulation& f,
                                               const QpSolution& solution) {
  std::set<ConstraintGroup> groups;
  const double tol = 1e-9;
  for (Index r = 0; r < solution.certificate_y.size(); ++r) {
    if (std::abs(solution.certificate_y[r]) > tol)
      groups.insert(f.a_labels[static_cast<std::size_t>(r)].group);
  }
  for (Index r = 0; r < solution.certificate_z.size(); ++r) {
    if (std::abs(solution.certificate_z[r]) > tol)
      groups.insert(f.g_labels[static_cast<std::size_t>(r)].group);
  }
  for (Index j = 0; j < solution.certificate_bounds.size(); ++j) {
    const double w = solution.certificate_bounds[j];
    if (w < -tol) groups.insert(f.lower_labels[static_cast<std::size_t>(j)].group);
    if (w > tol) groups.insert(f.upper_labels[static_cast<std::size_t>(j)].group);
  }
  return {groups.begin(), groups.end()};
}

std::string DescribeConflict(const LinearFormulation& f, const QpSolution& solution) {
  const std::vector<ConstraintGroup> groups = ConflictingGroups(f, solution);
  std::string text = "the constraints cannot all hold: ";
  if (groups.empty()) return text + "no certificate names them";
  for (std::size_t i = 0; i < groups.size(); ++i) {
    if (i > 0) text += " vs ";
    text += std::string(EnumToString(groups[i]));
  }
  // Name up to six rows of the certificate, largest multipliers first.
  std::vector<std::pair<double, std::string>> rows;
  const double tol = 1e-9;
  for (Index r = 0; r < solution.certificate_y.size(); ++r) {
    if (std::abs(solution.certificate_y[r]) > tol)
      rows.push_back(
          {std::abs(solution.certificate_y[r]), f.a_labels[static_cast<std::size_t>(r)].name});
  }
  for (Index r = 0; r < solution.certificate_z.size(); ++r) {
    if (std::abs(solution.certificate_z[r]) > tol)
      rows.push_back(
          {std::abs(solution.certificate_z[r]), f.g_labels[static_cast<std::size_t>(r)].name});
  }
  for (Index j = 0; j < solution.certificate_bounds.size(); ++j) {
    const double w = solution.certificate_bounds[j];
    if (w < -tol) rows.push_back({-w, f.lower_labels[static_cast<std::size_t>(j)].name});
    if (w > tol) rows.push_back({w, f.upper_labels[static_cast<std::size_t>(j)].name});
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::set<std::string> named;
  std::string list;
  for (const auto& [weight, name] : rows) {
    if (name.empty() || !named.insert(name).second) continue;
    if (named.size() > 6) {
      list += ", ...";
      break;
    }
    if (!list.empty()) list += ", ";
    list += name;
  }
  if (!list.empty()) text += " (" + list + ")";
  return text;
}

}  // namespace pfopt::internal
