#include "pfopt/optimize/black_litterman.h"

#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "optimize/allocation_common.h"

namespace pfopt {

namespace {

using internal::FormatValue;

Status CheckFinite(const MatrixRef& m, const char* field) {
  // A finite sum proves every entry finite (vectorised); else look closer.
  if (!std::isfinite(m.sum()) && !m.allFinite()) {
    return InvalidArgument(std::string(field) + " has a non-finite entry", field);
  }
  return Ok();
}

// X = A^+ B for the symmetric positive semidefinite k x k matrix A: by LDL' when A is
// numerically positive definite, else the minimum-norm least-squares solution (numpy's lstsq,
// PyPortfolioOpt's fallback for a singular A).
Matrix SolveSymmetric(const Matrix& a, const MatrixRef& b) {
  const Eigen::LDLT<Matrix> ldlt(a);
  const double largest = a.diagonal().cwiseAbs().maxCoeff();
  if (ldlt.info() == Eigen::Success && ldlt.isPositive() &&
      ldlt.vectorD().minCoeff() > 1e-13 * largest) {
    return ldlt.solve(b);
  }
  return Eigen::CompleteOrthogonalDecomposition<Matrix>(a).solve(b);
}

}  // namespace

Result<double> MarketImpliedRiskAversion(const VectorRef& market_returns, double periods_per_year,
                                         double risk_free_rate) {
  if (!(std::isfinite(periods_per_year) && periods_per_year > 0.0)) {
    return InvalidArgument(
        "periods_per_year is " + FormatValue(periods_per_year) + "; it must be > 0",
        "periods_per_year");
  }
  if (!std::isfinite(risk_free_rate)) {
    return InvalidArgument("risk_free_rate must be finite", "risk_free_rate");
  }
  double sum = 0.0, low = kInfinity, high = -kInfinity;
  Index count = 0;
  for (Index t = 0; t < market_returns.size(); ++t) {
    const double r = market_returns[t];
    if (std::isnan(r)) continue;
    if (!std::isfinite(r)) {
      return InvalidArgument("market return " + std::to_string(t) + " is not finite",
                             "market_returns");
    }
    sum += r;
    low = std::min(low, r);
    high = std::max(high, r);
    ++count;
  }
  if (count < 2) {
    return InvalidArgument(
        "market_returns has " + std::to_string(count) + " value(s); a variance needs at least 2",
        "market_returns");
  }
  const double mean = sum / static_cast<double>(count);
  double squares = 0.0;
  for (Index t = 0; t < market_returns.size(); ++t) {
    const double r = market_returns[t];
    if (!std::isnan(r)) squares += (r - mean) * (r - mean);
  }
  const double variance = squares / static_cast<double>(count - 1);
  if (!(variance > 0.0) || low == high) {
    return InvalidArgument("market_returns have zero variance", "market_returns");
  }
  return (periods_per_year * mean - risk_free_rate) / (periods_per_year * variance);
}

Result<double> ImpliedRiskAversion(double expected_market_return, double market_variance,
                                   double risk_free_rate) {
  if (!std::isfinite(expected_market_return) || !std::isfinite(risk_free_rate)) {
    return InvalidArgument("the expected market return and the risk-free rate must be finite",
                           "expected_market_return");
  }
  if (!(std::isfinite(market_variance) && market_variance > 0.0)) {
    return InvalidArgument(
        "the market variance is " + FormatValue(market_variance) + "; it must be > 0",
        "market_variance");
  }
  return (expected_market_return - risk_free_rate) / market_variance;
}

Result<Vector> MarketImpliedPrior(const VectorRef& market_caps, double risk_aversion,
                                  const MatrixRef& covariance, double risk_free_rate) {
  const Index n = market_caps.size();
  PFOPT_RETURN_IF_ERROR(internal::CheckSquareOfSize(covariance, n, "covariance", "market caps"));
  PFOPT_RETURN_IF_ERROR(CheckFinite(covariance, "covariance"));
  for (Index i = 0; i < n; ++i) {
    if (!std::isfinite(market_caps[i]) || market_caps[i] < 0.0) {
      return InvalidArgument("market cap " + std::to_string(i) + " is " +
                                 FormatValue(market_caps[i]) + "; caps must be finite and >= 0",
                             "market_caps");
    }
  }
  const double total = market_caps.sum();
  if (!(total > 0.0)) {
    return InvalidArgument("the market caps sum to 0", "market_caps");
  }
  if (!std::isfinite(risk_aversion) || !std::isfinite(risk_free_rate)) {
    return InvalidArgument("risk aversion and risk-free rate must be finite", "risk_aversion");
  }
  const Vector weights = market_caps / total;
  return Vector((risk_aversion * (covariance * weights)).array() + risk_free_rate);
}

Status BlackLittermanOptions::Validate() const {
  if (!(std::isfinite(tau) && tau > 0.0)) {
    return InvalidArgument("tau is " + FormatValue(tau) + "; it must be a finite number > 0",
                           "tau");
  }
  if (omega_method == OmegaMethod::kIdzorek) {
    for (Index i = 0; i < view_confidences.size(); ++i) {
      const double c = view_confidences[i];
      if (!(c >= 0.0 && c <= 1.0)) {
        return InvalidArgument("view confidence " + std::to_string(i) + " is " + FormatValue(c) +
                                   "; confidences are in [0, 1]",
                               "view_confidences");
      }
    }
  }
  if (omega_method == OmegaMethod::kGiven) {
    PFOPT_RETURN_IF_ERROR(CheckFinite(omega, "omega"));
    if (omega.rows() != omega.cols()) {
      return DimensionMismatch("omega must be square", "omega");
    }
    const double scale = std::max(omega.cwiseAbs().maxCoeff(), 1e-300);
    for (Index i = 0; i < omega.rows(); ++i) {
      if (omega(i, i) < 0.0) {
        return InvalidArgument("omega(" + std::to_string(i) + ", " + std::to_string(i) + ") is " +
                                   FormatValue(omega(i, i)) + "; a variance cannot be negative",
                               "omega");
      }
      for (Index j = 0; j < i; ++j) {
        if (std::abs(omega(i, j) - omega(j, i)) > 1e-12 * scale) {
          return InvalidArgument("omega is not symmetric", "omega");
        }
      }
    }
  }
  return Ok();
}

Result<BlackLittermanPosterior> ComputeBlackLittermanPosterior(
    const MatrixRef& covariance, const VectorRef& prior, const MatrixRef& views,
    const VectorRef& view_returns, const BlackLittermanOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const Index n = prior.size();
  const Index k = view_returns.size();
  PFOPT_RETURN_IF_ERROR(
      internal::CheckSquareOfSize(covariance, n, "covariance", "assets of the prior"));
  if (views.rows() != k || (k > 0 && views.cols() != n)) {
    return DimensionMismatch("the view matrix P is " + std::to_string(views.rows()) + "x" +
                                 std::to_string(views.cols()) + "; expected " + std::to_string(k) +
                                 "x" + std::to_string(n) + " (one row per view return)",
                             "views");
  }
  PFOPT_RETURN_IF_ERROR(CheckFinite(covariance, "covariance"));
  PFOPT_RETURN_IF_ERROR(CheckFinite(prior, "prior"));
  PFOPT_RETURN_IF_ERROR(CheckFinite(views, "views"));
  PFOPT_RETURN_IF_ERROR(CheckFinite(view_returns, "view_returns"));
  if (options.omega_method == OmegaMethod::kIdzorek && options.view_confidences.size() != k) {
    return DimensionMismatch("view_confidences has " +
                                 std::to_string(options.view_confidences.size()) + " entries for " +
                                 std::to_string(k) + " views",
                             "view_confidences");
  }
  if (options.omega_method == OmegaMethod::kGiven) {
    PFOPT_RETURN_IF_ERROR(internal::CheckSquareOfSize(options.omega, k, "omega", "views"));
  }
  const double tau = options.tau;
  BlackLittermanPosterior posterior;

  // Sigma P' for every view, and Omega.
  Matrix sigma_p = covariance * views.transpose();  // n x k
  Matrix omega(k, k);
  switch (options.omega_method) {
    case OmegaMethod::kProportional:
      omega.setZero();
      for (Index v = 0; v < k; ++v) omega(v, v) = tau * views.row(v).dot(sigma_p.col(v));
      break;
    case OmegaMethod::kIdzorek:
      omega.setZero();
      for (Index v = 0; v < k; ++v) {
        const double c = options.view_confidences[v];
        omega(v, v) = c == 0.0 ? kInfinity : tau * (1.0 - c) / c * views.row(v).dot(sigma_p.col(v));
      }
      break;
    case OmegaMethod::kGiven:
      omega = options.omega;
      break;
  }
  posterior.omega = omega;

  // Views of infinite uncertainty (confidence 0) carry no information: leave them out.
  std::vector<Index> kept;
  for (Index v = 0; v < k; ++v) {
    if (std::isfinite(omega(v, v))) kept.push_back(v);
  }
  const Index m = static_cast<Index>(kept.size());
  Matrix p(m, n), tau_sigma_p(n, m), a(m, m);
  Vector gap(m);  // Q - P Pi
  for (Index r = 0; r < m; ++r) {
    const Index v = kept[static_cast<std::size_t>(r)];
    p.row(r) = views.row(v);
    tau_sigma_p.col(r) = tau * sigma_p.col(v);
    gap[r] = view_returns[v] - views.row(v).dot(prior);
  }
  a.noalias() = p * tau_sigma_p;
  for (Index c = 0; c < m; ++c) {
    for (Index r = 0; r < m; ++r) {
      a(r, c) += omega(kept[static_cast<std::size_t>(r)], kept[static_cast<std::size_t>(c)]);
    }
  }
  // Exactly symmetric (the products above are not, to rounding).
  a = 0.5 * (a + a.transpose()).eval();

  posterior.expected_returns = prior;
  posterior.covariance = (1.0 + tau) * covariance;
  if (m == 0) return posterior;
  Matrix& cov = posterior.covariance;
  const Eigen::LLT<Matrix> llt(a);
  const double largest = a.diagonal().cwiseAbs().maxCoeff();
  if (llt.info() == Eigen::Success &&
      llt.matrixLLT().diagonal().minCoeff() > std::sqrt(1e-13 * largest)) {
    // A = L L': with G = tau Sigma P' L^-T the update is the symmetric rank-m product G G'
    // (half the work of a general product, and exactly symmetric).
    const Matrix g_t = llt.matrixL().solve(tau_sigma_p.transpose());  // G' (m x n)
    posterior.expected_returns.noalias() += g_t.transpose() * llt.matrixL().solve(gap);
    cov.selfadjointView<Eigen::Lower>().rankUpdate(g_t.transpose(), -1.0);
    cov.triangularView<Eigen::StrictlyUpper>() = cov.transpose();
  } else {
    // Singular A (exact views that repeat each other): least squares, as PyPortfolioOpt.
    posterior.expected_returns.noalias() += tau_sigma_p * SolveSymmetric(a, gap);
    const Matrix x = SolveSymmetric(a, tau_sigma_p.transpose());  // m x n
    cov.noalias() -= tau_sigma_p * x;
    cov = 0.5 * (cov + cov.transpose()).eval();
  }
  return posterior;
}

Result<Vector> BlackLittermanWeights(const VectorRef& expected_returns, const MatrixRef& covariance,
                                     double risk_aversion) {
  const Index n = expected_returns.size();
  PFOPT_RETURN_IF_ERROR(
      internal::CheckSquareOfSize(covariance, n, "covariance", "expected returns"));
  PFOPT_RETURN_IF_ERROR(CheckFinite(covariance, "covariance"));
  PFOPT_RETURN_IF_ERROR(CheckFinite(expected_returns, "expected_returns"));
  if (!(std::isfinite(risk_aversion) && risk_aversion > 0.0)) {
    return InvalidArgument("risk aversion is " + FormatValue(risk_aversion) + "; it must be > 0",
                           "risk_aversion");
  }
  const Eigen::LLT<Matrix> llt(risk_aversion * covariance);
  if (llt.info() != Eigen::Success) {
    return InvalidArgument(
        "the covariance is singular: the closed-form weights (delta Sigma)^-1 mu do not exist; "
        "optimise an objective over the posterior instead",
        "covariance");
  }
  const Vector raw = llt.solve(expected_returns);
  const double total = raw.sum();
  if (!(std::abs(total) > 1e-14 * raw.cwiseAbs().sum())) {
    return InvalidArgument(
        "the closed-form weights sum to 0 and cannot be normalised to a fully invested "
        "portfolio",
        "expected_returns");
  }
  return Vector(raw / total);
}

}  // namespace pfopt
