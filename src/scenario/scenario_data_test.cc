#include "pfopt/scenario/scenario_data.h"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <memory>

#include "support/reference_data.h"

namespace pfopt::scenario {
namespace {

using testing::JsonMatrix;
using testing::JsonVector;
using testing::MaxRelativeDifference;
using testing::ScenarioDevCube;
using testing::ScenarioReference;

TEST(ScenarioData, CovarianceMatchesAllopy) {
  auto data = ScenarioData::Create(ScenarioDevCube(), {.time_unit = 4});
  ASSERT_TRUE(data) << data.error().ToString();
  const Matrix expected = JsonMatrix(ScenarioReference()["covariance_matrix"]);
  EXPECT_LT(MaxRelativeDifference(data->covariance(), expected), 1e-14);
  EXPECT_FALSE(data->covariance_repaired());
  EXPECT_GT(data->covariance_min_eigenvalue(), 0.0);
  EXPECT_DOUBLE_EQ(data->num_years(), 5.0);
  // Bit-symmetric, as the optimisers assume.
  EXPECT_EQ(data->covariance(), data->covariance().transpose());
}

TEST(ScenarioData, CumulativeReturnsMatchAllopy) {
  auto data = ScenarioData::Create(ScenarioDevCube());
  ASSERT_TRUE(data);
  const Matrix g5 = JsonMatrix(ScenarioReference()["cumulative_returns_5y_first3_trials"]);
  const Matrix g3 = JsonMatrix(ScenarioReference()["cumulative_returns_3y_first3_trials"]);
  EXPECT_LT(MaxRelativeDifference(data->cumulative_returns().topRows(3), g5), 1e-15);
  EXPECT_LT(MaxRelativeDifference(data->cvar_cumulative_returns().topRows(3), g3), 1e-15);
  EXPECT_EQ(data->cvar_periods(), 12);
  EXPECT_TRUE(data->default_cvar_data());
}

TEST(ScenarioData, GivenCvarCubeIsUsedWhole) {
  ScenarioDataOptions options;
  options.cvar_cube = ScenarioDevCube();
  auto data = ScenarioData::Create(ScenarioDevCube(), options);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->cvar_periods(), 20);
  EXPECT_FALSE(data->default_cvar_data());
  EXPECT_EQ(data->cvar_cumulative_returns(), data->cumulative_returns());
}

TEST(ScenarioData, ShortCubeUsesAllPeriodsForCvar) {
  auto head = ScenarioDevCube()->FirstPeriods(8);
  ASSERT_TRUE(head);
  auto data = ScenarioData::Create(*head);
  ASSERT_TRUE(data);
  EXPECT_EQ(data->cvar_periods(), 8);
  EXPECT_DOUBLE_EQ(data->num_years(), 2.0);
}

TEST(ScenarioData, RejectsBadOptionsAndShapes) {
  EXPECT_FALSE(ScenarioData::Create(ScenarioDevCube(), {.time_unit = 0}));
  auto odd =
      ScenarioData::Create(ScenarioDevCube(), {.time_unit = 3});  // 20 periods, not whole years
  ASSERT_FALSE(odd);
  EXPECT_NE(odd.error().message().find("whole number of years"), std::string::npos);
  // ... unless the covariance is given.
  ScenarioDataOptions given{.time_unit = 3, .covariance = Matrix::Identity(6, 6)};
  auto ok = ScenarioData::Create(ScenarioDevCube(), given);
  ASSERT_TRUE(ok) << ok.error().ToString();
  EXPECT_DOUBLE_EQ(ok->num_years(), 20.0 / 3.0);
  EXPECT_EQ(ok->covariance(), Matrix::Identity(6, 6));
  auto wrong_size = ScenarioData::Create(ScenarioDevCube(), {.covariance = Matrix::Identity(5, 5)});
  ASSERT_FALSE(wrong_size);
  EXPECT_EQ(wrong_size.error().code(), ErrorCode::kDimensionMismatch);
  Matrix asymmetric = Matrix::Identity(6, 6);
  asymmetric(0, 1) = 0.1;
  EXPECT_FALSE(ScenarioData::Create(ScenarioDevCube(), {.covariance = asymmetric}));
  ScenarioDataOptions other_assets;
  auto small = ScenarioCube::Create(4, 3, 2, std::vector<double>(24, 0.01));
  ASSERT_TRUE(small);
  other_assets.cvar_cube = std::make_shared<const ScenarioCube>(*small);
  auto mismatch = ScenarioData::Create(ScenarioDevCube(), other_assets);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().code(), ErrorCode::kDimensionMismatch);
  auto one_trial = ScenarioCube::Create(4, 1, 2, std::vector<double>(8, 0.01));
  ASSERT_TRUE(one_trial);
  EXPECT_FALSE(ScenarioData::Create(*one_trial));
}

TEST(RepairCovariance, LeavesPsdMatricesAlone) {
  const Matrix expected = JsonMatrix(ScenarioReference()["covariance_matrix"]);
  bool repaired = true;
  EXPECT_EQ(RepairCovariance(expected, &repaired), expected);
  EXPECT_FALSE(repaired);
}

TEST(RepairCovariance, RepairsAnIndefiniteMatrixKeepingTheDeviations) {
  // Correlations 0.9, 0.9, -0.9 are impossible together: eigenvalues 1.9, 1.9, -0.8.
  Matrix correlation(3, 3);
  correlation << 1, 0.9, 0.9, 0.9, 1, -0.9, 0.9, -0.9, 1;
  const Vector deviation = (Vector(3) << 0.1, 0.2, 0.3).finished();
  const Matrix covariance = deviation.asDiagonal() * correlation * deviation.asDiagonal();
  bool repaired = false;
  double min_eigenvalue = 0.0;
  const Matrix fixed = RepairCovariance(covariance, &repaired, &min_eigenvalue);
  EXPECT_TRUE(repaired);
  EXPECT_LT(min_eigenvalue, -1e-3);
  for (Index i = 0; i < 3; ++i) EXPECT_NEAR(fixed(i, i), covariance(i, i), 1e-15);
  EXPECT_LT((fixed - fixed.transpose()).cwiseAbs().maxCoeff(), 1e-18);
  Eigen::SelfAdjointEigenSolver<Matrix> eigen(fixed);
  EXPECT_GT(eigen.eigenvalues().minCoeff(), -1e-15);
  // The clipped correlation matrix (computed by hand): eigenvectors of the two 1.9
  // eigenvalues span the complement of v = (1, -1, -1)/sqrt(3); clipping -0.8 to ~0 and
  // renormalising the diagonal (1.9 * 2/3 = 1.2667 before) gives off-diagonals +-0.5.
  const Vector inv = deviation.cwiseInverse();
  const Matrix c = inv.asDiagonal() * fixed * inv.asDiagonal();
  EXPECT_NEAR(c(0, 1), 0.5, 1e-12);
  EXPECT_NEAR(c(0, 2), 0.5, 1e-12);
  EXPECT_NEAR(c(1, 2), -0.5, 1e-12);
}

}  // namespace
}  // namespace pfopt::scenario
