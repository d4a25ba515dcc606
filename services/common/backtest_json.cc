#include "services/common/backtest_json.h"

#include <cmath>
#include <string>
#include <utility>

#include "pfopt/backtest/metrics.h"
#include "services/common/json_fields.h"
#include "services/common/request_json.h"

namespace pfopt::service {

namespace {

using internal::CheckKeys;
using internal::EnumValue;
using internal::History;
using internal::IndexPath;
using internal::Integer;
using internal::Join;
using internal::NumberMap;
using internal::NumberOrNull;
using internal::OptionalNumber;
using internal::String;
using internal::StringList;
using internal::TypeError;
using internal::TypeName;
using nlohmann::json;
using ojson = nlohmann::ordered_json;

// {"index": [...], "columns": [...], "data": [[...], ...]}
Result<TimeSeriesTable> ParseSplitPrices(const json& value, const std::string& path) {
  if (!value.is_object()) return TypeError(value, path, "an object {index, columns, data}");
  PFOPT_RETURN_IF_ERROR(CheckKeys(value, path, {"index", "columns", "data"}));
  for (const char* key : {"index", "columns", "data"}) {
    if (!value.contains(key))
      return InvalidArgument(Join(path, key) + " is required", Join(path, key));
  }
  TimeSeriesTable table;
  PFOPT_ASSIGN(table.periods, StringList(value["index"], Join(path, "index")));
  PFOPT_ASSIGN(table.assets, StringList(value["columns"], Join(path, "columns")));
  const json& data = value["data"];
  const std::string data_path = Join(path, "data");
  if (!data.is_array()) return TypeError(data, data_path, "an array of rows");
  if (data.size() != table.periods.size()) {
    return InvalidArgument(data_path + " has " + std::to_string(data.size()) +
                               " rows but index has " + std::to_string(table.periods.size()) +
                               " labels",
                           data_path);
  }
  const Index rows = static_cast<Index>(data.size()),
              cols = static_cast<Index>(table.assets.size());
  table.values.resize(rows, cols);
  for (Index t = 0; t < rows; ++t) {
    const std::string row_path = IndexPath(data_path, static_cast<std::size_t>(t));
    std::vector<double> row;
    PFOPT_ASSIGN(row, History(data[static_cast<std::size_t>(t)], row_path));
    if (static_cast<Index>(row.size()) != cols) {
      return InvalidArgument(row_path + " has " + std::to_string(row.size()) +
                                 " values; it needs one per column (" + std::to_string(cols) + ")",
                             row_path);
    }
    for (Index j = 0; j < cols; ++j) {
      const double p = row[static_cast<std::size_t>(j)];
      if (!std::isnan(p) && !(p > 0.0)) {
        return InvalidArgument("price " + std::to_string(p) + " is not positive",
                               IndexPath(row_path, static_cast<std::size_t>(j)));
      }
      table.values(t, j) = p;
    }
  }
  for (std::size_t t = 1; t < table.periods.size(); ++t) {
    if (!(table.periods[t - 1] < table.periods[t])) {
      return InvalidArgument("index labels must increase; '" + table.periods[t] + "' follows '" +
                                 table.periods[t - 1] + "'",
                             IndexPath(Join(path, "index"), t));
    }
  }
  return table;
}

Result<BacktestOptions> ParseSettings(const json& value, const std::string& path) {
  if (!value.is_object()) return TypeError(value, path, "an object");
  PFOPT_RETURN_IF_ERROR(
      CheckKeys(value, path,
                {"window", "window_type", "min_observations", "rebalance", "rebalance_every",
                 "drift_threshold", "cost_bps", "asset_cost_bps", "periods_per_year",
                 "risk_free_rate", "cash_rate", "start", "end"}));
  BacktestOptions o;
  auto has = [&](const char* key) { return value.contains(key) && !value[key].is_null(); };
  if (has("window")) PFOPT_ASSIGN(o.window, Integer(value["window"], Join(path, "window")));
  if (has("window_type")) {
    PFOPT_ASSIGN(o.window_type, EnumValue<WindowType>(value["window_type"],
                                                      Join(path, "window_type"), "window type"));
  }
  if (has("min_observations")) {
    Index min_observations = 0;
    PFOPT_ASSIGN(min_observations,
                 Integer(value["min_observations"], Join(path, "min_observations")));
    o.min_observations = min_observations;
  }
  if (has("rebalance")) {
    PFOPT_ASSIGN(o.rebalance,
                 EnumValue<RebalanceSchedule>(value["rebalance"], Join(path, "rebalance"),
                                              "rebalance schedule"));
  }
  if (has("rebalance_every")) {
    PFOPT_ASSIGN(o.rebalance_every,
                 Integer(value["rebalance_every"], Join(path, "rebalance_every")));
  }
  std::optional<double> number;
  PFOPT_ASSIGN(number, OptionalNumber(value, "drift_threshold", path));
  if (number) o.drift_threshold = *number;
  PFOPT_ASSIGN(number, OptionalNumber(value, "cost_bps", path));
  if (number) o.cost_bps = *number;
  if (has("asset_cost_bps")) {
    PFOPT_ASSIGN(o.asset_cost_bps,
                 NumberMap(value["asset_cost_bps"], Join(path, "asset_cost_bps")));
  }
  PFOPT_ASSIGN(number, OptionalNumber(value, "periods_per_year", path));
  if (number) o.periods_per_year = *number;
  PFOPT_ASSIGN(number, OptionalNumber(value, "risk_free_rate", path));
  if (number) o.risk_free_rate = *number;
  PFOPT_ASSIGN(number, OptionalNumber(value, "cash_rate", path));
  if (number) o.cash_rate = *number;
  if (has("start")) PFOPT_ASSIGN(o.start, String(value["start"], Join(path, "start")));
  if (has("end")) PFOPT_ASSIGN(o.end, String(value["end"], Join(path, "end")));
  if (auto status = o.Validate(); !status)
    return tl::unexpected(status.error().WithFieldPrefix(path));
  return o;
}

Result<BacktestStrategySpec> ParseStrategySpec(const json& value, const std::string& path) {
  if (!value.is_object()) return TypeError(value, path, "an object");
  PFOPT_RETURN_IF_ERROR(CheckKeys(value, path, {"name", "type", "request", "assets"}));
  BacktestStrategySpec spec;
  if (value.contains("name") && !value["name"].is_null()) {
    PFOPT_ASSIGN(spec.name, String(value["name"], Join(path, "name")));
  }
  if (value.contains("type") && !value["type"].is_null()) {
    PFOPT_ASSIGN(spec.type, EnumValue<BacktestStrategyType>(value["type"], Join(path, "type"),
                                                            "strategy type"));
  }
  const bool has_request = value.contains("request") && !value["request"].is_null();
  const bool has_assets = value.contains("assets") && !value["assets"].is_null();
  if (spec.type == BacktestStrategyType::kOptimization) {
    if (!has_request) {
      return InvalidArgument("an OPTIMIZATION strategy needs a request (an OptimizationRequest)",
                             Join(path, "request"));
    }
    if (has_assets) {
      return InvalidArgument(
          "an OPTIMIZATION strategy takes its assets from its request's "
          "strategies; remove assets",
          Join(path, "assets"));
    }
    auto request = OptimizationRequestFromJson(value["request"]);
    if (!request) return tl::unexpected(request.error().WithFieldPrefix(Join(path, "request")));
    spec.request = std::move(*request);
  } else {
    if (has_request) {
      return InvalidArgument(std::string(EnumToString(spec.type)) + " takes no request",
                             Join(path, "request"));
    }
    if (has_assets) PFOPT_ASSIGN(spec.assets, StringList(value["assets"], Join(path, "assets")));
  }
  return spec;
}

ojson TextOrNull(const std::string& text) { return text.empty() ? ojson(nullptr) : ojson(text); }

ojson VectorToJson(const VectorRef& values) {
  ojson array = ojson::array();
  for (Index i = 0; i < values.size(); ++i) array.push_back(NumberOrNull(values[i]));
  return array;
}

ojson RebalanceToJson(const RebalanceRecord& r) {
  ojson out = {{"date", r.date},
               {"outcome", EnumToString(r.outcome)},
               {"status", EnumToString(r.status)},
               {"initial", r.initial},
               {"eligible_assets", r.eligible_assets},
               {"turnover", r.turnover},
               {"cost", r.cost},
               {"cost_fraction", r.cost_fraction},
               {"wealth_before", NumberOrNull(r.wealth_before)},
               {"time_ms", 1e3 * r.seconds}};
  if (!r.message.empty()) out["message"] = r.message;
  if (!r.warnings.empty()) out["warnings"] = r.warnings;
  return out;
}

ojson StrategyToJson(const StrategyResult& s, BacktestStrategyType type,
                     const std::vector<std::string>& periods, bool include_series) {
  const BacktestMetrics& m = s.metrics;
  ojson out = {{"name", s.name},
               {"type", EnumToString(type)},
               {"assets", s.assets},
               {"total_return", NumberOrNull(m.total_return)},
               {"annual_return", NumberOrNull(m.annual_return)},
               {"annual_volatility", NumberOrNull(m.annual_volatility)},
               {"sharpe_ratio", NumberOrNull(m.sharpe_ratio)},
               {"sortino_ratio", NumberOrNull(m.sortino_ratio)},
               {"max_drawdown", NumberOrNull(m.max_drawdown)},
               {"drawdown_peak", TextOrNull(m.drawdown_peak)},
               {"drawdown_trough", TextOrNull(m.drawdown_trough)},
               {"drawdown_recovery", TextOrNull(m.drawdown_recovery)},
               {"calmar_ratio", NumberOrNull(m.calmar_ratio)},
               {"hit_rate", NumberOrNull(m.hit_rate)},
               {"best_period", NumberOrNull(m.best_period)},
               {"worst_period", NumberOrNull(m.worst_period)},
               {"final_wealth", NumberOrNull(m.final_wealth)},
               {"years", m.years},
               {"turnover", m.average_turnover},
               {"annual_turnover", m.annual_turnover},
               {"initial_turnover", m.initial_turnover},
               {"costs", m.costs},
               {"annual_cost", m.annual_cost},
               {"cost_amount", m.cost_amount},
               {"rebalances", m.rebalances},
               {"failed_rebalances", m.failed_rebalances},
               {"allocation_time_ms", 1e3 * s.allocation_seconds}};
  ojson failures = ojson::array();
  for (const RebalanceRecord& r : s.rebalances) {
    if (r.outcome != RebalanceOutcome::kFailed) continue;
    failures.push_back(
        {{"date", r.date}, {"status", EnumToString(r.status)}, {"message", r.message}});
  }
  out["failures"] = std::move(failures);
  out["warnings"] = s.warnings;
  if (include_series) {
    ojson weights = ojson::array();
    for (Index t = 0; t < s.weights.rows(); ++t) {
      weights.push_back(VectorToJson(s.weights.row(t).transpose()));
    }
    ojson rebalances = ojson::array();
    for (const RebalanceRecord& r : s.rebalances) rebalances.push_back(RebalanceToJson(r));
    out["series"] = {{"dates", periods},
                     {"wealth", VectorToJson(s.wealth)},
                     {"returns", VectorToJson(s.returns)},
                     {"drawdown", VectorToJson(DrawdownSeries(s.wealth))},
                     {"cash", VectorToJson(s.cash)},
                     {"weights", std::move(weights)},
                     {"rebalances", std::move(rebalances)}};
  }
  return out;
}

}  // namespace

Result<BacktestRequest> BacktestRequestFromJson(const json& value) {
  if (!value.is_object()) {
    return InvalidArgument(std::string("the backtest request must be a JSON object, got ") +
                           TypeName(value));
  }
  PFOPT_RETURN_IF_ERROR(CheckKeys(
      value, "",
      {"backtest_id", "prices", "prices_csv", "strategies", "settings", "include_series"}));
  BacktestRequest request;
  if (value.contains("backtest_id") && !value["backtest_id"].is_null()) {
    PFOPT_ASSIGN(request.backtest_id, String(value["backtest_id"], "backtest_id"));
  }
  const bool split = value.contains("prices") && !value["prices"].is_null();
  const bool csv = value.contains("prices_csv") && !value["prices_csv"].is_null();
  if (split == csv) {
    return InvalidArgument("give exactly one of prices ({index, columns, data}) or prices_csv",
                           "prices");
  }
  if (split) {
    PFOPT_ASSIGN(request.prices, ParseSplitPrices(value["prices"], "prices"));
  } else {
    std::string text;
    PFOPT_ASSIGN(text, String(value["prices_csv"], "prices_csv"));
    auto table = ParseTableCsv(text);
    if (!table) return tl::unexpected(table.error().WithFieldPrefix("prices_csv"));
    request.prices = std::move(*table);
  }
  if (!value.contains("strategies")) return InvalidArgument("strategies is required", "strategies");
  const json& strategies = value["strategies"];
  if (!strategies.is_array()) return TypeError(strategies, "strategies", "an array of objects");
  for (std::size_t i = 0; i < strategies.size(); ++i) {
    BacktestStrategySpec spec;
    PFOPT_ASSIGN(spec, ParseStrategySpec(strategies[i], IndexPath("strategies", i)));
    request.strategies.push_back(std::move(spec));
  }
  if (value.contains("settings") && !value["settings"].is_null()) {
    PFOPT_ASSIGN(request.settings, ParseSettings(value["settings"], "settings"));
  }
  if (value.contains("include_series") && !value["include_series"].is_null()) {
    if (!value["include_series"].is_boolean()) {
      return TypeError(value["include_series"], "include_series", "a boolean");
    }
    request.include_series = value["include_series"].get<bool>();
  }
  return request;
}

Result<BacktestRequest> ParseBacktestRequest(std::string_view text) {
  auto value = internal::ParseJsonText(text, "the backtest request");
  if (!value) return tl::unexpected(value.error());
  return BacktestRequestFromJson(*value);
}

ojson BacktestSettingsToJson(const BacktestOptions& o) {
  ojson out = {{"window", o.window},
               {"window_type", EnumToString(o.window_type)},
               {"min_observations", o.min_observations.value_or(o.window)},
               {"rebalance", EnumToString(o.rebalance)},
               {"rebalance_every", o.rebalance_every},
               {"drift_threshold", o.drift_threshold},
               {"cost_bps", o.cost_bps},
               {"asset_cost_bps", ojson::object()},
               {"periods_per_year", o.periods_per_year},
               {"risk_free_rate", o.risk_free_rate},
               {"cash_rate", o.cash_rate},
               {"start", o.start},
               {"end", o.end}};
  for (const auto& [asset, bps] : o.asset_cost_bps) out["asset_cost_bps"][asset] = bps;
  return out;
}

ojson BacktestRequestToJson(const BacktestRequest& request) {
  ojson data = ojson::array();
  for (Index t = 0; t < request.prices.values.rows(); ++t) {
    data.push_back(VectorToJson(request.prices.values.row(t).transpose()));
  }
  ojson strategies = ojson::array();
  for (const BacktestStrategySpec& spec : request.strategies) {
    ojson item = ojson::object();
    if (!spec.name.empty()) item["name"] = spec.name;
    item["type"] = EnumToString(spec.type);
    if (spec.type == BacktestStrategyType::kOptimization) {
      item["request"] = OptimizationRequestToJson(spec.request);
    } else if (!spec.assets.empty()) {
      item["assets"] = spec.assets;
    }
    strategies.push_back(std::move(item));
  }
  ojson out = ojson::object();
  if (!request.backtest_id.empty()) out["backtest_id"] = request.backtest_id;
  out["prices"] = {{"index", request.prices.periods},
                   {"columns", request.prices.assets},
                   {"data", std::move(data)}};
  out["strategies"] = std::move(strategies);
  out["settings"] = BacktestSettingsToJson(request.settings);
  out["include_series"] = request.include_series;
  return out;
}

ojson BacktestResponseToJson(const BacktestResponse& response, bool include_series) {
  const BacktestResult& r = response.result;
  ojson strategies = ojson::array();
  for (std::size_t s = 0; s < r.strategies.size(); ++s) {
    strategies.push_back(
        StrategyToJson(r.strategies[s], response.types[s], r.periods, include_series));
  }
  ojson out = ojson::object();
  if (!response.backtest_id.empty()) out["backtest_id"] = response.backtest_id;
  out["start"] = r.periods.empty() ? ojson(nullptr) : ojson(r.periods.front());
  out["end"] = r.periods.empty() ? ojson(nullptr) : ojson(r.periods.back());
  out["periods"] = r.periods.size();
  out["settings"] = BacktestSettingsToJson(response.settings);
  out["strategies"] = std::move(strategies);
  out["warnings"] = r.warnings;
  out["run_time_ms"] = 1e3 * r.seconds;
  return out;
}

}  // namespace pfopt::service
