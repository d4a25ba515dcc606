// Example: minimum CVaR and efficient CVaR portfolios from the bundled price history
// (docs/cvar.md). The scenarios are the daily returns of the periods where every stock has a
// price; alpha = 0.05 (the worst 5 % of days). Run from the repository root:
// build/release/examples/min_cvar_from_prices
#include <cstdio>

#include "pfopt/data/returns.h"
#include "pfopt/data/table.h"
#include "pfopt/estimate/expected_returns.h"
#include "pfopt/estimate/risk_models.h"
#include "pfopt/optimize/cvar.h"

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "examples/data/stock_prices.csv";
  auto prices = pfopt::ReadTableCsv(path);
  if (!prices) {
    std::fprintf(stderr, "%s\n", prices.error().ToString().c_str());
    return 2;
  }
  auto returns = pfopt::ReturnsFromPrices(*prices);
  if (!returns) return 2;
  // Scenarios: complete periods only (CVaR needs every asset's return in every scenario).
  const pfopt::Matrix scenarios = pfopt::CompleteScenarios(returns->values);
  auto mu = pfopt::EstimateExpectedReturns(returns->values);  // annualised, for the target
  auto sigma = pfopt::EstimateCovariance(returns->values, {});
  if (!mu || !sigma) return 2;

  pfopt::PortfolioProblem problem;
  problem.assets = prices->assets;
  problem.expected_returns = *mu;
  problem.covariance = sigma->covariance;
  problem.constraints.upper_bounds = pfopt::Vector::Constant(problem.num_assets(), 0.3);

  pfopt::CvarOptions options;  // MIN_CVAR, alpha 0.05
  auto minimum = pfopt::OptimizeCvar(problem, scenarios, options);
  options.objective = pfopt::CvarObjective::kEfficientReturn;
  options.target_return = 0.25;  // annualised
  auto efficient = pfopt::OptimizeCvar(problem, scenarios, options);
  if (!minimum || !efficient) {
    std::fprintf(stderr, "%s\n",
                 (!minimum ? minimum.error() : efficient.error()).ToString().c_str());
    return 2;
  }
  for (const pfopt::CvarResult* r : {&*minimum, &*efficient}) {
    if (!pfopt::HasSolution(r->optimization.status)) {
      std::fprintf(stderr, "%s\n", r->optimization.message.c_str());
      return 1;
    }
    std::printf(
        "%zu scenarios: CVaR %.4f %% per day (VaR %.4f %%), return %.2f %% a year, %d "
        "proximal steps\n",
        static_cast<std::size_t>(scenarios.rows()), 100 * r->tail_risk.cvar,
        100 * r->tail_risk.value_at_risk, 100 * r->optimization.performance.expected_return,
        r->outer_iterations);
    for (pfopt::Index i = 0; i < problem.num_assets(); ++i) {
      if (r->optimization.weights[i] > 1e-6) {
        std::printf("  %-5s %6.2f %%\n", problem.assets[static_cast<std::size_t>(i)].c_str(),
                    100 * r->optimization.weights[i]);
      }
    }
  }
  // The efficient portfolio pays for its return with a larger tail loss.
  return efficient->tail_risk.cvar >= minimum->tail_risk.cvar ? 0 : 1;
}
