// The Black-Litterman model (Black & Litterman 1992; He & Litterman 1999; Idzorek 2005), with
// PyPortfolioOpt 1.5.6's conventions so that its users get the same numbers.
//
// Notation: n assets, k views; Sigma the (annualised) covariance, Pi the prior expected
// returns, P (k x n) the view portfolios, Q (k) their expected returns, Omega (k x k) the
// uncertainty of the views, tau the uncertainty of the prior (scales Sigma).
//
//   market-implied risk aversion  delta = (E[r_m] - rf) / var(r_m)
//                                 from a market return series: E = f mean(r), var = f var(r)
//   market-implied prior          Pi = delta Sigma w_mkt + rf,   w_mkt = caps / sum(caps)
//   Omega (PROPORTIONAL, default) diag(tau P Sigma P')   (He & Litterman)
//   Omega (IDZOREK)               Omega_kk = tau alpha_k p_k Sigma p_k',  alpha_k = (1 - c_k) / c_k
//                                 for confidences c_k in [0, 1]; c_k = 1 makes the view exact,
//                                 c_k = 0 removes it (infinite uncertainty)
//   posterior returns   mu_BL = Pi + tau Sigma P' (P tau Sigma P' + Omega)^-1 (Q - P Pi)
//   posterior covariance Sigma_BL = Sigma + tau Sigma
//                                   - tau Sigma P' (P tau Sigma P' + Omega)^-1 P tau Sigma
//   closed-form weights  w = (delta Sigma)^-1 mu_BL, normalised to sum 1
//
// Without views the posterior returns are the prior and the posterior covariance is
// (1 + tau) Sigma. The posterior feeds any objective (mean-variance, risk parity) under any
// constraints; the closed form is the unconstrained maximum of mu'w - delta/2 w'Sigma w,
// rescaled to a fully invested portfolio (as PyPortfolioOpt's bl_weights: it uses the prior
// Sigma, not Sigma_BL).
#ifndef PFOPT_OPTIMIZE_BLACK_LITTERMAN_H_
#define PFOPT_OPTIMIZE_BLACK_LITTERMAN_H_

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt {

// delta = (f mean(r) - rf) / (f var(r)) from periodic market returns (NaN = missing, skipped;
// var with ddof 1), as PyPortfolioOpt's market_implied_risk_aversion on the market's prices.
// Errors: fewer than 2 returns, a non-finite value, zero variance, periods_per_year <= 0.
Result<double> MarketImpliedRiskAversion(const VectorRef& market_returns,
                                         double periods_per_year = 252.0,
                                         double risk_free_rate = 0.0);

// delta = (expected_market_return - rf) / market_variance, in any consistent units (e.g.
// weekly return and variance). With market weights w_mkt the variance is w_mkt'Sigma w_mkt.
// Errors: a variance <= 0, non-finite input.
Result<double> ImpliedRiskAversion(double expected_market_return, double market_variance,
                                   double risk_free_rate = 0.0);

// Pi = delta Sigma w + rf with w = market_caps / sum(market_caps). Errors: sizes, negative or
// non-finite caps, caps summing to 0, a non-finite delta or rf.
Result<Vector> MarketImpliedPrior(const VectorRef& market_caps, double risk_aversion,
                                  const MatrixRef& covariance, double risk_free_rate = 0.0);

enum class OmegaMethod {
  kProportional,  // diag(tau P Sigma P'): each view as uncertain as the prior of its portfolio
  kIdzorek,       // from the confidence of each view (0..1), Idzorek's closed form
  kGiven,         // BlackLittermanOptions::omega
};

template <>
struct EnumNames<OmegaMethod> {
  static constexpr std::array<std::pair<OmegaMethod, std::string_view>, 3> kNames{
      {{OmegaMethod::kProportional, "PROPORTIONAL"},
       {OmegaMethod::kIdzorek, "IDZOREK"},
       {OmegaMethod::kGiven, "GIVEN"}}};
};

struct BlackLittermanOptions {
  // Uncertainty of the prior: the prior's covariance is tau Sigma. > 0; default 0.05 (the
  // usual choice, and PyPortfolioOpt's).
  double tau = 0.05;
  OmegaMethod omega_method = OmegaMethod::kProportional;
  // kIdzorek: one confidence per view, each in [0, 1].
  Vector view_confidences;
  // kGiven: the k x k view uncertainty, symmetric positive semidefinite.
  Matrix omega;

  Status Validate() const;
};

struct BlackLittermanPosterior {
  Vector expected_returns;  // mu_BL (n)
  Matrix covariance;        // Sigma_BL (n x n)
  Matrix omega;             // the Omega used (k x k; a view with confidence 0 has +inf)
};

// The posterior of `prior` (Pi, n) and `covariance` (Sigma, n x n) given the views P (k x n)
// and Q (k); k may be 0. If P tau Sigma P' + Omega is singular (e.g. exact views that repeat
// each other), the minimum-norm least-squares solution is used, as PyPortfolioOpt does.
// Errors: sizes, non-finite values, invalid options (confidences out of [0, 1], an Omega of the
// wrong size, not symmetric or with a negative diagonal).
Result<BlackLittermanPosterior> ComputeBlackLittermanPosterior(
    const MatrixRef& covariance, const VectorRef& prior, const MatrixRef& views,
    const VectorRef& view_returns, const BlackLittermanOptions& options = {});

// The closed-form weights (delta Sigma)^-1 mu, normalised to sum 1. Errors: sizes, delta <= 0,
// a singular Sigma, raw weights summing to 0 (no fully invested portfolio in that direction).
Result<Vector> BlackLittermanWeights(const VectorRef& expected_returns, const MatrixRef& covariance,
                                     double risk_aversion);

}  // namespace pfopt

#endif  // PFOPT_OPTIMIZE_BLACK_LITTERMAN_H_
