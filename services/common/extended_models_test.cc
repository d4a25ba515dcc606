#include "services/common/extended_models.h"

#include <gtest/gtest.h>

#include <cmath>

#include "pfopt/optimize/robust.h"
#include "services/common/request_json.h"
#include "services/common/testing/stock_request.h"
#include "support/reference_data.h"

namespace pfopt::service {
namespace {

using testing::StockRequest;

OptimizationRequest Parse(const std::string& json) {
  auto request = ParseOptimizationRequest(json);
  EXPECT_TRUE(request.has_value()) << request.error().ToString();
  return request ? *request : OptimizationRequest{};
}

// Three assets with given mu and Sigma (no histories).
const char* kGiven = R"({
  "portfolio_id": "given",
  "strategies": [{"id": "A", "expected_return": 0.10}, {"id": "B", "expected_return": 0.07},
                 {"id": "C", "expected_return": 0.04}],
  "objective": "MAX_UTILITY", "method": "ROBUST_OPTIMIZATION",
  "risk_parameters": {"covariance": {"A": {"A": 0.04, "B": 0.01, "C": 0.0},
                                     "B": {"B": 0.02, "C": 0.002}, "C": {"C": 0.01}},
                      "risk_aversion": 2.0,
                      "robust": {"uncertainty": "ELLIPSOIDAL", "confidence": 0.9,
                                 "observations": 120}}})";

const nlohmann::json& CvarCase(const std::string& name) {
  for (const auto& c : testing::PypfoptReference()["cvar_cvxopt"]) {
    if (c["case"] == name) return c;
  }
  static const nlohmann::json none;
  ADD_FAILURE() << "no case " << name;
  return none;
}

TEST(ExtendedModels, MinCvarFromPricesMatchesPyPortfolioOpt) {
  // The request path's estimated mu is PyPortfolioOpt's "full_mu" (each asset over its own
  // history) and its CVaR scenarios are the complete return periods ("setup", T = 895).
  OptimizationRequest request = StockRequest(RequestObjective::kMinCvar);
  request.risk_parameters.target_return = 0.2;
  auto response = RunOptimization(request);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  ASSERT_EQ(response->convergence_status, OptimizationStatus::kOptimal) << response->message;
  EXPECT_TRUE(response->constraints_satisfied);
  const auto& reference = CvarCase("cvar efficient_return(0.2) [full_mu data]");
  const Vector expected = testing::TickerVector(reference["weights"], testing::Tickers());
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_NEAR(response->optimal_weights[i].second, expected[static_cast<Index>(i)], 2e-6)
        << response->optimal_weights[i].first;
  }
  EXPECT_NEAR(response->cvar, reference["true_cvar_of_weights"].get<double>(), 1e-9);
  EXPECT_NEAR(response->expected_return, 0.2, 1e-10);
  EXPECT_EQ(response->cvar_alpha, 0.05);
  EXPECT_GT(response->value_at_risk, 0.0);
  // The periods before the later listings have missing values: said in a warning.
  bool warned = false;
  for (const auto& w : response->warnings)
    warned = warned || w.find("895 periods") != std::string::npos;
  EXPECT_TRUE(warned);
  // And the JSON carries them.
  const auto json = OptimizationResponseToJson(*response);
  EXPECT_NEAR(json["optimization_metadata"]["risk_measures"]["cvar"].get<double>(), response->cvar,
              0.0);
}

TEST(ExtendedModels, RobustRequestIsTheEngineAnswer) {
  const OptimizationRequest request = Parse(kGiven);
  auto response = RunOptimization(request);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  ASSERT_EQ(response->convergence_status, OptimizationStatus::kOptimal) << response->message;
  PortfolioProblem problem;
  problem.assets = {"A", "B", "C"};
  problem.expected_returns = Vector::Zero(3);
  problem.expected_returns << 0.10, 0.07, 0.04;
  problem.covariance = Matrix::Zero(3, 3);
  problem.covariance << 0.04, 0.01, 0.0, 0.01, 0.02, 0.002, 0.0, 0.002, 0.01;
  RobustOptions options;
  options.confidence = 0.9;
  options.num_observations = 120;
  options.mean_variance.objective = Objective::kMaxUtility;
  options.mean_variance.risk_aversion = 2.0;
  auto engine = OptimizeRobust(problem, options);
  ASSERT_TRUE(engine.has_value());
  for (Index i = 0; i < 3; ++i) {
    EXPECT_EQ(response->optimal_weights[static_cast<std::size_t>(i)].second,
              engine->optimization.weights[i]);
  }
  EXPECT_EQ(response->uncertainty, "ELLIPSOIDAL");
  EXPECT_NEAR(response->robust_radius, std::sqrt(6.251388631170325), 1e-13);  // chi2(0.9, 3)
  EXPECT_NEAR(response->worst_case_return, engine->worst_case_return, 0.0);
  EXPECT_EQ(response->method, "ROBUST_OPTIMIZATION");
  const auto json = OptimizationResponseToJson(*response);
  EXPECT_EQ(json["optimization_metadata"]["robust"]["uncertainty"], "ELLIPSOIDAL");
}

TEST(ExtendedModels, MultiObjectiveReproducesMaxUtility) {
  OptimizationRequest multi = StockRequest(RequestObjective::kMultiObjective);
  multi.risk_parameters.objective_weights = {{"return", 1.0}, {"variance", 1.5}};
  OptimizationRequest utility = StockRequest(RequestObjective::kMaxUtility);
  utility.risk_parameters.risk_aversion = 3.0;
  auto a = RunOptimization(multi);
  auto b = RunOptimization(utility);
  ASSERT_TRUE(a.has_value() && b.has_value());
  ASSERT_EQ(a->convergence_status, OptimizationStatus::kOptimal) << a->message;
  for (std::size_t i = 0; i < 20; ++i) {
    EXPECT_NEAR(a->optimal_weights[i].second, b->optimal_weights[i].second, 1e-9);
  }
  // Terms reported; the objective value is the weighted sum (minimised).
  EXPECT_NEAR(a->objective_value,
              -a->objective_terms.at("return") + 1.5 * a->objective_terms.at("variance"), 1e-15);
  EXPECT_EQ(a->objective_terms.count("cvar"), 1u);  // histories: CVaR reported too
}

TEST(ExtendedModels, MaxReturnUnderACvarLimit) {
  OptimizationRequest request = StockRequest(RequestObjective::kMaxReturn);
  request.risk_parameters.cvar_limit = 0.02;
  auto response = RunOptimization(request);
  ASSERT_TRUE(response.has_value()) << response.error().ToString();
  ASSERT_EQ(response->convergence_status, OptimizationStatus::kOptimal) << response->message;
  EXPECT_LE(response->cvar, 0.02 + 1e-12);
  EXPECT_NEAR(response->cvar, 0.02, 1e-9);  // the limit binds
  EXPECT_NEAR(response->objective_value, response->expected_return, 1e-15);
}

TEST(ExtendedModels, ReportsTheTailRiskOfAnyObjectiveWhenAsked) {
  OptimizationRequest request = StockRequest(RequestObjective::kMaxSharpe);
  request.risk_parameters.cvar_alpha = 0.1;
  auto response = RunOptimization(request);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->cvar_alpha, 0.1);
  EXPECT_TRUE(std::isfinite(response->cvar));
  EXPECT_GE(response->cvar, response->value_at_risk);
}

TEST(ExtendedModels, RejectsWhatAModelCannotHonourNamingTheField) {
  const OptimizationRequest base = StockRequest(RequestObjective::kMinVolatility);
  auto run = [&](auto edit) {
    OptimizationRequest request = base;
    edit(request);
    return RunOptimization(request);
  };
  auto expect_field = [](const Result<OptimizationResponse>& r, const std::string& field) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().field(), field) << r.error().message();
  };
  expect_field(run([](OptimizationRequest& r) { r.risk_parameters.robust.present = true; }),
               "risk_parameters.robust");
  expect_field(run([](OptimizationRequest& r) { r.risk_parameters.objective_weights["cvar"] = 1; }),
               "risk_parameters.objective_weights");
  expect_field(run([](OptimizationRequest& r) {
                 r.objective = RequestObjective::kMultiObjective;
                 r.risk_parameters.objective_weights["varience"] = 1;
               }),
               "risk_parameters.objective_weights.varience");
  expect_field(run([](OptimizationRequest& r) {
                 r.objective = RequestObjective::kMultiObjective;
                 r.risk_parameters.objective_weights["cvar"] = -1;
               }),
               "risk_parameters.objective_weights.cvar");
  expect_field(run([](OptimizationRequest& r) {
                 r.objective = RequestObjective::kMultiObjective;
                 r.risk_parameters.objective_weights["l2"] = 1;
                 r.risk_parameters.l2_gamma = 0.5;
               }),
               "risk_parameters.l2_gamma");
  expect_field(run([](OptimizationRequest& r) {
                 r.objective = RequestObjective::kMaxSharpe;
                 r.risk_parameters.cvar_limit = 0.02;
               }),
               "risk_parameters.cvar.limit");
  expect_field(run([](OptimizationRequest& r) {
                 r.objective = RequestObjective::kMinCvar;
                 r.risk_parameters.cvar_alpha = 1.2;
               }),
               "risk_parameters.cvar.alpha");
  expect_field(run([](OptimizationRequest& r) {
                 r.objective = RequestObjective::kMinCvar;
                 r.risk_parameters.target_volatility = 0.2;
               }),
               "risk_parameters.target_volatility");
  expect_field(run([](OptimizationRequest& r) {
                 r.objective = RequestObjective::kMinCvar;
                 r.method = RequestMethod::kRobustOptimization;
               }),
               "objective");
  expect_field(run([](OptimizationRequest& r) {
                 r.method = RequestMethod::kRobustOptimization;
                 r.risk_parameters.robust.present = true;
                 r.risk_parameters.robust.uncertainty = "SPHERE";
               }),
               "risk_parameters.robust.uncertainty");
  // Without histories: CVaR has no scenarios, the robust set no T.
  OptimizationRequest given = Parse(kGiven);
  given.method = RequestMethod::kMeanVariance;
  given.risk_parameters.robust = {};
  given.objective = RequestObjective::kMinCvar;
  expect_field(RunOptimization(given), "strategies");
  given = Parse(kGiven);
  given.risk_parameters.robust.observations.reset();
  expect_field(RunOptimization(given), "risk_parameters.robust.observations");
  given.risk_parameters.robust.observations = 12.5;
  expect_field(RunOptimization(given), "risk_parameters.robust.observations");
}

TEST(ExtendedModels, ParetoFrontOfReturnAndCvar) {
  OptimizationRequest request = StockRequest(RequestObjective::kMaxSharpe);
  request.constraints.max_weight = 0.3;
  auto front = RunParetoFront(request, 5, ParetoMeasure::kReturn, ParetoMeasure::kCvar);
  ASSERT_TRUE(front.has_value()) << front.error().ToString();
  ASSERT_EQ(front->status, OptimizationStatus::kOptimal) << front->message;
  EXPECT_EQ(front->minimised, "cvar");
  EXPECT_EQ(front->constrained, "return");
  ASSERT_EQ(front->pareto_points.size(), 5u);
  EXPECT_TRUE(front->points.empty());
  for (std::size_t k = 1; k < 5; ++k) {
    EXPECT_GE(front->pareto_points[k].terms.cvar, front->pareto_points[k - 1].terms.cvar - 1e-14);
    EXPECT_LE(front->pareto_points[k].weights.maxCoeff(), 0.3 + 1e-12);
  }
}

TEST(ExtendedModels, JsonRoundTripOfTheNewFields) {
  OptimizationRequest request = Parse(kGiven);
  request.risk_parameters.cvar_alpha = 0.025;
  request.risk_parameters.cvar_limit = 0.03;
  request.risk_parameters.objective_weights = {{"return", 1.0}, {"cvar", 2.0}};
  const auto json = OptimizationRequestToJson(request);
  auto back = OptimizationRequestFromJson(nlohmann::json::parse(json.dump()));
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  const RiskParameters& r = back->risk_parameters;
  EXPECT_TRUE(r.robust.present);
  EXPECT_EQ(r.robust.uncertainty, "ELLIPSOIDAL");
  EXPECT_EQ(r.robust.confidence, 0.9);
  EXPECT_EQ(r.robust.observations, 120.0);
  EXPECT_EQ(r.cvar_alpha, 0.025);
  EXPECT_EQ(r.cvar_limit, 0.03);
  EXPECT_EQ(r.objective_weights, request.risk_parameters.objective_weights);
  // An unknown key inside "cvar" is an error naming it.
  auto bad = ParseOptimizationRequest(
      R"({"portfolio_id": "p", "strategies": [{"id": "A"}], "risk_parameters": {"cvar": {"alfa": 0.1}}})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().field(), "risk_parameters.cvar.alfa");
}

}  // namespace
}  // namespace pfopt::service
