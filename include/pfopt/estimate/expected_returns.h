// Expected (annualised) returns from a history of periodic returns.
//
// Input: a T x n matrix of periodic returns, oldest row first; NaN marks a missing value.
// Output: n annualised expected returns (decimal: 0.12 = 12 % a year).
// Formulas follow PyPortfolioOpt 1.5.6 (docs/estimators.md gives them in full):
// - MEAN_HISTORICAL (default): compounded, each asset over its own history:
//     mu_i = (prod_t (1 + r_it))^(f / n_i) - 1, n_i = number of returns asset i has.
// - MEAN_ARITHMETIC: mu_i = f * mean_t(r_it).
// - EMA: m_i = last value of the exponentially weighted mean of r_i (span s, alpha = 2/(s+1),
//     bias-adjusted weights by absolute position, missing values skipped), then
//     (1 + m_i)^f - 1 if compounding else f * m_i.
// - CAPM: mu_i = rf + beta_i (E[R_m] - rf), beta_i = cov(r_i, m) / var(m) over the periods each
//     pair has; m = the given market returns, or the equal-weight mean of the available asset
//     returns of each period; E[R_m] compounded (or arithmetic) like MEAN_HISTORICAL.
// f = periods_per_year.
#ifndef PFOPT_ESTIMATE_EXPECTED_RETURNS_H_
#define PFOPT_ESTIMATE_EXPECTED_RETURNS_H_

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt {

enum class ExpectedReturnsMethod { kMeanHistorical, kMeanArithmetic, kEma, kCapm };

template <>
struct EnumNames<ExpectedReturnsMethod> {
  static constexpr std::array<std::pair<ExpectedReturnsMethod, std::string_view>, 4> kNames{
      {{ExpectedReturnsMethod::kMeanHistorical, "MEAN_HISTORICAL"},
       {ExpectedReturnsMethod::kMeanArithmetic, "MEAN_ARITHMETIC"},
       {ExpectedReturnsMethod::kEma, "EMA"},
       {ExpectedReturnsMethod::kCapm, "CAPM"}}};
};

struct ExpectedReturnsOptions {
  ExpectedReturnsMethod method = ExpectedReturnsMethod::kMeanHistorical;
  // Periods per year f used to annualise (252 for daily data, 52 weekly, 12 monthly). > 0.
  double periods_per_year = 252.0;
  // EMA and CAPM only: annualise by compounding ((1 + m)^f - 1) rather than f * m.
  // MEAN_HISTORICAL always compounds and MEAN_ARITHMETIC never does.
  bool compounding = true;
  // EMA only: span of the exponential weighting, in periods (>= 1). PyPortfolioOpt's default.
  double ema_span = 500.0;
  // CAPM only: annualised risk-free rate (decimal).
  double risk_free_rate = 0.0;
  // CAPM only: market (benchmark) returns aligned with the rows of the asset returns, NaN where
  // missing. Empty: the equal-weight mean of the assets' available returns of each period.
  Vector market_returns;

  // Checks every field; the message names the field, its value and the rule.
  Status Validate() const;
};

// Errors: invalid options; an empty matrix; an infinite value; a return below -1 where it is
// compounded (MEAN_HISTORICAL; EMA and the CAPM market with compounding); an asset without any
// return (MEAN_*, EMA) or with fewer than 2 returns in common with the market (CAPM); market
// returns of another length; a market with fewer than 2 values or zero variance.
Result<Vector> EstimateExpectedReturns(const MatrixRef& returns,
                                       const ExpectedReturnsOptions& options = {});

// CAPM betas (cov(r_i, m) / var(m), pairwise) with the market defined as in the options.
Result<Vector> CapmBetas(const MatrixRef& returns, const ExpectedReturnsOptions& options = {});

}  // namespace pfopt

#endif  // PFOPT_ESTIMATE_EXPECTED_RETURNS_H_
