// Returns from prices.
//
// Simple return r_t = P_t / P_{t-1} - 1, log return ln(P_t / P_{t-1}); NaN when either price
// is missing (no forward fill: a gap of one price makes two returns missing, so no return is
// ever invented). Rows whose returns are missing for every asset are dropped, as
// PyPortfolioOpt does (`pct_change().dropna(how="all")`); the row labels of the result are those
// of the later price of each pair.
#ifndef PFOPT_DATA_RETURNS_H_
#define PFOPT_DATA_RETURNS_H_

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/data/table.h"

namespace pfopt {

enum class ReturnKind { kSimple, kLog };

template <>
struct EnumNames<ReturnKind> {
  static constexpr std::array<std::pair<ReturnKind, std::string_view>, 2> kNames{
      {{ReturnKind::kSimple, "SIMPLE"}, {ReturnKind::kLog, "LOG"}}};
};

// Errors: fewer than two price rows; a non-positive or non-finite price.
Result<TimeSeriesTable> ReturnsFromPrices(const TimeSeriesTable& prices,
                                          ReturnKind kind = ReturnKind::kSimple);

// Same on a bare matrix (rows = periods); the rows dropped for being all-missing are gone.
Result<Matrix> ReturnsFromPrices(const MatrixRef& prices, ReturnKind kind = ReturnKind::kSimple);

}  // namespace pfopt

#endif  // PFOPT_DATA_RETURNS_H_
