// Example: the engine API end to end. Reads the bundled price history, estimates expected
// returns (compounded mean) and the sample covariance, and solves max Sharpe with a 25 % cap per
// stock. Run from the repository root: build/release/examples/max_sharpe_from_prices
#include <cstdio>

#include "pfopt/data/returns.h"
#include "pfopt/data/table.h"
#include "pfopt/estimate/expected_returns.h"
#include "pfopt/estimate/risk_models.h"
#include "pfopt/optimize/mean_variance.h"

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "examples/data/stock_prices.csv";
  auto prices = pfopt::ReadTableCsv(path);
  if (!prices) {
    std::fprintf(stderr, "%s\n", prices.error().ToString().c_str());
    return 2;
  }
  auto returns = pfopt::ReturnsFromPrices(*prices);
  if (!returns) return 2;
  auto mu = pfopt::EstimateExpectedReturns(returns->values);  // MEAN_HISTORICAL, 252 periods
  pfopt::RiskModelOptions risk;
  risk.model = pfopt::RiskModel::kLedoitWolf;  // shrinkage towards constant variance
  auto sigma = pfopt::EstimateCovariance(returns->values, risk);
  if (!mu || !sigma) return 2;

  pfopt::PortfolioProblem problem;
  problem.assets = prices->assets;
  problem.expected_returns = *mu;
  problem.covariance = sigma->covariance;
  const pfopt::Index n = problem.num_assets();
  problem.constraints.lower_bounds = pfopt::Vector::Zero(n);
  problem.constraints.upper_bounds = pfopt::Vector::Constant(n, 0.25);

  pfopt::MeanVarianceOptions options;
  options.objective = pfopt::Objective::kMaxSharpe;
  options.risk_free_rate = 0.02;
  auto result = pfopt::OptimizeMeanVariance(problem, options);
  if (!result) {
    std::fprintf(stderr, "%s\n", result.error().ToString().c_str());
    return 2;
  }
  if (!pfopt::HasSolution(result->status)) {
    std::fprintf(stderr, "%s\n", result->message.c_str());
    return 1;
  }
  std::printf(
      "Ledoit-Wolf shrinkage %.4f; max Sharpe: return %.2f %%, volatility %.2f %%, Sharpe %.3f\n",
      sigma->shrinkage, 100 * result->performance.expected_return,
      100 * result->performance.volatility, result->performance.sharpe_ratio);
  for (pfopt::Index i = 0; i < n; ++i) {
    if (result->weights[i] > 1e-6) {
      std::printf("  %-5s %6.2f %%\n", problem.assets[static_cast<std::size_t>(i)].c_str(),
                  100 * result->weights[i]);
    }
  }
  return 0;
}
