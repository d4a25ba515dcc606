#include "pfopt/optimize/hierarchical_risk_parity.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>

#include "optimize/allocation_common.h"
#include "pfopt/estimate/risk_models.h"

namespace pfopt {

namespace {

using Clock = std::chrono::steady_clock;
using internal::FormatValue;

// Distances between the items i < j of n, stored as scipy's condensed vector (row-major strict
// upper triangle).
class CondensedDistances {
 public:
  explicit CondensedDistances(const MatrixRef& full) : n_(full.rows()) {
    values_.resize(static_cast<std::size_t>(n_ * (n_ - 1) / 2));
    std::size_t k = 0;
    for (Index i = 0; i < n_; ++i) {
      for (Index j = i + 1; j < n_; ++j) values_[k++] = full(i, j);
    }
  }
  double& operator()(Index i, Index j) { return values_[Position(i, j)]; }
  double operator()(Index i, Index j) const { return values_[Position(i, j)]; }

 private:
  std::size_t Position(Index i, Index j) const {
    if (i > j) std::swap(i, j);
    return static_cast<std::size_t>(n_ * i - i * (i + 1) / 2 + j - i - 1);
  }
  Index n_;
  std::vector<double> values_;
};

// Single linkage as the minimum spanning tree, grown from item 0 (scipy's mst_single_linkage):
// each step adds the outside item nearest to the tree, the first one on ties.
std::vector<Linkage::Merge> SingleLinkageMerges(const CondensedDistances& d, Index n) {
  std::vector<Linkage::Merge> merges;
  merges.reserve(static_cast<std::size_t>(n - 1));
  std::vector<char> merged(static_cast<std::size_t>(n), 0);
  std::vector<double> nearest(static_cast<std::size_t>(n), kInfinity);
  Index x = 0;
  for (Index k = 0; k + 1 < n; ++k) {
    double current_min = kInfinity;
    Index y = -1;
    merged[static_cast<std::size_t>(x)] = 1;
    for (Index i = 0; i < n; ++i) {
      if (merged[static_cast<std::size_t>(i)]) continue;
      double& best = nearest[static_cast<std::size_t>(i)];
      const double dist = d(x, i);
      if (best > dist) best = dist;
      if (best < current_min) {
        y = i;
        current_min = best;
      }
    }
    merges.push_back({x, y, current_min, 0});
    x = y;
  }
  return merges;
}

// Lance-Williams update of the distance from cluster i to the union of x and y.
double UpdatedDistance(LinkageMethod method, double d_xi, double d_yi, double d_xy, double size_x,
                       double size_y, double size_i) {
  switch (method) {
    case LinkageMethod::kSingle:
      return std::min(d_xi, d_yi);
    case LinkageMethod::kComplete:
      return std::max(d_xi, d_yi);
    case LinkageMethod::kAverage:
      return (size_x * d_xi + size_y * d_yi) / (size_x + size_y);
    case LinkageMethod::kWard: {
      const double t = 1.0 / (size_x + size_y + size_i);
      return std::sqrt((size_i + size_x) * t * d_xi * d_xi + (size_i + size_y) * t * d_yi * d_yi -
                       size_i * t * d_xy * d_xy);
    }
  }
  return kNaN;
}

// The nearest-neighbour chain algorithm (scipy's nn_chain): follow nearest neighbours until
// two clusters are each other's nearest, merge them (the merged cluster takes the larger
// index), update its distances by Lance-Williams. Exact for the reducible linkages (average,
// complete, ward, single); O(n^2) time.
std::vector<Linkage::Merge> NearestNeighbourChainMerges(CondensedDistances d, Index n,
                                                        LinkageMethod method) {
  std::vector<Linkage::Merge> merges;
  merges.reserve(static_cast<std::size_t>(n - 1));
  std::vector<Index> size(static_cast<std::size_t>(n), 1);
  std::vector<Index> chain;
  chain.reserve(static_cast<std::size_t>(n));
  for (Index k = 0; k + 1 < n; ++k) {
    if (chain.empty()) {
      for (Index i = 0; i < n; ++i) {
        if (size[static_cast<std::size_t>(i)] > 0) {
          chain.push_back(i);
          break;
        }
      }
    }
    Index x = 0, y = 0;
    double current_min = kInfinity;
    while (true) {
      x = chain.back();
      // Prefer the previous element of the chain on ties, so that the chain cannot cycle.
      if (chain.size() > 1) {
        y = chain[chain.size() - 2];
        current_min = d(x, y);
      } else {
        current_min = kInfinity;
      }
      for (Index i = 0; i < n; ++i) {
        if (size[static_cast<std::size_t>(i)] == 0 || i == x) continue;
        const double dist = d(x, i);
        if (dist < current_min) {
          current_min = dist;
          y = i;
        }
      }
      if (chain.size() > 1 && y == chain[chain.size() - 2]) break;
      chain.push_back(y);
    }
    chain.pop_back();
    chain.pop_back();
    if (x > y) std::swap(x, y);
    const Index nx = size[static_cast<std::size_t>(x)];
    const Index ny = size[static_cast<std::size_t>(y)];
    merges.push_back({x, y, current_min, nx + ny});
    size[static_cast<std::size_t>(x)] = 0;
    size[static_cast<std::size_t>(y)] = nx + ny;
    for (Index i = 0; i < n; ++i) {
      const Index ni = size[static_cast<std::size_t>(i)];
      if (ni == 0 || i == y) continue;
      d(i, y) = UpdatedDistance(method, d(i, x), d(i, y), current_min, static_cast<double>(nx),
                                static_cast<double>(ny), static_cast<double>(ni));
    }
  }
  return merges;
}

// Sorts the merges stably by distance and relabels them: each merge joins the current roots of
// its two items (union-find), the smaller id on the left, and creates cluster n + k.
Linkage Label(std::vector<Linkage::Merge> merges, Index n) {
  std::stable_sort(
      merges.begin(), merges.end(),
      [](const Linkage::Merge& a, const Linkage::Merge& b) { return a.distance < b.distance; });
  std::vector<Index> parent(static_cast<std::size_t>(2 * n - 1));
  std::iota(parent.begin(), parent.end(), Index{0});
  std::vector<Index> size(static_cast<std::size_t>(2 * n - 1), 1);
  auto find = [&](Index x) {
    Index root = x;
    while (parent[static_cast<std::size_t>(root)] != root)
      root = parent[static_cast<std::size_t>(root)];
    while (parent[static_cast<std::size_t>(x)] != root) {
      const Index next = parent[static_cast<std::size_t>(x)];
      parent[static_cast<std::size_t>(x)] = root;
      x = next;
    }
    return root;
  };
  Linkage linkage;
  linkage.num_items = n;
  for (std::size_t k = 0; k < merges.size(); ++k) {
    const Index a = find(merges[k].left);
    const Index b = find(merges[k].right);
    const Index created = n + static_cast<Index>(k);
    parent[static_cast<std::size_t>(a)] = created;
    parent[static_cast<std::size_t>(b)] = created;
    size[static_cast<std::size_t>(created)] =
        size[static_cast<std::size_t>(a)] + size[static_cast<std::size_t>(b)];
    linkage.merges.push_back({std::min(a, b), std::max(a, b), merges[k].distance,
                              size[static_cast<std::size_t>(created)]});
  }
  return linkage;
}

Status CheckSquare(const MatrixRef& m, const char* field) {
  if (m.rows() != m.cols()) {
    return DimensionMismatch(std::string(field) + " is " + std::to_string(m.rows()) + "x" +
                                 std::to_string(m.cols()) + "; it must be square",
                             field);
  }
  return Ok();
}

// Inverse-variance portfolio variance of the contiguous block [begin, end) of the ordered
// covariance (PyPortfolioOpt's _get_cluster_var).
double ClusterVariance(const Matrix& ordered, Index begin, Index end) {
  const Index m = end - begin;
  const Vector u = ordered.diagonal().segment(begin, m).cwiseInverse();
  const Vector w = u / u.sum();
  return w.dot(ordered.block(begin, begin, m, m) * w);
}

}  // namespace

Result<Linkage> ComputeLinkage(const MatrixRef& distances, LinkageMethod method) {
  PFOPT_RETURN_IF_ERROR(CheckSquare(distances, "distances"));
  const Index n = distances.rows();
  if (n == 0)
    return InvalidArgument("distances is empty; clustering needs at least 1 item", "distances");
  for (Index i = 0; i < n; ++i) {
    for (Index j = i + 1; j < n; ++j) {
      const double v = distances(i, j);
      if (!std::isfinite(v) || v < 0.0) {
        return InvalidArgument("distances(" + std::to_string(i) + ", " + std::to_string(j) +
                                   ") is " + FormatValue(v) + "; distances must be finite and >= 0",
                               "distances");
      }
    }
  }
  if (n == 1) {
    Linkage single;
    single.num_items = 1;
    return single;
  }
  const CondensedDistances condensed(distances);
  std::vector<Linkage::Merge> merges = method == LinkageMethod::kSingle
                                           ? SingleLinkageMerges(condensed, n)
                                           : NearestNeighbourChainMerges(condensed, n, method);
  return Label(std::move(merges), n);
}

std::vector<Index> LeafOrder(const Linkage& linkage) {
  const Index n = linkage.num_items;
  std::vector<Index> order;
  order.reserve(static_cast<std::size_t>(n));
  if (n <= 0) return order;
  if (n == 1) return {0};
  // Depth-first, left child first, with an explicit stack (single linkage trees can be n deep).
  std::vector<Index> stack = {2 * n - 2};
  while (!stack.empty()) {
    const Index node = stack.back();
    stack.pop_back();
    if (node < n) {
      order.push_back(node);
      continue;
    }
    const Linkage::Merge& m = linkage.merges[static_cast<std::size_t>(node - n)];
    stack.push_back(m.right);
    stack.push_back(m.left);
  }
  return order;
}

Result<Matrix> CorrelationDistance(const MatrixRef& correlation) {
  PFOPT_RETURN_IF_ERROR(CheckSquare(correlation, "correlation"));
  const Index n = correlation.rows();
  Matrix d(n, n);
  for (Index j = 0; j < n; ++j) {
    for (Index i = 0; i < n; ++i) {
      const double rho = correlation(i, j);
      if (!std::isfinite(rho)) {
        return InvalidArgument("correlation(" + std::to_string(i) + ", " + std::to_string(j) +
                                   ") is " + FormatValue(rho) + "; it must be finite",
                               "correlation");
      }
      d(i, j) = std::sqrt(std::clamp((1.0 - rho) / 2.0, 0.0, 1.0));
    }
  }
  return d;
}

Matrix DistanceOfDistances(const MatrixRef& distances) {
  const Index n = distances.cols();
  Matrix out(n, n);
  for (Index j = 0; j < n; ++j) {
    out(j, j) = 0.0;
    for (Index i = j + 1; i < n; ++i) {
      const double value = (distances.col(i) - distances.col(j)).norm();
      out(i, j) = value;
      out(j, i) = value;
    }
  }
  return out;
}

Status HrpOptions::Validate() const {
  if (!std::isfinite(risk_free_rate)) {
    return InvalidArgument(
        "risk_free_rate is " + FormatValue(risk_free_rate) + "; it must be finite",
        "risk_free_rate");
  }
  if (!(std::isfinite(constraint_tolerance) && constraint_tolerance > 0.0)) {
    return InvalidArgument("constraint_tolerance must be a finite number > 0",
                           "constraint_tolerance");
  }
  return Ok();
}

Result<HrpResult> OptimizeHierarchicalRiskParity(const PortfolioProblem& problem,
                                                 const HrpOptions& options) {
  return OptimizeHierarchicalRiskParity(problem, CovarianceToCorrelation(problem.covariance),
                                        options);
}

Result<HrpResult> OptimizeHierarchicalRiskParity(const PortfolioProblem& problem,
                                                 const MatrixRef& correlation,
                                                 const HrpOptions& options) {
  PFOPT_RETURN_IF_ERROR(problem.Validate());
  PFOPT_RETURN_IF_ERROR(options.Validate());
  const PortfolioConstraints& c = problem.constraints;
  PFOPT_RETURN_IF_ERROR(internal::RejectNonBoxConstraints(c, "hierarchical risk parity"));
  const Index n = problem.num_assets();
  PFOPT_RETURN_IF_ERROR(internal::CheckSquareOfSize(correlation, n, "correlation", "assets"));
  const Matrix& sigma = problem.covariance;
  for (Index i = 0; i < n; ++i) {
    if (!(sigma(i, i) > 0.0)) {
      return InvalidArgument("asset '" + problem.assets[static_cast<std::size_t>(i)] +
                                 "' has variance " + FormatValue(sigma(i, i)) +
                                 "; inverse-variance weights need a positive variance",
                             "covariance");
    }
  }
  const auto start = Clock::now();
  HrpResult result;
  result.status = OptimizationStatus::kOptimal;
  const Vector lower = EffectiveLowerBounds(c, n);
  const Vector upper = EffectiveUpperBounds(c, n);
  if (!internal::BoundsAdmitBudget(lower, upper, c.budget, &result)) {
    result.solve_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return result;
  }

  auto distances = CorrelationDistance(correlation);
  if (!distances) return tl::unexpected(distances.error());
  if (options.distance == HrpDistance::kDistanceOfDistances) {
    *distances = DistanceOfDistances(*distances);
  }
  auto linkage = ComputeLinkage(*distances, options.linkage);
  if (!linkage) return tl::unexpected(linkage.error());
  result.linkage = std::move(*linkage);
  result.leaf_order = LeafOrder(result.linkage);

  // Everything below works on the quasi-diagonal order, where each cluster of the bisection is
  // a contiguous block.
  const std::vector<Index>& order = result.leaf_order;
  Matrix ordered(n, n);
  Vector lo(n), hi(n);
  for (Index j = 0; j < n; ++j) {
    const Index aj = order[static_cast<std::size_t>(j)];
    for (Index i = 0; i < n; ++i) ordered(i, j) = sigma(order[static_cast<std::size_t>(i)], aj);
    lo[j] = lower[aj];
    hi[j] = upper[aj];
  }
  // Prefix sums of the bounds give each block's total bounds in O(1).
  Vector lo_sum = Vector::Zero(n + 1), hi_sum = Vector::Zero(n + 1);
  for (Index i = 0; i < n; ++i) {
    lo_sum[i + 1] = lo_sum[i] + lo[i];
    hi_sum[i + 1] = hi_sum[i] + hi[i];
  }
  // Blocks [begin, end) with their weight, bisected level by level as PyPortfolioOpt does (the
  // order of the multiplications is the same, so the weights agree to the last bits).
  struct Block {
    Index begin, end;
    double weight;
  };
  Vector ordered_weights(n);
  std::vector<Block> level = {{0, n, c.budget}};
  bool clamped = false;
  while (!level.empty()) {
    std::vector<Block> next;
    for (const Block& block : level) {
      const Index size = block.end - block.begin;
      if (size == 1) {
        ordered_weights[block.begin] = block.weight;
        continue;
      }
      const Index middle = block.begin + size / 2;
      const double v1 = ClusterVariance(ordered, block.begin, middle);
      const double v2 = ClusterVariance(ordered, middle, block.end);
      const double alpha = 1.0 - v1 / (v1 + v2);
      double first = block.weight * alpha;
      double second = block.weight * (1.0 - alpha);
      const double first_min = std::max(lo_sum[middle] - lo_sum[block.begin],
                                        block.weight - (hi_sum[block.end] - hi_sum[middle]));
      const double first_max = std::min(hi_sum[middle] - hi_sum[block.begin],
                                        block.weight - (lo_sum[block.end] - lo_sum[middle]));
      if (first < first_min || first > first_max) {
        first = std::clamp(first, first_min, std::max(first_min, first_max));
        second = block.weight - first;
        clamped = true;
      }
      next.push_back({block.begin, middle, first});
      next.push_back({middle, block.end, second});
    }
    level = std::move(next);
  }
  Vector weights(n);
  for (Index i = 0; i < n; ++i) weights[order[static_cast<std::size_t>(i)]] = ordered_weights[i];
  if (clamped) {
    result.message = "optimal (bounds changed some splits of the bisection)";
  }
  PFOPT_RETURN_IF_ERROR(internal::FinishAllocation(
      problem, options.risk_free_rate, options.constraint_tolerance, std::move(weights), &result));
  result.solve_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace pfopt
