#include "pfopt/estimate/moments.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "support/reference_data.h"

namespace pfopt {
namespace {

using ::pfopt::testing::JsonMatrix;
using ::pfopt::testing::MaxRelativeDifference;
using ::pfopt::testing::PypfoptReference;
using ::pfopt::testing::StockPrices;
using ::pfopt::testing::Tickers;
using ::pfopt::testing::TickerVector;

// The raw pairwise matrix, as the definitions give it: short or staggered histories give
// matrices that are not positive semidefinite, which the default repair would change.
MomentsOptions Unrepaired() {
  MomentsOptions options;
  options.risk_model.repair = PsdRepair::kNone;
  return options;
}

MomentsEstimate Estimate(const MatrixRef& prices, const MomentsOptions& options = {}) {
  Result<MomentsEstimate> estimate = EstimateMomentsFromPrices(prices, options);
  EXPECT_TRUE(estimate.has_value()) << estimate.error().ToString();
  return estimate.has_value() ? *estimate : MomentsEstimate{};
}

// The separate path: returns, then each estimator.
MomentsEstimate Separate(const MatrixRef& prices, const MomentsOptions& options = {}) {
  MomentsEstimate out;
  Result<Matrix> returns = ReturnsFromPrices(prices, options.return_kind);
  EXPECT_TRUE(returns.has_value()) << returns.error().ToString();
  if (!returns) return out;
  out.periods = returns->rows();
  Result<Vector> mu = EstimateExpectedReturns(*returns, options.expected_returns);
  Result<CovarianceEstimate> cov = EstimateCovariance(*returns, options.risk_model);
  EXPECT_TRUE(mu.has_value() && cov.has_value());
  if (mu) out.expected_returns = *mu;
  if (cov) out.covariance = *cov;
  return out;
}

// Random-walk prices with each asset listed at a random row (NaN before it) and, if asked,
// scattered missing prices after it.
Matrix RandomPrices(Index rows, Index cols, unsigned seed, bool gaps) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0004, 0.02);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  Matrix p(rows, cols);
  for (Index col = 0; col < cols; ++col) {
    // Keep at least 3 prices (2 returns) per asset.
    const Index first = static_cast<Index>(uniform(rng) * 0.7 * static_cast<double>(rows - 3));
    double price = 10.0 + 90.0 * uniform(rng);
    for (Index row = 0; row < rows; ++row) {
      price *= std::exp(normal(rng) * (1.0 + static_cast<double>(col % 3)));
      const bool gap = gaps && row > first + 1 && row < rows - 1 && uniform(rng) < 0.03;
      p(row, col) = (row < first || gap) ? kNaN : price;
    }
  }
  return p;
}

// Straightforward definitions on the prices, independent of the library: simple returns
// (NaN when either price is missing), the compounded mean of each asset's returns and the
// pairwise covariance of each pair over the periods where both have a return (ddof 1).
struct Naive {
  Vector mu;
  Matrix cov;
};

Naive NaiveMoments(const Matrix& p, double periods_per_year = 252.0) {
  const Index t = p.rows() - 1;
  const Index n = p.cols();
  Matrix r(t, n);
  for (Index row = 0; row < t; ++row) {
    for (Index col = 0; col < n; ++col) r(row, col) = p(row + 1, col) / p(row, col) - 1.0;
  }
  Naive out{Vector(n), Matrix(n, n)};
  for (Index col = 0; col < n; ++col) {
    long double log_growth = 0.0L;
    int count = 0;
    for (Index row = 0; row < t; ++row) {
      if (std::isnan(r(row, col))) continue;
      log_growth += std::log1p(static_cast<long double>(r(row, col)));
      ++count;
    }
    out.mu[col] = static_cast<double>(std::expm1(periods_per_year / count * log_growth));
  }
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < n; ++j) {
      long double sum_i = 0.0L, sum_j = 0.0L;
      int m = 0;
      for (Index row = 0; row < t; ++row) {
        if (std::isnan(r(row, i)) || std::isnan(r(row, j))) continue;
        sum_i += r(row, i);
        sum_j += r(row, j);
        ++m;
      }
      const long double mean_i = sum_i / m, mean_j = sum_j / m;
      long double cross = 0.0L;
      for (Index row = 0; row < t; ++row) {
        if (std::isnan(r(row, i)) || std::isnan(r(row, j))) continue;
        cross += (r(row, i) - mean_i) * (r(row, j) - mean_j);
      }
      out.cov(i, j) = static_cast<double>(periods_per_year * cross / (m - 1));
    }
  }
  return out;
}

void ExpectDefinitions(const MomentsEstimate& estimate, const Matrix& prices,
                       double periods_per_year = 252.0) {
  const Naive naive = NaiveMoments(prices, periods_per_year);
  EXPECT_LT(MaxRelativeDifference(estimate.expected_returns, naive.mu), 1e-13);
  EXPECT_LT(MaxRelativeDifference(estimate.covariance.covariance, naive.cov), 1e-12);
}

// ---------------------------------------------------------------------------------------------

TEST(EstimateMomentsFromPrices, StockPricesTakeTheOnePassAndMatchPypfopt) {
  const MomentsEstimate estimate = Estimate(StockPrices().values);
  EXPECT_TRUE(estimate.one_pass);
  const nlohmann::json& reference = PypfoptReference();
  const Vector mu =
      TickerVector(reference.at("expected_returns").at("mean_historical_return"), Tickers());
  const Matrix sigma = JsonMatrix(reference.at("risk_models").at("sample_cov").at("values"));
  // The tolerances of the estimators' own PyPortfolioOpt tests.
  EXPECT_LT(MaxRelativeDifference(estimate.expected_returns, mu), 1e-12);
  EXPECT_LT(MaxRelativeDifference(estimate.covariance.covariance, sigma), 1e-12);
  EXPECT_EQ(estimate.periods, reference.at("expected_returns").at("returns_rows").get<Index>());
}

TEST(EstimateMomentsFromPrices, OnePassEqualsSeparatePathOnStockPrices) {
  const MomentsEstimate one = Estimate(StockPrices().values);
  const MomentsEstimate separate = Separate(StockPrices().values);
  ASSERT_TRUE(one.one_pass);
  EXPECT_LT(MaxRelativeDifference(one.expected_returns, separate.expected_returns), 1e-13);
  EXPECT_LT(MaxRelativeDifference(one.covariance.covariance, separate.covariance.covariance),
            1e-13);
  EXPECT_EQ(one.periods, separate.periods);
  EXPECT_EQ(one.covariance.periods_used, separate.covariance.periods_used);
  EXPECT_EQ(one.covariance.repaired, separate.covariance.repaired);
  EXPECT_EQ(one.covariance.warnings, separate.covariance.warnings);
}

// Sizes around the kernels' granularity: n not a multiple of 4 (padding columns), odd n
// (half-empty 2-row tiles), rows below, at and above the 256-row blocks, and columns whose
// history starts anywhere, down to 2 returns.
TEST(EstimateMomentsFromPrices, OnePassMatchesDefinitionsForManySizes) {
  unsigned seed = 1;
  for (Index n : {1, 2, 3, 4, 5, 7, 8, 9, 13, 20, 21}) {
    for (Index rows : {3, 4, 7, 50, 257, 258, 600, 1030}) {
      const Matrix p = RandomPrices(rows, n, seed++, /*gaps=*/false);
      const MomentsEstimate estimate = Estimate(p, Unrepaired());
      const Naive naive = NaiveMoments(p);
      ASSERT_TRUE(estimate.one_pass) << "n " << n << " rows " << rows;
      EXPECT_LT(MaxRelativeDifference(estimate.expected_returns, naive.mu), 1e-13)
          << "n " << n << " rows " << rows;
      EXPECT_LT(MaxRelativeDifference(estimate.covariance.covariance, naive.cov), 1e-12)
          << "n " << n << " rows " << rows;
      // With the default repair, as the separate path gives it.
      const MomentsEstimate repaired = Estimate(p);
      const MomentsEstimate separate = Separate(p);
      EXPECT_LT(
          MaxRelativeDifference(repaired.covariance.covariance, separate.covariance.covariance),
          1e-12)
          << "n " << n << " rows " << rows;
      // (Whether a rank-deficient matrix passes the PSD test can flip on rounding: the
      // `repaired` flags are compared on the stock prices only.)
      EXPECT_EQ(repaired.periods, separate.periods);
    }
  }
}

TEST(EstimateMomentsFromPrices, ParallelAndSequentialPassesAreBitIdentical) {
  // The rows are split at a point that depends only on the layout and the halves are added in
  // a fixed order, whichever thread ran them: the results are equal bit for bit, call after
  // call (run several times so that both the helper and the calling thread get the second
  // half).
  const MomentsOptions sequential;
  MomentsOptions two_threads;
  two_threads.parallel = true;
  for (const Matrix& p : {Matrix(StockPrices().values), RandomPrices(3000, 13, 77, false)}) {
    const MomentsEstimate reference = Estimate(p, sequential);
    ASSERT_TRUE(reference.one_pass);
    for (int call = 0; call < 20; ++call) {
      const MomentsEstimate parallel = Estimate(p, two_threads);
      ASSERT_TRUE(parallel.one_pass);
      ASSERT_EQ(parallel.covariance.covariance, reference.covariance.covariance) << call;
      ASSERT_EQ(parallel.expected_returns, reference.expected_returns);
    }
  }
}

TEST(EstimateMomentsFromPrices, LateListingsWithSameStartShareSegments) {
  // Several assets listed on the same day, one listed on the last possible day.
  Matrix p = RandomPrices(700, 6, 99, /*gaps=*/false);
  for (Index col : {1, 2, 4}) p.col(col).head(300).setConstant(kNaN);
  p.col(5).head(697).setConstant(kNaN);  // 3 prices, 2 returns
  const MomentsEstimate estimate = Estimate(p, Unrepaired());
  ASSERT_TRUE(estimate.one_pass);
  ExpectDefinitions(estimate, p);
}

TEST(EstimateMomentsFromPrices, GapsAfterTheFirstPriceTakeTheSeparatePath) {
  const Matrix p = RandomPrices(900, 9, 5, /*gaps=*/true);
  const MomentsEstimate estimate = Estimate(p, Unrepaired());
  EXPECT_FALSE(estimate.one_pass);
  ExpectDefinitions(estimate, p);
}

TEST(EstimateMomentsFromPrices, OtherEstimatorsTakeTheSeparatePath) {
  const Matrix p = RandomPrices(400, 5, 8, /*gaps=*/false);
  MomentsOptions log_returns;
  log_returns.return_kind = ReturnKind::kLog;
  MomentsOptions ema;
  ema.expected_returns.method = ExpectedReturnsMethod::kEma;
  MomentsOptions ledoit_wolf;
  ledoit_wolf.risk_model.model = RiskModel::kLedoitWolf;
  MomentsOptions as_zero;
  as_zero.risk_model.missing = MissingData::kAsZero;
  for (const MomentsOptions& options : {log_returns, ema, ledoit_wolf, as_zero}) {
    const MomentsEstimate estimate = Estimate(p, options);
    const MomentsEstimate separate = Separate(p, options);
    EXPECT_FALSE(estimate.one_pass);
    EXPECT_EQ(estimate.expected_returns, separate.expected_returns);
    EXPECT_EQ(estimate.covariance.covariance, separate.covariance.covariance);
  }
  // Explicit PAIRWISE is the default rule of SAMPLE: one pass.
  MomentsOptions pairwise;
  pairwise.risk_model.missing = MissingData::kPairwise;
  EXPECT_TRUE(Estimate(p, pairwise).one_pass);
}

TEST(EstimateMomentsFromPrices, PeriodsPerYearScalesBoth) {
  const Matrix p = RandomPrices(300, 4, 12, /*gaps=*/false);
  MomentsOptions weekly = Unrepaired();
  weekly.expected_returns.periods_per_year = 52.0;
  weekly.risk_model.periods_per_year = 52.0;
  const MomentsEstimate estimate = Estimate(p, weekly);
  ASSERT_TRUE(estimate.one_pass);
  ExpectDefinitions(estimate, p, 52.0);
}

TEST(EstimateMomentsFromPrices, InvalidPricesGiveTheReturnsError) {
  const Matrix good = RandomPrices(300, 4, 3, /*gaps=*/false);
  for (double bad : {0.0, -5.0, kInfinity}) {
    Matrix p = good;
    p(200, 2) = bad;
    Result<MomentsEstimate> estimate = EstimateMomentsFromPrices(p);
    ASSERT_FALSE(estimate.has_value()) << bad;
    EXPECT_NE(estimate.error().message().find("row 200, column 2"), std::string::npos)
        << estimate.error().message();
  }
  // Negative everywhere: every ratio is positive, the first price is not.
  Matrix negative = good;
  negative.col(1) = -negative.col(1);
  Result<MomentsEstimate> estimate = EstimateMomentsFromPrices(negative);
  ASSERT_FALSE(estimate.has_value());
  EXPECT_NE(estimate.error().message().find("column 1"), std::string::npos);
}

TEST(EstimateMomentsFromPrices, TooShortHistoriesGiveTheEstimatorsErrors) {
  Matrix p = RandomPrices(50, 3, 4, /*gaps=*/false);
  p.col(2).head(48).setConstant(kNaN);  // 2 prices: 1 return
  Result<MomentsEstimate> estimate = EstimateMomentsFromPrices(p);
  ASSERT_FALSE(estimate.has_value());
  EXPECT_NE(estimate.error().message().find("asset 2 has 1 return"), std::string::npos)
      << estimate.error().message();
  Result<MomentsEstimate> empty = EstimateMomentsFromPrices(Matrix(0, 3));
  EXPECT_FALSE(empty.has_value());
}

TEST(MomentsOptions, DefaultsAreValidAndErrorsNameTheField) {
  EXPECT_TRUE(MomentsOptions{}.Validate().has_value());
  MomentsOptions options;
  options.risk_model.periods_per_year = -1.0;
  Status status = options.Validate();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().field(), "risk_model.periods_per_year");
  options = {};
  options.expected_returns.ema_span = 0.5;
  status = options.Validate();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().field(), "expected_returns.ema_span");
  options = {};
  options.return_kind = static_cast<ReturnKind>(7);
  status = options.Validate();
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().field(), "return_kind");
}

}  // namespace
}  // namespace pfopt
