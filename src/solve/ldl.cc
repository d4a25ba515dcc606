#include "solve/ldl.h"

#include <algorithm>
#include <cstring>

namespace pfopt::internal {

void GrowingLdl::Reserve(Index capacity) {
  if (capacity > stride_) Grow(capacity);
}

void GrowingLdl::Grow(Index min_capacity) {
  const Index new_stride = std::max<Index>(min_capacity, std::max<Index>(8, 2 * stride_));
  std::vector<double> l(static_cast<std::size_t>(new_stride * new_stride), 0.0);
  for (Index i = 0; i < size_; ++i) {
    std::memcpy(&l[static_cast<std::size_t>(i * new_stride)],
                &l_[static_cast<std::size_t>(i * stride_)],
                static_cast<std::size_t>(i) * sizeof(double));
  }
  l_.swap(l);
  d_.resize(static_cast<std::size_t>(new_stride));
  work_.resize(static_cast<std::size_t>(new_stride));
  stride_ = new_stride;
}

double GrowingLdl::Append(const double* column, double diagonal) {
  if (size_ + 1 > stride_) Grow(size_ + 1);
  const Index k = size_;
  // Forward substitution: L y = column; then l = D^-1 y and pivot = diagonal - l'y.
  double* row = &L(k, 0);
  double pivot = diagonal;
  for (Index i = 0; i < k; ++i) {
    const double* li = &L(i, 0);
    double y = column[i];
    for (Index j = 0; j < i; ++j) y -= li[j] * work_[static_cast<std::size_t>(j)];
    work_[static_cast<std::size_t>(i)] = y;
    const double l = y / d_[static_cast<std::size_t>(i)];
    row[i] = l;
    pivot -= l * y;
  }
  d_[static_cast<std::size_t>(k)] = pivot;
  ++size_;
  return pivot;
}

void GrowingLdl::Remove(Index row) {
  const Index k = size_;
  // Rank-one update of the trailing block by alpha * w w', w = column `row` below the diagonal.
  double alpha = d_[static_cast<std::size_t>(row)];
  for (Index i = row + 1; i < k; ++i) work_[static_cast<std::size_t>(i)] = L(i, row);
  for (Index j = row + 1; j < k; ++j) {
    const double p = work_[static_cast<std::size_t>(j)];
    const double dj = d_[static_cast<std::size_t>(j)];
    const double d_new = dj + alpha * p * p;
    double beta = 0.0;
    if (d_new != 0.0) {
      beta = p * alpha / d_new;
      alpha = dj * alpha / d_new;
    }
    d_[static_cast<std::size_t>(j)] = d_new;
    for (Index i = j + 1; i < k; ++i) {
      double& w = work_[static_cast<std::size_t>(i)];
      w -= p * L(i, j);
      L(i, j) += beta * w;
    }
  }
  // Delete row and column `row`: shift the rows below up by one and their columns left by one.
  for (Index i = row + 1; i < k; ++i) {
    double* dst = &L(i - 1, 0);
    const double* src = &L(i, 0);
    if (row > 0) std::memmove(dst, src, static_cast<std::size_t>(row) * sizeof(double));
    std::memmove(dst + row, src + row + 1, static_cast<std::size_t>(i - row - 1) * sizeof(double));
    d_[static_cast<std::size_t>(i - 1)] = d_[static_cast<std::size_t>(i)];
  }
  --size_;
}

void GrowingLdl::Solve(double* rhs) const {
  const Index k = size_;
  for (Index i = 0; i < k; ++i) {
    const double* li = Row(i);
    double s = rhs[i];
    for (Index j = 0; j < i; ++j) s -= li[j] * rhs[j];
    rhs[i] = s;
  }
  for (Index i = 0; i < k; ++i) rhs[i] /= d_[static_cast<std::size_t>(i)];
  for (Index i = k - 1; i >= 0; --i) {
    const double x = rhs[i];
    if (x == 0.0) continue;
    const double* li = Row(i);
    for (Index j = 0; j < i; ++j) rhs[j] -= li[j] * x;
  }
}

void GrowingLdl::DependencyOfLastRow(double* alpha) const {
  const Index m = size_ - 1;
  const double* last = Row(m);
  for (Index i = 0; i < m; ++i) alpha[i] = last[i];
  for (Index i = m - 1; i >= 0; --i) {
    const double x = alpha[i];
    if (x == 0.0) continue;
    const double* li = Row(i);
    for (Index j = 0; j < i; ++j) alpha[j] -= li[j] * x;
  }
}

}  // namespace pfopt::internal
