#include "pfopt/estimate/online_moments.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "support/reference_data.h"

namespace pfopt {
namespace {

using ::pfopt::testing::JsonMatrix;
using ::pfopt::testing::JsonVector;
using ::pfopt::testing::MaxRelativeDifference;
using ::pfopt::testing::SourcePath;

// T x n random observations: correlated normals (through a random mixing matrix) around `offset`.
Matrix RandomObservations(Index rows, Index cols, double offset, double scale, unsigned seed) {
  std::mt19937_64 generator(seed);
  std::normal_distribution<double> normal;
  Matrix mixing(cols, cols);
  for (Index i = 0; i < cols; ++i) {
    for (Index j = 0; j < cols; ++j) mixing(i, j) = normal(generator);
  }
  Matrix z(rows, cols);
  for (Index t = 0; t < rows; ++t) {
    for (Index j = 0; j < cols; ++j) z(t, j) = normal(generator);
  }
  Matrix x = scale * z * mixing.transpose();
  x.array() += offset;
  return x;
}

// Batch sample mean and covariance (ddof = 1), two passes accumulated in long double so that the
// reference itself is accurate well below the tolerance under test.
struct Batch {
  Vector mean;
  Matrix covariance;
};

Batch BatchMoments(const Matrix& x) {
  const Index rows = x.rows(), cols = x.cols();
  std::vector<long double> mean(static_cast<std::size_t>(cols), 0.0L);
  for (Index t = 0; t < rows; ++t) {
    for (Index j = 0; j < cols; ++j) mean[static_cast<std::size_t>(j)] += x(t, j);
  }
  for (auto& m : mean) m /= static_cast<long double>(rows);
  Batch batch;
  batch.mean.resize(cols);
  for (Index j = 0; j < cols; ++j) batch.mean[j] = static_cast<double>(mean[j]);
  batch.covariance.resize(cols, cols);
  for (Index i = 0; i < cols; ++i) {
    for (Index j = 0; j <= i; ++j) {
      long double sum = 0.0L;
      for (Index t = 0; t < rows; ++t) {
        sum += (x(t, i) - mean[static_cast<std::size_t>(i)]) *
               (x(t, j) - mean[static_cast<std::size_t>(j)]);
      }
      const double value = static_cast<double>(sum / static_cast<long double>(rows - 1));
      batch.covariance(i, j) = value;
      batch.covariance(j, i) = value;
    }
  }
  return batch;
}

OnlineMoments Accumulate(const Matrix& x, const OnlineMomentsOptions& options = {}) {
  Result<OnlineMoments> moments = OnlineMoments::Create(x.cols(), options);
  EXPECT_TRUE(moments.has_value());
  for (Index t = 0; t < x.rows(); ++t) {
    Status added = moments->Add(x.row(t).transpose());
    EXPECT_TRUE(added.has_value());
  }
  return *moments;
}

const nlohmann::json& Reference() {
  static const nlohmann::json reference = [] {
    std::ifstream in(SourcePath("tests/data/online_moments/reference.json"));
    return nlohmann::json::parse(in);
  }();
  return reference;
}

TEST(OnlineMomentsOptions, DefaultsAreValid) { EXPECT_TRUE(OnlineMomentsOptions{}.Validate()); }

TEST(OnlineMoments, EqualsBatchMeanAndCovarianceOver100kRandomVectors) {
  const Matrix x = RandomObservations(100000, 11, 0.001, 0.01, 1);
  const OnlineMoments moments = Accumulate(x);
  const Batch batch = BatchMoments(x);
  EXPECT_EQ(moments.observations(), 100000.0);
  EXPECT_LE(MaxRelativeDifference(moments.mean(), batch.mean), 1e-12);
  EXPECT_LE(MaxRelativeDifference(*moments.Covariance(), batch.covariance), 1e-12);
}

TEST(OnlineMoments, StaysExactWithALargeOffset) {
  // A mean 10^4 times the spread: the textbook sum-of-squares formula loses ~8 digits here.
  const Matrix x = RandomObservations(100000, 5, 100.0, 0.01, 2);
  const OnlineMoments moments = Accumulate(x);
  const Batch batch = BatchMoments(x);
  EXPECT_LE(MaxRelativeDifference(moments.mean(), batch.mean), 1e-12);
  EXPECT_LE(MaxRelativeDifference(*moments.Covariance(), batch.covariance), 1e-12);
}

TEST(OnlineMoments, PriorFromTheFirstObservationsThenUpdatesEqualsBatchOfAll) {
  const Matrix x = RandomObservations(3000, 11, 0.002, 0.02, 3);
  const Batch head = BatchMoments(x.topRows(500));
  Result<OnlineMoments> moments = OnlineMoments::FromPrior(head.mean, head.covariance, 500.0);
  ASSERT_TRUE(moments.has_value());
  for (Index t = 500; t < x.rows(); ++t) ASSERT_TRUE(moments->Add(x.row(t).transpose()));
  const Batch all = BatchMoments(x);
  EXPECT_EQ(moments->observations(), 3000.0);
  EXPECT_LE(MaxRelativeDifference(moments->mean(), all.mean), 1e-12);
  EXPECT_LE(MaxRelativeDifference(*moments->Covariance(), all.covariance), 1e-12);
}

TEST(OnlineMoments, BatchOfTheSharedReferenceData) {
  const nlohmann::json& reference = Reference();
  const Matrix x = JsonMatrix(reference.at("observations"));
  const OnlineMoments moments = Accumulate(x);
  EXPECT_LE(MaxRelativeDifference(moments.mean(), JsonVector(reference.at("batch").at("mean"))),
            1e-12);
  EXPECT_LE(MaxRelativeDifference(*moments.Covariance(),
                                  JsonMatrix(reference.at("batch").at("covariance"))),
            1e-12);
}

TEST(OnlineMoments, ExponentialForgettingEqualsPandasEwm) {
  const nlohmann::json& reference = Reference();
  const Matrix x = JsonMatrix(reference.at("observations"));
  for (const auto& ewm : reference.at("exponential")) {
    OnlineMomentsOptions options;
    options.half_life = ewm.at("half_life").get<double>();
    const OnlineMoments moments = Accumulate(x, options);
    SCOPED_TRACE("half_life " + std::to_string(options.half_life));
    EXPECT_LE(MaxRelativeDifference(moments.mean(), JsonVector(ewm.at("mean"))), 1e-12);
    EXPECT_LE(MaxRelativeDifference(*moments.Covariance(), JsonMatrix(ewm.at("covariance"))),
              1e-12);
  }
}

TEST(OnlineMoments, LongRunsWithFastForgettingStayFinite) {
  // The lazily applied decay factor is folded in before it underflows.
  OnlineMomentsOptions options;
  options.half_life = 0.5;
  const Matrix x = RandomObservations(2000, 3, 0.0, 1.0, 4);
  const OnlineMoments moments = Accumulate(x, options);
  const Matrix covariance = *moments.Covariance();
  EXPECT_TRUE(covariance.allFinite());
  EXPECT_GT(covariance(0, 0), 0.0);
}

TEST(OnlineMoments, RestoredStateContinuesBitForBit) {
  for (double half_life : {0.0, 7.0}) {
    OnlineMomentsOptions options;
    options.half_life = half_life;
    const Matrix x = RandomObservations(400, 6, 0.01, 0.05, 5);
    OnlineMoments straight = Accumulate(x.topRows(200), options);
    Result<OnlineMoments> restored = OnlineMoments::FromState(straight.state(), options);
    ASSERT_TRUE(restored.has_value());
    for (Index t = 200; t < 400; ++t) {
      ASSERT_TRUE(straight.Add(x.row(t).transpose()));
      ASSERT_TRUE(restored->Add(x.row(t).transpose()));
    }
    EXPECT_EQ(restored->mean(), straight.mean());
    EXPECT_EQ(*restored->Covariance(), *straight.Covariance());
    EXPECT_EQ(restored->observations(), straight.observations());
  }
}

TEST(OnlineMoments, RejectsBadInputAndKeepsItsState) {
  Result<OnlineMoments> moments = OnlineMoments::Create(3);
  ASSERT_TRUE(moments.has_value());
  ASSERT_TRUE(moments->Add(Vector::Constant(3, 1.0)));
  Status wrong_size = moments->Add(Vector::Zero(2));
  ASSERT_FALSE(wrong_size.has_value());
  EXPECT_EQ(wrong_size.error().code(), ErrorCode::kDimensionMismatch);
  Vector with_nan = Vector::Zero(3);
  with_nan[1] = kNaN;
  Status nan = moments->Add(with_nan);
  ASSERT_FALSE(nan.has_value());
  EXPECT_EQ(nan.error().field(), "observation");
  EXPECT_EQ(moments->observations(), 1.0);
  EXPECT_EQ(moments->mean(), Vector::Constant(3, 1.0));
  // One observation: no covariance yet.
  EXPECT_FALSE(moments->Covariance().has_value());
}

TEST(OnlineMoments, RejectsInvalidConstruction) {
  EXPECT_FALSE(OnlineMoments::Create(0).has_value());
  OnlineMomentsOptions bad;
  bad.half_life = -1.0;
  EXPECT_EQ(OnlineMoments::Create(2, bad).error().field(), "half_life");
  const Vector mean = Vector::Zero(2);
  Matrix asymmetric = Matrix::Identity(2, 2);
  asymmetric(0, 1) = 0.5;
  EXPECT_EQ(OnlineMoments::FromPrior(mean, asymmetric, 10).error().field(), "covariance");
  EXPECT_EQ(OnlineMoments::FromPrior(mean, Matrix::Identity(3, 3), 10).error().code(),
            ErrorCode::kDimensionMismatch);
  EXPECT_EQ(OnlineMoments::FromPrior(mean, Matrix::Identity(2, 2), 0.5).error().field(),
            "prior_count");
  Matrix negative = -Matrix::Identity(2, 2);
  EXPECT_FALSE(OnlineMoments::FromPrior(mean, negative, 10).has_value());
}

}  // namespace
}  // namespace pfopt
