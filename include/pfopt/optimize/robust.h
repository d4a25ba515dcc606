// Robust mean-variance optimisation: the worst case over an uncertainty set for the expected
// returns (docs/robust.md; the definitions of docs/api.md, "Robust optimisation, precisely").
//
// With annualised mu and Sigma estimated from T return observations and n assets:
//   ellipsoidal set  {m : (m - mu)'(Sigma/T)^-1 (m - mu) <= kappa^2}; the worst-case return of
//                    w is  mu'w - kappa sqrt(w'(Sigma/T)w) = mu'w - kappa sigma(w) / sqrt(T),
//                    kappa = sqrt(chi2_quantile(confidence, n)) unless given;
//   box set          {m : |m_i - mu_i| <= z sigma_i / sqrt(T)}; the worst-case return is
//                    mu'w - z/sqrt(T) sum_i sigma_i |w_i|, sigma_i = sqrt(Sigma_ii),
//                    z = Phi^-1((1 + confidence) / 2) unless given (the two-sided normal
//                    quantile: each interval covers mu_i with probability `confidence`, and
//                    confidence 0 gives z = 0).
// The robust problem replaces mu'w by the worst-case return in the objective (or target):
//   MAX_UTILITY       max  WR(w) - delta/2 w'Sigma w - gamma ||w||^2
//   MAX_RETURN        max  WR(w) - gamma ||w||^2
//   EFFICIENT_RISK    max  WR(w) - gamma ||w||^2  s.t. sigma(w) <= target_volatility
//   EFFICIENT_RETURN  min  w'Sigma w + gamma ||w||^2  s.t. WR(w) >= target_return
//   MAX_SHARPE        max  (WR(w) - rf) / sigma(w)
//   MIN_VOLATILITY    does not involve mu: identical to the nominal problem (said in a warning).
// Confidence 0 or a radius of 0 gives back the nominal problem exactly.
//
// Solved exactly (to rounding), although these are second-order cone programs. Because the
// ellipsoid is scaled by Sigma, its penalty is a function of sigma(w) alone, so each robust
// optimum lies on the nominal efficient frontier w(t) = argmin 1/2 w'(Sigma + 2 gamma t I)w -
// t mu'w, each point of which is an exact QP; the robust optimality condition is then a scalar
// equation in t, solved by a bracketed Illinois search (e.g. MAX_UTILITY: (1 - delta t)
// sigma(t) = kappa t / sqrt(T)). In particular the ellipsoidal MAX_SHARPE portfolio is the
// nominal one (the penalty lowers every Sharpe ratio by kappa / sqrt(T)). The box penalty is
// linear in |w|: with one-signed bounds it is a shift of mu, otherwise auxiliary variables
// s >= |w| make each problem a QP (EFFICIENT_RISK and MAX_SHARPE again by a scalar search on
// the frontier). Not supported, and refused with an error naming the field: l2_gamma with the
// ellipsoidal EFFICIENT_RETURN and MAX_SHARPE, and with the box MAX_SHARPE when some bounds
// allow both signs.
#ifndef PFOPT_OPTIMIZE_ROBUST_H_
#define PFOPT_OPTIMIZE_ROBUST_H_

#include <optional>
#include <string>

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/optimize/mean_variance.h"

namespace pfopt {

enum class UncertaintySet { kEllipsoidal, kBox };

template <>
struct EnumNames<UncertaintySet> {
  static constexpr std::array<std::pair<UncertaintySet, std::string_view>, 2> kNames{
      {{UncertaintySet::kEllipsoidal, "ELLIPSOIDAL"}, {UncertaintySet::kBox, "BOX"}}};
};

struct RobustOptions {
  UncertaintySet uncertainty = UncertaintySet::kEllipsoidal;
  // Confidence level of the set, in [0, 1). Default 0.95. 0 gives the nominal problem.
  double confidence = 0.95;
  // The radius itself (kappa of the ellipsoid, z of the box), >= 0; overrides `confidence`.
  std::optional<double> kappa;
  // T: the number of return observations mu and Sigma were estimated from, >= 1. Required
  // unless the radius is 0.
  Index num_observations = 0;
  // The objective and its parameters (targets, risk aversion, risk-free rate, l2_gamma, QP
  // options), as for the nominal problem.
  MeanVarianceOptions mean_variance;

  Status Validate() const;
};

// kappa (ellipsoid) or z (box) for `num_assets` assets: the given kappa, else the quantile of
// `confidence` (chi-square with n degrees of freedom, square-rooted; or the two-sided normal).
Result<double> RobustRadius(const RobustOptions& options, Index num_assets);

struct RobustResult {
  // Weights, status, messages, constraints re-check; `performance` uses the nominal mu (so
  // expected_return is mu'w); `objective_value` is the robust objective above (for MAX_SHARPE
  // the worst-case Sharpe ratio (WR(w) - rf) / sigma(w)).
  OptimizationResult optimization;
  UncertaintySet uncertainty = UncertaintySet::kEllipsoidal;
  double radius = kNaN;             // kappa or z used
  double return_penalty = kNaN;     // mu'w - WR(w) of the returned weights (>= 0)
  double worst_case_return = kNaN;  // WR(w), annualised
};

// Errors: invalid problem or options (the field named), missing expected returns, unreachable
// targets (the message says what is reachable), the unsupported combinations above.
// Statuses as OptimizeMeanVariance.
Result<RobustResult> OptimizeRobust(const PortfolioProblem& problem, const RobustOptions& options);

}  // namespace pfopt

#endif  // PFOPT_OPTIMIZE_ROBUST_H_
