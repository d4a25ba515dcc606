#include "services/common/allocation_models.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "pfopt/estimate/risk_models.h"
#include "pfopt/optimize/black_litterman.h"
#include "pfopt/optimize/performance.h"

namespace pfopt::service {

namespace {

constexpr const char* kBl = "risk_parameters.black_litterman";

std::string Num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.10g", value);
  return buffer;
}

std::string Field(const std::string& parent, const std::string& child) {
  return parent + "." + child;
}

std::string StrategyField(std::size_t i, const char* field) {
  return "strategies[" + std::to_string(i) + "]." + field;
}

tl::unexpected<Error> Prefixed(const Error& error, const std::string& prefix) {
  return tl::unexpected(error.WithFieldPrefix(prefix));
}

// The index of each strategy id.
std::map<std::string, Index> IdIndex(const OptimizationRequest& request) {
  std::map<std::string, Index> index;
  for (std::size_t i = 0; i < request.strategies.size(); ++i) {
    index[request.strategies[i].id] = static_cast<Index>(i);
  }
  return index;
}

Status CheckIds(const std::map<std::string, double>& values,
                const std::map<std::string, Index>& ids, const std::string& field) {
  for (const auto& [id, value] : values) {
    if (!ids.count(id)) {
      return InvalidArgument(field + " names '" + id + "', which is not a strategy id",
                             Field(field, id));
    }
  }
  return Ok();
}

// A map by id as a vector in strategy order; every strategy must be there.
Result<Vector> ByStrategy(const OptimizationRequest& request,
                          const std::map<std::string, double>& values, const std::string& field) {
  PFOPT_RETURN_IF_ERROR(CheckIds(values, IdIndex(request), field));
  Vector out(static_cast<Index>(request.strategies.size()));
  for (std::size_t i = 0; i < request.strategies.size(); ++i) {
    auto it = values.find(request.strategies[i].id);
    if (it == values.end()) {
      return InvalidArgument(field + " has no value for strategy '" + request.strategies[i].id +
                                 "'; give one for every strategy",
                             field);
    }
    out[static_cast<Index>(i)] = it->second;
  }
  return out;
}

// An enum from its name (left as it is when the name is empty); the Error names `field`.
template <class E>
Status ParseEnumField(const std::string& name, const char* what, const char* field, E* out) {
  if (name.empty()) return Ok();
  auto value = EnumFromString<E>(name, what);
  if (!value) return InvalidArgument(value.error().message(), field);
  *out = *value;
  return Ok();
}

bool IsRiskParityMethod(RequestMethod method) {
  return method == RequestMethod::kRiskParity || method == RequestMethod::kHierarchicalRiskParity;
}

// Constraints that only a program can honour, for the models that allocate by their own rule.
Status CheckBoxConstraintsOnly(const OptimizationRequest& request, const std::string& model,
                               bool long_only) {
  const OptimizationConstraints& c = request.constraints;
  auto reject = [&](const std::string& what, const std::string& field) {
    return InvalidArgument(model + " cannot honour " + what +
                               " (it allocates by its own rule; only per-strategy bounds and the "
                               "budget can be imposed on it): remove " +
                               field + " or use a mean-variance objective",
                           field);
  };
  if (!c.sector_limits.empty()) return reject("sector limits", "constraints.sector_limits");
  if (!c.sector_minimums.empty()) return reject("sector minimums", "constraints.sector_minimums");
  if (c.turnover_limit) return reject("a turnover limit", "constraints.turnover_limit");
  if (c.leverage_limit) {
    return InvalidArgument(model +
                               " cannot honour a leverage limit (its weights are long-only, "
                               "so gross exposure equals the budget): remove "
                               "constraints.leverage_limit",
                           "constraints.leverage_limit");
  }
  if (c.budget && !(*c.budget > 0.0)) {
    return InvalidArgument(
        model + " allocates a positive budget; constraints.budget is " + Num(*c.budget),
        "constraints.budget");
  }
  if (long_only) {
    if (c.min_weight && *c.min_weight < 0.0) {
      return InvalidArgument(model + " is long-only: constraints.min_weight is " +
                                 Num(*c.min_weight) + "; it must be >= 0",
                             "constraints.min_weight");
    }
    for (std::size_t i = 0; i < request.strategies.size(); ++i) {
      const auto& s = request.strategies[i];
      if (s.min_weight && *s.min_weight < 0.0) {
        return InvalidArgument(model + " is long-only: the min_weight of '" + s.id + "' is " +
                                   Num(*s.min_weight) + "; it must be >= 0",
                               StrategyField(i, "min_weight"));
      }
    }
  }
  return Ok();
}

bool HasExplicitConstraints(const OptimizationRequest& request, std::string* field) {
  const OptimizationConstraints& c = request.constraints;
  const std::pair<bool, const char*> checks[] = {
      {c.min_weight.has_value(), "constraints.min_weight"},
      {c.max_weight.has_value(), "constraints.max_weight"},
      {!c.sector_limits.empty(), "constraints.sector_limits"},
      {!c.sector_minimums.empty(), "constraints.sector_minimums"},
      {c.turnover_limit.has_value(), "constraints.turnover_limit"},
      {c.leverage_limit.has_value(), "constraints.leverage_limit"},
      {c.budget.has_value() && *c.budget != 1.0, "constraints.budget"}};
  for (const auto& [present, name] : checks) {
    if (present) {
      *field = name;
      return true;
    }
  }
  for (std::size_t i = 0; i < request.strategies.size(); ++i) {
    const auto& s = request.strategies[i];
    if (s.min_weight || s.max_weight) {
      *field = StrategyField(i, s.min_weight ? "min_weight" : "max_weight");
      return true;
    }
  }
  return false;
}

}  // namespace

bool UsesRiskParityModel(const OptimizationRequest& request) {
  return request.objective == RequestObjective::kRiskParity || IsRiskParityMethod(request.method);
}

Status CheckAllocationModelRequest(const OptimizationRequest& request) {
  const RiskParameters& rp = request.risk_parameters;
  const bool hrp = request.method == RequestMethod::kHierarchicalRiskParity;
  if (IsRiskParityMethod(request.method) && request.objective != RequestObjective::kRiskParity) {
    return InvalidArgument("method " + std::string(EnumToString(request.method)) +
                               " takes objective RISK_PARITY (or none), not " +
                               std::string(EnumToString(request.objective)),
                           "objective");
  }
  if (!rp.risk_budgets.empty() && (hrp || !UsesRiskParityModel(request))) {
    return InvalidArgument(
        "risk_budgets are used by risk parity only (method RISK_PARITY, or objective "
        "RISK_PARITY with MEAN_VARIANCE or BLACK_LITTERMAN)",
        "risk_parameters.risk_budgets");
  }
  if (!hrp && !rp.hrp_linkage.empty()) {
    return InvalidArgument("hrp_linkage is used by method HIERARCHICAL_RISK_PARITY only",
                           "risk_parameters.hrp_linkage");
  }
  if (!hrp && !rp.hrp_distance.empty()) {
    return InvalidArgument("hrp_distance is used by method HIERARCHICAL_RISK_PARITY only",
                           "risk_parameters.hrp_distance");
  }
  if (rp.black_litterman.present && request.method != RequestMethod::kBlackLitterman) {
    return InvalidArgument("black_litterman parameters are used by method BLACK_LITTERMAN only",
                           kBl);
  }
  if (!UsesRiskParityModel(request)) return Ok();
  const std::string model = hrp ? "hierarchical risk parity" : "risk parity";
  if (rp.target_volatility) {
    return InvalidArgument(model + " has no volatility target",
                           "risk_parameters.target_volatility");
  }
  if (rp.target_return) {
    return InvalidArgument(model + " has no return target", "risk_parameters.target_return");
  }
  if (rp.l2_gamma != 0.0) {
    return InvalidArgument(model + " has no L2 regularisation", "risk_parameters.l2_gamma");
  }
  return CheckBoxConstraintsOnly(request, model, /*long_only=*/!hrp);
}

Result<Matrix> HrpCorrelation(const OptimizationRequest& request, const MatrixRef& returns,
                              const MatrixRef& covariance) {
  const RiskParameters& rp = request.risk_parameters;
  const bool pairwise_sample =
      rp.covariance.empty() && returns.size() > 0 &&
      rp.covariance_estimator == RiskModel::kSample &&
      (!rp.missing_data || *rp.missing_data == MissingData::kModelDefault ||
       *rp.missing_data == MissingData::kPairwise);
  if (!pairwise_sample) return CovarianceToCorrelation(covariance);
  auto correlation = PairwiseCorrelation(returns);
  if (!correlation) return Prefixed(correlation.error(), "strategies");
  return correlation;
}

Result<BlackLittermanOutcome> ApplyBlackLitterman(const OptimizationRequest& request,
                                                  PreparedProblem* prepared) {
  const RiskParameters& rp = request.risk_parameters;
  const BlackLittermanParameters& bl = rp.black_litterman;
  PortfolioProblem& problem = prepared->problem;
  const Index n = problem.num_assets();
  const auto ids = IdIndex(request);
  const Matrix sigma = problem.covariance;  // the prior covariance

  // Market caps: strategies[].market_cap, else black_litterman.market_caps.
  PFOPT_RETURN_IF_ERROR(CheckIds(bl.market_caps, ids, Field(kBl, "market_caps")));
  Vector caps = Vector::Constant(n, kNaN);
  bool any_cap = false;
  for (std::size_t i = 0; i < request.strategies.size(); ++i) {
    const auto& s = request.strategies[i];
    if (auto it = bl.market_caps.find(s.id); it != bl.market_caps.end()) {
      caps[static_cast<Index>(i)] = it->second;
    }
    if (s.market_cap) caps[static_cast<Index>(i)] = *s.market_cap;
    any_cap = any_cap || !std::isnan(caps[static_cast<Index>(i)]);
  }
  auto require_caps = [&]() -> Status {
    for (std::size_t i = 0; i < request.strategies.size(); ++i) {
      if (std::isnan(caps[static_cast<Index>(i)])) {
        return InvalidArgument("the market-implied prior needs a market cap for every strategy; '" +
                                   request.strategies[i].id + "' has none",
                               StrategyField(i, "market_cap"));
      }
    }
    return Ok();
  };

  // The prior's source.
  enum class Prior { kMarket, kEstimated, kZero, kGiven };
  Prior source = Prior::kMarket;
  if (!bl.prior.empty()) {
    source = Prior::kGiven;
  } else if (!bl.prior_source.empty()) {
    const std::string& name = bl.prior_source;
    if (internal::NamesMatch("MARKET", name)) {
      source = Prior::kMarket;
    } else if (internal::NamesMatch("ESTIMATED", name)) {
      source = Prior::kEstimated;
    } else if (internal::NamesMatch("ZERO", name)) {
      source = Prior::kZero;
    } else {
      return InvalidArgument("unknown prior '" + name +
                                 "'; expected MARKET, ESTIMATED, ZERO or an object {id: return}",
                             Field(kBl, "prior"));
    }
  } else if (!any_cap) {
    return InvalidArgument(
        "BLACK_LITTERMAN needs a prior: market caps (strategies[].market_cap or "
        "black_litterman.market_caps) for the market-implied prior, or black_litterman.prior "
        "(ESTIMATED, ZERO or {id: return})",
        Field(kBl, "prior"));
  }

  // Risk aversion delta: for the market prior and the closed form.
  bool closed_form = false;
  if (!bl.weights.empty()) {
    if (internal::NamesMatch("CLOSED_FORM", bl.weights)) {
      closed_form = true;
    } else if (!internal::NamesMatch("OPTIMIZE", bl.weights)) {
      return InvalidArgument(
          "unknown weights '" + bl.weights + "'; expected OPTIMIZE or CLOSED_FORM",
          Field(kBl, "weights"));
    }
  }
  const bool needs_delta = source == Prior::kMarket || closed_form;
  const int delta_sources = (rp.risk_aversion ? 1 : 0) + (bl.market_returns.empty() ? 0 : 1) +
                            (bl.expected_market_return ? 1 : 0);
  if (delta_sources > 1) {
    return InvalidArgument(
        "give one source of the risk aversion delta: risk_parameters.risk_aversion, "
        "black_litterman.market_returns or black_litterman.expected_market_return",
        bl.market_returns.empty() ? Field(kBl, "expected_market_return")
                                  : Field(kBl, "market_returns"));
  }
  if (!needs_delta && (!bl.market_returns.empty() || bl.expected_market_return)) {
    return InvalidArgument(
        "market_returns / expected_market_return set the risk aversion of the market-implied "
        "prior and of the closed-form weights; this request uses neither",
        bl.market_returns.empty() ? Field(kBl, "expected_market_return")
                                  : Field(kBl, "market_returns"));
  }
  double delta = kNaN;
  if (needs_delta) {
    if (rp.risk_aversion) {
      delta = *rp.risk_aversion;
      if (!(std::isfinite(delta) && delta > 0.0)) {
        return InvalidArgument("risk_aversion is " + Num(delta) + "; it must be > 0",
                               "risk_parameters.risk_aversion");
      }
    } else if (!bl.market_returns.empty()) {
      const Vector market = Eigen::Map<const Vector>(bl.market_returns.data(),
                                                     static_cast<Index>(bl.market_returns.size()));
      auto implied = MarketImpliedRiskAversion(market, rp.periods_per_year, rp.risk_free_rate);
      if (!implied) return Prefixed(implied.error(), kBl);
      delta = *implied;
    } else if (bl.expected_market_return) {
      PFOPT_RETURN_IF_ERROR(require_caps());
      const Vector w = caps / caps.sum();
      auto implied =
          ImpliedRiskAversion(*bl.expected_market_return, w.dot(sigma * w), rp.risk_free_rate);
      if (!implied) return Prefixed(implied.error(), kBl);
      delta = *implied;
    } else {
      return InvalidArgument(
          std::string(closed_form ? "the closed-form weights" : "the market-implied prior") +
              " need the risk aversion delta: give risk_parameters.risk_aversion, "
              "black_litterman.market_returns (periodic market returns) or "
              "black_litterman.expected_market_return (annualised)",
          "risk_parameters.risk_aversion");
    }
    if (!(delta > 0.0)) {
      return InvalidArgument("the market-implied risk aversion is " + Num(delta) +
                                 " (the market does not beat the risk-free rate); give "
                                 "risk_parameters.risk_aversion",
                             "risk_parameters.risk_aversion");
    }
  }

  // The prior Pi.
  Vector prior;
  switch (source) {
    case Prior::kMarket: {
      PFOPT_RETURN_IF_ERROR(require_caps());
      auto implied = MarketImpliedPrior(caps, delta, sigma, rp.risk_free_rate);
      if (!implied) return Prefixed(implied.error(), kBl);
      prior = std::move(*implied);
      break;
    }
    case Prior::kEstimated:
      if (problem.expected_returns.size() != n) {
        return InvalidArgument(
            "prior ESTIMATED needs expected returns: give prices or returns for every strategy, "
            "or expected_return / risk_parameters.expected_returns",
            Field(kBl, "prior"));
      }
      prior = problem.expected_returns;
      break;
    case Prior::kZero:
      prior = Vector::Zero(n);
      break;
    case Prior::kGiven: {
      auto given = ByStrategy(request, bl.prior, Field(kBl, "prior"));
      if (!given) return tl::unexpected(given.error());
      prior = std::move(*given);
      break;
    }
  }

  // Views: views[] in order, then absolute_views in strategy order.
  std::vector<Vector> rows;
  std::vector<double> returns;
  std::vector<std::optional<double>> confidences;
  std::vector<std::string> view_fields;
  for (std::size_t v = 0; v < bl.views.size(); ++v) {
    const BlackLittermanView& view = bl.views[v];
    const std::string vfield = Field(kBl, "views[" + std::to_string(v) + "]");
    if (view.assets.empty()) {
      return InvalidArgument("a view needs assets: {id: weight} (e.g. {\"A\": 1, \"B\": -1})",
                             Field(vfield, "assets"));
    }
    PFOPT_RETURN_IF_ERROR(CheckIds(view.assets, ids, Field(vfield, "assets")));
    Vector row = Vector::Zero(n);
    for (const auto& [id, weight] : view.assets) row[ids.at(id)] = weight;
    rows.push_back(std::move(row));
    returns.push_back(view.expected);
    confidences.push_back(view.confidence ? view.confidence : bl.confidence);
    view_fields.push_back(vfield);
  }
  PFOPT_RETURN_IF_ERROR(CheckIds(bl.absolute_views, ids, Field(kBl, "absolute_views")));
  for (std::size_t i = 0; i < request.strategies.size(); ++i) {
    auto it = bl.absolute_views.find(request.strategies[i].id);
    if (it == bl.absolute_views.end()) continue;
    Vector row = Vector::Zero(n);
    row[static_cast<Index>(i)] = 1.0;
    rows.push_back(std::move(row));
    returns.push_back(it->second);
    confidences.push_back(bl.confidence);
    view_fields.push_back(Field(Field(kBl, "absolute_views"), it->first));
  }
  const Index k = static_cast<Index>(rows.size());
  Matrix p(k, n);
  Vector q(k);
  for (Index v = 0; v < k; ++v) {
    p.row(v) = rows[static_cast<std::size_t>(v)];
    q[v] = returns[static_cast<std::size_t>(v)];
  }

  // Omega.
  BlackLittermanOptions options;
  options.tau = bl.tau.value_or(0.05);
  const std::string omega_name = bl.omega.empty() ? "PROPORTIONAL" : bl.omega;
  auto omega_method = EnumFromString<OmegaMethod>(omega_name, "omega");
  if (!omega_method) {
    return InvalidArgument(omega_method.error().message() + ", or the matrix itself",
                           Field(kBl, "omega"));
  }
  options.omega_method = *omega_method;
  bool any_confidence = false;
  for (const auto& c : confidences) any_confidence = any_confidence || c.has_value();
  if (options.omega_method == OmegaMethod::kIdzorek) {
    options.view_confidences.resize(k);
    for (Index v = 0; v < k; ++v) {
      const auto& c = confidences[static_cast<std::size_t>(v)];
      if (!c) {
        return InvalidArgument(
            "omega IDZOREK needs a confidence (0..1) for every view; give the view's "
            "confidence or black_litterman.confidence",
            view_fields[static_cast<std::size_t>(v)]);
      }
      options.view_confidences[v] = *c;
    }
  } else if (any_confidence) {
    return InvalidArgument(
        "view confidences are used by omega IDZOREK only (omega is " + omega_name + ")",
        Field(kBl, "omega"));
  }
  if (options.omega_method == OmegaMethod::kGiven) {
    if (static_cast<Index>(bl.omega_matrix.size()) != k) {
      return InvalidArgument("omega is " + std::to_string(bl.omega_matrix.size()) + "x" +
                                 std::to_string(bl.omega_matrix.size()) + " for " +
                                 std::to_string(k) +
                                 " views (views[] in order, then absolute_views in strategy order)",
                             Field(kBl, "omega"));
    }
    options.omega.resize(k, k);
    for (Index r = 0; r < k; ++r)
      for (Index c = 0; c < k; ++c)
        options.omega(r, c) =
            bl.omega_matrix[static_cast<std::size_t>(r)][static_cast<std::size_t>(c)];
  }
  auto posterior = ComputeBlackLittermanPosterior(sigma, prior, p, q, options);
  if (!posterior) return Prefixed(posterior.error(), kBl);

  BlackLittermanOutcome outcome;
  outcome.posterior_returns = posterior->expected_returns;
  problem.expected_returns = posterior->expected_returns;
  problem.covariance = posterior->covariance;
  if (!rp.risk_aversion && std::isfinite(delta)) prepared->options.risk_aversion = delta;
  if (!closed_form) return outcome;

  // Closed form: the unconstrained max-utility portfolio, fully invested.
  if (request.objective != RequestObjective::kMaxUtility) {
    return InvalidArgument(
        "closed-form Black-Litterman weights maximise utility "
        "(mu'w - delta/2 w'Sigma w, normalised to sum 1): use objective "
        "MAX_UTILITY, or weights OPTIMIZE for " +
            std::string(EnumToString(request.objective)),
        "objective");
  }
  std::string constrained;
  if (HasExplicitConstraints(request, &constrained)) {
    return InvalidArgument("closed-form Black-Litterman weights are unconstrained; remove " +
                               constrained + " or use black_litterman.weights OPTIMIZE",
                           constrained);
  }
  auto weights = BlackLittermanWeights(posterior->expected_returns, sigma, delta);
  if (!weights) return Prefixed(weights.error(), kBl);
  OptimizationResult result;
  result.status = OptimizationStatus::kOptimal;
  result.message = "closed-form Black-Litterman weights";
  auto performance =
      ComputePerformance(*weights, problem.expected_returns, problem.covariance, rp.risk_free_rate);
  if (!performance) return tl::unexpected(performance.error());
  result.performance = *performance;
  result.objective_value =
      weights->dot(problem.expected_returns) - 0.5 * delta * weights->dot(sigma * *weights);
  result.constraints_satisfied = std::abs(weights->sum() - 1.0) <= 1e-10;
  result.weights = std::move(*weights);
  outcome.closed_form = std::move(result);
  return outcome;
}

Result<RiskParityResult> RunRiskParity(const OptimizationRequest& request,
                                       const PreparedProblem& prepared) {
  const RiskParameters& rp = request.risk_parameters;
  RiskParityOptions options;
  options.risk_free_rate = rp.risk_free_rate;
  if (!rp.risk_budgets.empty()) {
    auto budgets = ByStrategy(request, rp.risk_budgets, "risk_parameters.risk_budgets");
    if (!budgets) return tl::unexpected(budgets.error());
    options.budgets = std::move(*budgets);
  }
  auto result = OptimizeRiskParity(prepared.problem, options);
  if (!result) {
    const Error& error = result.error();
    if (error.field() == "budgets") {
      return tl::unexpected(Error(error.code(), error.message(), "risk_parameters.risk_budgets"));
    }
    return Prefixed(error, "risk_parameters");
  }
  return result;
}

Result<HrpResult> RunHierarchicalRiskParity(const OptimizationRequest& request,
                                            const PreparedProblem& prepared) {
  const RiskParameters& rp = request.risk_parameters;
  HrpOptions options;
  options.risk_free_rate = rp.risk_free_rate;
  PFOPT_RETURN_IF_ERROR(
      ParseEnumField(rp.hrp_linkage, "linkage", "risk_parameters.hrp_linkage", &options.linkage));
  PFOPT_RETURN_IF_ERROR(ParseEnumField(rp.hrp_distance, "HRP distance",
                                       "risk_parameters.hrp_distance", &options.distance));
  auto result = OptimizeHierarchicalRiskParity(prepared.problem, prepared.correlation, options);
  if (!result) return Prefixed(result.error(), "risk_parameters");
  return result;
}

}  // namespace pfopt::service
