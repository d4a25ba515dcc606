#include "pfopt/backtest/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace pfopt {
namespace {

std::vector<std::string> Labels(Index count) {
  std::vector<std::string> labels;
  for (Index t = 0; t < count; ++t) labels.push_back("p" + std::to_string(t));
  return labels;
}

TEST(MetricsOptions, DefaultsAreValid) { EXPECT_TRUE(MetricsOptions{}.Validate()); }

TEST(ComputeWealthMetrics, ConstantReturnHasNoRiskAndUndefinedRatios) {
  // 1 % a period for 8 periods, 4 periods a year: 2 years.
  Vector wealth(9);
  for (Index t = 0; t < 9; ++t) wealth[t] = std::pow(1.01, static_cast<double>(t));
  auto m = ComputeWealthMetrics(wealth, Labels(9), {.periods_per_year = 4.0});
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->num_periods, 8);
  EXPECT_DOUBLE_EQ(m->years, 2.0);
  EXPECT_NEAR(m->total_return, std::pow(1.01, 8) - 1.0, 1e-15);
  EXPECT_NEAR(m->annual_return, std::pow(1.01, 4) - 1.0, 1e-15);
  EXPECT_NEAR(m->annual_volatility, 0.0, 1e-15);
  EXPECT_TRUE(std::isnan(m->sharpe_ratio));   // no volatility
  EXPECT_TRUE(std::isnan(m->sortino_ratio));  // no downside
  EXPECT_EQ(m->max_drawdown, 0.0);
  EXPECT_TRUE(std::isnan(m->calmar_ratio));
  EXPECT_TRUE(m->drawdown_peak.empty());
  EXPECT_EQ(m->hit_rate, 1.0);
}

// Returns +20 %, -10 %, +20 %, -5 % at 4 periods a year; every figure below is worked out by
// hand in the comments.
TEST(ComputeWealthMetrics, HandComputedSeries) {
  Vector wealth(5);
  wealth << 1.0, 1.2, 1.08, 1.296, 1.2312;
  const std::vector<std::string> labels = {"a", "b", "c", "d", "e"};
  auto m = ComputeWealthMetrics(wealth, labels, {.periods_per_year = 4.0});
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_NEAR(m->total_return, 0.2312, 1e-14);
  EXPECT_NEAR(m->annual_return, 0.2312, 1e-14);  // exactly one year
  // mean 0.0625; deviations 0.1375, -0.1625, 0.1375, -0.1125; squares sum to 0.076875.
  const double sd = std::sqrt(0.076875 / 3);
  EXPECT_NEAR(m->annual_volatility, sd * 2.0, 1e-14);
  EXPECT_NEAR(m->sharpe_ratio, 0.0625 / sd * 2.0, 1e-13);
  // Downside deviation: sqrt((0.1^2 + 0.05^2) / 4).
  EXPECT_NEAR(m->sortino_ratio, 0.0625 / std::sqrt(0.0125 / 4) * 2.0, 1e-13);
  // Drawdowns: 10 % from 1.2 to 1.08 (recovered at 1.296), then 5 % from 1.296 to 1.2312.
  EXPECT_NEAR(m->max_drawdown, 0.1, 1e-14);
  EXPECT_EQ(m->drawdown_peak, "b");
  EXPECT_EQ(m->drawdown_trough, "c");
  EXPECT_EQ(m->drawdown_recovery, "d");
  EXPECT_NEAR(m->calmar_ratio, 2.312, 1e-13);
  EXPECT_EQ(m->hit_rate, 0.5);
  EXPECT_NEAR(m->best_period, 0.2, 1e-14);
  EXPECT_NEAR(m->worst_period, -0.1, 1e-14);
}

TEST(ComputeWealthMetrics, RiskFreeRateIsCompoundedPerPeriod) {
  Vector wealth(5);
  wealth << 1.0, 1.2, 1.08, 1.296, 1.2312;
  // rf = 1.01^4 - 1 a year is 1 % a period: excess returns 0.19, -0.11, 0.19, -0.06.
  auto m = ComputeWealthMetrics(wealth, Labels(5),
                                {.periods_per_year = 4.0, .risk_free_rate = std::pow(1.01, 4) - 1});
  ASSERT_TRUE(m);
  EXPECT_NEAR(m->sharpe_ratio, 0.0525 / std::sqrt(0.076875 / 3) * 2.0, 1e-12);
  EXPECT_NEAR(m->sortino_ratio, 0.0525 / std::sqrt((0.0121 + 0.0036) / 4) * 2.0, 1e-12);
}

TEST(ComputeWealthMetrics, UnrecoveredDrawdownHasNoRecoveryDate) {
  Vector wealth(4);
  wealth << 1.0, 2.0, 1.5, 1.0;
  auto m = ComputeWealthMetrics(wealth, Labels(4), {.periods_per_year = 3.0});
  ASSERT_TRUE(m);
  EXPECT_NEAR(m->max_drawdown, 0.5, 1e-15);
  EXPECT_EQ(m->drawdown_peak, "p1");
  EXPECT_EQ(m->drawdown_trough, "p3");
  EXPECT_TRUE(m->drawdown_recovery.empty());
  EXPECT_NEAR(m->annual_return, 0.0, 1e-15);
}

TEST(ComputeWealthMetrics, RuinIsTotalLoss) {
  Vector wealth(4);
  wealth << 1.0, 0.5, 0.0, 0.0;
  auto m = ComputeWealthMetrics(wealth, Labels(4), {.periods_per_year = 3.0});
  ASSERT_TRUE(m) << m.error().ToString();
  EXPECT_EQ(m->total_return, -1.0);
  EXPECT_EQ(m->annual_return, -1.0);
  EXPECT_EQ(m->max_drawdown, 1.0);
  EXPECT_EQ(m->worst_period, -1.0);
}

TEST(ComputeWealthMetrics, RejectsBadInput) {
  Vector one(1);
  one << 1.0;
  EXPECT_FALSE(ComputeWealthMetrics(one, Labels(1)));
  Vector wealth(3);
  wealth << 1.0, 1.1, 1.2;
  EXPECT_EQ(ComputeWealthMetrics(wealth, Labels(2)).error().code(), ErrorCode::kDimensionMismatch);
  wealth[1] = kNaN;
  EXPECT_EQ(ComputeWealthMetrics(wealth, Labels(3)).error().field(), "wealth");
  wealth << 0.0, 1.0, 1.0;
  EXPECT_FALSE(ComputeWealthMetrics(wealth, Labels(3)));
  wealth << 1.0, 1.0, 1.0;
  EXPECT_EQ(ComputeWealthMetrics(wealth, Labels(3), {.periods_per_year = 0.0}).error().field(),
            "periods_per_year");
}

TEST(DrawdownSeries, IsDistanceBelowRunningPeak) {
  Vector wealth(5);
  wealth << 1.0, 2.0, 1.0, 3.0, 1.5;
  const Vector drawdown = DrawdownSeries(wealth);
  EXPECT_EQ(drawdown[0], 0.0);
  EXPECT_EQ(drawdown[1], 0.0);
  EXPECT_EQ(drawdown[2], 0.5);
  EXPECT_EQ(drawdown[3], 0.0);
  EXPECT_EQ(drawdown[4], 0.5);
}

}  // namespace
}  // namespace pfopt
