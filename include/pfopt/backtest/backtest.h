// Walk-forward backtesting: strategies that re-allocate a portfolio at scheduled dates, using
// only the history before each date, simulated over a price table.
//
// The simulation (docs/backtest.md gives it with a worked example):
// - Prices: a TimeSeriesTable, one row per period (oldest first), one column per asset, NaN where
//   an asset has no price (not listed yet, or a gap). Rows without any price are dropped. Simple
//   returns r_t = P_t / P_{t-1} - 1 are NaN when either price is missing (none is invented).
// - Start: the first period s0 (at or after `start`) with `window` return periods up to and
//   including it. At the close of s0 the capital (wealth 1) is invested; the simulation runs to
//   the last period (or `end`). All strategies of a run share s0 and the periods.
// - Rebalancing: at the close of a rebalance period t the strategy's allocator sees the
//   returns of the estimation window (rolling: the `window` return periods ending at t;
//   expanding: every return period up to t) for its eligible assets, and the weights held now
//   (drifted since the last trade). It returns target weights; the trade happens at t's close
//   prices. No information after t's close is used for the trade at t.
// - Eligible assets: those of the strategy's universe with a price at t and at least
//   `min_observations` (default: `window`) observed returns in the window. An asset that starts
//   trading late is therefore excluded until it has enough history. A held asset that is not
//   eligible at a rebalance is sold (at its last price if it has none at t).
// - Holdings: units of each asset plus cash. Between trades the units stay fixed, so the
//   weights drift with prices; a held asset without a price in a period keeps its last price.
//   The unallocated part (1 - sum of the target weights) is cash, which earns `cash_rate`
//   (negative cash, i.e. leverage, pays it).
// - Costs: proportional, `cost_bps` basis points per side of the traded value (per asset
//   overrides in `asset_cost_bps`). They are paid out of the portfolio: the post-trade wealth W'
//   solves W' = W - sum_i c_i |w_i W' - h_i| exactly (W pre-trade wealth, h_i the value held,
//   w_i the target weight, c_i = bps / 10^4), so the post-trade weights are exactly the targets.
// - Series: the wealth recorded at a period is its close value *before* any trade at that close
//   (W_s0 = 1); the costs of a trade at t therefore appear in the return of period t + 1. The
//   weights recorded at a period are those held after its trade (what is carried forward).
// - A failed rebalance (the allocator's status has no solution, or it returns an Error after
//   the strategy's first successful allocation) keeps the drifted holdings, trades nothing,
//   costs nothing, and is recorded with its reason. An Error from a strategy's first allocation
//   attempt stops the backtest with that Error (a request that cannot run once is malformed).
#ifndef PFOPT_BACKTEST_BACKTEST_H_
#define PFOPT_BACKTEST_BACKTEST_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pfopt/backtest/metrics.h"
#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"
#include "pfopt/data/table.h"
#include "pfopt/optimize/mean_variance.h"

namespace pfopt {

enum class WindowType {
  kRolling,    // the last `window` return periods
  kExpanding,  // every return period since the first row (at least `window`)
};

template <>
struct EnumNames<WindowType> {
  static constexpr std::array<std::pair<WindowType, std::string_view>, 2> kNames{
      {{WindowType::kRolling, "ROLLING"}, {WindowType::kExpanding, "EXPANDING"}}};
};

enum class RebalanceSchedule {
  kPeriodic,   // every `rebalance_every` periods after the start
  kMonthly,    // at the last period of each calendar month (labels must start "YYYY-MM")
  kQuarterly,  // at the last period of March, June, September and December
  kDrift,      // whenever some weight is more than `drift_threshold` away from its target
  kNever,      // only the initial investment (buy and hold)
};
// Every schedule trades at the start s0. kDrift and kNever, which have no dates, retry at every
// period while the portfolio is still all cash (e.g. no asset was eligible yet); the others wait
// for their next date. No schedule trades at the last simulated period.

template <>
struct EnumNames<RebalanceSchedule> {
  static constexpr std::array<std::pair<RebalanceSchedule, std::string_view>, 5> kNames{
      {{RebalanceSchedule::kPeriodic, "PERIODIC"},
       {RebalanceSchedule::kMonthly, "MONTHLY"},
       {RebalanceSchedule::kQuarterly, "QUARTERLY"},
       {RebalanceSchedule::kDrift, "DRIFT"},
       {RebalanceSchedule::kNever, "NEVER"}}};
};

// Progress of a run: periods simulated so far over all strategies, and the total.
using BacktestProgress = std::function<void(Index done, Index total)>;

struct BacktestOptions {
  WindowType window_type = WindowType::kRolling;
  // Length of the estimation window in return periods (rolling), or its minimum (expanding).
  // Also fixes the start: the first period with `window` return periods up to it. >= 2.
  // Default 252 (one year of daily data).
  Index window = 252;
  // Observed returns an asset needs in the window to be eligible; unset = `window` (the whole
  // window, so assets with a short or gappy history wait). 2 <= value <= window.
  std::optional<Index> min_observations;
  RebalanceSchedule rebalance = RebalanceSchedule::kMonthly;
  // kPeriodic: periods between rebalances (>= 1). Default 21 (about a month of trading days).
  Index rebalance_every = 21;
  // kDrift: rebalance when max_i |w_i - target_i| exceeds this (weight units, > 0). Default 0.05.
  double drift_threshold = 0.05;
  // Proportional transaction cost per side, basis points of the traded value (10 = 0.1 %).
  // 0 <= bps < 10000. Default 0.
  double cost_bps = 0.0;
  // Per-asset costs (bps per side) overriding cost_bps; keys must be price-table columns.
  std::map<std::string, double> asset_cost_bps;
  // Periods per year f, for annualising the metrics and the rates below. > 0. Default 252.
  double periods_per_year = 252.0;
  // Annualised risk-free rate of the Sharpe and Sortino ratios (per period (1 + rf)^(1/f) - 1).
  double risk_free_rate = 0.0;
  // Annualised rate earned by cash (and paid on negative cash), compounded per period.
  double cash_rate = 0.0;
  // First and last period labels to simulate (inclusive; compared as text, so ISO dates order
  // correctly). Empty = from the first possible period / to the last row. Data before `start`
  // still feed the first estimation window.
  std::string start;
  std::string end;
  // Record the per-period weights of every strategy (periods x assets; turn off to save memory
  // on very wide tables). Default true.
  bool record_weights = true;
  // Called after each simulated period (may be empty).
  BacktestProgress progress;

  Status Validate() const;
};

// What an allocator is given at a rebalance.
struct RebalanceContext {
  Index period = 0;      // row of the (cleaned) price table whose close prices trade
  std::string date;      // its label
  bool initial = false;  // true while the portfolio holds only cash (the first investment)
  std::vector<std::string> assets;  // eligible assets, in the strategy's universe order
  std::vector<Index> columns;       // their columns in the price table
  Matrix returns;                   // estimation window x assets: simple returns, NaN = missing
  std::vector<std::string> window_periods;  // labels of the window's rows, oldest first
  Vector current_weights;  // weights held now (drifted), fractions of the pre-trade wealth
};

// What an allocator answers.
struct Allocation {
  OptimizationStatus status = OptimizationStatus::kNotRun;
  Vector weights;  // one per eligible asset when HasSolution(status); sum = invested fraction
  std::string message;
  std::vector<std::string> warnings;
  int iterations = 0;
};

// An allocator: Errors mean the call was wrong (see the failure rules above); a status without
// a solution means "no answer in this window".
using AllocationFunction = std::function<Result<Allocation>(const RebalanceContext&)>;

struct BacktestStrategy {
  std::string name;                 // unique within a run
  std::vector<std::string> assets;  // universe: price-table columns; empty = every column
  AllocationFunction allocate;
  // Overrides BacktestOptions::rebalance for this strategy (e.g. kNever for buy and hold).
  std::optional<RebalanceSchedule> rebalance;
};

// Equal weights over the eligible assets at each rebalance (1/k each, fully invested).
BacktestStrategy EqualWeightStrategy(std::string name = "equal_weight",
                                     std::vector<std::string> assets = {});
// Equal weights over the eligible assets at the start, never rebalanced (schedule kNever).
BacktestStrategy BuyAndHoldStrategy(std::string name = "buy_and_hold",
                                    std::vector<std::string> assets = {});

enum class RebalanceOutcome {
  kTraded,      // the allocation was applied
  kFailed,      // no solution or an Error: holdings kept as they were
  kNoEligible,  // no asset of the universe was eligible: everything is (or stays) in cash
};

template <>
struct EnumNames<RebalanceOutcome> {
  static constexpr std::array<std::pair<RebalanceOutcome, std::string_view>, 3> kNames{
      {{RebalanceOutcome::kTraded, "traded"},
       {RebalanceOutcome::kFailed, "failed"},
       {RebalanceOutcome::kNoEligible, "no_eligible_assets"}}};
};

struct RebalanceRecord {
  Index period = 0;  // index into BacktestResult::periods
  std::string date;
  RebalanceOutcome outcome = RebalanceOutcome::kTraded;
  OptimizationStatus status = OptimizationStatus::kNotRun;  // the allocator's status
  std::string message;                                      // reason of a failure, or empty
  std::vector<std::string> warnings;
  bool initial = false;       // the first investment from cash
  Index eligible_assets = 0;  // how many assets the allocator saw
  // sum_i |w_i - w_drift_i| over the universe (the definition of a turnover limit), 0 if no
  // trade. Assets sold because they stopped being eligible count too.
  double turnover = 0.0;
  double cost = 0.0;           // paid, in units of the initial capital
  double cost_fraction = 0.0;  // paid, as a fraction of the pre-trade wealth
  double wealth_before = kNaN;
  double seconds = 0.0;  // time spent in the allocator
};

struct StrategyResult {
  std::string name;
  std::vector<std::string> assets;  // the universe, in order (columns of `weights`)
  Vector wealth;   // per period (BacktestResult::periods), pre-trade, wealth[0] = 1
  Vector returns;  // per period; returns[0] = 0 (the start), then W_t/W_{t-1} - 1
  Matrix weights;  // periods x assets, held after each period's trade (if record_weights)
  Vector cash;     // per period, fraction of wealth held in cash after the trade
  std::vector<RebalanceRecord> rebalances;
  BacktestMetrics metrics;
  std::vector<std::string> warnings;  // e.g. the portfolio lost all its capital
  double allocation_seconds = 0.0;    // total time inside the allocator
};

struct BacktestResult {
  std::vector<std::string> periods;  // simulated period labels, s0 first
  Index start_row = 0;               // row of s0 in the cleaned price table
  std::vector<StrategyResult> strategies;
  std::vector<std::string> warnings;  // e.g. rows without any price dropped
  double seconds = 0.0;               // wall time of the whole run
};

// Runs every strategy over `prices`. Errors: invalid options; an empty or malformed table; no
// period with enough history; duplicate or empty strategy names; a universe naming an unknown
// column; monthly/quarterly schedules over labels that are not dates; an allocator returning
// weights of the wrong size or non-finite weights (kInternal), or an Error at a strategy's
// first allocation attempt (prefixed with the strategy name and date).
Result<BacktestResult> RunBacktest(const TimeSeriesTable& prices,
                                   const std::vector<BacktestStrategy>& strategies,
                                   const BacktestOptions& options);

}  // namespace pfopt

#endif  // PFOPT_BACKTEST_BACKTEST_H_
