#include "pfopt/estimate/risk_models.h"

#include "estimate/risk_models_internal.h"

#include "estimate/leading_block_covariance.h"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pfopt {

namespace {

std::string FormatNumber(double value) {
  char text[64];
  const std::to_chars_result result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

bool UsesPairwise(RiskModel model) {
  return model == RiskModel::kSample || model == RiskModel::kExponential ||
         model == RiskModel::kShrunk;
}

MissingData ResolveMissing(const RiskModelOptions& options) {
  if (options.missing != MissingData::kModelDefault) return options.missing;
  return (options.model == RiskModel::kSample || options.model == RiskModel::kExponential)
             ? MissingData::kPairwise
             : MissingData::kCompleteRows;
}

// ---------------------------------------------------------------------------------------------
// Per-column summary: first present row, number of present rows, whether every row from the
// first present one on is present ("listed late, no gaps", the layout of price histories), and
// the mean of the present values.

struct ColumnStats {
  Index first = 0;
  Index count = 0;
  bool contiguous = false;
  double mean = kNaN;
};

tl::unexpected<Error> NonFinite(const MatrixRef& x, Index row, Index col) {
  return InvalidArgument("returns(" + std::to_string(row) + ", " + std::to_string(col) +
                         ") = " + FormatNumber(x(row, col)) +
                         " is not finite; returns must be finite (NaN = missing)");
}

// Summarises every column and rejects an infinite value or a column without any value. The
// usual layout costs one vectorised sum per column: a finite sum of the block after the leading
// missing values proves that it holds no NaN and no infinity.
Result<std::vector<ColumnStats>> ScanColumns(const MatrixRef& x) {
  const Index rows = x.rows();
  std::vector<ColumnStats> stats(static_cast<std::size_t>(x.cols()));
  for (Index col = 0; col < x.cols(); ++col) {
    const double* in = x.col(col).data();
    ColumnStats& s = stats[static_cast<std::size_t>(col)];
    while (s.first < rows && std::isnan(in[s.first])) ++s.first;
    if (s.first == rows) {
      return InvalidArgument("returns: asset " + std::to_string(col) +
                             " has no return at all (every value is missing)");
    }
    const Index length = rows - s.first;
    const double sum = Eigen::Map<const Eigen::ArrayXd>(in + s.first, length).sum();
    if (std::isfinite(sum)) {
      s.count = length;
      s.contiguous = true;
      s.mean = sum / static_cast<double>(length);
      continue;
    }
    double total = 0.0;
    for (Index row = s.first; row < rows; ++row) {
      if (std::isinf(in[row])) return NonFinite(x, row, col);
      if (std::isnan(in[row])) continue;
      total += in[row];
      ++s.count;
    }
    s.contiguous = s.count == length;
    s.mean = total / static_cast<double>(s.count);
  }
  return stats;
}

// Fills the strictly upper triangle from the lower one.
void SymmetrizeFromLower(Matrix* m) {
  for (Index j = 1; j < m->cols(); ++j) {
    for (Index i = 0; i < j; ++i) (*m)(i, j) = (*m)(j, i);
  }
}

// X'X of a matrix without missing values (a symmetric rank-k update: half the flops of a
// general product).
Matrix Gram(const MatrixRef& x) {
  Matrix g = Matrix::Zero(x.cols(), x.cols());
  g.selfadjointView<Eigen::Lower>().rankUpdate(x.transpose());
  SymmetrizeFromLower(&g);
  return g;
}

Matrix Centered(const MatrixRef& x) {
  const Eigen::RowVectorXd mean = x.colwise().mean();
  return x.rowwise() - mean;
}

tl::unexpected<Error> TooFewCommon(Index a, Index b, Index count) {
  if (a == b) {
    return InvalidArgument("returns: asset " + std::to_string(a) + " has " + std::to_string(count) +
                           " return(s); a variance needs at least 2");
  }
  return InvalidArgument("returns: assets " + std::to_string(std::min(a, b)) + " and " +
                         std::to_string(std::max(a, b)) + " have " + std::to_string(count) +
                         " period(s) with a return for both; a covariance needs at least 2");
}

// ---------------------------------------------------------------------------------------------
// Pairwise-complete sample covariance (ddof 1): each pair over the rows where both have a return,
// means over those rows (pandas' DataFrame.cov()). Not annualised.
//
// Every column is first shifted by its own mean (a provisional mean of each pair) so that the
// sums of products below do not cancel: cov = (sum y_i y_j - sum y_i sum y_j / n) / (n - 1),
// with y = x - shift and the sums over the pair's common rows.

// Common layout: each column present from its first row to the end (see
// internal::LeadingBlockCovarianceOfReturns: ~0.6 T n^2 / 2 multiply-adds on stock_prices.csv,
// in blocks of rows that stay in cache). `first_rows` and `shifts` give each column's first
// present row and shift (its mean, or any value near it). If a NaN or an infinity turns up
// after a column's first row, the result is empty and the caller falls back to the general
// path, which also reports infinities.
std::optional<Matrix> PairwiseLeadingBlocks(const MatrixRef& x,
                                            const std::vector<Index>& first_rows,
                                            const Vector& shifts, Index* max_count) {
  return internal::LeadingBlockCovarianceOfReturns(x, first_rows, shifts, max_count);
}

// Any layout: masked products. With y = (x - shift) where present and 0 elsewhere, and m the
// 0/1 presence mask: cross = y'y, sums = y'm (sums(i, j) = sum of y_i where j is present too),
// counts = m'm.
Matrix PairwiseGeneral(const MatrixRef& x, const std::vector<ColumnStats>& stats,
                       Matrix* counts_out) {
  const Index rows = x.rows();
  const Index n = x.cols();
  Matrix y(rows, n);
  Matrix mask(rows, n);
  for (Index col = 0; col < n; ++col) {
    const double* in = x.col(col).data();
    double* out = y.col(col).data();
    double* present = mask.col(col).data();
    const double shift = stats[static_cast<std::size_t>(col)].mean;
    for (Index row = 0; row < rows; ++row) {
      const bool ok = in[row] == in[row];
      out[row] = ok ? in[row] - shift : 0.0;
      present[row] = ok ? 1.0 : 0.0;
    }
  }
  const Matrix cross = Gram(y);
  const Matrix sums = y.transpose() * mask;
  *counts_out = Gram(mask);
  Matrix cov(n, n);
  for (Index j = 0; j < n; ++j) {
    for (Index i = j; i < n; ++i) {
      const double c = (*counts_out)(i, j);
      const double value = (cross(i, j) - sums(i, j) * sums(j, i) / c) / (c - 1.0);
      cov(i, j) = value;
      cov(j, i) = value;
    }
  }
  return cov;
}

Result<Matrix> PairwiseGeneralChecked(const MatrixRef& x, const std::vector<ColumnStats>& stats,
                                      Index* max_count) {
  const Index n = x.cols();
  Matrix counts;
  Matrix cov = PairwiseGeneral(x, stats, &counts);
  *max_count = 0;
  for (Index j = 0; j < n; ++j) {
    for (Index i = j; i < n; ++i) {
      const Index c = static_cast<Index>(counts(i, j));
      if (c < 2) return TooFewCommon(i, j, c);
      *max_count = std::max(*max_count, c);
    }
  }
  return cov;
}

// With the column summaries already at hand.
Result<Matrix> PairwiseCovariance(const MatrixRef& x, const std::vector<ColumnStats>& stats,
                                  Index* max_count) {
  const Index n = x.cols();
  bool all_contiguous = true;
  std::vector<Index> first_rows(static_cast<std::size_t>(n));
  Vector shifts(n);
  for (Index col = 0; col < n; ++col) {
    const ColumnStats& s = stats[static_cast<std::size_t>(col)];
    if (s.count < 2) return TooFewCommon(col, col, s.count);
    all_contiguous = all_contiguous && s.contiguous;
    first_rows[static_cast<std::size_t>(col)] = s.first;
    shifts[col] = s.mean;
  }
  if (all_contiguous) {
    // Every pair shares at least the rows of its later-starting column, which has >= 2.
    std::optional<Matrix> cov = PairwiseLeadingBlocks(x, first_rows, shifts, max_count);
    if (cov) return std::move(*cov);
  }
  return PairwiseGeneralChecked(x, stats, max_count);
}

// From the returns alone (the SAMPLE hot path): no separate validation pass. Each column is
// shifted by the mean of its first (up to) 64 values, close enough to its mean to avoid
// cancellation, and the leading-block path validates the data as it copies it. Anything
// unusual (gaps, infinities) goes through the column scan and the general path.
Result<Matrix> PairwiseCovarianceFromReturns(const MatrixRef& x, bool force_general,
                                             Index* max_count) {
  const Index rows = x.rows();
  const Index n = x.cols();
  if (!force_general) {
    std::vector<Index> first_rows(static_cast<std::size_t>(n));
    Vector shifts(n);
    bool usable = true;
    for (Index col = 0; col < n && usable; ++col) {
      const double* in = x.col(col).data();
      const Index first = internal::FirstPresentRow(in, rows);
      const Index sample = std::min<Index>(64, rows - first);
      usable = rows - first >= 2;  // otherwise let the scan report the column
      first_rows[static_cast<std::size_t>(col)] = first;
      shifts[col] = usable ? Eigen::Map<const Eigen::ArrayXd>(in + first, sample).mean() : 0.0;
    }
    if (usable) {
      std::optional<Matrix> cov = PairwiseLeadingBlocks(x, first_rows, shifts, max_count);
      if (cov) return std::move(*cov);
    }
  }
  Result<std::vector<ColumnStats>> stats = ScanColumns(x);
  if (!stats) return tl::unexpected(stats.error());
  for (Index col = 0; col < n; ++col) {
    const Index count = (*stats)[static_cast<std::size_t>(col)].count;
    if (count < 2) return TooFewCommon(col, col, count);
  }
  return PairwiseGeneralChecked(x, *stats, max_count);
}

// ---------------------------------------------------------------------------------------------
// Exponentially weighted covariance (PyPortfolioOpt's exp_cov): for each pair, the last value of
// pandas' ewm(span, adjust=True, ignore_na=False).mean() of the covariation
// (x_t - mean x)(y_t - mean y), each mean over that series' own present values, NaN where either
// is missing. The weight of row t is w_t = (1 - alpha)^(T - 1 - t) by absolute position, and the
// result is sum w_t c_t / sum w_t over the pair's common rows. With v_t = sqrt(w_t), d the
// centred returns set to 0 where missing and m the presence mask:
//   numerator = (v d)'(v d), denominator = (v m)'(v m) (= a suffix sum of w in the usual
//   layout).
Result<Matrix> ExponentialCovariance(const MatrixRef& x, const std::vector<ColumnStats>& stats,
                                     double span, Index* max_count) {
  const Index rows = x.rows();
  const Index n = x.cols();
  const double alpha = 2.0 / (span + 1.0);
  const double log_decay = std::log1p(-alpha);  // -inf when span = 1
  Vector root_weight(rows);
  for (Index row = 0; row < rows; ++row) {
    const double age = static_cast<double>(rows - 1 - row);
    root_weight[row] = age == 0.0 ? 1.0 : std::exp(0.5 * age * log_decay);
  }
  // The numerator needs the data; the denominator and the pair counts only the layout. In the
  // usual layout (each column present from its first row on) they come from the suffix sums of
  // the weights; otherwise from masked products.
  bool all_contiguous = true;
  Matrix d(rows, n);
  for (Index col = 0; col < n; ++col) {
    const double* in = x.col(col).data();
    const ColumnStats& s = stats[static_cast<std::size_t>(col)];
    if (s.count < 2) return TooFewCommon(col, col, s.count);
    all_contiguous = all_contiguous && s.contiguous;
    const double mean = s.mean;
    for (Index row = 0; row < rows; ++row) {
      d(row, col) = in[row] == in[row] ? root_weight[row] * (in[row] - mean) : 0.0;
    }
  }
  const Matrix numerator = Gram(d);
  Matrix denominator(n, n);
  Matrix counts(n, n);
  if (all_contiguous) {
    Vector weight_suffix(rows + 1);  // sum of w_t over rows [k, rows)
    weight_suffix[rows] = 0.0;
    for (Index row = rows - 1; row >= 0; --row) {
      weight_suffix[row] = weight_suffix[row + 1] + root_weight[row] * root_weight[row];
    }
    for (Index j = 0; j < n; ++j) {
      for (Index i = j; i < n; ++i) {
        const Index first = std::max(stats[static_cast<std::size_t>(i)].first,
                                     stats[static_cast<std::size_t>(j)].first);
        denominator(i, j) = weight_suffix[first];
        counts(i, j) = static_cast<double>(rows - first);
      }
    }
  } else {
    Matrix weighted_mask(rows, n);
    Matrix mask(rows, n);
    for (Index col = 0; col < n; ++col) {
      const double* in = x.col(col).data();
      for (Index row = 0; row < rows; ++row) {
        const bool ok = in[row] == in[row];
        weighted_mask(row, col) = ok ? root_weight[row] : 0.0;
        mask(row, col) = ok ? 1.0 : 0.0;
      }
    }
    denominator = Gram(weighted_mask);
    counts = Gram(mask);
  }
  Matrix cov(n, n);
  *max_count = 0;
  for (Index j = 0; j < n; ++j) {
    for (Index i = j; i < n; ++i) {
      const Index count = static_cast<Index>(counts(i, j));
      if (count < 2) return TooFewCommon(i, j, count);
      *max_count = std::max(*max_count, count);
      double value = numerator(i, j) / denominator(i, j);
      if (!(denominator(i, j) > 1e-280)) {
        // The pair's last common row is so old that its absolute weight underflows: redo this
        // pair with weights relative to that row (same ratio, largest weight 1).
        const double* xi = x.col(i).data();
        const double* xj = x.col(j).data();
        const double mean_i = stats[static_cast<std::size_t>(i)].mean;
        const double mean_j = stats[static_cast<std::size_t>(j)].mean;
        const double decay = 1.0 - alpha;
        double weight = 0.0;  // becomes 1 at the last common row
        double num = 0.0;
        double den = 0.0;
        for (Index row = rows - 1; row >= 0; --row) {
          const bool both = !std::isnan(xi[row]) && !std::isnan(xj[row]);
          if (weight == 0.0 && both && den == 0.0) weight = 1.0;
          if (both) {
            num += weight * (xi[row] - mean_i) * (xj[row] - mean_j);
            den += weight;
          }
          weight *= decay;
          if (den > 0.0 && weight == 0.0) break;
        }
        value = num / den;
      }
      cov(i, j) = value;
      cov(j, i) = value;
    }
  }
  return cov;
}

// ---------------------------------------------------------------------------------------------
// Shrinkage estimators on a matrix without missing values (t x n). "S1" is the 1/t covariance of
// the column-demeaned data.

struct Shrunk {
  Matrix covariance;
  double delta = kNaN;
};

// Ledoit & Wolf (2004), target mu I with mu = trace(S1) / n:
//   d = ||S1 - mu I||_F^2, beta = (1/t^2) sum_t ||x_t x_t' - S1||_F^2, delta = min(beta / d, 1).
// Since sum_t x_t x_t' = t S1, sum_t ||x_t x_t' - S1||^2 = sum_t ||x_t||^4 - t ||S1||^2: O(t n).
Shrunk LedoitWolfConstantVariance(const MatrixRef& x) {
  const Index n = x.cols();
  const double t = static_cast<double>(x.rows());
  const Matrix xm = Centered(x);
  const Matrix s1 = Gram(xm) / t;
  const double mu = s1.trace() / static_cast<double>(n);
  Matrix target_gap = s1;
  target_gap.diagonal().array() -= mu;
  const double d = target_gap.squaredNorm();
  const double fourth = xm.rowwise().squaredNorm().squaredNorm();  // sum_t ||x_t||^4
  const double beta = std::max(fourth / (t * t) - s1.squaredNorm() / t, 0.0);
  Shrunk out;
  out.delta = d > 0.0 ? std::min(beta / d, 1.0) : 0.0;
  out.covariance = (1.0 - out.delta) * s1;
  out.covariance.diagonal().array() += out.delta * mu;
  return out;
}

// Oracle approximating shrinkage as scikit-learn < 1.3 (and so PyPortfolioOpt) computes it:
//   m = trace(S1)/n, a = mean_ij S1_ij^2, delta = min((a + m^2) / ((t + 1)(a - m^2/n)), 1).
Shrunk OracleApproximating(const MatrixRef& x) {
  const Index n = x.cols();
  const double nn = static_cast<double>(n);
  const double t = static_cast<double>(x.rows());
  const Matrix s1 = Gram(Centered(x)) / t;
  const double m = s1.trace() / nn;
  const double a = s1.squaredNorm() / (nn * nn);
  const double numerator = a + m * m;
  const double denominator = (t + 1.0) * (a - m * m / nn);
  Shrunk out;
  out.delta = denominator == 0.0 ? 1.0 : std::min(numerator / denominator, 1.0);
  out.covariance = (1.0 - out.delta) * s1;
  out.covariance.diagonal().array() += out.delta * m;
  return out;
}

// Ledoit & Wolf (2003) single-index target as PyPortfolioOpt 1.5.6 codes it. xm = x - colmean(x);
// the market is the row mean of xm (equal-weight market, demeaned); "sample" is the 1/t
// covariance of [xm, market]; every sum of an n x n product below is regrouped as a sum over
// rows of products of row sums, O(t n).
Result<Shrunk> LedoitWolfSingleFactor(const MatrixRef& x) {
  const double t = static_cast<double>(x.rows());
  const Matrix xm = Centered(x);
  const Vector market = xm.rowwise().mean();
  const Vector market_c = market.array() - market.mean();
  const Matrix sample = Gram(xm) / t;
  const Vector betas = xm.transpose() * market_c / t;
  const double var_market = market_c.squaredNorm() / t;
  if (!(var_market > 0.0)) {
    return InvalidArgument(
        "returns: the equal-weight market has zero variance; the "
        "single-factor target is undefined");
  }
  Matrix target = betas * betas.transpose() / var_market;
  target.diagonal() = sample.diagonal();

  const double c = (sample - target).squaredNorm();
  // The row sums and column sums needed of y = xm.^2 and z = xm .* market (each column times
  // the market), accumulated column by column without forming y or z.
  const Index rows = x.rows();
  const Index n = x.cols();
  Vector y_rows = Vector::Zero(rows);  // sum_i y_ti
  double y_squares = 0.0;              // sum_ti y_ti^2
  Vector yz_diag(n);                   // sum_t y_ti z_ti
  Vector zz_diag(n);                   // sum_t z_ti^2
  for (Index i = 0; i < n; ++i) {
    const Eigen::ArrayXd square = xm.col(i).array().square();
    y_rows.array() += square;
    y_squares += square.square().sum();
    yz_diag[i] = (square * xm.col(i).array() * market.array()).sum();
    zz_diag[i] = (square * market.array().square()).sum();
  }
  const Vector z_beta = market.cwiseProduct(xm * betas);  // sum_j z_tj beta_j
  const Vector sample_diag = sample.diagonal();
  const double beta_s_beta = betas.dot(sample * betas);

  const double p = y_rows.squaredNorm() / t - sample.squaredNorm();
  const double r_diag = y_squares / t - sample_diag.squaredNorm();
  // v1 = y'z/t - beta_i sample_ij; roff1 = (sum_ij v1_ij beta_j - sum_i v1_ii beta_i) / varmkt.
  const Vector v1_diag = yz_diag / t - betas.cwiseProduct(sample_diag);
  const double v1_sum = y_rows.dot(z_beta) / t - beta_s_beta;
  const double roff1 = (v1_sum - v1_diag.dot(betas)) / var_market;
  // v3 = z'z/t - varmkt sample; roff3 = (beta'v3 beta - sum_i v3_ii beta_i^2) / varmkt^2.
  const Vector v3_diag = zz_diag / t - var_market * sample_diag;
  const double v3_sum = z_beta.squaredNorm() / t - var_market * beta_s_beta;
  const double roff3 = (v3_sum - v3_diag.dot(betas.cwiseAbs2())) / (var_market * var_market);
  const double r = r_diag + 2.0 * roff1 - roff3;

  Shrunk out;
  out.delta = c > 0.0 ? std::clamp((p - r) / c / t, 0.0, 1.0) : 0.0;
  out.covariance = out.delta * target + (1.0 - out.delta) * sample;
  return out;
}

// Ledoit & Wolf (2004) constant-correlation target. `s` is the sample covariance the caller
// chose (pairwise for PyPortfolioOpt compatibility, else that of x), x the data for the
// asymptotic terms (xm = x - colmean(x), t = rows of x).
Result<Shrunk> LedoitWolfConstantCorrelation(const MatrixRef& x, const Matrix& s) {
  const Index n = x.cols();
  const double nn = static_cast<double>(n);
  const double t = static_cast<double>(x.rows());
  const Vector var = s.diagonal();
  for (Index i = 0; i < n; ++i) {
    if (!(var[i] > 0.0)) {
      return InvalidArgument("returns: asset " + std::to_string(i) + " has variance " +
                             FormatNumber(var[i]) +
                             "; the constant-correlation target divides by each volatility");
    }
  }
  const Vector sd = var.cwiseSqrt();
  const Vector inv_sd = sd.cwiseInverse();
  const Matrix corr = inv_sd.asDiagonal() * s * inv_sd.asDiagonal();
  const double r_bar = n > 1 ? (corr.sum() - nn) / (nn * (nn - 1.0)) : 0.0;
  Matrix target = r_bar * sd * sd.transpose();
  target.diagonal() = var;

  const Matrix xm = Centered(x);
  const Matrix gram = Gram(xm);  // help = gram / t
  // Row sums of y = xm.^2, sum of y.^2 and row sums of xm.^3 / sd, column by column without
  // forming the powers.
  Vector y_rows = Vector::Zero(x.rows());
  Vector cube_over_sd = Vector::Zero(x.rows());  // sum_i xm_ti^3 / sd_i
  double y_squares = 0.0;
  for (Index i = 0; i < n; ++i) {
    const Eigen::ArrayXd square = xm.col(i).array().square();
    y_rows.array() += square;
    y_squares += square.square().sum();
    cube_over_sd.array() += square * xm.col(i).array() * inv_sd[i];
  }

  // pi_ij = (y'y)_ij / t - 2 gram_ij s_ij / t + s_ij^2.
  const double pi_hat =
      y_rows.squaredNorm() / t - 2.0 * (gram.array() * s.array()).sum() / t + s.squaredNorm();
  const double pi_diag =
      y_squares / t - 2.0 * (gram.diagonal().array() * var.array()).sum() / t + var.squaredNorm();
  // theta_ij = (xm^3)'xm / t - help_ii s_ij - help_ij var_i + var_i s_ij, i != j; then
  // sum_{i != j} (sd_j / sd_i) theta_ij. The first term regroups over rows; its diagonal
  // (i = j: xm_ti^4) is subtracted.
  const Vector x_sd = xm * sd;  // sum_j xm_tj sd_j
  const double term1 = cube_over_sd.dot(x_sd) / t - y_squares / t;
  const Vector help_diag = gram.diagonal() / t;
  double rest = 0.0;
  for (Index j = 0; j < n; ++j) {
    for (Index i = 0; i < n; ++i) {
      if (i == j) continue;
      const double theta = -help_diag[i] * s(i, j) - gram(i, j) / t * var[i] + var[i] * s(i, j);
      rest += sd[j] * inv_sd[i] * theta;
    }
  }
  const double rho_hat = pi_diag + r_bar * (term1 + rest);
  const double gamma_hat = (s - target).squaredNorm();

  Shrunk out;
  out.delta = gamma_hat > 0.0 ? std::clamp((pi_hat - rho_hat) / gamma_hat / t, 0.0, 1.0) : 0.0;
  out.covariance = out.delta * target + (1.0 - out.delta) * s;
  return out;
}

// ---------------------------------------------------------------------------------------------

Matrix ZeroFilled(const MatrixRef& x) { return x.array().isNaN().select(0.0, x); }

Result<Matrix> CompleteRows(const MatrixRef& x) {
  const Index rows = x.rows();
  Vector present = Vector::Zero(rows);
  for (Index col = 0; col < x.cols(); ++col) {
    const double* in = x.col(col).data();
    for (Index row = 0; row < rows; ++row) present[row] += (in[row] == in[row]) ? 1.0 : 0.0;
  }
  const double all = static_cast<double>(x.cols());
  std::vector<Index> keep;
  keep.reserve(static_cast<std::size_t>(rows));
  for (Index row = 0; row < rows; ++row) {
    if (present[row] == all) keep.push_back(row);
  }
  if (keep.size() < 2) {
    return InvalidArgument("returns: " + std::to_string(keep.size()) +
                           " period(s) where every asset has a return; COMPLETE_ROWS needs at "
                           "least 2 (use missing = PAIRWISE for SAMPLE/EXP/SHRUNK, or AS_ZERO)");
  }
  Matrix out(static_cast<Index>(keep.size()), x.cols());
  for (Index col = 0; col < x.cols(); ++col) {
    for (std::size_t k = 0; k < keep.size(); ++k) out(static_cast<Index>(k), col) = x(keep[k], col);
  }
  return out;
}

// Checks common to every model (not empty, no infinite value, every asset has a return) and the
// column summaries.
Result<std::vector<ColumnStats>> CheckReturns(const MatrixRef& x) {
  if (x.rows() == 0 || x.cols() == 0) {
    return InvalidArgument("returns: the matrix is empty (" + std::to_string(x.rows()) + " x " +
                           std::to_string(x.cols()) + "); expected periods x assets");
  }
  return ScanColumns(x);
}

Status CheckRows(const MatrixRef& x, std::string_view what) {
  if (x.rows() < 2) {
    return InvalidArgument("returns: " + std::to_string(x.rows()) + " period(s) " +
                           std::string(what) + "; at least 2 are needed");
  }
  return Ok();
}

bool IsPositiveSemidefinite(const MatrixRef& m) {
  Matrix shifted = m;
  shifted.diagonal().array() += 1e-16;
  const Eigen::LLT<Matrix> llt(shifted);
  return llt.info() == Eigen::Success;
}

}  // namespace

namespace internal {

Result<Matrix> PairwiseSampleCovariance(const MatrixRef& returns, bool force_general_path) {
  if (returns.rows() == 0 || returns.cols() == 0) {
    return tl::unexpected(CheckReturns(returns).error());
  }
  Index max_count = 0;
  return PairwiseCovarianceFromReturns(returns, force_general_path, &max_count);
}

void FinishCovariance(Matrix raw, const RiskModelOptions& options, CovarianceEstimate* estimate) {
  raw *= options.periods_per_year;
  bool repaired = false;
  double min_eigenvalue = kNaN;
  estimate->covariance =
      RepairNonPositiveSemidefinite(raw, options.repair, &repaired, &min_eigenvalue);
  estimate->repaired = repaired;
  estimate->min_eigenvalue = min_eigenvalue;
  if (!std::isnan(min_eigenvalue)) {
    std::string warning = "covariance was not positive semidefinite (smallest eigenvalue " +
                          FormatNumber(min_eigenvalue) + ")";
    switch (options.repair) {
      case PsdRepair::kSpectral:
        warning += "; repaired: negative eigenvalues set to 0 (SPECTRAL)";
        break;
      case PsdRepair::kDiagonal:
        warning += "; repaired: diagonal raised by 1.1 x |smallest eigenvalue| (DIAGONAL)";
        break;
      case PsdRepair::kNone:
        warning += "; left unchanged (repair = NONE)";
        break;
    }
    estimate->warnings.push_back(std::move(warning));
    if (repaired && !IsPositiveSemidefinite(estimate->covariance)) {
      estimate->warnings.push_back(
          "the repaired covariance still fails the Cholesky test of M + 1e-16 I; consider "
          "another risk model");
    }
  }
}

}  // namespace internal

Status RiskModelOptions::Validate() const {
  if (EnumToString(model) == "UNKNOWN") {
    return InvalidArgument(
        "model = " + std::to_string(static_cast<int>(model)) +
            " is not a risk model; expected one of: " + EnumNameList<RiskModel>(),
        "model");
  }
  if (EnumToString(missing) == "UNKNOWN") {
    return InvalidArgument(
        "missing = " + std::to_string(static_cast<int>(missing)) +
            " is not a missing-data rule; expected one of: " + EnumNameList<MissingData>(),
        "missing");
  }
  if (EnumToString(repair) == "UNKNOWN") {
    return InvalidArgument(
        "repair = " + std::to_string(static_cast<int>(repair)) +
            " is not a repair method; expected one of: " + EnumNameList<PsdRepair>(),
        "repair");
  }
  if (!(periods_per_year > 0.0) || !std::isfinite(periods_per_year)) {
    return InvalidArgument("periods_per_year = " + FormatNumber(periods_per_year) +
                               " is invalid: it must be a finite number > 0 (252 for daily data)",
                           "periods_per_year");
  }
  if (!std::isfinite(semicovariance_benchmark)) {
    return InvalidArgument("semicovariance_benchmark = " + FormatNumber(semicovariance_benchmark) +
                               " is invalid: it must be a finite return per period",
                           "semicovariance_benchmark");
  }
  if (!(exp_span >= 1.0) || !std::isfinite(exp_span)) {
    return InvalidArgument(
        "exp_span = " + FormatNumber(exp_span) + " is invalid: it must be a finite number >= 1",
        "exp_span");
  }
  if (!(shrinkage >= 0.0 && shrinkage <= 1.0)) {
    return InvalidArgument(
        "shrinkage = " + FormatNumber(shrinkage) + " is invalid: it must lie in [0, 1]",
        "shrinkage");
  }
  if (missing == MissingData::kPairwise && !UsesPairwise(model)) {
    return InvalidArgument("missing = PAIRWISE is not available for model " +
                               std::string(EnumToString(model)) +
                               " (only SAMPLE, EXP and SHRUNK); use COMPLETE_ROWS or AS_ZERO",
                           "missing");
  }
  return Ok();
}

Result<CovarianceEstimate> EstimateCovariance(const MatrixRef& returns,
                                              const RiskModelOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const MissingData missing = ResolveMissing(options);
  // Column summaries and validation; the pairwise SAMPLE path (the hot one) validates as it
  // goes instead.
  const bool pairwise_sample =
      options.model == RiskModel::kSample && missing == MissingData::kPairwise;
  std::vector<ColumnStats> stats;
  if (returns.rows() == 0 || returns.cols() == 0 || !pairwise_sample) {
    Result<std::vector<ColumnStats>> scanned = CheckReturns(returns);
    if (!scanned) return tl::unexpected(scanned.error());
    stats = std::move(*scanned);
  }
  CovarianceEstimate estimate;
  Matrix raw;  // per period, before annualisation

  // The data of the models that need complete rows: zero-filled or the complete rows.
  Matrix complete;
  const bool needs_complete =
      missing != MissingData::kPairwise ||
      !(options.model == RiskModel::kSample || options.model == RiskModel::kExponential ||
        options.model == RiskModel::kShrunk);
  if (needs_complete && missing == MissingData::kAsZero) {
    PFOPT_RETURN_IF_ERROR(CheckRows(returns, "in the returns"));
    complete = ZeroFilled(returns);
  } else if (needs_complete && missing == MissingData::kCompleteRows) {
    Result<Matrix> rows = CompleteRows(returns);
    if (!rows) return tl::unexpected(rows.error());
    complete = std::move(*rows);
  }
  // PyPortfolioOpt's SHRUNK and constant-correlation use the pairwise S even with zero-filled
  // data; so does AS_ZERO here (it is the compatibility mode).
  const auto sample_cov = [&](Index* used) -> Result<Matrix> {
    if (missing == MissingData::kPairwise || missing == MissingData::kAsZero) {
      return PairwiseCovariance(returns, stats, used);
    }
    *used = complete.rows();
    const Matrix xm = Centered(complete);
    return Matrix(Gram(xm) / static_cast<double>(complete.rows() - 1));
  };

  switch (options.model) {
    case RiskModel::kSample: {
      if (missing == MissingData::kPairwise) {
        Result<Matrix> cov =
            PairwiseCovarianceFromReturns(returns, /*force_general=*/false, &estimate.periods_used);
        if (!cov) return tl::unexpected(cov.error());
        raw = std::move(*cov);
      } else {
        estimate.periods_used = complete.rows();
        raw = Gram(Centered(complete)) / static_cast<double>(complete.rows() - 1);
      }
      break;
    }
    case RiskModel::kSemicovariance: {
      // Downside deviations min(r - B, 0); a missing return has none (PyPortfolioOpt's
      // np.fmin(NaN, 0) = 0), which is what AS_ZERO means here. COMPLETE_ROWS: complete rows only.
      const double b = options.semicovariance_benchmark;
      const MatrixRef data = missing == MissingData::kAsZero ? returns : MatrixRef(complete);
      const Matrix drops = data.array().isNaN().select(0.0, (data.array() - b).min(0.0));
      estimate.periods_used = drops.rows();
      raw = Gram(drops) / static_cast<double>(drops.rows());
      break;
    }
    case RiskModel::kExponential: {
      Result<Matrix> cov;
      if (missing == MissingData::kPairwise) {
        cov = ExponentialCovariance(returns, stats, options.exp_span, &estimate.periods_used);
      } else {
        Result<std::vector<ColumnStats>> complete_stats = ScanColumns(complete);
        if (!complete_stats) return tl::unexpected(complete_stats.error());
        cov = ExponentialCovariance(complete, *complete_stats, options.exp_span,
                                    &estimate.periods_used);
      }
      if (!cov) return tl::unexpected(cov.error());
      raw = std::move(*cov);
      break;
    }
    case RiskModel::kShrunk: {
      Result<Matrix> s = sample_cov(&estimate.periods_used);
      if (!s) return tl::unexpected(s.error());
      const double mu = s->trace() / static_cast<double>(s->cols());
      estimate.shrinkage = options.shrinkage;
      raw = (1.0 - options.shrinkage) * *s;
      raw.diagonal().array() += options.shrinkage * mu;
      break;
    }
    case RiskModel::kLedoitWolf:
    case RiskModel::kOracleApproximating:
    case RiskModel::kLedoitWolfSingleFactor: {
      Shrunk shrunk;
      if (options.model == RiskModel::kLedoitWolf) {
        shrunk = LedoitWolfConstantVariance(complete);
      } else if (options.model == RiskModel::kOracleApproximating) {
        shrunk = OracleApproximating(complete);
      } else {
        Result<Shrunk> single = LedoitWolfSingleFactor(complete);
        if (!single) return tl::unexpected(single.error());
        shrunk = std::move(*single);
      }
      estimate.periods_used = complete.rows();
      estimate.shrinkage = shrunk.delta;
      raw = std::move(shrunk.covariance);
      break;
    }
    case RiskModel::kLedoitWolfConstantCorrelation: {
      Index unused = 0;
      Result<Matrix> s = sample_cov(&unused);
      if (!s) return tl::unexpected(s.error());
      Result<Shrunk> shrunk = LedoitWolfConstantCorrelation(complete, *s);
      if (!shrunk) return tl::unexpected(shrunk.error());
      estimate.periods_used = complete.rows();
      estimate.shrinkage = shrunk->delta;
      raw = std::move(shrunk->covariance);
      break;
    }
  }

  internal::FinishCovariance(std::move(raw), options, &estimate);
  return estimate;
}

Matrix RepairNonPositiveSemidefinite(const MatrixRef& matrix, PsdRepair method, bool* repaired,
                                     double* min_eigenvalue) {
  if (repaired != nullptr) *repaired = false;
  if (min_eigenvalue != nullptr) *min_eigenvalue = kNaN;
  if (IsPositiveSemidefinite(matrix)) return matrix;
  const Eigen::SelfAdjointEigenSolver<Matrix> eigen(matrix);
  const double smallest = eigen.eigenvalues().minCoeff();
  if (min_eigenvalue != nullptr) *min_eigenvalue = smallest;
  switch (method) {
    case PsdRepair::kNone:
      return matrix;
    case PsdRepair::kSpectral: {
      const Vector clipped = eigen.eigenvalues().cwiseMax(0.0);
      Matrix fixed = eigen.eigenvectors() * clipped.asDiagonal() * eigen.eigenvectors().transpose();
      fixed = 0.5 * (fixed + fixed.transpose()).eval();
      if (repaired != nullptr) *repaired = true;
      return fixed;
    }
    case PsdRepair::kDiagonal: {
      Matrix fixed = matrix;
      fixed.diagonal().array() -= 1.1 * smallest;
      if (repaired != nullptr) *repaired = true;
      return fixed;
    }
  }
  return matrix;
}

Matrix CovarianceToCorrelation(const MatrixRef& covariance) {
  const Index n = covariance.rows();
  Vector inv_sd(n);
  for (Index i = 0; i < n; ++i) {
    const double v = covariance(i, i);
    inv_sd[i] = v > 0.0 ? 1.0 / std::sqrt(v) : kNaN;
  }
  Matrix corr = inv_sd.asDiagonal() * covariance * inv_sd.asDiagonal();
  for (Index i = 0; i < n; ++i) {
    if (!std::isnan(inv_sd[i])) corr(i, i) = 1.0;
  }
  return corr;
}

}  // namespace pfopt

namespace pfopt {

Result<Matrix> PairwiseCorrelation(const MatrixRef& returns) {
  Result<std::vector<ColumnStats>> stats = CheckReturns(returns);
  if (!stats) return tl::unexpected(stats.error());
  const Index rows = returns.rows();
  const Index n = returns.cols();
  // With y = x - mean (0 where missing), y2 = y^2 and m the presence mask, over the common rows
  // of a pair (i, j): sum y_i y_j = (y'y)_ij, sum y_i = (y'm)_ij, sum y_i^2 = (y2'm)_ij,
  // count = (m'm)_ij.
  Matrix y(rows, n), y2(rows, n), mask(rows, n);
  for (Index col = 0; col < n; ++col) {
    const double shift = (*stats)[static_cast<std::size_t>(col)].mean;
    for (Index row = 0; row < rows; ++row) {
      const double v = returns(row, col);
      const bool present = !std::isnan(v);
      y(row, col) = present ? v - shift : 0.0;
      y2(row, col) = y(row, col) * y(row, col);
      mask(row, col) = present ? 1.0 : 0.0;
    }
  }
  const Matrix cross = Gram(y);
  const Matrix sums = y.transpose() * mask;
  const Matrix squares = y2.transpose() * mask;
  const Matrix counts = Gram(mask);
  Matrix corr(n, n);
  for (Index j = 0; j < n; ++j) {
    corr(j, j) = 1.0;
    for (Index i = j + 1; i < n; ++i) {
      const Index count = static_cast<Index>(counts(i, j));
      if (count < 2) return TooFewCommon(i, j, count);
      const double c = static_cast<double>(count);
      const double cov = cross(i, j) - sums(i, j) * sums(j, i) / c;
      const double var_i = squares(i, j) - sums(i, j) * sums(i, j) / c;
      const double var_j = squares(j, i) - sums(j, i) * sums(j, i) / c;
      if (!(var_i > 0.0) || !(var_j > 0.0)) {
        return InvalidArgument(
            "returns: asset " + std::to_string(var_i > 0.0 ? j : i) + " is constant over the " +
            std::to_string(count) + " periods it shares with asset " +
            std::to_string(var_i > 0.0 ? i : j) + "; a correlation needs a positive variance");
      }
      const double value = cov / std::sqrt(var_i * var_j);
      corr(i, j) = value;
      corr(j, i) = value;
    }
  }
  return corr;
}

}  // namespace pfopt
