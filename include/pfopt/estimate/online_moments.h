// Online mean vector and covariance matrix: the multivariate Welford recurrence, optionally
// with exponential forgetting, seeded from prior statistics.
//
// Without forgetting (half_life = 0, the default) the statistics after k observations x_1..x_k
// are exactly the batch sample mean and covariance (ddof = 1) of those observations, to
// rounding (relative 1e-12 over 10^5 observations in the tests):
//   W_k    = k
//   mean_k = mean_{k-1} + (x_k - mean_{k-1}) / k
//   S_k    = S_{k-1} + (k - 1)/k (x_k - mean_{k-1})(x_k - mean_{k-1})'     (scatter matrix)
//   Sigma_k = S_k / (k - 1)
// With forgetting, the past weights decay by lambda = 2^(-1 / half_life) per observation
// (the newest has weight 1), which is West's (1979) weighted update:
//   W_k = lambda W_{k-1} + 1,  V_k = lambda^2 V_{k-1} + 1   (sum of weights, of squared weights)
//   mean_k = mean_{k-1} + (x_k - mean_{k-1}) / W_k
//   S_k = lambda S_{k-1} + (lambda W_{k-1} / W_k) (x_k - mean_{k-1})(x_k - mean_{k-1})'
//   Sigma_k = S_k / (W_k - V_k / W_k)           (the unbiased "reliability weights" correction)
// which equals pandas' `ewm(halflife=h, adjust=True).mean()` and `.cov(bias=False)` (checked in
// the tests against pandas output). With lambda = 1 both reduce to the plain recurrence.
//
// A prior (mean m, covariance C, count c) is taken as c unit-weight observations with that
// sample mean and covariance: W = V = c, mean = m, S = (c - 1) C. Adding observations to a
// prior made from the first c observations gives the batch statistics of all of them.
//
// Cost: O(n^2 / 2) per observation (a symmetric rank-1 update of the lower triangle).
// Units are those of the observations (the rebalancer uses per-window log returns).
#ifndef PFOPT_ESTIMATE_ONLINE_MOMENTS_H_
#define PFOPT_ESTIMATE_ONLINE_MOMENTS_H_

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt {

struct OnlineMomentsOptions {
  // Half-life of the exponential forgetting, in observations: an observation's weight halves
  // after this many newer ones. 0 (default) = no forgetting (exact sample statistics). > 0 and
  // finite otherwise; values below 1 forget very fast (0.5 keeps a quarter per step).
  double half_life = 0.0;

  Status Validate() const;
};

class OnlineMoments {
 public:
  // Everything needed to restore the statistics bit for bit (checkpoints).
  struct State {
    Vector mean;                   // n
    Matrix scatter;                // n x n, symmetric; S above is scatter_scale * scatter
    double scatter_scale = 1.0;    // > 0; kept apart so that a restore is exact to the bit
    double weight_sum = 0;         // W
    double weight_square_sum = 0;  // V
    double observations = 0;       // number of Add calls plus the prior count
  };

  // An empty accumulator for `dimension` >= 1 variables. Errors: dimension < 1, bad options.
  static Result<OnlineMoments> Create(Index dimension, const OnlineMomentsOptions& options = {});

  // An accumulator seeded with prior statistics, as `prior_count` observations with sample mean
  // `mean` and sample covariance `covariance` (ddof = 1). `prior_count` >= 0 (0 = no prior; the
  // mean and covariance are then ignored apart from their size). Errors: sizes that do not
  // agree, non-finite values, an asymmetric covariance (relative 1e-9) or a negative variance,
  // a negative or non-finite count, bad options.
  static Result<OnlineMoments> FromPrior(const VectorRef& mean, const MatrixRef& covariance,
                                         double prior_count,
                                         const OnlineMomentsOptions& options = {});

  // Restores a saved State. Errors: inconsistent sizes, non-finite values, bad options.
  static Result<OnlineMoments> FromState(State state, const OnlineMomentsOptions& options = {});

  // Adds one observation. Errors: wrong size, a non-finite entry (the state is then unchanged).
  Status Add(const VectorRef& observation);

  Index dimension() const { return mean_.size(); }
  // Number of observations, the prior count included (not decayed).
  double observations() const { return observations_; }
  // Sum of the (decayed) weights W; equals observations() without forgetting.
  double weight_sum() const { return weight_sum_; }
  // The mean vector (all zero before the first observation without a prior).
  const Vector& mean() const { return mean_; }
  // The covariance matrix (ddof = 1, or the reliability-weights correction with forgetting).
  // Errors: fewer than two observations' worth of weight (W - V/W <= 0).
  Result<Matrix> Covariance() const;
  // Writes the covariance into `out` (resized to n x n) without allocating when it already has
  // that size; returns false, leaving `out` unchanged, when Covariance() would be an error.
  bool CovarianceInto(Matrix* out) const;

  State state() const;
  const OnlineMomentsOptions& options() const { return options_; }

 private:
  OnlineMoments(Index dimension, const OnlineMomentsOptions& options);
  void Renormalize();

  OnlineMomentsOptions options_;
  double decay_ = 1.0;  // lambda
  Vector mean_;
  Vector delta_;  // scratch, n
  // The scatter matrix is scale_ * scatter_ (lower triangle kept up to date), so forgetting
  // costs one multiplication per step instead of n^2.
  Matrix scatter_;
  double scale_ = 1.0;
  double weight_sum_ = 0.0;
  double weight_square_sum_ = 0.0;
  double observations_ = 0.0;
};

}  // namespace pfopt

#endif  // PFOPT_ESTIMATE_ONLINE_MOMENTS_H_
