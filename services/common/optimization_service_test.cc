#include "services/common/optimization_service.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>

#include "services/common/request_json.h"
#include "services/common/testing/stock_request.h"
#include "support/reference_data.h"

namespace pfopt::service {
namespace {

using testing::StockRequest;

// Two assets with given mu and Sigma.
OptimizationRequest TwoAssetRequest() {
  auto request = ParseOptimizationRequest(R"({
    "portfolio_id": "two",
    "strategies": [{"id": "A", "expected_return": 0.10}, {"id": "B", "expected_return": 0.05}],
    "objective": "MIN_VOLATILITY",
    "risk_parameters": {"covariance": {"A": {"A": 0.04, "B": 0.01}, "B": {"B": 0.09}}}})");
  EXPECT_TRUE(request);
  return *request;
}

// A max Sharpe problem on which block additions once made the dual active-set method cycle
// until its iteration limit (tests/data/qp/README.md). The answer must be optimal, feasible,
// and equal to the classical one-constraint-at-a-time method's.
TEST(RunOptimization, MaxSharpeWithTurnoverFromDriftedWeightsDoesNotCycle) {
  std::ifstream file(std::string(PFOPT_TEST_DATA_DIR) + "/qp/max_sharpe_turnover_cycling.json");
  ASSERT_TRUE(file) << "missing tests/data/qp/max_sharpe_turnover_cycling.json";
  std::stringstream text;
  text << file.rdbuf();
  auto request = ParseOptimizationRequest(text.str());
  ASSERT_TRUE(request) << request.error().ToString();
  auto prepared = PrepareProblem(*request);
  ASSERT_TRUE(prepared) << prepared.error().ToString();

  auto blocked = OptimizeMeanVariance(prepared->problem, prepared->options);
  ASSERT_TRUE(blocked);
  ASSERT_EQ(blocked->status, OptimizationStatus::kOptimal) << blocked->message;
  EXPECT_TRUE(blocked->constraints_satisfied);
  EXPECT_LE(blocked->iterations, 400);

  MeanVarianceOptions classical = prepared->options;
  classical.qp.block_addition_threshold = 1.0;
  auto single = OptimizeMeanVariance(prepared->problem, classical);
  ASSERT_TRUE(single);
  ASSERT_EQ(single->status, OptimizationStatus::kOptimal) << single->message;
  EXPECT_LE((blocked->weights - single->weights).cwiseAbs().maxCoeff(), 1e-9);
  EXPECT_NEAR(blocked->performance.sharpe_ratio, single->performance.sharpe_ratio, 1e-10);
  // The turnover limit binds: sum |w - w0| = 0.2.
  Vector current(prepared->problem.num_assets());
  for (std::size_t i = 0; i < request->strategies.size(); ++i) {
    current[static_cast<Index>(i)] = request->strategies[i].current_weight.value_or(0.0);
  }
  EXPECT_NEAR((blocked->weights - current).cwiseAbs().sum(), 0.2, 1e-9);
}

TEST(RunOptimization, ReproducesPyPortfolioOptFromPriceHistories) {
  // max_sharpe(rf = 0.02), long-only, mean historical return + sample covariance: the first
  // test of PyPortfolioOpt's suite, from the raw prices through our estimators.
  OptimizationRequest request = StockRequest(RequestObjective::kMaxSharpe);
  request.risk_parameters.risk_free_rate = 0.02;
  auto response = RunOptimization(request);
  ASSERT_TRUE(response) << response.error().ToString();
  ASSERT_EQ(response->convergence_status, OptimizationStatus::kOptimal) << response->message;
  EXPECT_NEAR(response->expected_return, 0.30477686728199166, 1e-9);
  EXPECT_NEAR(response->expected_volatility, 0.2216556692240295, 1e-9);
  EXPECT_NEAR(response->sharpe_ratio, 1.284771412700322, 1e-9);
  EXPECT_TRUE(response->constraints_satisfied);
  ASSERT_EQ(response->optimal_weights.size(), 20u);
  EXPECT_EQ(response->optimal_weights[0].first, "GOOG");  // request order
  EXPECT_GT(response->optimization_time_ms, 0.0);
}

TEST(RunOptimization, UsesGivenExpectedReturnsAndCovariance) {
  auto response = RunOptimization(TwoAssetRequest());
  ASSERT_TRUE(response) << response.error().ToString();
  ASSERT_EQ(response->convergence_status, OptimizationStatus::kOptimal);
  // Two-asset minimum variance: w_A = (s_BB - s_AB) / (s_AA + s_BB - 2 s_AB) = 0.08 / 0.11.
  EXPECT_NEAR(response->optimal_weights[0].second, 0.08 / 0.11, 1e-14);
  EXPECT_NEAR(response->expected_return, 0.10 * 0.08 / 0.11 + 0.05 * 0.03 / 0.11, 1e-14);
}

TEST(RunOptimization, PerStrategyBoundsOverrideGlobalOnes) {
  OptimizationRequest request = TwoAssetRequest();
  request.constraints.max_weight = 0.9;
  request.strategies[0].max_weight = 0.5;
  auto response = RunOptimization(request);
  ASSERT_TRUE(response);
  EXPECT_NEAR(response->optimal_weights[0].second, 0.5, 1e-14);
}

TEST(RunOptimization, RepairsANonPsdCovarianceWithAWarning) {
  OptimizationRequest request = TwoAssetRequest();
  request.risk_parameters.covariance = {{"A", {{"A", 0.04}, {"B", 0.07}}}, {"B", {{"B", 0.09}}}};
  auto response = RunOptimization(request);
  ASSERT_TRUE(response) << response.error().ToString();
  ASSERT_FALSE(response->warnings.empty());
  EXPECT_NE(response->warnings[0].find("not positive semidefinite"), std::string::npos);
}

TEST(RunOptimization, InfeasibleRequestNamesConflictingGroups) {
  OptimizationRequest request = StockRequest(RequestObjective::kMinVolatility);
  request.constraints.max_weight = 0.04;
  auto response = RunOptimization(request);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->convergence_status, OptimizationStatus::kInfeasible);
  EXPECT_EQ(response->conflicting_constraints, (std::vector<std::string>{"bounds", "budget"}));
  EXPECT_TRUE(response->optimal_weights.empty());
}

struct BadRequest {
  const char* name;
  std::function<void(OptimizationRequest*)> mutate;
  const char* field;
  const char* message_part;
};

TEST(RunOptimization, RejectsInconsistentRequestsNamingTheField) {
  const BadRequest cases[] = {
      {"empty id", [](OptimizationRequest* r) { r->portfolio_id = ""; }, "portfolio_id",
       "1 to 100"},
      {"long id", [](OptimizationRequest* r) { r->portfolio_id = std::string(101, 'x'); },
       "portfolio_id", "1 to 100"},
      {"duplicate", [](OptimizationRequest* r) { r->strategies[1].id = r->strategies[0].id; },
       "strategies[1].id", "must be unique"},
      {"no strategies", [](OptimizationRequest* r) { r->strategies.clear(); }, "strategies",
       "at least one"},
      {"unequal histories", [](OptimizationRequest* r) { r->strategies[3].prices.pop_back(); },
       "strategies[3].prices", "aligned in time"},
      {"negative price", [](OptimizationRequest* r) { r->strategies[2].prices[100] = -1.0; },
       "strategies[2].prices[100]", "not positive"},
      {"mixed kinds",
       [](OptimizationRequest* r) {
         r->strategies[1].returns = std::vector<double>(r->strategies[1].prices.size(), 0.0);
         r->strategies[1].prices.clear();
       },
       "strategies[1].returns", "use one kind"},
      {"one price",
       [](OptimizationRequest* r) {
         for (auto& s : r->strategies) s.prices.resize(1);
       },
       "strategies[0].prices", "at least 2"},
      {"min > max",
       [](OptimizationRequest* r) {
         r->strategies[4].min_weight = 0.9;
         r->strategies[4].max_weight = 0.1;
       },
       "strategies[4].min_weight", "greater than max_weight"},
      {"global min > max",
       [](OptimizationRequest* r) {
         r->constraints.min_weight = 0.5;
         r->constraints.max_weight = 0.1;
       },
       "constraints.min_weight", "greater than max_weight"},
      {"unknown sector", [](OptimizationRequest* r) { r->constraints.sector_limits["tech"] = 0.3; },
       "constraints.sector_limits.tech", "no strategy has that sector"},
      {"robust set without the robust method",
       [](OptimizationRequest* r) { r->risk_parameters.robust.present = true; },
       "risk_parameters.robust", "used only by method ROBUST_OPTIMIZATION"},
      {"risk parity method with a mean-variance objective",
       [](OptimizationRequest* r) { r->method = RequestMethod::kRiskParity; }, "objective",
       "takes objective RISK_PARITY"},
      {"target",
       [](OptimizationRequest* r) {
         r->objective = RequestObjective::kEfficientReturn;
         r->risk_parameters.target_return = 0.9;
       },
       "risk_parameters.target_return", "maximum attainable return"},
      {"no target", [](OptimizationRequest* r) { r->objective = RequestObjective::kEfficientRisk; },
       "risk_parameters.target_volatility", "needs a target_volatility"},
      {"risk aversion",
       [](OptimizationRequest* r) {
         r->objective = RequestObjective::kMaxUtility;
         r->risk_parameters.risk_aversion = -1.0;
       },
       "risk_parameters.risk_aversion", "> 0"},
      {"periods", [](OptimizationRequest* r) { r->risk_parameters.periods_per_year = 0.0; },
       "risk_parameters.periods_per_year", "> 0"},
      {"unknown expected return id",
       [](OptimizationRequest* r) { r->risk_parameters.expected_returns["XYZ"] = 0.1; },
       "risk_parameters.expected_returns.XYZ", "not a strategy id"},
  };
  for (const BadRequest& c : cases) {
    OptimizationRequest request = StockRequest(RequestObjective::kMaxSharpe);
    c.mutate(&request);
    auto response = RunOptimization(request);
    ASSERT_FALSE(response) << c.name;
    EXPECT_EQ(response.error().field(), c.field) << c.name << ": " << response.error().message();
    EXPECT_NE(response.error().message().find(c.message_part), std::string::npos)
        << c.name << ": " << response.error().message();
  }
}

// Three strategies x 12 periods of seeded returns with CAPM expected returns over a market.
OptimizationRequest ReturnsRequest() {
  OptimizationRequest request;
  request.portfolio_id = "returns";
  request.objective = RequestObjective::kMaxSharpe;
  std::mt19937_64 generator(7);
  std::normal_distribution<double> noise(0.001, 0.01);
  for (const char* id : {"A", "B", "C"}) {
    StrategyDefinition s;
    s.id = id;
    for (int t = 0; t < 12; ++t) s.returns.push_back(noise(generator));
    request.strategies.push_back(std::move(s));
  }
  for (int t = 0; t < 12; ++t) request.risk_parameters.market_returns.push_back(noise(generator));
  request.risk_parameters.expected_returns_estimator = ExpectedReturnsMethod::kCapm;
  return request;
}

TEST(PrepareProblem, NamesTheFirstReturnOfMinus100PercentOrBelow) {
  OptimizationRequest request = ReturnsRequest();
  request.strategies[0].returns[4] = kNaN;  // missing: fine
  request.strategies[2].returns[1] = -1.0;
  request.strategies[1].returns[9] = -2.5;
  request.strategies[1].returns[10] = -1.0;
  auto prepared = PrepareProblem(request);
  ASSERT_FALSE(prepared);
  EXPECT_EQ(prepared.error().field(), "strategies[1].returns[9]");
  EXPECT_EQ(prepared.error().message(), "return -2.5 of strategy 'B' is -100 % or below");
  request.strategies[1].returns[9] = request.strategies[1].returns[10] = -0.99;
  prepared = PrepareProblem(request);
  ASSERT_FALSE(prepared);
  EXPECT_EQ(prepared.error().field(), "strategies[2].returns[1]");
}

// A period missing for every strategy is dropped, with its market return: the estimates are
// those of the histories without it.
TEST(PrepareProblem, DropsPeriodsMissingForEveryStrategy) {
  const OptimizationRequest without = ReturnsRequest();
  OptimizationRequest with = without;
  for (auto& s : with.strategies) s.returns.insert(s.returns.begin() + 5, kNaN);
  auto& market = with.risk_parameters.market_returns;
  market.insert(market.begin() + 5, 0.5);
  with.strategies[0].returns[8] = kNaN;  // missing for one strategy only: kept
  OptimizationRequest reference = without;
  reference.strategies[0].returns[7] = kNaN;
  auto a = PrepareProblem(with);
  auto b = PrepareProblem(reference);
  ASSERT_TRUE(a) << a.error().ToString();
  ASSERT_TRUE(b) << b.error().ToString();
  EXPECT_EQ(a->history_periods, 12);
  EXPECT_EQ(a->problem.expected_returns, b->problem.expected_returns);
  EXPECT_EQ(a->problem.covariance, b->problem.covariance);
  // Without missing values the histories are used as they are.
  auto c = PrepareProblem(without);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->history_periods, 12);
}

TEST(RunOptimization, RejectsBadGivenCovariance) {
  OptimizationRequest request = TwoAssetRequest();
  request.risk_parameters.covariance = {{"A", {{"A", 0.04}, {"B", 0.01}}},
                                        {"B", {{"A", 0.02}, {"B", 0.09}}}};
  auto response = RunOptimization(request);
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message().find("not symmetric"), std::string::npos);

  request.risk_parameters.covariance = {{"A", {{"A", -0.04}, {"B", 0.01}}}, {"B", {{"B", 0.09}}}};
  response = RunOptimization(request);
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message().find("cannot be negative"), std::string::npos);

  request.risk_parameters.covariance = {{"A", {{"A", 0.04}}}, {"B", {{"B", 0.09}}}};
  response = RunOptimization(request);
  ASSERT_FALSE(response);
  EXPECT_NE(response.error().message().find("no entry for (A, B)"), std::string::npos);
}

TEST(RunFrontier, TracesIncreasingReturnAndVolatility) {
  OptimizationRequest request = StockRequest(RequestObjective::kMaxSharpe);
  auto frontier = RunFrontier(request, 8);
  ASSERT_TRUE(frontier) << frontier.error().ToString();
  ASSERT_EQ(frontier->status, OptimizationStatus::kOptimal);
  ASSERT_EQ(frontier->points.size(), 8u);
  for (std::size_t k = 1; k < frontier->points.size(); ++k) {
    EXPECT_GT(frontier->points[k].performance.expected_return,
              frontier->points[k - 1].performance.expected_return);
    EXPECT_GE(frontier->points[k].performance.volatility,
              frontier->points[k - 1].performance.volatility - 1e-12);
  }
  // First point: the minimum-volatility portfolio of PyPortfolioOpt's tests.
  EXPECT_NEAR(frontier->points.front().performance.volatility, 0.15915084514118683, 1e-10);
}

}  // namespace
}  // namespace pfopt::service
