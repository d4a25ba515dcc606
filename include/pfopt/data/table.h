// Time-series tables of prices or returns, and the CSV reader.
//
// File format (docs/data.md): a header row `date,<asset 1>,<asset 2>,...` then one row per
// period, oldest first. The first column holds the period label (any text without a comma;
// usually an ISO date). Separator ',' ; optional surrounding double quotes; '\r\n' accepted.
//
// Missing values: an empty cell, or one of `NA`, `N/A`, `NaN`, `nan`, `null`, `None`, `#N/A`
// (any case), is missing and stored as NaN. Anything else that is not a finite decimal number
// (e.g. "abc", "1.2.3", "inf") is rejected with an error naming the row (1-based line number
// in the file) and the column (its header name). Nothing is ever silently turned into 0.
#ifndef PFOPT_DATA_TABLE_H_
#define PFOPT_DATA_TABLE_H_

#include <string>
#include <string_view>
#include <vector>

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt {

// A table of values per period (rows) and asset (columns). NaN marks a missing value.
struct TimeSeriesTable {
  std::vector<std::string> periods;  // row labels, oldest first (e.g. "2018-04-11")
  std::vector<std::string> assets;   // column names, unique
  Matrix values;                     // periods.size() x assets.size()

  Index num_periods() const { return values.rows(); }
  Index num_assets() const { return values.cols(); }
  // Column index of `asset`, or -1.
  Index AssetIndex(std::string_view asset) const;
};

// What the values of a table are; decides the checks applied when reading.
enum class TableKind {
  kPrices,   // every present value must be > 0
  kReturns,  // every present value must be > -1 (a simple return below -100 % is impossible)
};

struct CsvReadOptions {
  TableKind kind = TableKind::kPrices;
  // Require strictly increasing period labels (compared as text, which orders ISO dates).
  // Duplicate labels are always an error.
  bool require_increasing_periods = true;
};

// Parses CSV text (see the format above). Errors: empty input, no data rows, a header without
// asset columns, duplicate or empty asset names, a row with the wrong number of cells,
// non-numeric or non-finite cells, prices <= 0, returns <= -1, duplicate or decreasing periods,
// an asset column with no value at all. Each names the row and column.
Result<TimeSeriesTable> ParseTableCsv(std::string_view text, const CsvReadOptions& options = {});

// Reads and parses a CSV file; an unreadable file is an Error of code kIoError naming the path.
Result<TimeSeriesTable> ReadTableCsv(const std::string& path, const CsvReadOptions& options = {});

// Writes `table` as CSV (the same format, header `date,<assets>`; NaN as an empty cell; each
// number as the shortest decimal text that reads back as the same double, i.e. at most 17
// significant digits, so that ParseTableCsv(FormatTableCsv(t)) reproduces t exactly). Names and
// labels containing commas, quotes or surrounding blanks are quoted.
std::string FormatTableCsv(const TimeSeriesTable& table);

}  // namespace pfopt

#endif  // PFOPT_DATA_TABLE_H_
