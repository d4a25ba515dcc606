#include "pfopt/backtest/backtest.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace pfopt {

namespace {

using Clock = std::chrono::steady_clock;
using IndexMatrix = Eigen::Matrix<Index, Eigen::Dynamic, Eigen::Dynamic>;

std::string Num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.10g", value);
  return buffer;
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// "YYYY-MM..." -> year * 12 + month - 1, or -1 if the label does not start with a date.
Index MonthKey(const std::string& label) {
  if (label.size() < 7 || label[4] != '-') return -1;
  for (int i : {0, 1, 2, 3, 5, 6}) {
    if (label[static_cast<std::size_t>(i)] < '0' || label[static_cast<std::size_t>(i)] > '9') {
      return -1;
    }
  }
  const Index year = std::stoi(label.substr(0, 4));
  const Index month = std::stoi(label.substr(5, 2));
  if (month < 1 || month > 12) return -1;
  return year * 12 + month - 1;
}

// The data every strategy of a run shares.
struct Market {
  TimeSeriesTable prices;  // rows without any price dropped
  Matrix returns;          // same shape; row 0 NaN; r_t = P_t / P_{t-1} - 1, NaN if either missing
  IndexMatrix observed;    // (rows + 1) x assets: observed returns in rows [0, t)
  Index start = 0;         // s0
  Index end = 0;           // last simulated row
  std::vector<bool> scheduled_monthly, scheduled_quarterly;  // per row
  Vector cost_rate;                                          // per column, fraction per side
};

Result<Market> PrepareMarket(const TimeSeriesTable& table, const BacktestOptions& options,
                             bool need_calendar, std::vector<std::string>* warnings) {
  const Index rows = table.values.rows(), cols = table.values.cols();
  if (static_cast<Index>(table.periods.size()) != rows ||
      static_cast<Index>(table.assets.size()) != cols) {
    return DimensionMismatch("the price table has " + std::to_string(table.periods.size()) +
                                 " period labels and " + std::to_string(table.assets.size()) +
                                 " asset names for a " + std::to_string(rows) + " x " +
                                 std::to_string(cols) + " matrix",
                             "prices");
  }
  if (cols == 0) return InvalidArgument("the price table has no asset column", "prices");
  std::set<std::string> names;
  for (const auto& a : table.assets) {
    if (a.empty()) return InvalidArgument("the price table has an empty asset name", "prices");
    if (!names.insert(a).second) {
      return InvalidArgument("asset '" + a + "' appears twice in the price table", "prices");
    }
  }
  Market market;
  std::vector<Index> keep;
  for (Index t = 0; t < rows; ++t) {
    bool any = false;
    for (Index j = 0; j < cols; ++j) {
      const double p = table.values(t, j);
      if (std::isnan(p)) continue;
      if (!(std::isfinite(p) && p > 0.0)) {
        return InvalidArgument(
            "price " + Num(p) + " of '" + table.assets[static_cast<std::size_t>(j)] + "' at " +
                table.periods[static_cast<std::size_t>(t)] + " is not a positive finite number",
            "prices");
      }
      any = true;
    }
    if (any) keep.push_back(t);
  }
  if (static_cast<Index>(keep.size()) < rows) {
    warnings->push_back(std::to_string(rows - static_cast<Index>(keep.size())) +
                        " period(s) without any price were dropped");
  }
  const Index n = static_cast<Index>(keep.size());
  market.prices.assets = table.assets;
  market.prices.values.resize(n, cols);
  for (Index k = 0; k < n; ++k) {
    market.prices.values.row(k) = table.values.row(keep[static_cast<std::size_t>(k)]);
    market.prices.periods.push_back(
        table.periods[static_cast<std::size_t>(keep[static_cast<std::size_t>(k)])]);
  }
  const Matrix& p = market.prices.values;
  market.returns = Matrix::Constant(n, cols, kNaN);
  if (n >= 2) {
    market.returns.bottomRows(n - 1) = p.bottomRows(n - 1).array() / p.topRows(n - 1).array() - 1.0;
  }
  market.observed = IndexMatrix::Zero(n + 1, cols);
  for (Index t = 0; t < n; ++t) {
    for (Index j = 0; j < cols; ++j) {
      market.observed(t + 1, j) =
          market.observed(t, j) + (std::isnan(market.returns(t, j)) ? 0 : 1);
    }
  }

  // Start and end rows.
  Index start = options.window;
  while (start < n && !options.start.empty() &&
         market.prices.periods[static_cast<std::size_t>(start)] < options.start) {
    ++start;
  }
  Index end = n - 1;
  while (end >= 0 && !options.end.empty() &&
         market.prices.periods[static_cast<std::size_t>(end)] > options.end) {
    --end;
  }
  if (start >= n || start >= end) {
    return InvalidArgument(
        "no simulation period: the table has " + std::to_string(n) + " periods with prices; the " +
            "start needs " + std::to_string(options.window) +
            " return periods of history before it (window) and at least one period after it" +
            (options.start.empty() ? std::string()
                                   : ", at or after start '" + options.start + "'") +
            (options.end.empty() ? std::string() : ", up to end '" + options.end + "'"),
        "window");
  }
  market.start = start;
  market.end = end;

  if (need_calendar) {
    market.scheduled_monthly.assign(static_cast<std::size_t>(n), false);
    market.scheduled_quarterly.assign(static_cast<std::size_t>(n), false);
    for (Index t = start; t < end; ++t) {
      const std::string& label = market.prices.periods[static_cast<std::size_t>(t)];
      const std::string& next = market.prices.periods[static_cast<std::size_t>(t + 1)];
      const Index month = MonthKey(label), next_month = MonthKey(next);
      if (month < 0 || next_month < 0) {
        return InvalidArgument("period label '" + (month < 0 ? label : next) +
                                   "' does not start with a date YYYY-MM; monthly and quarterly "
                                   "rebalancing need dates",
                               "rebalance");
      }
      if (month != next_month) {
        market.scheduled_monthly[static_cast<std::size_t>(t)] = true;
        market.scheduled_quarterly[static_cast<std::size_t>(t)] = month / 3 != next_month / 3;
      }
    }
  }

  market.cost_rate = Vector::Constant(cols, options.cost_bps * 1e-4);
  for (const auto& [asset, bps] : options.asset_cost_bps) {
    const Index j = market.prices.AssetIndex(asset);
    if (j < 0) {
      return InvalidArgument("asset_cost_bps names '" + asset + "', which is not a price column",
                             "asset_cost_bps." + asset);
    }
    market.cost_rate[j] = bps * 1e-4;
  }
  return market;
}

// Post-trade wealth W' with W' = W - sum_j c_j |w_j W' - h_j|. g(x) = x - W + sum c_j |w_j x - h_j|
// is convex and increasing when sum c_j |w_j| < 1, and g(W) >= 0, so Newton's method from W
// decreases monotonically onto the root and stops exactly once it sits on the root's linear
// piece (at most one step per kink crossed).
Result<double> PostTradeWealth(double wealth, const Vector& target, const Vector& held,
                               const Vector& cost_rate) {
  const double slope_bound = (cost_rate.array() * target.array().abs()).sum();
  if (!(slope_bound < 1.0)) {
    return InvalidArgument("costs times gross exposure reach " + Num(slope_bound) +
                               "; the costs of the trade cannot be paid (need sum_i c_i |w_i| < 1)",
                           "cost_bps");
  }
  double x = wealth;
  for (int iteration = 0; iteration < 200; ++iteration) {
    double g = x - wealth, slope = 1.0;
    for (Index j = 0; j < target.size(); ++j) {
      if (cost_rate[j] == 0.0) continue;
      const double d = target[j] * x - held[j];
      g += cost_rate[j] * std::abs(d);
      // Left derivative: the iterates move left.
      const double sign = d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : (target[j] > 0.0 ? -1.0 : 1.0));
      slope += cost_rate[j] * target[j] * sign;
    }
    if (g <= 0.0) break;
    const double next = x - g / slope;
    if (!(next < x)) break;
    x = next;
  }
  return x;
}

class Simulation {
 public:
  Simulation(const Market& market, const BacktestOptions& options, const BacktestStrategy& strategy,
             std::vector<Index> columns, Index* progress_done, Index progress_total)
      : market_(market),
        options_(options),
        strategy_(strategy),
        columns_(std::move(columns)),
        schedule_(strategy.rebalance.value_or(options.rebalance)),
        progress_done_(progress_done),
        progress_total_(progress_total) {}

  Result<StrategyResult> Run();

 private:
  // Whether to rebalance at row t; *retry is set when the only reason is that the portfolio is
  // still uninvested under a schedule without dates (kDrift, kNever).
  bool Scheduled(Index t, Index step, const Vector& held, double wealth, bool* retry) const;
  Status Rebalance(Index t, Index step, double wealth, bool retry, StrategyResult* result);

  const Market& market_;
  const BacktestOptions& options_;
  const BacktestStrategy& strategy_;
  const std::vector<Index> columns_;  // universe -> price column
  const RebalanceSchedule schedule_;
  Index* progress_done_;
  Index progress_total_;

  Vector units_;       // per universe asset
  Vector last_price_;  // per universe asset, NaN before the first price
  Vector target_;      // weights of the last successful allocation
  double cash_ = 0.0;
  bool invested_ = false;   // some allocation has succeeded
  bool attempted_ = false;  // the allocator has been called
};

Vector HeldValues(const Vector& units, const Vector& last_price) {
  Vector held = Vector::Zero(units.size());
  for (Index j = 0; j < units.size(); ++j) {
    if (units[j] != 0.0) held[j] = units[j] * last_price[j];
  }
  return held;
}

bool Simulation::Scheduled(Index t, Index step, const Vector& held, double wealth,
                           bool* retry) const {
  *retry = false;
  if (t >= market_.end) return false;  // no trade at the last close: nothing would follow it
  if (step == 0) return true;
  const bool uninvested = !invested_ && units_.isZero(0.0);
  *retry = uninvested;
  switch (schedule_) {
    case RebalanceSchedule::kPeriodic:
      return step % options_.rebalance_every == 0;
    case RebalanceSchedule::kMonthly:
      return market_.scheduled_monthly[static_cast<std::size_t>(t)];
    case RebalanceSchedule::kQuarterly:
      return market_.scheduled_quarterly[static_cast<std::size_t>(t)];
    case RebalanceSchedule::kDrift:
      if (uninvested) return true;
      return ((held / wealth) - target_).cwiseAbs().maxCoeff() > options_.drift_threshold;
    case RebalanceSchedule::kNever:
      return uninvested;
  }
  return false;
}

Status Simulation::Rebalance(Index t, Index step, double wealth, bool retry,
                             StrategyResult* result) {
  const Index k = static_cast<Index>(columns_.size());
  const Vector held = HeldValues(units_, last_price_);
  RebalanceRecord record;
  record.period = step;
  record.date = market_.prices.periods[static_cast<std::size_t>(t)];
  record.wealth_before = wealth;
  record.initial = units_.isZero(0.0);

  // Eligible assets and their window.
  const Index window_first =
      options_.window_type == WindowType::kRolling ? t - options_.window + 1 : 1;
  const Index min_obs = options_.min_observations.value_or(options_.window);
  std::vector<Index> eligible;  // universe positions
  for (Index j = 0; j < k; ++j) {
    const Index c = columns_[static_cast<std::size_t>(j)];
    if (std::isnan(market_.prices.values(t, c))) continue;
    const Index observed = market_.observed(t + 1, c) - market_.observed(window_first, c);
    if (observed >= min_obs) eligible.push_back(j);
  }
  record.eligible_assets = static_cast<Index>(eligible.size());

  Vector target = Vector::Zero(k);
  // Retrying every period while uninvested: say nothing until some asset is eligible.
  if (eligible.empty() && retry && held.isZero(0.0)) return Ok();
  if (eligible.empty()) {
    record.outcome = RebalanceOutcome::kNoEligible;
    record.message = "no asset of the universe has a price and enough history; holding cash";
  } else {
    RebalanceContext context;
    context.period = t;
    context.date = record.date;
    context.initial = record.initial;
    const Index rows = t - window_first + 1;
    context.returns.resize(rows, static_cast<Index>(eligible.size()));
    context.current_weights.resize(static_cast<Index>(eligible.size()));
    for (std::size_t e = 0; e < eligible.size(); ++e) {
      const Index j = eligible[e];
      const Index c = columns_[static_cast<std::size_t>(j)];
      context.assets.push_back(market_.prices.assets[static_cast<std::size_t>(c)]);
      context.columns.push_back(c);
      context.returns.col(static_cast<Index>(e)) =
          market_.returns.col(c).segment(window_first, rows);
      context.current_weights[static_cast<Index>(e)] = held[j] / wealth;
    }
    context.window_periods.assign(market_.prices.periods.begin() + window_first,
                                  market_.prices.periods.begin() + t + 1);
    const auto started = Clock::now();
    Result<Allocation> allocation = strategy_.allocate(context);
    record.seconds = Seconds(started);
    result->allocation_seconds += record.seconds;
    const bool first_attempt = !attempted_;
    attempted_ = true;
    if (!allocation) {
      if (first_attempt) {
        const Error& e = allocation.error();
        return tl::unexpected(Error(e.code(),
                                    "strategy '" + strategy_.name + "' at " + record.date +
                                        " (its first allocation): " + e.message(),
                                    e.field()));
      }
      record.outcome = RebalanceOutcome::kFailed;
      record.message = allocation.error().ToString();
      result->rebalances.push_back(std::move(record));
      return Ok();
    }
    record.status = allocation->status;
    record.message = allocation->message;
    record.warnings = allocation->warnings;
    if (!HasSolution(allocation->status)) {
      record.outcome = RebalanceOutcome::kFailed;
      if (record.message.empty()) record.message = std::string(EnumToString(allocation->status));
      result->rebalances.push_back(std::move(record));
      return Ok();
    }
    if (allocation->weights.size() != static_cast<Index>(eligible.size()) ||
        !allocation->weights.allFinite()) {
      return MakeError(ErrorCode::kInternal,
                       "strategy '" + strategy_.name + "' at " + record.date + ": the allocator " +
                           "returned " + std::to_string(allocation->weights.size()) +
                           " weights (finite: " + (allocation->weights.allFinite() ? "yes" : "no") +
                           ") for " + std::to_string(eligible.size()) + " eligible assets",
                       "strategies");
    }
    for (std::size_t e = 0; e < eligible.size(); ++e) {
      target[eligible[e]] = allocation->weights[static_cast<Index>(e)];
    }
    record.outcome = RebalanceOutcome::kTraded;
  }

  // A universe asset held but not eligible is sold: its target stays 0.
  for (Index j = 0; j < k; ++j) {
    if (held[j] != 0.0 && target[j] == 0.0 &&
        std::find(eligible.begin(), eligible.end(), j) == eligible.end()) {
      record.warnings.push_back(
          "sold '" +
          market_.prices.assets[static_cast<std::size_t>(columns_[static_cast<std::size_t>(j)])] +
          "': held but not eligible (no price or not enough history)");
    }
  }
  Vector cost_rate(k);
  for (Index j = 0; j < k; ++j)
    cost_rate[j] = market_.cost_rate[columns_[static_cast<std::size_t>(j)]];
  auto post = PostTradeWealth(wealth, target, held, cost_rate);
  if (!post) {
    const Error& e = post.error();
    return tl::unexpected(
        Error(e.code(), "strategy '" + strategy_.name + "' at " + record.date + ": " + e.message(),
              e.field()));
  }
  const double after = *post;
  record.turnover = (target - held / wealth).cwiseAbs().sum();
  record.cost = wealth - after;
  record.cost_fraction = record.cost / wealth;
  for (Index j = 0; j < k; ++j) {
    if (target[j] == 0.0) {
      units_[j] = 0.0;
    } else {
      const double price = market_.prices.values(t, columns_[static_cast<std::size_t>(j)]);
      units_[j] = target[j] * after / price;
    }
  }
  cash_ = after * (1.0 - target.sum());
  target_ = target;
  if (record.outcome == RebalanceOutcome::kTraded) invested_ = true;
  result->rebalances.push_back(std::move(record));
  return Ok();
}

Result<StrategyResult> Simulation::Run() {
  const Index k = static_cast<Index>(columns_.size());
  const Index steps = market_.end - market_.start + 1;
  StrategyResult result;
  result.name = strategy_.name;
  for (Index c : columns_)
    result.assets.push_back(market_.prices.assets[static_cast<std::size_t>(c)]);
  result.wealth.resize(steps);
  result.returns.resize(steps);
  result.cash.resize(steps);
  if (options_.record_weights) result.weights = Matrix::Zero(steps, k);

  units_ = Vector::Zero(k);
  target_ = Vector::Zero(k);
  last_price_ = Vector::Constant(k, kNaN);
  for (Index j = 0; j < k; ++j) {
    const Index c = columns_[static_cast<std::size_t>(j)];
    for (Index t = market_.start; t >= 0; --t) {
      if (!std::isnan(market_.prices.values(t, c))) {
        last_price_[j] = market_.prices.values(t, c);
        break;
      }
    }
  }
  const double cash_growth = std::pow(1.0 + options_.cash_rate, 1.0 / options_.periods_per_year);
  cash_ = 1.0;
  bool ruined = false;
  for (Index step = 0; step < steps; ++step) {
    const Index t = market_.start + step;
    double wealth = 1.0;
    if (step > 0) {
      for (Index j = 0; j < k; ++j) {
        const double p = market_.prices.values(t, columns_[static_cast<std::size_t>(j)]);
        if (!std::isnan(p)) last_price_[j] = p;
      }
      cash_ *= cash_growth;
      wealth = ruined ? 0.0 : cash_ + HeldValues(units_, last_price_).sum();
      if (!ruined && !(wealth > 0.0)) {
        ruined = true;
        wealth = 0.0;
        units_.setZero();
        cash_ = 0.0;
        result.warnings.push_back("the portfolio lost all its capital at " +
                                  market_.prices.periods[static_cast<std::size_t>(t)] +
                                  "; it is liquidated and stays at 0");
      }
    }
    result.wealth[step] = wealth;
    result.returns[step] =
        step == 0 || result.wealth[step - 1] <= 0.0 ? 0.0 : wealth / result.wealth[step - 1] - 1.0;
    const Vector held = HeldValues(units_, last_price_);
    bool retry = false;
    if (!ruined && Scheduled(t, step, held, wealth, &retry)) {
      PFOPT_RETURN_IF_ERROR(Rebalance(t, step, wealth, retry, &result));
    }
    const double after = ruined ? 0.0 : cash_ + HeldValues(units_, last_price_).sum();
    if (after > 0.0) {
      if (options_.record_weights) {
        result.weights.row(step) = (HeldValues(units_, last_price_) / after).transpose();
      }
      result.cash[step] = cash_ / after;
    } else {
      result.cash[step] = 0.0;
    }
    if (options_.progress) options_.progress(++*progress_done_, progress_total_);
  }

  std::vector<std::string> labels(market_.prices.periods.begin() + market_.start,
                                  market_.prices.periods.begin() + market_.end + 1);
  auto metrics = ComputeWealthMetrics(result.wealth, labels,
                                      MetricsOptions{.periods_per_year = options_.periods_per_year,
                                                     .risk_free_rate = options_.risk_free_rate});
  if (!metrics) return tl::unexpected(metrics.error());
  BacktestMetrics& m = *metrics;
  double later_turnover = 0.0;
  Index later_trades = 0;
  bool seen_initial = false;
  for (const RebalanceRecord& r : result.rebalances) {
    ++m.rebalances;
    if (r.outcome == RebalanceOutcome::kFailed) ++m.failed_rebalances;
    m.cost_amount += r.cost;
    m.costs += r.cost_fraction;
    if (r.outcome != RebalanceOutcome::kTraded) continue;
    if (r.initial && !seen_initial) {
      m.initial_turnover = r.turnover;
      seen_initial = true;
    } else {
      later_turnover += r.turnover;
      ++later_trades;
    }
  }
  m.average_turnover = later_trades > 0 ? later_turnover / static_cast<double>(later_trades) : 0.0;
  m.annual_turnover = later_turnover / m.years;
  m.annual_cost = m.costs / m.years;
  result.metrics = std::move(m);
  return result;
}

Allocation EqualWeights(const RebalanceContext& context) {
  Allocation a;
  const Index k = static_cast<Index>(context.assets.size());
  a.status = OptimizationStatus::kOptimal;
  a.weights = Vector::Constant(k, 1.0 / static_cast<double>(k));
  return a;
}

}  // namespace

Status BacktestOptions::Validate() const {
  if (window < 2) {
    return InvalidArgument("window is " + std::to_string(window) + "; it must be >= 2 periods",
                           "window");
  }
  if (min_observations && (*min_observations < 2 || *min_observations > window)) {
    return InvalidArgument("min_observations is " + std::to_string(*min_observations) +
                               "; it must be in 2..window (" + std::to_string(window) + ")",
                           "min_observations");
  }
  if (rebalance_every < 1) {
    return InvalidArgument(
        "rebalance_every is " + std::to_string(rebalance_every) + "; it must be >= 1",
        "rebalance_every");
  }
  if (!(std::isfinite(drift_threshold) && drift_threshold > 0.0)) {
    return InvalidArgument("drift_threshold is " + Num(drift_threshold) + "; it must be > 0",
                           "drift_threshold");
  }
  auto check_bps = [](double bps, const std::string& field) -> Status {
    if (!(std::isfinite(bps) && bps >= 0.0 && bps < 1e4)) {
      return InvalidArgument(field + " is " + Num(bps) + "; a cost must be in [0, 10000) bps",
                             field);
    }
    return Ok();
  };
  PFOPT_RETURN_IF_ERROR(check_bps(cost_bps, "cost_bps"));
  for (const auto& [asset, bps] : asset_cost_bps) {
    PFOPT_RETURN_IF_ERROR(check_bps(bps, "asset_cost_bps." + asset));
  }
  if (!(std::isfinite(periods_per_year) && periods_per_year > 0.0)) {
    return InvalidArgument("periods_per_year is " + Num(periods_per_year) + "; it must be > 0",
                           "periods_per_year");
  }
  if (!(std::isfinite(risk_free_rate) && risk_free_rate > -1.0)) {
    return InvalidArgument("risk_free_rate is " + Num(risk_free_rate) + "; it must be > -1",
                           "risk_free_rate");
  }
  if (!(std::isfinite(cash_rate) && cash_rate > -1.0)) {
    return InvalidArgument("cash_rate is " + Num(cash_rate) + "; it must be > -1", "cash_rate");
  }
  if (!start.empty() && !end.empty() && end < start) {
    return InvalidArgument("end '" + end + "' is before start '" + start + "'", "end");
  }
  return Ok();
}

BacktestStrategy EqualWeightStrategy(std::string name, std::vector<std::string> assets) {
  return BacktestStrategy{
      .name = std::move(name),
      .assets = std::move(assets),
      .allocate = [](const RebalanceContext& c) -> Result<Allocation> { return EqualWeights(c); }};
}

BacktestStrategy BuyAndHoldStrategy(std::string name, std::vector<std::string> assets) {
  BacktestStrategy s = EqualWeightStrategy(std::move(name), std::move(assets));
  s.rebalance = RebalanceSchedule::kNever;
  return s;
}

Result<BacktestResult> RunBacktest(const TimeSeriesTable& prices,
                                   const std::vector<BacktestStrategy>& strategies,
                                   const BacktestOptions& options) {
  const auto started = Clock::now();
  PFOPT_RETURN_IF_ERROR(options.Validate());
  if (strategies.empty()) return InvalidArgument("no strategy to backtest", "strategies");
  bool need_calendar = false;
  std::set<std::string> names;
  for (std::size_t s = 0; s < strategies.size(); ++s) {
    const BacktestStrategy& strategy = strategies[s];
    const std::string field = "strategies[" + std::to_string(s) + "]";
    if (strategy.name.empty()) return InvalidArgument("a strategy needs a name", field + ".name");
    if (!names.insert(strategy.name).second) {
      return InvalidArgument(
          "two strategies are named '" + strategy.name + "'; names must be unique",
          field + ".name");
    }
    if (!strategy.allocate) {
      return InvalidArgument("strategy '" + strategy.name + "' has no allocator", field);
    }
    const RebalanceSchedule schedule = strategy.rebalance.value_or(options.rebalance);
    need_calendar = need_calendar || schedule == RebalanceSchedule::kMonthly ||
                    schedule == RebalanceSchedule::kQuarterly;
  }
  BacktestResult result;
  auto market = PrepareMarket(prices, options, need_calendar, &result.warnings);
  if (!market) return tl::unexpected(market.error());

  std::vector<std::vector<Index>> universes;
  for (std::size_t s = 0; s < strategies.size(); ++s) {
    std::vector<Index> columns;
    std::set<Index> seen;
    if (strategies[s].assets.empty()) {
      for (Index j = 0; j < market->prices.num_assets(); ++j) columns.push_back(j);
    }
    for (const std::string& asset : strategies[s].assets) {
      const Index j = market->prices.AssetIndex(asset);
      if (j < 0) {
        return InvalidArgument("strategy '" + strategies[s].name + "' names asset '" + asset +
                                   "', which is not a column of the price table",
                               "strategies[" + std::to_string(s) + "].assets");
      }
      if (!seen.insert(j).second) {
        return InvalidArgument(
            "strategy '" + strategies[s].name + "' names asset '" + asset + "' twice",
            "strategies[" + std::to_string(s) + "].assets");
      }
      columns.push_back(j);
    }
    universes.push_back(std::move(columns));
  }

  result.start_row = market->start;
  result.periods.assign(market->prices.periods.begin() + market->start,
                        market->prices.periods.begin() + market->end + 1);
  const Index steps = market->end - market->start + 1;
  Index done = 0;
  const Index total = steps * static_cast<Index>(strategies.size());
  for (std::size_t s = 0; s < strategies.size(); ++s) {
    Simulation simulation(*market, options, strategies[s], universes[s], &done, total);
    auto strategy_result = simulation.Run();
    if (!strategy_result) return tl::unexpected(strategy_result.error());
    result.strategies.push_back(std::move(*strategy_result));
  }
  result.seconds = Seconds(started);
  return result;
}

}  // namespace pfopt
