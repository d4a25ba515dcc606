#include "pfopt/optimize/frontier.h"

#include <gtest/gtest.h>

#include "support/reference_data.h"

namespace pfopt {
namespace {

PortfolioProblem ReferenceProblem() {
  PortfolioProblem problem;
  problem.assets = testing::Tickers();
  problem.expected_returns = testing::TickerVector(
      testing::PypfoptReference()["expected_returns"]["mean_historical_return"], problem.assets);
  problem.covariance =
      testing::JsonMatrix(testing::PypfoptReference()["risk_models"]["sample_cov"]["values"]);
  return problem;
}

TEST(EfficientFrontier, AgreesWithTheCriticalLineAlgorithmAtEveryPoint) {
  // PyPortfolioOpt's CLA traces the long-only frontier analytically (no QP solver): an
  // independent check. For each of its (return, volatility) points, our minimum volatility at
  // that return must be the same.
  const auto& cla = testing::PypfoptReference()["cla"]["efficient_frontier_points100"];
  const Vector mu = testing::JsonVector(cla["mu"]);
  const Vector sigma = testing::JsonVector(cla["sigma"]);
  ASSERT_GT(mu.size(), 50);
  const PortfolioProblem problem = ReferenceProblem();
  for (Index k = 0; k < mu.size(); k += 5) {
    MeanVarianceOptions options;
    options.objective = Objective::kEfficientReturn;
    options.target_return = mu[k] - 1e-13;  // inside the attainable range at the top end
    auto result = OptimizeMeanVariance(problem, options);
    ASSERT_TRUE(result) << result.error().ToString();
    ASSERT_EQ(result->status, OptimizationStatus::kOptimal);
    EXPECT_NEAR(result->performance.volatility, sigma[k], 1e-9 * sigma[k]) << "point " << k;
  }
}

TEST(EfficientFrontier, SpansMinimumVolatilityToMaximumReturn) {
  auto frontier = TraceEfficientFrontier(ReferenceProblem(), {.num_points = 12});
  ASSERT_TRUE(frontier) << frontier.error().ToString();
  ASSERT_EQ(frontier->status, OptimizationStatus::kOptimal) << frontier->message;
  ASSERT_EQ(frontier->points.size(), 12u);
  const auto& cla = testing::PypfoptReference()["cla"];
  // Ends: CLA's minimum-volatility portfolio and the maximum return (all in MA).
  EXPECT_NEAR(frontier->points.front().performance.volatility,
              testing::JsonVector(cla["min_volatility_long_only"]["performance_rf0"])[1], 1e-10);
  EXPECT_NEAR(frontier->points.back().performance.expected_return,
              ReferenceProblem().expected_returns.maxCoeff(), 1e-12);
  for (std::size_t k = 1; k < frontier->points.size(); ++k) {
    const auto& a = frontier->points[k - 1];
    const auto& b = frontier->points[k];
    EXPECT_NEAR(b.performance.expected_return, b.target_return, 1e-10);
    EXPECT_GT(b.performance.volatility, a.performance.volatility);
    EXPECT_NEAR(b.weights.sum(), 1.0, 1e-12);
    EXPECT_GE(b.weights.minCoeff(), 0.0);
  }
}

TEST(EfficientFrontier, WarmStartsMakeLaterPointsCheap) {
  auto frontier = TraceEfficientFrontier(ReferenceProblem(), {.num_points = 50});
  ASSERT_TRUE(frontier);
  // 50 points need far fewer working-set changes than 50 cold solves (each ~10-20).
  EXPECT_LT(frontier->iterations, 50 * 8);
}

TEST(EfficientFrontier, RejectsBadOptionsAndUnreachableRanges) {
  EXPECT_FALSE(TraceEfficientFrontier(ReferenceProblem(), {.num_points = 1}));
  FrontierOptions options;
  options.max_return = 0.5;  // above the maximum attainable 0.3887
  auto frontier = TraceEfficientFrontier(ReferenceProblem(), options);
  ASSERT_FALSE(frontier);
  EXPECT_NE(frontier.error().message().find("maximum attainable return"), std::string::npos);
  PortfolioProblem no_mu = ReferenceProblem();
  no_mu.expected_returns.resize(0);
  EXPECT_FALSE(TraceEfficientFrontier(no_mu, {}));
  EXPECT_TRUE(FrontierOptions().Validate());
}

}  // namespace
}  // namespace pfopt
