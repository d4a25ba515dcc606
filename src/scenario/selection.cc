#include "scenario/selection.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace pfopt::scenario::internal {

void TailSelector::Candidates(const double* values, Index n, Index count) {
  double threshold = std::numeric_limits<double>::infinity();
  // Below ~2000 values the sample saves nothing.
  if (n >= 2048 && count < n / 2) {
    const Index stride = n / 1024;
    sample_.clear();
    for (Index i = 0; i < n; i += stride) sample_.push_back(values[i]);
    const Index m = static_cast<Index>(sample_.size());
    // Expected rank of the count-th smallest in the sample, with a 25 % margin and 8 more.
    const Index q = static_cast<Index>(std::ceil(1.25 * static_cast<double>(count) *
                                                 static_cast<double>(m) / static_cast<double>(n))) +
                    8;
    if (q < m) {
      std::nth_element(sample_.begin(), sample_.begin() + q, sample_.end());
      threshold = sample_[static_cast<std::size_t>(q)];
    }
  }
  indices_.resize(static_cast<std::size_t>(n) + 1);
  std::int32_t* out = indices_.data();
  Index found = 0;
  if (std::isinf(threshold)) {
    for (Index i = 0; i < n; ++i) out[i] = static_cast<std::int32_t>(i);
    found = n;
  } else {
    for (Index i = 0; i < n; ++i) {
      out[found] = static_cast<std::int32_t>(i);
      found += values[i] <= threshold ? 1 : 0;
    }
    if (found < count) {  // the sample was unlucky: take everything
      for (Index i = 0; i < n; ++i) out[i] = static_cast<std::int32_t>(i);
      found = n;
    }
  }
  indices_.resize(static_cast<std::size_t>(found));
  candidate_values_.resize(static_cast<std::size_t>(found));
  for (Index c = 0; c < found; ++c) {
    candidate_values_[static_cast<std::size_t>(c)] = values[indices_[static_cast<std::size_t>(c)]];
  }
}

double TailSelector::SmallestIndices(const double* values, Index n, Index count,
                                     std::vector<std::int32_t>* indices) {
  Candidates(values, n, count);
  work_ = candidate_values_;
  std::nth_element(work_.begin(), work_.begin() + (count - 1), work_.end());
  const double threshold = work_[static_cast<std::size_t>(count - 1)];
  Index below = 0;
  for (double v : candidate_values_) below += v < threshold ? 1 : 0;
  Index ties = count - below;
  indices->clear();
  indices->reserve(static_cast<std::size_t>(count));
  double sum = 0.0;
  for (std::size_t c = 0; c < indices_.size(); ++c) {
    const double v = candidate_values_[c];
    if (v < threshold || (v == threshold && ties-- > 0)) {
      indices->push_back(indices_[c]);
      sum += v;
    }
  }
  return sum;
}

double TailSelector::SmallestSum(const double* values, Index n, Index count) {
  Candidates(values, n, count);
  work_ = candidate_values_;
  std::nth_element(work_.begin(), work_.begin() + (count - 1), work_.end());
  double sum = 0.0;
  for (Index i = 0; i < count; ++i) sum += work_[static_cast<std::size_t>(i)];
  return sum;
}

void TailSelector::OrderStatistics(const double* values, Index n, Index m, double* at_m,
                                   double* after_m) {
  const Index count = std::min(n, m + 2);
  Candidates(values, n, count);
  work_ = candidate_values_;
  std::nth_element(work_.begin(), work_.begin() + m, work_.end());
  *at_m = work_[static_cast<std::size_t>(m)];
  *after_m = m + 1 < static_cast<Index>(work_.size())
                 ? *std::min_element(work_.begin() + m + 1, work_.end())
                 : *at_m;
}

}  // namespace pfopt::scenario::internal
