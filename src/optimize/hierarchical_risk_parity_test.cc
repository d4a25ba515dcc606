#include "pfopt/optimize/hierarchical_risk_parity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>

#include "pfopt/data/returns.h"
#include "pfopt/estimate/expected_returns.h"
#include "pfopt/estimate/risk_models.h"
#include "support/reference_data.h"

namespace pfopt {
namespace {

using testing::PypfoptReference;
using testing::Tickers;
using testing::TickerVector;

const nlohmann::json& HrpReference() {
  static const nlohmann::json reference = testing::ReadJsonFile("tests/data/hrp/reference.json");
  return reference;
}

// Daily simple returns of stock_prices.csv, rows missing for every asset dropped (as
// PyPortfolioOpt's HRPOpt(returns) receives them).
const Matrix& StockReturns() {
  static const Matrix returns = [] {
    auto r = ReturnsFromPrices(testing::StockPrices());
    EXPECT_TRUE(r.has_value());
    return r->values;
  }();
  return returns;
}

// The inputs of HRPOpt(returns): pairwise correlation and pairwise sample covariance.
PortfolioProblem StockProblem() {
  PortfolioProblem problem;
  problem.assets = Tickers();
  RiskModelOptions options;
  options.periods_per_year = 1.0;  // returns.cov(), not annualised (HRP does not care)
  auto cov = EstimateCovariance(StockReturns(), options);
  EXPECT_TRUE(cov.has_value());
  problem.covariance = cov->covariance;
  return problem;
}

const Matrix& StockCorrelation() {
  static const Matrix corr = [] {
    auto c = PairwiseCorrelation(StockReturns());
    EXPECT_TRUE(c.has_value());
    return *c;
  }();
  return corr;
}

std::vector<std::string> Names(const std::vector<Index>& order) {
  std::vector<std::string> names;
  for (Index i : order) names.push_back(Tickers()[static_cast<std::size_t>(i)]);
  return names;
}

const char* kLinkageKeys[] = {"single", "average", "complete", "ward"};

LinkageMethod MethodFromKey(const std::string& key) {
  auto method = EnumFromString<LinkageMethod>(key);
  EXPECT_TRUE(method.has_value());
  return *method;
}

TEST(HierarchicalRiskParity, DefaultOptionsAreValid) { EXPECT_TRUE(HrpOptions{}.Validate()); }

// PyPortfolioOpt 1.5.6 HRPOpt(returns).optimize(linkage) on stock_prices.csv: weights, the
// quasi-diagonal order and scipy's linkage matrix, for every linkage method.
TEST(HierarchicalRiskParity, MatchesPyPortfolioOptForEveryLinkage) {
  const PortfolioProblem problem = StockProblem();
  for (const char* key : kLinkageKeys) {
    SCOPED_TRACE(key);
    const auto& reference = PypfoptReference()["hrp"][key];
    HrpOptions options;
    options.linkage = MethodFromKey(key);
    auto result = OptimizeHierarchicalRiskParity(problem, StockCorrelation(), options);
    ASSERT_TRUE(result.has_value()) << result.error().ToString();
    ASSERT_EQ(result->status, OptimizationStatus::kOptimal);
    EXPECT_TRUE(result->constraints_satisfied);
    EXPECT_EQ(Names(result->leaf_order), reference["leaf_order"].get<std::vector<std::string>>());
    const Vector expected = TickerVector(reference["weights"], Tickers());
    EXPECT_LE((result->weights - expected).cwiseAbs().maxCoeff(), 1e-14);
    const auto& z = reference["linkage_matrix"];
    ASSERT_EQ(result->linkage.merges.size(), z.size());
    for (std::size_t k = 0; k < z.size(); ++k) {
      const Linkage::Merge& m = result->linkage.merges[k];
      EXPECT_EQ(m.left, static_cast<Index>(z[k][0].get<double>()));
      EXPECT_EQ(m.right, static_cast<Index>(z[k][1].get<double>()));
      EXPECT_NEAR(m.distance, z[k][2].get<double>(), 1e-14);
      EXPECT_EQ(m.size, static_cast<Index>(z[k][3].get<double>()));
    }
  }
}

// HRPOpt.portfolio_performance: arithmetic mean and covariance of the returns times 252.
TEST(HierarchicalRiskParity, PerformanceMatchesPyPortfolioOpt) {
  PortfolioProblem problem = StockProblem();
  problem.covariance *= 252.0;
  ExpectedReturnsOptions er;
  er.method = ExpectedReturnsMethod::kMeanArithmetic;
  problem.expected_returns = *EstimateExpectedReturns(StockReturns(), er);
  HrpOptions options;
  options.risk_free_rate = 0.02;
  auto result = OptimizeHierarchicalRiskParity(problem, StockCorrelation(), options);
  ASSERT_TRUE(result.has_value());
  const auto& perf = PypfoptReference()["hrp"]["single"]["performance_rf0.02_freq252"];
  EXPECT_NEAR(result->performance.expected_return, perf[0].get<double>(), 1e-12);
  EXPECT_NEAR(result->performance.volatility, perf[1].get<double>(), 1e-12);
  EXPECT_NEAR(result->performance.sharpe_ratio, perf[2].get<double>(), 1e-11);
}

// HRPOpt(cov_matrix=LedoitWolf(prices)) clusters the correlation of the covariance (rounded to
// 6 decimals there; unrounded here, which gives the same tree).
TEST(HierarchicalRiskParity, FromLedoitWolfCovarianceMatchesPyPortfolioOpt) {
  PortfolioProblem problem;
  problem.assets = Tickers();
  RiskModelOptions options;
  options.model = RiskModel::kLedoitWolf;
  options.missing = MissingData::kAsZero;  // PyPortfolioOpt's shrinkage input
  auto cov = EstimateCovariance(StockReturns(), options);
  ASSERT_TRUE(cov.has_value());
  problem.covariance = cov->covariance;
  auto result = OptimizeHierarchicalRiskParity(problem);
  ASSERT_TRUE(result.has_value());
  const auto& reference = PypfoptReference()["hrp"]["single_from_ledoit_wolf_cov"];
  const Vector expected = TickerVector(reference["weights"], Tickers());
  EXPECT_LE((result->weights - expected).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_NEAR(result->performance.volatility, reference["volatility"].get<double>(), 1e-12);
}

// The independent cluster variance used by the property test below reproduces
// PyPortfolioOpt's _get_cluster_var test value (the first ten leaves of the single tree).
double ClusterVariance(const Matrix& sigma, const std::vector<Index>& items) {
  const Index m = static_cast<Index>(items.size());
  Vector w(m);
  for (Index a = 0; a < m; ++a) w[a] = 1.0 / sigma(items[a], items[a]);
  w /= w.sum();
  double v = 0.0;
  for (Index a = 0; a < m; ++a)
    for (Index b = 0; b < m; ++b) v += w[a] * w[b] * sigma(items[a], items[b]);
  return v;
}

TEST(HierarchicalRiskParity, WeightsFollowTheTreeAndSumToOne) {
  const PortfolioProblem problem = StockProblem();
  auto result = OptimizeHierarchicalRiskParity(problem, StockCorrelation());
  ASSERT_TRUE(result.has_value());
  const std::vector<Index>& order = result->leaf_order;
  const std::vector<Index> first_ten(order.begin(), order.begin() + 10);
  EXPECT_NEAR(ClusterVariance(problem.covariance, first_ten),
              PypfoptReference()["hrp"]["cluster_var_example"].get<double>(), 1e-18);
  EXPECT_NEAR(result->weights.sum(), 1.0, 1e-15);
  EXPECT_GT(result->weights.minCoeff(), 0.0);
  // Every bisection of every block of the leaf order splits its weight as
  // 1 - V1 / (V1 + V2) : V1 / (V1 + V2).
  std::vector<std::pair<std::size_t, std::size_t>> blocks = {{0, order.size()}};
  int splits = 0;
  while (!blocks.empty()) {
    auto [begin, end] = blocks.back();
    blocks.pop_back();
    if (end - begin < 2) continue;
    const std::size_t middle = begin + (end - begin) / 2;
    const std::vector<Index> left(order.begin() + begin, order.begin() + middle);
    const std::vector<Index> right(order.begin() + middle, order.begin() + end);
    double w_left = 0.0, w_right = 0.0;
    for (Index i : left) w_left += result->weights[i];
    for (Index i : right) w_right += result->weights[i];
    const double v1 = ClusterVariance(problem.covariance, left);
    const double v2 = ClusterVariance(problem.covariance, right);
    EXPECT_NEAR(w_left / (w_left + w_right), 1.0 - v1 / (v1 + v2), 1e-13);
    blocks.push_back({begin, middle});
    blocks.push_back({middle, end});
    ++splits;
  }
  EXPECT_EQ(splits, 19);
}

// scipy.cluster.hierarchy.linkage on seeded point sets with many tied distances
// (tests/data/hrp/generate.py): same merges, same leaf order.
TEST(HierarchicalClustering, MatchesScipyIncludingTies) {
  int cases = 0;
  for (const auto& c : HrpReference()["linkage"]) {
    const Matrix points = testing::JsonMatrix(c["points"]);
    const Index n = points.rows();
    Matrix d(n, n);
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < n; ++j) d(i, j) = (points.row(i) - points.row(j)).norm();
    const std::string method = c["method"];
    SCOPED_TRACE(method + " n=" + std::to_string(n) + " grid " + c["grid"].dump());
    auto linkage = ComputeLinkage(d, *EnumFromString<LinkageMethod>(method));
    ASSERT_TRUE(linkage.has_value());
    const auto& z = c["linkage"];
    ASSERT_EQ(linkage->merges.size(), z.size());
    for (std::size_t k = 0; k < z.size(); ++k) {
      const Linkage::Merge& m = linkage->merges[k];
      EXPECT_EQ(m.left, static_cast<Index>(z[k][0].get<double>())) << "merge " << k;
      EXPECT_EQ(m.right, static_cast<Index>(z[k][1].get<double>())) << "merge " << k;
      EXPECT_NEAR(m.distance, z[k][2].get<double>(), 1e-12 * (1.0 + z[k][2].get<double>()));
      EXPECT_EQ(m.size, static_cast<Index>(z[k][3].get<double>()));
    }
    EXPECT_EQ(LeafOrder(*linkage), c["leaf_order"].get<std::vector<Index>>());
    ++cases;
  }
  EXPECT_EQ(cases, 56);
}

// The original paper's distance of distances, against numpy/scipy (generate.py).
TEST(HierarchicalRiskParity, DistanceOfDistancesMatchesNumpyScipy) {
  const PortfolioProblem problem = StockProblem();
  for (const char* key : kLinkageKeys) {
    SCOPED_TRACE(key);
    std::string upper = key;
    std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
    const auto& reference = HrpReference()["distance_of_distances"][upper];
    HrpOptions options;
    options.linkage = MethodFromKey(key);
    options.distance = HrpDistance::kDistanceOfDistances;
    auto result = OptimizeHierarchicalRiskParity(problem, StockCorrelation(), options);
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(Names(result->leaf_order), reference["leaf_order"].get<std::vector<std::string>>());
    const Vector expected = TickerVector(reference["weights"], Tickers());
    EXPECT_LE((result->weights - expected).cwiseAbs().maxCoeff(), 1e-14);
  }
}

TEST(HierarchicalRiskParity, BoundsAndBudget) {
  PortfolioProblem problem = StockProblem();
  const Index n = problem.num_assets();
  auto free = OptimizeHierarchicalRiskParity(problem, StockCorrelation());
  ASSERT_TRUE(free.has_value());
  // Bounds that do not bind change nothing; a budget scales every weight.
  problem.constraints.lower_bounds = Vector::Constant(n, 0.001);
  problem.constraints.upper_bounds = Vector::Constant(n, 0.5);
  problem.constraints.budget = 2.0;
  auto scaled = OptimizeHierarchicalRiskParity(problem, StockCorrelation());
  ASSERT_TRUE(scaled.has_value());
  EXPECT_LE((scaled->weights - 2.0 * free->weights).cwiseAbs().maxCoeff(), 1e-15);
  // Binding bounds hold, the budget too, and the splits that did not hit a bound keep their
  // HRP ratio.
  problem.constraints.budget = 1.0;
  problem.constraints.lower_bounds = Vector::Constant(n, 0.02);
  problem.constraints.upper_bounds = Vector::Constant(n, 0.08);
  auto bounded = OptimizeHierarchicalRiskParity(problem, StockCorrelation());
  ASSERT_TRUE(bounded.has_value());
  EXPECT_EQ(bounded->status, OptimizationStatus::kOptimal);
  EXPECT_TRUE(bounded->constraints_satisfied);
  EXPECT_NEAR(bounded->weights.sum(), 1.0, 1e-14);
  EXPECT_GE(bounded->weights.minCoeff(), 0.02 - 1e-15);
  EXPECT_LE(bounded->weights.maxCoeff(), 0.08 + 1e-15);
  EXPECT_GT(free->weights.maxCoeff(), 0.08);  // so the bounds did bind
  // Infeasible bounds are a status naming bounds and budget.
  problem.constraints.upper_bounds = Vector::Constant(n, 0.04);
  auto infeasible = OptimizeHierarchicalRiskParity(problem, StockCorrelation());
  ASSERT_TRUE(infeasible.has_value());
  EXPECT_EQ(infeasible->status, OptimizationStatus::kInfeasible);
  EXPECT_NE(infeasible->message.find("bounds vs budget"), std::string::npos);
  EXPECT_EQ(infeasible->conflicting_groups.size(), 2u);
  EXPECT_EQ(infeasible->weights.size(), 0);
}

TEST(HierarchicalRiskParity, RejectsConstraintsItCannotHonour) {
  PortfolioProblem problem = StockProblem();
  problem.constraints.turnover_limit = 0.2;
  auto turnover = OptimizeHierarchicalRiskParity(problem);
  ASSERT_FALSE(turnover.has_value());
  EXPECT_EQ(turnover.error().field(), "constraints.turnover_limit");
  problem.constraints.turnover_limit.reset();
  problem.constraints.leverage_limit = 1.5;
  EXPECT_EQ(OptimizeHierarchicalRiskParity(problem).error().field(), "constraints.leverage_limit");
  problem.constraints.leverage_limit.reset();
  problem.constraints.sectors.assign(20, "all");
  problem.constraints.sector_upper = {{"all", 0.5}};
  EXPECT_EQ(OptimizeHierarchicalRiskParity(problem).error().field(), "constraints.sector_upper");
  problem.constraints.sectors.clear();
  problem.constraints.sector_upper.clear();
  problem.constraints.budget = 0.0;
  EXPECT_EQ(OptimizeHierarchicalRiskParity(problem).error().field(), "budget");
}

TEST(HierarchicalRiskParity, RejectsBadInput) {
  PortfolioProblem problem = StockProblem();
  EXPECT_EQ(OptimizeHierarchicalRiskParity(problem, Matrix::Identity(3, 3)).error().code(),
            ErrorCode::kDimensionMismatch);
  Matrix corr = StockCorrelation();
  corr(0, 1) = kNaN;
  EXPECT_FALSE(OptimizeHierarchicalRiskParity(problem, corr).has_value());
  problem.covariance.row(3).setZero();
  problem.covariance.col(3).setZero();
  auto zero = OptimizeHierarchicalRiskParity(problem, StockCorrelation());
  ASSERT_FALSE(zero.has_value());
  EXPECT_NE(zero.error().message().find("BABA"), std::string::npos);
  EXPECT_FALSE(ComputeLinkage(Matrix::Ones(2, 3), LinkageMethod::kSingle).has_value());
  Matrix negative = Matrix::Zero(2, 2);
  negative(0, 1) = -1.0;
  EXPECT_FALSE(ComputeLinkage(negative, LinkageMethod::kWard).has_value());
}

TEST(HierarchicalRiskParity, OneAndTwoAssets) {
  PortfolioProblem one;
  one.assets = {"A"};
  one.covariance = Matrix::Constant(1, 1, 0.04);
  auto single = OptimizeHierarchicalRiskParity(one);
  ASSERT_TRUE(single.has_value());
  EXPECT_EQ(single->weights[0], 1.0);
  PortfolioProblem two;
  two.assets = {"A", "B"};
  two.covariance.resize(2, 2);
  two.covariance << 0.04, 0.01, 0.01, 0.09;
  auto pair = OptimizeHierarchicalRiskParity(two);
  ASSERT_TRUE(pair.has_value());
  // Two assets: inverse-variance weights.
  EXPECT_NEAR(pair->weights[0], 0.09 / 0.13, 1e-15);
  EXPECT_NEAR(pair->weights[1], 0.04 / 0.13, 1e-15);
}

// Larger random problems: the weights sum to one, and the clustering is O(n^2) in practice.
TEST(HierarchicalRiskParity, RandomProblemsEveryLinkage) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> normal;
  const Index n = 120, k = 10;
  Matrix f(n, k);
  for (Index j = 0; j < k; ++j)
    for (Index i = 0; i < n; ++i) f(i, j) = normal(rng);
  PortfolioProblem problem;
  for (Index i = 0; i < n; ++i) problem.assets.push_back("A" + std::to_string(i));
  problem.covariance = f * f.transpose() / static_cast<double>(k);
  problem.covariance.diagonal().array() += 0.05;
  for (const char* key : kLinkageKeys) {
    for (HrpDistance distance : {HrpDistance::kCorrelation, HrpDistance::kDistanceOfDistances}) {
      HrpOptions options;
      options.linkage = MethodFromKey(key);
      options.distance = distance;
      auto result = OptimizeHierarchicalRiskParity(problem, options);
      ASSERT_TRUE(result.has_value());
      EXPECT_NEAR(result->weights.sum(), 1.0, 1e-13);
      EXPECT_GT(result->weights.minCoeff(), 0.0);
      std::vector<Index> sorted = result->leaf_order;
      std::sort(sorted.begin(), sorted.end());
      for (Index i = 0; i < n; ++i) EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
    }
  }
}

}  // namespace
}  // namespace pfopt
