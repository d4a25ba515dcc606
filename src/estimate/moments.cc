#include "pfopt/estimate/moments.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "estimate/leading_block_covariance.h"
#include "estimate/risk_models_internal.h"

namespace pfopt {
namespace {

// Simple returns, MEAN_HISTORICAL and SAMPLE with pairwise missing data.
bool OnePassApplies(const MomentsOptions& options) {
  const MissingData missing = options.risk_model.missing;
  return options.return_kind == ReturnKind::kSimple &&
         options.expected_returns.method == ExpectedReturnsMethod::kMeanHistorical &&
         options.risk_model.model == RiskModel::kSample &&
         (missing == MissingData::kModelDefault || missing == MissingData::kPairwise);
}

bool PositiveFinite(double value) { return value > 0.0 && value < kInfinity; }

// The one-pass path, or nothing if the prices do not have its layout (then the separate path
// computes the estimate or reports the error). Each column: its first price at row f, then a
// price on every row to the last; its returns are rows f .. T - 2 of the returns (indexed by
// the earlier price), n_i = T - 1 - f of them.
std::optional<MomentsEstimate> OnePass(const MatrixRef& prices, const MomentsOptions& options) {
  const Index rows = prices.rows();
  const Index n = prices.cols();
  if (rows < 3 || n == 0) return std::nullopt;
  std::vector<Index> first_rows(static_cast<std::size_t>(n));
  Vector shifts(n);
  MomentsEstimate estimate;
  estimate.expected_returns.resize(n);
  const double periods_per_year = options.expected_returns.periods_per_year;
  Index earliest = rows;
  for (Index col = 0; col < n; ++col) {
    const double* p = prices.col(col).data();
    const Index first = internal::FirstPresentRow(p, rows);
    const Index count = rows - 1 - first;  // returns of this asset
    if (count < 2) return std::nullopt;
    const double p_first = p[first];
    const double p_last = p[rows - 1];
    // A positive first price and positive ratios (checked by the covariance pass) prove every
    // price positive.
    if (!PositiveFinite(p_first) || !PositiveFinite(p_last)) return std::nullopt;
    // prod_t (1 + r_t) = prod_t p(t + 1) / p(t) = p_last / p_first.
    const double growth = p_last / p_first;
    const double log_growth = (growth >= 1e-300 && growth <= 1e300)
                                  ? std::log(growth)
                                  : std::log(p_last) - std::log(p_first);
    const double c = static_cast<double>(count);
    estimate.expected_returns[col] = std::expm1(periods_per_year / c * log_growth);
    // The geometric mean return per period: within about var / 2 of the mean, close enough to
    // keep the sums of products from cancelling.
    shifts[col] = std::expm1(log_growth / c);
    first_rows[static_cast<std::size_t>(col)] = first;
    earliest = std::min(earliest, first);
  }
  Index max_count = 0;
  std::optional<Matrix> cov = internal::LeadingBlockCovarianceOfPriceReturns(
      prices, first_rows, shifts, options.parallel, &max_count);
  if (!cov) return std::nullopt;
  estimate.covariance.periods_used = max_count;
  internal::FinishCovariance(std::move(*cov), options.risk_model, &estimate.covariance);
  estimate.periods = rows - 1 - earliest;
  estimate.one_pass = true;
  return estimate;
}

}  // namespace

Status MomentsOptions::Validate() const {
  if (EnumToString(return_kind) == "UNKNOWN") {
    return InvalidArgument(
        "return_kind = " + std::to_string(static_cast<int>(return_kind)) +
            " is not a return kind; expected one of: " + EnumNameList<ReturnKind>(),
        "return_kind");
  }
  PFOPT_RETURN_IF_ERROR(expected_returns.Validate().map_error(
      [](const Error& e) { return e.WithFieldPrefix("expected_returns"); }));
  PFOPT_RETURN_IF_ERROR(risk_model.Validate().map_error(
      [](const Error& e) { return e.WithFieldPrefix("risk_model"); }));
  return Ok();
}

Result<MomentsEstimate> EstimateMomentsFromPrices(const MatrixRef& prices,
                                                  const MomentsOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  if (OnePassApplies(options)) {
    std::optional<MomentsEstimate> estimate = OnePass(prices, options);
    if (estimate) return std::move(*estimate);
  }
  Result<Matrix> returns = ReturnsFromPrices(prices, options.return_kind);
  if (!returns) return tl::unexpected(returns.error());
  MomentsEstimate estimate;
  estimate.periods = returns->rows();
  Result<Vector> mu = EstimateExpectedReturns(*returns, options.expected_returns);
  if (!mu) return tl::unexpected(mu.error());
  estimate.expected_returns = std::move(*mu);
  Result<CovarianceEstimate> cov = EstimateCovariance(*returns, options.risk_model);
  if (!cov) return tl::unexpected(cov.error());
  estimate.covariance = std::move(*cov);
  return estimate;
}

}  // namespace pfopt
