// Google Benchmark of the scenario and robust models: exact CVaR (Rockafellar-Uryasev) at
// T scenarios x n assets, CVaR under constraints and as a limit, the weighted multi-objective,
// a Pareto front, and the robust mean-variance objectives. Seeded fat-tailed factor scenarios.
//   ./build/release/bench/scenario_models_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only
// The peer comparisons (scipy/HiGHS, cvxopt in the same run) are bench/compare_cvar.sh and
// bench/compare_robust.sh.
#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "bench/bench_problems.h"
#include "pfopt/optimize/cvar.h"
#include "pfopt/optimize/multi_objective.h"
#include "pfopt/optimize/robust.h"

namespace {

using pfopt::Index;
using pfopt::Matrix;
using pfopt::Vector;

struct ScenarioMarket {
  pfopt::PortfolioProblem problem;
  Matrix scenarios;
};

// Daily-like returns: 5 factors with N(0, 1 %) shocks and loadings U(0, 1) / 2, Student-t(4)
// idiosyncratic noise at 1 %, drift 3 bp; mu and Sigma annualised from the scenarios.
ScenarioMarket MakeMarket(Index periods, Index n, unsigned seed = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::student_t_distribution<double> student(4.0);
  std::uniform_real_distribution<double> uniform;
  const Index k = 5;
  Matrix factors(periods, k), loadings(n, k);
  for (Index t = 0; t < periods; ++t)
    for (Index j = 0; j < k; ++j) factors(t, j) = 0.01 * normal(rng);
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < k; ++j) loadings(i, j) = uniform(rng);
  ScenarioMarket m;
  m.scenarios = 0.5 * factors * loadings.transpose();
  for (Index t = 0; t < periods; ++t)
    for (Index i = 0; i < n; ++i) m.scenarios(t, i) += 0.01 * student(rng) + 0.0003;
  for (Index i = 0; i < n; ++i) m.problem.assets.push_back("A" + std::to_string(i));
  m.problem.expected_returns = 252.0 * m.scenarios.colwise().mean().transpose();
  const Matrix centred = m.scenarios.rowwise() - m.scenarios.colwise().mean();
  m.problem.covariance = 252.0 * centred.transpose() * centred / static_cast<double>(periods - 1);
  return m;
}

void Report(benchmark::State& state, const pfopt::CvarResult& r) {
  state.counters["outer_iterations"] = r.outer_iterations;
  state.counters["qp_iterations"] = r.optimization.iterations;
  state.counters["cvar"] = r.tail_risk.cvar;
}

bool Solved(benchmark::State& state, const pfopt::Result<pfopt::CvarResult>& r) {
  if (!r || !pfopt::HasSolution(r->optimization.status)) {
    state.SkipWithError(r ? r->optimization.message.c_str() : r.error().message().c_str());
    return false;
  }
  return true;
}

// Minimum CVaR, long-only, alpha 0.05. Args: T, n.
void BM_MinCvar(benchmark::State& state) {
  const ScenarioMarket m = MakeMarket(state.range(0), state.range(1));
  pfopt::CvarOptions options;
  for (auto _ : state) {
    auto r = pfopt::OptimizeCvar(m.problem, m.scenarios, options);
    if (!Solved(state, r)) break;
    Report(state, *r);
  }
}
BENCHMARK(BM_MinCvar)
    ->Args({1000, 20})
    ->Args({10000, 50})
    ->Args({50000, 50})
    ->Unit(benchmark::kMillisecond);

// Minimum CVaR with bounds 0..0.1, two sector caps and a turnover limit from equal weights.
void BM_MinCvarConstrained(benchmark::State& state) {
  ScenarioMarket m = MakeMarket(state.range(0), state.range(1));
  const Index n = m.problem.num_assets();
  pfopt::PortfolioConstraints& c = m.problem.constraints;
  c.upper_bounds = Vector::Constant(n, 0.1);
  for (Index i = 0; i < n; ++i) c.sectors.push_back(i % 3 == 0 ? "a" : (i % 3 == 1 ? "b" : "c"));
  c.sector_upper = {{"a", 0.3}, {"b", 0.4}};
  c.current_weights = Vector::Constant(n, 1.0 / static_cast<double>(n));
  c.turnover_limit = 0.5;
  pfopt::CvarOptions options;
  for (auto _ : state) {
    auto r = pfopt::OptimizeCvar(m.problem, m.scenarios, options);
    if (!Solved(state, r)) break;
    Report(state, *r);
  }
}
BENCHMARK(BM_MinCvarConstrained)->Args({10000, 50})->Unit(benchmark::kMillisecond);

// Maximum return under a CVaR limit of 1.2 x the minimum (two phases).
void BM_MaxReturnCvarLimit(benchmark::State& state) {
  const ScenarioMarket m = MakeMarket(state.range(0), state.range(1));
  auto minimum = pfopt::OptimizeCvar(m.problem, m.scenarios, {});
  pfopt::CvarOptions options;
  options.objective = pfopt::CvarObjective::kEfficientRisk;
  options.cvar_limit = 1.2 * minimum->tail_risk.cvar;
  for (auto _ : state) {
    auto r = pfopt::OptimizeCvar(m.problem, m.scenarios, options);
    if (!Solved(state, r)) break;
    Report(state, *r);
  }
}
BENCHMARK(BM_MaxReturnCvarLimit)->Args({10000, 50})->Unit(benchmark::kMillisecond);

// return + variance + CVaR + turnover (from equal weights) + L2: a QP with the CVaR term.
void BM_MultiObjective(benchmark::State& state) {
  ScenarioMarket m = MakeMarket(state.range(0), state.range(1));
  const Index n = m.problem.num_assets();
  m.problem.constraints.current_weights = Vector::Constant(n, 1.0 / static_cast<double>(n));
  pfopt::MultiObjectiveOptions options;
  options.weights = {
      .expected_return = 1.0, .variance = 2.0, .cvar = 1.0, .turnover = 0.01, .l2 = 0.01};
  for (auto _ : state) {
    auto r = pfopt::OptimizeMultiObjective(m.problem, m.scenarios, options);
    if (!Solved(state, r ? pfopt::Result<pfopt::CvarResult>(r->result)
                         : pfopt::Result<pfopt::CvarResult>(tl::unexpected(r.error())))) {
      break;
    }
    Report(state, r->result);
  }
}
BENCHMARK(BM_MultiObjective)->Args({2000, 20})->Args({10000, 50})->Unit(benchmark::kMillisecond);

// A 10-point return/CVaR Pareto front.
void BM_ParetoReturnCvar(benchmark::State& state) {
  const ScenarioMarket m = MakeMarket(state.range(0), state.range(1));
  pfopt::ParetoFrontOptions options;
  options.num_points = 10;
  for (auto _ : state) {
    auto front = pfopt::TraceParetoFront(m.problem, m.scenarios, options);
    if (!front || front->status != pfopt::OptimizationStatus::kOptimal) {
      state.SkipWithError("front not solved");
      break;
    }
    benchmark::DoNotOptimize(front->points.data());
  }
}
BENCHMARK(BM_ParetoReturnCvar)->Args({2000, 20})->Unit(benchmark::kMillisecond);

// Robust objectives on the factor-model covariance of bench_problems.h, T = 500, 95 %.
void RunRobust(benchmark::State& state, pfopt::UncertaintySet set, pfopt::Objective objective,
               bool shorts) {
  pfopt::PortfolioProblem problem = pfopt::bench::RandomPortfolio(state.range(0));
  const Index n = problem.num_assets();
  if (shorts) {
    problem.constraints.lower_bounds = Vector::Constant(n, -0.2);
    problem.constraints.upper_bounds = Vector::Constant(n, 0.5);
  }
  pfopt::RobustOptions options;
  options.uncertainty = set;
  options.num_observations = 500;
  options.mean_variance.objective = objective;
  options.mean_variance.risk_aversion = 2.0;
  options.mean_variance.target_return = 0.3;
  options.mean_variance.target_volatility = 0.3;
  int iterations = 0;
  for (auto _ : state) {
    auto r = pfopt::OptimizeRobust(problem, options);
    if (!r || !pfopt::HasSolution(r->optimization.status)) {
      state.SkipWithError(r ? r->optimization.message.c_str() : r.error().message().c_str());
      break;
    }
    iterations = r->optimization.iterations;
    benchmark::DoNotOptimize(r->optimization.weights.data());
  }
  state.counters["qp_iterations"] = iterations;
}

void BM_RobustEllipsoidMaxUtility(benchmark::State& s) {
  RunRobust(s, pfopt::UncertaintySet::kEllipsoidal, pfopt::Objective::kMaxUtility, false);
}
void BM_RobustEllipsoidEfficientReturn(benchmark::State& s) {
  RunRobust(s, pfopt::UncertaintySet::kEllipsoidal, pfopt::Objective::kEfficientReturn, false);
}
void BM_RobustBoxMaxUtilityShorts(benchmark::State& s) {
  RunRobust(s, pfopt::UncertaintySet::kBox, pfopt::Objective::kMaxUtility, true);
}
void BM_RobustBoxMaxSharpeShorts(benchmark::State& s) {
  RunRobust(s, pfopt::UncertaintySet::kBox, pfopt::Objective::kMaxSharpe, true);
}
BENCHMARK(BM_RobustEllipsoidMaxUtility)->Arg(20)->Arg(100)->Arg(500)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RobustEllipsoidEfficientReturn)->Arg(20)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RobustBoxMaxUtilityShorts)->Arg(20)->Arg(100)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RobustBoxMaxSharpeShorts)->Arg(20)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
