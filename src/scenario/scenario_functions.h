// The functions of the scenario optimisers, with analytic first and second derivatives, for
// the SQP method (sqp.h): portfolio returns per trial (buy-and-hold or rebalanced), the
// annualised expected return, quadratic forms (variance, volatility) and the tail mean
// (CVaR) as a piecewise minimum over subsets of trials.
#ifndef PFOPT_SCENARIO_SCENARIO_FUNCTIONS_H_
#define PFOPT_SCENARIO_SCENARIO_FUNCTIONS_H_

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "pfopt/core/types.h"
#include "pfopt/data/scenario_cube.h"
#include "scenario/selection.h"
#include "scenario/sqp.h"

namespace pfopt::scenario::internal {

// r_i(w), the cumulative return of trial i over the first `periods` periods, and its
// derivatives. Buy-and-hold: r = G w (linear). Rebalanced: r_i = prod_t (1 + R_t,i w) - 1.
// With `zero_first`, the weight of asset 0 is replaced by 0 (active figures) and the
// derivatives with respect to it are 0.
class ReturnModel {
 public:
  // `cumulative` (trials x assets, the G of these periods) is used for buy-and-hold; the
  // cube for rebalancing. Both must outlive the model.
  ReturnModel(const ScenarioCube* cube, Index periods, const Matrix* cumulative, bool rebalance,
              bool zero_first);

  struct Evaluation {
    Vector w;                          // the (masked) weights evaluated
    Vector r;                          // returns per trial
    Vector growth;                     // 1 + r (rebalanced: the product, computed directly)
    const Matrix* jacobian = nullptr;  // trials x assets; null when not computed
    Matrix own_jacobian;               // storage for the rebalanced Jacobian
  };

  bool linear() const { return !rebalance_; }
  // Buy-and-hold: dr/dw = G (masked when zero_first).
  const Matrix& linear_jacobian() const { return zero_first_ ? masked_cumulative_ : *cumulative_; }
  Index num_trials() const { return trials_; }
  Index num_assets() const { return assets_; }

  void Evaluate(const Vector& w, bool jacobian, Evaluation* out) const;
  // *hessian += scale * sum_i c_i Hess r_i at the evaluation point (rebalanced only; the
  // buy-and-hold r is linear). `c` has one entry per trial. With Hess r_i =
  // J_i J_i' / P_i - P_i sum_t a_ti a_ti' / u_ti^2 (P_i = 1 + r_i, u_ti = 1 + a_ti w), the
  // second term is `period_term` = PeriodCurvature(at, c .* P) when given (it costs a pass over
  // the cube; callers may reuse it from a nearby point).
  void AddCurvature(const Evaluation& at, const Vector& c, double scale, Matrix* hessian,
                    const Matrix* period_term = nullptr) const;
  // sum_t R_t' diag(weights ./ u_t^2) R_t at the evaluation point (masked), assets x assets.
  Matrix PeriodCurvature(const Evaluation& at, const Vector& weights) const;
  // Same with c_i = weight for i in `trials`, 0 elsewhere.
  void AddCurvatureSubset(const Evaluation& at, const std::vector<std::int32_t>& trials,
                          double weight, double scale, Matrix* hessian) const;

 private:
  Vector Masked(const Vector& w) const;
  const ScenarioCube* cube_;
  Index periods_;
  const Matrix* cumulative_;
  Matrix masked_cumulative_;  // G with column 0 zeroed (zero_first, buy-and-hold)
  bool rebalance_;
  bool zero_first_;
  Index trials_, assets_;
};

// E(w) = mean_i sign(1 + r_i) |1 + r_i|^(1/years) - 1.
class ExpectedReturnFunction : public SmoothFunction {
 public:
  ExpectedReturnFunction(const ReturnModel* model, double years);
  double Evaluate(const Vector& x, Vector* gradient) override;
  void AddHessian(const Vector& x, double scale, Matrix* hessian) override;
  bool HasHessian() const override { return true; }
  // min_i (1 + r_i) at the last evaluation (E is concave where it is positive).
  double last_min_growth() const { return last_min_growth_; }

 private:
  void Prepare(const Vector& x, bool jacobian);
  const ReturnModel* model_;
  double exponent_;
  Vector last_x_;
  ReturnModel::Evaluation at_;
  bool have_jacobian_ = false;
  Vector power_;  // sign(1 + r) |1 + r|^p
  double last_min_growth_ = kNaN;
  // Rebalanced: the period part of the curvature and where it was computed. It is reused while
  // the weights stay within kCurvatureRefresh of that point: the Hessian only shapes the step,
  // and this saves a pass over the cube per iteration near the optimum.
  Matrix period_term_;
  Vector period_term_x_;
};

// scale * (w' Q w) + offset.
class QuadraticFunction : public SmoothFunction {
 public:
  QuadraticFunction(const Matrix* q, double scale, double offset)
      : q_(q), scale_(scale), offset_(offset) {}
  double Evaluate(const Vector& x, Vector* gradient) override;
  void AddHessian(const Vector& x, double scale, Matrix* hessian) override;
  bool HasHessian() const override { return true; }

 private:
  const Matrix* q_;
  double scale_, offset_;
};

// sqrt(w' Q w).
class NormFunction : public SmoothFunction {
 public:
  explicit NormFunction(const Matrix* q) : q_(q) {}
  double Evaluate(const Vector& x, Vector* gradient) override;
  void AddHessian(const Vector& x, double scale, Matrix* hessian) override;
  bool HasHessian() const override { return true; }

 private:
  const Matrix* q_;
};

// scale * f(x) + offset.
class AffineOf : public SmoothFunction {
 public:
  AffineOf(SmoothFunction* f, double scale, double offset)
      : f_(f), scale_(scale), offset_(offset) {}
  double Evaluate(const Vector& x, Vector* gradient) override;
  void AddHessian(const Vector& x, double scale, Matrix* hessian) override;
  bool HasHessian() const override { return f_->HasHessian(); }

 private:
  SmoothFunction* f_;
  double scale_, offset_;
};

// The mean of the k smallest r_i(w): min over subsets S of k trials of mean_{i in S} r_i(w),
// each subset a piece (the CVaR of the optimisers; docs/scenario.md).
class TailMeanFunction : public PiecewiseMinimum {
 public:
  TailMeanFunction(const ReturnModel* model, Index k);
  double Evaluate(const Vector& x, int* piece) override;
  double Value(const Vector& x) override;
  double PieceAt(int piece, Vector* gradient) override;
  double Model(const Vector& z, int* piece) override;
  bool LinearPieces() const override { return model_->linear(); }
  void AddPieceHessian(int piece, const Vector& x, double scale, Matrix* hessian) override;
  Index num_pieces() const { return static_cast<Index>(pieces_.size()); }

 private:
  int Register(std::vector<std::int32_t> subset);
  double SubsetMean(const Vector& values, const std::vector<std::int32_t>& subset) const;

  const ReturnModel* model_;
  Index k_;
  Vector at_x_;                 // linearisation point
  ReturnModel::Evaluation at_;  // evaluation there
  ReturnModel::Evaluation scratch_;
  TailSelector selector_;
  std::vector<std::vector<std::int32_t>> pieces_;
  std::vector<Vector> linear_gradient_;  // buy-and-hold: mean of the subset's rows of G
  std::unordered_map<std::uint64_t, std::vector<int>> by_hash_;
};

}  // namespace pfopt::scenario::internal

#endif  // PFOPT_SCENARIO_SCENARIO_FUNCTIONS_H_
