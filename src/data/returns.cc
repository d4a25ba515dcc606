#include "pfopt/data/returns.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace pfopt {
namespace {

// Labels used in error messages when the caller has them (the table overload).
struct Labels {
  const std::vector<std::string>* periods = nullptr;
  const std::vector<std::string>* assets = nullptr;
};

std::string DescribeCell(Index row, Index col, const Labels& labels) {
  std::string where = "row " + std::to_string(row);
  if (labels.periods != nullptr) {
    where += " (period \"" + (*labels.periods)[static_cast<std::size_t>(row)] + "\")";
  }
  where += ", column " + std::to_string(col);
  if (labels.assets != nullptr) {
    where += " (\"" + (*labels.assets)[static_cast<std::size_t>(col)] + "\")";
  }
  return where;
}

std::string FormatNumber(double value) {
  char text[64];
  const std::to_chars_result result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

Status FindInvalidPrice(const MatrixRef& prices, const Labels& labels) {
  for (Index col = 0; col < prices.cols(); ++col) {
    for (Index row = 0; row < prices.rows(); ++row) {
      const double p = prices(row, col);
      if (std::isnan(p)) continue;
      if (!(p > 0.0) || !std::isfinite(p)) {
        return InvalidArgument("prices: " + DescribeCell(row, col, labels) + " is " +
                               FormatNumber(p) +
                               "; prices must be finite and > 0 (NaN marks a missing price)");
      }
    }
  }
  return Ok();
}

// Returns of `prices` and, in `kept` (if not null), the index of the later price of each kept
// return row.
Result<Matrix> ComputeReturns(const MatrixRef& prices, ReturnKind kind, const Labels& labels,
                              std::vector<Index>* kept) {
  const Index rows = prices.rows();
  const Index cols = prices.cols();
  if (cols == 0) return InvalidArgument("prices: the matrix has no asset columns");
  if (rows < 2) {
    return InvalidArgument("prices: " + std::to_string(rows) +
                           " row(s); at least 2 periods of prices are needed to form a return");
  }
  const Index periods = rows - 1;
  Matrix returns(periods, cols);
  // One fused pass per column (this is on the hot path of every optimisation from prices):
  // the division, the price check (NaN = missing is fine; <= 0 or +inf is not) and the count,
  // per row, of assets with a return. A missing price on either side gives NaN, which
  // propagates through the division. The loop has no branch and vectorises.
  Vector present = Vector::Zero(periods);
  std::int64_t bad = 0;
  const double offset = kind == ReturnKind::kSimple ? 1.0 : 0.0;  // r = ratio - 1, or the ratio
  for (Index col = 0; col < cols; ++col) {
    const double* p = prices.col(col).data();
    double* r = returns.col(col).data();
    double* count = present.data();
    bad += static_cast<std::int64_t>((p[0] <= 0.0) | (p[0] == kInfinity));
    for (Index row = 0; row < periods; ++row) {
      const double later = p[row + 1];
      const double ratio = later / p[row];
      bad += static_cast<std::int64_t>((later <= 0.0) | (later == kInfinity));
      r[row] = ratio - offset;
      count[row] += (ratio == ratio) ? 1.0 : 0.0;
    }
  }
  if (bad != 0) {
    PFOPT_RETURN_IF_ERROR(FindInvalidPrice(prices, labels));
  }
  if (kind == ReturnKind::kLog) {
    // ln(P_t / P_{t-1}). For ratios in [0.5, 2] this is bit-identical to ln(1 + r) with the
    // simple return r (Sterbenz: r = ratio - 1 and 1 + r are exact), PyPortfolioOpt's form.
    returns.array() = returns.array().log();
  }

  // Rows where no asset has a return are dropped.
  const bool all_kept = present.minCoeff() > 0.0;
  if (all_kept && kept == nullptr) return returns;
  std::vector<Index> rows_kept;
  rows_kept.reserve(static_cast<std::size_t>(periods));
  for (Index row = 0; row < periods; ++row) {
    if (present[row] > 0.0) rows_kept.push_back(row + 1);
  }
  const Index num_kept = static_cast<Index>(rows_kept.size());
  if (num_kept == 0) {
    return InvalidArgument(
        "prices: no two consecutive periods share a price of any asset, so "
        "there is no return at all");
  }
  if (!all_kept) {
    Matrix compact(num_kept, cols);
    for (Index col = 0; col < cols; ++col) {
      for (Index k = 0; k < num_kept; ++k) {
        compact(k, col) = returns(rows_kept[static_cast<std::size_t>(k)] - 1, col);
      }
    }
    returns = std::move(compact);
  }
  if (kept != nullptr) *kept = std::move(rows_kept);
  return returns;
}

}  // namespace

Result<TimeSeriesTable> ReturnsFromPrices(const TimeSeriesTable& prices, ReturnKind kind) {
  if (static_cast<Index>(prices.periods.size()) != prices.values.rows() ||
      static_cast<Index>(prices.assets.size()) != prices.values.cols()) {
    return DimensionMismatch("prices: the table has " + std::to_string(prices.periods.size()) +
                             " period labels and " + std::to_string(prices.assets.size()) +
                             " asset names for a " + std::to_string(prices.values.rows()) + " x " +
                             std::to_string(prices.values.cols()) + " matrix of values");
  }
  std::vector<Index> kept;
  Result<Matrix> values =
      ComputeReturns(prices.values, kind, {&prices.periods, &prices.assets}, &kept);
  if (!values) return tl::unexpected(values.error());
  TimeSeriesTable returns;
  returns.assets = prices.assets;
  returns.periods.reserve(kept.size());
  for (Index row : kept) returns.periods.push_back(prices.periods[static_cast<std::size_t>(row)]);
  returns.values = std::move(*values);
  return returns;
}

Result<Matrix> ReturnsFromPrices(const MatrixRef& prices, ReturnKind kind) {
  return ComputeReturns(prices, kind, {}, nullptr);
}

}  // namespace pfopt
