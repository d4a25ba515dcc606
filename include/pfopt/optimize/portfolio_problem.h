// A portfolio problem as a value: assets, expected returns, covariance and constraints.
//
// Units: expected returns and covariance are annualised and decimal (0.12 = 12 % a year;
// variance 0.04 = volatility 20 %). Weights are fractions of the capital: a long-only fully
// invested portfolio has weights >= 0 summing to 1.
#ifndef PFOPT_OPTIMIZE_PORTFOLIO_PROBLEM_H_
#define PFOPT_OPTIMIZE_PORTFOLIO_PROBLEM_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt {

// Groups of constraints, used to say which ones are violated or in conflict.
enum class ConstraintGroup {
  kBounds,    // per-asset minimum / maximum weights
  kBudget,    // sum of weights = budget
  kSectors,   // sector upper / lower limits
  kTurnover,  // sum |w - current| <= limit
  kLeverage,  // sum |w| <= limit
  kTarget,    // target return / volatility, or "beat the risk-free rate" (max Sharpe)
};

template <>
struct EnumNames<ConstraintGroup> {
  static constexpr std::array<std::pair<ConstraintGroup, std::string_view>, 6> kNames{
      {{ConstraintGroup::kBounds, "bounds"},
       {ConstraintGroup::kBudget, "budget"},
       {ConstraintGroup::kSectors, "sectors"},
       {ConstraintGroup::kTurnover, "turnover"},
       {ConstraintGroup::kLeverage, "leverage"},
       {ConstraintGroup::kTarget, "target"}}};
};

struct PortfolioConstraints {
  // Per-asset bounds (n entries each). Empty = long-only: 0 <= w_i <= 1. Use -inf / +inf for
  // no bound. Shorts are allowed by a negative lower bound.
  Vector lower_bounds;
  Vector upper_bounds;
  // sum_i w_i = budget. 1 = fully invested (default); 0 = market neutral (needs shorts).
  double budget = 1.0;
  // Sector of each asset (n entries; "" = no sector) or empty when no sector limits are used.
  std::vector<std::string> sectors;
  // sum of the weights of a sector <= upper (resp. >= lower). Each key must be a sector of some
  // asset.
  std::map<std::string, double> sector_upper;
  std::map<std::string, double> sector_lower;
  // sum_i |w_i - current_weights_i| <= turnover_limit (a fraction of capital; 0.2 = 20 %).
  std::optional<double> turnover_limit;
  // Weights held now (n entries; empty = all 0). Used by the turnover limit.
  Vector current_weights;
  // sum_i |w_i| <= leverage_limit (gross exposure; 1.5 = 150 %).
  std::optional<double> leverage_limit;

  // Checks the constraints against n assets: sizes, finiteness, lower <= upper, limits >= 0,
  // sector names. Messages name the field (e.g. "constraints.sector_upper.tech").
  Status Validate(Index num_assets) const;
};

struct PortfolioProblem {
  std::vector<std::string> assets;  // unique identifiers, one per asset
  Vector expected_returns;          // annualised mu (n); may be empty for MIN_VOLATILITY
  Matrix covariance;                // annualised Sigma (n x n), symmetric PSD
  PortfolioConstraints constraints;

  Index num_assets() const { return static_cast<Index>(assets.size()); }
  // Checks sizes, duplicate asset ids, finite values, a square symmetric covariance (relative
  // asymmetry <= 1e-9) with non-negative variances, and the constraints.
  Status Validate() const;
};

// The lower and upper bound vectors of `constraints` for n assets, with the long-only defaults
// filled in when they are empty.
Vector EffectiveLowerBounds(const PortfolioConstraints& constraints, Index num_assets);
Vector EffectiveUpperBounds(const PortfolioConstraints& constraints, Index num_assets);

struct ConstraintViolation {
  ConstraintGroup group;
  std::string name;   // e.g. "max_weight[AAPL]", "sector_upper[tech]", "budget"
  double amount = 0;  // by how much it is violated (> 0)
};

// Re-checks weights against every constraint of `problem`; a constraint counts as violated
// when it is broken by more than `tolerance` (absolute, in weight units). Empty = all hold.
std::vector<ConstraintViolation> CheckConstraints(const PortfolioProblem& problem,
                                                  const VectorRef& weights,
                                                  double tolerance = 1e-8);

}  // namespace pfopt

#endif  // PFOPT_OPTIMIZE_PORTFOLIO_PROBLEM_H_
