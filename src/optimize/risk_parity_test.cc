#include "pfopt/optimize/risk_parity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "support/reference_data.h"

namespace pfopt {
namespace {

using testing::JsonMatrix;
using testing::JsonVector;

const nlohmann::json& Reference() {
  static const nlohmann::json reference =
      testing::ReadJsonFile("tests/data/risk_parity/reference.json");
  return reference;
}

Matrix StockCovariance() {
  return JsonMatrix(testing::PypfoptReference()["risk_models"]["sample_cov"]["values"]);
}

PortfolioProblem Problem(const Matrix& sigma) {
  PortfolioProblem problem;
  for (Index i = 0; i < sigma.rows(); ++i) problem.assets.push_back("A" + std::to_string(i));
  problem.covariance = sigma;
  return problem;
}

Matrix FactorCovariance(Index n, unsigned seed, Index factors) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform(0.01, 0.05);
  Matrix f(n, factors);
  for (Index j = 0; j < factors; ++j)
    for (Index i = 0; i < n; ++i) f(i, j) = normal(rng);
  Matrix sigma = f * f.transpose() / static_cast<double>(factors);
  for (Index i = 0; i < n; ++i) sigma(i, i) += uniform(rng);
  return sigma;
}

// Optimality of the unbounded answer checked from scratch: risk contributions equal budgets.
void ExpectBudgetsMet(const RiskParityResult& result, const Matrix& sigma, const Vector& b,
                      double budget = 1.0) {
  ASSERT_EQ(result.status, OptimizationStatus::kOptimal) << result.message;
  const Vector& w = result.weights;
  const Vector sw = sigma * w;
  const Vector rc = (w.array() * sw.array()).matrix() / w.dot(sw);
  EXPECT_LE((rc - b / b.sum()).cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_NEAR(w.sum(), budget, 1e-13 * budget);
  EXPECT_GT(w.minCoeff(), 0.0);
  EXPECT_TRUE(result.constraints_satisfied);
  EXPECT_LE(result.objective_value, 1e-10);
}

TEST(RiskParity, DefaultOptionsAreValid) { EXPECT_TRUE(RiskParityOptions{}.Validate()); }

// scipy (trust-exact on Spinu's function, polished by root finding) on seeded factor
// covariances and the stock sample covariance, equal and unequal budgets.
TEST(RiskParity, MatchesScipyReference) {
  const Matrix stock = StockCovariance();
  int cases = 0;
  for (const auto& c : Reference()["unbounded"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const Matrix sigma = c.contains("covariance") ? JsonMatrix(c["covariance"]) : stock;
    RiskParityOptions options;
    options.budgets = JsonVector(c["budgets"]);
    auto result = OptimizeRiskParity(Problem(sigma), options);
    ASSERT_TRUE(result.has_value()) << result.error().ToString();
    ExpectBudgetsMet(*result, sigma, options.budgets);
    const Vector expected = JsonVector(c["weights"]);
    EXPECT_LE((result->weights - expected).cwiseAbs().maxCoeff(), 1e-11 * expected.maxCoeff());
    EXPECT_FALSE(result->bounds_bind);
    EXPECT_NEAR(result->budget_ratio, 1.0, 1e-9);
    ++cases;
  }
  EXPECT_EQ(cases, 8);
}

// Bounded risk budgeting (Richard & Roncalli): scipy SLSQP + brentq, polished on the active set.
TEST(RiskParity, BoundedMatchesScipyReference) {
  const Matrix sigma = StockCovariance();
  for (const auto& c : Reference()["bounded"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    PortfolioProblem problem = Problem(sigma);
    problem.constraints.lower_bounds = JsonVector(c["lower"]);
    problem.constraints.upper_bounds = JsonVector(c["upper"]);
    problem.constraints.budget = c["budget"].get<double>();
    RiskParityOptions options;
    options.budgets = JsonVector(c["budgets"]);
    auto result = OptimizeRiskParity(problem, options);
    ASSERT_TRUE(result.has_value()) << result.error().ToString();
    ASSERT_EQ(result->status, OptimizationStatus::kOptimal) << result->message;
    EXPECT_TRUE(result->constraints_satisfied);
    const Vector expected = JsonVector(c["weights"]);
    EXPECT_LE((result->weights - expected).cwiseAbs().maxCoeff(), 1e-10);
    const bool binds = c["at_lower"].get<int>() + c["at_upper"].get<int>() > 0;
    EXPECT_EQ(result->bounds_bind, binds);
    // KKT of the bounded problem: RC_i / b_i is the same for assets inside their bounds,
    // larger at a lower bound, smaller at an upper bound.
    const Vector& w = result->weights;
    const Vector& b = result->budgets;
    const Vector ratio = result->risk_contributions.cwiseQuotient(b);
    const double common = result->budget_ratio;
    ASSERT_TRUE(std::isfinite(common));
    for (Index i = 0; i < w.size(); ++i) {
      const double lo = problem.constraints.lower_bounds[i];
      const double hi = problem.constraints.upper_bounds[i];
      if (w[i] <= lo + 1e-9) {
        EXPECT_GE(ratio[i], common - 1e-9);
      } else if (w[i] >= hi - 1e-9) {
        EXPECT_LE(ratio[i], common + 1e-9);
      } else {
        EXPECT_NEAR(ratio[i], common, 1e-9 * common);
      }
    }
  }
}

TEST(RiskParity, NearSingularFactorCovariancesAtSeveralSizes) {
  for (Index n : {2, 3, 24, 25, 60, 200}) {
    SCOPED_TRACE(n);
    const Matrix sigma = FactorCovariance(n, 42, std::max<Index>(1, n / 2));
    auto result = OptimizeRiskParity(Problem(sigma));
    ASSERT_TRUE(result.has_value());
    ExpectBudgetsMet(*result, sigma, Vector::Ones(n));
    EXPECT_LE(result->iterations, 30);
  }
}

// Risk-parity weights do not depend on the scale of Sigma. Scales far outside single
// precision's range (where the solver keeps every product in double precision) give the same
// weights as the plain one, at sizes that take the conjugate-gradient path (n > 24) with a
// partial last panel of the single-precision factorisation (n = 37, 150).
TEST(RiskParity, WeightsDoNotDependOnTheScaleOfSigma) {
  for (Index n : {37, 150}) {
    const Matrix sigma = FactorCovariance(n, 11, n / 3);
    auto plain = OptimizeRiskParity(Problem(sigma));
    ASSERT_TRUE(plain.has_value());
    ExpectBudgetsMet(*plain, sigma, Vector::Ones(n));
    for (double scale : {1e-36, 1e-20, 1e20, 1e36}) {
      SCOPED_TRACE(std::to_string(n) + " " + std::to_string(scale));
      const Matrix scaled = sigma * scale;
      auto result = OptimizeRiskParity(Problem(scaled));
      ASSERT_TRUE(result.has_value());
      ExpectBudgetsMet(*result, scaled, Vector::Ones(n));
      EXPECT_LE((result->weights - plain->weights).cwiseAbs().maxCoeff(), 1e-9);
    }
  }
}

TEST(RiskParity, DiagonalCovarianceGivesInverseVolatility) {
  Vector variances(4);
  variances << 0.01, 0.04, 0.09, 0.16;
  auto result = OptimizeRiskParity(Problem(variances.asDiagonal()));
  ASSERT_TRUE(result.has_value());
  Vector expected = variances.cwiseSqrt().cwiseInverse();
  expected /= expected.sum();
  EXPECT_LE((result->weights - expected).cwiseAbs().maxCoeff(), 1e-14);
}

TEST(RiskParity, WarmStartConvergesInFewIterations) {
  const Matrix sigma = FactorCovariance(80, 7, 40);
  auto cold = OptimizeRiskParity(Problem(sigma));
  ASSERT_TRUE(cold.has_value());
  Matrix moved = sigma;
  moved.diagonal() *= 1.01;
  RiskParityOptions options;
  options.initial_weights = cold->weights;
  auto warm = OptimizeRiskParity(Problem(moved), options);
  ASSERT_TRUE(warm.has_value());
  ExpectBudgetsMet(*warm, moved, Vector::Ones(80));
  EXPECT_LE(warm->iterations, 5);
  EXPECT_LT(warm->iterations, cold->iterations);
}

TEST(RiskParity, ZeroBudgetAssetSitsAtItsLowerBound) {
  const Matrix sigma = StockCovariance();
  Vector b = Vector::Ones(20);
  b[3] = 0.0;
  RiskParityOptions options;
  options.budgets = b;
  auto result = OptimizeRiskParity(Problem(sigma), options);
  ASSERT_TRUE(result.has_value());
  ASSERT_EQ(result->status, OptimizationStatus::kOptimal);
  EXPECT_EQ(result->weights[3], 0.0);
  EXPECT_NEAR(result->weights.sum(), 1.0, 1e-13);
  EXPECT_LE((result->risk_contributions - b / b.sum()).cwiseAbs().maxCoeff(), 1e-10);
  // With a positive lower bound it is held there and the others share the rest.
  PortfolioProblem problem = Problem(sigma);
  problem.constraints.lower_bounds = Vector::Zero(20);
  problem.constraints.lower_bounds[3] = 0.05;
  problem.constraints.upper_bounds = Vector::Ones(20);
  auto held = OptimizeRiskParity(problem, options);
  ASSERT_TRUE(held.has_value());
  ASSERT_EQ(held->status, OptimizationStatus::kOptimal) << held->message;
  EXPECT_EQ(held->weights[3], 0.05);
  EXPECT_NEAR(held->weights.sum(), 1.0, 1e-13);
  // Among the others the contributions stay proportional to the budgets.
  const Vector ratio = held->risk_contributions.cwiseQuotient(held->budgets);
  for (Index i = 0; i < 20; ++i) {
    if (i != 3) {
      EXPECT_NEAR(ratio[i], ratio[0], 1e-9 * ratio[0]);
    }
  }
}

TEST(RiskParity, InfeasibleBoundsAreAStatus) {
  PortfolioProblem problem = Problem(StockCovariance());
  problem.constraints.upper_bounds = Vector::Constant(20, 0.04);
  problem.constraints.lower_bounds = Vector::Zero(20);
  auto result = OptimizeRiskParity(problem);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status, OptimizationStatus::kInfeasible);
  EXPECT_NE(result->message.find("bounds vs budget"), std::string::npos);
  // Bounds that leave one portfolio give it.
  problem.constraints.upper_bounds = Vector::Constant(20, 0.05);
  auto only = OptimizeRiskParity(problem);
  ASSERT_TRUE(only.has_value());
  ASSERT_EQ(only->status, OptimizationStatus::kOptimal);
  EXPECT_LE((only->weights - Vector::Constant(20, 0.05)).cwiseAbs().maxCoeff(), 1e-15);
}

TEST(RiskParity, RejectsWhatItCannotDo) {
  PortfolioProblem problem = Problem(StockCovariance());
  problem.constraints.lower_bounds = Vector::Constant(20, -0.1);
  problem.constraints.upper_bounds = Vector::Ones(20);
  auto shorts = OptimizeRiskParity(problem);
  ASSERT_FALSE(shorts.has_value());
  EXPECT_EQ(shorts.error().field(), "lower_bounds");
  problem.constraints.lower_bounds = Vector::Zero(20);
  problem.constraints.turnover_limit = 0.3;
  EXPECT_EQ(OptimizeRiskParity(problem).error().field(), "constraints.turnover_limit");
  problem.constraints.turnover_limit.reset();
  problem.constraints.budget = 0.0;
  EXPECT_EQ(OptimizeRiskParity(problem).error().field(), "budget");
  problem.constraints.budget = 1.0;
  RiskParityOptions options;
  options.budgets = Vector::Ones(3);
  EXPECT_EQ(OptimizeRiskParity(problem, options).error().code(), ErrorCode::kDimensionMismatch);
  options.budgets = Vector::Ones(20);
  options.budgets[2] = -1.0;
  EXPECT_EQ(OptimizeRiskParity(problem, options).error().field(), "budgets");
  options.budgets = Vector::Zero(20);
  EXPECT_EQ(OptimizeRiskParity(problem, options).error().field(), "budgets");
  problem.covariance.row(5).setZero();
  problem.covariance.col(5).setZero();
  auto zero = OptimizeRiskParity(problem);
  ASSERT_FALSE(zero.has_value());
  EXPECT_NE(zero.error().message().find("A5"), std::string::npos);
}

// Two perfectly anti-correlated assets: a riskless combination exists, so no risk-budgeting
// portfolio does. That is a status with a reason, not a hang or NaN weights.
TEST(RiskParity, RisklessCombinationIsReported) {
  Matrix sigma(2, 2);
  sigma << 0.04, -0.04, -0.04, 0.04;
  auto result = OptimizeRiskParity(Problem(sigma));
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(HasSolution(result->status));
  EXPECT_FALSE(result->message.empty());
  EXPECT_EQ(result->weights.size(), 0);
}

TEST(RiskContributions, SumToOne) {
  const Matrix sigma = StockCovariance();
  auto rc = RiskContributions(Vector::Constant(20, 0.05), sigma);
  ASSERT_TRUE(rc.has_value());
  EXPECT_NEAR(rc->sum(), 1.0, 1e-15);
  EXPECT_FALSE(RiskContributions(Vector::Zero(20), sigma).has_value());
  EXPECT_FALSE(RiskContributions(Vector::Zero(3), sigma).has_value());
}

}  // namespace
}  // namespace pfopt
