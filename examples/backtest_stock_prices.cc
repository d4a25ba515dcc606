// Example: walk-forward backtests on the bundled prices of 20 US stocks (docs/backtest.md).
//
// 1. Through the request model (what `pfopt backtest` and POST /api/v1/backtest run): a
//    minimum-volatility OptimizationRequest re-optimised every month on the last 252 daily
//    returns, against equal weight and buy and hold, 10 bps per side.
// 2. Through the engine directly, with a custom allocator: inverse-volatility weights from the
//    engine's covariance estimator.
// Run from the repository root: build/release/examples/backtest_stock_prices
#include <cmath>
#include <cstdio>

#include "pfopt/backtest/backtest.h"
#include "pfopt/data/table.h"
#include "pfopt/estimate/risk_models.h"
#include "services/common/backtest_service.h"

namespace {

void PrintRow(const pfopt::StrategyResult& s) {
  const pfopt::BacktestMetrics& m = s.metrics;
  std::printf("%-16s %8.2f %% %8.2f %% %7.3f %8.2f %% %8.1f %% %8.3f %% %4lld/%lld\n",
              s.name.c_str(), 100 * m.annual_return, 100 * m.annual_volatility, m.sharpe_ratio,
              -100 * m.max_drawdown, 100 * m.annual_turnover, 100 * m.costs,
              static_cast<long long>(m.rebalances - m.failed_rebalances),
              static_cast<long long>(m.rebalances));
}

}  // namespace

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "examples/data/stock_prices.csv";
  auto prices = pfopt::ReadTableCsv(path);
  if (!prices) {
    std::fprintf(stderr, "%s\n", prices.error().ToString().c_str());
    return 2;
  }

  // 1. The request model.
  pfopt::service::OptimizationRequest min_volatility;
  min_volatility.portfolio_id = "min_volatility";
  min_volatility.objective = pfopt::service::RequestObjective::kMinVolatility;
  min_volatility.constraints.max_weight = 0.25;
  min_volatility.risk_parameters.covariance_estimator = pfopt::RiskModel::kLedoitWolf;
  for (const std::string& asset : prices->assets) {
    min_volatility.strategies.push_back({.id = asset});  // no history: the backtest supplies it
  }
  pfopt::service::BacktestRequest request;
  request.prices = *prices;
  request.strategies = {{.request = min_volatility},
                        {.type = pfopt::service::BacktestStrategyType::kEqualWeight},
                        {.type = pfopt::service::BacktestStrategyType::kBuyAndHold}};
  request.settings.window = 252;
  request.settings.rebalance = pfopt::RebalanceSchedule::kMonthly;
  request.settings.cost_bps = 10.0;
  request.settings.start = "2005-01-01";
  auto response = pfopt::service::RunBacktestRequest(request);
  if (!response) {
    std::fprintf(stderr, "%s\n", response.error().ToString().c_str());
    return 2;
  }
  const pfopt::BacktestResult& result = response->result;
  std::printf("%s .. %s, %zu trading days, monthly rebalancing, 10 bps per side\n",
              result.periods.front().c_str(), result.periods.back().c_str(), result.periods.size());
  std::printf("%-16s %10s %10s %7s %10s %10s %10s %9s\n", "strategy", "annual", "vol", "Sharpe",
              "max dd", "turn/yr", "costs", "solved");
  for (const auto& s : result.strategies) PrintRow(s);

  // 2. The engine with a custom allocator: w_i proportional to 1 / sigma_i over the window.
  pfopt::BacktestStrategy inverse_volatility{
      .name = "inverse_vol",
      .allocate = [](const pfopt::RebalanceContext& context) -> pfopt::Result<pfopt::Allocation> {
        auto estimate = pfopt::EstimateCovariance(context.returns);
        if (!estimate) return tl::unexpected(estimate.error());
        const pfopt::Vector inverse = estimate->covariance.diagonal().cwiseSqrt().cwiseInverse();
        return pfopt::Allocation{.status = pfopt::OptimizationStatus::kOptimal,
                                 .weights = inverse / inverse.sum()};
      }};
  auto custom = pfopt::RunBacktest(*prices, {inverse_volatility}, request.settings);
  if (!custom) {
    std::fprintf(stderr, "%s\n", custom.error().ToString().c_str());
    return 2;
  }
  PrintRow(custom->strategies[0]);
  return 0;
}
