// Example: robust mean-variance (docs/robust.md). Four funds with estimated mu and Sigma from
// T = 120 monthly observations; MAX_UTILITY (delta = 3) nominally, and against the worst case
// over the ellipsoidal and the box uncertainty sets at 95 %. Run:
// build/release/examples/robust_mean_variance
#include <cstdio>

#include "pfopt/optimize/robust.h"

int main() {
  pfopt::PortfolioProblem problem;
  problem.assets = {"equity", "credit", "govies", "commodities"};
  problem.expected_returns = pfopt::Vector(4);
  problem.expected_returns << 0.085, 0.055, 0.030, 0.060;
  problem.covariance = pfopt::Matrix(4, 4);
  problem.covariance << 0.0289, 0.0085, -0.0012, 0.0102,  //
      0.0085, 0.0064, 0.0010, 0.0030,                     //
      -0.0012, 0.0010, 0.0025, -0.0005,                   //
      0.0102, 0.0030, -0.0005, 0.0400;
  problem.constraints.upper_bounds = pfopt::Vector::Constant(4, 0.6);

  pfopt::RobustOptions options;
  options.num_observations = 120;
  options.mean_variance.objective = pfopt::Objective::kMaxUtility;
  options.mean_variance.risk_aversion = 3.0;
  struct Variant {
    const char* name;
    pfopt::UncertaintySet set;
    double confidence;
  };
  for (const Variant& v : {Variant{"nominal", pfopt::UncertaintySet::kEllipsoidal, 0.0},
                           Variant{"ellipsoid", pfopt::UncertaintySet::kEllipsoidal, 0.95},
                           Variant{"box", pfopt::UncertaintySet::kBox, 0.95}}) {
    options.uncertainty = v.set;
    options.confidence = v.confidence;
    auto r = pfopt::OptimizeRobust(problem, options);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().ToString().c_str());
      return 2;
    }
    if (!pfopt::HasSolution(r->optimization.status)) return 1;
    // Robust portfolios give up nominal return for a better worst case (radius 0: nominal).
    std::printf("%-10s radius %.3f  return %.2f %%  worst case %.2f %%  volatility %.2f %% :",
                v.name, r->radius, 100 * r->optimization.performance.expected_return,
                100 * r->worst_case_return, 100 * r->optimization.performance.volatility);
    for (pfopt::Index i = 0; i < 4; ++i) std::printf(" %.1f", 100 * r->optimization.weights[i]);
    std::printf("\n");
  }
  return 0;
}
