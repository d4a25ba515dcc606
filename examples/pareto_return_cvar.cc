// Example: a return / CVaR Pareto front and one weighted multi-objective portfolio
// (docs/multi_objective.md) on the bundled price history. Run:
// build/release/examples/pareto_return_cvar
#include <cstdio>

#include "pfopt/data/returns.h"
#include "pfopt/data/table.h"
#include "pfopt/estimate/expected_returns.h"
#include "pfopt/estimate/risk_models.h"
#include "pfopt/optimize/multi_objective.h"

int main() {
  auto prices = pfopt::ReadTableCsv("examples/data/stock_prices.csv");
  if (!prices) return 2;
  auto returns = pfopt::ReturnsFromPrices(*prices);
  if (!returns) return 2;
  const pfopt::Matrix scenarios = pfopt::CompleteScenarios(returns->values);
  auto mu = pfopt::EstimateExpectedReturns(returns->values);
  auto sigma = pfopt::EstimateCovariance(returns->values, {});
  if (!mu || !sigma) return 2;
  pfopt::PortfolioProblem problem;
  problem.assets = prices->assets;
  problem.expected_returns = *mu;
  problem.covariance = sigma->covariance;
  problem.constraints.upper_bounds = pfopt::Vector::Constant(problem.num_assets(), 0.25);

  pfopt::ParetoFrontOptions front_options;  // return and CVaR, alpha 0.05
  front_options.num_points = 6;
  auto front = pfopt::TraceParetoFront(problem, scenarios, front_options);
  if (!front || front->status != pfopt::OptimizationStatus::kOptimal) return 1;
  std::printf("min CVaR s.t. return >= eps\n%10s %10s %10s %10s\n", "eps", "return", "CVaR",
              "volatility");
  for (const pfopt::ParetoPoint& p : front->points) {
    std::printf("%9.2f%% %9.2f%% %9.4f%% %9.2f%%\n", 100 * p.epsilon, 100 * p.terms.expected_return,
                100 * p.terms.cvar, 100 * p.performance.volatility);
  }

  // One point of the weighted-sum trade-off: return - 2 variance - 1 CVaR.
  pfopt::MultiObjectiveOptions options;
  options.weights = {.expected_return = 1.0, .variance = 2.0, .cvar = 1.0};
  auto multi = pfopt::OptimizeMultiObjective(problem, scenarios, options);
  if (!multi || !pfopt::HasSolution(multi->result.optimization.status)) return 1;
  std::printf("weighted sum: return %.2f %%, variance %.4f, CVaR %.4f %%, objective %.6f\n",
              100 * multi->terms.expected_return, multi->terms.variance, 100 * multi->terms.cvar,
              multi->result.optimization.objective_value);
  return 0;
}
