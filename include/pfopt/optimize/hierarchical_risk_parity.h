// Hierarchical risk parity (Lopez de Prado, 2016), as PyPortfolioOpt 1.5.6's HRPOpt computes it.
//
//   1. Distances: d_ij = sqrt((1 - rho_ij) / 2) from the correlation matrix (clipped to [0, 1]).
//      Option DISTANCE_OF_DISTANCES: the paper's second step, the Euclidean distance between
//      the columns of d, D_ij = sqrt(sum_k (d_ki - d_kj)^2), clustered instead of d.
//   2. Agglomerative clustering of the distances (single linkage by default; average,
//      complete, ward). The clustering is written here and follows scipy.cluster.hierarchy's
//      algorithms and tie rules (minimum spanning tree for single linkage, nearest-neighbour
//      chain for the others, merges stably sorted by distance, the smaller cluster id on the
//      left), so that the tree and the leaf order match scipy's.
//   3. Quasi-diagonalisation: the leaves in pre-order (left subtree first).
//   4. Recursive bisection of that ordered list by position (first half = the first
//      floor(m / 2) items): each half's variance V = u'Sigma u with u its inverse-variance
//      weights (u_i proportional to 1 / Sigma_ii), and the first half receives the share
//      alpha = 1 - V1 / (V1 + V2) of the parent's weight, the second half 1 - alpha.
//
// Weights are returned in input order (PyPortfolioOpt sorts them by ticker). They are positive
// and sum to the budget.
//
// Constraints: per-asset bounds and the budget (> 0). Bounds enter the bisection: each split
// of a parent weight W between halves L and R is clamped to
// [max(sum lb_L, W - sum ub_R), min(sum ub_L, W - sum lb_R)], so that both halves can still meet
// their members' bounds; without binding bounds nothing changes. Sector limits, turnover and
// leverage limits cannot be honoured by the method: a problem with any of them is an Error.
#ifndef PFOPT_OPTIMIZE_HIERARCHICAL_RISK_PARITY_H_
#define PFOPT_OPTIMIZE_HIERARCHICAL_RISK_PARITY_H_

#include <string>
#include <vector>

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/optimize/mean_variance.h"
#include "pfopt/optimize/performance.h"
#include "pfopt/optimize/portfolio_problem.h"

namespace pfopt {

// How the distance between two clusters follows from the distances of their members
// (Lance-Williams updates, as scipy.cluster.hierarchy.linkage defines them).
enum class LinkageMethod {
  kSingle,    // nearest members
  kAverage,   // mean distance over all pairs of members (UPGMA)
  kComplete,  // farthest members
  kWard,      // Ward's minimum-variance update on the given distances
};

template <>
struct EnumNames<LinkageMethod> {
  static constexpr std::array<std::pair<LinkageMethod, std::string_view>, 4> kNames{
      {{LinkageMethod::kSingle, "SINGLE"},
       {LinkageMethod::kAverage, "AVERAGE"},
       {LinkageMethod::kComplete, "COMPLETE"},
       {LinkageMethod::kWard, "WARD"}}};
};

// What is clustered.
enum class HrpDistance {
  // d_ij = sqrt((1 - rho_ij) / 2): PyPortfolioOpt, Riskfolio-Lib and most implementations.
  kCorrelation,
  // The original paper's D_ij = ||d_.i - d_.j||_2 over the columns of d ("distance of
  // distances"): it compares assets by their whole correlation profile.
  kDistanceOfDistances,
};

template <>
struct EnumNames<HrpDistance> {
  static constexpr std::array<std::pair<HrpDistance, std::string_view>, 2> kNames{
      {{HrpDistance::kCorrelation, "CORRELATION"},
       {HrpDistance::kDistanceOfDistances, "DISTANCE_OF_DISTANCES"}}};
};

// A hierarchical clustering of n items in scipy's linkage-matrix convention: merge k (0-based)
// joins clusters `left` and `right` into the new cluster n + k; ids below n are the items.
// Merges are in order of non-decreasing distance and left < right.
struct Linkage {
  struct Merge {
    Index left = 0;
    Index right = 0;
    double distance = 0.0;
    Index size = 0;  // number of items in the new cluster
  };
  Index num_items = 0;
  std::vector<Merge> merges;  // num_items - 1 entries
};

// Agglomerative clustering of a symmetric n x n distance matrix (only the strict upper
// triangle is read; n >= 1). Errors: a non-square matrix, a non-finite or negative distance.
Result<Linkage> ComputeLinkage(const MatrixRef& distances, LinkageMethod method);

// The items of the tree in pre-order (left subtree first): scipy's to_tree(Z).pre_order(), the
// "quasi-diagonal" order of HRP.
std::vector<Index> LeafOrder(const Linkage& linkage);

// d_ij = sqrt(clip((1 - rho_ij) / 2, 0, 1)). Errors: non-square or non-finite correlation.
Result<Matrix> CorrelationDistance(const MatrixRef& correlation);

// D_ij = sqrt(sum_k (d_ki - d_kj)^2), the Euclidean distance between the columns of d.
Matrix DistanceOfDistances(const MatrixRef& distances);

struct HrpOptions {
  LinkageMethod linkage = LinkageMethod::kSingle;  // PyPortfolioOpt's default
  HrpDistance distance = HrpDistance::kCorrelation;
  // Annualised rate for the Sharpe ratio of the reported performance.
  double risk_free_rate = 0.0;
  // Absolute tolerance of the constraints re-check (weight units). Default 1e-8.
  double constraint_tolerance = 1e-8;

  Status Validate() const;
};

// The common fields (status, weights in input order, performance, constraint re-check,
// timings) are those of OptimizationResult; `objective_value` is NaN (HRP has no objective
// function) and `iterations` 0.
struct HrpResult : OptimizationResult {
  std::vector<Index> leaf_order;  // the quasi-diagonal order (asset indices)
  Linkage linkage;                // the tree that was bisected
};

// HRP weights of `problem` (its covariance, bounds and budget; expected returns only for the
// reported performance). `correlation` is the matrix the tree is built from; the overload
// without it uses the correlation of the problem's covariance. Errors: an invalid problem or
// options, a constraint the method cannot honour (sector limits, turnover, leverage), a budget
// <= 0, an asset with zero variance, a correlation of another size. Bounds that cannot hold
// together with the budget (sum lb > budget or sum ub < budget) give status kInfeasible.
Result<HrpResult> OptimizeHierarchicalRiskParity(const PortfolioProblem& problem,
                                                 const MatrixRef& correlation,
                                                 const HrpOptions& options = {});
Result<HrpResult> OptimizeHierarchicalRiskParity(const PortfolioProblem& problem,
                                                 const HrpOptions& options = {});

}  // namespace pfopt

#endif  // PFOPT_OPTIMIZE_HIERARCHICAL_RISK_PARITY_H_
