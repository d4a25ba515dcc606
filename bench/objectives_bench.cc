// Google Benchmark of each mean-variance objective, long-only, n = 10 ... 1000, on seeded
// factor-model data; and the end-to-end max Sharpe on the bundled 20-stock price history
// (returns + mean historical return + sample covariance + solve).
//   ./build/release/bench/objectives_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_problems.h"
#include "pfopt/data/returns.h"
#include "pfopt/data/table.h"
#include "pfopt/estimate/expected_returns.h"
#include "pfopt/estimate/moments.h"
#include "pfopt/estimate/risk_models.h"
#include "pfopt/optimize/frontier.h"
#include "pfopt/optimize/mean_variance.h"

namespace {

// The fastest repetition: on a shared machine, the one least disturbed by other work.
double Fastest(const std::vector<double>& times) {
  return *std::min_element(times.begin(), times.end());
}

using pfopt::MeanVarianceOptions;
using pfopt::Objective;

void RunObjective(benchmark::State& state, Objective objective) {
  const pfopt::PortfolioProblem problem = pfopt::bench::RandomPortfolio(state.range(0));
  MeanVarianceOptions options;
  options.objective = objective;
  // Targets inside the attainable range of this data.
  options.target_volatility = 0.25;
  options.target_return = 0.3;
  options.risk_aversion = 2.0;
  int iterations = 0;
  for (auto _ : state) {
    auto result = pfopt::OptimizeMeanVariance(problem, options);
    if (!result || !pfopt::HasSolution(result->status)) {
      state.SkipWithError(result ? result->message.c_str() : result.error().message().c_str());
      break;
    }
    iterations = result->iterations;
    benchmark::DoNotOptimize(result->weights.data());
  }
  state.counters["iterations"] = iterations;
}

void BM_MinVolatility(benchmark::State& s) { RunObjective(s, Objective::kMinVolatility); }
void BM_MaxSharpe(benchmark::State& s) { RunObjective(s, Objective::kMaxSharpe); }
void BM_MaxReturn(benchmark::State& s) { RunObjective(s, Objective::kMaxReturn); }
void BM_EfficientRisk(benchmark::State& s) { RunObjective(s, Objective::kEfficientRisk); }
void BM_EfficientReturn(benchmark::State& s) { RunObjective(s, Objective::kEfficientReturn); }
void BM_MaxUtility(benchmark::State& s) { RunObjective(s, Objective::kMaxUtility); }

void BM_Frontier20Points(benchmark::State& state) {
  const pfopt::PortfolioProblem problem = pfopt::bench::RandomPortfolio(state.range(0));
  for (auto _ : state) {
    auto frontier = pfopt::TraceEfficientFrontier(problem, {});
    benchmark::DoNotOptimize(frontier);
  }
}

#define PFOPT_SIZES ->Arg(10)->Arg(20)->Arg(100)->Arg(500)->Arg(1000)->Unit(benchmark::kMicrosecond)
BENCHMARK(BM_MinVolatility) PFOPT_SIZES;
BENCHMARK(BM_MaxSharpe) PFOPT_SIZES;
BENCHMARK(BM_MaxReturn) PFOPT_SIZES;
BENCHMARK(BM_EfficientRisk) PFOPT_SIZES;
BENCHMARK(BM_EfficientReturn) PFOPT_SIZES;
BENCHMARK(BM_MaxUtility) PFOPT_SIZES;
BENCHMARK(BM_Frontier20Points)->Arg(20)->Arg(100)->Unit(benchmark::kMicrosecond);

// The goal "max_sharpe on stock_prices.csv (20 assets) under 100 us including estimation from
// the 20-year price history": prices already in memory (the CSV parse is not part of it).
// Arg 0: the separate steps (ReturnsFromPrices, EstimateExpectedReturns, EstimateCovariance);
// arg 1: EstimateMomentsFromPrices on the calling thread (the default, what the request path
// uses); arg 2: EstimateMomentsFromPrices with its helper thread (parallel = true).
// CPU time is the process's (both threads); the real time is the latency.
void BM_StockPricesMaxSharpeEndToEnd(benchmark::State& state) {
  const std::string root = PFOPT_SOURCE_DIR;
  auto table = pfopt::ReadTableCsv(root + "/examples/data/stock_prices.csv");
  if (!table) {
    state.SkipWithError(
        "cannot read examples/data/stock_prices.csv (run from the repository root)");
    return;
  }
  const bool one_call = state.range(0) != 0;
  pfopt::MomentsOptions moments_options;
  moments_options.parallel = state.range(0) == 2;
  pfopt::PortfolioProblem problem;
  problem.assets = table->assets;
  MeanVarianceOptions options;
  options.objective = Objective::kMaxSharpe;
  for (auto _ : state) {
    if (one_call) {
      auto moments = pfopt::EstimateMomentsFromPrices(table->values, moments_options);
      problem.expected_returns = std::move(moments->expected_returns);
      problem.covariance = std::move(moments->covariance.covariance);
    } else {
      auto returns = pfopt::ReturnsFromPrices(table->values);
      auto mu = pfopt::EstimateExpectedReturns(*returns);
      auto sigma = pfopt::EstimateCovariance(*returns);
      problem.expected_returns = *mu;
      problem.covariance = sigma->covariance;
    }
    auto result = pfopt::OptimizeMeanVariance(problem, options);
    benchmark::DoNotOptimize(result);
  }
  state.SetLabel(!one_call                  ? "separate steps"
                 : moments_options.parallel ? "EstimateMomentsFromPrices, 2 threads"
                                            : "EstimateMomentsFromPrices, 1 thread");
}
BENCHMARK(BM_StockPricesMaxSharpeEndToEnd)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->MeasureProcessCPUTime()
    ->ComputeStatistics("min", Fastest)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
