#include "pfopt/optimize/portfolio_problem.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>
#include <string_view>
#include <unordered_set>

namespace pfopt {

namespace {

std::string Num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.10g", value);
  return buffer;
}

// True if every id is non-empty and no two are equal.
bool IdsNonEmptyAndDistinct(const std::vector<std::string>& ids) {
  std::size_t slots = 16;
  while (slots < 2 * ids.size()) slots *= 2;
  std::vector<std::string_view> table(slots);
  std::vector<bool> used(slots, false);
  const std::hash<std::string_view> hash;
  for (const std::string& id : ids) {
    if (id.empty()) return false;
    for (std::size_t slot = hash(id) & (slots - 1);; slot = (slot + 1) & (slots - 1)) {
      if (!used[slot]) {
        used[slot] = true;
        table[slot] = id;
        break;
      }
      if (table[slot] == id) return false;
    }
  }
  return true;
}

// max |C(i, j) - C(j, i)| over a square matrix, by 4 x 4 blocks: a block below the diagonal
// against the transpose of its mirror image, read as contiguous columns into registers
// (element by element, the mirror's reads are strided and the loop does not vectorise).
double MaxAsymmetry(const Matrix& c) {
  const Index n = c.rows();
  const Index n4 = n / 4 * 4;
  Eigen::Array4d largest = Eigen::Array4d::Zero();
  for (Index j = 0; j < n4; j += 4) {
    for (Index i = j; i < n4; i += 4) {
      const Eigen::Matrix4d mirror = c.block<4, 4>(j, i);
      const Eigen::Matrix4d block = c.block<4, 4>(i, j);
      const Eigen::Matrix4d transposed = mirror.transpose();
      largest = largest.max((block - transposed).array().abs().rowwise().maxCoeff());
    }
  }
  double asymmetry = largest.maxCoeff();
  for (Index j = 0; j < n; ++j) {
    for (Index i = std::max(n4, j + 1); i < n; ++i) {
      asymmetry = std::max(asymmetry, std::abs(c(i, j) - c(j, i)));
    }
  }
  return asymmetry;
}

std::string AssetField(const char* field, Index i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

}  // namespace

Vector EffectiveLowerBounds(const PortfolioConstraints& constraints, Index num_assets) {
  return constraints.lower_bounds.size() == num_assets ? constraints.lower_bounds
                                                       : Vector(Vector::Zero(num_assets));
}

Vector EffectiveUpperBounds(const PortfolioConstraints& constraints, Index num_assets) {
  return constraints.upper_bounds.size() == num_assets ? constraints.upper_bounds
                                                       : Vector(Vector::Ones(num_assets));
}

Status PortfolioConstraints::Validate(Index n) const {
  auto check_size = [&](const Vector& v, const char* name) -> Status {
    if (v.size() != 0 && v.size() != n) {
      return DimensionMismatch(std::string(name) + " has " + std::to_string(v.size()) +
                                   " entries for " + std::to_string(n) + " assets",
                               name);
    }
    return Ok();
  };
  PFOPT_RETURN_IF_ERROR(check_size(lower_bounds, "lower_bounds"));
  PFOPT_RETURN_IF_ERROR(check_size(upper_bounds, "upper_bounds"));
  PFOPT_RETURN_IF_ERROR(check_size(current_weights, "current_weights"));
  const Vector lower = EffectiveLowerBounds(*this, n);
  const Vector upper = EffectiveUpperBounds(*this, n);
  for (Index i = 0; i < n; ++i) {
    if (std::isnan(lower[i]) || lower[i] == kInfinity) {
      return InvalidArgument("minimum weight of asset " + std::to_string(i) + " is " +
                                 Num(lower[i]) + "; it must be a number or -inf",
                             AssetField("lower_bounds", i));
    }
    if (std::isnan(upper[i]) || upper[i] == -kInfinity) {
      return InvalidArgument("maximum weight of asset " + std::to_string(i) + " is " +
                                 Num(upper[i]) + "; it must be a number or +inf",
                             AssetField("upper_bounds", i));
    }
    if (lower[i] > upper[i]) {
      return InvalidArgument("minimum weight " + Num(lower[i]) + " of asset " + std::to_string(i) +
                                 " is greater than its maximum weight " + Num(upper[i]),
                             AssetField("lower_bounds", i));
    }
  }
  if (!std::isfinite(budget)) {
    return InvalidArgument("budget is " + Num(budget) + "; it must be a finite number", "budget");
  }
  if (!current_weights.allFinite()) {
    return InvalidArgument("current_weights has a non-finite entry", "current_weights");
  }
  if (!sectors.empty() && static_cast<Index>(sectors.size()) != n) {
    return DimensionMismatch("sectors has " + std::to_string(sectors.size()) + " entries for " +
                                 std::to_string(n) + " assets",
                             "sectors");
  }
  const std::set<std::string> known(sectors.begin(), sectors.end());
  auto check_limits = [&](const std::map<std::string, double>& limits, const char* name) -> Status {
    for (const auto& [sector, limit] : limits) {
      const std::string field = std::string(name) + "." + sector;
      if (!std::isfinite(limit)) {
        return InvalidArgument(
            "limit of sector '" + sector + "' is " + Num(limit) + "; it must be a finite number",
            field);
      }
      if (sector.empty() || known.count(sector) == 0) {
        return InvalidArgument("sector '" + sector + "' has a limit but no asset belongs to it",
                               field);
      }
    }
    return Ok();
  };
  PFOPT_RETURN_IF_ERROR(check_limits(sector_upper, "sector_upper"));
  PFOPT_RETURN_IF_ERROR(check_limits(sector_lower, "sector_lower"));
  for (const auto& [sector, low] : sector_lower) {
    const auto it = sector_upper.find(sector);
    if (it != sector_upper.end() && low > it->second) {
      return InvalidArgument("sector '" + sector + "' has a lower limit " + Num(low) +
                                 " above its upper limit " + Num(it->second),
                             "sector_lower." + sector);
    }
  }
  if (turnover_limit && (!std::isfinite(*turnover_limit) || *turnover_limit < 0.0)) {
    return InvalidArgument(
        "turnover_limit is " + Num(*turnover_limit) + "; it must be a finite number >= 0",
        "turnover_limit");
  }
  if (leverage_limit && (!std::isfinite(*leverage_limit) || *leverage_limit <= 0.0)) {
    return InvalidArgument(
        "leverage_limit is " + Num(*leverage_limit) + "; it must be a finite number > 0",
        "leverage_limit");
  }
  return Ok();
}

Status PortfolioProblem::Validate() const {
  const Index n = num_assets();
  if (n == 0) return InvalidArgument("the problem has no assets", "assets");
  // Unique, non-empty ids: an open-addressing table of views (no copies, no sort); the loop
  // below names a culprit.
  const bool ids_valid = IdsNonEmptyAndDistinct(assets);
  std::unordered_set<std::string> seen;
  for (Index i = 0; i < n && !ids_valid; ++i) {
    const std::string& id = assets[static_cast<std::size_t>(i)];
    if (id.empty())
      return InvalidArgument("asset " + std::to_string(i) + " has an empty id",
                             AssetField("assets", i));
    if (!seen.insert(id).second) {
      return InvalidArgument("asset id '" + id + "' appears more than once",
                             AssetField("assets", i));
    }
  }
  if (expected_returns.size() != 0) {
    if (expected_returns.size() != n) {
      return DimensionMismatch("expected_returns has " + std::to_string(expected_returns.size()) +
                                   " entries for " + std::to_string(n) + " assets",
                               "expected_returns");
    }
    for (Index i = 0; i < n; ++i) {
      if (!std::isfinite(expected_returns[i])) {
        return InvalidArgument("expected return of '" + assets[static_cast<std::size_t>(i)] +
                                   "' is " + Num(expected_returns[i]) + "; it must be finite",
                               AssetField("expected_returns", i));
      }
    }
  }
  if (covariance.rows() != n || covariance.cols() != n) {
    return DimensionMismatch("covariance is " + std::to_string(covariance.rows()) + "x" +
                                 std::to_string(covariance.cols()) + ", expected " +
                                 std::to_string(n) + "x" + std::to_string(n),
                             "covariance");
  }
  const double scale = std::max(covariance.diagonal().cwiseAbs().maxCoeff(), 1e-300);
  // Fast path: finite (a finite sum proves it, vectorised), variances >= 0, and symmetric,
  // comparing the strict lower triangle with the upper one tile by tile (cache-friendly for
  // large n). Only a failure goes through the loop below, which names the entry.
  bool valid = std::isfinite(covariance.sum()) && covariance.diagonal().minCoeff() >= 0.0;
  const double asymmetry = valid ? MaxAsymmetry(covariance) : 0.0;
  valid = valid && asymmetry <= 1e-9 * scale;
  if (valid) return constraints.Validate(n);
  for (Index j = 0; j < n; ++j) {
    for (Index i = 0; i < n; ++i) {
      const double value = covariance(i, j);
      if (!std::isfinite(value)) {
        return InvalidArgument("covariance of '" + assets[static_cast<std::size_t>(i)] + "' and '" +
                                   assets[static_cast<std::size_t>(j)] + "' is " + Num(value) +
                                   "; it must be finite",
                               "covariance");
      }
    }
    if (covariance(j, j) < 0.0) {
      return InvalidArgument("variance of '" + assets[static_cast<std::size_t>(j)] + "' is " +
                                 Num(covariance(j, j)) + "; a variance cannot be negative",
                             "covariance");
    }
    for (Index i = j + 1; i < n; ++i) {
      if (std::abs(covariance(i, j) - covariance(j, i)) > 1e-9 * scale) {
        return InvalidArgument(
            "covariance is not symmetric: entry ('" + assets[static_cast<std::size_t>(i)] + "', '" +
                assets[static_cast<std::size_t>(j)] + ") is " + Num(covariance(i, j)) +
                " but the transposed entry is " + Num(covariance(j, i)),
            "covariance");
      }
    }
  }
  return constraints.Validate(n);
}

std::vector<ConstraintViolation> CheckConstraints(const PortfolioProblem& problem,
                                                  const VectorRef& w, double tolerance) {
  std::vector<ConstraintViolation> violations;
  const Index n = problem.num_assets();
  const PortfolioConstraints& c = problem.constraints;
  auto report = [&](ConstraintGroup group, std::string name, double amount) {
    if (amount > tolerance) violations.push_back({group, std::move(name), amount});
  };
  if (w.size() != n || !w.allFinite()) {
    violations.push_back(
        {ConstraintGroup::kBounds, "weights are missing or not finite", kInfinity});
    return violations;
  }
  const Vector lower = EffectiveLowerBounds(c, n);
  const Vector upper = EffectiveUpperBounds(c, n);
  for (Index i = 0; i < n; ++i) {
    // Names are built only for violated bounds (this runs after every optimisation).
    if (lower[i] - w[i] <= tolerance && w[i] - upper[i] <= tolerance) continue;
    const std::string& id = problem.assets[static_cast<std::size_t>(i)];
    report(ConstraintGroup::kBounds, "min_weight[" + id + "]", lower[i] - w[i]);
    report(ConstraintGroup::kBounds, "max_weight[" + id + "]", w[i] - upper[i]);
  }
  report(ConstraintGroup::kBudget, "budget", std::abs(w.sum() - c.budget));
  if (!c.sectors.empty()) {
    std::map<std::string, double> totals;
    for (Index i = 0; i < n; ++i) totals[c.sectors[static_cast<std::size_t>(i)]] += w[i];
    for (const auto& [sector, limit] : c.sector_upper) {
      report(ConstraintGroup::kSectors, "sector_upper[" + sector + "]", totals[sector] - limit);
    }
    for (const auto& [sector, limit] : c.sector_lower) {
      report(ConstraintGroup::kSectors, "sector_lower[" + sector + "]", limit - totals[sector]);
    }
  }
  if (c.turnover_limit) {
    const Vector current =
        c.current_weights.size() == n ? c.current_weights : Vector(Vector::Zero(n));
    report(ConstraintGroup::kTurnover, "turnover_limit",
           (w - current).cwiseAbs().sum() - *c.turnover_limit);
  }
  if (c.leverage_limit) {
    report(ConstraintGroup::kLeverage, "leverage_limit", w.cwiseAbs().sum() - *c.leverage_limit);
  }
  return violations;
}

}  // namespace pfopt
