// Internal: pairwise-complete sample covariance of columns that are present from their first
// row to the last one ("listed late, no gaps", the layout of price histories), in one pass over
// blocks of rows that stay in cache. Used by the SAMPLE risk model (values from a returns
// matrix) and by EstimateMomentsFromPrices (simple returns computed from prices on the fly, so
// that the divisions run in the shadow of the multiply-adds).
#ifndef PFOPT_ESTIMATE_LEADING_BLOCK_COVARIANCE_H_
#define PFOPT_ESTIMATE_LEADING_BLOCK_COVARIANCE_H_

#include <optional>
#include <vector>

#include "pfopt/core/types.h"

namespace pfopt::internal {

// The first row of `values[0 .. rows)` that is not NaN (rows if there is none); skips the
// leading missing values 8 at a time.
Index FirstPresentRow(const double* values, Index rows);

// Pairwise sample covariance (ddof 1, per period, not annualised) of the columns of `returns`,
// column c present on rows [first_rows[c], rows) and NaN before: each pair over the rows both
// have, computed as (sum y_i y_j - sum y_i sum y_j / m) / (m - 1) with y = x - shifts (any
// shift gives the same covariance; one near the column's mean avoids cancellation) and m the
// pair's number of rows. `max_count` gets the largest m. Every column needs at least 2 rows.
// Empty if a value after a column's first row is not finite (the caller then takes a path that
// reports it).
std::optional<Matrix> LeadingBlockCovarianceOfReturns(const MatrixRef& returns,
                                                      const std::vector<Index>& first_rows,
                                                      const VectorRef& shifts, Index* max_count);

// The same for the simple returns of `prices` (one row fewer): r(t, c) = prices(t + 1, c) /
// prices(t, c) - 1, column c's first return at row first_rows[c] (its first price). Empty also
// if a ratio of consecutive prices is not positive; the caller checks that each column's first
// price is positive and finite (then positive ratios prove every price positive).
//
// Both split the rows in two at a point that depends only on the layout and add the two
// halves' sums in a fixed order; with `parallel`, the halves run on the calling thread and a
// persistent helper thread (internal::RunPair). The result is the same either way.
std::optional<Matrix> LeadingBlockCovarianceOfPriceReturns(const MatrixRef& prices,
                                                           const std::vector<Index>& first_rows,
                                                           const VectorRef& shifts, bool parallel,
                                                           Index* max_count);

}  // namespace pfopt::internal

#endif  // PFOPT_ESTIMATE_LEADING_BLOCK_COVARIANCE_H_
