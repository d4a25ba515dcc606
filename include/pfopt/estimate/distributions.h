// Distribution functions and quantiles used by the robust optimiser (its uncertainty radii) and
// available to any caller: the standard normal and the chi-square distribution.
//
// Accuracy: every function is accurate to a few units in the last place over its whole domain
// (relative error below 1e-14 on the reference table of tests/data/distributions, made with
// scipy.stats). The quantiles are not closed-form approximations: an initial estimate is
// refined by Halley steps on the exact distribution function until the step is below rounding.
//   - NormalQuantile: Wichura's algorithm AS 241 (PPND16, relative accuracy ~1e-16), then one
//     Halley step on the normal distribution function (computed with erfc).
//   - RegularizedGammaP / Q: series expansion for x < a + 1, Lentz's continued fraction
//     otherwise, each summed to rounding; the complement is computed directly (no 1 - P).
//   - ChiSquareQuantile(p, k) = 2 * inverse of P(k/2, .) at p: a Wilson-Hilferty (a > 1) or
//     power-series (a <= 1) start, then Halley steps on P (or on Q when p > 1/2, so that upper
//     quantiles keep full relative accuracy).
//
// Errors (not statuses): probabilities outside [0, 1], non-positive degrees of freedom or shape,
// NaN arguments. Infinite results are returned as +-infinity (p = 0 or 1).
#ifndef PFOPT_ESTIMATE_DISTRIBUTIONS_H_
#define PFOPT_ESTIMATE_DISTRIBUTIONS_H_

#include "pfopt/core/error.h"

namespace pfopt {

// Standard normal distribution function Phi(x) (x may be +-infinity).
Result<double> NormalCdf(double x);

// Phi^-1(p) for p in [0, 1]; -infinity at 0, +infinity at 1.
Result<double> NormalQuantile(double p);

// Regularised incomplete gamma functions P(a, x) = gamma(a, x) / Gamma(a) and
// Q(a, x) = 1 - P(a, x), for shape a > 0 and x >= 0 (x may be +infinity).
Result<double> RegularizedGammaP(double a, double x);
Result<double> RegularizedGammaQ(double a, double x);

// Chi-square distribution function with k > 0 degrees of freedom: P(k/2, x/2).
Result<double> ChiSquareCdf(double x, double degrees_of_freedom);

// The p-quantile of the chi-square distribution with k > 0 degrees of freedom (k need not be
// an integer), p in [0, 1]: 0 at p = 0, +infinity at p = 1.
Result<double> ChiSquareQuantile(double p, double degrees_of_freedom);

}  // namespace pfopt

#endif  // PFOPT_ESTIMATE_DISTRIBUTIONS_H_
