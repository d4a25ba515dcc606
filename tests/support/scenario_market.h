// Test helpers for the scenario models (CVaR, multi-objective): seeded fat-tailed scenario
// markets, and CVaR by its definition (sorting every loss), independent of the library's code.
#ifndef PFOPT_TESTS_SUPPORT_SCENARIO_MARKET_H_
#define PFOPT_TESTS_SUPPORT_SCENARIO_MARKET_H_

#include "pfopt/core/types.h"
#include "pfopt/optimize/portfolio_problem.h"

namespace pfopt::testing {

struct ScenarioMarket {
  PortfolioProblem problem;  // assets A0..A<n-1>, mu and Sigma annualised from the scenarios
  Matrix scenarios;          // T x n periodic returns
};

// One market factor (N(0, 1 %) shocks, loadings U(0.2, 1.2)), Student-t(4) noise at 0.6 %, a
// small drift by asset; long-only default constraints.
ScenarioMarket RandomScenarioMarket(int seed, Index periods, Index n);

// (sum of the floor(K) largest losses + (K - floor K) x the next one) / K, K = alpha T.
double SortedCvar(const MatrixRef& scenarios, const VectorRef& weights, double alpha);

}  // namespace pfopt::testing

#endif  // PFOPT_TESTS_SUPPORT_SCENARIO_MARKET_H_
