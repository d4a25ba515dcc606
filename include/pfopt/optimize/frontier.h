// The efficient frontier: minimum-volatility portfolios for target returns spread evenly
// between the return of the minimum-volatility portfolio and the maximum attainable return,
// under the problem's constraints. The points are solved in order by one stateful QP solver,
// each starting from the previous point's active set.
#ifndef PFOPT_OPTIMIZE_FRONTIER_H_
#define PFOPT_OPTIMIZE_FRONTIER_H_

#include <optional>
#include <vector>

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/optimize/mean_variance.h"

namespace pfopt {

struct FrontierOptions {
  // Number of points, >= 2. Default 20.
  int num_points = 20;
  // Return range; unset = from the minimum-volatility portfolio's return to the maximum
  // attainable return.
  std::optional<double> min_return;
  std::optional<double> max_return;
  double risk_free_rate = 0.0;  // for the Sharpe ratio of each point
  double l2_gamma = 0.0;        // as in MeanVarianceOptions
  QpOptions qp;

  Status Validate() const;
};

struct FrontierPoint {
  double target_return = kNaN;
  PortfolioPerformance performance;
  Vector weights;
};

struct EfficientFrontier {
  OptimizationStatus status = OptimizationStatus::kNotRun;  // optimal if every point solved
  std::string message;
  std::vector<FrontierPoint> points;  // increasing target return
  int iterations = 0;
  double solve_seconds = 0.0;
};

Result<EfficientFrontier> TraceEfficientFrontier(const PortfolioProblem& problem,
                                                 const FrontierOptions& options = {});

}  // namespace pfopt

#endif  // PFOPT_OPTIMIZE_FRONTIER_H_
