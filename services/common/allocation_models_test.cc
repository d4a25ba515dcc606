#include "services/common/allocation_models.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "pfopt/data/returns.h"
#include "pfopt/optimize/black_litterman.h"
#include "services/common/optimization_service.h"
#include "services/common/request_json.h"
#include "services/common/testing/stock_request.h"
#include "support/reference_data.h"

namespace pfopt::service {
namespace {

using testing::StockRequest;

using testing::JsonMatrix;
using testing::JsonVector;
using testing::PypfoptReference;
using testing::Tickers;
using testing::TickerVector;

// The same strategies with the reference sample covariance given instead of histories.
OptimizationRequest GivenCovarianceRequest(RequestMethod method, RequestObjective objective) {
  OptimizationRequest request;
  request.portfolio_id = "given";
  request.method = method;
  request.objective = objective;
  const Matrix sigma = JsonMatrix(PypfoptReference()["risk_models"]["sample_cov"]["values"]);
  const auto& tickers = Tickers();
  for (std::size_t i = 0; i < tickers.size(); ++i) {
    StrategyDefinition s;
    s.id = tickers[i];
    request.strategies.push_back(s);
    for (std::size_t j = 0; j < tickers.size(); ++j) {
      request.risk_parameters.covariance[tickers[i]][tickers[j]] =
          sigma(static_cast<Index>(i), static_cast<Index>(j));
    }
  }
  return request;
}

PortfolioProblem GivenProblem() {
  PortfolioProblem problem;
  problem.assets = Tickers();
  problem.covariance = JsonMatrix(PypfoptReference()["risk_models"]["sample_cov"]["values"]);
  return problem;
}

Vector Weights(const OptimizationResponse& response) {
  Vector w(static_cast<Index>(response.optimal_weights.size()));
  for (std::size_t i = 0; i < response.optimal_weights.size(); ++i) {
    w[static_cast<Index>(i)] = response.optimal_weights[i].second;
  }
  return w;
}

void ExpectError(const OptimizationRequest& request, const std::string& field,
                 const std::string& needle) {
  auto response = RunOptimization(request);
  ASSERT_FALSE(response.has_value()) << "expected an error naming " << field;
  EXPECT_EQ(response.error().field(), field) << response.error().ToString();
  EXPECT_NE(response.error().message().find(needle), std::string::npos)
      << response.error().message();
}

// HRPOpt(returns) of PyPortfolioOpt, through the request path from the raw prices: the
// pairwise correlation and covariance of PrepareProblem, every linkage.
TEST(AllocationModels, HierarchicalRiskParityFromPricesMatchesPyPortfolioOpt) {
  for (const char* linkage : {"single", "average", "complete", "ward"}) {
    SCOPED_TRACE(linkage);
    OptimizationRequest request =
        StockRequest(RequestObjective::kRiskParity, RequestMethod::kHierarchicalRiskParity);
    request.risk_parameters.hrp_linkage = linkage;
    auto response = RunOptimization(request);
    ASSERT_TRUE(response.has_value()) << response.error().ToString();
    ASSERT_EQ(response->convergence_status, OptimizationStatus::kOptimal);
    EXPECT_TRUE(response->constraints_satisfied);
    const Vector expected = TickerVector(PypfoptReference()["hrp"][linkage]["weights"], Tickers());
    EXPECT_LE((Weights(*response) - expected).cwiseAbs().maxCoeff(), 1e-12);
  }
}

TEST(AllocationModels, RiskParityMethodAndObjectiveAgreeWithScipy) {
  const nlohmann::json reference = testing::ReadJsonFile("tests/data/risk_parity/reference.json");
  for (const auto& c : reference["unbounded"]) {
    if (c["name"] != "stock_sample_cov_unequal") continue;
    const Vector budgets = JsonVector(c["budgets"]);
    const Vector expected = JsonVector(c["weights"]);
    for (auto [method, objective] :
         {std::pair{RequestMethod::kRiskParity, RequestObjective::kRiskParity},
          std::pair{RequestMethod::kMeanVariance, RequestObjective::kRiskParity}}) {
      OptimizationRequest request = GivenCovarianceRequest(method, objective);
      for (std::size_t i = 0; i < request.strategies.size(); ++i) {
        request.risk_parameters.risk_budgets[request.strategies[i].id] =
            3.0 * budgets[static_cast<Index>(i)];  // budgets are normalised
      }
      auto response = RunOptimization(request);
      ASSERT_TRUE(response.has_value()) << response.error().ToString();
      ASSERT_EQ(response->convergence_status, OptimizationStatus::kOptimal);
      EXPECT_LE((Weights(*response) - expected).cwiseAbs().maxCoeff(), 1e-11);
      ASSERT_EQ(response->risk_contributions.size(), 20u);
      for (std::size_t i = 0; i < 20; ++i) {
        EXPECT_NEAR(response->risk_contributions[i].second, budgets[static_cast<Index>(i)], 1e-10);
      }
      EXPECT_LE(response->objective_value, 1e-10);
    }
  }
}

// BlackLittermanModel(sample_cov, pi = market prior (mcaps, delta(SPY, rf 0.02), rf 0.02),
// absolute_views = {GOOG: 0.4, AAPL: -0.3, FB: 0.3, BABA: 0}) and bl_weights(delta), through the
// request path: prices, market caps, SPY returns for delta.
TEST(AllocationModels, BlackLittermanFromPricesMatchesPyPortfolioOpt) {
  OptimizationRequest request =
      StockRequest(RequestObjective::kMaxUtility, RequestMethod::kBlackLitterman);
  const nlohmann::json caps = testing::ReadJsonFile("tests/data/black_litterman/market_caps.json");
  for (auto& s : request.strategies) s.market_cap = caps[s.id].get<double>();
  RiskParameters& rp = request.risk_parameters;
  rp.risk_free_rate = 0.02;
  BlackLittermanParameters& bl = rp.black_litterman;
  bl.present = true;
  bl.absolute_views = {{"GOOG", 0.4}, {"AAPL", -0.3}, {"FB", 0.3}, {"BABA", 0.0}};
  auto spy = ReturnsFromPrices(testing::SpyPrices());
  ASSERT_TRUE(spy.has_value());
  for (Index t = 0; t < spy->values.rows(); ++t) bl.market_returns.push_back(spy->values(t, 0));
  bl.weights = "CLOSED_FORM";
  auto response = RunOptimization(request);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  ASSERT_EQ(response->convergence_status, OptimizationStatus::kOptimal);
  const auto& ref = PypfoptReference()["black_litterman"]["market_prior_4views_sample_cov"];
  const Vector mu = TickerVector(ref["posterior_returns"], Tickers());
  ASSERT_EQ(response->posterior_expected_returns.size(), 20u);
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_NEAR(response->posterior_expected_returns[i].second, mu[static_cast<Index>(i)], 1e-9);
  }
  const Vector weights = TickerVector(ref["weights_raw"], Tickers());
  EXPECT_LE((Weights(*response) - weights).cwiseAbs().maxCoeff(), 1e-8);
  const auto& perf = ref["performance_rf0.02"];
  EXPECT_NEAR(response->expected_return, perf[0].get<double>(), 1e-9);
  EXPECT_NEAR(response->expected_volatility, perf[1].get<double>(), 1e-9);
  EXPECT_NEAR(response->sharpe_ratio, perf[2].get<double>(), 1e-8);

  // The posterior feeds a constrained objective too: long-only max Sharpe on (mu_BL, Sigma_BL).
  bl.weights.clear();
  request.objective = RequestObjective::kMaxSharpe;
  request.constraints.max_weight = 0.3;
  auto constrained = RunOptimization(request);
  ASSERT_TRUE(constrained.has_value()) << constrained.error().ToString();
  ASSERT_EQ(constrained->convergence_status, OptimizationStatus::kOptimal);
  EXPECT_TRUE(constrained->constraints_satisfied);
  EXPECT_LE(Weights(*constrained).maxCoeff(), 0.3 + 1e-12);
  EXPECT_NEAR(Weights(*constrained).sum(), 1.0, 1e-12);
}

// Objective RISK_PARITY with BLACK_LITTERMAN budgets risk under the posterior covariance; the
// frontier of a BLACK_LITTERMAN request is the posterior's.
TEST(AllocationModels, BlackLittermanPosteriorFeedsRiskParityAndTheFrontier) {
  OptimizationRequest request =
      GivenCovarianceRequest(RequestMethod::kBlackLitterman, RequestObjective::kRiskParity);
  BlackLittermanParameters& bl = request.risk_parameters.black_litterman;
  bl.present = true;
  bl.prior_source = "ZERO";
  bl.absolute_views = {{"AAPL", 0.2}, {"XOM", 0.05}};
  auto response = RunOptimization(request);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  ASSERT_EQ(response->convergence_status, OptimizationStatus::kOptimal);
  // Independently: the posterior covariance, then risk parity on it.
  const Matrix sigma = JsonMatrix(PypfoptReference()["risk_models"]["sample_cov"]["values"]);
  Matrix p = Matrix::Zero(2, 20);
  p(0, 1) = 1.0;   // AAPL
  p(1, 13) = 1.0;  // XOM
  Vector q(2);
  q << 0.2, 0.05;
  auto posterior = ComputeBlackLittermanPosterior(sigma, Vector::Zero(20), p, q);
  ASSERT_TRUE(posterior.has_value());
  PortfolioProblem problem;
  problem.assets = Tickers();
  problem.covariance = posterior->covariance;
  auto expected = OptimizeRiskParity(problem);
  ASSERT_TRUE(expected.has_value());
  EXPECT_LE((Weights(*response) - expected->weights).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_GT((expected->weights - OptimizeRiskParity(GivenProblem())->weights).cwiseAbs().maxCoeff(),
            1e-6);  // the posterior covariance is not the prior one

  request.objective = RequestObjective::kMaxSharpe;
  auto frontier = RunFrontier(request, 5);
  ASSERT_TRUE(frontier.has_value()) << frontier.error().ToString();
  ASSERT_EQ(frontier->points.size(), 5u);
  // The top of the frontier is the maximum posterior return: all in AAPL (0.2 is the largest).
  EXPECT_NEAR(frontier->points.back().performance.expected_return,
              posterior->expected_returns.maxCoeff(), 1e-9);
  request.method = RequestMethod::kRiskParity;
  request.risk_parameters.black_litterman = {};
  auto no_frontier = RunFrontier(request, 5);
  ASSERT_FALSE(no_frontier.has_value());
  EXPECT_EQ(no_frontier.error().field(), "method");
}

// Idzorek confidences and relative views through JSON.
TEST(AllocationModels, BlackLittermanJsonWithRelativeViewsAndIdzorek) {
  auto request = ParseOptimizationRequest(R"({
    "portfolio_id": "bl",
    "strategies": [{"id": "A", "market_cap": 3e9}, {"id": "B", "market_cap": 1e9},
                   {"id": "C", "market_cap": 1e9}],
    "method": "BLACK_LITTERMAN", "objective": "MIN_VOLATILITY",
    "risk_parameters": {
      "risk_aversion": 2.5,
      "covariance": {"A": {"A": 0.04, "B": 0.01, "C": 0.0}, "B": {"B": 0.09, "C": 0.02},
                     "C": {"C": 0.0625}},
      "black_litterman": {"omega": "IDZOREK", "confidence": 0.5,
        "views": [{"assets": {"A": 1, "B": -1}, "return": 0.02, "confidence": 1.0}],
        "absolute_views": {"C": 0.07}}}})");
  ASSERT_TRUE(request.has_value()) << request.error().ToString();
  auto response = RunOptimization(*request);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  ASSERT_EQ(response->posterior_expected_returns.size(), 3u);
  // The exact relative view holds in the posterior.
  EXPECT_NEAR(response->posterior_expected_returns[0].second -
                  response->posterior_expected_returns[1].second,
              0.02, 1e-15);
  // Round trip of the new fields.
  auto again = ParseOptimizationRequest(OptimizationRequestToJson(*request).dump());
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ(again->risk_parameters.black_litterman.absolute_views.at("C"), 0.07);
  EXPECT_EQ(again->risk_parameters.black_litterman.confidence, 0.5);
  EXPECT_EQ(again->risk_parameters.black_litterman.omega, "IDZOREK");
  auto rerun = RunOptimization(*again);
  ASSERT_TRUE(rerun.has_value());
  EXPECT_EQ(Weights(*rerun), Weights(*response));
}

TEST(AllocationModels, JsonDefaultsTheObjectiveOfRiskParityMethods) {
  auto request = ParseOptimizationRequest(R"({"portfolio_id": "p", "method": "RISK_PARITY",
    "strategies": [{"id": "A"}, {"id": "B"}],
    "risk_parameters": {"covariance": {"A": {"A": 0.04, "B": 0.0}, "B": {"B": 0.01}}}})");
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->objective, RequestObjective::kRiskParity);
  auto response = RunOptimization(*request);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  EXPECT_NEAR(response->optimal_weights[0].second, 1.0 / 3.0, 1e-14);
  EXPECT_TRUE(std::isnan(response->expected_return));  // no expected returns given
}

TEST(AllocationModels, BoundsForRiskParityAndHrp) {
  OptimizationRequest request =
      GivenCovarianceRequest(RequestMethod::kRiskParity, RequestObjective::kRiskParity);
  request.constraints.max_weight = 0.06;
  auto rp = RunOptimization(request);
  ASSERT_TRUE(rp.has_value()) << rp.error().ToString();
  ASSERT_EQ(rp->convergence_status, OptimizationStatus::kOptimal);
  EXPECT_LE(Weights(*rp).maxCoeff(), 0.06 + 1e-12);
  request.method = RequestMethod::kHierarchicalRiskParity;
  auto hrp = RunOptimization(request);
  ASSERT_TRUE(hrp.has_value()) << hrp.error().ToString();
  EXPECT_LE(Weights(*hrp).maxCoeff(), 0.06 + 1e-12);
  request.constraints.max_weight = 0.04;
  auto infeasible = RunOptimization(request);
  ASSERT_TRUE(infeasible.has_value());
  EXPECT_EQ(infeasible->convergence_status, OptimizationStatus::kInfeasible);
  EXPECT_EQ(infeasible->conflicting_constraints.size(), 2u);
}

TEST(AllocationModels, RejectsWhatAMethodCannotHonour) {
  auto rp = [] {
    return GivenCovarianceRequest(RequestMethod::kRiskParity, RequestObjective::kRiskParity);
  };
  OptimizationRequest r = rp();
  r.constraints.sector_limits = {{"tech", 0.3}};
  r.strategies[0].sector = "tech";
  ExpectError(r, "constraints.sector_limits", "cannot honour sector limits");
  r = rp();
  r.constraints.turnover_limit = 0.1;
  ExpectError(r, "constraints.turnover_limit", "turnover");
  r = rp();
  r.constraints.leverage_limit = 1.5;
  ExpectError(r, "constraints.leverage_limit", "leverage");
  r = rp();
  r.strategies[2].min_weight = -0.1;
  ExpectError(r, "strategies[2].min_weight", "long-only");
  r = rp();
  r.constraints.budget = 0.0;
  ExpectError(r, "constraints.budget", "positive budget");
  r = rp();
  r.objective = RequestObjective::kMaxSharpe;
  ExpectError(r, "objective", "takes objective RISK_PARITY");
  r = rp();
  r.risk_parameters.target_volatility = 0.1;
  ExpectError(r, "risk_parameters.target_volatility", "no volatility target");
  r = rp();
  r.risk_parameters.risk_budgets = {{"GOOG", 1.0}};
  ExpectError(r, "risk_parameters.risk_budgets", "'AAPL'");
  r = rp();
  r.risk_parameters.risk_budgets = {{"NOPE", 1.0}};
  ExpectError(r, "risk_parameters.risk_budgets.NOPE", "not a strategy id");
  r = rp();
  r.risk_parameters.hrp_linkage = "WARD";
  ExpectError(r, "risk_parameters.hrp_linkage", "HIERARCHICAL_RISK_PARITY only");
  r = rp();
  r.method = RequestMethod::kHierarchicalRiskParity;
  r.risk_parameters.hrp_linkage = "centroid";
  ExpectError(r, "risk_parameters.hrp_linkage", "SINGLE, AVERAGE, COMPLETE, WARD");
  r.risk_parameters.hrp_linkage.clear();
  r.constraints.turnover_limit = 0.3;
  ExpectError(r, "constraints.turnover_limit", "hierarchical risk parity");
  r = rp();
  r.method = RequestMethod::kMeanVariance;
  r.objective = RequestObjective::kMinVolatility;
  r.risk_parameters.risk_budgets = {{"GOOG", 1.0}};
  ExpectError(r, "risk_parameters.risk_budgets", "risk parity only");
}

TEST(AllocationModels, BlackLittermanErrorsNameTheField) {
  auto bl = [] {
    OptimizationRequest r =
        GivenCovarianceRequest(RequestMethod::kBlackLitterman, RequestObjective::kMinVolatility);
    r.risk_parameters.black_litterman.present = true;
    return r;
  };
  OptimizationRequest r = bl();
  ExpectError(r, "risk_parameters.black_litterman.prior", "needs a prior");
  r = bl();
  for (auto& s : r.strategies) s.market_cap = 1e9;
  ExpectError(r, "risk_parameters.risk_aversion", "need the risk aversion delta");
  r.strategies[4].market_cap.reset();
  r.risk_parameters.risk_aversion = 2.0;
  ExpectError(r, "strategies[4].market_cap", "'AMZN' has none");
  r = bl();
  r.risk_parameters.black_litterman.prior_source = "ZERO";
  r.risk_parameters.black_litterman.absolute_views = {{"GOOG", 0.1}};
  r.risk_parameters.black_litterman.omega = "IDZOREK";
  ExpectError(r, "risk_parameters.black_litterman.absolute_views.GOOG", "needs a confidence");
  r.risk_parameters.black_litterman.omega = "PROPORTIONAL";
  r.risk_parameters.black_litterman.confidence = 0.5;
  ExpectError(r, "risk_parameters.black_litterman.omega", "IDZOREK only");
  r.risk_parameters.black_litterman.confidence.reset();
  r.risk_parameters.black_litterman.omega = "GIVEN";
  r.risk_parameters.black_litterman.omega_matrix = {{0.1, 0.0}, {0.0, 0.1}};
  ExpectError(r, "risk_parameters.black_litterman.omega", "for 1 views");
  r = bl();
  r.risk_parameters.black_litterman.prior_source = "ZERO";
  r.risk_parameters.black_litterman.market_returns = {0.01, -0.02, 0.005};
  ExpectError(r, "risk_parameters.black_litterman.market_returns", "uses neither");
  r.risk_parameters.black_litterman.prior_source = "MARKET";
  for (auto& s : r.strategies) s.market_cap = 1e9;
  r.risk_parameters.risk_aversion = 3.0;
  ExpectError(r, "risk_parameters.black_litterman.market_returns", "one source");
  r = bl();
  r.risk_parameters.black_litterman.prior_source = "ZERO";
  r.risk_parameters.black_litterman.views.push_back({{{"GOOG", 1.0}, {"XYZ", -1.0}}, 0.01, {}});
  ExpectError(r, "risk_parameters.black_litterman.views[0].assets.XYZ", "not a strategy id");
  r = bl();
  r.risk_parameters.black_litterman.prior_source = "ESTIMATED";
  ExpectError(r, "risk_parameters.black_litterman.prior", "needs expected returns");
  r = bl();
  r.risk_parameters.black_litterman.prior_source = "ZERO";
  r.risk_parameters.black_litterman.weights = "CLOSED_FORM";
  r.risk_parameters.risk_aversion = 2.0;
  r.objective = RequestObjective::kMaxUtility;
  r.constraints.max_weight = 0.5;
  ExpectError(r, "constraints.max_weight", "unconstrained");
  r.constraints.max_weight.reset();
  r.objective = RequestObjective::kMaxSharpe;
  ExpectError(r, "objective", "MAX_UTILITY");
  r = bl();
  r.method = RequestMethod::kMeanVariance;
  ExpectError(r, "risk_parameters.black_litterman", "BLACK_LITTERMAN only");
}

}  // namespace
}  // namespace pfopt::service
