#include "pfopt/optimize/portfolio_problem.h"

#include <gtest/gtest.h>

#include <cmath>

namespace pfopt {
namespace {

PortfolioProblem ThreeAssets() {
  PortfolioProblem p;
  p.assets = {"A", "B", "C"};
  p.expected_returns = Vector::Constant(3, 0.1);
  p.covariance = Matrix::Identity(3, 3) * 0.04;
  return p;
}

TEST(PortfolioProblem, ValidProblemPasses) { EXPECT_TRUE(ThreeAssets().Validate()); }

TEST(PortfolioProblem, RejectsBadDataNamingTheAsset) {
  PortfolioProblem p = ThreeAssets();
  p.assets[2] = "A";
  auto status = p.Validate();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("'A' appears more than once"), std::string::npos);

  p = ThreeAssets();
  p.covariance = Matrix::Identity(3, 2);
  status = p.Validate();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kDimensionMismatch);

  p = ThreeAssets();
  p.covariance(1, 1) = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(p.Validate());

  p = ThreeAssets();
  p.expected_returns = Vector::Ones(4);
  EXPECT_FALSE(p.Validate());

  p = ThreeAssets();
  p.assets.clear();
  p.expected_returns.resize(0);
  p.covariance.resize(0, 0);
  EXPECT_FALSE(p.Validate());
}

// The covariance checks on a matrix larger than the 64 x 64 tiles of the fast path: every
// failure is still found and named.
TEST(PortfolioProblem, CovarianceChecksAcrossTiles) {
  PortfolioProblem p;
  const Index n = 150;
  for (Index i = 0; i < n; ++i) p.assets.push_back("S" + std::to_string(i));
  p.covariance = Matrix::Identity(n, n) * 0.04;
  p.covariance(3, 120) = p.covariance(120, 3) = 0.01;
  EXPECT_TRUE(p.Validate());
  PortfolioProblem asymmetric = p;
  asymmetric.covariance(130, 70) = 0.02;
  auto status = asymmetric.Validate();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("not symmetric"), std::string::npos);
  EXPECT_NE(status.error().message().find("S130"), std::string::npos);
  PortfolioProblem nan = p;
  nan.covariance(140, 2) = kNaN;
  status = nan.Validate();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("finite"), std::string::npos);
  PortfolioProblem negative = p;
  negative.covariance(99, 99) = -0.01;
  status = negative.Validate();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("S99"), std::string::npos);
  PortfolioProblem empty_id = p;
  empty_id.assets[77] = "";
  status = empty_id.Validate();
  ASSERT_FALSE(status);
  EXPECT_NE(status.error().message().find("asset 77 has an empty id"), std::string::npos);
}

// Every off-diagonal position of a matrix whose size is not a multiple of the 4 x 4 blocks of
// the symmetry check (blocks, the diagonal blocks and the leftover rows and columns), and
// every pair of equal ids: each one is found, just above the tolerance and not below it.
TEST(PortfolioProblem, FindsEveryAsymmetryAndDuplicate) {
  for (const Index n : {1, 3, 4, 7, 9}) {
    PortfolioProblem p;
    for (Index i = 0; i < n; ++i) p.assets.push_back("asset" + std::to_string(i));
    p.covariance = Matrix::Constant(n, n, 0.01);
    p.covariance.diagonal().setConstant(0.04);
    ASSERT_TRUE(p.Validate()) << n;
    for (Index i = 0; i < n; ++i) {
      for (Index j = 0; j < n; ++j) {
        if (i == j) continue;
        PortfolioProblem q = p;
        q.covariance(i, j) += 1e-9 * 0.04 * 1.5;
        EXPECT_FALSE(q.Validate()) << n << " " << i << " " << j;
        q.covariance(i, j) = 0.01 + 1e-9 * 0.04 * 0.5;
        EXPECT_TRUE(q.Validate()) << n << " " << i << " " << j;
        q = p;
        q.assets[static_cast<std::size_t>(i)] = q.assets[static_cast<std::size_t>(j)];
        const auto status = q.Validate();
        ASSERT_FALSE(status) << n << " " << i << " " << j;
        EXPECT_NE(status.error().message().find("appears more than once"), std::string::npos);
      }
    }
  }
}

TEST(PortfolioConstraints, RejectsInconsistentLimits) {
  PortfolioConstraints c;
  c.lower_bounds = Vector::Constant(3, 0.5);
  c.upper_bounds = Vector::Constant(3, 0.4);
  auto status = c.Validate(3);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().field(), "lower_bounds[0]");

  c = PortfolioConstraints();
  c.sectors = {"x", "x", "y"};
  c.sector_upper["z"] = 0.3;
  status = c.Validate(3);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().field(), "sector_upper.z");

  c = PortfolioConstraints();
  c.sectors = {"x", "x", "y"};
  c.sector_upper["x"] = 0.3;
  c.sector_lower["x"] = 0.5;
  EXPECT_FALSE(c.Validate(3));

  c = PortfolioConstraints();
  c.turnover_limit = -0.1;
  EXPECT_FALSE(c.Validate(3));
  c = PortfolioConstraints();
  c.leverage_limit = 0.0;
  EXPECT_FALSE(c.Validate(3));
  c = PortfolioConstraints();
  c.current_weights = Vector::Ones(2);
  EXPECT_FALSE(c.Validate(3));
}

TEST(CheckConstraints, ReportsEachViolatedConstraintWithItsGroup) {
  PortfolioProblem p = ThreeAssets();
  p.constraints.sectors = {"x", "x", "y"};
  p.constraints.sector_upper["x"] = 0.5;
  p.constraints.current_weights = Vector::Zero(3);
  p.constraints.turnover_limit = 0.8;
  Vector w(3);
  w << 0.5, 0.3, 0.1;  // sum 0.9 (budget), sector x 0.8 (> 0.5), turnover 0.9 (> 0.8)
  const auto violations = CheckConstraints(p, w, 1e-9);
  ASSERT_EQ(violations.size(), 3u);
  EXPECT_EQ(violations[0].group, ConstraintGroup::kBudget);
  EXPECT_NEAR(violations[0].amount, 0.1, 1e-12);
  EXPECT_EQ(violations[1].name, "sector_upper[x]");
  EXPECT_NEAR(violations[1].amount, 0.3, 1e-12);
  EXPECT_EQ(violations[2].group, ConstraintGroup::kTurnover);

  w << 0.2, 0.3, 0.5;  // from all cash, any fully invested book has turnover 1
  p.constraints.turnover_limit = 1.0;
  EXPECT_TRUE(CheckConstraints(p, w, 1e-9).empty());
  w << -0.1, 0.6, 0.5;  // below the default lower bound 0
  const auto bounds = CheckConstraints(p, w, 1e-9);
  ASSERT_FALSE(bounds.empty());
  EXPECT_EQ(bounds[0].name, "min_weight[A]");
}

}  // namespace
}  // namespace pfopt
