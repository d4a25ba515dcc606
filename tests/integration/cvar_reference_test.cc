// CVaR and multi-objective optimisers against independent solutions (integration: these run
// the optimiser on dozens of problems, up to 2000 scenarios): PyPortfolioOpt's EfficientCVaR
// cases solved by cvxopt (tests/data/pypfopt/reference.json), seeded problems solved by
// scipy/HiGHS and cvxopt (tests/data/cvar/), and the independence of the answer from the
// solver's window width. The unit tests are in src/optimize/cvar_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>

#include "pfopt/optimize/cvar.h"
#include "pfopt/optimize/multi_objective.h"
#include "support/reference_data.h"
#include "support/scenario_market.h"

namespace pfopt {
namespace {

using testing::PypfoptReference;
using testing::Tickers;
using testing::TickerVector;
using Market = testing::ScenarioMarket;
using testing::SortedCvar;

Market RandomMarket(int seed, Index periods, Index n) {
  return testing::RandomScenarioMarket(seed, periods, n);
}

// PyPortfolioOpt's "setup" returns: the rows of stock_prices.csv where every ticker has a price,
// then the simple returns between consecutive such rows (df.dropna(how='any').pct_change()).
Matrix SetupReturns() {
  const TimeSeriesTable& table = testing::StockPrices();
  std::vector<Index> rows;
  for (Index t = 0; t < table.num_periods(); ++t) {
    if (table.values.row(t).allFinite()) rows.push_back(t);
  }
  Matrix r(static_cast<Index>(rows.size()) - 1, table.num_assets());
  for (std::size_t k = 1; k < rows.size(); ++k) {
    r.row(static_cast<Index>(k) - 1) =
        table.values.row(rows[k]).array() / table.values.row(rows[k - 1]).array() - 1.0;
  }
  return r;
}

Matrix ResampledReturns(const std::string& name) {
  static const nlohmann::json data = testing::LoadJson("tests/data/cvar/pypfopt_returns.json");
  return testing::JsonMatrix(data.at(name));
}

// A problem on the 20 tickers with the given mu and the sample covariance of the returns.
PortfolioProblem TickerProblem(const Vector& mu, const Matrix& returns) {
  PortfolioProblem problem;
  problem.assets = Tickers();
  problem.expected_returns = mu;
  problem.covariance = (returns.rowwise() - returns.colwise().mean()).transpose() *
                       (returns.rowwise() - returns.colwise().mean()) /
                       static_cast<double>(returns.rows() - 1) * 252.0;
  return problem;
}

// ---------------------------------------------------------------------------------------------
// PyPortfolioOpt's EfficientCVaR cases (tests/data/pypfopt/reference.json, `cvar_cvxopt`:
// independent cvxopt solutions of PyPortfolioOpt's test cases on stock_prices.csv).

struct PypfoptCase {
  std::string data;  // setup | full_mu | weekly | monthly
  CvarOptions options;
  double lower = 0.0, upper = 1.0, budget = 1.0;
  bool limit_from_min = false;  // cvar_limit = min CVaR + 0.01
};

std::map<std::string, PypfoptCase> PypfoptCases() {
  auto make = [](std::string data, CvarObjective objective) {
    PypfoptCase c;
    c.data = std::move(data);
    c.options.objective = objective;
    c.options.alpha = 0.05;
    return c;
  };
  std::map<std::string, PypfoptCase> cases;
  cases["cvar min_cvar [test_cvar_example data: mu full history]"] =
      make("full_mu", CvarObjective::kMinCvar);
  cases["cvar min_cvar [setup data]"] = make("setup", CvarObjective::kMinCvar);
  auto er = [&](std::string data, double target) {
    PypfoptCase c = make(std::move(data), CvarObjective::kEfficientReturn);
    c.options.target_return = target;
    return c;
  };
  auto erisk = [&](double limit) {
    PypfoptCase c = make("setup", CvarObjective::kEfficientRisk);
    c.options.cvar_limit = limit;
    return c;
  };
  cases["cvar efficient_return(0.2) [full_mu data]"] = er("full_mu", 0.2);
  cases["cvar efficient_return(0.25)"] = er("setup", 0.25);
  cases["cvar efficient_return(0.26) bounds(-3,3)"] = er("setup", 0.26);
  cases["cvar efficient_return(0.26) bounds(-3,3)"].lower = -3.0;
  cases["cvar efficient_return(0.26) bounds(-3,3)"].upper = 3.0;
  cases["cvar efficient_return(0.2) market_neutral (-1,1)"] = er("setup", 0.2);
  cases["cvar efficient_return(0.2) market_neutral (-1,1)"].lower = -1.0;
  cases["cvar efficient_return(0.2) market_neutral (-1,1)"].budget = 0.0;
  cases["cvar efficient_risk(0.02)"] = erisk(0.02);
  cases["cvar efficient_risk(min_cvar+0.01)"] = erisk(0.0);
  cases["cvar efficient_risk(min_cvar+0.01)"].limit_from_min = true;
  cases["cvar efficient_risk(0.025) market_neutral (-1,1)"] = erisk(0.025);
  cases["cvar efficient_risk(0.025) market_neutral (-1,1)"].lower = -1.0;
  cases["cvar efficient_risk(0.025) market_neutral (-1,1)"].budget = 0.0;
  cases["cvar min_cvar + L2(0.1)"] = make("setup", CvarObjective::kMinCvar);
  cases["cvar min_cvar + L2(0.1)"].options.l2_gamma = 0.1;
  cases["cvar efficient_risk(0.03) + L2(1)"] = erisk(0.03);
  cases["cvar efficient_risk(0.03) + L2(1)"].options.l2_gamma = 1.0;
  cases["cvar efficient_return(0.25) + L2(1)"] = er("setup", 0.25);
  cases["cvar efficient_return(0.25) + L2(1)"].options.l2_gamma = 1.0;
  cases["cvar weekly efficient_return(0.2)"] = er("weekly", 0.2);
  cases["cvar monthly efficient_return(0.2)"] = er("monthly", 0.2);
  return cases;
}

TEST(OptimizeCvar, MatchesPyPortfolioOptCasesSolvedByCvxopt) {
  const auto cases = PypfoptCases();
  const auto& data_sets = PypfoptReference()["data_sets_for_returns_based_optimisers"];
  const Matrix setup = SetupReturns();
  ASSERT_EQ(setup.rows(), data_sets["setup"]["T"].get<Index>());
  int checked = 0;
  for (const auto& reference : PypfoptReference()["cvar_cvxopt"]) {
    const std::string name = reference["case"].get<std::string>();
    SCOPED_TRACE(name);
    auto it = cases.find(name);
    ASSERT_NE(it, cases.end()) << "no inputs for this case";
    const PypfoptCase& c = it->second;
    const Matrix returns =
        c.data == "weekly" || c.data == "monthly" ? ResampledReturns(c.data) : setup;
    ASSERT_EQ(returns.rows(), data_sets[c.data]["T"].get<Index>());
    PortfolioProblem problem = TickerProblem(testing::JsonVector(data_sets[c.data]["mu"]), returns);
    problem.constraints.lower_bounds = Vector::Constant(20, c.lower);
    problem.constraints.upper_bounds = Vector::Constant(20, c.upper);
    problem.constraints.budget = c.budget;
    CvarOptions options = c.options;
    if (c.limit_from_min) {
      CvarOptions min_options;
      auto minimum = OptimizeCvar(problem, returns, min_options);
      ASSERT_TRUE(minimum.has_value());
      options.cvar_limit = minimum->tail_risk.cvar + 0.01;
    }
    auto result = OptimizeCvar(problem, returns, options);
    ASSERT_TRUE(result.has_value()) << result.error().ToString();
    const OptimizationResult& o = result->optimization;
    ASSERT_EQ(o.status, OptimizationStatus::kOptimal) << o.message;
    EXPECT_TRUE(o.constraints_satisfied);
    const Vector expected_w = TickerVector(reference["weights"], Tickers());
    const double true_cvar = reference["true_cvar_of_weights"].get<double>();
    // Our CVaR is the true one of our weights, never worse than the reference's (cvxopt's
    // interior point stops ~1e-10 short), and the weights agree.
    EXPECT_NEAR(result->tail_risk.cvar, SortedCvar(returns, o.weights, 0.05), 1e-15);
    if (c.options.objective == CvarObjective::kEfficientRisk) {
      const double l2 = c.options.l2_gamma;
      const double reference_return = reference["performance (return, cvar_expression)"][0];
      const double ours = o.performance.expected_return - l2 * o.weights.squaredNorm();
      const double theirs = reference_return - l2 * expected_w.squaredNorm();
      EXPECT_GE(ours, theirs - 1e-8);
      EXPECT_NEAR(ours, theirs, 1e-7);
      EXPECT_LE(result->tail_risk.cvar, *options.cvar_limit + 1e-12);
    } else {
      const double l2 = c.options.l2_gamma;
      const double ours = result->tail_risk.cvar + l2 * o.weights.squaredNorm();
      const double theirs = true_cvar + l2 * expected_w.squaredNorm();
      EXPECT_LE(ours, theirs + 1e-12);
      EXPECT_NEAR(ours, theirs, 1e-8);
    }
    EXPECT_LT((o.weights - expected_w).cwiseAbs().maxCoeff(), 2e-6);
    ++checked;
  }
  EXPECT_EQ(checked, 14);
}

// ---------------------------------------------------------------------------------------------
// Seeded problems solved by scipy/HiGHS and cvxopt (tests/data/cvar/generate.py).

struct ReferenceProblem {
  std::string id;
  PortfolioProblem problem;
  Matrix scenarios;
  MultiObjectiveOptions options;
  Vector weights;
  double objective = 0.0;
  double true_cvar = 0.0;
};

std::vector<ReferenceProblem> IndependentReferences() {
  const nlohmann::json data = testing::LoadJson("tests/data/cvar/reference.json");
  const double scale = std::ldexp(1.0, data["meta"]["scale_log2"].get<int>());
  std::vector<ReferenceProblem> out;
  for (const auto& p : data["problems"]) {
    ReferenceProblem r;
    r.id = p["id"].get<std::string>();
    r.scenarios = testing::JsonMatrix(p["scenarios"]) * scale;
    const Index n = r.scenarios.cols();
    for (Index i = 0; i < n; ++i) r.problem.assets.push_back("A" + std::to_string(i));
    r.problem.expected_returns = testing::JsonVector(p["expected_returns"]);
    r.problem.covariance = testing::JsonMatrix(p["covariance"]);
    PortfolioConstraints& c = r.problem.constraints;
    if (p.contains("lower_bounds")) c.lower_bounds = testing::JsonVector(p["lower_bounds"]);
    if (p.contains("upper_bounds")) c.upper_bounds = testing::JsonVector(p["upper_bounds"]);
    if (p.contains("budget")) c.budget = p["budget"].get<double>();
    if (p.contains("sectors")) {
      c.sectors = p["sectors"].get<std::vector<std::string>>();
      c.sector_upper = p["sector_upper"].get<std::map<std::string, double>>();
      c.sector_lower = p["sector_lower"].get<std::map<std::string, double>>();
    }
    if (p.contains("current_weights"))
      c.current_weights = testing::JsonVector(p["current_weights"]);
    if (p.contains("turnover_limit")) c.turnover_limit = p["turnover_limit"].get<double>();
    if (p.contains("leverage_limit")) c.leverage_limit = p["leverage_limit"].get<double>();
    MultiObjectiveOptions& o = r.options;
    const auto& w = p["weights"];
    o.weights.expected_return = w.value("return", 0.0);
    o.weights.variance = w.value("variance", 0.0);
    o.weights.cvar = w.value("cvar", 0.0);
    o.weights.turnover = w.value("turnover", 0.0);
    o.weights.l2 = w.value("l2", 0.0);
    o.cvar_alpha = p["alpha"].get<double>();
    if (p.contains("target_return")) o.target_return = p["target_return"].get<double>();
    if (p.contains("cvar_limit")) o.cvar_limit = p["cvar_limit"].get<double>();
    r.weights = testing::JsonVector(p["reference"]["weights"]);
    r.objective = p["reference"]["objective"].get<double>();
    r.true_cvar = p["reference"]["true_cvar"].get<double>();
    out.push_back(std::move(r));
  }
  return out;
}

TEST(OptimizeMultiObjective, MatchesHighsAndCvxoptOnSeededProblems) {
  const auto references = IndependentReferences();
  ASSERT_GE(references.size(), 15u);
  for (const ReferenceProblem& r : references) {
    SCOPED_TRACE(r.id);
    auto result = OptimizeMultiObjective(r.problem, r.scenarios, r.options);
    ASSERT_TRUE(result.has_value()) << result.error().ToString();
    const CvarResult& cr = result->result;
    const OptimizationResult& o = cr.optimization;
    ASSERT_EQ(o.status, OptimizationStatus::kOptimal) << o.message;
    EXPECT_TRUE(o.constraints_satisfied);
    // The objective (recomputed from the weights) is never worse than the reference's, and
    // equal to it within the reference solvers' accuracy.
    const double scale = std::max(1.0, std::abs(r.objective));
    EXPECT_LE(o.objective_value, r.objective + 1e-12 * scale);
    EXPECT_NEAR(o.objective_value, r.objective, 1e-9 * scale);
    EXPECT_LT((o.weights - r.weights).cwiseAbs().maxCoeff(), 1e-6);
    // Reported CVaR = true CVaR of the returned weights.
    EXPECT_NEAR(cr.tail_risk.cvar, SortedCvar(r.scenarios, o.weights, r.options.cvar_alpha), 1e-15);
    if (r.options.cvar_limit) {
      EXPECT_LE(cr.tail_risk.cvar, *r.options.cvar_limit + 1e-12);
    }
    RecordProperty(r.id + "_outer_iterations", cr.outer_iterations);
  }
}

TEST(OptimizeCvar, SameAnswerForAnyWindowWidth) {
  // The window is an implementation detail: the optimum does not depend on it.
  const Market m = RandomMarket(8, 3000, 15);
  CvarOptions options;
  auto reference = OptimizeCvar(m.problem, m.scenarios, options);
  ASSERT_TRUE(reference.has_value());
  for (Index window : {Index{2}, Index{30}, Index{120}}) {
    options.solver.window = window;
    auto result = OptimizeCvar(m.problem, m.scenarios, options);
    ASSERT_TRUE(result.has_value());
    ASSERT_EQ(result->optimization.status, OptimizationStatus::kOptimal);
    EXPECT_NEAR(result->tail_risk.cvar, reference->tail_risk.cvar, 1e-14) << window;
    EXPECT_LT(
        (result->optimization.weights - reference->optimization.weights).cwiseAbs().maxCoeff(),
        1e-9)
        << window;
  }
}

}  // namespace
}  // namespace pfopt
