// Example: hierarchical risk parity with the engine API, as PyPortfolioOpt's
// HRPOpt(returns).optimize() computes it: pairwise correlation and covariance of the daily
// returns, single-linkage tree, quasi-diagonal order, recursive bisection. Then the original
// paper's "distance of distances" variant with Ward linkage (docs/hierarchical_risk_parity.md).
// Run from the repository root: build/release/examples/hierarchical_risk_parity_from_prices
#include <cstdio>
#include <string>
#include <utility>

#include "pfopt/data/returns.h"
#include "pfopt/data/table.h"
#include "pfopt/estimate/risk_models.h"
#include "pfopt/optimize/hierarchical_risk_parity.h"

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "examples/data/stock_prices.csv";
  auto prices = pfopt::ReadTableCsv(path);
  if (!prices) {
    std::fprintf(stderr, "%s\n", prices.error().ToString().c_str());
    return 2;
  }
  auto returns = pfopt::ReturnsFromPrices(*prices);
  if (!returns) return 2;
  auto sigma = pfopt::EstimateCovariance(returns->values);         // pairwise sample, annualised
  auto correlation = pfopt::PairwiseCorrelation(returns->values);  // pandas' returns.corr()
  if (!sigma || !correlation) return 2;
  pfopt::PortfolioProblem problem;
  problem.assets = prices->assets;
  problem.covariance = sigma->covariance;

  for (auto [linkage, distance] :
       {std::pair{pfopt::LinkageMethod::kSingle, pfopt::HrpDistance::kCorrelation},
        std::pair{pfopt::LinkageMethod::kWard, pfopt::HrpDistance::kDistanceOfDistances}}) {
    pfopt::HrpOptions options;
    options.linkage = linkage;
    options.distance = distance;
    auto result = pfopt::OptimizeHierarchicalRiskParity(problem, *correlation, options);
    if (!result) {
      std::fprintf(stderr, "%s\n", result.error().ToString().c_str());
      return 2;
    }
    std::printf("HRP, %s linkage, %s distance: volatility %.2f %%\n  order:",
                std::string(pfopt::EnumToString(linkage)).c_str(),
                std::string(pfopt::EnumToString(distance)).c_str(),
                100 * result->performance.volatility);
    for (pfopt::Index i : result->leaf_order) {
      std::printf(" %s", problem.assets[static_cast<std::size_t>(i)].c_str());
    }
    std::printf("\n");
    for (pfopt::Index i : result->leaf_order) {
      std::printf("  %-5s %6.2f %%\n", problem.assets[static_cast<std::size_t>(i)].c_str(),
                  100 * result->weights[i]);
    }
  }
  return 0;
}
