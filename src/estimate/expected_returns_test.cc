#include "pfopt/estimate/expected_returns.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "pfopt/data/returns.h"
#include "support/reference_data.h"

namespace pfopt {
namespace {

using ::pfopt::testing::MaxRelativeDifference;
using ::pfopt::testing::PypfoptReference;
using ::pfopt::testing::SpyPrices;
using ::pfopt::testing::StockPrices;
using ::pfopt::testing::Tickers;
using ::pfopt::testing::TickerVector;

const TimeSeriesTable& StockReturns() {
  static const TimeSeriesTable returns = [] {
    Result<TimeSeriesTable> table = ReturnsFromPrices(StockPrices());
    EXPECT_TRUE(table.has_value());
    return *table;
  }();
  return returns;
}

Vector Reference(const std::string& key) {
  return TickerVector(PypfoptReference().at("expected_returns").at(key), Tickers());
}

Vector Estimate(const MatrixRef& returns, const ExpectedReturnsOptions& options) {
  Result<Vector> mu = EstimateExpectedReturns(returns, options);
  EXPECT_TRUE(mu.has_value()) << mu.error().ToString();
  return mu.has_value() ? *mu : Vector();
}

ExpectedReturnsOptions Method(ExpectedReturnsMethod method) {
  ExpectedReturnsOptions options;
  options.method = method;
  return options;
}

// SPY returns on SPY's own rows, aligned to the stock return rows by date (NaN where SPY has no
// return that day), as PyPortfolioOpt's left join does.
Vector AlignedSpyReturns() {
  Result<TimeSeriesTable> spy = ReturnsFromPrices(SpyPrices());
  EXPECT_TRUE(spy.has_value());
  const TimeSeriesTable& stocks = StockReturns();
  Vector aligned = Vector::Constant(stocks.num_periods(), kNaN);
  std::size_t k = 0;
  for (std::size_t row = 0; row < stocks.periods.size(); ++row) {
    while (k < spy->periods.size() && spy->periods[k] < stocks.periods[row]) ++k;
    if (k < spy->periods.size() && spy->periods[k] == stocks.periods[row]) {
      aligned[static_cast<Index>(row)] = spy->values(static_cast<Index>(k), 0);
    }
  }
  return aligned;
}

// ---------------------------------------------------------------------------------------------
// PyPortfolioOpt reference values. The reference's own independent re-computation agrees with
// PyPortfolioOpt to ~2e-15; 1e-12 leaves room for summation order only.

TEST(EstimateExpectedReturns, MeanHistoricalMatchesPypfopt) {
  const Vector mu = Estimate(StockReturns().values, {});
  EXPECT_LT(MaxRelativeDifference(mu, Reference("mean_historical_return")), 1e-12);
}

TEST(EstimateExpectedReturns, MeanArithmeticMatchesPypfopt) {
  const Vector mu = Estimate(StockReturns().values, Method(ExpectedReturnsMethod::kMeanArithmetic));
  EXPECT_LT(MaxRelativeDifference(mu, Reference("mean_historical_return_arithmetic")), 1e-12);
}

TEST(EstimateExpectedReturns, MeanHistoricalOfLogReturnsMatchesPypfopt) {
  Result<Matrix> log_returns = ReturnsFromPrices(StockPrices().values, ReturnKind::kLog);
  ASSERT_TRUE(log_returns.has_value());
  const Vector mu = Estimate(*log_returns, {});
  EXPECT_LT(MaxRelativeDifference(mu, Reference("mean_historical_return_log_returns")), 1e-12);
}

TEST(EstimateExpectedReturns, MeanHistoricalOnCompletePriceRowsMatchesPypfopt) {
  const Matrix& prices = StockPrices().values;
  std::vector<Index> keep;
  for (Index row = 0; row < prices.rows(); ++row) {
    if (!prices.row(row).hasNaN()) keep.push_back(row);
  }
  Matrix complete(static_cast<Index>(keep.size()), prices.cols());
  for (std::size_t k = 0; k < keep.size(); ++k)
    complete.row(static_cast<Index>(k)) = prices.row(keep[k]);
  Result<Matrix> returns = ReturnsFromPrices(complete);
  ASSERT_TRUE(returns.has_value());
  const Vector mu = Estimate(*returns, {});
  EXPECT_LT(MaxRelativeDifference(mu, Reference("mean_historical_return_on_dropna_prices")), 1e-12);
}

TEST(EstimateExpectedReturns, EmaMatchesPypfopt) {
  ExpectedReturnsOptions options = Method(ExpectedReturnsMethod::kEma);
  options.ema_span = 500.0;
  EXPECT_LT(MaxRelativeDifference(Estimate(StockReturns().values, options),
                                  Reference("ema_historical_return_span500")),
            1e-12);
  options.compounding = false;
  EXPECT_LT(MaxRelativeDifference(Estimate(StockReturns().values, options),
                                  Reference("ema_historical_return_span500_arithmetic")),
            1e-12);
}

TEST(EstimateExpectedReturns, CapmEqualWeightMarketMatchesPypfopt) {
  ExpectedReturnsOptions options = Method(ExpectedReturnsMethod::kCapm);
  EXPECT_LT(MaxRelativeDifference(Estimate(StockReturns().values, options),
                                  Reference("capm_return_equal_weight_market_rf0")),
            1e-12);
  options.risk_free_rate = 0.02;
  EXPECT_LT(MaxRelativeDifference(Estimate(StockReturns().values, options),
                                  Reference("capm_return_equal_weight_market_rf0.02")),
            1e-12);
}

TEST(EstimateExpectedReturns, CapmSpyMarketMatchesPypfopt) {
  ExpectedReturnsOptions options = Method(ExpectedReturnsMethod::kCapm);
  options.risk_free_rate = 0.02;
  options.market_returns = AlignedSpyReturns();
  ASSERT_TRUE(std::isnan(options.market_returns[0]));  // SPY starts in 1993
  EXPECT_LT(MaxRelativeDifference(Estimate(StockReturns().values, options),
                                  Reference("capm_return_spy_rf0.02")),
            1e-12);
  options.compounding = false;
  EXPECT_LT(MaxRelativeDifference(Estimate(StockReturns().values, options),
                                  Reference("capm_return_spy_rf0.02_arithmetic")),
            1e-12);
}

// ---------------------------------------------------------------------------------------------
// Definitions on small inputs.

TEST(EstimateExpectedReturns, MeanHistoricalCompoundsEachAssetOverItsOwnReturns) {
  Matrix r(4, 2);
  r << kNaN, 0.10, kNaN, -0.05, 0.02, 0.01, 0.04, kNaN;
  ExpectedReturnsOptions options;
  options.periods_per_year = 12.0;
  const Vector mu = Estimate(r, options);
  EXPECT_NEAR(mu[0], std::pow(1.02 * 1.04, 12.0 / 2.0) - 1.0, 1e-15);
  EXPECT_NEAR(mu[1], std::pow(1.10 * 0.95 * 1.01, 12.0 / 3.0) - 1.0, 1e-15);
}

TEST(EstimateExpectedReturns, MeanHistoricalSurvivesProductOverflow) {
  // 2000 periods of +100 %: the plain product 2^2000 overflows; the logarithm path does not.
  const Matrix r = Matrix::Constant(2000, 1, 1.0);
  const Vector mu = Estimate(r, {});
  EXPECT_NEAR(mu[0] / (std::pow(2.0, 252.0) - 1.0), 1.0, 1e-12);
}

TEST(EstimateExpectedReturns, MeanHistoricalTotalLossGivesMinusOne) {
  Matrix r(3, 1);
  r << 0.1, -1.0, 0.2;
  EXPECT_EQ(Estimate(r, {})[0], -1.0);
}

TEST(EstimateExpectedReturns, ArithmeticIsFrequencyTimesMeanOfPresentValues) {
  Matrix r(3, 1);
  r << 0.01, kNaN, 0.03;
  const Vector mu = Estimate(r, Method(ExpectedReturnsMethod::kMeanArithmetic));
  EXPECT_NEAR(mu[0], 252.0 * 0.02, 1e-14);
}

TEST(EstimateExpectedReturns, EmaWeightsByAbsolutePositionAcrossGaps) {
  // Rows 0..3 with row 2 missing: weights (1-a)^3, (1-a)^2, -, 1 (the gap still ages them).
  Matrix r(4, 1);
  r << 0.01, 0.02, kNaN, 0.05;
  ExpectedReturnsOptions options = Method(ExpectedReturnsMethod::kEma);
  options.ema_span = 3.0;  // alpha = 0.5
  options.compounding = false;
  options.periods_per_year = 1.0;
  const double expected = (0.125 * 0.01 + 0.25 * 0.02 + 1.0 * 0.05) / (0.125 + 0.25 + 1.0);
  EXPECT_NEAR(Estimate(r, options)[0], expected, 1e-16);
}

TEST(EstimateExpectedReturns, EmaWithTrailingMissingKeepsLastValueWeights) {
  // pandas' ewm at a missing last row keeps the previous mean: the ratio is unchanged.
  Matrix r(3, 1);
  r << 0.01, 0.03, kNaN;
  ExpectedReturnsOptions options = Method(ExpectedReturnsMethod::kEma);
  options.ema_span = 3.0;
  options.compounding = false;
  options.periods_per_year = 1.0;
  EXPECT_NEAR(Estimate(r, options)[0], (0.5 * 0.01 + 0.03) / 1.5, 1e-16);
}

TEST(EstimateExpectedReturns, EmaSpanOneIsLastValue) {
  Matrix r(3, 1);
  r << 0.01, 0.03, -0.02;
  ExpectedReturnsOptions options = Method(ExpectedReturnsMethod::kEma);
  options.ema_span = 1.0;
  EXPECT_NEAR(Estimate(r, options)[0], std::pow(0.98, 252.0) - 1.0, 1e-14);
}

TEST(EstimateExpectedReturns, CapmOfTheMarketItselfHasBetaOne) {
  Matrix r(5, 2);
  r << 0.01, 0.02, -0.02, -0.01, 0.03, 0.00, 0.01, 0.02, -0.01, 0.01;
  ExpectedReturnsOptions options = Method(ExpectedReturnsMethod::kCapm);
  options.market_returns = r.col(0);
  Result<Vector> betas = CapmBetas(r, options);
  ASSERT_TRUE(betas.has_value());
  EXPECT_NEAR((*betas)[0], 1.0, 1e-15);
  options.risk_free_rate = 0.03;
  const Vector mu = Estimate(r, options);
  const Vector market_mu = Estimate(r.col(0), {});
  EXPECT_NEAR(mu[0], market_mu[0], 1e-15);
}

TEST(CapmBetas, EqualWeightMarketUsesPresentAssetsAndPairwiseRows) {
  Matrix r(4, 2);
  r << 0.01, kNaN, 0.03, 0.01, -0.02, 0.02, 0.04, -0.01;
  // market = [0.01, 0.02, 0.0, 0.015]
  Result<Vector> betas = CapmBetas(r, Method(ExpectedReturnsMethod::kCapm));
  ASSERT_TRUE(betas.has_value());
  const Vector m = (Vector(4) << 0.01, 0.02, 0.0, 0.015).finished();
  const double m_mean = m.mean();
  const double var_m = (m.array() - m_mean).square().sum() / 3.0;
  // Asset 1 with the market over rows 1..3, means over those rows.
  const Vector x = r.col(1).tail(3);
  const Vector mm = m.tail(3);
  const double cov = ((x.array() - x.mean()) * (mm.array() - mm.mean())).sum() / 2.0;
  EXPECT_NEAR((*betas)[1], cov / var_m, 1e-14);
}

// ---------------------------------------------------------------------------------------------
// Errors.

void ExpectError(const MatrixRef& r, const ExpectedReturnsOptions& options,
                 const std::string& needle, ErrorCode code = ErrorCode::kInvalidArgument) {
  Result<Vector> mu = EstimateExpectedReturns(r, options);
  ASSERT_FALSE(mu.has_value());
  EXPECT_EQ(mu.error().code(), code);
  EXPECT_NE(mu.error().message().find(needle), std::string::npos) << mu.error().message();
}

TEST(ExpectedReturnsOptions, DefaultsAreValid) { EXPECT_TRUE(ExpectedReturnsOptions{}.Validate()); }

TEST(ExpectedReturnsOptions, RejectsNonPositivePeriodsPerYear) {
  for (double value : {0.0, -252.0, kNaN, kInfinity}) {
    ExpectedReturnsOptions options;
    options.periods_per_year = value;
    Status status = options.Validate();
    ASSERT_FALSE(status) << value;
    EXPECT_EQ(status.error().field(), "periods_per_year");
  }
}

TEST(ExpectedReturnsOptions, RejectsSpanBelowOne) {
  ExpectedReturnsOptions options;
  options.ema_span = 0.9;
  Status status = options.Validate();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().field(), "ema_span");
  EXPECT_NE(status.error().message().find("ema_span = 0.9"), std::string::npos);
}

TEST(ExpectedReturnsOptions, RejectsInfiniteRiskFreeRateAndMarketReturn) {
  ExpectedReturnsOptions options;
  options.risk_free_rate = kInfinity;
  EXPECT_FALSE(options.Validate());
  options.risk_free_rate = 0.0;
  options.market_returns = (Vector(2) << 0.01, -kInfinity).finished();
  Status status = options.Validate();
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().field(), "market_returns");
}

TEST(EstimateExpectedReturns, RejectsEmptyMatrix) {
  ExpectError(Matrix(0, 2), {}, "empty");
  ExpectError(Matrix(3, 0), {}, "empty");
}

TEST(EstimateExpectedReturns, RejectsInfiniteReturn) {
  Matrix r = Matrix::Constant(3, 2, 0.01);
  r(1, 1) = kInfinity;
  for (ExpectedReturnsMethod method :
       {ExpectedReturnsMethod::kMeanHistorical, ExpectedReturnsMethod::kMeanArithmetic,
        ExpectedReturnsMethod::kEma, ExpectedReturnsMethod::kCapm}) {
    ExpectError(r, Method(method), "returns(1, 1) = inf");
  }
}

TEST(EstimateExpectedReturns, RejectsReturnBelowMinusOneWhenCompounding) {
  Matrix r(2, 1);
  r << 0.01, -1.5;
  ExpectError(r, {}, "below -1");
  EXPECT_TRUE(EstimateExpectedReturns(r, Method(ExpectedReturnsMethod::kMeanArithmetic)));
}

TEST(EstimateExpectedReturns, RejectsAssetWithoutReturns) {
  Matrix r(2, 2);
  r << 0.01, kNaN, 0.02, kNaN;
  for (ExpectedReturnsMethod method :
       {ExpectedReturnsMethod::kMeanHistorical, ExpectedReturnsMethod::kMeanArithmetic,
        ExpectedReturnsMethod::kEma}) {
    ExpectError(r, Method(method), "asset 1 has no return");
  }
}

TEST(EstimateExpectedReturns, RejectsInvalidOptions) {
  ExpectedReturnsOptions options;
  options.periods_per_year = -1.0;
  ExpectError(Matrix::Constant(2, 1, 0.01), options, "periods_per_year = -1");
}

TEST(EstimateExpectedReturns, RejectsMarketOfWrongLength) {
  ExpectedReturnsOptions options = Method(ExpectedReturnsMethod::kCapm);
  options.market_returns = Vector::Constant(3, 0.01);
  ExpectError(Matrix::Constant(4, 2, 0.01), options, "market_returns has 3 values for 4",
              ErrorCode::kDimensionMismatch);
}

TEST(EstimateExpectedReturns, RejectsMarketWithZeroVariance) {
  ExpectedReturnsOptions options = Method(ExpectedReturnsMethod::kCapm);
  options.market_returns = Vector::Constant(4, 0.01);
  Matrix r(4, 1);
  r << 0.01, 0.02, 0.03, 0.00;
  ExpectError(r, options, "zero variance");
}

TEST(EstimateExpectedReturns, RejectsAssetWithFewerThanTwoReturnsBesideTheMarket) {
  ExpectedReturnsOptions options = Method(ExpectedReturnsMethod::kCapm);
  options.market_returns = (Vector(4) << 0.01, 0.02, kNaN, kNaN).finished();
  Matrix r(4, 2);
  r << 0.01, kNaN, 0.02, 0.01, -0.01, 0.02, 0.01, 0.03;
  ExpectError(r, options, "asset 1 has 1 return(s) in periods where the market has one");
}

TEST(EstimateExpectedReturns, RejectsMarketWithOneValue) {
  ExpectedReturnsOptions options = Method(ExpectedReturnsMethod::kCapm);
  options.market_returns = (Vector(3) << 0.01, kNaN, kNaN).finished();
  ExpectError(Matrix::Constant(3, 1, 0.01), options, "1 present value");
}

TEST(ExpectedReturnsMethod, NamesRoundTrip) {
  for (const auto& [value, name] : EnumNames<ExpectedReturnsMethod>::kNames) {
    Result<ExpectedReturnsMethod> parsed = EnumFromString<ExpectedReturnsMethod>(name);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, value);
  }
  EXPECT_EQ(*EnumFromString<ExpectedReturnsMethod>("mean-historical"),
            ExpectedReturnsMethod::kMeanHistorical);
}

}  // namespace
}  // namespace pfopt
