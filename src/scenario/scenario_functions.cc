#include "scenario/scenario_functions.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace pfopt::scenario::internal {

namespace {
using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}  // namespace

// --- ReturnModel ---------------------------------------------------------------------------

ReturnModel::ReturnModel(const ScenarioCube* cube, Index periods, const Matrix* cumulative,
                         bool rebalance, bool zero_first)
    : cube_(cube),
      periods_(periods),
      cumulative_(cumulative),
      rebalance_(rebalance),
      zero_first_(zero_first),
      trials_(cumulative->rows()),
      assets_(cumulative->cols()) {
  if (zero_first_ && !rebalance_) {
    masked_cumulative_ = *cumulative_;
    masked_cumulative_.col(0).setZero();
  }
}

Vector ReturnModel::Masked(const Vector& w) const {
  if (!zero_first_) return w;
  Vector masked = w;
  masked[0] = 0.0;
  return masked;
}

void ReturnModel::Evaluate(const Vector& w, bool jacobian, Evaluation* out) const {
  out->w = Masked(w);
  if (!rebalance_) {
    out->r.noalias() = *cumulative_ * out->w;
    out->growth = out->r.array() + 1.0;
    out->jacobian = &linear_jacobian();  // constant: always available
    return;
  }
  out->growth.setOnes(trials_);
  RowMatrix accumulated;
  Vector u(trials_);
  if (jacobian) accumulated.setZero(trials_, assets_);
  for (Index t = 0; t < periods_; ++t) {
    const PeriodBlock block = cube_->Period(t);
    u.noalias() = block * out->w;
    u.array() += 1.0;
    out->growth.array() *= u.array();
    if (jacobian) {
      const Vector inverse = u.cwiseInverse();
      accumulated.noalias() += inverse.asDiagonal() * block;
    }
  }
  out->r = out->growth.array() - 1.0;
  if (jacobian) {
    out->own_jacobian = out->growth.asDiagonal() * accumulated;
    if (zero_first_) out->own_jacobian.col(0).setZero();
    out->jacobian = &out->own_jacobian;
  } else {
    out->jacobian = nullptr;
  }
}

Matrix ReturnModel::PeriodCurvature(const Evaluation& at, const Vector& weights) const {
  Matrix period_sum = Matrix::Zero(assets_, assets_);
  Vector u(trials_);
  RowMatrix weighted(trials_, assets_);
  for (Index t = 0; t < periods_; ++t) {
    const PeriodBlock block = cube_->Period(t);
    u.noalias() = block * at.w;
    u.array() += 1.0;
    const Vector s = weights.array() / u.array().square();
    weighted.noalias() = s.asDiagonal() * block;
    period_sum.noalias() += block.transpose() * weighted;
  }
  if (zero_first_) {
    period_sum.row(0).setZero();
    period_sum.col(0).setZero();
  }
  return period_sum;
}

void ReturnModel::AddCurvature(const Evaluation& at, const Vector& c, double scale, Matrix* hessian,
                               const Matrix* period_term) const {
  if (!rebalance_) return;
  const Matrix& jacobian = *at.jacobian;
  const Vector first = c.array() / at.growth.array();
  Matrix outer = jacobian.transpose() * (first.asDiagonal() * jacobian);
  if (period_term != nullptr) {
    *hessian += scale * (outer - *period_term);
  } else {
    const Vector weights = c.array() * at.growth.array();
    *hessian += scale * (outer - PeriodCurvature(at, weights));
  }
}

void ReturnModel::AddCurvatureSubset(const Evaluation& at, const std::vector<std::int32_t>& trials,
                                     double weight, double scale, Matrix* hessian) const {
  if (!rebalance_) return;
  const Matrix& jacobian = *at.jacobian;
  Matrix sum = Matrix::Zero(assets_, assets_);
  for (std::int32_t i : trials) {
    const Vector row = jacobian.row(i).transpose();
    sum.noalias() += (weight / at.growth[i]) * (row * row.transpose());
  }
  Matrix period_sum = Matrix::Zero(assets_, assets_);
  for (Index t = 0; t < periods_; ++t) {
    const PeriodBlock block = cube_->Period(t);
    for (std::int32_t i : trials) {
      const double u = 1.0 + (block.row(i) * at.w).value();
      const double s = weight * at.growth[i] / (u * u);
      period_sum.noalias() += s * (block.row(i).transpose() * block.row(i));
    }
  }
  if (zero_first_) {
    period_sum.row(0).setZero();
    period_sum.col(0).setZero();
  }
  *hessian += scale * (sum - period_sum);
}

// --- ExpectedReturnFunction ----------------------------------------------------------------

ExpectedReturnFunction::ExpectedReturnFunction(const ReturnModel* model, double years)
    : model_(model), exponent_(1.0 / years) {}

void ExpectedReturnFunction::Prepare(const Vector& x, bool jacobian) {
  // Rebalanced: the Jacobian comes from the same pass over the cube as the value, so it is
  // always computed (a line search's accepted point is the next iteration's point).
  jacobian = jacobian || !model_->linear();
  if (last_x_.size() == x.size() && last_x_ == x && (have_jacobian_ || !jacobian)) return;
  model_->Evaluate(x, jacobian, &at_);
  last_x_ = x;
  have_jacobian_ = jacobian;
  const Eigen::ArrayXd gross = at_.growth.array();
  power_ = (exponent_ * gross.abs().log()).exp();
  for (Index i = 0; i < power_.size(); ++i) {
    if (gross[i] < 0.0) power_[i] = -power_[i];
  }
  last_min_growth_ = gross.minCoeff();
}

double ExpectedReturnFunction::Evaluate(const Vector& x, Vector* gradient) {
  Prepare(x, gradient != nullptr);
  const double n = static_cast<double>(power_.size());
  if (gradient != nullptr) {
    // h'(g) = p |g|^p / |g| = p power / g.
    const Vector derivative = exponent_ * power_.array() / at_.growth.array();
    gradient->noalias() = at_.jacobian->transpose() * derivative;
    *gradient /= n;
  }
  return power_.mean() - 1.0;
}

void ExpectedReturnFunction::AddHessian(const Vector& x, double scale, Matrix* hessian) {
  Prepare(x, true);
  const double n = static_cast<double>(power_.size());
  const Eigen::ArrayXd gross = at_.growth.array();
  const Vector derivative = exponent_ * power_.array() / gross;          // h'
  const Vector second = (exponent_ - 1.0) * derivative.array() / gross;  // h''
  const Matrix& jacobian = *at_.jacobian;
  const Vector c = (scale / n) * second;
  const double sign = c.maxCoeff() <= 0.0 ? -1.0 : (c.minCoeff() >= 0.0 ? 1.0 : 0.0);
  if (sign != 0.0) {
    // Weights of one sign (the usual case: concave powers of positive growth): a symmetric
    // rank-k update with the square roots of the weights, half the work of a general product.
    const Matrix scaled = (sign * c).cwiseSqrt().asDiagonal() * jacobian;
    hessian->selfadjointView<Eigen::Lower>().rankUpdate(scaled.transpose(), sign);
    hessian->triangularView<Eigen::StrictlyUpper>() = hessian->transpose();
  } else {
    hessian->noalias() += jacobian.transpose() * (c.asDiagonal() * jacobian);
  }
  if (!model_->linear()) {
    constexpr double kCurvatureRefresh = 1e-3;
    if (period_term_x_.size() != x.size() ||
        (x - period_term_x_).cwiseAbs().maxCoeff() > kCurvatureRefresh) {
      period_term_ = model_->PeriodCurvature(at_, (derivative / n).cwiseProduct(at_.growth));
      period_term_x_ = x;
    }
    model_->AddCurvature(at_, derivative / n, scale, hessian, &period_term_);
  }
}

// --- Quadratic forms -----------------------------------------------------------------------

double QuadraticFunction::Evaluate(const Vector& x, Vector* gradient) {
  const Vector qx = *q_ * x;
  if (gradient != nullptr) *gradient = 2.0 * scale_ * qx;
  return scale_ * x.dot(qx) + offset_;
}

void QuadraticFunction::AddHessian(const Vector& /*x*/, double scale, Matrix* hessian) {
  *hessian += (2.0 * scale * scale_) * *q_;
}

double NormFunction::Evaluate(const Vector& x, Vector* gradient) {
  const Vector qx = *q_ * x;
  const double value = std::sqrt(std::max(0.0, x.dot(qx)));
  if (gradient != nullptr) *gradient = value > 0.0 ? Vector(qx / value) : Vector::Zero(x.size());
  return value;
}

void NormFunction::AddHessian(const Vector& x, double scale, Matrix* hessian) {
  const Vector qx = *q_ * x;
  const double value = std::sqrt(std::max(0.0, x.dot(qx)));
  if (!(value > 0.0)) return;
  *hessian += (scale / value) * (*q_ - qx * qx.transpose() / (value * value));
}

double AffineOf::Evaluate(const Vector& x, Vector* gradient) {
  const double value = f_->Evaluate(x, gradient);
  if (gradient != nullptr) *gradient *= scale_;
  return scale_ * value + offset_;
}

void AffineOf::AddHessian(const Vector& x, double scale, Matrix* hessian) {
  f_->AddHessian(x, scale * scale_, hessian);
}

// --- TailMeanFunction ----------------------------------------------------------------------

TailMeanFunction::TailMeanFunction(const ReturnModel* model, Index k) : model_(model), k_(k) {}

int TailMeanFunction::Register(std::vector<std::int32_t> subset) {
  std::uint64_t hash = 1469598103934665603ULL;
  for (std::int32_t i : subset) {
    hash ^= static_cast<std::uint64_t>(static_cast<std::uint32_t>(i));
    hash *= 1099511628211ULL;
  }
  auto& candidates = by_hash_[hash];
  for (int id : candidates) {
    if (pieces_[static_cast<std::size_t>(id)] == subset) return id;
  }
  const int id = static_cast<int>(pieces_.size());
  if (model_->linear()) {
    const Matrix& g = model_->linear_jacobian();
    Vector mean = Vector::Zero(g.cols());
    for (std::int32_t i : subset) mean += g.row(i).transpose();
    linear_gradient_.push_back(mean / static_cast<double>(k_));
  }
  pieces_.push_back(std::move(subset));
  candidates.push_back(id);
  return id;
}

double TailMeanFunction::SubsetMean(const Vector& values,
                                    const std::vector<std::int32_t>& subset) const {
  double sum = 0.0;
  for (std::int32_t i : subset) sum += values[i];
  return sum / static_cast<double>(k_);
}

double TailMeanFunction::Evaluate(const Vector& x, int* piece) {
  model_->Evaluate(x, !model_->linear(), &at_);
  at_x_ = x;
  std::vector<std::int32_t> subset;
  const double sum = selector_.SmallestIndices(at_.r.data(), at_.r.size(), k_, &subset);
  *piece = Register(std::move(subset));
  return sum / static_cast<double>(k_);
}

double TailMeanFunction::Value(const Vector& x) {
  model_->Evaluate(x, false, &scratch_);
  return selector_.SmallestSum(scratch_.r.data(), scratch_.r.size(), k_) / static_cast<double>(k_);
}

double TailMeanFunction::PieceAt(int piece, Vector* gradient) {
  const auto& subset = pieces_[static_cast<std::size_t>(piece)];
  if (model_->linear()) {
    *gradient = linear_gradient_[static_cast<std::size_t>(piece)];
    return gradient->dot(at_x_);
  }
  const Matrix& jacobian = *at_.jacobian;
  gradient->setZero(jacobian.cols());
  for (std::int32_t i : subset) *gradient += jacobian.row(i).transpose();
  *gradient /= static_cast<double>(k_);
  return SubsetMean(at_.r, subset);
}

double TailMeanFunction::Model(const Vector& z, int* piece) {
  std::vector<std::int32_t> subset;
  double sum = 0.0;
  if (model_->linear()) {
    model_->Evaluate(z, false, &scratch_);
    sum = selector_.SmallestIndices(scratch_.r.data(), scratch_.r.size(), k_, &subset);
  } else {
    const Vector model = at_.r + *at_.jacobian * (z - at_x_);
    sum = selector_.SmallestIndices(model.data(), model.size(), k_, &subset);
  }
  *piece = Register(std::move(subset));
  return sum / static_cast<double>(k_);
}

void TailMeanFunction::AddPieceHessian(int piece, const Vector& x, double scale, Matrix* hessian) {
  if (model_->linear()) return;
  if (!(at_x_.size() == x.size() && at_x_ == x)) {
    int ignored = -1;
    Evaluate(x, &ignored);
  }
  model_->AddCurvatureSubset(at_, pieces_[static_cast<std::size_t>(piece)],
                             1.0 / static_cast<double>(k_), scale, hessian);
}

}  // namespace pfopt::scenario::internal
