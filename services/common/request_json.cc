#include "services/common/request_json.h"

#include <cmath>
#include <string>

#include "services/common/json_fields.h"

namespace pfopt::service {

namespace {

using internal::CheckKeys;
using internal::EnumValue;
using internal::History;
using internal::HistoryToJson;
using internal::IndexPath;
using internal::IsArray;
using internal::Join;
using internal::Number;
using internal::NumberList;
using internal::NumberMap;
using internal::NumberOrNull;
using internal::OptionalNumber;
using internal::String;
using internal::TypeError;
using internal::TypeName;
using nlohmann::json;

Result<StrategyDefinition> ParseStrategy(const json& value, const std::string& path) {
  if (!value.is_object()) return TypeError(value, path, "an object");
  PFOPT_RETURN_IF_ERROR(CheckKeys(value, path,
                                  {"id", "returns", "prices", "expected_return", "sector",
                                   "current_weight", "market_cap", "min_weight", "max_weight"}));
  StrategyDefinition s;
  auto id = value.find("id");
  if (id == value.end()) return InvalidArgument(path + ".id is required", Join(path, "id"));
  PFOPT_ASSIGN(s.id, String(*id, Join(path, "id")));
  if (auto it = value.find("returns"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(s.returns, History(*it, Join(path, "returns")));
  }
  if (auto it = value.find("prices"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(s.prices, History(*it, Join(path, "prices")));
  }
  PFOPT_ASSIGN(s.expected_return, OptionalNumber(value, "expected_return", path));
  if (auto it = value.find("sector"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(s.sector, String(*it, Join(path, "sector")));
  }
  PFOPT_ASSIGN(s.current_weight, OptionalNumber(value, "current_weight", path));
  PFOPT_ASSIGN(s.market_cap, OptionalNumber(value, "market_cap", path));
  PFOPT_ASSIGN(s.min_weight, OptionalNumber(value, "min_weight", path));
  PFOPT_ASSIGN(s.max_weight, OptionalNumber(value, "max_weight", path));
  return s;
}

Result<OptimizationConstraints> ParseConstraints(const json& value, const std::string& path) {
  if (!value.is_object()) return TypeError(value, path, "an object");
  PFOPT_RETURN_IF_ERROR(CheckKeys(value, path,
                                  {"min_weight", "max_weight", "sector_limits", "sector_minimums",
                                   "turnover_limit", "leverage_limit", "budget"}));
  OptimizationConstraints c;
  PFOPT_ASSIGN(c.min_weight, OptionalNumber(value, "min_weight", path));
  PFOPT_ASSIGN(c.max_weight, OptionalNumber(value, "max_weight", path));
  if (auto it = value.find("sector_limits"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(c.sector_limits, NumberMap(*it, Join(path, "sector_limits")));
  }
  if (auto it = value.find("sector_minimums"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(c.sector_minimums, NumberMap(*it, Join(path, "sector_minimums")));
  }
  PFOPT_ASSIGN(c.turnover_limit, OptionalNumber(value, "turnover_limit", path));
  PFOPT_ASSIGN(c.leverage_limit, OptionalNumber(value, "leverage_limit", path));
  PFOPT_ASSIGN(c.budget, OptionalNumber(value, "budget", path));
  return c;
}

Result<BlackLittermanParameters> ParseBlackLitterman(const json& value, const std::string& path) {
  if (!value.is_object()) return TypeError(value, path, "an object");
  PFOPT_RETURN_IF_ERROR(
      CheckKeys(value, path,
                {"market_caps", "tau", "market_returns", "views", "omega", "absolute_views",
                 "confidence", "prior", "expected_market_return", "weights"}));
  BlackLittermanParameters bl;
  bl.present = true;
  if (auto it = value.find("market_caps"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(bl.market_caps, NumberMap(*it, Join(path, "market_caps")));
  }
  PFOPT_ASSIGN(bl.tau, OptionalNumber(value, "tau", path));
  if (auto it = value.find("market_returns"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(bl.market_returns, History(*it, Join(path, "market_returns")));
  }
  if (auto it = value.find("views"); it != value.end() && !it->is_null()) {
    if (!it->is_array()) return TypeError(*it, Join(path, "views"), "an array");
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string vpath = IndexPath(Join(path, "views"), i);
      const json& v = (*it)[i];
      if (!v.is_object()) return TypeError(v, vpath, "an object");
      PFOPT_RETURN_IF_ERROR(CheckKeys(v, vpath, {"assets", "return", "confidence"}));
      BlackLittermanView view;
      if (auto a = v.find("assets"); a != v.end()) {
        PFOPT_ASSIGN(view.assets, NumberMap(*a, Join(vpath, "assets")));
      }
      auto q = v.find("return");
      if (q == v.end())
        return InvalidArgument(vpath + ".return is required", Join(vpath, "return"));
      PFOPT_ASSIGN(view.expected, Number(*q, Join(vpath, "return")));
      PFOPT_ASSIGN(view.confidence, OptionalNumber(v, "confidence", vpath));
      bl.views.push_back(std::move(view));
    }
  }
  if (auto it = value.find("omega"); it != value.end() && !it->is_null()) {
    // A method name, or the matrix itself (an array of numbers = its diagonal).
    const std::string opath = Join(path, "omega");
    // (Arrays of 16 numbers or more come as the reader's number arrays: IsArray, NumberList.)
    if (IsArray(*it)) {
      const bool matrix_form = it->is_array() && !it->empty() && IsArray((*it)[0]);
      std::vector<double> diagonal;
      if (!matrix_form) PFOPT_ASSIGN(diagonal, NumberList(*it, opath));
      const std::size_t k = matrix_form ? it->size() : diagonal.size();
      for (std::size_t r = 0; r < k; ++r) {
        std::vector<double> values(k, 0.0);
        if (matrix_form) {
          const json& row = (*it)[r];
          if (!IsArray(row)) return TypeError(row, IndexPath(opath, r), "an array (a matrix row)");
          PFOPT_ASSIGN(values, NumberList(row, IndexPath(opath, r)));
          if (values.size() != k) {
            return InvalidArgument(opath + " must be a square matrix: row " + std::to_string(r) +
                                       " has " + std::to_string(values.size()) +
                                       " entries, expected " + std::to_string(k),
                                   IndexPath(opath, r));
          }
        } else {
          values[r] = diagonal[r];
        }
        bl.omega_matrix.push_back(std::move(values));
      }
      bl.omega = "GIVEN";
    } else {
      PFOPT_ASSIGN(bl.omega, String(*it, opath));
    }
  }
  if (auto it = value.find("absolute_views"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(bl.absolute_views, NumberMap(*it, Join(path, "absolute_views")));
  }
  PFOPT_ASSIGN(bl.confidence, OptionalNumber(value, "confidence", path));
  if (auto it = value.find("prior"); it != value.end() && !it->is_null()) {
    if (it->is_object()) {
      PFOPT_ASSIGN(bl.prior, NumberMap(*it, Join(path, "prior")));
    } else if (it->is_string()) {
      bl.prior_source = it->get<std::string>();
    } else {
      return TypeError(*it, Join(path, "prior"),
                       "a string (MARKET, ESTIMATED, ZERO) or an object of numbers");
    }
  }
  PFOPT_ASSIGN(bl.expected_market_return, OptionalNumber(value, "expected_market_return", path));
  if (auto it = value.find("weights"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(bl.weights, String(*it, Join(path, "weights")));
  }
  return bl;
}

Result<RiskParameters> ParseRiskParameters(const json& value, const std::string& path) {
  if (!value.is_object()) return TypeError(value, path, "an object");
  PFOPT_RETURN_IF_ERROR(CheckKeys(value, path,
                                  {"risk_free_rate",
                                   "periods_per_year",
                                   "expected_returns_estimator",
                                   "covariance_estimator",
                                   "expected_returns",
                                   "covariance",
                                   "risk_aversion",
                                   "target_volatility",
                                   "target_return",
                                   "l2_gamma",
                                   "risk_budgets",
                                   "hrp_linkage",
                                   "hrp_distance",
                                   "black_litterman",
                                   "robust",
                                   "cvar",
                                   "objective_weights",
                                   "compounding",
                                   "ema_span",
                                   "covariance_span",
                                   "semicovariance_benchmark",
                                   "shrinkage",
                                   "missing_data",
                                   "market_returns"}));
  RiskParameters r;
  std::optional<double> number;
  PFOPT_ASSIGN(number, OptionalNumber(value, "risk_free_rate", path));
  if (number) r.risk_free_rate = *number;
  PFOPT_ASSIGN(number, OptionalNumber(value, "periods_per_year", path));
  if (number) r.periods_per_year = *number;
  if (auto it = value.find("expected_returns_estimator"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(r.expected_returns_estimator,
                 EnumValue<ExpectedReturnsMethod>(*it, Join(path, "expected_returns_estimator"),
                                                  "expected returns estimator"));
  }
  if (auto it = value.find("covariance_estimator"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(
        r.covariance_estimator,
        EnumValue<RiskModel>(*it, Join(path, "covariance_estimator"), "covariance estimator"));
  }
  if (auto it = value.find("expected_returns"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(r.expected_returns, NumberMap(*it, Join(path, "expected_returns")));
  }
  if (auto it = value.find("covariance"); it != value.end() && !it->is_null()) {
    const std::string cpath = Join(path, "covariance");
    if (!it->is_object()) return TypeError(*it, cpath, "an object of objects of numbers");
    for (auto row = it->begin(); row != it->end(); ++row) {
      PFOPT_ASSIGN(r.covariance[row.key()], NumberMap(row.value(), Join(cpath, row.key())));
    }
  }
  PFOPT_ASSIGN(r.risk_aversion, OptionalNumber(value, "risk_aversion", path));
  PFOPT_ASSIGN(r.target_volatility, OptionalNumber(value, "target_volatility", path));
  PFOPT_ASSIGN(r.target_return, OptionalNumber(value, "target_return", path));
  PFOPT_ASSIGN(number, OptionalNumber(value, "l2_gamma", path));
  if (number) r.l2_gamma = *number;
  if (auto it = value.find("risk_budgets"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(r.risk_budgets, NumberMap(*it, Join(path, "risk_budgets")));
  }
  if (auto it = value.find("hrp_linkage"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(r.hrp_linkage, String(*it, Join(path, "hrp_linkage")));
  }
  if (auto it = value.find("hrp_distance"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(r.hrp_distance, String(*it, Join(path, "hrp_distance")));
  }
  if (auto it = value.find("black_litterman"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(r.black_litterman, ParseBlackLitterman(*it, Join(path, "black_litterman")));
  }
  if (auto it = value.find("robust"); it != value.end() && !it->is_null()) {
    const std::string rpath = Join(path, "robust");
    if (!it->is_object()) return TypeError(*it, rpath, "an object");
    PFOPT_RETURN_IF_ERROR(
        CheckKeys(*it, rpath, {"uncertainty", "confidence", "kappa", "observations"}));
    r.robust.present = true;
    if (auto u = it->find("uncertainty"); u != it->end() && !u->is_null()) {
      PFOPT_ASSIGN(r.robust.uncertainty, String(*u, Join(rpath, "uncertainty")));
    }
    PFOPT_ASSIGN(r.robust.confidence, OptionalNumber(*it, "confidence", rpath));
    PFOPT_ASSIGN(r.robust.kappa, OptionalNumber(*it, "kappa", rpath));
    PFOPT_ASSIGN(r.robust.observations, OptionalNumber(*it, "observations", rpath));
  }
  if (auto it = value.find("cvar"); it != value.end() && !it->is_null()) {
    const std::string cpath = Join(path, "cvar");
    if (!it->is_object()) return TypeError(*it, cpath, "an object");
    PFOPT_RETURN_IF_ERROR(CheckKeys(*it, cpath, {"alpha", "limit"}));
    PFOPT_ASSIGN(r.cvar_alpha, OptionalNumber(*it, "alpha", cpath));
    PFOPT_ASSIGN(r.cvar_limit, OptionalNumber(*it, "limit", cpath));
  }
  if (auto it = value.find("objective_weights"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(r.objective_weights, NumberMap(*it, Join(path, "objective_weights")));
  }
  if (auto it = value.find("compounding"); it != value.end() && !it->is_null()) {
    if (!it->is_boolean()) return TypeError(*it, Join(path, "compounding"), "a boolean");
    r.compounding = it->get<bool>();
  }
  PFOPT_ASSIGN(r.ema_span, OptionalNumber(value, "ema_span", path));
  PFOPT_ASSIGN(r.covariance_span, OptionalNumber(value, "covariance_span", path));
  PFOPT_ASSIGN(r.semicovariance_benchmark, OptionalNumber(value, "semicovariance_benchmark", path));
  PFOPT_ASSIGN(r.shrinkage, OptionalNumber(value, "shrinkage", path));
  if (auto it = value.find("missing_data"); it != value.end() && !it->is_null()) {
    MissingData missing;
    PFOPT_ASSIGN(missing,
                 EnumValue<MissingData>(*it, Join(path, "missing_data"), "missing-data rule"));
    r.missing_data = missing;
  }
  if (auto it = value.find("market_returns"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(r.market_returns, History(*it, Join(path, "market_returns")));
  }
  return r;
}

Result<std::optional<bool>> OptionalBool(const json& object, const char* key,
                                         const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return TypeError(*it, Join(path, key), "a boolean");
  return std::optional<bool>(it->get<bool>());
}

Result<ScenarioSettings> ParseScenarios(const json& value, const std::string& path) {
  if (!value.is_object()) return TypeError(value, path, "an object");
  PFOPT_RETURN_IF_ERROR(
      CheckKeys(value, path,
                {"path", "cvar_path", "time_unit", "optimizer", "method", "max_vol", "max_cvar",
                 "min_ret", "percentile", "rebalance", "sum_to_1", "as_tracking_error",
                 "as_active_cvar", "as_active_return", "x0"}));
  ScenarioSettings s;
  s.present = true;
  auto file = value.find("path");
  if (file == value.end() || file->is_null()) {
    return InvalidArgument(path + ".path is required: the scenario cube file", Join(path, "path"));
  }
  PFOPT_ASSIGN(s.path, String(*file, Join(path, "path")));
  if (auto it = value.find("cvar_path"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(s.cvar_path, String(*it, Join(path, "cvar_path")));
  }
  if (auto it = value.find("time_unit"); it != value.end() && !it->is_null()) {
    const std::string field = Join(path, "time_unit");
    if (!it->is_string() && !it->is_number_integer() && !it->is_number_unsigned()) {
      return TypeError(*it, field, "a name (quarterly, monthly, ...) or a whole number");
    }
    auto unit = ParseTimeUnit(it->is_string() ? it->get<std::string>() : it->dump());
    if (!unit) return tl::unexpected(Error(unit.error().code(), unit.error().message(), field));
    s.time_unit = *unit;
  }
  if (auto it = value.find("optimizer"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(s.optimizer,
                 EnumValue<scenario::OptimizerKind>(*it, Join(path, "optimizer"), "optimizer"));
  }
  auto method = value.find("method");
  if (method == value.end() || method->is_null()) {
    return InvalidArgument(path +
                               ".method is required (maximize_returns, minimize_volatility, "
                               "minimize_cvar, maximize_sharpe_ratio, maximize_eva, "
                               "minimize_tracking_error, maximize_info_ratio)",
                           Join(path, "method"));
  }
  PFOPT_ASSIGN(s.method,
               EnumValue<scenario::ScenarioMethod>(*method, Join(path, "method"), "method"));
  PFOPT_ASSIGN(s.max_vol, OptionalNumber(value, "max_vol", path));
  PFOPT_ASSIGN(s.max_cvar, OptionalNumber(value, "max_cvar", path));
  PFOPT_ASSIGN(s.min_ret, OptionalNumber(value, "min_ret", path));
  PFOPT_ASSIGN(s.percentile, OptionalNumber(value, "percentile", path));
  std::optional<bool> rebalance;
  PFOPT_ASSIGN(rebalance, OptionalBool(value, "rebalance", path));
  s.rebalance = rebalance.value_or(false);
  PFOPT_ASSIGN(s.sum_to_1, OptionalBool(value, "sum_to_1", path));
  PFOPT_ASSIGN(s.as_tracking_error, OptionalBool(value, "as_tracking_error", path));
  PFOPT_ASSIGN(s.as_active_cvar, OptionalBool(value, "as_active_cvar", path));
  PFOPT_ASSIGN(s.as_active_return, OptionalBool(value, "as_active_return", path));
  if (auto it = value.find("x0"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(s.x0, NumberList(*it, Join(path, "x0")));
  }
  return s;
}

using ojson = nlohmann::ordered_json;

ojson BlackLittermanToJson(const BlackLittermanParameters& bl) {
  ojson out = ojson::object();
  if (!bl.market_caps.empty()) out["market_caps"] = bl.market_caps;
  if (bl.tau) out["tau"] = *bl.tau;
  if (!bl.market_returns.empty()) out["market_returns"] = HistoryToJson(bl.market_returns);
  if (bl.expected_market_return) out["expected_market_return"] = *bl.expected_market_return;
  if (!bl.views.empty()) {
    ojson views = ojson::array();
    for (const BlackLittermanView& v : bl.views) {
      ojson view = {{"assets", v.assets}, {"return", v.expected}};
      if (v.confidence) view["confidence"] = *v.confidence;
      views.push_back(std::move(view));
    }
    out["views"] = std::move(views);
  }
  if (!bl.absolute_views.empty()) out["absolute_views"] = bl.absolute_views;
  if (bl.confidence) out["confidence"] = *bl.confidence;
  if (!bl.omega_matrix.empty()) {
    out["omega"] = bl.omega_matrix;
  } else if (!bl.omega.empty()) {
    out["omega"] = bl.omega;
  }
  if (!bl.prior.empty()) {
    out["prior"] = bl.prior;
  } else if (!bl.prior_source.empty()) {
    out["prior"] = bl.prior_source;
  }
  if (!bl.weights.empty()) out["weights"] = bl.weights;
  return out;
}

ojson PairsToJson(const std::vector<std::pair<std::string, double>>& pairs) {
  ojson out = ojson::object();
  for (const auto& [id, value] : pairs) out[id] = value;
  return out;
}

}  // namespace

Result<OptimizationRequest> OptimizationRequestFromJson(const json& value) {
  if (!value.is_object()) {
    return InvalidArgument(std::string("the request must be a JSON object, got ") +
                           TypeName(value));
  }
  PFOPT_RETURN_IF_ERROR(CheckKeys(value, "",
                                  {"portfolio_id", "strategies", "objective", "method",
                                   "constraints", "risk_parameters", "scenarios"}));
  OptimizationRequest request;
  auto id = value.find("portfolio_id");
  if (id == value.end()) return InvalidArgument("portfolio_id is required", "portfolio_id");
  PFOPT_ASSIGN(request.portfolio_id, String(*id, "portfolio_id"));
  auto strategies = value.find("strategies");
  if (strategies == value.end()) return InvalidArgument("strategies is required", "strategies");
  if (!strategies->is_array()) return TypeError(*strategies, "strategies", "an array of objects");
  for (std::size_t i = 0; i < strategies->size(); ++i) {
    StrategyDefinition s;
    PFOPT_ASSIGN(s, ParseStrategy((*strategies)[i], IndexPath("strategies", i)));
    request.strategies.push_back(std::move(s));
  }
  if (auto it = value.find("objective"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(request.objective, EnumValue<RequestObjective>(*it, "objective", "objective"));
  }
  if (auto it = value.find("method"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(request.method, EnumValue<RequestMethod>(*it, "method", "method"));
    // The RISK_PARITY and HIERARCHICAL_RISK_PARITY methods take objective RISK_PARITY "or none".
    const auto objective = value.find("objective");
    if ((objective == value.end() || objective->is_null()) &&
        (request.method == RequestMethod::kRiskParity ||
         request.method == RequestMethod::kHierarchicalRiskParity)) {
      request.objective = RequestObjective::kRiskParity;
    }
  }
  if (auto it = value.find("constraints"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(request.constraints, ParseConstraints(*it, "constraints"));
  }
  if (auto it = value.find("risk_parameters"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(request.risk_parameters, ParseRiskParameters(*it, "risk_parameters"));
  }
  if (auto it = value.find("scenarios"); it != value.end() && !it->is_null()) {
    PFOPT_ASSIGN(request.scenarios, ParseScenarios(*it, "scenarios"));
  }
  return request;
}

Result<OptimizationRequest> ParseOptimizationRequest(std::string_view text) {
  // Requests carry tens of thousands of numbers: the reader hands long number arrays over as
  // plain vectors rather than as JSON values (json_parse.h).
  std::vector<std::vector<double>> arrays;
  auto value = internal::ParseJsonText(text, "the request", &arrays);
  if (!value) return tl::unexpected(value.error());
  const internal::NumberArrayScope scope(&arrays);
  return OptimizationRequestFromJson(*value);
}

ojson OptimizationRequestToJson(const OptimizationRequest& request) {
  ojson strategies = ojson::array();
  for (const StrategyDefinition& s : request.strategies) {
    ojson item = {{"id", s.id}};
    if (!s.returns.empty()) item["returns"] = HistoryToJson(s.returns);
    if (!s.prices.empty()) item["prices"] = HistoryToJson(s.prices);
    if (s.expected_return) item["expected_return"] = *s.expected_return;
    if (!s.sector.empty()) item["sector"] = s.sector;
    if (s.current_weight) item["current_weight"] = *s.current_weight;
    if (s.market_cap) item["market_cap"] = *s.market_cap;
    if (s.min_weight) item["min_weight"] = *s.min_weight;
    if (s.max_weight) item["max_weight"] = *s.max_weight;
    strategies.push_back(std::move(item));
  }
  ojson constraints = ojson::object();
  const OptimizationConstraints& c = request.constraints;
  if (c.min_weight) constraints["min_weight"] = *c.min_weight;
  if (c.max_weight) constraints["max_weight"] = *c.max_weight;
  if (!c.sector_limits.empty()) constraints["sector_limits"] = c.sector_limits;
  if (!c.sector_minimums.empty()) constraints["sector_minimums"] = c.sector_minimums;
  if (c.turnover_limit) constraints["turnover_limit"] = *c.turnover_limit;
  if (c.leverage_limit) constraints["leverage_limit"] = *c.leverage_limit;
  if (c.budget) constraints["budget"] = *c.budget;
  const RiskParameters& r = request.risk_parameters;
  ojson risk = {{"risk_free_rate", r.risk_free_rate},
                {"periods_per_year", r.periods_per_year},
                {"expected_returns_estimator", EnumToString(r.expected_returns_estimator)},
                {"covariance_estimator", EnumToString(r.covariance_estimator)}};
  if (!r.expected_returns.empty()) risk["expected_returns"] = r.expected_returns;
  if (!r.covariance.empty()) risk["covariance"] = r.covariance;
  if (r.risk_aversion) risk["risk_aversion"] = *r.risk_aversion;
  if (r.target_volatility) risk["target_volatility"] = *r.target_volatility;
  if (r.target_return) risk["target_return"] = *r.target_return;
  if (r.l2_gamma != 0.0) risk["l2_gamma"] = r.l2_gamma;
  if (r.compounding) risk["compounding"] = *r.compounding;
  if (r.ema_span) risk["ema_span"] = *r.ema_span;
  if (r.covariance_span) risk["covariance_span"] = *r.covariance_span;
  if (r.semicovariance_benchmark) risk["semicovariance_benchmark"] = *r.semicovariance_benchmark;
  if (r.shrinkage) risk["shrinkage"] = *r.shrinkage;
  if (r.missing_data) risk["missing_data"] = EnumToString(*r.missing_data);
  if (!r.market_returns.empty()) risk["market_returns"] = HistoryToJson(r.market_returns);
  if (!r.risk_budgets.empty()) risk["risk_budgets"] = r.risk_budgets;
  if (!r.hrp_linkage.empty()) risk["hrp_linkage"] = r.hrp_linkage;
  if (!r.hrp_distance.empty()) risk["hrp_distance"] = r.hrp_distance;
  if (r.black_litterman.present) risk["black_litterman"] = BlackLittermanToJson(r.black_litterman);
  if (r.robust.present) {
    ojson robust = ojson::object();
    if (!r.robust.uncertainty.empty()) robust["uncertainty"] = r.robust.uncertainty;
    if (r.robust.confidence) robust["confidence"] = *r.robust.confidence;
    if (r.robust.kappa) robust["kappa"] = *r.robust.kappa;
    if (r.robust.observations) robust["observations"] = *r.robust.observations;
    risk["robust"] = std::move(robust);
  }
  if (r.cvar_alpha || r.cvar_limit) {
    ojson cvar = ojson::object();
    if (r.cvar_alpha) cvar["alpha"] = *r.cvar_alpha;
    if (r.cvar_limit) cvar["limit"] = *r.cvar_limit;
    risk["cvar"] = std::move(cvar);
  }
  if (!r.objective_weights.empty()) risk["objective_weights"] = r.objective_weights;
  ojson out = {{"portfolio_id", request.portfolio_id},
               {"strategies", std::move(strategies)},
               {"objective", EnumToString(request.objective)},
               {"method", EnumToString(request.method)}};
  if (!constraints.empty()) out["constraints"] = std::move(constraints);
  out["risk_parameters"] = std::move(risk);
  if (request.scenarios.present) {
    const ScenarioSettings& sc = request.scenarios;
    ojson scenarios = {
        {"path", sc.path}, {"time_unit", sc.time_unit}, {"optimizer", EnumToString(sc.optimizer)}};
    if (sc.method) scenarios["method"] = EnumToString(*sc.method);
    if (!sc.cvar_path.empty()) scenarios["cvar_path"] = sc.cvar_path;
    if (sc.max_vol) scenarios["max_vol"] = *sc.max_vol;
    if (sc.max_cvar) scenarios["max_cvar"] = *sc.max_cvar;
    if (sc.min_ret) scenarios["min_ret"] = *sc.min_ret;
    if (sc.percentile) scenarios["percentile"] = *sc.percentile;
    if (sc.rebalance) scenarios["rebalance"] = true;
    if (sc.sum_to_1) scenarios["sum_to_1"] = *sc.sum_to_1;
    if (sc.as_tracking_error) scenarios["as_tracking_error"] = *sc.as_tracking_error;
    if (sc.as_active_cvar) scenarios["as_active_cvar"] = *sc.as_active_cvar;
    if (sc.as_active_return) scenarios["as_active_return"] = *sc.as_active_return;
    if (!sc.x0.empty()) scenarios["x0"] = sc.x0;
    out["scenarios"] = std::move(scenarios);
  }
  return out;
}

ojson OptimizationResponseToJson(const OptimizationResponse& response) {
  ojson weights = ojson::object();
  for (const auto& [id, w] : response.optimal_weights) weights[id] = w;
  ojson metadata = {{"convergence_status", EnumToString(response.convergence_status)},
                    {"iterations", response.iterations},
                    {"optimization_time_ms", response.optimization_time_ms},
                    {"objective_value", NumberOrNull(response.objective_value)},
                    {"constraints_satisfied", response.constraints_satisfied},
                    {"message", response.message},
                    {"objective", response.objective},
                    {"method", response.method}};
  if (!response.warnings.empty()) metadata["warnings"] = response.warnings;
  if (!response.conflicting_constraints.empty()) {
    metadata["conflicting_constraints"] = response.conflicting_constraints;
  }
  if (!response.risk_contributions.empty()) {
    metadata["risk_contributions"] = PairsToJson(response.risk_contributions);
  }
  if (!response.posterior_expected_returns.empty()) {
    metadata["posterior_expected_returns"] = PairsToJson(response.posterior_expected_returns);
  }
  if (std::isfinite(response.cvar)) {
    metadata["risk_measures"] = {{"cvar_alpha", response.cvar_alpha},
                                 {"cvar", response.cvar},
                                 {"value_at_risk", response.value_at_risk}};
  }
  if (!response.uncertainty.empty()) {
    metadata["robust"] = {{"uncertainty", response.uncertainty},
                          {"radius", NumberOrNull(response.robust_radius)},
                          {"worst_case_return", NumberOrNull(response.worst_case_return)}};
  }
  if (!response.objective_terms.empty()) metadata["objective_terms"] = response.objective_terms;
  if (!response.scenario_metrics.empty()) {
    ojson figures = ojson::object();
    for (const auto& [name, value] : response.scenario_metrics) figures[name] = NumberOrNull(value);
    metadata["scenario_metrics"] = std::move(figures);
  }
  return ojson{{"portfolio_id", response.portfolio_id},
               {"optimal_weights", std::move(weights)},
               {"expected_return", NumberOrNull(response.expected_return)},
               {"expected_volatility", NumberOrNull(response.expected_volatility)},
               {"sharpe_ratio", NumberOrNull(response.sharpe_ratio)},
               {"optimization_metadata", std::move(metadata)}};
}

ojson ErrorToJson(const Error& error) {
  ojson body = {{"code", std::string(ToString(error.code()))}, {"message", error.message()}};
  if (!error.field().empty()) body["field"] = error.field();
  return ojson{{"error", std::move(body)}};
}

}  // namespace pfopt::service
