// Example: allopy's PortfolioOptimizer and ActivePortfolioOptimizer in pfopt
// (docs/scenario.md). Reads a Monte-Carlo cube (quarters x trials x assets), then
//   1. maximises the expected return with the volatility at most 10 %,
//   2. minimises the 5 % CVaR (the mean of the 5 % worst 3-year returns),
//   3. with asset 0 as the benchmark held at 1, maximises the total expected return with a
//      tracking error of at most 3 % and active weights in [0, 0.25].
// Run from the repository root: build/release/examples/scenario_allopy [cube.npy|cube.csv]
#include <cstdio>

#include "pfopt/data/scenario_cube.h"
#include "pfopt/scenario/optimizer.h"

namespace sc = pfopt::scenario;

void Print(const char* title, const sc::ScenarioResult& r) {
  std::printf("%s: %s\n  %s\n  weights:", title, std::string(pfopt::EnumToString(r.status)).c_str(),
              r.message.c_str());
  for (pfopt::Index j = 0; j < r.weights.size(); ++j) std::printf(" %.4f", r.weights[j]);
  std::printf("\n  E = %.6f, vol = %.6f, CVaR = %.6f, Sharpe = %.4f (%d SQP iterations, %.2f ms)\n",
              r.metrics.expected_return, r.metrics.volatility, r.metrics.cvar,
              r.metrics.sharpe_ratio, r.iterations, 1e3 * r.solve_seconds);
}

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "tests/data/scenario/cube_20x2000x6_seed7.npy";
  auto cube = pfopt::ReadScenarioCube(path);
  if (!cube) {
    std::fprintf(stderr, "%s\n", cube.error().ToString().c_str());
    return 2;
  }
  // allopy: OptData(cube, time_unit='quarterly'); the CVaR data defaults to the first 3 years.
  auto data = sc::ScenarioData::Create(std::move(*cube), {.time_unit = 4});
  if (!data) {
    std::fprintf(stderr, "%s\n", data.error().ToString().c_str());
    return 2;
  }

  // allopy: PortfolioOptimizer(data).maximize_returns(max_vol=0.10)
  sc::PortfolioOptimizer portfolio(*data);
  auto max_returns = portfolio.MaximizeReturns({.max_vol = 0.10});
  // allopy: PortfolioOptimizer(data).minimize_cvar()
  auto min_cvar = portfolio.MinimizeCvar();

  // allopy: opt = ActivePortfolioOptimizer(data); opt.set_bounds(lb, ub);
  //         opt.maximize_eva(max_vol=0.03)
  sc::ActivePortfolioOptimizer active(*data);
  const pfopt::Index n = data->num_assets();
  pfopt::Vector lower = pfopt::Vector::Zero(n), upper = pfopt::Vector::Constant(n, 0.25);
  lower[0] = upper[0] = 1.0;
  if (!active.SetBounds(lower, upper)) return 2;
  auto eva = active.MaximizeEva({.max_vol = 0.03});

  if (!max_returns || !min_cvar || !eva) return 2;  // malformed input (Errors)
  Print("maximize_returns(max_vol=0.10)", *max_returns);
  Print("minimize_cvar()", *min_cvar);
  Print("maximize_eva(max_vol=0.03)", *eva);
  std::printf("  tracking error = %.6f, active return = %.6f, information ratio = %.4f\n",
              eva->metrics.tracking_error, eva->metrics.active_return, eva->metrics.info_ratio);
  const bool solved = max_returns->status == pfopt::OptimizationStatus::kOptimal &&
                      min_cvar->status == pfopt::OptimizationStatus::kOptimal &&
                      eva->status == pfopt::OptimizationStatus::kOptimal;
  return solved ? 0 : 1;
}
