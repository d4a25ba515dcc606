#include "pfopt/data/table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>

#include "support/reference_data.h"

namespace pfopt {
namespace {

using ::pfopt::testing::SourcePath;

TimeSeriesTable Parse(std::string_view text, const CsvReadOptions& options = {}) {
  Result<TimeSeriesTable> table = ParseTableCsv(text, options);
  EXPECT_TRUE(table.has_value()) << table.error().ToString();
  return table.has_value() ? *table : TimeSeriesTable{};
}

void ExpectError(std::string_view text, ErrorCode code, const std::string& needle,
                 const CsvReadOptions& options = {}) {
  Result<TimeSeriesTable> table = ParseTableCsv(text, options);
  ASSERT_FALSE(table.has_value()) << "parsed:\n" << text;
  EXPECT_EQ(table.error().code(), code) << table.error().ToString();
  EXPECT_NE(table.error().message().find(needle), std::string::npos)
      << "message: " << table.error().message() << "\nexpected to contain: " << needle;
}

// ---------------------------------------------------------------------------------------------
// Parsing.

TEST(ParseTableCsv, ReadsLabelsAssetsAndValues) {
  const TimeSeriesTable table = Parse(
      "date,AAA,BBB\n"
      "2020-01-01,1.5,20\n"
      "2020-01-02,1.25e1,0.001\n");
  EXPECT_EQ(table.periods, (std::vector<std::string>{"2020-01-01", "2020-01-02"}));
  EXPECT_EQ(table.assets, (std::vector<std::string>{"AAA", "BBB"}));
  ASSERT_EQ(table.num_periods(), 2);
  ASSERT_EQ(table.num_assets(), 2);
  EXPECT_EQ(table.values(0, 0), 1.5);
  EXPECT_EQ(table.values(0, 1), 20.0);
  EXPECT_EQ(table.values(1, 0), 12.5);
  EXPECT_EQ(table.values(1, 1), 0.001);
  EXPECT_EQ(table.AssetIndex("BBB"), 1);
  EXPECT_EQ(table.AssetIndex("CCC"), -1);
}

TEST(ParseTableCsv, MissingTokensBecomeNaN) {
  const TimeSeriesTable table = Parse(
      "date,A,B,C,D,E,F,G,H,I\n"
      "d1,,NA,n/a,NaN,nan,NULL,None,#N/A,  \n"
      "d2,1,2,3,4,5,6,7,8,9\n");
  ASSERT_EQ(table.num_assets(), 9);
  for (Index col = 0; col < 9; ++col) {
    EXPECT_TRUE(std::isnan(table.values(0, col))) << table.assets[static_cast<std::size_t>(col)];
    EXPECT_EQ(table.values(1, col), static_cast<double>(col + 1));
  }
}

TEST(ParseTableCsv, AcceptsQuotesCrlfBomBlankLinesAndSpaces) {
  const TimeSeriesTable table = Parse(
      "\xEF\xBB\xBF\"date\", \"Acme, Inc.\" ,\"Say \"\"hi\"\"\"\r\n"
      "\r\n"
      " \"2020-01-01\" , 1 , +2.5 \r\n"
      "2020-01-02,\"3\",\"\"\r\n"
      "\n");
  EXPECT_EQ(table.assets, (std::vector<std::string>{"Acme, Inc.", "Say \"hi\""}));
  EXPECT_EQ(table.periods, (std::vector<std::string>{"2020-01-01", "2020-01-02"}));
  EXPECT_EQ(table.values(0, 0), 1.0);
  EXPECT_EQ(table.values(0, 1), 2.5);
  EXPECT_EQ(table.values(1, 0), 3.0);
  EXPECT_TRUE(std::isnan(table.values(1, 1)));
}

TEST(ParseTableCsv, AcceptsAnyIncreasingLabelsAndNoTrailingNewline) {
  const TimeSeriesTable table = Parse("t,X\n1,5\n2,6");
  EXPECT_EQ(table.num_periods(), 2);
  EXPECT_EQ(table.values(1, 0), 6.0);
}

TEST(ParseTableCsv, ReturnsTableAllowsNegativeValues) {
  CsvReadOptions options;
  options.kind = TableKind::kReturns;
  const TimeSeriesTable table = Parse("date,A\nd1,-0.5\nd2,0\n", options);
  EXPECT_EQ(table.values(0, 0), -0.5);
  EXPECT_EQ(table.values(1, 0), 0.0);
}

TEST(ParseTableCsv, UnorderedPeriodsAllowedWhenNotRequired) {
  CsvReadOptions options;
  options.require_increasing_periods = false;
  const TimeSeriesTable table = Parse("date,A\nb,1\na,2\n", options);
  EXPECT_EQ(table.periods, (std::vector<std::string>{"b", "a"}));
}

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(ParseTableCsv, RejectsNonNumericCellNamingRowLineAndColumn) {
  ExpectError("date,AAPL,MSFT\nd1,1,2\nd2,abc,3\n", ErrorCode::kParseError,
              "row 2 (line 3), column \"AAPL\": \"abc\" is not a number");
}

TEST(ParseTableCsv, LineNumbersCountBlankLines) {
  ExpectError("date,A\n\nd1,1\n\nd2,1.2.3\n", ErrorCode::kParseError,
              "row 2 (line 5), column \"A\": \"1.2.3\" is not a number");
}

TEST(ParseTableCsv, RejectsTrailingGarbageAndBareSigns) {
  ExpectError("date,A\nd1,12abc\n", ErrorCode::kParseError, "\"12abc\" is not a number");
  ExpectError("date,A\nd1,+\n", ErrorCode::kParseError, "\"+\" is not a number");
  ExpectError("date,A\nd1,+-1\n", ErrorCode::kParseError, "\"+-1\" is not a number");
}

TEST(ParseTableCsv, RejectsInfinityAndOutOfRangeNumbers) {
  ExpectError("date,A\nd1,inf\n", ErrorCode::kParseError, "\"inf\" is not a finite number");
  ExpectError("date,A\nd1,-Infinity\n", ErrorCode::kParseError,
              "\"-Infinity\" is not a finite number");
  ExpectError("date,A\nd1,-nan\n", ErrorCode::kParseError, "\"-nan\" is not a finite number");
  ExpectError("date,A\nd1,1e999\n", ErrorCode::kParseError, "out of the range of a double");
}

TEST(ParseTableCsv, RejectsNonPositivePrices) {
  ExpectError("date,A\nd1,1\nd2,0\n", ErrorCode::kInvalidArgument,
              "row 2 (line 3), column \"A\": price \"0\" is not positive");
  ExpectError("date,A\nd1,-3\n", ErrorCode::kInvalidArgument, "price \"-3\" is not positive");
}

TEST(ParseTableCsv, RejectsReturnsAtOrBelowMinusOne) {
  CsvReadOptions options;
  options.kind = TableKind::kReturns;
  ExpectError("date,A\nd1,-1\n", ErrorCode::kInvalidArgument, "return \"-1\" is <= -1", options);
}

TEST(ParseTableCsv, RejectsEmptyInput) {
  ExpectError("", ErrorCode::kParseError, "empty");
  ExpectError("\n \n\r\n", ErrorCode::kParseError, "empty");
}

TEST(ParseTableCsv, RejectsHeaderWithoutRows) {
  ExpectError("date,A,B\n", ErrorCode::kParseError, "header but no data rows");
}

TEST(ParseTableCsv, RejectsHeaderWithoutAssets) {
  ExpectError("date\nd1\n", ErrorCode::kParseError, "no asset columns");
}

TEST(ParseTableCsv, RejectsEmptyOrDuplicateAssetNames) {
  ExpectError("date,A,,B\nd1,1,2,3\n", ErrorCode::kParseError, "header cell 3 is empty");
  ExpectError("date,A,B,A\nd1,1,2,3\n", ErrorCode::kParseError,
              "asset \"A\" appears twice in the header (cells 2 and 4)");
}

TEST(ParseTableCsv, RejectsRowWithWrongNumberOfCells) {
  ExpectError("date,A,B\nd1,1,2\nd2,1\n", ErrorCode::kParseError,
              "row 2 (line 3): expected 3 cells like the header, found 2");
  ExpectError("date,A,B\nd1,1,2,3\n", ErrorCode::kParseError, "found 4");
}

TEST(ParseTableCsv, RejectsDuplicatePeriodNamingBothLines) {
  ExpectError("date,A\nd1,1\nd1,2\n", ErrorCode::kInvalidArgument,
              "row 2 (line 3): period \"d1\" repeats line 2");
  CsvReadOptions unordered;
  unordered.require_increasing_periods = false;
  ExpectError("date,A\nd2,1\nd1,2\nd2,3\n", ErrorCode::kInvalidArgument,
              "row 3 (line 4): period \"d2\" repeats line 2", unordered);
}

TEST(ParseTableCsv, RejectsDecreasingPeriodNamingBothLines) {
  ExpectError("date,A\n2020-01-02,1\n2020-01-01,2\n", ErrorCode::kInvalidArgument,
              "row 2 (line 3): period \"2020-01-01\" comes before \"2020-01-02\" on line 2");
}

TEST(ParseTableCsv, RejectsEmptyPeriodLabel) {
  ExpectError("date,A\n,1\n", ErrorCode::kParseError, "period label (first cell) is empty");
}

TEST(ParseTableCsv, RejectsColumnWithoutAnyValue) {
  ExpectError("date,A,B\nd1,1,\nd2,2,NA\n", ErrorCode::kInvalidArgument,
              "column \"B\" has no value at all");
}

TEST(ParseTableCsv, RejectsBrokenQuotes) {
  ExpectError("date,A\nd1,\"1\n", ErrorCode::kParseError, "line 2: unterminated quote in cell 2");
  ExpectError("date,A\nd1,\"1\"x\n", ErrorCode::kParseError,
              "unexpected text after the closing quote of cell 2");
}

// ---------------------------------------------------------------------------------------------
// Files.

TEST(ReadTableCsv, ReadsStockPrices) {
  Result<TimeSeriesTable> table = ReadTableCsv(SourcePath("examples/data/stock_prices.csv"));
  ASSERT_TRUE(table.has_value()) << table.error().ToString();
  EXPECT_EQ(table->num_periods(), 7126);
  ASSERT_EQ(table->num_assets(), 20);
  EXPECT_EQ(table->assets.front(), "GOOG");
  EXPECT_EQ(table->assets.back(), "SBUX");
  EXPECT_EQ(table->periods.front(), "1989-12-29");
  EXPECT_EQ(table->periods.back(), "2018-04-11");
  EXPECT_EQ(table->values(0, 1), 0.117203);      // AAPL on the first day
  EXPECT_TRUE(std::isnan(table->values(0, 0)));  // GOOG listed in 2004
  // GOOG: missing before its listing, present after, no internal gaps.
  const Index goog_missing = table->values.col(0).array().isNaN().count();
  EXPECT_GT(goog_missing, 3000);
  EXPECT_FALSE(table->values.col(0).tail(7126 - goog_missing).hasNaN());
}

TEST(ReadTableCsv, MissingFileIsIoErrorNamingPath) {
  const std::string path = SourcePath("tests/data/does_not_exist.csv");
  Result<TimeSeriesTable> table = ReadTableCsv(path);
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().code(), ErrorCode::kIoError);
  EXPECT_NE(table.error().message().find(path), std::string::npos);
}

TEST(ReadTableCsv, ParseErrorNamesPathAndRow) {
  const std::string path = ::testing::TempDir() + "pfopt_table_test_bad.csv";
  {
    std::ofstream out(path);
    out << "date,A\nd1,1\nd2,oops\n";
  }
  Result<TimeSeriesTable> table = ReadTableCsv(path);
  std::remove(path.c_str());
  ASSERT_FALSE(table.has_value());
  EXPECT_EQ(table.error().code(), ErrorCode::kParseError);
  EXPECT_NE(table.error().message().find(path + ": row 2 (line 3), column \"A\""),
            std::string::npos)
      << table.error().message();
}

// ---------------------------------------------------------------------------------------------
// Writing.

TEST(FormatTableCsv, RoundTripsExactlyIncludingNaNAndQuotedNames) {
  std::mt19937_64 rng(123);
  std::uniform_real_distribution<double> exponent(-8.0, 8.0);
  std::uniform_real_distribution<double> mantissa(1.0, 10.0);
  TimeSeriesTable table;
  table.assets = {"plain", "with, comma", "with \"quote\""};
  table.values.resize(50, 3);
  for (Index row = 0; row < 50; ++row) {
    table.periods.push_back(std::to_string(1000 + row));
    for (Index col = 0; col < 3; ++col) {
      table.values(row, col) =
          (row + col) % 7 == 0 ? kNaN : mantissa(rng) * std::pow(10.0, exponent(rng));
    }
  }
  const std::string text = FormatTableCsv(table);
  const TimeSeriesTable back = Parse(text);
  EXPECT_EQ(back.assets, table.assets);
  EXPECT_EQ(back.periods, table.periods);
  ASSERT_EQ(back.values.rows(), 50);
  for (Index row = 0; row < 50; ++row) {
    for (Index col = 0; col < 3; ++col) {
      const double expected = table.values(row, col);
      if (std::isnan(expected)) {
        EXPECT_TRUE(std::isnan(back.values(row, col)));
      } else {
        EXPECT_EQ(back.values(row, col), expected) << row << "," << col;
      }
    }
  }
}

TEST(FormatTableCsv, WritesShortestNumbersAndEmptyCellsForNaN) {
  TimeSeriesTable table;
  table.assets = {"A", "B"};
  table.periods = {"2020-01-01"};
  table.values.resize(1, 2);
  table.values << 0.117203, kNaN;
  EXPECT_EQ(FormatTableCsv(table), "date,A,B\n2020-01-01,0.117203,\n");
}

TEST(FormatTableCsv, RoundTripsStockPrices) {
  const TimeSeriesTable& prices = ::pfopt::testing::StockPrices();
  const TimeSeriesTable back = Parse(FormatTableCsv(prices));
  EXPECT_EQ(back.periods, prices.periods);
  EXPECT_EQ(back.assets, prices.assets);
  EXPECT_TRUE((back.values.array() == prices.values.array() ||
               (back.values.array().isNaN() && prices.values.array().isNaN()))
                  .all());
}

}  // namespace
}  // namespace pfopt
