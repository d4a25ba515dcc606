#include "pfopt/data/returns.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "support/reference_data.h"

namespace pfopt {
namespace {

using ::pfopt::testing::PypfoptReference;
using ::pfopt::testing::StockPrices;

TimeSeriesTable Table(std::vector<std::string> periods, std::vector<std::string> assets,
                      Matrix values) {
  TimeSeriesTable table;
  table.periods = std::move(periods);
  table.assets = std::move(assets);
  table.values = std::move(values);
  return table;
}

TEST(ReturnsFromPrices, SimpleReturnsAreRatioMinusOne) {
  Matrix prices(3, 2);
  prices << 100, 10, 110, 12, 99, 12;
  Result<Matrix> returns = ReturnsFromPrices(prices);
  ASSERT_TRUE(returns.has_value());
  ASSERT_EQ(returns->rows(), 2);
  EXPECT_EQ((*returns)(0, 0), 110.0 / 100.0 - 1.0);
  EXPECT_EQ((*returns)(1, 0), 99.0 / 110.0 - 1.0);
  EXPECT_EQ((*returns)(0, 1), 12.0 / 10.0 - 1.0);
  EXPECT_EQ((*returns)(1, 1), 0.0);
}

TEST(ReturnsFromPrices, LogReturnsAreLogOfRatio) {
  Matrix prices(3, 1);
  prices << 100, 110, 99;
  Result<Matrix> returns = ReturnsFromPrices(prices, ReturnKind::kLog);
  ASSERT_TRUE(returns.has_value());
  EXPECT_NEAR((*returns)(0, 0), std::log(1.1), 1e-16);
  EXPECT_NEAR((*returns)(1, 0), std::log(0.9), 1e-16);
}

TEST(ReturnsFromPrices, GapMakesTwoReturnsMissingWithoutForwardFill) {
  Matrix prices(4, 2);
  prices << 1, 10, 2, kNaN, 4, 20, 8, 40;
  Result<Matrix> returns = ReturnsFromPrices(prices);
  ASSERT_TRUE(returns.has_value());
  ASSERT_EQ(returns->rows(), 3);
  EXPECT_TRUE(std::isnan((*returns)(0, 1)));
  EXPECT_TRUE(std::isnan((*returns)(1, 1)));  // no return invented from 10 to 20
  EXPECT_EQ((*returns)(2, 1), 1.0);
  EXPECT_EQ((*returns).col(0), Vector::Constant(3, 1.0));
}

TEST(ReturnsFromPrices, DropsRowsMissingForEveryAssetAndKeepsLaterLabels) {
  const TimeSeriesTable prices = Table({"d1", "d2", "d3", "d4", "d5"}, {"A", "B"},
                                       (Matrix(5, 2) << kNaN, kNaN,  //
                                        kNaN, 5.0,                   //
                                        2.0, 10.0,                   //
                                        4.0, kNaN,                   //
                                        8.0, kNaN)
                                           .finished());
  Result<TimeSeriesTable> returns = ReturnsFromPrices(prices);
  ASSERT_TRUE(returns.has_value()) << returns.error().ToString();
  // Returns at d2 (all missing), d3 (B only), d4 (A only), d5 (A only); d2 is dropped.
  EXPECT_EQ(returns->periods, (std::vector<std::string>{"d3", "d4", "d5"}));
  EXPECT_EQ(returns->assets, prices.assets);
  ASSERT_EQ(returns->values.rows(), 3);
  EXPECT_TRUE(std::isnan(returns->values(0, 0)));
  EXPECT_EQ(returns->values(0, 1), 1.0);
  EXPECT_EQ(returns->values(1, 0), 1.0);
  EXPECT_EQ(returns->values(2, 0), 1.0);
  EXPECT_TRUE(std::isnan(returns->values(2, 1)));

  Result<Matrix> bare = ReturnsFromPrices(prices.values);
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->rows(), 3);
}

TEST(ReturnsFromPrices, StockPricesGiveReferenceRowCountAndLogReturn) {
  const nlohmann::json& reference = PypfoptReference().at("expected_returns");
  Result<TimeSeriesTable> simple = ReturnsFromPrices(StockPrices());
  ASSERT_TRUE(simple.has_value());
  EXPECT_EQ(simple->num_periods(), reference.at("returns_rows").get<Index>());
  EXPECT_EQ(simple->periods.front(), "1990-01-02");
  EXPECT_EQ(simple->periods.back(), "2018-04-11");

  Result<TimeSeriesTable> log = ReturnsFromPrices(StockPrices(), ReturnKind::kLog);
  ASSERT_TRUE(log.has_value());
  const Index sbux = log->AssetIndex("SBUX");
  ASSERT_GE(sbux, 0);
  const double expected = reference.at("log_return_last_cell_SBUX_2018-04-11").get<double>();
  const double actual = log->values(log->num_periods() - 1, sbux);
  EXPECT_LT(std::abs(actual - expected) / std::abs(expected), 1e-13);
}

TEST(ReturnsFromPrices, TableAndMatrixOverloadsAgree) {
  Result<TimeSeriesTable> table = ReturnsFromPrices(StockPrices());
  Result<Matrix> matrix = ReturnsFromPrices(StockPrices().values);
  ASSERT_TRUE(table.has_value());
  ASSERT_TRUE(matrix.has_value());
  EXPECT_TRUE((table->values.array() == matrix->array() ||
               (table->values.array().isNaN() && matrix->array().isNaN()))
                  .all());
}

// ---------------------------------------------------------------------------------------------
// Errors.

void ExpectError(const MatrixRef& prices, const std::string& needle) {
  Result<Matrix> returns = ReturnsFromPrices(prices);
  ASSERT_FALSE(returns.has_value());
  EXPECT_EQ(returns.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(returns.error().message().find(needle), std::string::npos) << returns.error().message();
}

TEST(ReturnsFromPrices, RejectsFewerThanTwoRows) {
  ExpectError(Matrix::Constant(1, 3, 1.0), "at least 2 periods");
  ExpectError(Matrix(0, 3), "at least 2 periods");
}

TEST(ReturnsFromPrices, RejectsNoColumns) { ExpectError(Matrix(5, 0), "no asset columns"); }

TEST(ReturnsFromPrices, RejectsNonPositiveOrInfinitePrice) {
  Matrix prices = Matrix::Constant(3, 2, 1.0);
  prices(2, 1) = 0.0;
  ExpectError(prices, "row 2, column 1 is 0");
  prices(2, 1) = -kInfinity;
  ExpectError(prices, "row 2, column 1 is -inf");
  prices(2, 1) = kInfinity;
  ExpectError(prices, "is inf");
}

TEST(ReturnsFromPrices, TableErrorNamesPeriodAndAsset) {
  const TimeSeriesTable prices =
      Table({"d1", "d2"}, {"A", "B"}, (Matrix(2, 2) << 1.0, 2.0, 1.0, -2.0).finished());
  Result<TimeSeriesTable> returns = ReturnsFromPrices(prices);
  ASSERT_FALSE(returns.has_value());
  EXPECT_NE(returns.error().message().find("row 1 (period \"d2\"), column 1 (\"B\") is -2"),
            std::string::npos)
      << returns.error().message();
}

TEST(ReturnsFromPrices, RejectsTableWithMismatchedLabels) {
  const TimeSeriesTable prices = Table({"d1"}, {"A"}, Matrix::Constant(2, 1, 1.0));
  Result<TimeSeriesTable> returns = ReturnsFromPrices(prices);
  ASSERT_FALSE(returns.has_value());
  EXPECT_EQ(returns.error().code(), ErrorCode::kDimensionMismatch);
}

TEST(ReturnsFromPrices, RejectsPricesWithoutAnyConsecutivePair) {
  Matrix prices(3, 2);
  prices << 1.0, kNaN, kNaN, 2.0, 3.0, kNaN;
  ExpectError(prices, "no return at all");
}

TEST(ReturnKind, NamesRoundTrip) {
  EXPECT_EQ(EnumToString(ReturnKind::kLog), "LOG");
  EXPECT_EQ(*EnumFromString<ReturnKind>("simple"), ReturnKind::kSimple);
  EXPECT_FALSE(EnumFromString<ReturnKind>("percent"));
}

}  // namespace
}  // namespace pfopt
