// JSON codecs of the backtest model (docs/backtest.md, "Request and response"): the body of the
// `POST /api/v1/backtest` and the summary.json of `pfopt backtest`.
//
// Request:
//   { "backtest_id": "optional label",
//     "prices": {"index": ["2018-01-02", ...], "columns": ["AAPL", ...],
//                "data": [[172.3, null, ...], ...]},   // pandas' to_json(orient="split")
//     // or "prices_csv": "date,AAPL,...\n2018-01-02,172.3,...\n" (the CSV format of docs/data.md)
//     "strategies": [
//       {"name": "max_sharpe", "type": "OPTIMIZATION", "request": {OptimizationRequest}},
//       {"type": "EQUAL_WEIGHT"}, {"type": "BUY_AND_HOLD", "assets": ["AAPL", "XOM"]} ],
//     "settings": {"window": 252, "window_type": "ROLLING", "min_observations": 252,
//                  "rebalance": "MONTHLY", "rebalance_every": 21, "drift_threshold": 0.05,
//                  "cost_bps": 10, "asset_cost_bps": {"AAPL": 5}, "periods_per_year": 252,
//                  "risk_free_rate": 0.0, "cash_rate": 0.0, "start": "2000-01-01", "end": ""},
//     "include_series": true }
// Parsing is strict like the request codec: unknown fields, wrong types and non-finite numbers
// are Errors naming the dotted path of the offending value.
#ifndef PFOPT_SERVICES_COMMON_BACKTEST_JSON_H_
#define PFOPT_SERVICES_COMMON_BACKTEST_JSON_H_

#include <nlohmann/json.hpp>
#include <string_view>

#include "pfopt/core/error.h"
#include "services/common/backtest_request.h"

namespace pfopt::service {

Result<BacktestRequest> ParseBacktestRequest(std::string_view json_text);
Result<BacktestRequest> BacktestRequestFromJson(const nlohmann::json& json);

// The request with its prices in the "split" layout (NaN as null).
nlohmann::ordered_json BacktestRequestToJson(const BacktestRequest& request);
nlohmann::ordered_json BacktestSettingsToJson(const BacktestOptions& settings);

// {"backtest_id", "start", "end", "periods", "settings", "strategies": [{"name", "type",
// "total_return", "annual_return", "annual_volatility", "sharpe_ratio", "sortino_ratio",
// "max_drawdown", ..., "turnover", "costs", ..., "failures": [...]}], "warnings", "run_time_ms"}.
// With `include_series`, each strategy also has "series": per-period dates, wealth, returns,
// drawdown, cash, weights (rows by period, columns = the strategy's "assets") and every
// rebalance. Undefined figures (e.g. a Sharpe ratio without volatility) are null.
nlohmann::ordered_json BacktestResponseToJson(const BacktestResponse& response,
                                              bool include_series);

}  // namespace pfopt::service

#endif  // PFOPT_SERVICES_COMMON_BACKTEST_JSON_H_
