#include "pfopt/estimate/risk_models.h"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "estimate/risk_models_internal.h"
#include "pfopt/data/returns.h"
#include "support/reference_data.h"

namespace pfopt {
namespace {

using ::pfopt::testing::JsonMatrix;
using ::pfopt::testing::MaxRelativeDifference;
using ::pfopt::testing::PypfoptReference;
using ::pfopt::testing::StockPrices;
using ::pfopt::testing::Tickers;

const Matrix& StockReturns() {
  static const Matrix returns = [] {
    Result<TimeSeriesTable> table = ReturnsFromPrices(StockPrices());
    EXPECT_TRUE(table.has_value());
    return table->values;
  }();
  return returns;
}

const Matrix& StockLogReturns() {
  static const Matrix returns = [] {
    Result<Matrix> log_returns = ReturnsFromPrices(StockPrices().values, ReturnKind::kLog);
    EXPECT_TRUE(log_returns.has_value());
    return *log_returns;
  }();
  return returns;
}

const nlohmann::json& RiskReference(const std::string& key) {
  const nlohmann::json& entry = PypfoptReference().at("risk_models").at(key);
  return entry;
}

Matrix ReferenceMatrix(const std::string& key) {
  const nlohmann::json& entry = RiskReference(key);
  EXPECT_EQ(entry.at("tickers").get<std::vector<std::string>>(), Tickers());
  return JsonMatrix(entry.at("values"));
}

CovarianceEstimate Estimate(const MatrixRef& returns, const RiskModelOptions& options) {
  Result<CovarianceEstimate> estimate = EstimateCovariance(returns, options);
  EXPECT_TRUE(estimate.has_value()) << estimate.error().ToString();
  return estimate.has_value() ? *estimate : CovarianceEstimate{};
}

RiskModelOptions Options(RiskModel model, MissingData missing = MissingData::kModelDefault) {
  RiskModelOptions options;
  options.model = model;
  options.missing = missing;
  return options;
}

// Rows of `x` where every column is present.
Matrix CompleteRowsOf(const Matrix& x) {
  std::vector<Index> keep;
  for (Index row = 0; row < x.rows(); ++row) {
    if (!x.row(row).hasNaN()) keep.push_back(row);
  }
  Matrix out(static_cast<Index>(keep.size()), x.cols());
  for (std::size_t k = 0; k < keep.size(); ++k) out.row(static_cast<Index>(k)) = x.row(keep[k]);
  return out;
}

// Straightforward per-pair pandas semantics, for checking the vectorised paths.
double NaivePairCovariance(const Matrix& x, Index i, Index j) {
  double sum_i = 0.0;
  double sum_j = 0.0;
  int n = 0;
  for (Index t = 0; t < x.rows(); ++t) {
    if (std::isnan(x(t, i)) || std::isnan(x(t, j))) continue;
    sum_i += x(t, i);
    sum_j += x(t, j);
    ++n;
  }
  const double mean_i = sum_i / n;
  const double mean_j = sum_j / n;
  double cross = 0.0;
  for (Index t = 0; t < x.rows(); ++t) {
    if (std::isnan(x(t, i)) || std::isnan(x(t, j))) continue;
    cross += (x(t, i) - mean_i) * (x(t, j) - mean_j);
  }
  return cross / (n - 1);
}

double NaiveExpCovariance(const Matrix& x, Index i, Index j, double span) {
  const double alpha = 2.0 / (span + 1.0);
  auto own_mean = [&](Index col) {
    double sum = 0.0;
    int n = 0;
    for (Index t = 0; t < x.rows(); ++t) {
      if (!std::isnan(x(t, col))) {
        sum += x(t, col);
        ++n;
      }
    }
    return sum / n;
  };
  const double mean_i = own_mean(i);
  const double mean_j = own_mean(j);
  double num = 0.0;
  double den = 0.0;
  for (Index t = 0; t < x.rows(); ++t) {
    if (std::isnan(x(t, i)) || std::isnan(x(t, j))) continue;
    const double w = std::pow(1.0 - alpha, static_cast<double>(x.rows() - 1 - t));
    num += w * (x(t, i) - mean_i) * (x(t, j) - mean_j);
    den += w;
  }
  return num / den;
}

// Random returns with leading missing blocks and scattered internal gaps.
Matrix RandomReturnsWithGaps(Index rows, Index cols, unsigned seed, bool internal_gaps) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0005, 0.02);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  Matrix x(rows, cols);
  for (Index col = 0; col < cols; ++col) {
    const Index first = static_cast<Index>(uniform(rng) * 0.6 * static_cast<double>(rows));
    for (Index row = 0; row < rows; ++row) {
      const bool gap = internal_gaps && uniform(rng) < 0.05;
      x(row, col) = (row < first || gap) ? kNaN : normal(rng) + 0.3 * normal(rng) * col / cols;
    }
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// PyPortfolioOpt reference values.

TEST(EstimateCovariance, SampleMatchesPypfoptSampleCov) {
  const CovarianceEstimate estimate = Estimate(StockReturns(), Options(RiskModel::kSample));
  EXPECT_LT(MaxRelativeDifference(estimate.covariance, ReferenceMatrix("sample_cov")), 1e-12);
  EXPECT_FALSE(estimate.repaired);
  EXPECT_TRUE(std::isnan(estimate.shrinkage));
  EXPECT_EQ(estimate.periods_used, 7125);
}

TEST(EstimateCovariance, SampleOnLogReturnsMatchesPypfopt) {
  const CovarianceEstimate estimate = Estimate(StockLogReturns(), Options(RiskModel::kSample));
  EXPECT_LT(MaxRelativeDifference(estimate.covariance, ReferenceMatrix("sample_cov_log_returns")),
            1e-12);
}

TEST(EstimateCovariance, SemicovarianceAsZeroMatchesPypfoptDefaultBenchmark) {
  RiskModelOptions options = Options(RiskModel::kSemicovariance, MissingData::kAsZero);
  options.semicovariance_benchmark = 0.000079;
  const CovarianceEstimate estimate = Estimate(StockReturns(), options);
  EXPECT_LT(MaxRelativeDifference(estimate.covariance,
                                  ReferenceMatrix("semicovariance_default_benchmark_0.000079")),
            1e-12);
  EXPECT_EQ(estimate.periods_used, 7125);
}

TEST(EstimateCovariance, SemicovarianceAsZeroMatchesPypfoptZeroBenchmark) {
  const CovarianceEstimate estimate =
      Estimate(StockReturns(), Options(RiskModel::kSemicovariance, MissingData::kAsZero));
  EXPECT_LT(
      MaxRelativeDifference(estimate.covariance, ReferenceMatrix("semicovariance_benchmark_0")),
      1e-12);
}

TEST(EstimateCovariance, ExponentialMatchesPypfoptExpCov) {
  const CovarianceEstimate estimate = Estimate(StockReturns(), Options(RiskModel::kExponential));
  EXPECT_LT(MaxRelativeDifference(estimate.covariance, ReferenceMatrix("exp_cov_span180")), 1e-12);
}

TEST(EstimateCovariance, ShrunkAsZeroMatchesPypfoptShrunkCovariance) {
  RiskModelOptions options = Options(RiskModel::kShrunk, MissingData::kAsZero);
  options.shrinkage = 0.2;
  const CovarianceEstimate estimate = Estimate(StockReturns(), options);
  EXPECT_LT(
      MaxRelativeDifference(estimate.covariance, ReferenceMatrix("shrunk_covariance_delta0.2")),
      1e-12);
  EXPECT_EQ(estimate.shrinkage, 0.2);
}

struct ShrinkageCase {
  RiskModel model;
  const char* key;
};

class ShrinkageReference : public ::testing::TestWithParam<ShrinkageCase> {};

TEST_P(ShrinkageReference, AsZeroMatchesPypfoptMatrixAndDelta) {
  const ShrinkageCase& param = GetParam();
  const CovarianceEstimate estimate =
      Estimate(StockReturns(), Options(param.model, MissingData::kAsZero));
  EXPECT_LT(MaxRelativeDifference(estimate.covariance, ReferenceMatrix(param.key)), 1e-12);
  const double delta = RiskReference(param.key).at("delta").get<double>();
  EXPECT_LT(std::abs(estimate.shrinkage - delta) / delta, 1e-10)
      << "delta " << estimate.shrinkage << " vs " << delta;
  EXPECT_EQ(estimate.periods_used, 7125);
}

INSTANTIATE_TEST_SUITE_P(
    EstimateCovariance, ShrinkageReference,
    ::testing::Values(ShrinkageCase{RiskModel::kLedoitWolf, "ledoit_wolf_constant_variance"},
                      ShrinkageCase{RiskModel::kLedoitWolfSingleFactor,
                                    "ledoit_wolf_single_factor"},
                      ShrinkageCase{RiskModel::kLedoitWolfConstantCorrelation,
                                    "ledoit_wolf_constant_correlation"},
                      ShrinkageCase{RiskModel::kOracleApproximating, "oracle_approximating"}),
    [](const ::testing::TestParamInfo<ShrinkageCase>& param_info) {
      return std::string(EnumToString(param_info.param.model));
    });

TEST(RepairNonPositiveSemidefinite, SpectralAndDiagonalMatchPypfoptExample) {
  const nlohmann::json& example = RiskReference("fix_nonpositive_semidefinite_example");
  const Matrix input = JsonMatrix(example.at("input"));
  bool repaired = false;
  double min_eigenvalue = kNaN;
  const Matrix spectral =
      RepairNonPositiveSemidefinite(input, PsdRepair::kSpectral, &repaired, &min_eigenvalue);
  EXPECT_TRUE(repaired);
  EXPECT_LT(min_eigenvalue, 0.0);
  EXPECT_LT(MaxRelativeDifference(spectral, JsonMatrix(example.at("spectral"))), 1e-12);
  const Matrix diagonal = RepairNonPositiveSemidefinite(input, PsdRepair::kDiagonal, &repaired);
  EXPECT_TRUE(repaired);
  EXPECT_LT(MaxRelativeDifference(diagonal, JsonMatrix(example.at("diag"))), 1e-12);
}

TEST(RepairNonPositiveSemidefinite, LeavesPsdMatrixUnchanged) {
  Matrix m(2, 2);
  m << 2.0, 1.0, 1.0, 2.0;
  bool repaired = true;
  double min_eigenvalue = 0.0;
  const Matrix out =
      RepairNonPositiveSemidefinite(m, PsdRepair::kSpectral, &repaired, &min_eigenvalue);
  EXPECT_FALSE(repaired);
  EXPECT_TRUE(std::isnan(min_eigenvalue));
  EXPECT_EQ(out, m);
}

TEST(RepairNonPositiveSemidefinite, NoneReportsButDoesNotChange) {
  Matrix m(2, 2);
  m << 1.0, 2.0, 2.0, 1.0;  // eigenvalues 3 and -1
  bool repaired = true;
  double min_eigenvalue = 0.0;
  const Matrix out = RepairNonPositiveSemidefinite(m, PsdRepair::kNone, &repaired, &min_eigenvalue);
  EXPECT_FALSE(repaired);
  EXPECT_NEAR(min_eigenvalue, -1.0, 1e-14);
  EXPECT_EQ(out, m);
}

// ---------------------------------------------------------------------------------------------
// Missing-data policy.

TEST(EstimateCovariance, CompleteRowsDefaultKeepsShortHistoryVarianceThatAsZeroHalves) {
  const Index goog = 0;
  ASSERT_EQ(Tickers()[goog], "GOOG");
  const CovarianceEstimate sample = Estimate(StockReturns(), Options(RiskModel::kSample));
  const CovarianceEstimate default_lw = Estimate(StockReturns(), Options(RiskModel::kLedoitWolf));
  const CovarianceEstimate as_zero_lw =
      Estimate(StockReturns(), Options(RiskModel::kLedoitWolf, MissingData::kAsZero));
  // GOOG's pairwise variance is ~0.0932; zero-filling over 7125 rows (it has ~3400) halves it.
  EXPECT_NEAR(sample.covariance(goog, goog), 0.0932, 5e-4);
  EXPECT_NEAR(as_zero_lw.covariance(goog, goog), 0.0455, 5e-4);
  // The default uses the complete rows (since BABA listed, 2014-09): GOOG's variance there is
  // that period's, not halved by zeros.
  const CovarianceEstimate complete_sample =
      Estimate(StockReturns(), Options(RiskModel::kSample, MissingData::kCompleteRows));
  EXPECT_NEAR(default_lw.covariance(goog, goog) / complete_sample.covariance(goog, goog), 1.0,
              0.05);
  EXPECT_EQ(default_lw.periods_used, complete_sample.periods_used);
  EXPECT_LT(default_lw.periods_used, 7125);
}

class CompleteRowsModel : public ::testing::TestWithParam<RiskModel> {};

TEST_P(CompleteRowsModel, DefaultEqualsSameModelOnExplicitCompleteRows) {
  const RiskModel model = GetParam();
  const Matrix complete = CompleteRowsOf(StockReturns());
  ASSERT_GT(complete.rows(), 100);
  ASSERT_LT(complete.rows(), StockReturns().rows());
  const CovarianceEstimate by_default = Estimate(StockReturns(), Options(model));
  const CovarianceEstimate explicit_rows =
      Estimate(StockReturns(), Options(model, MissingData::kCompleteRows));
  const CovarianceEstimate on_subset = Estimate(complete, Options(model));
  const CovarianceEstimate as_zero = Estimate(StockReturns(), Options(model, MissingData::kAsZero));
  EXPECT_EQ(by_default.covariance, explicit_rows.covariance);
  EXPECT_LT(MaxRelativeDifference(by_default.covariance, on_subset.covariance), 1e-13);
  EXPECT_EQ(by_default.periods_used, complete.rows());
  if (model != RiskModel::kShrunk && model != RiskModel::kSemicovariance) {
    EXPECT_EQ(by_default.shrinkage, on_subset.shrinkage);
  }
  EXPECT_GT(MaxRelativeDifference(by_default.covariance, as_zero.covariance), 0.05);
}

INSTANTIATE_TEST_SUITE_P(EstimateCovariance, CompleteRowsModel,
                         ::testing::Values(RiskModel::kSemicovariance, RiskModel::kShrunk,
                                           RiskModel::kLedoitWolf,
                                           RiskModel::kLedoitWolfSingleFactor,
                                           RiskModel::kLedoitWolfConstantCorrelation,
                                           RiskModel::kOracleApproximating),
                         [](const ::testing::TestParamInfo<RiskModel>& param_info) {
                           return std::string(EnumToString(param_info.param));
                         });

TEST(EstimateCovariance, CompleteRowsSampleEqualsPlainCovarianceOfThoseRows) {
  const Matrix complete = CompleteRowsOf(StockReturns());
  const CovarianceEstimate estimate =
      Estimate(StockReturns(), Options(RiskModel::kSample, MissingData::kCompleteRows));
  const Matrix centred = complete.rowwise() - complete.colwise().mean();
  const Matrix expected =
      252.0 * (centred.transpose() * centred) / static_cast<double>(complete.rows() - 1);
  EXPECT_LT(MaxRelativeDifference(estimate.covariance, expected), 1e-13);
}

TEST(EstimateCovariance, AsZeroSampleEqualsCovarianceOfZeroFilledReturns) {
  const Matrix filled = StockReturns().array().isNaN().select(0.0, StockReturns());
  const Matrix centred = filled.rowwise() - filled.colwise().mean();
  const Matrix expected =
      252.0 * (centred.transpose() * centred) / static_cast<double>(filled.rows() - 1);
  const CovarianceEstimate estimate =
      Estimate(StockReturns(), Options(RiskModel::kSample, MissingData::kAsZero));
  EXPECT_LT(MaxRelativeDifference(estimate.covariance, expected), 1e-13);
}

TEST(EstimateCovariance, ExponentialCompleteRowsEqualsExponentialOnThoseRows) {
  const Matrix complete = CompleteRowsOf(StockReturns());
  const CovarianceEstimate explicit_rows =
      Estimate(StockReturns(), Options(RiskModel::kExponential, MissingData::kCompleteRows));
  const CovarianceEstimate on_subset = Estimate(complete, Options(RiskModel::kExponential));
  EXPECT_LT(MaxRelativeDifference(explicit_rows.covariance, on_subset.covariance), 1e-13);
  const CovarianceEstimate pairwise = Estimate(StockReturns(), Options(RiskModel::kExponential));
  EXPECT_GT(MaxRelativeDifference(explicit_rows.covariance, pairwise.covariance), 1e-3);
}

TEST(EstimateCovariance, ShrunkPairwiseEqualsShrunkAsZero) {
  const CovarianceEstimate pairwise =
      Estimate(StockReturns(), Options(RiskModel::kShrunk, MissingData::kPairwise));
  const CovarianceEstimate as_zero =
      Estimate(StockReturns(), Options(RiskModel::kShrunk, MissingData::kAsZero));
  EXPECT_EQ(pairwise.covariance, as_zero.covariance);
}

TEST(EstimateCovariance, SemicovarianceAsZeroGivesMissingReturnsNoDownside) {
  // A missing return contributes no downside deviation even when the benchmark is above 0.
  Matrix x(3, 2);
  x << kNaN, -0.01, 0.02, 0.03, -0.02, -0.05;
  RiskModelOptions options = Options(RiskModel::kSemicovariance, MissingData::kAsZero);
  options.semicovariance_benchmark = 0.01;
  options.periods_per_year = 1.0;
  const CovarianceEstimate estimate = Estimate(x, options);
  // Downside: asset 0: [0, 0, -0.03]; asset 1: [-0.02, 0, -0.06].
  EXPECT_NEAR(estimate.covariance(0, 0), 0.0009 / 3, 1e-17);
  EXPECT_NEAR(estimate.covariance(0, 1), 0.0018 / 3, 1e-17);
  EXPECT_NEAR(estimate.covariance(1, 1), (0.0004 + 0.0036) / 3, 1e-17);
}

// ---------------------------------------------------------------------------------------------
// Pairwise algorithms.

TEST(PairwiseSampleCovariance, FastAndGeneralPathsAgreeOnReferenceData) {
  Result<Matrix> fast = internal::PairwiseSampleCovariance(StockReturns(), false);
  Result<Matrix> general = internal::PairwiseSampleCovariance(StockReturns(), true);
  ASSERT_TRUE(fast.has_value());
  ASSERT_TRUE(general.has_value());
  EXPECT_LT(MaxRelativeDifference(*fast, *general), 1e-13);
  EXPECT_LT(MaxRelativeDifference(252.0 * *fast, ReferenceMatrix("sample_cov")), 1e-12);
}

TEST(PairwiseSampleCovariance, GeneralPathMatchesPerPairDefinitionWithInternalGaps) {
  const Matrix x = RandomReturnsWithGaps(600, 7, 42, /*internal_gaps=*/true);
  Result<Matrix> cov = internal::PairwiseSampleCovariance(x, false);
  ASSERT_TRUE(cov.has_value());
  Matrix naive(7, 7);
  for (Index i = 0; i < 7; ++i) {
    for (Index j = 0; j < 7; ++j) naive(i, j) = NaivePairCovariance(x, i, j);
  }
  EXPECT_LT(MaxRelativeDifference(*cov, naive), 1e-13);
}

TEST(PairwiseSampleCovariance, LeadingBlockPathMatchesPerPairDefinition) {
  // 803 rows and 9 columns: neither a multiple of the 4-wide tiles.
  const Matrix x = RandomReturnsWithGaps(803, 9, 7, /*internal_gaps=*/false);
  Result<Matrix> cov = internal::PairwiseSampleCovariance(x, false);
  ASSERT_TRUE(cov.has_value());
  Matrix naive(9, 9);
  for (Index i = 0; i < 9; ++i) {
    for (Index j = 0; j < 9; ++j) naive(i, j) = NaivePairCovariance(x, i, j);
  }
  EXPECT_LT(MaxRelativeDifference(*cov, naive), 1e-13);
  Result<Matrix> general = internal::PairwiseSampleCovariance(x, true);
  ASSERT_TRUE(general.has_value());
  EXPECT_LT(MaxRelativeDifference(*cov, *general), 1e-13);
}

TEST(PairwiseSampleCovariance, LeadingBlockPathMatchesPerPairDefinitionForManySizes) {
  // Around the kernels' granularity: n not a multiple of 4 (padding columns, triangle tiles of
  // the diagonal blocks), odd n, rows below, at and above the 256-row blocks.
  unsigned seed = 100;
  for (Index n : {1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 20, 21}) {
    for (Index rows : {4, 9, 255, 256, 257, 700}) {
      const Matrix x = RandomReturnsWithGaps(rows, n, seed++, /*internal_gaps=*/false);
      bool enough = true;  // every column needs 2 values
      for (Index col = 0; col < n; ++col)
        enough = enough && (x.col(col).array() == x.col(col).array()).count() >= 2;
      if (!enough) continue;
      Result<Matrix> cov = internal::PairwiseSampleCovariance(x, false);
      ASSERT_TRUE(cov.has_value()) << cov.error().ToString();
      Matrix naive(n, n);
      for (Index i = 0; i < n; ++i) {
        for (Index j = 0; j < n; ++j) naive(i, j) = NaivePairCovariance(x, i, j);
      }
      EXPECT_LT(MaxRelativeDifference(*cov, naive), 1e-13) << "n " << n << " rows " << rows;
    }
  }
}

TEST(PairwiseSampleCovariance, SingleColumnIsItsVariance) {
  const Matrix x = RandomReturnsWithGaps(50, 1, 11, /*internal_gaps=*/false);
  Result<Matrix> cov = internal::PairwiseSampleCovariance(x, false);
  ASSERT_TRUE(cov.has_value());
  ASSERT_EQ(cov->rows(), 1);
  EXPECT_NEAR((*cov)(0, 0), NaivePairCovariance(x, 0, 0), 1e-18);
}

TEST(PairwiseSampleCovariance, ShiftKeepsAccuracyForLargeMeans) {
  // Values around 1e6 with unit spread: unshifted sums of products would lose ~12 digits.
  Matrix x(5, 2);
  x << 1e6 + 1, 1e6 - 2, 1e6 + 2, 1e6 + 1, 1e6 + 3, 1e6, 1e6 + 4, 1e6 + 5, kNaN, 1e6 + 3;
  Result<Matrix> cov = internal::PairwiseSampleCovariance(x, true);
  ASSERT_TRUE(cov.has_value());
  EXPECT_NEAR((*cov)(0, 0), NaivePairCovariance(x, 0, 0), 1e-9);
  EXPECT_NEAR((*cov)(0, 1), NaivePairCovariance(x, 0, 1), 1e-9);
  EXPECT_NEAR((*cov)(1, 1), NaivePairCovariance(x, 1, 1), 1e-9);
}

TEST(EstimateCovariance, ExponentialMatchesPerPairDefinitionWithInternalGaps) {
  const Matrix x = RandomReturnsWithGaps(500, 6, 3, /*internal_gaps=*/true);
  RiskModelOptions options = Options(RiskModel::kExponential);
  options.exp_span = 60.0;
  options.periods_per_year = 1.0;
  options.repair = PsdRepair::kNone;
  const CovarianceEstimate estimate = Estimate(x, options);
  Matrix naive(6, 6);
  for (Index i = 0; i < 6; ++i) {
    for (Index j = 0; j < 6; ++j) naive(i, j) = NaiveExpCovariance(x, i, j, 60.0);
  }
  EXPECT_LT(MaxRelativeDifference(estimate.covariance, naive), 1e-12);
}

TEST(EstimateCovariance, ExponentialSurvivesUnderflowOfOldWeights) {
  // Span 2 (decay 1/3): a pair whose last common row is 700 rows before the end has absolute
  // weights below 1e-330, which underflow; the ratio is still defined.
  Matrix x = RandomReturnsWithGaps(800, 2, 5, /*internal_gaps=*/false);
  x.col(0).setConstant(0.0);
  for (Index t = 0; t < 800; ++t) x(t, 0) = 0.01 * std::sin(0.7 * static_cast<double>(t));
  for (Index t = 0; t < 800; ++t)
    x(t, 1) = t < 100 ? 0.02 * std::cos(0.3 * static_cast<double>(t)) : kNaN;
  RiskModelOptions options = Options(RiskModel::kExponential);
  options.exp_span = 2.0;
  options.periods_per_year = 1.0;
  options.repair = PsdRepair::kNone;
  const CovarianceEstimate estimate = Estimate(x, options);
  const double decay = 1.0 / 3.0;
  double mean0 = x.col(0).mean();
  double mean1 = x.col(1).head(100).mean();
  double num01 = 0.0, num11 = 0.0, den = 0.0;
  for (Index t = 0; t < 100; ++t) {
    const double w = std::pow(decay, static_cast<double>(99 - t));  // relative to row 99
    num01 += w * (x(t, 0) - mean0) * (x(t, 1) - mean1);
    num11 += w * (x(t, 1) - mean1) * (x(t, 1) - mean1);
    den += w;
  }
  ASSERT_TRUE(std::isfinite(estimate.covariance(0, 1)));
  EXPECT_NEAR(estimate.covariance(0, 1), num01 / den, 1e-15);
  EXPECT_NEAR(estimate.covariance(1, 1), num11 / den, 1e-15);
}

TEST(EstimateCovariance, ExponentialSpanOneUsesLastCommonRowOnly) {
  Matrix x(4, 2);
  x << 0.01, 0.02, 0.03, -0.01, 0.02, 0.00, -0.01, kNaN;
  RiskModelOptions options = Options(RiskModel::kExponential);
  options.exp_span = 1.0;
  options.periods_per_year = 1.0;
  options.repair = PsdRepair::kNone;
  const CovarianceEstimate estimate = Estimate(x, options);
  const double mean0 = (0.01 + 0.03 + 0.02 - 0.01) / 4;
  const double mean1 = (0.02 - 0.01 + 0.00) / 3;
  EXPECT_NEAR(estimate.covariance(0, 0), (-0.01 - mean0) * (-0.01 - mean0), 1e-18);
  // The last row where both are present is row 2.
  EXPECT_NEAR(estimate.covariance(0, 1), (0.02 - mean0) * (0.00 - mean1), 1e-18);
}

// ---------------------------------------------------------------------------------------------
// PSD check inside the estimators.

TEST(EstimateCovariance, PairwiseNonPsdIsRepairedAndReported) {
  // Three assets observed on disjoint-ish windows: the pairwise matrix is not PSD.
  Matrix x(6, 3);
  x << 1, 1, kNaN,  //
      2, 2, kNaN,   //
      3, 3, 1,      //
      4, kNaN, 4,   //
      5, kNaN, 5,   //
      kNaN, -1, -2;
  x.array() *= 0.01;
  RiskModelOptions options = Options(RiskModel::kSample);
  options.repair = PsdRepair::kNone;
  const CovarianceEstimate raw = Estimate(x, options);
  ASSERT_LT(Eigen::SelfAdjointEigenSolver<Matrix>(raw.covariance).eigenvalues().minCoeff(), 0.0);
  EXPECT_FALSE(raw.repaired);
  EXPECT_LT(raw.min_eigenvalue, 0.0);
  ASSERT_EQ(raw.warnings.size(), 1u);
  EXPECT_NE(raw.warnings[0].find("not positive semidefinite"), std::string::npos);

  options.repair = PsdRepair::kSpectral;
  const CovarianceEstimate fixed = Estimate(x, options);
  EXPECT_TRUE(fixed.repaired);
  EXPECT_EQ(fixed.min_eigenvalue, raw.min_eigenvalue);
  EXPECT_GE(Eigen::SelfAdjointEigenSolver<Matrix>(fixed.covariance).eigenvalues().minCoeff(),
            -1e-15);
  EXPECT_FALSE(fixed.warnings.empty());
  EXPECT_EQ(fixed.covariance, fixed.covariance.transpose());
}

TEST(EstimateCovariance, ReferenceSampleNeedsNoRepair) {
  const CovarianceEstimate estimate = Estimate(StockReturns(), Options(RiskModel::kSample));
  EXPECT_FALSE(estimate.repaired);
  EXPECT_TRUE(estimate.warnings.empty());
  EXPECT_TRUE(std::isnan(estimate.min_eigenvalue));
}

TEST(CovarianceToCorrelation, GivesUnitDiagonalAndScaledOffDiagonal) {
  Matrix cov(2, 2);
  cov << 4.0, 1.2, 1.2, 9.0;
  const Matrix corr = CovarianceToCorrelation(cov);
  EXPECT_EQ(corr(0, 0), 1.0);
  EXPECT_EQ(corr(1, 1), 1.0);
  EXPECT_NEAR(corr(0, 1), 0.2, 1e-15);
  EXPECT_NEAR(corr(1, 0), 0.2, 1e-15);
}

TEST(CovarianceToCorrelation, ZeroVarianceGivesNaN) {
  Matrix cov(2, 2);
  cov << 0.0, 0.0, 0.0, 1.0;
  const Matrix corr = CovarianceToCorrelation(cov);
  EXPECT_TRUE(std::isnan(corr(0, 0)));
  EXPECT_TRUE(std::isnan(corr(0, 1)));
  EXPECT_EQ(corr(1, 1), 1.0);
}

// pandas' returns.corr() (tests/data/hrp/generate.py), which PyPortfolioOpt's HRP clusters on.
TEST(PairwiseCorrelation, MatchesPandasWithMissingValues) {
  const Matrix expected =
      JsonMatrix(testing::ReadJsonFile("tests/data/hrp/reference.json")["pandas_correlation"]);
  Result<Matrix> corr = PairwiseCorrelation(StockReturns());
  ASSERT_TRUE(corr.has_value()) << corr.error().ToString();
  EXPECT_LE((*corr - expected).cwiseAbs().maxCoeff(), 1e-14);
  // With missing values it is not the correlation of the pairwise covariance.
  const Matrix of_covariance =
      CovarianceToCorrelation(Estimate(StockReturns(), Options(RiskModel::kSample)).covariance);
  EXPECT_GT((of_covariance - expected).cwiseAbs().maxCoeff(), 0.1);
}

TEST(PairwiseCorrelation, EqualsCorrelationOfCovarianceWithoutMissingValues) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal;
  Matrix x(50, 4);
  for (Index j = 0; j < 4; ++j)
    for (Index i = 0; i < 50; ++i) x(i, j) = 0.01 * normal(rng) + (j > 0 ? 0.5 * x(i, 0) : 0.0);
  Result<Matrix> corr = PairwiseCorrelation(x);
  ASSERT_TRUE(corr.has_value());
  const Matrix expected =
      CovarianceToCorrelation(Estimate(x, Options(RiskModel::kSample)).covariance);
  EXPECT_LE((*corr - expected).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_EQ((*corr)(2, 2), 1.0);
}

TEST(PairwiseCorrelation, RejectsConstantAndTooShortPairs) {
  Matrix x(4, 2);
  x << 0.1, 0.2, 0.1, -0.1, 0.1, kNaN, 0.1, 0.3;
  Result<Matrix> constant = PairwiseCorrelation(x);
  ASSERT_FALSE(constant.has_value());
  EXPECT_NE(constant.error().message().find("constant"), std::string::npos);
  Matrix y(3, 2);
  y << 0.1, kNaN, kNaN, 0.2, 0.3, 0.1;
  Result<Matrix> short_pair = PairwiseCorrelation(y);
  ASSERT_FALSE(short_pair.has_value());
  EXPECT_NE(short_pair.error().message().find("at least 2"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Errors.

void ExpectError(const MatrixRef& x, const RiskModelOptions& options, const std::string& needle) {
  Result<CovarianceEstimate> estimate = EstimateCovariance(x, options);
  ASSERT_FALSE(estimate.has_value());
  EXPECT_EQ(estimate.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(estimate.error().message().find(needle), std::string::npos)
      << estimate.error().message();
}

TEST(RiskModelOptions, DefaultsAreValid) { EXPECT_TRUE(RiskModelOptions{}.Validate()); }

TEST(RiskModelOptions, RejectsNonPositivePeriodsPerYear) {
  RiskModelOptions options;
  options.periods_per_year = 0.0;
  Status status = options.Validate();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().field(), "periods_per_year");
  EXPECT_NE(status.error().message().find("periods_per_year = 0"), std::string::npos);
  options.periods_per_year = kNaN;
  EXPECT_FALSE(options.Validate());
}

TEST(RiskModelOptions, RejectsSpanBelowOne) {
  RiskModelOptions options;
  options.exp_span = 0.5;
  Status status = options.Validate();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().field(), "exp_span");
}

TEST(RiskModelOptions, RejectsShrinkageOutsideUnitInterval) {
  for (double value : {-0.1, 1.5, kNaN}) {
    RiskModelOptions options;
    options.shrinkage = value;
    Status status = options.Validate();
    ASSERT_FALSE(status) << value;
    EXPECT_EQ(status.error().field(), "shrinkage");
  }
  RiskModelOptions options;
  options.shrinkage = 1.0;
  EXPECT_TRUE(options.Validate());
}

TEST(RiskModelOptions, RejectsInfiniteBenchmark) {
  RiskModelOptions options;
  options.semicovariance_benchmark = kInfinity;
  Status status = options.Validate();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().field(), "semicovariance_benchmark");
}

TEST(RiskModelOptions, RejectsPairwiseForModelsThatCannotUseIt) {
  for (RiskModel model :
       {RiskModel::kSemicovariance, RiskModel::kLedoitWolf, RiskModel::kLedoitWolfSingleFactor,
        RiskModel::kLedoitWolfConstantCorrelation, RiskModel::kOracleApproximating}) {
    Status status = Options(model, MissingData::kPairwise).Validate();
    ASSERT_FALSE(status) << EnumToString(model);
    EXPECT_EQ(status.error().field(), "missing");
    EXPECT_NE(status.error().message().find(std::string(EnumToString(model))), std::string::npos);
  }
  for (RiskModel model : {RiskModel::kSample, RiskModel::kExponential, RiskModel::kShrunk}) {
    EXPECT_TRUE(Options(model, MissingData::kPairwise).Validate()) << EnumToString(model);
  }
}

TEST(EstimateCovariance, RejectsInvalidOptions) {
  RiskModelOptions options;
  options.shrinkage = 2.0;
  ExpectError(StockReturns(), options, "shrinkage = 2");
}

TEST(EstimateCovariance, RejectsEmptyMatrix) {
  ExpectError(Matrix(0, 3), RiskModelOptions{}, "empty");
  ExpectError(Matrix(5, 0), RiskModelOptions{}, "empty");
}

TEST(EstimateCovariance, RejectsInfiniteValue) {
  Matrix x = Matrix::Constant(4, 2, 0.01);
  x(0, 0) = 0.02;
  x(2, 1) = -kInfinity;
  ExpectError(x, RiskModelOptions{}, "returns(2, 1) = -inf");
}

TEST(EstimateCovariance, RejectsAssetWithoutReturns) {
  Matrix x(3, 2);
  x << 0.01, kNaN, 0.02, kNaN, -0.01, kNaN;
  for (RiskModel model : {RiskModel::kSample, RiskModel::kLedoitWolf}) {
    ExpectError(x, Options(model, MissingData::kAsZero), "asset 1 has no return");
  }
}

TEST(EstimateCovariance, RejectsPairWithFewerThanTwoCommonReturns) {
  Matrix x(4, 2);
  x << 0.01, kNaN, 0.02, kNaN, -0.01, 0.03, kNaN, 0.01;
  ExpectError(x, Options(RiskModel::kSample), "assets 0 and 1 have 1 period");
  ExpectError(x, Options(RiskModel::kExponential), "assets 0 and 1 have 1 period");
}

TEST(EstimateCovariance, RejectsSingleReturn) {
  Matrix x(1, 2);
  x << 0.01, 0.02;
  ExpectError(x, Options(RiskModel::kSample), "asset 0 has 1 return");
  ExpectError(x, Options(RiskModel::kLedoitWolf, MissingData::kAsZero), "at least 2");
}

TEST(EstimateCovariance, RejectsFewerThanTwoCompleteRows) {
  Matrix x(4, 2);
  x << 0.01, kNaN, 0.02, kNaN, -0.01, 0.03, kNaN, 0.01;
  ExpectError(x, Options(RiskModel::kLedoitWolf), "1 period(s) where every asset");
}

TEST(EstimateCovariance, RejectsZeroVarianceForConstantCorrelation) {
  Matrix x(4, 2);
  x << 0.01, 0.02, 0.01, -0.01, 0.01, 0.03, 0.01, 0.00;
  ExpectError(x, Options(RiskModel::kLedoitWolfConstantCorrelation), "asset 0 has variance 0");
}

TEST(EstimateCovariance, RejectsPairwiseForLedoitWolf) {
  ExpectError(StockReturns(), Options(RiskModel::kLedoitWolf, MissingData::kPairwise),
              "PAIRWISE is not available");
}

TEST(RiskModelEnums, NamesRoundTrip) {
  for (const auto& [value, name] : EnumNames<RiskModel>::kNames) {
    Result<RiskModel> parsed = EnumFromString<RiskModel>(name);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, value);
  }
  EXPECT_EQ(*EnumFromString<MissingData>("as-zero"), MissingData::kAsZero);
  EXPECT_EQ(*EnumFromString<PsdRepair>("diagonal"), PsdRepair::kDiagonal);
  EXPECT_FALSE(EnumFromString<RiskModel>("ledoit"));
}

}  // namespace
}  // namespace pfopt
