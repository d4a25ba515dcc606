#include "services/common/request_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace pfopt::service {
namespace {

// `json` is rejected with an error on `field` whose message contains `message_part`; `label`
// names the case in failure messages.
void ExpectRejected(const std::string& json, const std::string& field,
                    const std::string& message_part, const std::string& label) {
  auto request = ParseOptimizationRequest(json);
  ASSERT_FALSE(request) << label;
  EXPECT_EQ(request.error().field(), field) << label;
  EXPECT_NE(request.error().message().find(message_part), std::string::npos)
      << label << " -> " << request.error().message();
}

constexpr const char* kFullRequest = R"({
  "portfolio_id": "portfolio_001",
  "strategies": [
    {"id": "strategy_momentum", "returns": [0.01, -0.002, null, 0.003], "expected_return": 0.12,
     "sector": "equity", "current_weight": 0.30, "market_cap": 1.2e9, "min_weight": 0.0,
     "max_weight": 0.4},
    {"id": "bonds", "returns": [0.001, 0.002, 0.0, -0.001], "sector": "bonds"}
  ],
  "objective": "max_sharpe",
  "method": "Mean-Variance",
  "constraints": {"min_weight": 0.0, "max_weight": 1.0, "sector_limits": {"equity": 0.6},
                  "sector_minimums": {"bonds": 0.1}, "turnover_limit": 0.2,
                  "leverage_limit": 1.5, "budget": 1.0},
  "risk_parameters": {"risk_free_rate": 0.01, "periods_per_year": 252,
    "expected_returns_estimator": "EMA", "covariance_estimator": "ledoit_wolf",
    "expected_returns": {"bonds": 0.03}, "risk_aversion": 2.0, "target_volatility": 0.15,
    "target_return": 0.12, "l2_gamma": 0.5, "risk_budgets": {"bonds": 0.5},
    "hrp_linkage": "SINGLE",
    "black_litterman": {"market_caps": {"bonds": 1e9}, "tau": 0.05, "market_returns": [0.0],
      "views": [{"assets": {"bonds": 1.0, "strategy_momentum": -1.0}, "return": 0.02,
                 "confidence": 0.6}], "omega": "PROPORTIONAL"},
    "robust": {"uncertainty": "ELLIPSOIDAL", "confidence": 0.95, "kappa": null},
    "cvar": {"alpha": 0.05},
    "objective_weights": {"return": 1.0, "variance": 1.0, "cvar": 0.0, "turnover": 0.0}}
})";

TEST(RequestJson, ParsesEveryFieldOfTheContract) {
  auto request = ParseOptimizationRequest(kFullRequest);
  ASSERT_TRUE(request) << request.error().ToString();
  EXPECT_EQ(request->portfolio_id, "portfolio_001");
  ASSERT_EQ(request->strategies.size(), 2u);
  const StrategyDefinition& s = request->strategies[0];
  EXPECT_EQ(s.id, "strategy_momentum");
  ASSERT_EQ(s.returns.size(), 4u);
  EXPECT_TRUE(std::isnan(s.returns[2]));  // null = missing, never 0
  EXPECT_EQ(*s.expected_return, 0.12);
  EXPECT_EQ(s.sector, "equity");
  EXPECT_EQ(*s.current_weight, 0.30);
  EXPECT_EQ(*s.market_cap, 1.2e9);
  EXPECT_EQ(*s.max_weight, 0.4);
  EXPECT_EQ(request->objective, RequestObjective::kMaxSharpe);  // case-insensitive
  EXPECT_EQ(request->method, RequestMethod::kMeanVariance);     // '-' as '_'
  EXPECT_EQ(request->constraints.sector_limits.at("equity"), 0.6);
  EXPECT_EQ(request->constraints.sector_minimums.at("bonds"), 0.1);
  EXPECT_EQ(*request->constraints.turnover_limit, 0.2);
  EXPECT_EQ(*request->constraints.leverage_limit, 1.5);
  const RiskParameters& r = request->risk_parameters;
  EXPECT_EQ(r.risk_free_rate, 0.01);
  EXPECT_EQ(r.expected_returns_estimator, ExpectedReturnsMethod::kEma);
  EXPECT_EQ(r.covariance_estimator, RiskModel::kLedoitWolf);
  EXPECT_EQ(r.expected_returns.at("bonds"), 0.03);
  EXPECT_EQ(*r.risk_aversion, 2.0);
  EXPECT_EQ(r.l2_gamma, 0.5);
  EXPECT_TRUE(r.black_litterman.present);
  ASSERT_EQ(r.black_litterman.views.size(), 1u);
  EXPECT_EQ(r.black_litterman.views[0].expected, 0.02);
  EXPECT_EQ(*r.black_litterman.views[0].confidence, 0.6);
  EXPECT_TRUE(r.robust.present);
  EXPECT_FALSE(r.robust.kappa.has_value());
  EXPECT_EQ(*r.cvar_alpha, 0.05);
  EXPECT_EQ(r.objective_weights.at("variance"), 1.0);
}

TEST(RequestJson, RoundTripsThroughJson) {
  auto request = ParseOptimizationRequest(kFullRequest);
  ASSERT_TRUE(request);
  const std::string text = OptimizationRequestToJson(*request).dump();
  auto again = ParseOptimizationRequest(text);
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(again->strategies[0].returns.size(), 4u);
  EXPECT_TRUE(std::isnan(again->strategies[0].returns[2]));
  EXPECT_EQ(again->strategies[1].sector, "bonds");
  EXPECT_EQ(again->risk_parameters.covariance_estimator, RiskModel::kLedoitWolf);
  EXPECT_EQ(*again->constraints.turnover_limit, 0.2);
}

struct BadCase {
  const char* json;
  const char* field;
  const char* message_part;
};

TEST(RequestJson, RejectsMalformedInputNamingTheField) {
  const BadCase cases[] = {
      {"{", "", "not valid JSON"},
      {"[]", "", "must be a JSON object"},
      {R"({"strategies": []})", "portfolio_id", "portfolio_id is required"},
      {R"({"portfolio_id": 7, "strategies": []})", "portfolio_id", "must be a string"},
      {R"({"portfolio_id": "p"})", "strategies", "strategies is required"},
      {R"({"portfolio_id": "p", "strategies": {}})", "strategies", "must be an array"},
      {R"({"portfolio_id": "p", "strategies": [{"returns": [1]}]})", "strategies[0].id",
       "required"},
      {R"({"portfolio_id": "p", "strategies": [{"id": "a", "returns": [0.1, "x"]}]})",
       "strategies[0].returns[1]", "must be a number"},
      {R"({"portfolio_id": "p", "strategies": [{"id": "a", "retrns": [0.1]}]})",
       "strategies[0].retrns", "unknown field 'retrns'"},
      {R"({"portfolio_id": "p", "strategies": [], "objective": "MAX_SHARP"})", "objective",
       "unknown objective 'MAX_SHARP'"},
      {R"({"portfolio_id": "p", "strategies": [], "method": 3})", "method", "must be a string"},
      {R"({"portfolio_id": "p", "strategies": [], "constraints": {"max_weigth": 1}})",
       "constraints.max_weigth", "unknown field"},
      {R"({"portfolio_id": "p", "strategies": [], "constraints": {"budget": true}})",
       "constraints.budget", "must be a number"},
      {R"({"portfolio_id": "p", "strategies": [], "risk_parameters": {"covariance": {"a": 1}}})",
       "risk_parameters.covariance.a", "must be an object"},
      {R"({"portfolio_id": "p", "strategies": [], "risk_parameters":
           {"covariance_estimator": "LEDOIT"}})",
       "risk_parameters.covariance_estimator", "unknown covariance estimator"},
      {R"({"portfolio_id": "p", "strategies": [], "risk_parameters":
           {"black_litterman": {"views": [{"assets": {"a": 1}}]}}})",
       "risk_parameters.black_litterman.views[0].return", "required"},
      {R"({"portfolio_id": "p", "strategies": [], "risk_parameters": {"compounding": 1}})",
       "risk_parameters.compounding", "must be a boolean"},
  };
  for (const BadCase& c : cases) ExpectRejected(c.json, c.field, c.message_part, c.json);
}

// Arrays of 16 numbers or more reach the decoder as the reader's plain vectors (json_parse.h):
// every field that takes an array of numbers reads them, with the same checks.
TEST(RequestJson, LongNumberArraysAreReadInEveryField) {
  auto numbers = [](int count, const std::string& at_5 = "") {
    std::string out = "[";
    for (int i = 0; i < count; ++i) {
      if (i != 0) out += ",";
      out += i == 5 && !at_5.empty() ? at_5 : std::to_string(0.5 + i);
    }
    return out + "]";
  };
  auto with_scenarios = [](const std::string& x0) {
    return R"({"portfolio_id": "p", "strategies": [{"id": "a"}], "scenarios": {"path": "c.npy",
              "method": "minimize_volatility", "x0": )" +
           x0 + "}}";
  };
  auto with_omega = [](const std::string& omega) {
    return R"({"portfolio_id": "p", "strategies": [{"id": "a"}], "risk_parameters":
              {"black_litterman": {"omega": )" +
           omega + "}}}";
  };
  auto x0 = ParseOptimizationRequest(with_scenarios(numbers(20)));
  ASSERT_TRUE(x0) << x0.error().ToString();
  ASSERT_EQ(x0->scenarios.x0.size(), 20u);
  EXPECT_EQ(x0->scenarios.x0[19], 19.5);
  auto diagonal = ParseOptimizationRequest(with_omega(numbers(18)));
  ASSERT_TRUE(diagonal) << diagonal.error().ToString();
  const auto& omega = diagonal->risk_parameters.black_litterman.omega_matrix;
  ASSERT_EQ(omega.size(), 18u);
  EXPECT_EQ(omega[17][17], 17.5);
  EXPECT_EQ(omega[17][16], 0.0);
  std::string matrix = "[";
  for (int r = 0; r < 17; ++r) matrix += (r == 0 ? "" : ",") + numbers(17);
  auto full = ParseOptimizationRequest(with_omega(matrix + "]"));
  ASSERT_TRUE(full) << full.error().ToString();
  ASSERT_EQ(full->risk_parameters.black_litterman.omega_matrix.size(), 17u);
  EXPECT_EQ(full->risk_parameters.black_litterman.omega_matrix[16][16], 16.5);

  std::string short_row = "[";
  for (int r = 0; r < 16; ++r) short_row += numbers(17) + ",";
  short_row += numbers(16) + "]";
  struct LongCase {
    const char* name;
    std::string json;
    const char* field;
    const char* message_part;
  };
  const LongCase cases[] = {
      {"null in x0", with_scenarios(numbers(20, "null")), "scenarios.x0[5]", "must be a number"},
      {"null in x0, short", with_scenarios(numbers(8, "null")), "scenarios.x0[5]",
       "must be a number"},
      {"null on the diagonal", with_omega(numbers(18, "null")),
       "risk_parameters.black_litterman.omega[5]", "must be a number"},
      {"short row", with_omega(short_row), "risk_parameters.black_litterman.omega[16]",
       "must be a square matrix: row 16 has 16 entries, expected 17"},
  };
  for (const LongCase& c : cases) ExpectRejected(c.json, c.field, c.message_part, c.name);
}

TEST(ResponseJson, KeepsRequestOrderAndWritesNullForMissingNumbers) {
  OptimizationResponse response;
  response.portfolio_id = "p";
  response.optimal_weights = {{"zeta", 0.7}, {"alpha", 0.3}};
  response.expected_return = 0.1;
  response.convergence_status = OptimizationStatus::kOptimal;
  const auto json = OptimizationResponseToJson(response);
  const std::string text = json.dump();
  EXPECT_LT(text.find("zeta"), text.find("alpha"));
  EXPECT_TRUE(json["expected_volatility"].is_null());
  EXPECT_TRUE(json["sharpe_ratio"].is_null());
  EXPECT_EQ(json["optimization_metadata"]["convergence_status"], "optimal");
}

TEST(ErrorJson, HasCodeMessageAndField) {
  const auto json = ErrorToJson(Error(ErrorCode::kInvalidArgument, "bad", "constraints.budget"));
  EXPECT_EQ(
      json.dump(),
      R"({"error":{"code":"INVALID_ARGUMENT","message":"bad","field":"constraints.budget"}})");
}

}  // namespace
}  // namespace pfopt::service
