#include "pfopt/optimize/performance.h"

#include <gtest/gtest.h>

#include <cmath>

namespace pfopt {
namespace {

TEST(ComputePerformance, MatchesHandComputedTwoAssetPortfolio) {
  Vector w(2);
  w << 0.6, 0.4;
  Vector mu(2);
  mu << 0.10, 0.04;
  Matrix sigma(2, 2);
  sigma << 0.04, 0.006,  //
      0.006, 0.01;
  auto p = ComputePerformance(w, mu, sigma, 0.02);
  ASSERT_TRUE(p);
  const double variance = 0.36 * 0.04 + 0.16 * 0.01 + 2 * 0.24 * 0.006;
  EXPECT_DOUBLE_EQ(p->expected_return, 0.076);
  EXPECT_DOUBLE_EQ(p->volatility, std::sqrt(variance));
  EXPECT_DOUBLE_EQ(p->sharpe_ratio, (0.076 - 0.02) / std::sqrt(variance));
}

TEST(ComputePerformance, WithoutExpectedReturnsGivesVolatilityOnly) {
  auto p = ComputePerformance(Vector::Constant(2, 0.5), Vector(), Matrix::Identity(2, 2));
  ASSERT_TRUE(p);
  EXPECT_DOUBLE_EQ(p->volatility, std::sqrt(0.5));
  EXPECT_TRUE(std::isnan(p->expected_return));
  EXPECT_TRUE(std::isnan(p->sharpe_ratio));
}

TEST(ComputePerformance, RejectsMismatchedSizes) {
  EXPECT_FALSE(ComputePerformance(Vector::Ones(3), Vector(), Matrix::Identity(2, 2)));
  EXPECT_FALSE(ComputePerformance(Vector::Ones(2), Vector::Ones(3), Matrix::Identity(2, 2)));
}

TEST(CleanWeights, CutsRoundsAndKeepsTheBudgetExactly) {
  Vector w(5);
  w << 0.333333333, 0.333333333, 0.333283334, 0.00004, 0.00001;  // sums to 1
  auto cleaned = CleanWeights(w, {.cutoff = 1e-4, .decimals = 5, .budget = 1.0});
  ASSERT_TRUE(cleaned);
  EXPECT_EQ((*cleaned)[3], 0.0);
  EXPECT_EQ((*cleaned)[4], 0.0);
  // Rounded to 5 decimals, and the units sum to exactly 100000.
  long long units = 0;
  for (Index i = 0; i < 5; ++i) {
    const double scaled = (*cleaned)[i] * 1e5;
    EXPECT_NEAR(scaled, std::round(scaled), 1e-9);
    units += std::llround(scaled);
  }
  EXPECT_EQ(units, 100000);
  // The 6 units lost to the cut and the rounding went back two to each weight.
  EXPECT_LE((cleaned->head(3) - w.head(3)).cwiseAbs().maxCoeff(), 2.5e-5);
}

TEST(CleanWeights, KeepsAMarketNeutralBudget) {
  Vector w(4);
  w << 0.123456789, -0.123456789, 0.5000049, -0.5000049;
  auto cleaned = CleanWeights(w, {.budget = 0.0});
  ASSERT_TRUE(cleaned);
  EXPECT_NEAR(cleaned->sum(), 0.0, 1e-15);
}

TEST(CleanWeights, RejectsBadOptionsAndInput) {
  EXPECT_FALSE(CleanWeights(Vector::Ones(2), {.decimals = 20}));
  EXPECT_FALSE(CleanWeights(Vector::Ones(2), {.cutoff = -1.0}));
  Vector w = Vector::Ones(2);
  w[1] = std::nan("");
  EXPECT_FALSE(CleanWeights(w));
  EXPECT_TRUE(CleanWeightsOptions().Validate());
}

}  // namespace
}  // namespace pfopt
