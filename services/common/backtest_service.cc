#include "services/common/backtest_service.h"

#include <set>
#include <string>
#include <unordered_map>
#include <utility>

#include "services/common/optimization_service.h"

namespace pfopt::service {

namespace {

template <class Map>
void KeepKeys(const std::set<std::string>& keep, Map* map) {
  for (auto it = map->begin(); it != map->end();) {
    it = keep.count(it->first) ? std::next(it) : map->erase(it);
  }
}

// The request of one rebalance, or the reason why it cannot be met (an infeasible rebalance).
struct WindowRequest {
  OptimizationRequest request;
  std::string infeasible;
  std::vector<std::string> warnings;
};

WindowRequest RequestForWindow(const OptimizationRequest& base, const RebalanceContext& context) {
  WindowRequest out;
  out.request = base;
  OptimizationRequest& r = out.request;
  r.strategies.clear();
  std::unordered_map<std::string, Index> position;
  for (std::size_t e = 0; e < context.assets.size(); ++e) {
    position.emplace(context.assets[e], static_cast<Index>(e));
  }
  const std::set<std::string> eligible(context.assets.begin(), context.assets.end());
  std::set<std::string> sectors;
  const Index rows = context.returns.rows();
  for (const StrategyDefinition& s : base.strategies) {
    auto it = position.find(s.id);
    if (it == position.end()) continue;
    StrategyDefinition copy = s;
    const Index e = it->second;
    copy.returns.assign(context.returns.col(e).data(), context.returns.col(e).data() + rows);
    copy.current_weight = context.current_weights[e];
    if (!copy.sector.empty()) sectors.insert(copy.sector);
    r.strategies.push_back(std::move(copy));
  }
  // The turnover limit restrains rebalancing, not the first investment from cash. (A negative
  // limit is kept so that the request path rejects it at once.)
  auto& limit = r.constraints.turnover_limit;
  if (context.initial && limit && *limit >= 0.0) limit.reset();
  KeepKeys(sectors, &r.constraints.sector_limits);
  for (const auto& [sector, minimum] : r.constraints.sector_minimums) {
    if (!sectors.count(sector) && minimum > 0.0) {
      out.infeasible = "sector minimum of '" + sector +
                       "' cannot be met: none of its assets is eligible at " + context.date;
      return out;
    }
  }
  KeepKeys(sectors, &r.constraints.sector_minimums);
  RiskParameters& rp = r.risk_parameters;
  KeepKeys(eligible, &rp.expected_returns);
  KeepKeys(eligible, &rp.covariance);
  for (auto& [row, entries] : rp.covariance) KeepKeys(eligible, &entries);
  KeepKeys(eligible, &rp.risk_budgets);
  KeepKeys(eligible, &rp.black_litterman.market_caps);
  auto& views = rp.black_litterman.views;
  for (auto view = views.begin(); view != views.end();) {
    bool all_eligible = true;
    for (const auto& [asset, coefficient] : view->assets) {
      all_eligible = all_eligible && eligible.count(asset) > 0;
    }
    if (all_eligible) {
      ++view;
    } else {
      out.warnings.push_back("a Black-Litterman view on an asset that is not eligible at " +
                             context.date + " was left out");
      view = views.erase(view);
    }
  }
  return out;
}

std::string StrategyPath(std::size_t i) { return "strategies[" + std::to_string(i) + "]"; }

// What the backtester fills in must not be in the request; its assets must be price columns.
Status CheckOptimizationSpec(const OptimizationRequest& request, const TimeSeriesTable& prices,
                             const std::string& path) {
  if (request.strategies.empty()) {
    return InvalidArgument("the request lists no strategy (asset)", path + ".strategies");
  }
  for (std::size_t j = 0; j < request.strategies.size(); ++j) {
    const StrategyDefinition& s = request.strategies[j];
    const std::string field = path + ".strategies[" + std::to_string(j) + "]";
    if (prices.AssetIndex(s.id) < 0) {
      return InvalidArgument("strategy id '" + s.id + "' is not a column of the prices",
                             field + ".id");
    }
    if (!s.returns.empty() || !s.prices.empty()) {
      return InvalidArgument("strategy '" + s.id +
                                 "' carries a history; in a backtest the history of each "
                                 "window comes from the prices",
                             field + (s.returns.empty() ? ".prices" : ".returns"));
    }
    if (s.current_weight) {
      return InvalidArgument("strategy '" + s.id +
                                 "' has a current_weight; in a backtest the current weights are "
                                 "the drifted holdings",
                             field + ".current_weight");
    }
  }
  if (!request.risk_parameters.market_returns.empty()) {
    return InvalidArgument(
        "market_returns cannot be used in a backtest (a benchmark series aligned with the "
        "prices is not supported yet); use the equal-weight market of CAPM",
        path + ".risk_parameters.market_returns");
  }
  if (!request.risk_parameters.black_litterman.market_returns.empty()) {
    return InvalidArgument(
        "black_litterman.market_returns cannot be used in a backtest yet; give risk_aversion",
        path + ".risk_parameters.black_litterman.market_returns");
  }
  return Ok();
}

// Engine errors name engine fields ("window", "prices", "strategies[1].name"); the request
// model keeps the settings under "settings".
Error WithRequestField(const Error& error) {
  const std::string& field = error.field();
  if (field.empty() || field.rfind("strategies", 0) == 0 || field.rfind("prices", 0) == 0) {
    return error;
  }
  return error.WithFieldPrefix("settings");
}

}  // namespace

AllocationFunction RequestAllocator(OptimizationRequest request, std::string field_prefix) {
  return [base = std::move(request),
          prefix = std::move(field_prefix)](const RebalanceContext& context) -> Result<Allocation> {
    WindowRequest window = RequestForWindow(base, context);
    Allocation allocation;
    if (!window.infeasible.empty()) {
      allocation.status = OptimizationStatus::kInfeasible;
      allocation.message = window.infeasible;
      return allocation;
    }
    auto response = RunOptimization(window.request);
    if (!response) {
      const Error& e = response.error();
      return tl::unexpected(prefix.empty() ? e : e.WithFieldPrefix(prefix));
    }
    allocation.status = response->convergence_status;
    allocation.message = response->message;
    allocation.iterations = response->iterations;
    allocation.warnings = std::move(window.warnings);
    for (const auto& w : response->warnings) allocation.warnings.push_back(w);
    if (HasSolution(response->convergence_status)) {
      allocation.weights = Vector::Zero(static_cast<Index>(context.assets.size()));
      for (const auto& [id, weight] : response->optimal_weights) {
        for (std::size_t e = 0; e < context.assets.size(); ++e) {
          if (context.assets[e] == id) allocation.weights[static_cast<Index>(e)] = weight;
        }
      }
    }
    return allocation;
  };
}

Result<BacktestResponse> RunBacktestRequest(const BacktestRequest& request,
                                            const BacktestProgress& progress) {
  if (request.strategies.empty()) {
    return InvalidArgument("strategies must list at least one strategy", "strategies");
  }
  std::vector<BacktestStrategy> strategies;
  BacktestResponse response;
  for (std::size_t i = 0; i < request.strategies.size(); ++i) {
    const BacktestStrategySpec& spec = request.strategies[i];
    const std::string path = StrategyPath(i);
    BacktestStrategy strategy;
    switch (spec.type) {
      case BacktestStrategyType::kOptimization:
        PFOPT_RETURN_IF_ERROR(
            CheckOptimizationSpec(spec.request, request.prices, path + ".request"));
        strategy.name = spec.name.empty() ? spec.request.portfolio_id : spec.name;
        for (const auto& s : spec.request.strategies) strategy.assets.push_back(s.id);
        strategy.allocate = RequestAllocator(spec.request, path + ".request");
        break;
      case BacktestStrategyType::kEqualWeight:
        strategy = EqualWeightStrategy(spec.name.empty() ? "equal_weight" : spec.name, spec.assets);
        break;
      case BacktestStrategyType::kBuyAndHold:
        strategy = BuyAndHoldStrategy(spec.name.empty() ? "buy_and_hold" : spec.name, spec.assets);
        break;
    }
    strategies.push_back(std::move(strategy));
    response.types.push_back(spec.type);
  }
  BacktestOptions options = request.settings;
  options.progress = progress;
  options.record_weights = true;
  auto result = RunBacktest(request.prices, strategies, options);
  if (!result) return tl::unexpected(WithRequestField(result.error()));
  response.backtest_id = request.backtest_id;
  response.settings = request.settings;
  response.settings.progress = nullptr;
  response.result = std::move(*result);
  return response;
}

}  // namespace pfopt::service
