// Internal: a growable LDL' factorisation of a symmetric positive (semi)definite matrix S that
// supports appending a row/column and deleting any row/column in O(k^2), for the working set
// of the dual active-set QP method (S = M_W M_W').
#ifndef PFOPT_SOLVE_LDL_H_
#define PFOPT_SOLVE_LDL_H_

#include <vector>

#include "pfopt/core/types.h"

namespace pfopt::internal {

class GrowingLdl {
 public:
  // Number of rows/columns currently factorised.
  Index size() const { return size_; }
  void Clear() { size_ = 0; }
  // Makes room for `capacity` rows without reallocating during the solve.
  void Reserve(Index capacity);

  // Appends row/column k = size(): `column` holds S(0..k-1, k), `diagonal` holds S(k, k).
  // Returns the new pivot D(k) = S(k,k) - l' D l, which is ~0 when the new row is linearly
  // dependent on the previous ones (the caller decides the tolerance).
  double Append(const double* column, double diagonal);

  // Deletes row/column `row` (0 <= row < size()), updating the factor of the rest by a
  // rank-one update of the trailing block (Gill, Golub, Murray & Saunders, method C1).
  void Remove(Index row);

  // Solves S x = rhs in place for the leading `size()` entries.
  void Solve(double* rhs) const;

  // Row `row` of the unit lower triangular factor, entries 0..row-1.
  const double* Row(Index row) const { return &l_[static_cast<std::size_t>(row * stride_)]; }
  double Pivot(Index row) const { return d_[static_cast<std::size_t>(row)]; }

  // For a last row whose pivot is ~0: solves L(0..k-2)' alpha = l_last, so that
  // S(0..k-2) alpha = S(0..k-2, k-1): the combination of the previous rows that reproduces the
  // last one. `alpha` must hold size()-1 entries.
  void DependencyOfLastRow(double* alpha) const;

 private:
  double& L(Index i, Index j) { return l_[static_cast<std::size_t>(i * stride_ + j)]; }
  double L(Index i, Index j) const { return l_[static_cast<std::size_t>(i * stride_ + j)]; }
  void Grow(Index min_capacity);

  Index size_ = 0;
  Index stride_ = 0;       // capacity: row stride of l_
  std::vector<double> l_;  // row-major, unit lower triangle (diagonal not stored as 1)
  std::vector<double> d_;
  std::vector<double> work_;
};

}  // namespace pfopt::internal

#endif  // PFOPT_SOLVE_LDL_H_
