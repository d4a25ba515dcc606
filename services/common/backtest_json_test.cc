#include "services/common/backtest_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "services/common/backtest_service.h"

namespace pfopt::service {
namespace {

constexpr const char* kRequest = R"({
  "backtest_id": "bt-1",
  "prices": {"index": ["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-06", "2020-01-07",
                       "2020-02-03", "2020-02-04"],
             "columns": ["A", "B", "C"],
             "data": [[10, 20, null], [10.5, 19.8, null], [10.2, 20.4, 5],
                      [10.4, 20.1, 5.1], [10.9, 20.0, 5.2], [11.0, 20.6, 5.0],
                      [11.3, 20.2, 5.3]]},
  "strategies": [
    {"name": "minvol", "type": "optimization",
     "request": {"portfolio_id": "p", "objective": "MIN_VOLATILITY",
                 "strategies": [{"id": "A"}, {"id": "B"}]}},
    {"type": "EQUAL_WEIGHT"},
    {"name": "bh", "type": "buy-and-hold", "assets": ["A", "C"]}
  ],
  "settings": {"window": 2, "window_type": "EXPANDING", "min_observations": 2,
               "rebalance": "periodic", "rebalance_every": 2, "drift_threshold": 0.1,
               "cost_bps": 10, "asset_cost_bps": {"A": 5}, "periods_per_year": 252,
               "risk_free_rate": 0.01, "cash_rate": 0.02, "start": "2020-01-03",
               "end": "2020-02-04"},
  "include_series": false
})";

TEST(BacktestJson, ParsesEveryField) {
  auto request = ParseBacktestRequest(kRequest);
  ASSERT_TRUE(request) << request.error().ToString();
  EXPECT_EQ(request->backtest_id, "bt-1");
  ASSERT_EQ(request->prices.num_periods(), 7);
  ASSERT_EQ(request->prices.num_assets(), 3);
  EXPECT_TRUE(std::isnan(request->prices.values(1, 2)));  // null = no price
  EXPECT_EQ(request->prices.values(6, 0), 11.3);
  ASSERT_EQ(request->strategies.size(), 3u);
  EXPECT_EQ(request->strategies[0].type, BacktestStrategyType::kOptimization);
  EXPECT_EQ(request->strategies[0].request.strategies.size(), 2u);
  EXPECT_EQ(request->strategies[1].type, BacktestStrategyType::kEqualWeight);
  EXPECT_EQ(request->strategies[2].assets, (std::vector<std::string>{"A", "C"}));
  const BacktestOptions& s = request->settings;
  EXPECT_EQ(s.window, 2);
  EXPECT_EQ(s.window_type, WindowType::kExpanding);
  EXPECT_EQ(*s.min_observations, 2);
  EXPECT_EQ(s.rebalance, RebalanceSchedule::kPeriodic);
  EXPECT_EQ(s.rebalance_every, 2);
  EXPECT_EQ(s.drift_threshold, 0.1);
  EXPECT_EQ(s.cost_bps, 10.0);
  EXPECT_EQ(s.asset_cost_bps.at("A"), 5.0);
  EXPECT_EQ(s.risk_free_rate, 0.01);
  EXPECT_EQ(s.cash_rate, 0.02);
  EXPECT_EQ(s.start, "2020-01-03");
  EXPECT_EQ(s.end, "2020-02-04");
  EXPECT_FALSE(request->include_series);
}

TEST(BacktestJson, RoundTripsThroughItsOwnOutput) {
  auto request = ParseBacktestRequest(kRequest);
  ASSERT_TRUE(request);
  const std::string text = BacktestRequestToJson(*request).dump();
  auto again = ParseBacktestRequest(text);
  ASSERT_TRUE(again) << again.error().ToString() << "\n" << text;
  EXPECT_EQ(BacktestRequestToJson(*again).dump(), text);
  EXPECT_EQ(again->prices.periods, request->prices.periods);
  EXPECT_TRUE(std::isnan(again->prices.values(0, 2)));
}

TEST(BacktestJson, AcceptsCsvPrices) {
  auto request = ParseBacktestRequest(R"({
    "prices_csv": "date,A,B\n2020-01-01,1,2\n2020-01-02,1.1,\n2020-01-03,1.2,2.2\n",
    "strategies": [{"type": "EQUAL_WEIGHT"}]})");
  ASSERT_TRUE(request) << request.error().ToString();
  EXPECT_EQ(request->prices.num_periods(), 3);
  EXPECT_TRUE(std::isnan(request->prices.values(1, 1)));
  EXPECT_EQ(request->settings.window, 252);  // defaults
}

TEST(BacktestJson, RejectsMalformedInputNamingTheField) {
  auto field_of = [](const std::string& text) {
    auto request = ParseBacktestRequest(text);
    return request ? std::string("(no error)") : request.error().field();
  };
  const std::string prices =
      R"("prices": {"index": ["a", "b"], "columns": ["A"], "data": [[1], [2]]})";
  const std::string ew = R"("strategies": [{"type": "EQUAL_WEIGHT"}])";
  EXPECT_EQ(field_of("{" + prices + "," + ew + R"(, "settings": {"windw": 3}})"), "settings.windw");
  EXPECT_EQ(field_of("{" + prices + "," + ew + R"(, "settings": {"window": 2.5}})"),
            "settings.window");
  EXPECT_EQ(field_of("{" + prices + "," + ew + R"(, "settings": {"window": 1}})"),
            "settings.window");
  EXPECT_EQ(field_of("{" + prices + "," + ew + R"(, "settings": {"rebalance": "weekly"}})"),
            "settings.rebalance");
  EXPECT_EQ(
      field_of(R"({"prices": {"index": ["a", "b"], "columns": ["A"], "data": [[1], [2, 3]]},)" +
               ew + "}"),
      "prices.data[1]");
  EXPECT_EQ(field_of(R"({"prices": {"index": ["a", "b"], "columns": ["A"], "data": [[1], [-2]]},)" +
                     ew + "}"),
            "prices.data[1][0]");
  EXPECT_EQ(field_of(R"({"prices": {"index": ["b", "a"], "columns": ["A"], "data": [[1], [2]]},)" +
                     ew + "}"),
            "prices.index[1]");
  EXPECT_EQ(field_of("{" + ew + "}"), "prices");
  EXPECT_EQ(field_of("{" + prices + R"(, "prices_csv": "date,A\na,1\n",)" + ew + "}"), "prices");
  EXPECT_EQ(field_of("{" + prices + R"(, "strategies": [{"type": "OPTIMIZATION"}]})"),
            "strategies[0].request");
  EXPECT_EQ(
      field_of("{" + prices + R"(, "strategies": [{"type": "EQUAL_WEIGHT", "request": {}}]})"),
      "strategies[0].request");
  EXPECT_EQ(field_of("{" + prices +
                     R"(, "strategies": [{"request": {"portfolio_id": "p", "strategies": [],
                        "objective": "MAX_SHARP"}}]})"),
            "strategies[0].request.objective");
  EXPECT_EQ(field_of("{" + prices + "," + ew + R"(, "include_series": 1})"), "include_series");
  EXPECT_EQ(field_of("[]"), "");
  auto broken = ParseBacktestRequest("{");
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().code(), ErrorCode::kParseError);
}

TEST(BacktestJson, ResponseCarriesTheSummaryAndOptionallyTheSeries) {
  auto request = ParseBacktestRequest(kRequest);
  ASSERT_TRUE(request);
  auto response = RunBacktestRequest(*request);
  ASSERT_TRUE(response) << response.error().ToString();
  const nlohmann::ordered_json summary = BacktestResponseToJson(*response, false);
  EXPECT_EQ(summary["backtest_id"], "bt-1");
  EXPECT_EQ(summary["start"], "2020-01-03");
  EXPECT_EQ(summary["end"], "2020-02-04");
  EXPECT_EQ(summary["periods"], 5);
  EXPECT_EQ(summary["settings"]["window_type"], "EXPANDING");
  ASSERT_EQ(summary["strategies"].size(), 3u);
  for (const auto& s : summary["strategies"]) {
    for (const char* key :
         {"name", "type", "total_return", "annual_return", "annual_volatility", "sharpe_ratio",
          "sortino_ratio", "max_drawdown", "calmar_ratio", "turnover", "annual_turnover", "costs",
          "hit_rate", "rebalances", "failed_rebalances", "failures"}) {
      EXPECT_TRUE(s.contains(key)) << key;
    }
    EXPECT_FALSE(s.contains("series"));
  }
  EXPECT_EQ(summary["strategies"][1]["name"], "equal_weight");
  EXPECT_EQ(summary["strategies"][2]["type"], "BUY_AND_HOLD");
  const double total = summary["strategies"][1]["total_return"].get<double>();
  EXPECT_EQ(total, response->result.strategies[1].metrics.total_return);

  const nlohmann::ordered_json full = BacktestResponseToJson(*response, true);
  const auto& series = full["strategies"][2]["series"];
  EXPECT_EQ(series["dates"].size(), 5u);
  EXPECT_EQ(series["wealth"][0], 1.0);
  EXPECT_EQ(series["weights"].size(), 5u);
  EXPECT_EQ(series["weights"][0].size(), 2u);  // A and C
  EXPECT_EQ(series["rebalances"][0]["outcome"], "traded");
}

}  // namespace
}  // namespace pfopt::service
