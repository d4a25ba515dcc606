// Performance metrics of a wealth series (a backtest's, or any other).
//
// Input: wealth W_0..W_N at N + 1 period ends (W_0 > 0 the starting capital), their labels,
// periods per year f and an annualised risk-free rate rf. With r_t = W_t / W_{t-1} - 1
// (t = 1..N), rf_p = (1 + rf)^(1/f) - 1 and years = N / f:
//   total_return       W_N / W_0 - 1
//   annual_return      (W_N / W_0)^(1 / years) - 1             (compound annual growth rate)
//   annual_volatility  std(r, ddof 1) * sqrt(f)
//   sharpe_ratio       mean(r - rf_p) / std(r, ddof 1) * sqrt(f)
//   sortino_ratio      mean(r - rf_p) / sqrt(mean(min(r - rf_p, 0)^2)) * sqrt(f)
//   max_drawdown       max_t (1 - W_t / max_{s <= t} W_s), a positive fraction; with the labels
//                      of the peak, the trough and the recovery (first period after the trough
//                      back at the peak's wealth; empty if never)
//   calmar_ratio       annual_return / max_drawdown
//   hit_rate           fraction of the N periods with r_t > 0
// Ratios whose denominator is 0 (no volatility, no downside, no drawdown) are NaN ("undefined",
// null in JSON), never infinite. Trading figures (turnover, costs) are filled by RunBacktest.
#ifndef PFOPT_BACKTEST_METRICS_H_
#define PFOPT_BACKTEST_METRICS_H_

#include <string>
#include <vector>

#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt {

struct MetricsOptions {
  double periods_per_year = 252.0;  // f, > 0
  double risk_free_rate = 0.0;      // annualised, > -1

  Status Validate() const;
};

struct BacktestMetrics {
  // From the wealth series (ComputeWealthMetrics).
  Index num_periods = 0;  // N, return periods
  double years = 0.0;     // N / f
  double final_wealth = kNaN;
  double total_return = kNaN;
  double annual_return = kNaN;
  double annual_volatility = kNaN;
  double sharpe_ratio = kNaN;
  double sortino_ratio = kNaN;
  double max_drawdown = 0.0;
  std::string drawdown_peak;      // label of the peak before the deepest drawdown
  std::string drawdown_trough;    // label of its trough
  std::string drawdown_recovery;  // first label back at the peak's wealth; empty if never
  double calmar_ratio = kNaN;
  double hit_rate = kNaN;
  double best_period = kNaN;   // largest r_t
  double worst_period = kNaN;  // smallest r_t

  // From the trades (RunBacktest). Turnover = sum_i |w_i - w_drift_i| per rebalance.
  Index rebalances = 0;           // rebalance dates at which the allocator was called (or none
                                  // was eligible), including the initial investment
  Index failed_rebalances = 0;    // of which failed (holdings kept)
  double initial_turnover = 0.0;  // turnover of the initial investment (normally the
                                  // invested fraction)
  double average_turnover = 0.0;  // mean turnover per rebalance after the initial one
  double annual_turnover = 0.0;   // turnover after the initial investment, per year
  double costs = 0.0;             // sum over trades of cost / pre-trade wealth (the return drag)
  double annual_cost = 0.0;       // costs per year
  double cost_amount = 0.0;       // total costs paid, in units of the initial capital
};

// Fills the wealth-based fields above. A wealth of 0 is ruin: the return into it is -100 % and
// returns after it are 0. Errors: invalid options; fewer than 2 wealth values; labels of another
// length; a non-finite or negative wealth, or W_0 <= 0.
Result<BacktestMetrics> ComputeWealthMetrics(const VectorRef& wealth,
                                             const std::vector<std::string>& periods,
                                             const MetricsOptions& options = {});

// Drawdown of each period: 1 - W_t / max_{s <= t} W_s (0 at new highs).
Vector DrawdownSeries(const VectorRef& wealth);

}  // namespace pfopt

#endif  // PFOPT_BACKTEST_METRICS_H_
