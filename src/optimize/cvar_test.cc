#include "pfopt/optimize/cvar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>

#include "pfopt/estimate/risk_models.h"
#include "pfopt/optimize/multi_objective.h"
#include "support/reference_data.h"
#include "support/scenario_market.h"

namespace pfopt {
namespace {

using testing::PypfoptReference;
using testing::Tickers;
using testing::TickerVector;
using Market = testing::ScenarioMarket;
using testing::SortedCvar;

Market RandomMarket(int seed, Index periods, Index n) {
  return testing::RandomScenarioMarket(seed, periods, n);
}

// ---------------------------------------------------------------------------------------------
// The tail measures themselves.

TEST(ComputeTailRisk, HandComputedValues) {
  // Ten scenarios of one asset: losses 1..10 % (returns -0.01 .. -0.10).
  Matrix r(10, 1);
  for (Index t = 0; t < 10; ++t) r(t, 0) = -0.01 * static_cast<double>(t + 1);
  const Vector w = Vector::Ones(1);
  // alpha 0.2: K = 2, CVaR = mean of the two largest losses, VaR = the third largest.
  auto tail = ComputeTailRisk(r, w, 0.2);
  ASSERT_TRUE(tail.has_value());
  EXPECT_NEAR(tail->cvar, 0.095, 1e-16);
  EXPECT_NEAR(tail->value_at_risk, 0.08, 1e-16);
  // alpha 0.25: K = 2.5, CVaR = (0.10 + 0.09 + 0.5 * 0.08) / 2.5.
  EXPECT_NEAR(ComputeTailRisk(r, w, 0.25)->cvar, (0.10 + 0.09 + 0.04) / 2.5, 1e-16);
  // alpha 0.05: K = 0.5 < 1: the worst loss.
  EXPECT_NEAR(ComputeTailRisk(r, w, 0.05)->cvar, 0.10, 1e-16);
  EXPECT_NEAR(ComputeTailRisk(r, w, 0.05)->value_at_risk, 0.10, 1e-16);
}

TEST(ComputeTailRisk, EqualsTheRockafellarUryasevMinimum) {
  // CVaR = min_a a + 1/K sum max(0, L - a), attained at a = VaR: check on a grid around it.
  const Market m = RandomMarket(3, 333, 4);
  const Vector w = Vector::Constant(4, 0.25);
  const double alpha = 0.07;
  auto tail = ComputeTailRisk(m.scenarios, w, alpha);
  ASSERT_TRUE(tail.has_value());
  const Vector losses = -(m.scenarios * w);
  const double k = alpha * 333.0;
  auto ru = [&](double a) { return a + (losses.array() - a).max(0.0).sum() / k; };
  EXPECT_NEAR(ru(tail->value_at_risk), tail->cvar, 1e-15);
  for (double d : {-1e-3, -1e-5, 1e-5, 1e-3}) EXPECT_GE(ru(tail->value_at_risk + d), tail->cvar);
  EXPECT_NEAR(tail->cvar, SortedCvar(m.scenarios, w, alpha), 1e-15);
}

TEST(CompleteScenarios, KeepsTheRowsWithEveryReturn) {
  Matrix r(4, 2);
  r << 0.01, 0.02, kNaN, 0.01, 0.03, -0.01, 0.0, kNaN;
  Index dropped = -1;
  const Matrix s = CompleteScenarios(r, &dropped);
  ASSERT_EQ(s.rows(), 2);
  EXPECT_EQ(dropped, 2);
  EXPECT_EQ(s(0, 1), 0.02);
  EXPECT_EQ(s(1, 0), 0.03);
}

TEST(ComputeTailRisk, RejectsBadInput) {
  Matrix r = Matrix::Zero(5, 2);
  EXPECT_FALSE(ComputeTailRisk(r, Vector::Ones(3), 0.05).has_value());
  EXPECT_FALSE(ComputeTailRisk(r, Vector::Ones(2), 0.0).has_value());
  EXPECT_FALSE(ComputeTailRisk(r, Vector::Ones(2), 1.0).has_value());
  r(2, 1) = kNaN;
  auto bad = ComputeTailRisk(r, Vector::Ones(2), 0.05);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().field(), "scenario_returns");
}

// ---------------------------------------------------------------------------------------------
// Optimality certificates.

// min over {lb <= w <= ub, sum w = 1} of g'w: a fractional knapsack (fill the cheapest first).
double MinimumOverBoxedSimplex(const Vector& g, double lb, double ub) {
  const Index n = g.size();
  std::vector<Index> order(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  std::sort(order.begin(), order.end(), [&](Index a, Index b) { return g[a] < g[b]; });
  double remaining = 1.0 - lb * static_cast<double>(n);
  double value = lb * g.sum();
  for (Index i : order) {
    const double add = std::min(ub - lb, remaining);
    value += add * g[i];
    remaining -= add;
  }
  return value;
}

TEST(OptimizeCvar, DualProbabilitiesCertifyTheLpOptimum) {
  // Strong duality of the Rockafellar-Uryasev LP: with q the returned worst-case
  // probabilities, CVaR* = min over the feasible w of sum_t q_t L_t(w) = min_w (-R'q)'w. The
  // right side is computed here independently (a knapsack), so equality proves optimality.
  for (double upper : {1.0, 0.15}) {
    const Market m = RandomMarket(7, 2000, 12);
    PortfolioProblem problem = m.problem;
    problem.constraints.upper_bounds = Vector::Constant(12, upper);
    CvarOptions options;
    auto result = OptimizeCvar(problem, m.scenarios, options);
    ASSERT_TRUE(result.has_value());
    ASSERT_EQ(result->optimization.status, OptimizationStatus::kOptimal);
    const Vector& q = result->tail_probabilities;
    ASSERT_EQ(q.size(), 2000);
    const double k = 0.05 * 2000.0;
    EXPECT_NEAR(q.sum(), 1.0, 1e-12);
    EXPECT_GE(q.minCoeff(), 0.0);
    EXPECT_LE(q.maxCoeff(), 1.0 / k + 1e-15);
    const Vector g = -(m.scenarios.transpose() * q);
    const double dual = MinimumOverBoxedSimplex(g, 0.0, upper);
    EXPECT_NEAR(dual, result->tail_risk.cvar, 1e-13) << "upper " << upper;
    // Complementarity: q puts its mass on the tail of the optimal weights.
    const Vector losses = -(m.scenarios * result->optimization.weights);
    EXPECT_NEAR(q.dot(losses), result->tail_risk.cvar, 1e-13);
  }
}

// ---------------------------------------------------------------------------------------------
// Statuses and errors.

TEST(OptimizeCvar, LimitBelowTheMinimumIsInfeasible) {
  const Market m = RandomMarket(9, 500, 6);
  auto minimum = OptimizeCvar(m.problem, m.scenarios, {});
  ASSERT_TRUE(minimum.has_value());
  CvarOptions options;
  options.objective = CvarObjective::kEfficientRisk;
  options.cvar_limit = 0.9 * minimum->tail_risk.cvar;
  auto result = OptimizeCvar(m.problem, m.scenarios, options);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->optimization.status, OptimizationStatus::kInfeasible);
  EXPECT_NE(result->optimization.message.find("below the minimum attainable CVaR"),
            std::string::npos);
  EXPECT_EQ(result->optimization.conflicting_groups,
            std::vector<ConstraintGroup>{ConstraintGroup::kTarget});
}

TEST(OptimizeCvar, ConflictingConstraintsAreInfeasibleWithTheirGroups) {
  Market m = RandomMarket(10, 300, 5);
  m.problem.constraints.upper_bounds = Vector::Constant(5, 0.1);  // sum <= 0.5 < budget 1
  auto result = OptimizeCvar(m.problem, m.scenarios, {});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->optimization.status, OptimizationStatus::kInfeasible);
  const auto& groups = result->optimization.conflicting_groups;
  EXPECT_NE(std::find(groups.begin(), groups.end(), ConstraintGroup::kBounds), groups.end());
  EXPECT_NE(std::find(groups.begin(), groups.end(), ConstraintGroup::kBudget), groups.end());
}

TEST(OptimizeCvar, UnreachableTargetReturnIsAnErrorNamingIt) {
  const Market m = RandomMarket(11, 300, 5);
  CvarOptions options;
  options.objective = CvarObjective::kEfficientReturn;
  options.target_return = 10.0;
  auto result = OptimizeCvar(m.problem, m.scenarios, options);
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().field(), "target_return");
  EXPECT_NE(result.error().message().find("maximum attainable return"), std::string::npos);
}

TEST(OptimizeCvar, RejectsBadOptionsAndScenarios) {
  const Market m = RandomMarket(12, 100, 3);
  CvarOptions options;
  options.alpha = 1.5;
  EXPECT_EQ(OptimizeCvar(m.problem, m.scenarios, options).error().field(), "alpha");
  options = {};
  options.objective = CvarObjective::kEfficientRisk;
  EXPECT_EQ(OptimizeCvar(m.problem, m.scenarios, options).error().field(), "cvar_limit");
  options = {};
  options.objective = CvarObjective::kEfficientReturn;
  EXPECT_EQ(OptimizeCvar(m.problem, m.scenarios, options).error().field(), "target_return");
  Matrix bad = m.scenarios;
  bad(4, 1) = kNaN;
  EXPECT_EQ(OptimizeCvar(m.problem, bad, {}).error().field(), "scenario_returns");
  EXPECT_EQ(OptimizeCvar(m.problem, m.scenarios.leftCols(2), {}).error().code(),
            ErrorCode::kDimensionMismatch);
  EXPECT_EQ(OptimizeCvar(m.problem, Matrix(), {}).error().field(), "scenario_returns");
}

TEST(CvarOptions, DefaultsAreValid) {
  EXPECT_TRUE(CvarOptions{}.Validate().has_value());
  EXPECT_TRUE(CvarSolverOptions{}.Validate().has_value());
  EXPECT_EQ(CvarOptions{}.alpha, 0.05);
}

}  // namespace
}  // namespace pfopt
