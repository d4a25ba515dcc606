#include "pfopt/backtest/backtest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace pfopt {
namespace {

// A price table from one price function per asset (NaN = no price), rows labelled p000, p001 ...
TimeSeriesTable MakeTable(const std::vector<std::string>& assets,
                          const std::vector<std::function<double(Index)>>& price, Index rows,
                          std::vector<std::string> labels = {}) {
  TimeSeriesTable table;
  table.assets = assets;
  table.values.resize(rows, static_cast<Index>(assets.size()));
  for (Index t = 0; t < rows; ++t) {
    if (labels.empty()) {
      char label[40];
      std::snprintf(label, sizeof(label), "p%03d", static_cast<int>(t));
      table.periods.emplace_back(label);
    } else {
      table.periods.push_back(labels[static_cast<std::size_t>(t)]);
    }
    for (std::size_t j = 0; j < assets.size(); ++j) {
      table.values(t, static_cast<Index>(j)) = price[j](t);
    }
  }
  return table;
}

// Two assets with constant returns a and b per period.
TimeSeriesTable ConstantReturns(double a, double b, Index rows) {
  return MakeTable({"A", "B"},
                   {[a](Index t) { return 100.0 * std::pow(1.0 + a, static_cast<double>(t)); },
                    [b](Index t) { return 50.0 * std::pow(1.0 + b, static_cast<double>(t)); }},
                   rows);
}

BacktestStrategy FixedWeights(Vector weights, std::string name = "fixed") {
  return BacktestStrategy{.name = std::move(name),
                          .allocate = [weights](const RebalanceContext&) -> Result<Allocation> {
                            return Allocation{.status = OptimizationStatus::kOptimal,
                                              .weights = weights};
                          }};
}

// Options with a schedule that needs no dates (the tables above are labelled p000, p001 ...).
BacktestOptions Periodic(Index window) {
  return {.window = window, .rebalance = RebalanceSchedule::kPeriodic};
}

TEST(BacktestOptions, DefaultsAreValid) { EXPECT_TRUE(BacktestOptions{}.Validate()); }

TEST(BacktestOptions, RejectsInvalidFieldsByName) {
  auto field_of = [](BacktestOptions o) { return o.Validate().error().field(); };
  EXPECT_EQ(field_of({.window = 1}), "window");
  EXPECT_EQ(field_of({.window = 10, .min_observations = 11}), "min_observations");
  EXPECT_EQ(field_of({.rebalance_every = 0}), "rebalance_every");
  EXPECT_EQ(field_of({.drift_threshold = 0.0}), "drift_threshold");
  EXPECT_EQ(field_of({.cost_bps = -1.0}), "cost_bps");
  EXPECT_EQ(field_of({.asset_cost_bps = {{"A", 1e4}}}), "asset_cost_bps.A");
  EXPECT_EQ(field_of({.periods_per_year = 0.0}), "periods_per_year");
  EXPECT_EQ(field_of({.cash_rate = -1.0}), "cash_rate");
  EXPECT_EQ(field_of({.start = "b", .end = "a"}), "end");
}

// Equal weight over two assets with constant returns, rebalanced every 5 periods, 30 bps per
// side. By hand: the first trade from cash pays c on everything: W' = 1 / (1 + c). A block of
// 5 periods multiplies wealth by S = (g_a + g_b) / 2 (g = growth over the block) and drifts the
// weights to w_a = g_a / 2S > 1/2 > w_b; selling A and buying B back to 1/2 costs
// c (h_a - W'/2) + c (W'/2 - h_b) = c W (w_a - w_b), so W' = W (1 - c (w_a - w_b)).
TEST(RunBacktest, TwoAssetEqualWeightMatchesClosedForm) {
  const double a = 0.01, b = -0.005, c = 0.003;
  const TimeSeriesTable prices = ConstantReturns(a, b, 40);
  BacktestOptions options{.window = 2,
                          .rebalance = RebalanceSchedule::kPeriodic,
                          .rebalance_every = 5,
                          .cost_bps = 30.0};
  auto result = RunBacktest(prices, {EqualWeightStrategy()}, options);
  ASSERT_TRUE(result) << result.error().ToString();
  ASSERT_EQ(result->periods.size(), 38u);  // rows 2..39
  EXPECT_EQ(result->periods.front(), "p002");
  const StrategyResult& s = result->strategies[0];
  const double ga = std::pow(1 + a, 5), gb = std::pow(1 + b, 5), big_s = (ga + gb) / 2;
  const double wa = ga / (2 * big_s), wb = gb / (2 * big_s);
  EXPECT_DOUBLE_EQ(s.wealth[0], 1.0);
  double post = 1.0 / (1.0 + c);
  for (Index k = 1; k <= 7; ++k) {
    const double pre = post * big_s;
    EXPECT_NEAR(s.wealth[5 * k], pre, 1e-14) << "rebalance " << k;
    post = pre * (1.0 - c * (wa - wb));
  }
  const double last = post * (0.5 * (1 + a) * (1 + a) + 0.5 * (1 + b) * (1 + b));
  EXPECT_NEAR(s.wealth[37], last, 1e-14);
  EXPECT_NEAR(s.metrics.total_return, last - 1.0, 1e-14);
  // Every period: r = W_t / W_{t-1} - 1; inside a block the portfolio return is the drifted mix.
  // The first return includes the cost of the initial trade.
  EXPECT_NEAR(s.returns[1], (0.5 * (1 + a) + 0.5 * (1 + b)) / (1 + c) - 1.0, 1e-14);

  ASSERT_EQ(s.rebalances.size(), 8u);  // steps 0, 5, ..., 35
  EXPECT_TRUE(s.rebalances[0].initial);
  EXPECT_NEAR(s.rebalances[0].turnover, 1.0, 1e-15);
  EXPECT_NEAR(s.rebalances[0].cost, c / (1 + c), 1e-15);
  for (std::size_t k = 1; k < s.rebalances.size(); ++k) {
    EXPECT_FALSE(s.rebalances[k].initial);
    EXPECT_EQ(s.rebalances[k].period, static_cast<Index>(5 * k));
    EXPECT_NEAR(s.rebalances[k].turnover, wa - wb, 1e-14);
    EXPECT_NEAR(s.rebalances[k].cost_fraction, c * (wa - wb), 1e-15);
  }
  EXPECT_NEAR(s.metrics.initial_turnover, 1.0, 1e-15);
  EXPECT_NEAR(s.metrics.average_turnover, wa - wb, 1e-14);
  EXPECT_NEAR(s.metrics.annual_turnover, 7 * (wa - wb) / (37.0 / 252.0), 1e-10);
  EXPECT_NEAR(s.metrics.costs, c / (1 + c) + 7 * c * (wa - wb), 1e-15);
  EXPECT_NEAR(s.metrics.annual_cost, s.metrics.costs / (37.0 / 252.0), 1e-13);
  // Weights: 1/2 after each trade; drifted in between.
  EXPECT_NEAR(s.weights(5, 0), 0.5, 1e-15);
  const double drift_a = std::pow(1 + a, 4) / (std::pow(1 + a, 4) + std::pow(1 + b, 4));
  EXPECT_NEAR(s.weights(4, 0), drift_a, 1e-14);
  EXPECT_NEAR(s.cash[4], 0.0, 1e-15);
}

TEST(RunBacktest, BuyAndHoldNeverTradesAgain) {
  const double a = 0.002, b = 0.001, c = 0.001;
  const TimeSeriesTable prices = ConstantReturns(a, b, 30);
  BacktestOptions options{.window = 3, .cost_bps = 10.0};
  options.rebalance = RebalanceSchedule::kPeriodic;
  options.rebalance_every = 2;  // ignored: buy and hold overrides the schedule
  auto result = RunBacktest(prices, {BuyAndHoldStrategy()}, options);
  ASSERT_TRUE(result) << result.error().ToString();
  const StrategyResult& s = result->strategies[0];
  ASSERT_EQ(s.rebalances.size(), 1u);
  for (Index i = 1; i < s.wealth.size(); ++i) {
    const double n = static_cast<double>(i);
    const double expected = (0.5 * std::pow(1 + a, n) + 0.5 * std::pow(1 + b, n)) / (1 + c);
    EXPECT_NEAR(s.wealth[i], expected, 1e-14);
  }
  EXPECT_EQ(s.metrics.average_turnover, 0.0);
}

TEST(RunBacktest, LateStarterWaitsForAFullWindow) {
  // C has no price before row 5; its first return is at row 6, so with a window of 3 returns
  // it becomes eligible at row 8.
  const TimeSeriesTable prices =
      MakeTable({"A", "B", "C"},
                {[](Index t) { return 10.0 + static_cast<double>(t); },
                 [](Index t) { return 20.0 - 0.5 * static_cast<double>(t); },
                 [](Index t) { return t < 5 ? kNaN : 5.0 + 0.1 * static_cast<double>(t); }},
                12);
  std::vector<std::vector<std::string>> seen;
  BacktestStrategy strategy = EqualWeightStrategy();
  auto equal = strategy.allocate;
  strategy.allocate = [&](const RebalanceContext& context) {
    seen.push_back(context.assets);
    return equal(context);
  };
  BacktestOptions options{
      .window = 3, .rebalance = RebalanceSchedule::kPeriodic, .rebalance_every = 1};
  auto result = RunBacktest(prices, {strategy}, options);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_EQ(result->periods.front(), "p003");
  // Rebalances at rows 3..10 (none at the last row 11).
  ASSERT_EQ(seen.size(), 8u);
  for (std::size_t k = 0; k < 5; ++k) EXPECT_EQ(seen[k], (std::vector<std::string>{"A", "B"}));
  for (std::size_t k = 5; k < 8; ++k) {
    EXPECT_EQ(seen[k], (std::vector<std::string>{"A", "B", "C"}));
  }
  const StrategyResult& s = result->strategies[0];
  EXPECT_EQ(s.weights(4, 2), 0.0);               // row 7
  EXPECT_NEAR(s.weights(5, 2), 1.0 / 3, 1e-15);  // row 8
  EXPECT_EQ(s.rebalances[4].eligible_assets, 2);
  EXPECT_EQ(s.rebalances[5].eligible_assets, 3);

  // With min_observations 2 it is eligible one row earlier.
  seen.clear();
  options.min_observations = 2;
  ASSERT_TRUE(RunBacktest(prices, {strategy}, options));
  EXPECT_EQ(seen[4].size(), 3u);
  EXPECT_EQ(seen[3].size(), 2u);
}

TEST(RunBacktest, AllocatorSeesOnlyTheWindowUpToTheTradeClose) {
  const TimeSeriesTable prices =
      MakeTable({"A", "B"},
                {[](Index t) { return 10.0 + static_cast<double>(t * t); },
                 [](Index t) { return 30.0 - static_cast<double>(t); }},
                20);
  for (WindowType type : {WindowType::kRolling, WindowType::kExpanding}) {
    std::vector<RebalanceContext> contexts;
    BacktestStrategy strategy = EqualWeightStrategy();
    auto equal = strategy.allocate;
    strategy.allocate = [&](const RebalanceContext& context) {
      contexts.push_back(context);
      return equal(context);
    };
    BacktestOptions options{.window_type = type,
                            .window = 4,
                            .rebalance = RebalanceSchedule::kPeriodic,
                            .rebalance_every = 3};
    ASSERT_TRUE(RunBacktest(prices, {strategy}, options));
    ASSERT_EQ(contexts.size(), 5u);  // rows 4, 7, 10, 13, 16 (none at the last row, 19)
    for (const RebalanceContext& c : contexts) {
      const Index t = c.period;
      const Index rows = type == WindowType::kRolling ? 4 : t;
      ASSERT_EQ(c.returns.rows(), rows);
      EXPECT_EQ(c.window_periods.back(), c.date);
      EXPECT_EQ(static_cast<Index>(c.window_periods.size()), rows);
      const double p_t = 10.0 + static_cast<double>(t * t);
      const double p_prev = 10.0 + static_cast<double>((t - 1) * (t - 1));
      EXPECT_DOUBLE_EQ(c.returns(rows - 1, 0), p_t / p_prev - 1.0);
      const double first = static_cast<double>(t - rows + 1);
      EXPECT_DOUBLE_EQ(c.returns(0, 1), (30.0 - first) / (31.0 - first) - 1.0);
    }
  }
}

TEST(RunBacktest, CurrentWeightsAreTheDriftedHoldings) {
  const double a = 0.01, b = -0.01;
  const TimeSeriesTable prices = ConstantReturns(a, b, 20);
  std::vector<RebalanceContext> contexts;
  Vector target(2);
  target << 0.7, 0.3;
  BacktestStrategy strategy = FixedWeights(target);
  auto fixed = strategy.allocate;
  strategy.allocate = [&](const RebalanceContext& context) {
    contexts.push_back(context);
    return fixed(context);
  };
  BacktestOptions options{
      .window = 2, .rebalance = RebalanceSchedule::kPeriodic, .rebalance_every = 4};
  ASSERT_TRUE(RunBacktest(prices, {strategy}, options));
  ASSERT_GE(contexts.size(), 2u);
  EXPECT_TRUE(contexts[0].initial);
  EXPECT_EQ(contexts[0].current_weights, Vector::Zero(2));
  EXPECT_FALSE(contexts[1].initial);
  const double ha = 0.7 * std::pow(1 + a, 4), hb = 0.3 * std::pow(1 + b, 4);
  EXPECT_NEAR(contexts[1].current_weights[0], ha / (ha + hb), 1e-15);
  EXPECT_NEAR(contexts[1].current_weights[1], hb / (ha + hb), 1e-15);
}

TEST(RunBacktest, FailedRebalanceKeepsTheDriftedHoldings) {
  const double a = 0.01, b = 0.0;
  const TimeSeriesTable prices = ConstantReturns(a, b, 20);
  int calls = 0;
  BacktestStrategy strategy{
      .name = "flaky", .allocate = [&](const RebalanceContext&) -> Result<Allocation> {
        ++calls;
        if (calls == 2) {
          return Allocation{.status = OptimizationStatus::kInfeasible, .message = "no way"};
        }
        if (calls == 3) return InvalidArgument("target out of reach", "risk_parameters.x");
        Vector w(2);
        w << 0.5, 0.5;
        return Allocation{.status = OptimizationStatus::kOptimal, .weights = w};
      }};
  BacktestOptions options{
      .window = 2, .rebalance = RebalanceSchedule::kPeriodic, .rebalance_every = 3};
  auto result = RunBacktest(prices, {strategy}, options);
  ASSERT_TRUE(result) << result.error().ToString();
  const StrategyResult& s = result->strategies[0];
  ASSERT_GE(s.rebalances.size(), 4u);
  EXPECT_EQ(s.rebalances[0].outcome, RebalanceOutcome::kTraded);
  EXPECT_EQ(s.rebalances[1].outcome, RebalanceOutcome::kFailed);
  EXPECT_EQ(s.rebalances[1].status, OptimizationStatus::kInfeasible);
  EXPECT_EQ(s.rebalances[1].message, "no way");
  EXPECT_EQ(s.rebalances[2].outcome, RebalanceOutcome::kFailed);
  EXPECT_NE(s.rebalances[2].message.find("target out of reach"), std::string::npos);
  EXPECT_EQ(s.rebalances[3].outcome, RebalanceOutcome::kTraded);
  EXPECT_EQ(s.rebalances[1].turnover, 0.0);
  EXPECT_EQ(s.rebalances[1].cost, 0.0);
  EXPECT_EQ(s.metrics.failed_rebalances, 2);
  // Up to the 4th rebalance (step 9) the portfolio was bought at step 0 and held.
  for (Index i = 0; i <= 9; ++i) {
    const double n = static_cast<double>(i);
    EXPECT_NEAR(s.wealth[i], 0.5 * std::pow(1 + a, n) + 0.5, 1e-14);
  }
}

TEST(RunBacktest, ErrorAtTheFirstAllocationStopsTheRun) {
  const TimeSeriesTable prices = ConstantReturns(0.01, 0.0, 10);
  BacktestStrategy strategy{
      .name = "broken", .allocate = [](const RebalanceContext&) -> Result<Allocation> {
        return InvalidArgument("turnover_limit is -1", "constraints.turnover_limit");
      }};
  auto result = RunBacktest(prices, {EqualWeightStrategy(), strategy}, Periodic(2));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().field(), "constraints.turnover_limit");
  EXPECT_NE(result.error().message().find("strategy 'broken' at p002"), std::string::npos);
}

TEST(RunBacktest, AllocatorAnsweringTheWrongSizeIsAnInternalError) {
  const TimeSeriesTable prices = ConstantReturns(0.01, 0.0, 10);
  Vector three = Vector::Constant(3, 1.0 / 3);
  auto result = RunBacktest(prices, {FixedWeights(three)}, Periodic(2));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::kInternal);
}

std::vector<std::string> CalendarLabels() {
  std::vector<std::string> labels;
  char label[40];
  for (int month = 1; month <= 7; ++month) {
    for (int day = 1; day <= 28; day += 3) {
      std::snprintf(label, sizeof(label), "2020-%02d-%02d", month, day);
      labels.emplace_back(label);
    }
  }
  return labels;
}

TEST(RunBacktest, MonthlyAndQuarterlyTradeAtTheLastPeriodOfTheMonth) {
  const std::vector<std::string> labels = CalendarLabels();  // 10 days a month, Jan..Jul
  const Index rows = static_cast<Index>(labels.size());
  const TimeSeriesTable prices =
      MakeTable({"A", "B"},
                {[](Index t) { return 1.0 + 0.01 * static_cast<double>(t); },
                 [](Index t) { return 2.0 - 0.01 * static_cast<double>(t); }},
                rows, labels);
  auto dates = [&](RebalanceSchedule schedule) {
    BacktestOptions options{.window = 5, .rebalance = schedule};
    auto result = RunBacktest(prices, {EqualWeightStrategy()}, options);
    EXPECT_TRUE(result) << result.error().ToString();
    std::vector<std::string> out;
    for (const auto& r : result->strategies[0].rebalances) out.push_back(r.date);
    return out;
  };
  EXPECT_EQ(dates(RebalanceSchedule::kMonthly),
            (std::vector<std::string>{"2020-01-16", "2020-01-28", "2020-02-28", "2020-03-28",
                                      "2020-04-28", "2020-05-28", "2020-06-28"}));
  EXPECT_EQ(dates(RebalanceSchedule::kQuarterly),
            (std::vector<std::string>{"2020-01-16", "2020-03-28", "2020-06-28"}));

  const TimeSeriesTable undated = ConstantReturns(0.01, 0.0, 30);
  auto result = RunBacktest(undated, {EqualWeightStrategy()},
                            {.window = 5, .rebalance = RebalanceSchedule::kMonthly});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().field(), "rebalance");
  EXPECT_NE(result.error().message().find("'p005'"), std::string::npos);
}

TEST(RunBacktest, DriftScheduleTradesWhenAWeightLeavesTheBand) {
  // A grows 1 % a period, B is flat; from 1/2 each, A's weight 1.01^n / (1.01^n + 1) first
  // exceeds 0.55 at n = 21 (1.01^20 = 1.2202 < 11/9 < 1.01^21 = 1.2324).
  const TimeSeriesTable prices = ConstantReturns(0.01, 0.0, 60);
  BacktestOptions options{
      .window = 2, .rebalance = RebalanceSchedule::kDrift, .drift_threshold = 0.05};
  auto result = RunBacktest(prices, {EqualWeightStrategy()}, options);
  ASSERT_TRUE(result) << result.error().ToString();
  const auto& r = result->strategies[0].rebalances;
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].period, 0);
  EXPECT_EQ(r[1].period, 21);
  EXPECT_EQ(r[2].period, 42);
}

TEST(RunBacktest, UnallocatedPartIsCashEarningTheCashRate) {
  const TimeSeriesTable prices =
      MakeTable({"A", "B"}, {[](Index) { return 1.0; }, [](Index) { return 2.0; }}, 50);
  Vector w(2);
  w << 0.3, 0.3;
  BacktestStrategy strategy = FixedWeights(w);
  strategy.rebalance = RebalanceSchedule::kNever;
  auto result = RunBacktest(prices, {strategy}, {.window = 2, .cash_rate = 0.05});
  ASSERT_TRUE(result) << result.error().ToString();
  const StrategyResult& s = result->strategies[0];
  EXPECT_NEAR(s.cash[0], 0.4, 1e-15);
  for (Index i = 0; i < s.wealth.size(); ++i) {
    EXPECT_NEAR(s.wealth[i], 0.6 + 0.4 * std::pow(1.05, static_cast<double>(i) / 252.0), 1e-14);
  }
}

TEST(RunBacktest, PerAssetCostsOverrideTheGlobalCost) {
  const TimeSeriesTable prices = ConstantReturns(0.0, 0.0, 10);
  // A costs 0, B 100 bps: W' = 1 - 0.01 * W' / 2.
  BacktestOptions options = Periodic(2);
  options.cost_bps = 100.0;
  options.asset_cost_bps = {{"A", 0.0}};
  auto result = RunBacktest(prices, {EqualWeightStrategy()}, options);
  ASSERT_TRUE(result) << result.error().ToString();
  const StrategyResult& s = result->strategies[0];
  EXPECT_NEAR(s.rebalances[0].cost, 1.0 - 1.0 / 1.005, 1e-15);
  EXPECT_NEAR(s.wealth[1], 1.0 / 1.005, 1e-15);

  options.asset_cost_bps = {{"Z", 1.0}};
  auto unknown = RunBacktest(prices, {EqualWeightStrategy()}, options);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field(), "asset_cost_bps.Z");
}

TEST(RunBacktest, HeldAssetWithoutAPriceKeepsItsLastPrice) {
  // A has no price at rows 5 and 6; it is valued at its row-4 price meanwhile.
  const TimeSeriesTable prices =
      MakeTable({"A", "B"},
                {[](Index t) { return t == 5 || t == 6 ? kNaN : 10.0 + static_cast<double>(t); },
                 [](Index t) { return 10.0 + 2.0 * static_cast<double>(t); }},
                10);
  auto result = RunBacktest(prices, {BuyAndHoldStrategy()}, {.window = 2});
  ASSERT_TRUE(result) << result.error().ToString();
  const StrategyResult& s = result->strategies[0];
  auto expected = [](double pa, double t) { return 0.5 * pa / 12.0 + 0.5 * (10.0 + 2 * t) / 14.0; };
  EXPECT_NEAR(s.wealth[3], 0.5 * 14.0 / 12.0 + 0.5 * 20.0 / 14.0, 1e-15);  // row 5: A at 14
  EXPECT_NEAR(s.wealth[4], 0.5 * 14.0 / 12.0 + 0.5 * 22.0 / 14.0, 1e-15);
  EXPECT_NEAR(s.wealth[5], expected(17.0, 7), 1e-15);  // row 7: A priced again
}

TEST(RunBacktest, LosingAllTheCapitalLiquidatesThePortfolio) {
  // 200 % long a flat asset, 100 % short one that rises 50 % a period: 2 - 1.5^n.
  const TimeSeriesTable prices = MakeTable(
      {"A", "B"},
      {[](Index) { return 1.0; }, [](Index t) { return std::pow(1.5, static_cast<double>(t)); }},
      8);
  Vector w(2);
  w << 2.0, -1.0;
  BacktestStrategy strategy = FixedWeights(w);
  strategy.rebalance = RebalanceSchedule::kNever;
  auto result = RunBacktest(prices, {strategy}, {.window = 2});
  ASSERT_TRUE(result) << result.error().ToString();
  const StrategyResult& s = result->strategies[0];
  EXPECT_NEAR(s.wealth[1], 0.5, 1e-15);
  EXPECT_EQ(s.wealth[2], 0.0);
  EXPECT_EQ(s.wealth[5], 0.0);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_EQ(s.metrics.total_return, -1.0);
}

TEST(RunBacktest, SeveralStrategiesShareThePeriods) {
  const TimeSeriesTable prices = ConstantReturns(0.01, -0.01, 30);
  auto result = RunBacktest(
      prices, {EqualWeightStrategy(), BuyAndHoldStrategy(), EqualWeightStrategy("only_a", {"A"})},
      {.window = 5, .rebalance = RebalanceSchedule::kPeriodic, .rebalance_every = 5});
  ASSERT_TRUE(result) << result.error().ToString();
  ASSERT_EQ(result->strategies.size(), 3u);
  EXPECT_EQ(result->strategies[2].assets, (std::vector<std::string>{"A"}));
  EXPECT_NEAR(result->strategies[2].metrics.total_return, std::pow(1.01, 24) - 1.0, 1e-13);
  for (const auto& s : result->strategies) EXPECT_EQ(s.wealth.size(), 25);
}

TEST(RunBacktest, RejectsMalformedRuns) {
  const TimeSeriesTable prices = ConstantReturns(0.01, 0.0, 10);
  EXPECT_EQ(RunBacktest(prices, {}, Periodic(2)).error().field(), "strategies");
  EXPECT_EQ(RunBacktest(prices, {EqualWeightStrategy("x"), BuyAndHoldStrategy("x")}, Periodic(2))
                .error()
                .field(),
            "strategies[1].name");
  EXPECT_EQ(
      RunBacktest(prices, {EqualWeightStrategy("x", {"A", "Q"})}, Periodic(2)).error().field(),
      "strategies[0].assets");
  auto too_long = RunBacktest(prices, {EqualWeightStrategy()}, Periodic(9));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().field(), "window");
  TimeSeriesTable bad = prices;
  bad.values(3, 1) = -1.0;
  EXPECT_EQ(RunBacktest(bad, {EqualWeightStrategy()}, Periodic(2)).error().field(), "prices");
}

TEST(RunBacktest, ReportsProgressOverAllStrategies) {
  const TimeSeriesTable prices = ConstantReturns(0.01, 0.0, 12);
  Index last_done = 0, last_total = 0;
  BacktestOptions options{.window = 2};
  options.rebalance = RebalanceSchedule::kPeriodic;
  options.progress = [&](Index done, Index total) {
    EXPECT_EQ(done, last_done + 1);
    last_done = done;
    last_total = total;
  };
  ASSERT_TRUE(RunBacktest(prices, {EqualWeightStrategy(), BuyAndHoldStrategy()}, options));
  EXPECT_EQ(last_total, 20);
  EXPECT_EQ(last_done, 20);
}

}  // namespace
}  // namespace pfopt
