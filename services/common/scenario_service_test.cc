#include "services/common/scenario_service.h"

#include <gtest/gtest.h>

#include <string>

#include "services/common/optimization_service.h"
#include "services/common/request_json.h"
#include "support/reference_data.h"

namespace pfopt::service {
namespace {

using testing::ScenarioReference;

const char* kCube = "tests/data/scenario/cube_20x2000x6_seed7.npy";

std::string Strategies() {
  return R"([{"id": "a0"}, {"id": "a1"}, {"id": "a2"}, {"id": "a3"}, {"id": "a4"}, {"id": "a5"}])";
}

OptimizationRequest Parse(const std::string& text) {
  auto request = ParseOptimizationRequest(text);
  EXPECT_TRUE(request) << request.error().ToString();
  return request ? *request : OptimizationRequest();
}

double Expected(const char* name) {
  return ScenarioReference()["cases"][name]["high_accuracy"]["objective_value"].get<double>();
}

TEST(ScenarioRequest, MaximisesReturnsAtAVolatilityCap) {
  const OptimizationRequest request =
      Parse(R"({"portfolio_id": "cube", "strategies": )" + Strategies() +
            R"(, "scenarios": {"path": ")" + kCube + R"(", "time_unit": "quarterly",
      "optimizer": "portfolio", "method": "maximize_returns", "max_vol": 0.10}})");
  auto response = RunOptimization(request);
  ASSERT_TRUE(response) << response.error().ToString();
  ASSERT_EQ(response->convergence_status, OptimizationStatus::kOptimal) << response->message;
  EXPECT_NEAR(response->expected_return, Expected("P_max_ret_maxvol0.10"), 1e-10);
  EXPECT_NEAR(response->expected_volatility, 0.10, 1e-12);
  EXPECT_NEAR(response->objective_value, Expected("P_max_ret_maxvol0.10"), 1e-10);
  ASSERT_EQ(response->optimal_weights.size(), 6u);
  EXPECT_EQ(response->optimal_weights[2].first, "a2");
  EXPECT_TRUE(response->constraints_satisfied);
  EXPECT_EQ(response->objective, "maximize_returns");
  EXPECT_EQ(response->method, "SCENARIO");
  ASSERT_EQ(response->scenario_metrics.size(), 1u);
  EXPECT_EQ(response->scenario_metrics[0].first, "cvar");
  const auto json = OptimizationResponseToJson(*response);
  EXPECT_TRUE(json["optimization_metadata"]["scenario_metrics"].contains("cvar"));
}

TEST(ScenarioRequest, ActiveOptimiserTakesBoundsFromTheStrategies) {
  const OptimizationRequest request = Parse(R"({"portfolio_id": "active",
      "strategies": [{"id": "bench", "min_weight": 1, "max_weight": 1}, {"id": "s1"}, {"id": "s2"},
                     {"id": "s3"}, {"id": "s4"}, {"id": "s5"}],
      "constraints": {"min_weight": 0, "max_weight": 0.25},
      "scenarios": {"path": ")" + std::string(kCube) +
                                            R"(", "optimizer": "active",
                    "method": "maximize_eva", "max_vol": 0.03, "time_unit": 4}})");
  auto response = RunOptimization(request);
  ASSERT_TRUE(response) << response.error().ToString();
  ASSERT_EQ(response->convergence_status, OptimizationStatus::kOptimal) << response->message;
  EXPECT_NEAR(response->objective_value, Expected("A_max_eva_maxte0.03"), 1e-10);
  EXPECT_EQ(response->optimal_weights[0].second, 1.0);
  ASSERT_EQ(response->scenario_metrics.size(), 4u);
  EXPECT_EQ(response->scenario_metrics[1].first, "tracking_error");
  EXPECT_NEAR(response->scenario_metrics[1].second, 0.03, 1e-12);
}

TEST(ScenarioRequest, SectorLimitsAndBudgetBecomeLinearRows) {
  const OptimizationRequest request = Parse(R"({"portfolio_id": "sectors",
      "strategies": [{"id": "a0"}, {"id": "a1"}, {"id": "a2"}, {"id": "a3", "sector": "risky"},
                     {"id": "a4", "sector": "risky"}, {"id": "a5"}],
      "constraints": {"sector_limits": {"risky": 0.3}, "budget": 1.0},
      "scenarios": {"path": ")" + std::string(kCube) +
                                            R"(", "method": "maximize_returns",
                    "max_vol": 0.10}})");
  auto response = RunOptimization(request);
  ASSERT_TRUE(response) << response.error().ToString();
  ASSERT_EQ(response->convergence_status, OptimizationStatus::kOptimal);
  EXPECT_LE(response->optimal_weights[3].second + response->optimal_weights[4].second, 0.3 + 1e-12);
  double sum = 0.0;
  for (const auto& [id, w] : response->optimal_weights) sum += w;
  EXPECT_NEAR(sum, 1.0, 1e-12);
  EXPECT_LT(response->expected_return, Expected("P_max_ret_maxvol0.10"));
}

TEST(ScenarioRequest, InfeasibleCapIsAStatusWithTheReason) {
  const OptimizationRequest request = Parse(
      R"({"portfolio_id": "p", "strategies": )" + Strategies() + R"(, "scenarios": {"path": ")" +
      kCube + R"(", "method": "maximize_returns", "max_vol": 0.02}})");
  auto response = RunOptimization(request);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->convergence_status, OptimizationStatus::kInfeasible);
  EXPECT_TRUE(response->optimal_weights.empty());
  EXPECT_NE(response->message.find("volatility <= 0.02 cannot be met"), std::string::npos);
}

TEST(ScenarioRequest, RejectsBadRequestsNamingTheField) {
  struct Bad {
    std::string scenarios;  // the "scenarios" object, or a whole request when it starts with {"
    std::string field;
  };
  const std::string cube = std::string("\"") + kCube + "\"";
  const std::vector<Bad> parse_errors = {
      {R"({"method": "maximize_returns", "max_vol": 0.1})", "scenarios.path"},
      {R"({"path": )" + cube + "}", "scenarios.method"},
      {R"({"path": )" + cube + R"(, "method": "maximise"})", "scenarios.method"},
      {R"({"path": )" + cube + R"(, "method": "minimize_cvar", "time_unit": "weekly"})",
       "scenarios.time_unit"},
      {R"({"path": )" + cube + R"(, "method": "minimize_cvar", "optimiser": "active"})",
       "scenarios.optimiser"},
      {R"({"path": )" + cube + R"(, "method": "minimize_cvar", "rebalance": "yes"})",
       "scenarios.rebalance"},
  };
  for (const Bad& bad : parse_errors) {
    auto request =
        ParseOptimizationRequest(R"({"portfolio_id": "p", "strategies": )" + Strategies() +
                                 R"(, "scenarios": )" + bad.scenarios + "}");
    ASSERT_FALSE(request) << bad.field;
    EXPECT_EQ(request.error().field(), bad.field) << request.error().message();
  }
  const std::vector<Bad> run_errors = {
      {R"({"path": "/nonexistent.npy", "method": "minimize_cvar"})", "scenarios.path"},
      {R"({"path": )" + cube + R"(, "method": "maximize_returns"})", "scenarios.max_vol"},
      {R"({"path": )" + cube + R"(, "method": "maximize_eva", "max_vol": 0.1})",
       "scenarios.method"},
      {R"({"path": )" + cube + R"(, "method": "minimize_cvar", "time_unit": 3})",
       "scenarios.time_unit"},
  };
  for (const Bad& bad : run_errors) {
    auto response = RunOptimization(Parse(R"({"portfolio_id": "p", "strategies": )" + Strategies() +
                                          R"(, "scenarios": )" + bad.scenarios + "}"));
    ASSERT_FALSE(response) << bad.field;
    EXPECT_EQ(response.error().field(), bad.field) << response.error().message();
  }
  // Five strategies for six assets.
  auto count = RunOptimization(Parse(
      R"({"portfolio_id": "p", "strategies": [{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"},
      {"id": "e"}], "scenarios": {"path": )" +
      cube + R"(, "method": "minimize_cvar"}})"));
  ASSERT_FALSE(count);
  EXPECT_EQ(count.error().field(), "strategies");
  EXPECT_NE(count.error().message().find("has 6 assets"), std::string::npos)
      << count.error().message();
  // Histories and a cube together; turnover; a risk-free rate.
  auto history = RunOptimization(Parse(
      R"({"portfolio_id": "p", "strategies": [{"id": "a", "returns": [0.1, 0.2]}],
      "scenarios": {"path": )" +
      cube + R"(, "method": "minimize_cvar"}})"));
  ASSERT_FALSE(history);
  EXPECT_EQ(history.error().field(), "strategies[0]");
  auto turnover =
      RunOptimization(Parse(R"({"portfolio_id": "p", "strategies": )" + Strategies() +
                            R"(, "constraints": {"turnover_limit": 0.1}, "scenarios": {"path": )" +
                            cube + R"(, "method": "minimize_cvar"}})"));
  ASSERT_FALSE(turnover);
  EXPECT_EQ(turnover.error().code(), ErrorCode::kNotImplemented);
  auto rf = RunOptimization(
      Parse(R"({"portfolio_id": "p", "strategies": )" + Strategies() +
            R"(, "risk_parameters": {"risk_free_rate": 0.02}, "scenarios": {"path": )" + cube +
            R"(, "method": "maximize_sharpe_ratio"}})"));
  ASSERT_FALSE(rf);
  EXPECT_EQ(rf.error().field(), "risk_parameters.risk_free_rate");
  auto frontier =
      RunFrontier(Parse(R"({"portfolio_id": "p", "strategies": )" + Strategies() +
                        R"(, "scenarios": {"path": )" + cube + R"(, "method": "minimize_cvar"}})"),
                  5);
  ASSERT_FALSE(frontier);
  EXPECT_EQ(frontier.error().code(), ErrorCode::kInvalidArgument);
}

TEST(ScenarioRequest, RoundTripsThroughJson) {
  const OptimizationRequest request = Parse(
      R"({"portfolio_id": "p", "strategies": )" + Strategies() + R"(, "scenarios": {"path": ")" +
      kCube + R"(", "optimizer": "active", "method": "minimize_cvar", "min_ret": 0.01,
      "percentile": 10, "rebalance": true, "as_active_return": true, "time_unit": "monthly",
      "x0": [1, 0, 0, 0, 0, 0]}})");
  const auto json = OptimizationRequestToJson(request);
  auto again = ParseOptimizationRequest(json.dump());
  ASSERT_TRUE(again) << again.error().ToString();
  const ScenarioSettings& a = request.scenarios;
  const ScenarioSettings& b = again->scenarios;
  EXPECT_EQ(b.path, a.path);
  EXPECT_EQ(b.time_unit, 12);
  EXPECT_EQ(b.optimizer, scenario::OptimizerKind::kActive);
  EXPECT_EQ(*b.method, scenario::ScenarioMethod::kMinimizeCvar);
  EXPECT_EQ(*b.min_ret, 0.01);
  EXPECT_EQ(*b.percentile, 10.0);
  EXPECT_TRUE(b.rebalance);
  EXPECT_TRUE(*b.as_active_return);
  EXPECT_EQ(b.x0, a.x0);
}

}  // namespace
}  // namespace pfopt::service
