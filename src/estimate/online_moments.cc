#include "pfopt/estimate/online_moments.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

namespace pfopt {

namespace {

// Below this the lazily applied scale is folded into the scatter matrix, long before
// scale * entry could underflow.
constexpr double kMinScale = 1e-100;

bool AllFinite(const MatrixRef& m) { return m.allFinite(); }

}  // namespace

Status OnlineMomentsOptions::Validate() const {
  if (!std::isfinite(half_life) || half_life < 0.0) {
    return InvalidArgument("half_life is " + std::to_string(half_life) +
                               "; it must be 0 (no forgetting) or a finite number > 0",
                           "half_life");
  }
  return Ok();
}

OnlineMoments::OnlineMoments(Index dimension, const OnlineMomentsOptions& options)
    : options_(options),
      decay_(options.half_life > 0.0 ? std::exp2(-1.0 / options.half_life) : 1.0),
      mean_(Vector::Zero(dimension)),
      delta_(dimension),
      scatter_(Matrix::Zero(dimension, dimension)) {}

Result<OnlineMoments> OnlineMoments::Create(Index dimension, const OnlineMomentsOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  if (dimension < 1) {
    return InvalidArgument("dimension is " + std::to_string(dimension) + "; it must be >= 1",
                           "dimension");
  }
  return OnlineMoments(dimension, options);
}

Result<OnlineMoments> OnlineMoments::FromPrior(const VectorRef& mean, const MatrixRef& covariance,
                                               double prior_count,
                                               const OnlineMomentsOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const Index n = mean.size();
  if (n < 1) return InvalidArgument("the prior mean is empty", "mean");
  if (covariance.rows() != n || covariance.cols() != n) {
    return DimensionMismatch("the prior covariance is " + std::to_string(covariance.rows()) + "x" +
                                 std::to_string(covariance.cols()) + " for a mean of " +
                                 std::to_string(n) + " entries",
                             "covariance");
  }
  if (!std::isfinite(prior_count) || !(prior_count == 0.0 || prior_count >= 1.0)) {
    return InvalidArgument("prior_count is " + std::to_string(prior_count) +
                               "; it must be 0 (no prior) or a finite number >= 1",
                           "prior_count");
  }
  OnlineMoments moments(n, options);
  if (prior_count == 0.0) return moments;
  if (!AllFinite(mean)) return InvalidArgument("the prior mean has a non-finite entry", "mean");
  if (!AllFinite(covariance)) {
    return InvalidArgument("the prior covariance has a non-finite entry", "covariance");
  }
  for (Index i = 0; i < n; ++i) {
    if (covariance(i, i) < 0.0) {
      return InvalidArgument("the prior variance of variable " + std::to_string(i) + " is " +
                                 std::to_string(covariance(i, i)) + "; it cannot be negative",
                             "covariance");
    }
    for (Index j = 0; j < i; ++j) {
      const double a = covariance(i, j), b = covariance(j, i);
      if (std::abs(a - b) > 1e-9 * std::max({std::abs(a), std::abs(b), 1e-300})) {
        return InvalidArgument("the prior covariance is not symmetric at (" + std::to_string(i) +
                                   ", " + std::to_string(j) + ")",
                               "covariance");
      }
    }
  }
  moments.mean_ = mean;
  moments.scatter_ = (prior_count - 1.0) * covariance;
  moments.weight_sum_ = prior_count;
  moments.weight_square_sum_ = prior_count;
  moments.observations_ = prior_count;
  return moments;
}

Result<OnlineMoments> OnlineMoments::FromState(State state, const OnlineMomentsOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const Index n = state.mean.size();
  if (n < 1) return InvalidArgument("the saved mean is empty", "mean");
  if (state.scatter.rows() != n || state.scatter.cols() != n) {
    return DimensionMismatch("the saved scatter matrix does not match the mean's size", "scatter");
  }
  if (!AllFinite(state.mean) || !AllFinite(state.scatter) || !std::isfinite(state.weight_sum) ||
      !std::isfinite(state.weight_square_sum) || !std::isfinite(state.observations) ||
      !std::isfinite(state.scatter_scale) || !(state.scatter_scale > 0.0) ||
      state.weight_sum < 0.0 || state.weight_square_sum < 0.0 || state.observations < 0.0) {
    return InvalidArgument("the saved statistics have a non-finite or negative value", "state");
  }
  OnlineMoments moments(n, options);
  moments.mean_ = std::move(state.mean);
  moments.scatter_ = std::move(state.scatter);
  moments.scale_ = state.scatter_scale;
  moments.weight_sum_ = state.weight_sum;
  moments.weight_square_sum_ = state.weight_square_sum;
  moments.observations_ = state.observations;
  return moments;
}

Status OnlineMoments::Add(const VectorRef& observation) {
  if (observation.size() != dimension()) {
    return DimensionMismatch("the observation has " + std::to_string(observation.size()) +
                                 " entries; the statistics have " + std::to_string(dimension()),
                             "observation");
  }
  if (!observation.allFinite()) {
    return InvalidArgument("the observation has a non-finite entry", "observation");
  }
  const double previous = decay_ * weight_sum_;  // lambda W_{k-1}
  if (decay_ != 1.0) {
    scale_ *= decay_;
    weight_square_sum_ *= decay_ * decay_;
  }
  weight_sum_ = previous + 1.0;
  weight_square_sum_ += 1.0;
  observations_ += 1.0;
  delta_.noalias() = observation - mean_;
  mean_.noalias() += delta_ / weight_sum_;
  const double coefficient = previous / weight_sum_ / scale_;
  if (coefficient != 0.0) {
    scatter_.selfadjointView<Eigen::Lower>().rankUpdate(delta_, coefficient);
  }
  if (scale_ < kMinScale) Renormalize();
  return Ok();
}

void OnlineMoments::Renormalize() {
  scatter_.triangularView<Eigen::Lower>() *= scale_;
  scale_ = 1.0;
}

bool OnlineMoments::CovarianceInto(Matrix* out) const {
  const double denominator =
      weight_sum_ > 0.0 ? weight_sum_ - weight_square_sum_ / weight_sum_ : 0.0;
  if (!(denominator > 0.0)) return false;
  const Index n = dimension();
  out->resize(n, n);
  const double factor = scale_ / denominator;
  for (Index j = 0; j < n; ++j) {
    for (Index i = j; i < n; ++i) {
      const double value = factor * scatter_(i, j);
      (*out)(i, j) = value;
      (*out)(j, i) = value;
    }
  }
  return true;
}

Result<Matrix> OnlineMoments::Covariance() const {
  Matrix covariance;
  if (!CovarianceInto(&covariance)) {
    return InvalidArgument("the covariance needs more than one observation's worth of weight (" +
                               std::to_string(observations_) + " observations so far)",
                           "observations");
  }
  return covariance;
}

OnlineMoments::State OnlineMoments::state() const {
  State state;
  state.mean = mean_;
  state.scatter = scatter_;
  state.scatter.triangularView<Eigen::StrictlyUpper>() = scatter_.transpose();
  state.scatter_scale = scale_;
  state.weight_sum = weight_sum_;
  state.weight_square_sum = weight_square_sum_;
  state.observations = observations_;
  return state;
}

}  // namespace pfopt
