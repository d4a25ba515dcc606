#include "services/common/optimization_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>
#include <unordered_map>

#include "pfopt/data/returns.h"
#include "pfopt/estimate/expected_returns.h"
#include "pfopt/estimate/moments.h"
#include "pfopt/estimate/risk_models.h"
#include "services/common/allocation_models.h"
#include "services/common/extended_models.h"
#include "services/common/scenario_service.h"

namespace pfopt::service {

namespace {

using Clock = std::chrono::steady_clock;

std::string Num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.10g", value);
  return buffer;
}

std::string StrategyField(std::size_t i, const char* field) {
  return "strategies[" + std::to_string(i) + "]." + field;
}

tl::unexpected<Error> Prefixed(const Error& error, const std::string& prefix) {
  return tl::unexpected(error.WithFieldPrefix(prefix));
}

// The engine objective of a request objective. MIN_CVAR and MULTI_OBJECTIVE are solved by
// extended_models.h and RISK_PARITY by allocation_models.h; for them kMinVolatility only says
// that expected returns are not required up front (the models check what they need).
Objective EngineObjective(RequestObjective objective) {
  switch (objective) {
    case RequestObjective::kMaxSharpe:
      return Objective::kMaxSharpe;
    case RequestObjective::kMaxReturn:
      return Objective::kMaxReturn;
    case RequestObjective::kEfficientRisk:
      return Objective::kEfficientRisk;
    case RequestObjective::kEfficientReturn:
      return Objective::kEfficientReturn;
    case RequestObjective::kMaxUtility:
      return Objective::kMaxUtility;
    case RequestObjective::kMinVolatility:
    case RequestObjective::kMultiObjective:
    case RequestObjective::kMinCvar:
    case RequestObjective::kRiskParity:
      break;
  }
  return Objective::kMinVolatility;
}

Status CheckRequestShape(const OptimizationRequest& request) {
  if (request.portfolio_id.empty() || request.portfolio_id.size() > 100) {
    return InvalidArgument("portfolio_id must have 1 to 100 characters, got " +
                               std::to_string(request.portfolio_id.size()),
                           "portfolio_id");
  }
  if (request.strategies.empty()) {
    return InvalidArgument("strategies must list at least one strategy", "strategies");
  }
  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t i = 0; i < request.strategies.size(); ++i) {
    const StrategyDefinition& s = request.strategies[i];
    if (s.id.empty() || s.id.size() > 100) {
      return InvalidArgument("strategy id must have 1 to 100 characters", StrategyField(i, "id"));
    }
    auto [it, inserted] = seen.emplace(s.id, i);
    if (!inserted) {
      return InvalidArgument("strategy id '" + s.id + "' is used by strategies[" +
                                 std::to_string(it->second) + "] and strategies[" +
                                 std::to_string(i) + "]; ids must be unique",
                             StrategyField(i, "id"));
    }
    if (!s.prices.empty() && !s.returns.empty()) {
      return InvalidArgument("strategy '" + s.id + "' gives both prices and returns; give one",
                             StrategyField(i, "returns"));
    }
  }
  return CheckAllocationModelRequest(request);
}

// Histories -> T x n returns (NaN = missing), rows missing for every strategy dropped, and the
// CAPM market returns aligned to the kept rows. Returns an empty matrix if no strategy has a
// history; an error if only some have one, if they differ in length, or mix prices and returns.
struct Histories {
  Matrix returns;
  Vector market;
  Matrix prices;  // with prices_only: the T x n prices instead of the returns
};

// prices_only: when every strategy gives prices and no market returns are given, stop after
// validating the prices and return them (for EstimateMomentsFromPrices).
Result<Histories> BuildHistories(const OptimizationRequest& request, bool prices_only = false) {
  const auto& strategies = request.strategies;
  const std::size_t n = strategies.size();
  std::size_t with_history = 0, with_prices = 0;
  std::size_t length = 0, first = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const StrategyDefinition& s = strategies[i];
    const std::vector<double>& h = s.prices.empty() ? s.returns : s.prices;
    if (h.empty()) continue;
    if (with_history == 0) {
      length = h.size();
      first = i;
    } else if (h.size() != length) {
      return InvalidArgument("strategy '" + s.id + "' has a history of " +
                                 std::to_string(h.size()) + " values but '" + strategies[first].id +
                                 "' has " + std::to_string(length) +
                                 "; histories must be aligned in time (equal length, null for "
                                 "a missing value)",
                             StrategyField(i, s.prices.empty() ? "returns" : "prices"));
    }
    ++with_history;
    if (!s.prices.empty()) ++with_prices;
  }
  Histories out;
  if (with_history == 0) return out;
  if (with_history != n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (strategies[i].prices.empty() && strategies[i].returns.empty()) {
        return InvalidArgument("strategy '" + strategies[i].id +
                                   "' has no prices or returns while others do; estimates need "
                                   "a history for every strategy",
                               StrategyField(i, "returns"));
      }
    }
  }
  if (with_prices != 0 && with_prices != n) {
    for (std::size_t i = 0; i < n; ++i) {
      if (strategies[i].prices.empty()) {
        return InvalidArgument("strategy '" + strategies[i].id +
                                   "' gives returns while others give prices; use one kind for "
                                   "every strategy",
                               StrategyField(i, "returns"));
      }
    }
  }
  const bool prices = with_prices == n;
  const Index rows = static_cast<Index>(length);
  // The histories as the columns of a T x n matrix, checked as they are copied: a price must be
  // > 0, a return > -1 (-100 %); NaN (missing) compares false and passes.
  Matrix raw(rows, static_cast<Index>(n));
  const double floor = prices ? 0.0 : -1.0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::vector<double>& h = prices ? strategies[i].prices : strategies[i].returns;
    std::copy(h.begin(), h.end(), raw.col(static_cast<Index>(i)).data());
    std::size_t bad = 0;  // counted without a branch, so that the loop is vectorised
    for (double v : h) bad += v <= floor ? 1 : 0;
    if (bad == 0) continue;
    std::size_t t = 0;
    while (!(h[t] <= floor)) ++t;
    if (prices) {
      return InvalidArgument(
          "price " + Num(h[t]) + " of strategy '" + strategies[i].id + "' is not positive",
          StrategyField(i, "prices") + "[" + std::to_string(t) + "]");
    }
    return InvalidArgument(
        "return " + Num(h[t]) + " of strategy '" + strategies[i].id + "' is -100 % or below",
        StrategyField(i, "returns") + "[" + std::to_string(t) + "]");
  }
  // Periodic returns, one per period after the first price.
  Matrix full;
  if (prices) {
    if (rows < 2) {
      return InvalidArgument("a price history needs at least 2 prices, got " + std::to_string(rows),
                             StrategyField(first, "prices"));
    }
    if (prices_only && request.risk_parameters.market_returns.empty()) {
      out.prices = std::move(raw);
      return out;
    }
    full = raw.bottomRows(rows - 1).array() / raw.topRows(rows - 1).array() - 1.0;
  } else {
    full = std::move(raw);
  }
  const std::vector<double>& market_in = request.risk_parameters.market_returns;
  if (!market_in.empty() && static_cast<Index>(market_in.size()) != full.rows()) {
    return InvalidArgument("market_returns has " + std::to_string(market_in.size()) +
                               " values; it must have one per return period (" +
                               std::to_string(full.rows()) + ")",
                           "risk_parameters.market_returns");
  }
  // Keep the periods where some strategy has a return (NaN arithmetic marks the others): all
  // of them, without a copy, when no value is missing.
  std::size_t missing = 0;  // counted without a branch, so that the loop is vectorised
  for (const double* v = full.data(); v != full.data() + full.size(); ++v) {
    missing += std::isnan(*v) ? 1 : 0;
  }
  if (missing == 0) {
    out.returns = std::move(full);
    if (!market_in.empty())
      out.market = Eigen::Map<const Vector>(market_in.data(), out.returns.rows());
  } else {
    std::vector<Index> keep;
    for (Index t = 0; t < full.rows(); ++t) {
      bool any = false;
      for (Index j = 0; j < full.cols() && !any; ++j) any = !std::isnan(full(t, j));
      if (any) keep.push_back(t);
    }
    out.returns.resize(static_cast<Index>(keep.size()), full.cols());
    if (!market_in.empty()) out.market.resize(static_cast<Index>(keep.size()));
    for (std::size_t k = 0; k < keep.size(); ++k) {
      out.returns.row(static_cast<Index>(k)) = full.row(keep[k]);
      if (!market_in.empty())
        out.market[static_cast<Index>(k)] = market_in[static_cast<std::size_t>(keep[k])];
    }
  }
  if (out.returns.rows() < 2) {
    return InvalidArgument("the histories give " + std::to_string(out.returns.rows()) +
                               " return period(s); estimation needs at least 2",
                           "strategies");
  }
  return out;
}

Result<Matrix> GivenCovariance(const OptimizationRequest& request,
                               std::vector<std::string>* warnings) {
  const auto& given = request.risk_parameters.covariance;
  const auto& strategies = request.strategies;
  const Index n = static_cast<Index>(strategies.size());
  std::set<std::string> ids;
  for (const auto& s : strategies) ids.insert(s.id);
  for (const auto& [row, entries] : given) {
    if (!ids.count(row)) {
      return InvalidArgument("covariance names '" + row + "', which is not a strategy id",
                             "risk_parameters.covariance." + row);
    }
    for (const auto& [col, value] : entries) {
      if (!ids.count(col)) {
        return InvalidArgument("covariance names '" + col + "', which is not a strategy id",
                               "risk_parameters.covariance." + row + "." + col);
      }
    }
  }
  Matrix sigma(n, n);
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < n; ++j) {
      const std::string& a = strategies[static_cast<std::size_t>(i)].id;
      const std::string& b = strategies[static_cast<std::size_t>(j)].id;
      // Accept either triangle; if both are given they must agree.
      double value = kNaN;
      bool have = false;
      if (auto r = given.find(a); r != given.end()) {
        if (auto c = r->second.find(b); c != r->second.end()) {
          value = c->second;
          have = true;
        }
      }
      if (auto r = given.find(b); r != given.end()) {
        if (auto c = r->second.find(a); c != r->second.end()) {
          if (have && std::abs(c->second - value) > 1e-9 * std::max(1.0, std::abs(value))) {
            return InvalidArgument("covariance is not symmetric: (" + a + ", " + b +
                                       ") = " + Num(value) + " but (" + b + ", " + a +
                                       ") = " + Num(c->second),
                                   "risk_parameters.covariance." + b + "." + a);
          }
          if (!have) value = c->second;
          have = true;
        }
      }
      if (!have) {
        return InvalidArgument(
            "covariance has no entry for (" + a + ", " + b + "); give every pair (either triangle)",
            "risk_parameters.covariance." + a);
      }
      if (i == j && value < 0.0) {
        return InvalidArgument(
            "variance of '" + a + "' is " + Num(value) + "; a variance cannot be negative",
            "risk_parameters.covariance." + a + "." + a);
      }
      sigma(i, j) = value;
    }
  }
  bool repaired = false;
  double min_eigenvalue = 0.0;
  Matrix fixed =
      RepairNonPositiveSemidefinite(sigma, PsdRepair::kSpectral, &repaired, &min_eigenvalue);
  if (repaired) {
    warnings->push_back("the given covariance was not positive semidefinite (smallest eigenvalue " +
                        Num(min_eigenvalue) + "); negative eigenvalues were set to 0");
  }
  return fixed;
}

ExpectedReturnsOptions ExpectedReturnsFor(const RiskParameters& rp, const Vector& market) {
  ExpectedReturnsOptions er;
  er.method = rp.expected_returns_estimator;
  er.periods_per_year = rp.periods_per_year;
  er.compounding = rp.compounding.value_or(true);
  er.ema_span = rp.ema_span.value_or(500.0);
  er.risk_free_rate = rp.risk_free_rate;
  er.market_returns = market;
  return er;
}

RiskModelOptions RiskModelFor(const RiskParameters& rp) {
  RiskModelOptions rm;
  rm.model = rp.covariance_estimator;
  rm.periods_per_year = rp.periods_per_year;
  if (rp.semicovariance_benchmark) rm.semicovariance_benchmark = *rp.semicovariance_benchmark;
  if (rp.covariance_span) rm.exp_span = *rp.covariance_span;
  if (rp.shrinkage) rm.shrinkage = *rp.shrinkage;
  if (rp.missing_data) rm.missing = *rp.missing_data;
  return rm;
}

}  // namespace

Result<PreparedProblem> PrepareProblem(const OptimizationRequest& request, const RunOptions& run) {
  PFOPT_RETURN_IF_ERROR(CheckRequestShape(request));
  // Risk parity and HRP need no mean-variance objective (nor expected returns: kMinVolatility
  // stands for that below); Black-Litterman gets its expected returns from the posterior.
  const Objective objective =
      UsesRiskParityModel(request) ? Objective::kMinVolatility : EngineObjective(request.objective);
  const bool needs_expected_returns =
      objective != Objective::kMinVolatility && request.method != RequestMethod::kBlackLitterman;
  const auto start = Clock::now();
  const RiskParameters& rp = request.risk_parameters;
  const auto& strategies = request.strategies;
  const std::size_t n = strategies.size();

  PreparedProblem prepared;
  PortfolioProblem& problem = prepared.problem;
  for (const auto& s : strategies) problem.assets.push_back(s.id);

  if (!(std::isfinite(rp.periods_per_year) && rp.periods_per_year > 0.0)) {
    return InvalidArgument("periods_per_year is " + Num(rp.periods_per_year) + "; it must be > 0",
                           "risk_parameters.periods_per_year");
  }
  for (const auto& [id, value] : rp.expected_returns) {
    bool known = false;
    for (const auto& s : strategies) known = known || s.id == id;
    if (!known) {
      return InvalidArgument("expected_returns names '" + id + "', which is not a strategy id",
                             "risk_parameters.expected_returns." + id);
    }
  }

  bool need_estimate = false;
  for (const auto& s : strategies) {
    if (!s.expected_return && !rp.expected_returns.count(s.id)) need_estimate = true;
  }
  // Both estimates from prices with the default estimators: EstimateMomentsFromPrices (one pass
  // over the prices). If it fails, the separate path below reports the problem as always.
  const bool both_from_prices =
      need_estimate && rp.covariance.empty() &&
      rp.expected_returns_estimator == ExpectedReturnsMethod::kMeanHistorical &&
      rp.covariance_estimator == RiskModel::kSample &&
      // HRP's pairwise correlation (pandas' corr) needs the return matrix itself.
      request.method != RequestMethod::kHierarchicalRiskParity &&
      // CVaR's scenarios are the return matrix itself.
      !NeedsReturnScenarios(request);
  auto histories = BuildHistories(request, /*prices_only=*/both_from_prices);
  if (!histories) return tl::unexpected(histories.error());
  std::optional<MomentsEstimate> moments;
  if (histories->prices.size() > 0) {
    MomentsOptions options;
    options.parallel = run.parallel_estimation;
    options.expected_returns = ExpectedReturnsFor(rp, Vector());
    options.risk_model = RiskModelFor(rp);
    auto estimated = EstimateMomentsFromPrices(histories->prices, options);
    if (estimated && estimated->periods >= 2) {
      moments = std::move(*estimated);
    } else {
      histories = BuildHistories(request);
      if (!histories) return tl::unexpected(histories.error());
    }
  }
  const bool have_history = moments || histories->returns.size() > 0;
  prepared.history_periods = moments ? moments->periods : histories->returns.rows();
  if (NeedsReturnScenarios(request)) prepared.returns = histories->returns;

  // Expected returns: per-strategy override, then risk_parameters.expected_returns, then the
  // estimator over the histories.
  Vector mu;
  if (need_estimate && moments) {
    mu = moments->expected_returns;
  } else if (need_estimate && have_history) {
    auto estimated =
        EstimateExpectedReturns(histories->returns, ExpectedReturnsFor(rp, histories->market));
    if (!estimated) return Prefixed(estimated.error(), "risk_parameters");
    mu = *estimated;
  } else if (!need_estimate) {
    mu = Vector::Zero(static_cast<Index>(n));
  }
  if (mu.size() == static_cast<Index>(n)) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto& s = strategies[i];
      if (auto it = rp.expected_returns.find(s.id); it != rp.expected_returns.end()) {
        mu[static_cast<Index>(i)] = it->second;
      }
      if (s.expected_return) mu[static_cast<Index>(i)] = *s.expected_return;
    }
    problem.expected_returns = mu;
  } else if (needs_expected_returns) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto& s = strategies[i];
      if (!s.expected_return && !rp.expected_returns.count(s.id)) {
        return InvalidArgument("no expected return for strategy '" + s.id +
                                   "': give prices or returns for every strategy, or "
                                   "expected_return / risk_parameters.expected_returns",
                               StrategyField(i, "expected_return"));
      }
    }
  }

  // Covariance: given, or estimated.
  if (!rp.covariance.empty()) {
    auto sigma = GivenCovariance(request, &prepared.warnings);
    if (!sigma) return tl::unexpected(sigma.error());
    problem.covariance = std::move(*sigma);
  } else if (moments) {
    for (const auto& w : moments->covariance.warnings) prepared.warnings.push_back(w);
    problem.covariance = std::move(moments->covariance.covariance);
  } else if (have_history) {
    auto estimate = EstimateCovariance(histories->returns, RiskModelFor(rp));
    if (!estimate) return Prefixed(estimate.error(), "risk_parameters");
    for (const auto& w : estimate->warnings) prepared.warnings.push_back(w);
    problem.covariance = std::move(estimate->covariance);
  } else {
    return InvalidArgument(
        "no covariance: give prices or returns for every strategy, or risk_parameters.covariance",
        "risk_parameters.covariance");
  }

  if (request.method == RequestMethod::kHierarchicalRiskParity) {
    auto correlation = HrpCorrelation(request, histories->returns, problem.covariance);
    if (!correlation) return tl::unexpected(correlation.error());
    prepared.correlation = std::move(*correlation);
  }

  // Constraints.
  const OptimizationConstraints& c = request.constraints;
  PortfolioConstraints& pc = problem.constraints;
  const double global_min = c.min_weight.value_or(0.0);
  const double global_max = c.max_weight.value_or(1.0);
  if (global_min > global_max) {
    return InvalidArgument(
        "min_weight " + Num(global_min) + " is greater than max_weight " + Num(global_max),
        "constraints.min_weight");
  }
  pc.lower_bounds.resize(static_cast<Index>(n));
  pc.upper_bounds.resize(static_cast<Index>(n));
  pc.current_weights = Vector::Zero(static_cast<Index>(n));
  bool any_sector = false;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& s = strategies[i];
    const double lo = s.min_weight.value_or(global_min);
    const double hi = s.max_weight.value_or(global_max);
    if (lo > hi) {
      return InvalidArgument("strategy '" + s.id + "' has min_weight " + Num(lo) +
                                 " greater than max_weight " + Num(hi),
                             StrategyField(i, s.min_weight ? "min_weight" : "max_weight"));
    }
    pc.lower_bounds[static_cast<Index>(i)] = lo;
    pc.upper_bounds[static_cast<Index>(i)] = hi;
    if (s.current_weight) pc.current_weights[static_cast<Index>(i)] = *s.current_weight;
    any_sector = any_sector || !s.sector.empty();
    pc.sectors.push_back(s.sector);
  }
  auto check_sector_names = [&](const std::map<std::string, double>& limits,
                                const char* field) -> Status {
    for (const auto& [sector, limit] : limits) {
      bool used = false;
      for (const auto& s : strategies) used = used || s.sector == sector;
      if (!used || sector.empty()) {
        return InvalidArgument(
            "sector '" + sector + "' has a limit but no strategy has that sector",
            std::string("constraints.") + field + "." + sector);
      }
    }
    return Ok();
  };
  PFOPT_RETURN_IF_ERROR(check_sector_names(c.sector_limits, "sector_limits"));
  PFOPT_RETURN_IF_ERROR(check_sector_names(c.sector_minimums, "sector_minimums"));
  if (!any_sector) pc.sectors.clear();
  pc.sector_upper = c.sector_limits;
  pc.sector_lower = c.sector_minimums;
  pc.budget = c.budget.value_or(1.0);
  if (c.turnover_limit) {
    if (*c.turnover_limit < 0.0) {
      return InvalidArgument("turnover_limit is " + Num(*c.turnover_limit) + "; it must be >= 0",
                             "constraints.turnover_limit");
    }
    pc.turnover_limit = c.turnover_limit;
  }
  if (c.leverage_limit) {
    if (*c.leverage_limit <= 0.0) {
      return InvalidArgument("leverage_limit is " + Num(*c.leverage_limit) + "; it must be > 0",
                             "constraints.leverage_limit");
    }
    pc.leverage_limit = c.leverage_limit;
  }
  if (auto status = problem.Validate(); !status) return Prefixed(status.error(), "problem");

  // Options.
  MeanVarianceOptions& o = prepared.options;
  o.objective = objective;
  o.risk_free_rate = rp.risk_free_rate;
  o.target_volatility = rp.target_volatility;
  o.target_return = rp.target_return;
  o.risk_aversion = rp.risk_aversion.value_or(1.0);
  o.l2_gamma = rp.l2_gamma;
  if (auto status = o.Validate(); !status) return Prefixed(status.error(), "risk_parameters");
  prepared.estimation_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return prepared;
}

Result<OptimizationResponse> RunOptimization(const OptimizationRequest& request,
                                             const RunOptions& run) {
  if (request.scenarios.present) {  // a scenario cube instead of histories (docs/scenario.md)
    PFOPT_RETURN_IF_ERROR(CheckRequestShape(request));
    return RunScenarioRequest(request);
  }
  auto prepared = PrepareProblem(request, run);
  if (!prepared) return tl::unexpected(prepared.error());
  OptimizationResponse response;
  // The model that answers: Black-Litterman first turns the prior into the posterior (or gives
  // the closed-form weights); then risk parity, HRP or the mean-variance objective.
  const auto start = Clock::now();
  std::optional<OptimizationResult> result;
  std::optional<ExtendedOutcome> extended;
  if (request.method == RequestMethod::kBlackLitterman) {
    auto outcome = ApplyBlackLitterman(request, &*prepared);
    if (!outcome) return tl::unexpected(outcome.error());
    for (std::size_t i = 0; i < request.strategies.size(); ++i) {
      response.posterior_expected_returns.emplace_back(
          request.strategies[i].id, outcome->posterior_returns[static_cast<Index>(i)]);
    }
    if (outcome->closed_form) result = std::move(*outcome->closed_form);
  }
  if (!result && request.method == RequestMethod::kHierarchicalRiskParity) {
    auto hrp = RunHierarchicalRiskParity(request, *prepared);
    if (!hrp) return tl::unexpected(hrp.error());
    result = std::move(*hrp);
  } else if (!result && UsesRiskParityModel(request)) {
    auto rp = RunRiskParity(request, *prepared);
    if (!rp) return tl::unexpected(rp.error());
    if (HasSolution(rp->status)) {
      for (std::size_t i = 0; i < request.strategies.size(); ++i) {
        response.risk_contributions.emplace_back(request.strategies[i].id,
                                                 rp->risk_contributions[static_cast<Index>(i)]);
      }
    }
    result = std::move(*rp);
  } else if (!result) {
    // Robust, CVaR and multi-objective models (extended_models.h); else plain mean-variance.
    auto solved = SolveExtendedModel(request, *prepared);
    if (!solved) return tl::unexpected(solved.error());
    extended = std::move(*solved);
    if (extended) {
      result = extended->result;
    } else {
      auto mv = OptimizeMeanVariance(prepared->problem, prepared->options);
      if (!mv) return Prefixed(mv.error(), "risk_parameters");
      result = std::move(*mv);
    }
  }
  const double model_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  response.portfolio_id = request.portfolio_id;
  response.objective = std::string(EnumToString(request.objective));
  response.method = std::string(EnumToString(request.method));
  response.convergence_status = result->status;
  response.iterations = result->iterations;
  response.optimization_time_ms = 1e3 * (prepared->estimation_seconds + model_seconds);
  response.objective_value = result->objective_value;
  response.constraints_satisfied = result->constraints_satisfied;
  response.message = result->message;
  response.warnings = prepared->warnings;
  for (const auto& w : result->warnings) response.warnings.push_back(w);
  for (ConstraintGroup g : result->conflicting_groups) {
    response.conflicting_constraints.emplace_back(EnumToString(g));
  }
  if (HasSolution(result->status)) {
    for (std::size_t i = 0; i < request.strategies.size(); ++i) {
      response.optimal_weights.emplace_back(request.strategies[i].id,
                                            result->weights[static_cast<Index>(i)]);
    }
    response.expected_return = result->performance.expected_return;
    response.expected_volatility = result->performance.volatility;
    response.sharpe_ratio = result->performance.sharpe_ratio;
  }
  if (extended) ApplyExtendedOutcome(*extended, &response);
  ReportTailRisk(request, *prepared, &response);
  return response;
}

Result<FrontierResponse> RunFrontier(const OptimizationRequest& request, int num_points) {
  if (request.method == RequestMethod::kRiskParity ||
      request.method == RequestMethod::kHierarchicalRiskParity) {
    return InvalidArgument("the efficient frontier is a mean-variance notion; method " +
                               std::string(EnumToString(request.method)) + " has none",
                           "method");
  }
  if (request.scenarios.present) {
    return InvalidArgument(
        "the frontier of a scenario request is not available; run the scenario methods for each "
        "target instead",
        "scenarios");
  }
  OptimizationRequest copy = request;
  copy.objective = RequestObjective::kMaxSharpe;  // needs expected returns, like the frontier
  auto prepared = PrepareProblem(copy);
  if (!prepared) return tl::unexpected(prepared.error());
  if (request.method == RequestMethod::kBlackLitterman) {  // the frontier of the posterior
    auto outcome = ApplyBlackLitterman(copy, &*prepared);
    if (!outcome) return tl::unexpected(outcome.error());
  }
  FrontierOptions options;
  options.num_points = num_points;
  options.risk_free_rate = request.risk_parameters.risk_free_rate;
  options.l2_gamma = request.risk_parameters.l2_gamma;
  auto frontier = TraceEfficientFrontier(prepared->problem, options);
  if (!frontier) return Prefixed(frontier.error(), "frontier");
  FrontierResponse response;
  response.portfolio_id = request.portfolio_id;
  response.status = frontier->status;
  response.message = frontier->message;
  response.assets = prepared->problem.assets;
  response.points = std::move(frontier->points);
  response.iterations = frontier->iterations;
  response.optimization_time_ms = 1e3 * (prepared->estimation_seconds + frontier->solve_seconds);
  response.warnings = prepared->warnings;
  return response;
}

}  // namespace pfopt::service
