// The backtest request and response model (docs/backtest.md): what `pfopt backtest` and the
// `POST /api/v1/backtest` take and give. A request is a price table, strategies (each an
// OptimizationRequest applied at every rebalance through the one request path, or a built-in
// equal-weight / buy-and-hold rule) and the simulation settings (pfopt::BacktestOptions). JSON
// codecs are in backtest_json.h; running one is backtest_service.h.
#ifndef PFOPT_SERVICES_COMMON_BACKTEST_REQUEST_H_
#define PFOPT_SERVICES_COMMON_BACKTEST_REQUEST_H_

#include <string>
#include <vector>

#include "pfopt/backtest/backtest.h"
#include "pfopt/core/enum_names.h"
#include "pfopt/data/table.h"
#include "services/common/request.h"

namespace pfopt::service {

enum class BacktestStrategyType {
  kOptimization,  // `request` applied at every rebalance
  kEqualWeight,   // 1/k over the eligible assets at every rebalance
  kBuyAndHold,    // 1/k over the eligible assets at the start, never rebalanced
};

struct BacktestStrategySpec {
  // Unique within the request. Empty: the request's portfolio_id for kOptimization,
  // "equal_weight" / "buy_and_hold" for the built-ins.
  std::string name;
  BacktestStrategyType type = BacktestStrategyType::kOptimization;
  // kOptimization: an OptimizationRequest (docs/api.md) whose strategies name price columns and
  // carry no returns, prices or current_weight: at each rebalance the backtester fills in the
  // window's returns and the drifted weights of the eligible assets. The turnover limit is
  // not applied to the initial investment from cash.
  OptimizationRequest request;
  // kEqualWeight / kBuyAndHold: the universe (price columns); empty = every column.
  std::vector<std::string> assets;
};

struct BacktestRequest {
  std::string backtest_id;  // optional label, echoed in the response
  TimeSeriesTable prices;   // periods x assets, NaN = no price
  std::vector<BacktestStrategySpec> strategies;
  BacktestOptions settings;    // `progress` is not part of the wire model
  bool include_series = true;  // the response carries per-period wealth, returns and weights
};

struct BacktestResponse {
  std::string backtest_id;
  BacktestOptions settings;                 // as run
  std::vector<BacktestStrategyType> types;  // per strategy, as result.strategies
  BacktestResult result;
};

}  // namespace pfopt::service

namespace pfopt {

template <>
struct EnumNames<service::BacktestStrategyType> {
  using E = service::BacktestStrategyType;
  static constexpr std::array<std::pair<E, std::string_view>, 3> kNames{
      {{E::kOptimization, "OPTIMIZATION"},
       {E::kEqualWeight, "EQUAL_WEIGHT"},
       {E::kBuyAndHold, "BUY_AND_HOLD"}}};
};

}  // namespace pfopt

#endif  // PFOPT_SERVICES_COMMON_BACKTEST_REQUEST_H_
