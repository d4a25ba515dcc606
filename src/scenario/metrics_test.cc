#include "pfopt/scenario/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

#include "support/reference_data.h"

namespace pfopt::scenario {
namespace {

using testing::JsonVector;
using testing::ScenarioReference;

const ScenarioData& Data(bool full_cvar = false) {
  static const auto make = [](bool full) {
    auto shared = testing::ScenarioDevCube();
    ScenarioDataOptions options;
    if (full) options.cvar_cube = shared;
    auto data = ScenarioData::Create(shared, options);
    EXPECT_TRUE(data);
    return *data;
  };
  static const ScenarioData standard = make(false);
  static const ScenarioData full = make(true);
  return full_cvar ? full : standard;
}

void ExpectRelative(double actual, double expected, double tolerance, const std::string& what) {
  EXPECT_LE(std::abs(actual - expected), tolerance * std::max(1e-300, std::abs(expected)))
      << what << ": " << actual << " vs " << expected;
}

TEST(ScenarioMetrics, EqualWeightsMatchAllopy) {
  const auto& ref = ScenarioReference()["unit_level_references"];
  const Vector w = JsonVector(ref["equal_weights"]);
  ExpectRelative(*ExpectedReturn(Data(), w, false), ref["expected_return_norebal"], 1e-13,
                 "E buy-and-hold");
  ExpectRelative(*ExpectedReturn(Data(), w, true), ref["expected_return_rebal"], 1e-13,
                 "E rebalanced");
  ExpectRelative(*Volatility(Data(), w), ref["volatility"], 1e-14, "volatility");
  ExpectRelative(*Cvar(Data(), w, 5.0, false), ref["cvar5_norebal_3y_cvar_data"], 1e-13, "CVaR 3y");
  ExpectRelative(*Cvar(Data(), w, 5.0, true), ref["cvar5_rebal_3y_cvar_data"], 1e-13,
                 "CVaR 3y rebalanced");
  ExpectRelative(*Cvar(Data(true), w, 5.0, false), ref["cvar5_norebal_full_5y_data"], 1e-13,
                 "CVaR 5y");
  ExpectRelative(*SharpeRatio(Data(), w, false), ref["sharpe_norebal"], 1e-13, "Sharpe");
  ExpectRelative(*SharpeRatio(Data(), w, true), ref["sharpe_rebal"], 1e-13, "Sharpe rebal");
  const Vector r = Data().cvar_cumulative_returns() * w;
  ExpectRelative(PercentileLinear(r, 5.0), ref["cvar_cutoff_percentile5_norebal_3y"], 1e-14,
                 "cutoff");
}

TEST(ScenarioMetrics, ActiveStartPointMatchesAllopy) {
  const auto& ref = ScenarioReference()["unit_level_references"];
  const auto& m = ref["active_x0_metrics_norebal"];
  auto metrics = EvaluatePortfolio(Data(), JsonVector(ref["active_x0"]), {.active = true});
  ASSERT_TRUE(metrics);
  ExpectRelative(metrics->expected_return, m["expected_return"], 1e-13, "E");
  ExpectRelative(metrics->volatility, m["volatility"], 1e-14, "vol");
  ExpectRelative(metrics->cvar, m["cvar5"], 1e-13, "cvar");
  ExpectRelative(metrics->sharpe_ratio, m["sharpe"], 1e-13, "sharpe");
  ExpectRelative(metrics->tracking_error, m["tracking_error"], 1e-14, "TE");
  ExpectRelative(metrics->active_return, m["active_return"], 1e-12, "active return");
  ExpectRelative(metrics->info_ratio, m["info_ratio"], 1e-12, "IR");
}

// Every weight vector of the reference file (allopy's and the high-accuracy ones, eleven cases)
// with the metrics allopy's own functions computed for it.
TEST(ScenarioMetrics, EveryReferencePointMatchesAllopysFigures) {
  for (const auto& [name, c] : ScenarioReference()["cases"].items()) {
    const bool rebalance = c["inputs"]["rebalance"].get<bool>();
    const bool active = c["inputs"]["optimizer"] == "ActivePortfolioOptimizer";
    for (const char* who : {"allopy", "high_accuracy"}) {
      const auto& entry = c[who];
      const Vector w = JsonVector(entry["weights"]);
      auto metrics = EvaluatePortfolio(Data(), w, {.rebalance = rebalance, .active = active});
      ASSERT_TRUE(metrics);
      const auto& m = entry["metrics"];
      const std::string where = name + "/" + who;
      ExpectRelative(metrics->expected_return, m["expected_return"], 1e-12, where + " E");
      ExpectRelative(metrics->volatility, m["volatility"], 1e-13, where + " vol");
      ExpectRelative(metrics->cvar, m["cvar5"], 1e-12, where + " cvar");
      ExpectRelative(metrics->sharpe_ratio, m["sharpe"], 1e-12, where + " sharpe");
      if (active) {
        ExpectRelative(metrics->tracking_error, m["tracking_error"], 1e-13, where + " TE");
        ExpectRelative(metrics->active_return, m["active_return"], 1e-12, where + " AR");
        ExpectRelative(metrics->info_ratio, m["info_ratio"], 1e-12, where + " IR");
      }
      if (m.contains("cvar5_mean_of_100_worst")) {
        // The optimisers' k-smallest mean equals allopy's figure here.
        EXPECT_EQ(CvarTailSize(2000, 5.0), 100);
        Vector r = Data().cvar_cumulative_returns() * w;
        std::sort(r.data(), r.data() + r.size());
        ExpectRelative(r.head(100).mean(), m["cvar5_mean_of_100_worst"], 1e-12, where);
      }
    }
  }
}

TEST(ScenarioMetrics, PercentileFollowsNumpy) {
  // numpy.percentile([1, 2, 3, 4], p) for p = 0, 10, 25, 50, 90, 100:
  // 1.0, 1.3, 1.75, 2.5, 3.7, 4.0 (positions 0, 0.3, 0.75, 1.5, 2.7, 3).
  const Vector x = (Vector(4) << 4, 1, 3, 2).finished();
  EXPECT_DOUBLE_EQ(PercentileLinear(x, 0), 1.0);
  EXPECT_DOUBLE_EQ(PercentileLinear(x, 10), 1.3);
  EXPECT_DOUBLE_EQ(PercentileLinear(x, 25), 1.75);
  EXPECT_DOUBLE_EQ(PercentileLinear(x, 50), 2.5);
  EXPECT_DOUBLE_EQ(PercentileLinear(x, 90), 3.7);
  EXPECT_DOUBLE_EQ(PercentileLinear(x, 100), 4.0);
  // Ties at the cutoff are all included: values <= 2 of [1, 2, 2, 3] at p = 40 (position 1.2,
  // cutoff 2): mean of 1, 2, 2.
  const Vector ties = (Vector(4) << 2, 3, 1, 2).finished();
  EXPECT_DOUBLE_EQ(ConditionalValueAtRisk(ties, 40.0), 5.0 / 3.0);
  EXPECT_EQ(CvarTailSize(4, 40.0), 2);
  EXPECT_EQ(CvarTailSize(10000, 5.0), 500);
  EXPECT_EQ(CvarTailSize(10, 100.0), 10);
  EXPECT_EQ(CvarTailSize(10, 0.0), 1);
}

TEST(ScenarioMetrics, RejectsBadInput) {
  EXPECT_FALSE(ExpectedReturn(Data(), Vector::Ones(5)));
  EXPECT_FALSE(Volatility(Data(), Vector::Constant(6, kNaN)));
  auto percentile = Cvar(Data(), Vector::Ones(6), 101.0);
  ASSERT_FALSE(percentile);
  EXPECT_EQ(percentile.error().field(), "percentile");
}

TEST(ScenarioMetrics, RebalancedReturnsAreProductsOfPeriodReturns) {
  // Hand-computable 2-period, 1-trial, 2-asset cube.
  auto cube = ScenarioCube::Create(2, 1, 2, {0.10, -0.20, 0.05, 0.30});
  ASSERT_TRUE(cube);
  const Vector w = (Vector(2) << 0.5, 0.25).finished();
  // Rebalanced: (1 + 0.05 - 0.05)(1 + 0.025 + 0.075) - 1 = 0.1.
  EXPECT_NEAR(PortfolioReturns(*cube, 2, w, true)[0], 0.1, 1e-15);
  // Buy-and-hold: 0.5 (1.1 * 1.05 - 1) + 0.25 (0.8 * 1.3 - 1) = 0.5 * 0.155 + 0.25 * 0.04.
  EXPECT_NEAR(PortfolioReturns(*cube, 2, w, false)[0], 0.0875, 1e-15);
  // Annualised over 2 years: sqrt(1.1) - 1; a loss beyond -100 % keeps its sign.
  EXPECT_NEAR(AnnualizedExpectedReturn((Vector(1) << 0.1).finished(), 2.0), std::sqrt(1.1) - 1,
              1e-15);
  EXPECT_NEAR(AnnualizedExpectedReturn((Vector(1) << -5.0).finished(), 2.0), -2.0 - 1.0, 1e-15);
}

}  // namespace
}  // namespace pfopt::scenario
