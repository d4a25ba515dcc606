// Google Benchmark of the dense QP solver on long-only minimum-variance problems
// (min w'Sigma w, sum w = 1, 0 <= w <= 1), n = 10 ... 1000.
//   ./build/release/bench/qp_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only
// BM_SolveQp: the one-shot function (what the optimisers call; it reuses a per-thread
// workspace, so this is the steady state of a process that keeps solving).
// BM_SolveQpFreshSolver: a new solver object per call (pays the allocation of the factor).
// BM_WarmResolve: re-solve after a small change of q, from the previous active set (what the
// rebalancer and the frontier do).
// BM_OneAtATime: block additions off (block_addition_threshold = 1), the classical method; the
// ratio to BM_SolveQp is the gain of block additions.
#include <benchmark/benchmark.h>

#include "bench/bench_problems.h"
#include "pfopt/solve/qp.h"

namespace {

using pfopt::Index;
using pfopt::QpOptions;
using pfopt::QpProblem;
using pfopt::QpSolution;
using pfopt::QpStatus;
using pfopt::QpSummary;

void Check(benchmark::State& state, const QpSummary& summary) {
  if (summary.status != QpStatus::kOptimal) state.SkipWithError("QP not optimal");
  state.counters["iterations"] = summary.iterations;
}

void BM_SolveQp(benchmark::State& state) {
  const QpProblem qp =
      pfopt::bench::LongOnlyMinVariance(pfopt::bench::FactorCovariance(state.range(0)));
  QpSummary summary;
  for (auto _ : state) {
    auto solution = pfopt::SolveQp(qp, {}, &summary);
    benchmark::DoNotOptimize(solution);
  }
  Check(state, summary);
}

void BM_SolveQpFreshSolver(benchmark::State& state) {
  const QpProblem qp =
      pfopt::bench::LongOnlyMinVariance(pfopt::bench::FactorCovariance(state.range(0)));
  QpSummary summary;
  QpSolution solution;
  for (auto _ : state) {
    pfopt::DenseQpSolver solver;
    (void)solver.Setup(qp);
    (void)solver.Solve(&solution, &summary);
    benchmark::DoNotOptimize(solution.x.data());
  }
  Check(state, summary);
}

void BM_OneAtATime(benchmark::State& state) {
  const QpProblem qp =
      pfopt::bench::LongOnlyMinVariance(pfopt::bench::FactorCovariance(state.range(0)));
  QpOptions options;
  options.block_addition_threshold = 1.0;
  QpSummary summary;
  for (auto _ : state) {
    auto solution = pfopt::SolveQp(qp, options, &summary);
    benchmark::DoNotOptimize(solution);
  }
  Check(state, summary);
}

void BM_WarmResolve(benchmark::State& state) {
  const Index n = state.range(0);
  QpProblem qp = pfopt::bench::LongOnlyMinVariance(pfopt::bench::FactorCovariance(n));
  const pfopt::Vector mu = pfopt::bench::ExpectedReturns(n);
  pfopt::DenseQpSolver solver;
  (void)solver.Setup(qp);
  QpSolution solution;
  QpSummary summary;
  (void)solver.Solve(&solution, &summary);
  double t = 0.0;
  for (auto _ : state) {
    t = t > 0.004 ? 0.0 : t + 0.001;  // small utility tilts, cycling
    (void)solver.UpdateLinearTerm(-t * mu);
    (void)solver.Solve(&solution, &summary);
    benchmark::DoNotOptimize(solution.x.data());
  }
  Check(state, summary);
}

#define PFOPT_SIZES ->Arg(10)->Arg(20)->Arg(100)->Arg(500)->Arg(1000)->Unit(benchmark::kMicrosecond)
BENCHMARK(BM_SolveQp) PFOPT_SIZES;
BENCHMARK(BM_SolveQpFreshSolver) PFOPT_SIZES;
BENCHMARK(BM_OneAtATime) PFOPT_SIZES;
BENCHMARK(BM_WarmResolve) PFOPT_SIZES;

}  // namespace
