// Google Benchmark of the allocation models on seeded factor-model covariances (the
// construction of the shared benchmark data, bench_problems.h): risk parity (equal budgets,
// long-only), hierarchical risk parity (single linkage; the correlation of the covariance) and
// the Black-Litterman posterior (absolute views on a tenth of the assets).
//   ./build/release/bench/allocation_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only
#include <benchmark/benchmark.h>

#include "bench/bench_problems.h"
#include "pfopt/estimate/risk_models.h"
#include "pfopt/optimize/black_litterman.h"
#include "pfopt/optimize/hierarchical_risk_parity.h"
#include "pfopt/optimize/risk_parity.h"

namespace {

void BM_RiskParity(benchmark::State& state) {
  pfopt::PortfolioProblem problem = pfopt::bench::RandomPortfolio(state.range(0));
  int iterations = 0;
  for (auto _ : state) {
    auto result = pfopt::OptimizeRiskParity(problem);
    if (!result || result->status != pfopt::OptimizationStatus::kOptimal) {
      state.SkipWithError(result ? result->message.c_str() : result.error().message().c_str());
      break;
    }
    iterations = result->iterations;
    benchmark::DoNotOptimize(result->weights.data());
  }
  state.counters["newton_iterations"] = iterations;
}
BENCHMARK(BM_RiskParity)
    ->Arg(10)
    ->Arg(100)
    ->Arg(250)
    ->Arg(500)
    ->Arg(1000)
    ->Unit(benchmark::kMicrosecond);

void BM_HierarchicalRiskParity(benchmark::State& state) {
  const pfopt::PortfolioProblem problem = pfopt::bench::RandomPortfolio(state.range(0));
  const pfopt::Matrix correlation = pfopt::CovarianceToCorrelation(problem.covariance);
  for (auto _ : state) {
    auto result = pfopt::OptimizeHierarchicalRiskParity(problem, correlation);
    if (!result) {
      state.SkipWithError(result.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(result->weights.data());
  }
}
BENCHMARK(BM_HierarchicalRiskParity)->Arg(100)->Arg(500)->Arg(1000)->Unit(benchmark::kMicrosecond);

void BM_BlackLittermanPosterior(benchmark::State& state) {
  const pfopt::Matrix sigma = pfopt::bench::FactorCovariance(state.range(0));
  const pfopt::bench::BlackLittermanInputs in = pfopt::bench::MakeBlackLittermanInputs(sigma);
  for (auto _ : state) {
    auto posterior =
        pfopt::ComputeBlackLittermanPosterior(sigma, in.prior, in.views, in.view_returns);
    if (!posterior) {
      state.SkipWithError(posterior.error().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(posterior->covariance.data());
  }
  state.counters["views"] = static_cast<double>(in.views.rows());
}
BENCHMARK(BM_BlackLittermanPosterior)->Arg(100)->Arg(500)->Unit(benchmark::kMicrosecond);

}  // namespace
