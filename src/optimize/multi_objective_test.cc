#include "pfopt/optimize/multi_objective.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "pfopt/optimize/frontier.h"
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

PortfolioProblem ReferenceProblem() {
  PortfolioProblem problem;
  problem.assets = Tickers();
  problem.expected_returns =
      TickerVector(PypfoptReference()["expected_returns"]["mean_historical_return"], Tickers());
  problem.covariance =
      testing::JsonMatrix(PypfoptReference()["risk_models"]["sample_cov"]["values"]);
  return problem;
}

Vector Solve(const PortfolioProblem& problem, const Matrix& scenarios,
             const MultiObjectiveOptions& options) {
  auto result = OptimizeMultiObjective(problem, scenarios, options);
  EXPECT_TRUE(result.has_value()) << result.error().ToString();
  if (!result) return {};
  EXPECT_EQ(result->result.optimization.status, OptimizationStatus::kOptimal)
      << result->result.optimization.message;
  EXPECT_TRUE(result->result.optimization.constraints_satisfied);
  return result->result.optimization.weights;
}

Vector SolveMeanVariance(const PortfolioProblem& problem, const MeanVarianceOptions& options) {
  auto result = OptimizeMeanVariance(problem, options);
  EXPECT_TRUE(result.has_value());
  if (!result) return {};
  EXPECT_EQ(result->status, OptimizationStatus::kOptimal);
  return result->weights;
}

TEST(OptimizeMultiObjective, WeightedSumsReproduceTheMeanVarianceObjectives) {
  PortfolioProblem problem = ReferenceProblem();
  problem.constraints.upper_bounds = Vector::Constant(20, 0.3);
  const Matrix none;
  MeanVarianceOptions mv;
  MultiObjectiveOptions mo;
  // MAX_UTILITY with delta = 3: return weight 1, variance weight delta / 2.
  mv.objective = Objective::kMaxUtility;
  mv.risk_aversion = 3.0;
  mo.weights = {.expected_return = 1.0, .variance = 1.5};
  EXPECT_LT((Solve(problem, none, mo) - SolveMeanVariance(problem, mv)).cwiseAbs().maxCoeff(),
            1e-9);
  // MIN_VOLATILITY with L2 gamma = 0.1.
  mv = {};
  mv.objective = Objective::kMinVolatility;
  mv.l2_gamma = 0.1;
  mo.weights = {.variance = 1.0, .l2 = 0.1};
  EXPECT_LT((Solve(problem, none, mo) - SolveMeanVariance(problem, mv)).cwiseAbs().maxCoeff(),
            1e-9);
  // EFFICIENT_RETURN at 0.25.
  mv = {};
  mv.objective = Objective::kEfficientReturn;
  mv.target_return = 0.25;
  mo.weights = {.variance = 1.0};
  mo.target_return = 0.25;
  EXPECT_LT((Solve(problem, none, mo) - SolveMeanVariance(problem, mv)).cwiseAbs().maxCoeff(),
            1e-9);
  // MAX_RETURN (a linear program): all in the best asset up to its bound.
  mv = {};
  mv.objective = Objective::kMaxReturn;
  mo = {};
  mo.weights = {.expected_return = 1.0};
  EXPECT_LT((Solve(problem, none, mo) - SolveMeanVariance(problem, mv)).cwiseAbs().maxCoeff(),
            1e-9);
}

TEST(OptimizeMultiObjective, CvarWeightAloneIsMinCvar) {
  const Market m = RandomMarket(1, 1500, 10);
  MultiObjectiveOptions mo;
  mo.weights.cvar = 2.5;  // the scale of a single term does not move the optimum
  auto multi = OptimizeMultiObjective(m.problem, m.scenarios, mo);
  auto single = OptimizeCvar(m.problem, m.scenarios, {});
  ASSERT_TRUE(multi.has_value() && single.has_value());
  EXPECT_NEAR(multi->result.tail_risk.cvar, single->tail_risk.cvar, 1e-15);
  EXPECT_NEAR(multi->result.optimization.objective_value, 2.5 * single->tail_risk.cvar, 1e-15);
  EXPECT_NEAR(multi->terms.cvar, single->tail_risk.cvar, 1e-15);
}

TEST(OptimizeMultiObjective, TurnoverWeightKeepsTheCurrentPortfolioWhenLargeEnough) {
  Market m = RandomMarket(2, 400, 6);
  m.problem.constraints.current_weights = Vector::Constant(6, 1.0 / 6.0);
  MultiObjectiveOptions mo;
  mo.weights = {.variance = 1.0, .cvar = 1.0, .turnover = 10.0};
  const Vector held = Solve(m.problem, m.scenarios, mo);
  EXPECT_LT((held - m.problem.constraints.current_weights).cwiseAbs().maxCoeff(), 1e-12);
  // A small turnover weight moves, and trades less than without it.
  mo.weights.turnover = 0.0;
  const Vector free = Solve(m.problem, m.scenarios, mo);
  mo.weights.turnover = 1e-3;
  const Vector damped = Solve(m.problem, m.scenarios, mo);
  const Vector& w0 = m.problem.constraints.current_weights;
  const double free_turnover = (free - w0).cwiseAbs().sum();
  const double damped_turnover = (damped - w0).cwiseAbs().sum();
  EXPECT_GT(free_turnover, 0.05);
  EXPECT_LT(damped_turnover, free_turnover);
}

TEST(OptimizeMultiObjective, ReportsEachTermAndTheWeightedSum) {
  Market m = RandomMarket(3, 300, 5);
  m.problem.constraints.current_weights = Vector::Constant(5, 0.2);
  MultiObjectiveOptions mo;
  mo.weights = {.expected_return = 0.5, .variance = 2.0, .cvar = 3.0, .turnover = 0.01, .l2 = 0.2};
  auto result = OptimizeMultiObjective(m.problem, m.scenarios, mo);
  ASSERT_TRUE(result.has_value());
  const Vector& w = result->result.optimization.weights;
  const ObjectiveTerms& t = result->terms;
  EXPECT_NEAR(t.expected_return, m.problem.expected_returns.dot(w), 1e-15);
  EXPECT_NEAR(t.variance, w.dot(m.problem.covariance * w), 1e-15);
  EXPECT_NEAR(t.turnover, (w.array() - 0.2).abs().sum(), 1e-15);
  EXPECT_NEAR(t.l2, w.squaredNorm(), 1e-15);
  EXPECT_NEAR(t.cvar, result->result.tail_risk.cvar, 0.0);
  EXPECT_NEAR(
      result->result.optimization.objective_value,
      -0.5 * t.expected_return + 2.0 * t.variance + 3.0 * t.cvar + 0.01 * t.turnover + 0.2 * t.l2,
      1e-15);
}

TEST(OptimizeMultiObjective, RejectsBadWeightsAndMissingInputs) {
  const Market m = RandomMarket(4, 100, 3);
  MultiObjectiveOptions mo;
  auto none = OptimizeMultiObjective(m.problem, m.scenarios, mo);
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().message().find("every objective weight is 0"), std::string::npos);
  mo.weights.cvar = -1.0;
  EXPECT_EQ(OptimizeMultiObjective(m.problem, m.scenarios, mo).error().field(), "weights.cvar");
  mo.weights.cvar = 1.0;
  EXPECT_EQ(OptimizeMultiObjective(m.problem, Matrix(), mo).error().field(), "scenario_returns");
  PortfolioProblem no_mu = m.problem;
  no_mu.expected_returns.resize(0);
  mo.weights = {.expected_return = 1.0};
  EXPECT_EQ(OptimizeMultiObjective(no_mu, Matrix(), mo).error().field(), "expected_returns");
  mo.weights = {.variance = 1.0};
  mo.cvar_alpha = 0.0;
  EXPECT_EQ(OptimizeMultiObjective(m.problem, m.scenarios, mo).error().field(), "cvar_alpha");
  mo.cvar_alpha = 0.05;
  PortfolioProblem neutral = m.problem;
  neutral.constraints.budget = 0.0;  // long-only bounds: no portfolio can sum to 0 and invest
  const auto rejected = OptimizeMultiObjective(neutral, m.scenarios, mo);
  ASSERT_FALSE(rejected.has_value());
  EXPECT_EQ(rejected.error().field(), "budget");
  EXPECT_NE(rejected.error().message().find("needs short positions"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Pareto fronts.

TEST(TraceParetoFront, ReturnAndCvarIsTheEfficientCvarFrontier) {
  const Market m = RandomMarket(5, 1000, 8);
  ParetoFrontOptions options;
  options.first = ParetoMeasure::kReturn;
  options.second = ParetoMeasure::kCvar;
  options.num_points = 6;
  auto front = TraceParetoFront(m.problem, m.scenarios, options);
  ASSERT_TRUE(front.has_value()) << front.error().ToString();
  ASSERT_EQ(front->status, OptimizationStatus::kOptimal) << front->message;
  ASSERT_EQ(front->points.size(), 6u);
  EXPECT_EQ(front->minimised, ParetoMeasure::kCvar);
  EXPECT_EQ(front->constrained, ParetoMeasure::kReturn);
  // Point 0 is the minimum-CVaR portfolio, the last the best return; in between each point is
  // the minimum CVaR at its return bound, and the front rises.
  auto min_cvar = OptimizeCvar(m.problem, m.scenarios, {});
  ASSERT_TRUE(min_cvar.has_value());
  EXPECT_NEAR(front->points.front().terms.cvar, min_cvar->tail_risk.cvar, 1e-14);
  const double best_return = m.problem.expected_returns.maxCoeff();
  EXPECT_NEAR(front->points.back().terms.expected_return, best_return, 1e-12);
  for (std::size_t k = 1; k < front->points.size(); ++k) {
    const ParetoPoint& p = front->points[k];
    EXPECT_GE(p.terms.expected_return, p.epsilon - 1e-12);
    EXPECT_GE(p.terms.cvar, front->points[k - 1].terms.cvar - 1e-14);
    CvarOptions at;
    at.objective = CvarObjective::kEfficientReturn;
    at.target_return = p.epsilon;
    auto single = OptimizeCvar(m.problem, m.scenarios, at);
    ASSERT_TRUE(single.has_value());
    EXPECT_NEAR(p.terms.cvar, single->tail_risk.cvar, 1e-14) << k;
  }
}

TEST(TraceParetoFront, ReturnAndVolatilityIsTheEfficientFrontier) {
  const Market m = RandomMarket(6, 500, 6);
  ParetoFrontOptions options;
  options.first = ParetoMeasure::kVolatility;
  options.second = ParetoMeasure::kReturn;
  options.num_points = 5;
  auto front = TraceParetoFront(m.problem, m.scenarios, options);
  FrontierOptions fo;
  fo.num_points = 5;
  auto frontier = TraceEfficientFrontier(m.problem, fo);
  ASSERT_TRUE(front.has_value() && frontier.has_value());
  ASSERT_EQ(front->points.size(), frontier->points.size());
  for (std::size_t k = 0; k < front->points.size(); ++k) {
    EXPECT_EQ(front->points[k].weights, frontier->points[k].weights);
    // The CVaR of each point is added.
    EXPECT_TRUE(std::isfinite(front->points[k].terms.cvar));
  }
}

TEST(TraceParetoFront, VolatilityAndCvarTradesOneForTheOther) {
  const Market m = RandomMarket(7, 800, 8);
  ParetoFrontOptions options;
  options.first = ParetoMeasure::kVolatility;
  options.second = ParetoMeasure::kCvar;
  options.num_points = 5;
  auto front = TraceParetoFront(m.problem, m.scenarios, options);
  ASSERT_TRUE(front.has_value());
  ASSERT_EQ(front->status, OptimizationStatus::kOptimal) << front->message;
  // min variance s.t. CVaR <= eps, eps from CVaR(min-variance portfolio) down to min CVaR:
  // CVaR falls and volatility rises along the front.
  EXPECT_EQ(front->minimised, ParetoMeasure::kVolatility);
  for (std::size_t k = 1; k < front->points.size(); ++k) {
    const ParetoPoint& p = front->points[k];
    const ParetoPoint& q = front->points[k - 1];
    EXPECT_LE(p.terms.cvar, p.epsilon + 1e-12);
    EXPECT_LE(p.terms.cvar, q.terms.cvar + 1e-14);
    EXPECT_GE(p.terms.variance, q.terms.variance - 1e-15);
  }
  auto min_cvar = OptimizeCvar(m.problem, m.scenarios, {});
  ASSERT_TRUE(min_cvar.has_value());
  EXPECT_NEAR(front->points.back().terms.cvar, min_cvar->tail_risk.cvar, 1e-13);
}

TEST(TraceParetoFront, CvarAndTurnoverStartsAtTheMinimumCvar) {
  Market m = RandomMarket(8, 600, 6);
  m.problem.constraints.current_weights = Vector::Constant(6, 1.0 / 6.0);
  ParetoFrontOptions options;
  options.first = ParetoMeasure::kTurnover;
  options.second = ParetoMeasure::kCvar;
  options.num_points = 4;
  auto front = TraceParetoFront(m.problem, m.scenarios, options);
  ASSERT_TRUE(front.has_value());
  ASSERT_EQ(front->status, OptimizationStatus::kOptimal) << front->message;
  EXPECT_EQ(front->minimised, ParetoMeasure::kCvar);
  EXPECT_EQ(front->constrained, ParetoMeasure::kTurnover);
  // The last point allows no trading: it is the current portfolio.
  EXPECT_NEAR(front->points.back().terms.turnover, 0.0, 1e-12);
  for (std::size_t k = 1; k < front->points.size(); ++k) {
    EXPECT_LE(front->points[k].terms.turnover, front->points[k].epsilon + 1e-12);
    EXPECT_GE(front->points[k].terms.cvar, front->points[k - 1].terms.cvar - 1e-14);
  }
}

TEST(TraceParetoFront, ReturnAndTurnoverReachesTheSinglePortfolioOfMaximumReturn) {
  // Long-only, the maximum return is one asset alone: a single feasible portfolio at the last
  // bound, which rounding can make infeasible; the front still ends there (within 1e-9).
  Market m = RandomMarket(10, 300, 6);
  m.problem.constraints.current_weights = Vector::Constant(6, 1.0 / 6.0);
  ParetoFrontOptions options;
  options.first = ParetoMeasure::kReturn;
  options.second = ParetoMeasure::kTurnover;
  options.num_points = 3;
  auto front = TraceParetoFront(m.problem, Matrix(), options);
  ASSERT_TRUE(front.has_value()) << front.error().ToString();
  ASSERT_EQ(front->status, OptimizationStatus::kOptimal) << front->message;
  ASSERT_EQ(front->points.size(), 3u);
  EXPECT_NEAR(front->points.front().terms.turnover, 0.0, 1e-12);  // min turnover: stay
  const double best = m.problem.expected_returns.maxCoeff();
  EXPECT_NEAR(front->points.back().terms.expected_return, best, 1e-9);
  EXPECT_TRUE(std::isnan(front->points.back().terms.cvar));  // no scenarios given
}

TEST(TraceParetoFront, RejectsTheSameMeasureTwice) {
  const Market m = RandomMarket(9, 100, 3);
  ParetoFrontOptions options;
  options.first = options.second = ParetoMeasure::kCvar;
  auto front = TraceParetoFront(m.problem, m.scenarios, options);
  ASSERT_FALSE(front.has_value());
  EXPECT_EQ(front.error().field(), "objectives");
  EXPECT_TRUE(ParetoFrontOptions{}.Validate().has_value());
  EXPECT_TRUE(MultiObjectiveOptions{.weights = {.variance = 1.0}}.Validate().has_value());
}

}  // namespace
}  // namespace pfopt
