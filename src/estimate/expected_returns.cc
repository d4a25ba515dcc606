#include "pfopt/estimate/expected_returns.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace pfopt {
namespace {

std::string FormatNumber(double value) {
  char text[64];
  const std::to_chars_result result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

// Where the values of one column are: its first present row, how many are present, and
// whether every row from the first present one on is present (the usual "listed late, no
// gaps" layout, which lets the loops below run on a contiguous block).
struct ColumnLayout {
  Index first = 0;
  Index count = 0;
  bool contiguous = false;
};

ColumnLayout LayoutOf(const double* x, Index rows) {
  ColumnLayout layout;
  Index first = 0;
  while (first < rows && std::isnan(x[first])) ++first;
  std::int64_t present = 0;
  for (Index row = first; row < rows; ++row) present += static_cast<std::int64_t>(x[row] == x[row]);
  layout.first = first;
  layout.count = static_cast<Index>(present);
  layout.contiguous = layout.count == rows - first;
  return layout;
}

// Rejects infinite values and, when `compounded`, returns below -1 (1 + r < 0 cannot be
// compounded), naming the first offending cell of column `col`.
Status CheckColumn(const double* r, Index rows, Index col, bool compounded, std::string_view what) {
  const double floor = compounded ? -1.0 : -kInfinity;
  for (Index row = 0; row < rows; ++row) {
    if (!std::isinf(r[row]) && !(r[row] < floor)) continue;
    const std::string where = std::string(what) + "(" + std::to_string(row) + ", " +
                              std::to_string(col) + ") = " + FormatNumber(r[row]);
    if (std::isinf(r[row])) {
      return InvalidArgument(where + " is not finite; returns must be finite (NaN = missing)");
    }
    return InvalidArgument(where +
                           " is below -1; a return cannot lose more than 100 % and "
                           "cannot be compounded");
  }
  return Ok();
}

// CheckColumn for every column, with a branch-free count first (the usual case is clean).
Status CheckReturnValues(const MatrixRef& returns, bool compounded, std::string_view what) {
  const double floor = compounded ? -1.0 : -kInfinity;
  for (Index col = 0; col < returns.cols(); ++col) {
    const double* r = returns.col(col).data();
    std::int64_t bad = 0;
    for (Index row = 0; row < returns.rows(); ++row) {
      bad += static_cast<std::int64_t>((r[row] < floor) | (r[row] == kInfinity) |
                                       (r[row] == -kInfinity));
    }
    if (bad != 0) return CheckColumn(r, returns.rows(), col, compounded, what);
  }
  return Ok();
}

// prod (1 + r_t) and min r_t over a block, in one 4-wide pass (8 values per step, two
// independent products to hide the multiplication latency). A NaN or an infinity makes the
// product NaN or infinite, which the caller treats as "take the careful path".
void ProductAndMinimum(const double* r, Index length, double* product, double* minimum) {
  using Lane = Eigen::Array4d;
  Lane product0 = Lane::Ones();
  Lane product1 = Lane::Ones();
  Lane lowest = Lane::Constant(kInfinity);
  Index t = 0;
  for (; t + 8 <= length; t += 8) {
    const Lane a = Eigen::Map<const Lane>(r + t);
    const Lane b = Eigen::Map<const Lane>(r + t + 4);
    product0 *= 1.0 + a;
    product1 *= 1.0 + b;
    lowest = lowest.min(a).min(b);
  }
  double p = (product0 * product1).prod();
  double m = lowest.minCoeff();
  for (; t < length; ++t) {
    p *= 1.0 + r[t];
    m = std::min(m, r[t]);
  }
  *product = p;
  *minimum = m;
}

Index FirstPresent(const double* r, Index rows) {
  Index first = 0;
  while (first < rows && std::isnan(r[first])) ++first;
  return first;
}

// ln prod_t (1 + r_t) over the present values. The product is formed directly (fast, and what
// PyPortfolioOpt does); when it leaves the normal range of doubles the logarithm is summed
// instead. -inf for a total loss (a return of -1).
double LogGrowth(const double* r, const ColumnLayout& layout, Index rows) {
  double product = 1.0;
  if (layout.contiguous) {
    product = (1.0 + Eigen::Map<const Eigen::ArrayXd>(r + layout.first, layout.count)).prod();
  } else {
    for (Index row = layout.first; row < rows; ++row) {
      if (!std::isnan(r[row])) product *= 1.0 + r[row];
    }
  }
  if (product == 0.0 || (product >= 1e-300 && product <= 1e300)) return std::log(product);
  // Neumaier-compensated: the result is exponentiated, so its absolute error matters.
  double log_sum = 0.0;
  double compensation = 0.0;
  for (Index row = layout.first; row < rows; ++row) {
    if (std::isnan(r[row])) continue;
    const double term = std::log1p(r[row]);
    const double sum = log_sum + term;
    compensation +=
        std::abs(log_sum) >= std::abs(term) ? (log_sum - sum) + term : (term - sum) + log_sum;
    log_sum = sum;
  }
  return log_sum + compensation;
}

// growth^(f / n) - 1, computed as expm1((f / n) ln growth) so that small results keep their
// relative accuracy.
double AnnualiseGrowth(double log_growth, double periods_per_year, Index count) {
  return std::expm1(periods_per_year / static_cast<double>(count) * log_growth);
}

double MeanOfPresent(const double* r, const ColumnLayout& layout, Index rows) {
  if (layout.contiguous) {
    return Eigen::Map<const Eigen::ArrayXd>(r + layout.first, layout.count).sum() /
           static_cast<double>(layout.count);
  }
  double sum = 0.0;
  for (Index row = layout.first; row < rows; ++row) {
    if (!std::isnan(r[row])) sum += r[row];
  }
  return sum / static_cast<double>(layout.count);
}

// Last value of pandas' `ewm(span, adjust=True, ignore_na=False).mean()`: the weight of the
// value of row t is (1 - alpha)^(T - 1 - t) (absolute position, missing rows still age the
// weights), normalised over the present values. Weights are taken relative to the last present
// row, which leaves the ratio unchanged and keeps the largest weight at 1 (no underflow).
double ExponentialMean(const double* r, const ColumnLayout& layout, Index rows, double alpha) {
  const double decay = 1.0 - alpha;
  Index last = rows - 1;
  while (std::isnan(r[last])) --last;
  double weight = 1.0;
  double weighted_sum = 0.0;
  double weight_sum = 0.0;
  for (Index row = last; row >= layout.first; --row) {
    if (!std::isnan(r[row])) {
      weighted_sum += weight * r[row];
      weight_sum += weight;
    }
    weight *= decay;
    if (weight == 0.0) break;  // every older value has weight 0
  }
  return weighted_sum / weight_sum;
}

tl::unexpected<Error> NoReturns(Index asset) {
  return InvalidArgument("returns: asset " + std::to_string(asset) +
                         " has no return at all (every value is missing)");
}

// (prod_t (1 + r_t))^(f / n) - 1 over the present values of one column (MEAN_HISTORICAL, and the
// market of CAPM). Fast path, one vectorised pass over the block after the leading missing
// values: a product in the normal range proves there is no NaN and no infinity (both
// propagate), and the minimum proves every 1 + r >= 0. Anything else takes the careful path,
// which also names an offending value.
Result<double> CompoundedMean(const double* r, Index rows, Index col, double periods_per_year,
                              std::string_view what) {
  const Index first = FirstPresent(r, rows);
  if (first == rows) return NoReturns(col);
  double product = kNaN;
  double minimum = kNaN;
  ProductAndMinimum(r + first, rows - first, &product, &minimum);
  if (product >= 1e-300 && product <= 1e300 && minimum >= -1.0) {
    return AnnualiseGrowth(std::log(product), periods_per_year, rows - first);
  }
  PFOPT_RETURN_IF_ERROR(CheckColumn(r, rows, col, /*compounded=*/true, what));
  const ColumnLayout layout = LayoutOf(r, rows);
  return AnnualiseGrowth(LogGrowth(r, layout, rows), periods_per_year, layout.count);
}

Status CheckNotEmpty(const MatrixRef& returns) {
  if (returns.rows() == 0 || returns.cols() == 0) {
    return InvalidArgument("returns: the matrix is empty (" + std::to_string(returns.rows()) +
                           " x " + std::to_string(returns.cols()) + "); expected periods x assets");
  }
  return Ok();
}

Status AssetHasReturns(const ColumnLayout& layout, Index asset) {
  if (layout.count == 0) return NoReturns(asset);
  return Ok();
}

// The market series of CAPM: the given one, or the equal-weight mean of the assets' present
// returns of each period (NaN where no asset has one).
Result<Vector> MarketReturns(const MatrixRef& returns, const ExpectedReturnsOptions& options) {
  const Index rows = returns.rows();
  if (options.market_returns.size() > 0) {
    if (options.market_returns.size() != rows) {
      return DimensionMismatch(
          "market_returns has " + std::to_string(options.market_returns.size()) + " values for " +
              std::to_string(rows) + " periods of asset returns; align them on the same periods",
          "market_returns");
    }
    return options.market_returns;
  }
  Vector sum = Vector::Zero(rows);
  Vector count = Vector::Zero(rows);
  for (Index col = 0; col < returns.cols(); ++col) {
    const double* r = returns.col(col).data();
    for (Index row = 0; row < rows; ++row) {
      const bool present = r[row] == r[row];
      sum[row] += present ? r[row] : 0.0;
      count[row] += present ? 1.0 : 0.0;
    }
  }
  Vector market(rows);
  for (Index row = 0; row < rows; ++row) {
    market[row] = count[row] > 0.0 ? sum[row] / count[row] : kNaN;
  }
  return market;
}

// Sample covariance (ddof 1) of x and y over the rows where both are present; `count` = those
// rows. Two passes: means over the common rows, then the centred products.
double PairCovariance(const double* x, const double* y, Index rows, Index* count) {
  double sum_x = 0.0;
  double sum_y = 0.0;
  Index n = 0;
  for (Index row = 0; row < rows; ++row) {
    if (std::isnan(x[row]) || std::isnan(y[row])) continue;
    sum_x += x[row];
    sum_y += y[row];
    ++n;
  }
  *count = n;
  if (n < 2) return kNaN;
  const double mean_x = sum_x / static_cast<double>(n);
  const double mean_y = sum_y / static_cast<double>(n);
  double cross = 0.0;
  for (Index row = 0; row < rows; ++row) {
    if (std::isnan(x[row]) || std::isnan(y[row])) continue;
    cross += (x[row] - mean_x) * (y[row] - mean_y);
  }
  return cross / static_cast<double>(n - 1);
}

struct CapmInputs {
  Vector market;
  Vector betas;
  ColumnLayout market_layout;
};

Result<CapmInputs> ComputeCapm(const MatrixRef& returns, const ExpectedReturnsOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  PFOPT_RETURN_IF_ERROR(CheckNotEmpty(returns));
  PFOPT_RETURN_IF_ERROR(CheckReturnValues(returns, /*compounded=*/false, "returns"));
  CapmInputs capm;
  Result<Vector> market = MarketReturns(returns, options);
  if (!market) return tl::unexpected(market.error());
  capm.market = std::move(*market);
  const Index rows = returns.rows();
  PFOPT_RETURN_IF_ERROR(
      CheckReturnValues(capm.market, options.compounding, "market_returns").map_error([](Error e) {
        return e.WithFieldPrefix("market_returns");
      }));
  capm.market_layout = LayoutOf(capm.market.data(), rows);

  Index market_count = 0;
  const double market_variance =
      PairCovariance(capm.market.data(), capm.market.data(), rows, &market_count);
  if (market_count < 2) {
    return InvalidArgument("market returns: " + std::to_string(market_count) +
                               " present value(s); CAPM needs at least 2",
                           "market_returns");
  }
  if (!(market_variance > 0.0)) {
    return InvalidArgument("market returns have zero variance; CAPM betas are undefined",
                           "market_returns");
  }
  capm.betas.resize(returns.cols());
  for (Index asset = 0; asset < returns.cols(); ++asset) {
    Index common = 0;
    const double covariance =
        PairCovariance(returns.col(asset).data(), capm.market.data(), rows, &common);
    if (common < 2) {
      return InvalidArgument("returns: asset " + std::to_string(asset) + " has " +
                             std::to_string(common) +
                             " return(s) in periods where the market has one; CAPM needs at "
                             "least 2");
    }
    capm.betas[asset] = covariance / market_variance;
  }
  return capm;
}

}  // namespace

Status ExpectedReturnsOptions::Validate() const {
  if (EnumToString(method) == "UNKNOWN") {
    return InvalidArgument(
        "method = " + std::to_string(static_cast<int>(method)) +
            " is not a method; expected one of: " + EnumNameList<ExpectedReturnsMethod>(),
        "method");
  }
  if (!(periods_per_year > 0.0) || !std::isfinite(periods_per_year)) {
    return InvalidArgument("periods_per_year = " + FormatNumber(periods_per_year) +
                               " is invalid: it must be a finite number > 0 (252 for daily data)",
                           "periods_per_year");
  }
  if (!(ema_span >= 1.0) || !std::isfinite(ema_span)) {
    return InvalidArgument(
        "ema_span = " + FormatNumber(ema_span) + " is invalid: it must be a finite number >= 1",
        "ema_span");
  }
  if (!std::isfinite(risk_free_rate)) {
    return InvalidArgument("risk_free_rate = " + FormatNumber(risk_free_rate) +
                               " is invalid: it must be finite (a decimal annual rate)",
                           "risk_free_rate");
  }
  for (Index row = 0; row < market_returns.size(); ++row) {
    if (std::isinf(market_returns[row])) {
      return InvalidArgument("market_returns[" + std::to_string(row) +
                                 "] = " + FormatNumber(market_returns[row]) +
                                 " is invalid: values must be finite (NaN = missing)",
                             "market_returns");
    }
  }
  return Ok();
}

Result<Vector> EstimateExpectedReturns(const MatrixRef& returns,
                                       const ExpectedReturnsOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  PFOPT_RETURN_IF_ERROR(CheckNotEmpty(returns));
  const Index rows = returns.rows();
  const Index cols = returns.cols();
  const double f = options.periods_per_year;
  Vector mu(cols);

  switch (options.method) {
    case ExpectedReturnsMethod::kMeanHistorical: {
      for (Index asset = 0; asset < cols; ++asset) {
        Result<double> m = CompoundedMean(returns.col(asset).data(), rows, asset, f, "returns");
        if (!m) return tl::unexpected(m.error());
        mu[asset] = *m;
      }
      return mu;
    }
    case ExpectedReturnsMethod::kMeanArithmetic: {
      for (Index asset = 0; asset < cols; ++asset) {
        const double* r = returns.col(asset).data();
        // Fast path: a finite sum of the block after the leading missing values proves it has
        // no NaN and no infinity.
        const Index first = FirstPresent(r, rows);
        if (first == rows) return NoReturns(asset);
        const double sum = Eigen::Map<const Eigen::ArrayXd>(r + first, rows - first).sum();
        if (std::isfinite(sum)) {
          mu[asset] = f * (sum / static_cast<double>(rows - first));
          continue;
        }
        PFOPT_RETURN_IF_ERROR(CheckColumn(r, rows, asset, /*compounded=*/false, "returns"));
        const ColumnLayout layout = LayoutOf(r, rows);
        mu[asset] = f * MeanOfPresent(r, layout, rows);
      }
      return mu;
    }
    case ExpectedReturnsMethod::kEma: {
      PFOPT_RETURN_IF_ERROR(CheckReturnValues(returns, options.compounding, "returns"));
      const double alpha = 2.0 / (options.ema_span + 1.0);
      for (Index asset = 0; asset < cols; ++asset) {
        const double* r = returns.col(asset).data();
        const ColumnLayout layout = LayoutOf(r, rows);
        PFOPT_RETURN_IF_ERROR(AssetHasReturns(layout, asset));
        const double m = ExponentialMean(r, layout, rows, alpha);
        mu[asset] = options.compounding ? std::expm1(f * std::log1p(m)) : f * m;
      }
      return mu;
    }
    case ExpectedReturnsMethod::kCapm: {
      Result<CapmInputs> capm = ComputeCapm(returns, options);
      if (!capm) return tl::unexpected(capm.error());
      const double* m = capm->market.data();
      double market_return = f * MeanOfPresent(m, capm->market_layout, rows);
      if (options.compounding) {
        Result<double> compounded = CompoundedMean(m, rows, 0, f, "market_returns");
        if (!compounded) return tl::unexpected(compounded.error());
        market_return = *compounded;
      }
      const double rf = options.risk_free_rate;
      mu = (rf + capm->betas.array() * (market_return - rf)).matrix();
      return mu;
    }
  }
  return InvalidArgument("unknown expected-returns method", "method");
}

Result<Vector> CapmBetas(const MatrixRef& returns, const ExpectedReturnsOptions& options) {
  Result<CapmInputs> capm = ComputeCapm(returns, options);
  if (!capm) return tl::unexpected(capm.error());
  return std::move(capm->betas);
}

}  // namespace pfopt
