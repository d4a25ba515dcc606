#include "pfopt/optimize/mean_variance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <string>

#include "optimize/formulation.h"
#include "support/reference_data.h"

namespace pfopt {
namespace {

using testing::PypfoptReference;
using testing::Tickers;
using testing::TickerVector;

// The inputs of PyPortfolioOpt's efficient-frontier tests, taken from the reference file
// itself (so that this test checks the optimiser alone, not our estimators).
Matrix ReferenceCovariance(const std::string& key) {
  const auto& entry = PypfoptReference()["risk_models"][key];
  return testing::JsonMatrix(entry["values"]);
}

Vector ReferenceMu() {
  return TickerVector(PypfoptReference()["expected_returns"]["mean_historical_return"], Tickers());
}

PortfolioProblem ReferenceProblem(const std::string& cov_key = "sample_cov") {
  PortfolioProblem problem;
  problem.assets = Tickers();
  problem.expected_returns = ReferenceMu();
  problem.covariance = ReferenceCovariance(cov_key);
  return problem;
}

void SetBounds(PortfolioProblem* problem, double lo, double hi) {
  const Index n = problem->num_assets();
  problem->constraints.lower_bounds = Vector::Constant(n, lo);
  problem->constraints.upper_bounds = Vector::Constant(n, hi);
}

// Sector map and limits of PyPortfolioOpt's sector-constraint tests.
void AddTestSectors(PortfolioProblem* problem) {
  const std::map<std::string, std::string> sector_of = {
      {"GOOG", "tech"},   {"AAPL", "tech"},  {"FB", "tech"},    {"AMZN", "tech"},
      {"BABA", "tech"},   {"GE", "utility"}, {"AMD", "tech"},   {"WMT", "retail"},
      {"BAC", "fig"},     {"GM", "auto"},    {"T", "auto"},     {"UAA", "airline"},
      {"SHLD", "retail"}, {"XOM", "energy"}, {"RRC", "energy"}, {"BBY", "retail"},
      {"MA", "fig"},      {"PFE", "pharma"}, {"JPM", "fig"},    {"SBUX", "retail"}};
  for (const auto& id : problem->assets) problem->constraints.sectors.push_back(sector_of.at(id));
  problem->constraints.sector_upper = {{"tech", 0.2}, {"utility", 0.1},  {"retail", 0.2},
                                       {"fig", 0.4},  {"airline", 0.05}, {"energy", 0.2}};
  problem->constraints.sector_lower = {{"utility", 0.01}, {"fig", 0.02}, {"airline", 0.01}};
}

struct Case {
  PortfolioProblem problem;
  MeanVarianceOptions options;
  bool volatility_target = false;  // looser tolerance on the performance triple
};

// Maps each reference case name to its inputs. Cases whose inputs are not in the reference
// file (the 9-asset toy) or that use an objective term we do not offer (transaction cost) are
// absent; the test lists them.
std::map<std::string, std::function<Case()>> CaseBuilders() {
  std::map<std::string, std::function<Case()>> b;
  auto make = [](Objective objective, double rf = 0.02) {
    Case c;
    c.problem = ReferenceProblem();
    c.options.objective = objective;
    c.options.risk_free_rate = rf;
    return c;
  };
  auto efficient_risk = [&](double target) {
    Case c = make(Objective::kEfficientRisk);
    c.options.target_volatility = target;
    c.volatility_target = true;
    return c;
  };
  auto efficient_return = [&](double target) {
    Case c = make(Objective::kEfficientReturn);
    c.options.target_return = target;
    return c;
  };
  auto utility = [&](double delta) {
    Case c = make(Objective::kMaxUtility);
    c.options.risk_aversion = delta;
    return c;
  };
  auto shorts = [](Case c) {
    SetBounds(&c.problem, -1.0, 1.0);
    return c;
  };
  auto neutral = [](Case c) {
    SetBounds(&c.problem, -1.0, 1.0);
    c.problem.constraints.budget = 0.0;
    return c;
  };
  auto l2 = [](Case c, double gamma) {
    c.options.l2_gamma = gamma;
    return c;
  };
  auto cov = [](Case c, const std::string& key) {
    c.problem.covariance = ReferenceCovariance(key);
    return c;
  };
  auto sectors = [](Case c) {
    AddTestSectors(&c.problem);
    return c;
  };
  b["min_volatility long-only"] = [=] { return make(Objective::kMinVolatility); };
  b["max_sharpe(rf=0.02) long-only"] = [=] { return make(Objective::kMaxSharpe); };
  b["max_sharpe(rf=0) long-only [compare CLA.max_sharpe]"] = [=] {
    return make(Objective::kMaxSharpe, 0.0);
  };
  b["efficient_risk(0.20) long-only [brief; not in tests]"] = [=] { return efficient_risk(0.20); };
  b["efficient_risk(0.19) long-only"] = [=] { return efficient_risk(0.19); };
  b["efficient_risk(0.16) long-only [test only checks vol within 1e-5]"] = [=] {
    return efficient_risk(0.16);
  };
  b["efficient_risk(0.21) long-only [test only checks vol within 1e-5]"] = [=] {
    return efficient_risk(0.21);
  };
  b["efficient_risk(0.3) long-only [test only checks vol within 1e-5]"] = [=] {
    return efficient_risk(0.3);
  };
  b["efficient_return(0.25) long-only"] = [=] { return efficient_return(0.25); };
  b["efficient_return(0.20) long-only [test checks return only]"] = [=] {
    return efficient_return(0.20);
  };
  b["max_quadratic_utility(risk_aversion=1) long-only [brief; not in tests]"] = [=] {
    return utility(1.0);
  };
  b["max_quadratic_utility(risk_aversion=2) long-only"] = [=] { return utility(2.0); };
  b["max_quadratic_utility(risk_aversion=10) long-only"] = [=] { return utility(10.0); };
  b["min_volatility bounds(-1,1)"] = [=] { return shorts(make(Objective::kMinVolatility)); };
  b["max_sharpe(rf=0.02) bounds(-1,1)"] = [=] { return shorts(make(Objective::kMaxSharpe)); };
  b["max_sharpe(rf=0) bounds(-1,1) [compare CLA (-1,1)]"] = [=] {
    return shorts(make(Objective::kMaxSharpe, 0.0));
  };
  b["max_quadratic_utility(1) bounds(-1,1)"] = [=] { return shorts(utility(1.0)); };
  b["max_quadratic_utility(1) market_neutral bounds(-1,1)"] = [=] { return neutral(utility(1.0)); };
  b["efficient_risk(0.19) bounds(-1,1)"] = [=] { return shorts(efficient_risk(0.19)); };
  b["efficient_risk(0.21) market_neutral bounds(-1,1)"] = [=] {
    return neutral(efficient_risk(0.21));
  };
  b["efficient_return(0.25) bounds(-1,1) [tests compare to closed form]"] = [=] {
    return shorts(efficient_return(0.25));
  };
  b["efficient_return(0.25) market_neutral bounds(-1,1)"] = [=] {
    return neutral(efficient_return(0.25));
  };
  b["min_volatility + L2_reg(gamma=1)"] = [=] { return l2(make(Objective::kMinVolatility), 1.0); };
  b["max_sharpe(0.02) + L2_reg(gamma=5) [L2 on transformed y]"] = [=] {
    return l2(make(Objective::kMaxSharpe), 5.0);
  };
  b["max_sharpe(0.02) + L2_reg(gamma=1) bounds(-1,1)"] = [=] {
    return l2(shorts(make(Objective::kMaxSharpe)), 1.0);
  };
  b["max_quadratic_utility(1) + L2_reg(gamma=5)"] = [=] { return l2(utility(1.0), 5.0); };
  b["efficient_risk(0.19) + L2_reg(gamma=5)"] = [=] { return l2(efficient_risk(0.19), 5.0); };
  b["efficient_risk(0.19) market_neutral + L2_reg(1) bounds(-1,1)"] = [=] {
    return l2(neutral(efficient_risk(0.19)), 1.0);
  };
  b["efficient_return(0.25) + L2_reg(gamma=1)"] = [=] { return l2(efficient_return(0.25), 1.0); };
  b["max_sharpe(0.02) cov=semicovariance(benchmark=0)"] = [=] {
    return cov(make(Objective::kMaxSharpe), "semicovariance_benchmark_0");
  };
  b["max_sharpe(0.02) bounds(-1,1) cov=semicovariance(benchmark=0)"] = [=] {
    return cov(shorts(make(Objective::kMaxSharpe)), "semicovariance_benchmark_0");
  };
  b["min_volatility + L2(1) cov=LW constant_correlation"] = [=] {
    return cov(l2(make(Objective::kMinVolatility), 1.0), "ledoit_wolf_constant_correlation");
  };
  b["efficient_return(0.22) cov=LW single_factor"] = [=] {
    return cov(efficient_return(0.22), "ledoit_wolf_single_factor");
  };
  b["max_sharpe(0.02) cov=exp_cov(span=180)"] = [=] {
    return cov(make(Objective::kMaxSharpe), "exp_cov_span180");
  };
  b["min_volatility + L2(1) cov=exp_cov"] = [=] {
    return cov(l2(make(Objective::kMinVolatility), 1.0), "exp_cov_span180");
  };
  b["efficient_risk(0.19) market_neutral bounds(-1,1) cov=exp_cov"] = [=] {
    return cov(neutral(efficient_risk(0.19)), "exp_cov_span180");
  };
  b["min_volatility bounds(-1,1) + sector constraints [own reference]"] = [=] {
    return sectors(shorts(make(Objective::kMinVolatility)));
  };
  b["efficient_risk(0.19) long-only + sector constraints [own reference]"] = [=] {
    return sectors(efficient_risk(0.19));
  };
  b["max_sharpe(0.02) long-only + sector constraints [own reference]"] = [=] {
    return sectors(make(Objective::kMaxSharpe));
  };
  b["min_volatility bounds(0.02,0.13) [own reference]"] = [=] {
    Case c = make(Objective::kMinVolatility);
    SetBounds(&c.problem, 0.02, 0.13);
    return c;
  };
  b["max_sharpe(0.02) bounds [(0.01,0.13),(0.02,0.11)]*10 [own reference]"] = [=] {
    Case c = make(Objective::kMaxSharpe);
    const Index n = c.problem.num_assets();
    c.problem.constraints.lower_bounds.resize(n);
    c.problem.constraints.upper_bounds.resize(n);
    for (Index i = 0; i < n; ++i) {
      c.problem.constraints.lower_bounds[i] = i % 2 == 0 ? 0.01 : 0.02;
      c.problem.constraints.upper_bounds[i] = i % 2 == 0 ? 0.13 : 0.11;
    }
    return c;
  };
  b["max_sharpe(0.02) bounds(0.03,0.13) [own reference]"] = [=] {
    Case c = make(Objective::kMaxSharpe);
    SetBounds(&c.problem, 0.03, 0.13);
    return c;
  };
  return b;
}

TEST(MeanVariance, MatchesPolishedCvxoptReferenceForEveryCase) {
  const auto builders = CaseBuilders();
  const std::set<std::string> not_covered = {
      "toy 9-asset efficient_return(0.08) market_neutral bounds(-1,1)",      // inputs not in file
      "min_volatility + transaction_cost(k=0.001, w_prev=1/n) + L2_reg(1)",  // no such objective
  };
  int checked = 0;
  for (const auto& entry : PypfoptReference()["efficient_frontier_cvxopt"]) {
    const std::string name = entry["case"].get<std::string>();
    const auto it = builders.find(name);
    if (it == builders.end()) {
      EXPECT_TRUE(not_covered.count(name)) << "reference case without a builder: " << name;
      continue;
    }
    SCOPED_TRACE(name);
    Case c = it->second();
    auto result = OptimizeMeanVariance(c.problem, c.options);
    ASSERT_TRUE(result) << result.error().ToString();
    ASSERT_EQ(result->status, OptimizationStatus::kOptimal) << result->message;
    EXPECT_TRUE(result->constraints_satisfied);
    // Performance with rf = 0.02, as the reference reports it.
    auto perf =
        ComputePerformance(result->weights, c.problem.expected_returns, c.problem.covariance, 0.02);
    ASSERT_TRUE(perf);
    const Vector expected_perf = testing::JsonVector(entry["performance_rf0.02"]);
    const double tolerance = c.volatility_target ? 1e-8 : 1e-9;
    EXPECT_NEAR(perf->expected_return, expected_perf[0], tolerance * std::abs(expected_perf[0]));
    EXPECT_NEAR(perf->volatility, expected_perf[1], tolerance * expected_perf[1]);
    EXPECT_NEAR(perf->sharpe_ratio, expected_perf[2], tolerance * std::abs(expected_perf[2]));
    // Weights: the polished reference is exact to ~1e-10.
    const Vector expected_w = TickerVector(entry["weights"], Tickers());
    EXPECT_LT((result->weights - expected_w).cwiseAbs().maxCoeff(),
              c.volatility_target ? 1e-7 : 1e-8);
    // PyPortfolioOpt's own test expectation, with its tolerance, where there is one.
    if (entry.contains("pypfopt_test_expected")) {
      const Vector test_expected = testing::JsonVector(entry["pypfopt_test_expected"]);
      const double rtol = entry["pypfopt_test_tolerance"]["rtol"].get<double>();
      const double atol = entry["pypfopt_test_tolerance"]["atol"].get<double>();
      EXPECT_NEAR(perf->expected_return, test_expected[0],
                  atol + rtol * std::abs(test_expected[0]));
      EXPECT_NEAR(perf->volatility, test_expected[1], atol + rtol * std::abs(test_expected[1]));
      EXPECT_NEAR(perf->sharpe_ratio, test_expected[2], atol + rtol * std::abs(test_expected[2]));
    }
    ++checked;
  }
  EXPECT_EQ(checked, 42);
}

TEST(MeanVariance, MaxSharpeMatchesCriticalLineAlgorithm) {
  // CLA (PyPortfolioOpt's solver-free critical line algorithm) is an independent check.
  const auto& cla = PypfoptReference()["cla"];
  for (const std::string key : {"max_sharpe_long_only", "max_sharpe_bounds_-1_1"}) {
    SCOPED_TRACE(key);
    PortfolioProblem problem = ReferenceProblem();
    if (key == "max_sharpe_bounds_-1_1") SetBounds(&problem, -1.0, 1.0);
    MeanVarianceOptions options;
    options.objective = Objective::kMaxSharpe;
    auto result = OptimizeMeanVariance(problem, options);
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, OptimizationStatus::kOptimal);
    const Vector expected = testing::JsonVector(cla[key]["performance_rf0"]);
    EXPECT_NEAR(result->performance.sharpe_ratio, expected[2], 1e-9 * expected[2]);
    EXPECT_LT(
        (result->weights - TickerVector(cla[key]["weights"], Tickers())).cwiseAbs().maxCoeff(),
        1e-7);
  }
}

// Max Sharpe drops the upper bounds that the budget and the lower bounds imply (w_j <= budget
// - sum_{k != j} lb_k) from its homogenised form; an upper bound below that still binds. The
// answers are checked against the other formulation: the best Sharpe ratio along the
// efficient-return frontier (native bounds, no homogenisation), found by golden section.
TEST(MeanVariance, MaxSharpeKeepsTheUpperBoundsThatAreNotImplied) {
  PortfolioProblem problem;
  problem.assets = {"A", "B", "C", "D"};
  problem.expected_returns = Vector(4);
  problem.expected_returns << 0.30, 0.10, 0.08, 0.12;
  problem.covariance = Matrix::Constant(4, 4, 0.01);
  problem.covariance.diagonal() << 0.04, 0.05, 0.06, 0.05;
  problem.constraints.lower_bounds = Vector(4);
  problem.constraints.lower_bounds << 0.0, 0.1, 0.1, 0.1;
  MeanVarianceOptions options;
  options.objective = Objective::kMaxSharpe;
  options.risk_free_rate = 0.02;
  const auto sharpe_on_frontier = [&](const PortfolioProblem& p, double target, Vector* w) {
    MeanVarianceOptions o;
    o.objective = Objective::kEfficientReturn;
    o.risk_free_rate = options.risk_free_rate;
    o.target_return = target;
    auto r = OptimizeMeanVariance(p, o);
    if (!r || r->status != OptimizationStatus::kOptimal) return -kInfinity;
    if (w != nullptr) *w = r->weights;
    return r->performance.sharpe_ratio;
  };
  // {upper bound of A, rows of G in the homogenised form, whether A's bound binds}
  struct BoundCase {
    double upper_a;
    Index rows;
    bool binds;
  };
  for (const BoundCase& c : {BoundCase{1.0, 3, false}, BoundCase{0.7, 3, false},
                             BoundCase{0.7 - 1e-9, 4, true}, BoundCase{0.5, 4, true}}) {
    SCOPED_TRACE(c.upper_a);
    PortfolioProblem p = problem;
    p.constraints.upper_bounds = Vector::Ones(4);
    p.constraints.upper_bounds[0] = c.upper_a;
    const internal::LinearFormulation f = internal::BuildLinearFormulation(p);
    const Vector excess = p.expected_returns.array() - options.risk_free_rate;
    EXPECT_EQ(internal::Homogenise(f, excess).G.rows(), c.rows);

    auto result = OptimizeMeanVariance(p, options);
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, OptimizationStatus::kOptimal) << result->message;
    const Vector& w = result->weights;
    EXPECT_NEAR(w.sum(), 1.0, 1e-12);
    EXPECT_GE((w - p.constraints.lower_bounds).minCoeff(), -1e-12);
    EXPECT_LE(w[0], c.upper_a + 1e-12);
    if (c.binds) {
      EXPECT_NEAR(w[0], c.upper_a, 1e-9);
    }

    // Golden section over the target return between the smallest and largest reachable (below
    // the minimum-variance portfolio's return the frontier is flat: ties move right).
    double lo = p.expected_returns.dot(p.constraints.lower_bounds) + 1e-6;
    double hi = 0.0;
    {
      MeanVarianceOptions max_return;
      max_return.objective = Objective::kMaxReturn;
      auto r = OptimizeMeanVariance(p, max_return);
      ASSERT_TRUE(r);
      hi = r->performance.expected_return - 1e-9;
    }
    const double phi = (std::sqrt(5.0) - 1.0) / 2.0;
    for (int i = 0; i < 200 && hi - lo > 1e-12; ++i) {
      const double a = hi - phi * (hi - lo), b = lo + phi * (hi - lo);
      if (sharpe_on_frontier(p, a, nullptr) <= sharpe_on_frontier(p, b, nullptr)) {
        lo = a;
      } else {
        hi = b;
      }
    }
    Vector best;
    const double best_sharpe = sharpe_on_frontier(p, 0.5 * (lo + hi), &best);
    EXPECT_NEAR(result->performance.sharpe_ratio, best_sharpe, 1e-9 * best_sharpe);
    EXPECT_LE((w - best).cwiseAbs().maxCoeff(), 1e-5);
  }
}

TEST(MeanVariance, MinVolatilityMatchesCriticalLineAlgorithm) {
  const auto& cla = PypfoptReference()["cla"]["min_volatility_long_only"];
  MeanVarianceOptions options;
  options.objective = Objective::kMinVolatility;
  auto result = OptimizeMeanVariance(ReferenceProblem(), options);
  ASSERT_TRUE(result);
  EXPECT_LT((result->weights - TickerVector(cla["weights"], Tickers())).cwiseAbs().maxCoeff(),
            1e-9);
}

TEST(MeanVariance, EfficientRiskHitsTargetAndEfficientReturnHitsTarget) {
  for (double target : {0.17, 0.2, 0.25, 0.34}) {
    MeanVarianceOptions options;
    options.objective = Objective::kEfficientRisk;
    options.target_volatility = target;
    auto result = OptimizeMeanVariance(ReferenceProblem(), options);
    ASSERT_TRUE(result);
    ASSERT_EQ(result->status, OptimizationStatus::kOptimal);
    EXPECT_NEAR(result->performance.volatility, target, 1e-12);
    // The point on the frontier at that return has the same volatility.
    MeanVarianceOptions back;
    back.objective = Objective::kEfficientReturn;
    back.target_return = result->performance.expected_return;
    auto frontier_point = OptimizeMeanVariance(ReferenceProblem(), back);
    ASSERT_TRUE(frontier_point);
    EXPECT_NEAR(frontier_point->performance.volatility, target, 1e-9);
  }
}

TEST(MeanVariance, EfficientRiskAboveTheRiskiestEfficientPortfolioGivesMaxReturn) {
  // The max-return portfolio (all in MA) has volatility ~0.3468: a looser cap does not bind.
  MeanVarianceOptions options;
  options.objective = Objective::kEfficientRisk;
  options.target_volatility = 0.5;
  auto result = OptimizeMeanVariance(ReferenceProblem(), options);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, OptimizationStatus::kOptimal);
  EXPECT_LT(result->performance.volatility, 0.35);
  EXPECT_NEAR(result->performance.expected_return, ReferenceMu().maxCoeff(), 1e-12);
}

TEST(MeanVariance, UnreachableTargetsAreErrorsThatSayWhatIsReachable) {
  MeanVarianceOptions options;
  options.objective = Objective::kEfficientReturn;
  options.target_return = 0.5;
  auto result = OptimizeMeanVariance(ReferenceProblem(), options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().field(), "target_return");
  EXPECT_NE(result.error().message().find("maximum attainable return 0.388666"), std::string::npos)
      << result.error().message();

  options.objective = Objective::kEfficientRisk;
  options.target_volatility = 0.1;
  result = OptimizeMeanVariance(ReferenceProblem(), options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().field(), "target_volatility");
  EXPECT_NE(result.error().message().find("minimum attainable volatility 0.159151"),
            std::string::npos)
      << result.error().message();
}

TEST(MeanVariance, MaxSharpeSaysWhenNothingBeatsTheRiskFreeRate) {
  MeanVarianceOptions options;
  options.objective = Objective::kMaxSharpe;
  options.risk_free_rate = 0.5;  // above every expected return
  auto result = OptimizeMeanVariance(ReferenceProblem(), options);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, OptimizationStatus::kInfeasible);
  EXPECT_NE(
      result->message.find("no feasible portfolio has an expected return above the risk-free rate"),
      std::string::npos);
  EXPECT_TRUE(result->weights.size() == 0);
}

TEST(MeanVariance, InfeasibleConstraintsNameTheConflictingGroups) {
  // Bounds vs budget: 20 assets at most 4 % each cannot sum to 1.
  PortfolioProblem problem = ReferenceProblem();
  SetBounds(&problem, 0.0, 0.04);
  MeanVarianceOptions options;
  options.objective = Objective::kMinVolatility;
  auto result = OptimizeMeanVariance(problem, options);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, OptimizationStatus::kInfeasible);
  EXPECT_EQ(result->conflicting_groups,
            (std::vector<ConstraintGroup>{ConstraintGroup::kBounds, ConstraintGroup::kBudget}));
  EXPECT_NE(result->message.find("bounds vs budget"), std::string::npos) << result->message;

  // Sectors vs budget: every sector capped so that the caps sum below 1.
  problem = ReferenceProblem();
  AddTestSectors(&problem);
  for (auto& [sector, limit] : problem.constraints.sector_upper) limit = 0.01;
  problem.constraints.sector_upper["auto"] = 0.01;
  problem.constraints.sector_upper["pharma"] = 0.01;
  problem.constraints.sector_lower.clear();
  result = OptimizeMeanVariance(problem, options);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, OptimizationStatus::kInfeasible);
  EXPECT_EQ(result->conflicting_groups,
            (std::vector<ConstraintGroup>{ConstraintGroup::kBudget, ConstraintGroup::kSectors}));

  // Turnover vs bounds: from an equal-weight book, a 5 % turnover cannot reach max weight 2 %.
  problem = ReferenceProblem();
  problem.constraints.current_weights = Vector::Constant(20, 0.05);
  problem.constraints.turnover_limit = 0.05;
  problem.constraints.upper_bounds = Vector::Constant(20, 1.0);
  problem.constraints.upper_bounds[0] = 0.02;
  problem.constraints.upper_bounds[1] = 0.02;
  problem.constraints.lower_bounds = Vector::Zero(20);
  result = OptimizeMeanVariance(problem, options);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, OptimizationStatus::kInfeasible);
  // Selling 3 % of each capped asset already needs 6 % of turnover; the certificate may also
  // use the budget (buying back elsewhere), which is as valid.
  const auto& groups = result->conflicting_groups;
  EXPECT_NE(std::find(groups.begin(), groups.end(), ConstraintGroup::kBounds), groups.end());
  EXPECT_NE(std::find(groups.begin(), groups.end(), ConstraintGroup::kTurnover), groups.end());
  EXPECT_EQ(std::find(groups.begin(), groups.end(), ConstraintGroup::kSectors), groups.end());
}

TEST(MeanVariance, TurnoverAndLeverageLimitsHoldAndBind) {
  PortfolioProblem problem = ReferenceProblem();
  problem.constraints.current_weights = Vector::Constant(20, 0.05);
  problem.constraints.turnover_limit = 0.3;
  MeanVarianceOptions options;
  options.objective = Objective::kMaxSharpe;
  auto result = OptimizeMeanVariance(problem, options);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, OptimizationStatus::kOptimal) << result->message;
  EXPECT_TRUE(result->constraints_satisfied);
  EXPECT_NEAR((result->weights - problem.constraints.current_weights).cwiseAbs().sum(), 0.3, 1e-9);

  problem = ReferenceProblem();
  SetBounds(&problem, -1.0, 1.0);
  problem.constraints.leverage_limit = 1.6;
  result = OptimizeMeanVariance(problem, options);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, OptimizationStatus::kOptimal) << result->message;
  EXPECT_NEAR(result->weights.cwiseAbs().sum(), 1.6, 1e-9);
  EXPECT_NEAR(result->weights.sum(), 1.0, 1e-12);
}

TEST(MeanVariance, RejectsBadInput) {
  MeanVarianceOptions options;
  options.objective = Objective::kMinVolatility;
  PortfolioProblem problem = ReferenceProblem();
  problem.covariance(0, 1) += 0.01;  // not symmetric
  auto result = OptimizeMeanVariance(problem, options);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("not symmetric"), std::string::npos);

  problem = ReferenceProblem();
  problem.covariance(3, 3) = -0.1;
  result = OptimizeMeanVariance(problem, options);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("variance of 'BABA' is -0.1"), std::string::npos);

  problem = ReferenceProblem();
  problem.assets[5] = "GOOG";
  result = OptimizeMeanVariance(problem, options);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("'GOOG' appears more than once"), std::string::npos);

  problem = ReferenceProblem();
  problem.expected_returns[2] = std::nan("");
  options.objective = Objective::kMaxSharpe;
  result = OptimizeMeanVariance(problem, options);
  ASSERT_FALSE(result);

  problem = ReferenceProblem();
  problem.constraints.budget = 0.0;  // long-only market neutral
  result = OptimizeMeanVariance(problem, options);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message().find("needs short positions"), std::string::npos);

  options.objective = Objective::kEfficientReturn;  // no target
  result = OptimizeMeanVariance(ReferenceProblem(), options);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().field(), "target_return");

  options = MeanVarianceOptions();
  options.risk_aversion = 0.0;
  EXPECT_FALSE(options.Validate());
}

TEST(MeanVariance, DefaultOptionsAreValid) { EXPECT_TRUE(MeanVarianceOptions().Validate()); }

}  // namespace
}  // namespace pfopt
