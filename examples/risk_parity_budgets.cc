// Example: risk budgeting with the engine API. Estimates the covariance of the bundled 20-stock
// price history, then finds (1) the equal-risk-contribution portfolio, (2) a portfolio whose
// risk budgets favour five stocks, and (3) risk parity with a 6 % cap per stock, where the
// risk contributions of the capped stocks fall below their share (docs/risk_parity.md).
// Run from the repository root: build/release/examples/risk_parity_budgets
#include <algorithm>
#include <cstdio>

#include "pfopt/data/returns.h"
#include "pfopt/data/table.h"
#include "pfopt/estimate/risk_models.h"
#include "pfopt/optimize/risk_parity.h"

namespace {

int Report(const char* title, const pfopt::PortfolioProblem& problem,
           const pfopt::Result<pfopt::RiskParityResult>& result) {
  if (!result) {
    std::fprintf(stderr, "%s\n", result.error().ToString().c_str());
    return 2;
  }
  if (!pfopt::HasSolution(result->status)) {
    std::fprintf(stderr, "%s: %s\n", title, result->message.c_str());
    return 1;
  }
  std::printf("%s: volatility %.2f %%, %d Newton iterations, max |RC - b| = %.1e%s\n", title,
              100 * result->performance.volatility, result->iterations, result->objective_value,
              result->bounds_bind ? " (bounds bind)" : "");
  for (pfopt::Index i = 0; i < problem.num_assets(); ++i) {
    std::printf("  %-5s weight %6.2f %%  risk %6.2f %%  budget %6.2f %%\n",
                problem.assets[static_cast<std::size_t>(i)].c_str(), 100 * result->weights[i],
                100 * result->risk_contributions[i], 100 * result->budgets[i]);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "examples/data/stock_prices.csv";
  auto prices = pfopt::ReadTableCsv(path);
  if (!prices) {
    std::fprintf(stderr, "%s\n", prices.error().ToString().c_str());
    return 2;
  }
  auto returns = pfopt::ReturnsFromPrices(*prices);
  if (!returns) return 2;
  auto sigma = pfopt::EstimateCovariance(returns->values);  // sample, annualised (252)
  if (!sigma) return 2;
  pfopt::PortfolioProblem problem;
  problem.assets = prices->assets;
  problem.covariance = sigma->covariance;
  const pfopt::Index n = problem.num_assets();

  int status = Report("equal risk contributions", problem, pfopt::OptimizeRiskParity(problem));

  pfopt::RiskParityOptions budgeted;
  budgeted.budgets = pfopt::Vector::Ones(n);
  budgeted.budgets.head(5).setConstant(3.0);  // GOOG AAPL FB BABA AMZN: 3x the others' risk
  status = std::max(status,
                    Report("budgets 3:1", problem, pfopt::OptimizeRiskParity(problem, budgeted)));

  problem.constraints.lower_bounds = pfopt::Vector::Zero(n);
  problem.constraints.upper_bounds = pfopt::Vector::Constant(n, 0.06);
  status = std::max(
      status, Report("equal budgets, weights <= 6 %", problem, pfopt::OptimizeRiskParity(problem)));
  return status;
}
