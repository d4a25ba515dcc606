// The backtester's arithmetic against an independent simulation of the same equal-weight and
// buy-and-hold strategies in pandas (tests/data/backtest/make_reference.py, which regenerates
// tests/data/backtest/reference.json), on the 20 stocks of examples/data/stock_prices.csv:
// late listings, monthly and quarterly schedules, rolling and expanding windows, global and
// per-asset costs, a date range and a risk-free rate.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "pfopt/backtest/backtest.h"
#include "support/reference_data.h"

namespace pfopt {
namespace {

const nlohmann::json& Reference() {
  static const nlohmann::json reference = [] {
    std::ifstream in(testing::SourcePath("tests/data/backtest/reference.json"));
    EXPECT_TRUE(in) << "cannot open tests/data/backtest/reference.json";
    return nlohmann::json::parse(in);
  }();
  return reference;
}

BacktestOptions OptionsOf(const nlohmann::json& config) {
  BacktestOptions o;
  o.window = config["window"].get<Index>();
  o.window_type = *EnumFromString<WindowType>(config["window_type"].get<std::string>());
  o.min_observations = config["min_observations"].get<Index>();
  o.rebalance = *EnumFromString<RebalanceSchedule>(config["rebalance"].get<std::string>());
  o.cost_bps = config["cost_bps"].get<double>();
  for (const auto& [asset, bps] : config["asset_cost_bps"].items()) {
    o.asset_cost_bps[asset] = bps.get<double>();
  }
  o.start = config["start"].get<std::string>();
  o.end = config["end"].get<std::string>();
  o.risk_free_rate = config["risk_free_rate"].get<double>();
  o.periods_per_year = config["periods_per_year"].get<double>();
  return o;
}

double Relative(double a, double b) { return std::abs(a - b) / std::max(1.0, std::abs(b)); }

TEST(BacktestReference, EqualWeightAndBuyAndHoldMatchPandas) {
  ASSERT_EQ(Reference()["configs"].size(), 2u);
  for (const auto& entry : Reference()["configs"]) {
    const std::string config_name = entry["config"]["name"].get<std::string>();
    SCOPED_TRACE(config_name);
    auto result = RunBacktest(testing::StockPrices(), {EqualWeightStrategy(), BuyAndHoldStrategy()},
                              OptionsOf(entry["config"]));
    ASSERT_TRUE(result) << result.error().ToString();
    EXPECT_EQ(result->periods.front(), entry["periods"][0].get<std::string>());
    EXPECT_EQ(result->periods.back(), entry["periods"][1].get<std::string>());
    ASSERT_EQ(static_cast<Index>(result->periods.size()), entry["periods"][2].get<Index>());
    ASSERT_EQ(result->strategies.size(), entry["strategies"].size());
    for (std::size_t s = 0; s < result->strategies.size(); ++s) {
      const StrategyResult& ours = result->strategies[s];
      const nlohmann::json& theirs = entry["strategies"][s];
      SCOPED_TRACE(ours.name);
      ASSERT_EQ(ours.name, theirs["name"].get<std::string>());

      // Wealth at every period (the pandas run solves the cost equation with brentq to
      // ~1e-15 relative; errors accumulate over ~300 trades).
      const Vector wealth = testing::JsonVector(theirs["wealth"]);
      ASSERT_EQ(ours.wealth.size(), wealth.size());
      double worst = 0.0;
      for (Index t = 0; t < wealth.size(); ++t) {
        worst = std::max(worst, std::abs(ours.wealth[t] - wealth[t]) / wealth[t]);
      }
      EXPECT_LT(worst, 1e-11);

      // Each trade: date, eligible assets, turnover, cost.
      const auto& trades = theirs["rebalances"];
      ASSERT_EQ(ours.rebalances.size(), trades.size());
      for (std::size_t k = 0; k < trades.size(); ++k) {
        const RebalanceRecord& r = ours.rebalances[k];
        ASSERT_EQ(r.date, trades[k]["date"].get<std::string>());
        EXPECT_EQ(r.eligible_assets, trades[k]["eligible"].get<Index>()) << r.date;
        EXPECT_NEAR(r.turnover, trades[k]["turnover"].get<double>(), 1e-12) << r.date;
        EXPECT_NEAR(r.cost, trades[k]["cost"].get<double>(), 1e-12 * r.wealth_before) << r.date;
      }

      const nlohmann::json& m = theirs["metrics"];
      const BacktestMetrics& ours_m = ours.metrics;
      EXPECT_LT(Relative(ours_m.total_return, m["total_return"].get<double>()), 1e-10);
      EXPECT_LT(Relative(ours_m.annual_return, m["annual_return"].get<double>()), 1e-10);
      EXPECT_LT(Relative(ours_m.annual_volatility, m["annual_volatility"].get<double>()), 1e-10);
      EXPECT_LT(Relative(ours_m.sharpe_ratio, m["sharpe_ratio"].get<double>()), 1e-10);
      EXPECT_LT(Relative(ours_m.sortino_ratio, m["sortino_ratio"].get<double>()), 1e-10);
      EXPECT_LT(Relative(ours_m.max_drawdown, m["max_drawdown"].get<double>()), 1e-10);
      EXPECT_LT(Relative(ours_m.calmar_ratio, m["calmar_ratio"].get<double>()), 1e-10);
      EXPECT_EQ(ours_m.drawdown_peak, m["drawdown_peak"].get<std::string>());
      EXPECT_EQ(ours_m.drawdown_trough, m["drawdown_trough"].get<std::string>());
      EXPECT_EQ(ours_m.drawdown_recovery, m["drawdown_recovery"].get<std::string>());
      EXPECT_NEAR(ours_m.hit_rate, m["hit_rate"].get<double>(), 1e-15);
      EXPECT_EQ(ours_m.rebalances, m["rebalances"].get<Index>());
      EXPECT_NEAR(ours_m.initial_turnover, m["initial_turnover"].get<double>(), 1e-12);
      EXPECT_NEAR(ours_m.average_turnover, m["average_turnover"].get<double>(), 1e-12);
      EXPECT_NEAR(ours_m.annual_turnover, m["annual_turnover"].get<double>(), 1e-11);
      EXPECT_LT(Relative(ours_m.costs, m["costs"].get<double>()), 1e-10);
      EXPECT_LT(Relative(ours_m.cost_amount, m["cost_amount"].get<double>()), 1e-10);
    }
  }
}

}  // namespace
}  // namespace pfopt
