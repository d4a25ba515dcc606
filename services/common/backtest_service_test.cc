#include "services/common/backtest_service.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "services/common/optimization_service.h"
#include "support/reference_data.h"

namespace pfopt::service {
namespace {

using testing::StockPrices;

OptimizationRequest RequestOver(const std::vector<std::string>& ids, RequestObjective objective) {
  OptimizationRequest r;
  r.portfolio_id = "strategy";
  r.objective = objective;
  for (const auto& id : ids) r.strategies.push_back(StrategyDefinition{.id = id});
  return r;
}

BacktestRequest OnStockPrices(std::vector<BacktestStrategySpec> strategies, std::string start,
                              std::string end) {
  BacktestRequest request;
  request.prices = StockPrices();
  request.strategies = std::move(strategies);
  request.settings.window = 252;
  request.settings.start = std::move(start);
  request.settings.end = std::move(end);
  return request;
}

BacktestStrategySpec Optimization(OptimizationRequest r, std::string name = {}) {
  return BacktestStrategySpec{.name = std::move(name), .request = std::move(r)};
}

// The weights held after a rebalance are the optimiser's answer for that window: the same as
// RunOptimization on a request built by hand from the 253 prices ending at the rebalance date.
TEST(RunBacktestRequest, EachRebalanceIsTheRequestPathOnItsWindow) {
  const std::vector<std::string> ids = {"AAPL", "GE", "WMT", "XOM", "JPM", "PFE"};
  OptimizationRequest base = RequestOver(ids, RequestObjective::kMinVolatility);
  base.constraints.max_weight = 0.35;
  auto response =
      RunBacktestRequest(OnStockPrices({Optimization(base)}, "2015-01-01", "2015-12-31"));
  ASSERT_TRUE(response) << response.error().ToString();
  const StrategyResult& s = response->result.strategies[0];
  ASSERT_EQ(s.rebalances.size(), 12u);  // the start, then 11 month ends (not December's: end)
  const TimeSeriesTable& prices = StockPrices();
  for (std::size_t k : {0u, 5u, 11u}) {
    const RebalanceRecord& record = s.rebalances[k];
    ASSERT_EQ(record.outcome, RebalanceOutcome::kTraded) << record.message;
    Index row = 0;
    while (prices.periods[static_cast<std::size_t>(row)] != record.date) ++row;
    OptimizationRequest by_hand = base;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const Index column = prices.AssetIndex(ids[i]);
      for (Index t = row - 252; t <= row; ++t) {
        by_hand.strategies[i].prices.push_back(prices.values(t, column));
      }
    }
    auto expected = RunOptimization(by_hand);
    ASSERT_TRUE(expected) << expected.error().ToString();
    for (std::size_t i = 0; i < ids.size(); ++i) {
      EXPECT_NEAR(s.weights(record.period, static_cast<Index>(i)),
                  expected->optimal_weights[i].second, 1e-12)
          << record.date << " " << ids[i];
    }
  }
}

TEST(RunBacktestRequest, TurnoverLimitBindsAgainstTheDriftedWeights) {
  OptimizationRequest base = RequestOver({"AAPL", "GE", "WMT", "XOM", "JPM", "PFE", "BAC", "T"},
                                         RequestObjective::kMaxSharpe);
  base.constraints.turnover_limit = 0.1;
  BacktestRequest request = OnStockPrices({Optimization(base)}, "2004-01-01", "2006-12-31");
  request.settings.cost_bps = 10.0;
  auto response = RunBacktestRequest(request);
  ASSERT_TRUE(response) << response.error().ToString();
  const StrategyResult& s = response->result.strategies[0];
  ASSERT_GE(s.rebalances.size(), 30u);
  EXPECT_TRUE(s.rebalances[0].initial);
  EXPECT_NEAR(s.rebalances[0].turnover, 1.0, 1e-9);  // the limit does not apply to the start
  int binding = 0;
  for (std::size_t k = 1; k < s.rebalances.size(); ++k) {
    const RebalanceRecord& r = s.rebalances[k];
    if (r.outcome != RebalanceOutcome::kTraded) continue;
    EXPECT_LE(r.turnover, 0.1 + 1e-9) << r.date;
    if (r.turnover > 0.1 - 1e-6) ++binding;
  }
  EXPECT_GT(binding, 5);  // the limit is active, not vacuous
  EXPECT_GT(s.metrics.costs, 0.0);
}

TEST(RunBacktestRequest, LateListingJoinsWhenItHasAFullWindowAndSectorMinimumsWait) {
  // FB lists on 2012-05-18: 252 returns later (2013-05-20) it is eligible.
  OptimizationRequest base =
      RequestOver({"AAPL", "WMT", "XOM", "FB"}, RequestObjective::kMinVolatility);
  base.strategies[3].sector = "social";
  base.constraints.sector_minimums = {{"social", 0.05}};
  auto response =
      RunBacktestRequest(OnStockPrices({Optimization(base)}, "2013-01-01", "2013-12-31"));
  ASSERT_TRUE(response) << response.error().ToString();
  const StrategyResult& s = response->result.strategies[0];
  for (const RebalanceRecord& r : s.rebalances) {
    if (r.date < "2013-05-20") {
      EXPECT_EQ(r.eligible_assets, 3) << r.date;
      EXPECT_EQ(r.outcome, RebalanceOutcome::kFailed) << r.date;
      EXPECT_EQ(r.status, OptimizationStatus::kInfeasible);
      EXPECT_NE(r.message.find("sector minimum of 'social'"), std::string::npos) << r.message;
    } else {
      EXPECT_EQ(r.eligible_assets, 4) << r.date;
      EXPECT_EQ(r.outcome, RebalanceOutcome::kTraded) << r.date << ": " << r.message;
      EXPECT_GE(s.weights(r.period, 3), 0.05 - 1e-9);
    }
  }
  EXPECT_EQ(s.metrics.failed_rebalances, 5);  // Jan (the start) to April month ends
}

// Two assets that rise for 400 periods, then fall: max Sharpe has no answer once every window
// lies in the fall (no portfolio beats the risk-free rate); those rebalances are recorded as
// failed and the holdings are kept.
TEST(RunBacktestRequest, UnsolvedRebalancesAreRecordedAndHoldingsKept) {
  std::mt19937 generator(7);
  std::normal_distribution<double> noise(0.0, 0.005);
  TimeSeriesTable prices;
  prices.assets = {"A", "B"};
  prices.values.resize(800, 2);
  double a = 100.0, b = 50.0;
  for (Index t = 0; t < 800; ++t) {
    const double drift = t < 400 ? 0.002 : -0.004;
    a *= 1.0 + drift + noise(generator);
    b *= 1.0 + drift + noise(generator);
    prices.values(t, 0) = a;
    prices.values(t, 1) = b;
    prices.periods.push_back("t" + std::to_string(1000 + t));
  }
  BacktestRequest request;
  request.prices = prices;
  request.strategies = {Optimization(RequestOver({"A", "B"}, RequestObjective::kMaxSharpe))};
  request.settings.window = 100;
  request.settings.rebalance = RebalanceSchedule::kPeriodic;
  request.settings.rebalance_every = 50;
  auto response = RunBacktestRequest(request);
  ASSERT_TRUE(response) << response.error().ToString();
  const StrategyResult& s = response->result.strategies[0];
  EXPECT_EQ(s.rebalances.front().outcome, RebalanceOutcome::kTraded);
  int failed = 0;
  for (const RebalanceRecord& r : s.rebalances) {
    if (r.outcome != RebalanceOutcome::kFailed) continue;
    ++failed;
    EXPECT_EQ(r.status, OptimizationStatus::kInfeasible);
    EXPECT_NE(r.message.find("risk-free rate"), std::string::npos) << r.message;
    EXPECT_EQ(r.turnover, 0.0);
    EXPECT_EQ(r.cost, 0.0);
  }
  EXPECT_GE(failed, 5);
  EXPECT_EQ(s.metrics.failed_rebalances, failed);
}

TEST(RunBacktestRequest, BuiltInsAndNamesDefaultSensibly) {
  OptimizationRequest base = RequestOver({"AAPL", "GE"}, RequestObjective::kMinVolatility);
  base.portfolio_id = "minvol";
  auto response = RunBacktestRequest(OnStockPrices(
      {Optimization(base), BacktestStrategySpec{.type = BacktestStrategyType::kEqualWeight},
       BacktestStrategySpec{.type = BacktestStrategyType::kBuyAndHold, .assets = {"GE", "XOM"}}},
      "2010-01-01", "2010-12-31"));
  ASSERT_TRUE(response) << response.error().ToString();
  const auto& strategies = response->result.strategies;
  ASSERT_EQ(strategies.size(), 3u);
  EXPECT_EQ(strategies[0].name, "minvol");
  EXPECT_EQ(strategies[1].name, "equal_weight");
  EXPECT_EQ(strategies[1].assets.size(), 20u);
  EXPECT_EQ(strategies[2].name, "buy_and_hold");
  EXPECT_EQ(strategies[2].assets, (std::vector<std::string>{"GE", "XOM"}));
  EXPECT_EQ(response->types[2], BacktestStrategyType::kBuyAndHold);
}

TEST(RunBacktestRequest, RejectsMalformedRequestsNamingTheField) {
  auto field_of = [](BacktestRequest request) {
    auto response = RunBacktestRequest(request);
    return response ? std::string("(no error)") : response.error().field();
  };
  OptimizationRequest base = RequestOver({"AAPL", "GE"}, RequestObjective::kMinVolatility);

  OptimizationRequest unknown = base;
  unknown.strategies[1].id = "ACME";
  EXPECT_EQ(field_of(OnStockPrices({Optimization(unknown)}, "2010-01-01", "")),
            "strategies[0].request.strategies[1].id");

  OptimizationRequest with_history = base;
  with_history.strategies[1].returns = {0.01, 0.02};
  EXPECT_EQ(field_of(OnStockPrices({Optimization(base), Optimization(with_history, "b")},
                                   "2010-01-01", "")),
            "strategies[1].request.strategies[1].returns");

  OptimizationRequest with_weight = base;
  with_weight.strategies[0].current_weight = 0.5;
  EXPECT_EQ(field_of(OnStockPrices({Optimization(with_weight)}, "2010-01-01", "")),
            "strategies[0].request.strategies[0].current_weight");

  OptimizationRequest with_market = base;
  with_market.risk_parameters.market_returns = {0.01};
  EXPECT_EQ(field_of(OnStockPrices({Optimization(with_market)}, "2010-01-01", "")),
            "strategies[0].request.risk_parameters.market_returns");

  // Caught by the request path at the first rebalance.
  OptimizationRequest bad_limit = base;
  bad_limit.constraints.turnover_limit = -1.0;
  EXPECT_EQ(field_of(OnStockPrices({Optimization(bad_limit)}, "2010-01-01", "2010-06-30")),
            "strategies[0].request.constraints.turnover_limit");

  BacktestRequest bad_window = OnStockPrices({Optimization(base)}, "", "");
  bad_window.settings.window = 1;
  EXPECT_EQ(field_of(bad_window), "settings.window");

  EXPECT_EQ(field_of(OnStockPrices({}, "", "")), "strategies");
  EXPECT_EQ(field_of(OnStockPrices(
                {BacktestStrategySpec{.type = BacktestStrategyType::kEqualWeight, .assets = {"Z"}}},
                "", "")),
            "strategies[0].assets");
  EXPECT_EQ(field_of(OnStockPrices({Optimization(base, "x"), Optimization(base, "x")}, "", "")),
            "strategies[1].name");
}

}  // namespace
}  // namespace pfopt::service
