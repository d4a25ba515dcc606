// Google Benchmark of whole walk-forward backtests through the request path
// (service::RunBacktestRequest: at each rebalance the window's returns -> OptimizationRequest ->
// estimation -> optimisation), on seeded daily prices with business-day dates:
//   - 20 assets x 20 years, monthly rebalancing, 252-day window, max Sharpe with a 20 %
//     turnover limit and a 25 % cap (240 optimisations; goal: under 1 s);
//   - 500 assets x 10 years, monthly, 252-day window, min volatility (120; goal: under 30 s);
//   - the same 500 x 10 with equal weight (the simulation without any optimisation);
//   - the bundled 20-stock history (1998-2018) with the same max Sharpe request.
//   ./build/release/bench/backtest_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "pfopt/backtest/backtest.h"
#include "pfopt/data/table.h"
#include "services/common/backtest_service.h"

namespace {

using pfopt::Index;

// Weekdays from 1998-01-05 on, as YYYY-MM-DD.
std::vector<std::string> BusinessDays(Index count) {
  std::vector<std::string> days;
  int year = 1998, month = 1, day = 5, weekday = 0;  // 1998-01-05 was a Monday
  auto month_length = [](int y, int m) {
    static const int kLengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : kLengths[m - 1];
  };
  char label[48];
  while (static_cast<Index>(days.size()) < count) {
    if (weekday < 5) {
      std::snprintf(label, sizeof(label), "%04d-%02d-%02d", year, month, day);
      days.emplace_back(label);
    }
    weekday = (weekday + 1) % 7;
    if (++day > month_length(year, month)) {
      day = 1;
      if (++month > 12) {
        month = 1;
        ++year;
      }
    }
  }
  return days;
}

// Daily prices from a one-factor model: r_it = a_i + b_i f_t + e_it, f ~ N(0.0004, 0.01),
// e ~ N(0, s_i), s_i ~ U(0.01, 0.025), b_i ~ U(0.5, 1.5), a_i ~ U(-0.0002, 0.0004).
pfopt::TimeSeriesTable SeededPrices(Index assets, Index periods, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  pfopt::Vector alpha(assets), beta(assets), sigma(assets);
  for (Index i = 0; i < assets; ++i) {
    alpha[i] = -0.0002 + 0.0006 * uniform(rng);
    beta[i] = 0.5 + uniform(rng);
    sigma[i] = 0.01 + 0.015 * uniform(rng);
  }
  pfopt::TimeSeriesTable table;
  table.periods = BusinessDays(periods);
  for (Index i = 0; i < assets; ++i) table.assets.push_back("S" + std::to_string(i));
  table.values.resize(periods, assets);
  table.values.row(0).setConstant(100.0);
  for (Index t = 1; t < periods; ++t) {
    const double factor = 0.0004 + 0.01 * normal(rng);
    for (Index i = 0; i < assets; ++i) {
      const double r = alpha[i] + beta[i] * factor + sigma[i] * normal(rng);
      table.values(t, i) = table.values(t - 1, i) * (1.0 + r);
    }
  }
  return table;
}

pfopt::service::BacktestRequest MakeRequest(pfopt::TimeSeriesTable prices,
                                            pfopt::service::RequestObjective objective) {
  pfopt::service::OptimizationRequest r;
  r.portfolio_id = "bench";
  r.objective = objective;
  for (const auto& asset : prices.assets) r.strategies.push_back({.id = asset});
  if (objective == pfopt::service::RequestObjective::kMaxSharpe) {
    r.constraints.max_weight = 0.25;
    r.constraints.turnover_limit = 0.2;
  }
  pfopt::service::BacktestRequest request;
  request.prices = std::move(prices);
  request.strategies = {{.request = r}};
  request.settings.window = 252;
  request.settings.rebalance = pfopt::RebalanceSchedule::kMonthly;
  request.settings.cost_bps = 10.0;
  return request;
}

void RunRequest(benchmark::State& state, const pfopt::service::BacktestRequest& request) {
  Index rebalances = 0, failed = 0;
  double allocation_seconds = 0.0;
  for (auto _ : state) {
    auto response = pfopt::service::RunBacktestRequest(request);
    if (!response) {
      state.SkipWithError(response.error().ToString().c_str());
      break;
    }
    const pfopt::StrategyResult& s = response->result.strategies[0];
    rebalances = s.metrics.rebalances;
    failed = s.metrics.failed_rebalances;
    allocation_seconds = s.allocation_seconds;
    benchmark::DoNotOptimize(s.wealth.data());
  }
  state.counters["rebalances"] = static_cast<double>(rebalances);
  state.counters["failed"] = static_cast<double>(failed);
  state.counters["ms_per_rebalance"] =
      rebalances > 0 ? 1e3 * allocation_seconds / static_cast<double>(rebalances) : 0.0;
}

// 20 years of weekdays (261 a year) after a 252-day first window.
void BM_MaxSharpeTurnover20Assets20Years(benchmark::State& state) {
  static const auto request = MakeRequest(SeededPrices(20, 252 + 20 * 261, 1),
                                          pfopt::service::RequestObjective::kMaxSharpe);
  RunRequest(state, request);
}
BENCHMARK(BM_MaxSharpeTurnover20Assets20Years)->Unit(benchmark::kMillisecond)->UseRealTime();

// With 252 returns of 500 assets the sample covariance is singular (rank <= 251): the request
// path repairs it (eigendecomposition) and the QP runs in its proximal mode. Ledoit-Wolf
// shrinkage, the usual estimator when assets outnumber observations, is well conditioned.
// Argument: 0 = SAMPLE, 1 = LEDOIT_WOLF.
void BM_MinVolatility500Assets10Years(benchmark::State& state) {
  static const auto prices = SeededPrices(500, 252 + 10 * 261, 2);
  auto request = MakeRequest(prices, pfopt::service::RequestObjective::kMinVolatility);
  request.strategies[0].request.risk_parameters.covariance_estimator =
      state.range(0) == 0 ? pfopt::RiskModel::kSample : pfopt::RiskModel::kLedoitWolf;
  RunRequest(state, request);
}
BENCHMARK(BM_MinVolatility500Assets10Years)
    ->ArgName("ledoit_wolf")
    ->Arg(1)
    ->Arg(0)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

void BM_EqualWeight500Assets10Years(benchmark::State& state) {
  static const auto request = [] {
    auto r = MakeRequest(SeededPrices(500, 252 + 10 * 261, 2),
                         pfopt::service::RequestObjective::kMinVolatility);
    r.strategies = {{.type = pfopt::service::BacktestStrategyType::kEqualWeight}};
    return r;
  }();
  RunRequest(state, request);
}
BENCHMARK(BM_EqualWeight500Assets10Years)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_MaxSharpeTurnoverStockPrices(benchmark::State& state) {
  static const auto request = [] {
    auto prices =
        pfopt::ReadTableCsv(std::string(PFOPT_SOURCE_DIR) + "/examples/data/stock_prices.csv");
    if (!prices) std::abort();
    auto r = MakeRequest(*prices, pfopt::service::RequestObjective::kMaxSharpe);
    r.settings.start = "1998-04-14";  // 20 years to the last row, 2018-04-11
    return r;
  }();
  RunRequest(state, request);
}
BENCHMARK(BM_MaxSharpeTurnoverStockPrices)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
