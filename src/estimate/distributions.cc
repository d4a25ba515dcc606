#include "pfopt/estimate/distributions.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "pfopt/core/types.h"

namespace pfopt {

namespace {

constexpr double kEpsilon = std::numeric_limits<double>::epsilon();
constexpr double kTiny = 1e-300;  // Lentz's guard against a zero denominator
// log(sqrt(2 pi))
constexpr double kLogSqrtTwoPi = 0.91893853320467274178;

std::string Num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

Status CheckProbability(double p, const char* field) {
  if (!(p >= 0.0 && p <= 1.0)) {
    return InvalidArgument(
        std::string(field) + " is " + Num(p) + "; a probability must be in [0, 1]", field);
  }
  return Ok();
}

Status CheckPositive(double value, const char* field) {
  if (!(std::isfinite(value) && value > 0.0)) {
    return InvalidArgument(std::string(field) + " is " + Num(value) + "; it must be finite and > 0",
                           field);
  }
  return Ok();
}

// Wichura's AS 241 (PPND16): Phi^-1(p) for 0 < p < 1, relative accuracy about 1e-16.
double Ppnd16(double p) {
  const double q = p - 0.5;
  if (std::abs(q) <= 0.425) {
    const double r = 0.180625 - q * q;
    const double num = (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r +
                             6.7265770927008700853e+4) *
                                r +
                            4.5921953931549871457e+4) *
                               r +
                           1.3731693765509461125e+4) *
                              r +
                          1.9715909503065514427e+3) *
                             r +
                         1.3314166789178437745e+2) *
                            r +
                        3.3871328727963666080e0);
    const double den = (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r +
                             3.9307895800092710610e+4) *
                                r +
                            2.1213794301586595867e+4) *
                               r +
                           5.3941960214247511077e+3) *
                              r +
                          6.8718700749205790830e+2) *
                             r +
                         4.2313330701600911252e+1) *
                            r +
                        1.0);
    return q * num / den;
  }
  double r = q < 0.0 ? p : 1.0 - p;  // 1 - p is exact for p >= 1/2
  r = std::sqrt(-std::log(r));
  double value = 0.0;
  if (r <= 5.0) {
    r -= 1.6;
    const double num = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r +
                             2.41780725177450611770e-1) *
                                r +
                            1.27045825245236838258e0) *
                               r +
                           3.64784832476320460504e0) *
                              r +
                          5.76949722146069140550e0) *
                             r +
                         4.63033784615654529590e0) *
                            r +
                        1.42343711074968357734e0);
    const double den = (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r +
                             1.51986665636164571966e-2) *
                                r +
                            1.48103976427480074590e-1) *
                               r +
                           6.89767334985100004550e-1) *
                              r +
                          1.67638483018380384940e0) *
                             r +
                         2.05319162663775882187e0) *
                            r +
                        1.0);
    value = num / den;
  } else {
    r -= 5.0;
    const double num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
                             1.24266094738807843860e-3) *
                                r +
                            2.65321895265761230930e-2) *
                               r +
                           2.96560571828504891230e-1) *
                              r +
                          1.78482653991729133580e0) *
                             r +
                         5.46378491116411436990e0) *
                            r +
                        6.65790464350110377720e0);
    const double den = (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r +
                             1.84631831751005468180e-5) *
                                r +
                            7.86869131145613259100e-4) *
                               r +
                           1.48753612908506148525e-2) *
                              r +
                          1.36929880922735805310e-1) *
                             r +
                         5.99832206555887937690e-1) *
                            r +
                        1.0);
    value = num / den;
  }
  return q < 0.0 ? -value : value;
}

// log(1 + d) - d, accurate also for small |d| (where the subtraction would cancel).
double Log1pMinusX(double d) {
  if (std::abs(d) > 0.3) return std::log1p(d) - d;
  // -d^2/2 + d^3/3 - d^4/4 + ...
  double power = d * d;
  double sum = 0.0;
  for (int k = 2; k < 200; ++k) {
    const double term = (k % 2 == 0 ? -power : power) / k;
    sum += term;
    if (std::abs(term) <= kEpsilon * std::abs(sum)) break;
    power *= d;
  }
  return sum;
}

// log Gamma(a) - ((a - 1/2) log a - a + log sqrt(2 pi)): Stirling's remainder, small for large a.
double StirlingRemainder(double a) {
  if (a < 10.0) return std::lgamma(a) - ((a - 0.5) * std::log(a) - a + kLogSqrtTwoPi);
  const double inv = 1.0 / a;
  const double inv2 = inv * inv;
  // 1/(12a) - 1/(360a^3) + 1/(1260a^5) - 1/(1680a^7) + 1/(1188a^9)
  return inv * (1.0 / 12.0 -
                inv2 * (1.0 / 360.0 -
                        inv2 * (1.0 / 1260.0 - inv2 * (1.0 / 1680.0 - inv2 * (1.0 / 1188.0)))));
}

// x^a e^-x / Gamma(a), the common factor of P and Q, computed without the cancellation of
// a log x - x - log Gamma(a) when a is large and x near a.
double GammaPrefix(double a, double x) {
  if (x == 0.0) return a < 1.0 ? kInfinity : (a == 1.0 ? 1.0 : 0.0);
  if (a < 10.0) return std::exp(a * std::log(x) - x - std::lgamma(a));
  // x^a e^-x / Gamma(a) = exp(a (log(x/a) + 1 - x/a)) sqrt(a / (2 pi)) exp(-remainder(a)).
  // Near x = a the bracket is log1p(d) - d with d = (x - a)/a, where x - a is exact (Sterbenz);
  // elsewhere log(x/a) + 1 - x/a has no cancellation.
  const double ratio = x / a;
  const double bracket =
      (ratio > 0.5 && ratio < 2.0) ? Log1pMinusX((x - a) / a) : std::log(ratio) + 1.0 - ratio;
  return std::exp(a * bracket - StirlingRemainder(a)) * std::sqrt(a) * std::exp(-kLogSqrtTwoPi);
}

// P(a, x) by its series, for x < a + 1.
double GammaPSeries(double a, double x) {
  double term = 1.0;
  double sum = 1.0;
  for (int k = 1; k < 100000; ++k) {
    term *= x / (a + k);
    sum += term;
    if (term <= kEpsilon * sum) break;
  }
  return GammaPrefix(a, x) / a * sum;
}

// Q(a, x) by Lentz's evaluation of its continued fraction, for x >= a + 1.
double GammaQContinuedFraction(double a, double x) {
  double b = x + 1.0 - a;
  double c = 1.0 / kTiny;
  double d = 1.0 / b;
  double h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::abs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::abs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::abs(delta - 1.0) <= kEpsilon) break;
  }
  return GammaPrefix(a, x) * h;
}

// P and Q together, each computed directly where it is the smaller one.
void GammaPQ(double a, double x, double* p, double* q) {
  if (x <= 0.0) {
    *p = 0.0;
    *q = 1.0;
  } else if (std::isinf(x)) {
    *p = 1.0;
    *q = 0.0;
  } else if (x < a + 1.0) {
    *p = GammaPSeries(a, x);
    *q = 1.0 - *p;
  } else {
    *q = GammaQContinuedFraction(a, x);
    *p = 1.0 - *q;
  }
}

// Inverse of P(a, .) at p (0 < p < 1), by Halley's method.
double InverseGammaP(double a, double p) {
  // Start: Wilson-Hilferty for a > 1, the small-x / large-x forms of P for a <= 1.
  double x = 0.0;
  if (a > 1.0) {
    const double z = Ppnd16(p);
    const double s = 1.0 - 1.0 / (9.0 * a) + z / (3.0 * std::sqrt(a));
    x = a * s * s * s;
    // Deep lower tail: P(a, x) ~ x^a / Gamma(a + 1).
    if (!(x > 0.0)) x = std::exp((std::log(p) + std::lgamma(a + 1.0)) / a);
  } else {
    const double t = 1.0 - a * (0.253 + 0.12 * a);
    x = p < t ? std::pow(p / t, 1.0 / a) : 1.0 - std::log1p(-(p - t) / (1.0 - t));
  }
  const bool upper = p > 0.5;  // work with Q = 1 - p, exact for p >= 1/2
  for (int iteration = 0; iteration < 200; ++iteration) {
    double lower_value = 0.0, upper_value = 0.0;
    GammaPQ(a, x, &lower_value, &upper_value);
    const double f = upper ? (1.0 - p) - upper_value : lower_value - p;  // = P(a, x) - p
    const double derivative = GammaPrefix(a, x) / x;                     // dP/dx
    if (!(derivative > 0.0) || !std::isfinite(derivative)) break;
    const double u = f / derivative;
    // Halley: the second derivative of P is P'(x) ((a - 1)/x - 1).
    const double correction = u / (1.0 - 0.5 * std::min(1.0, u * ((a - 1.0) / x - 1.0)));
    double next = x - correction;
    if (!(next > 0.0)) next = 0.5 * x;
    const double step = std::abs(next - x);
    x = next;
    if (step <= 4.0 * kEpsilon * x) break;
  }
  return x;
}

}  // namespace

Result<double> NormalCdf(double x) {
  if (std::isnan(x)) return InvalidArgument("x is NaN", "x");
  return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

Result<double> NormalQuantile(double p) {
  PFOPT_RETURN_IF_ERROR(CheckProbability(p, "p"));
  if (p == 0.0) return -kInfinity;
  if (p == 1.0) return kInfinity;
  double x = Ppnd16(p);
  // One Halley step on Phi(x) - p, computed on the side where it keeps relative accuracy.
  const double f = x < 0.0 ? 0.5 * std::erfc(-x / std::sqrt(2.0)) - p
                           : (1.0 - p) - 0.5 * std::erfc(x / std::sqrt(2.0));
  const double u = f * std::sqrt(2.0 * M_PI) * std::exp(0.5 * x * x);
  if (std::isfinite(u)) x -= u / (1.0 + 0.5 * x * u);
  return x;
}

Result<double> RegularizedGammaP(double a, double x) {
  PFOPT_RETURN_IF_ERROR(CheckPositive(a, "a"));
  if (!(x >= 0.0)) return InvalidArgument("x is " + Num(x) + "; it must be >= 0", "x");
  double p = 0.0, q = 0.0;
  GammaPQ(a, x, &p, &q);
  return p;
}

Result<double> RegularizedGammaQ(double a, double x) {
  PFOPT_RETURN_IF_ERROR(CheckPositive(a, "a"));
  if (!(x >= 0.0)) return InvalidArgument("x is " + Num(x) + "; it must be >= 0", "x");
  double p = 0.0, q = 0.0;
  GammaPQ(a, x, &p, &q);
  return q;
}

Result<double> ChiSquareCdf(double x, double degrees_of_freedom) {
  PFOPT_RETURN_IF_ERROR(CheckPositive(degrees_of_freedom, "degrees_of_freedom"));
  if (std::isnan(x)) return InvalidArgument("x is NaN", "x");
  if (x <= 0.0) return 0.0;
  double p = 0.0, q = 0.0;
  GammaPQ(0.5 * degrees_of_freedom, 0.5 * x, &p, &q);
  return p;
}

Result<double> ChiSquareQuantile(double p, double degrees_of_freedom) {
  PFOPT_RETURN_IF_ERROR(CheckProbability(p, "p"));
  PFOPT_RETURN_IF_ERROR(CheckPositive(degrees_of_freedom, "degrees_of_freedom"));
  if (p == 0.0) return 0.0;
  if (p == 1.0) return kInfinity;
  return 2.0 * InverseGammaP(0.5 * degrees_of_freedom, p);
}

}  // namespace pfopt
