#include "apps/pfopt/cli_common.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "pfopt/data/table.h"
#include "services/common/request_json.h"

namespace pfopt::cli {

namespace {

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) parts.push_back(item);
  }
  return parts;
}

Result<std::pair<std::string, double>> ParseAssignment(const std::string& text, const char* flag) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidArgument(std::string(flag) + " expects NAME=VALUE, got '" + text + "'", flag);
  }
  const std::string value = text.substr(eq + 1);
  char* end = nullptr;
  const double x = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(x)) {
    return InvalidArgument(std::string(flag) + " value '" + value + "' is not a number", flag);
  }
  return std::make_pair(text.substr(0, eq), x);
}

// Two-column CSV "asset,value" with a header row.
Result<std::map<std::string, std::string>> ReadPairs(const std::string& path, const char* flag) {
  auto text = ReadInput(path);
  if (!text) return tl::unexpected(text.error());
  std::map<std::string, std::string> pairs;
  std::stringstream ss(*text);
  std::string line;
  int line_number = 0;
  while (std::getline(ss, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line_number == 1) continue;  // header
    const auto comma = line.find(',');
    if (comma == std::string::npos) {
      return MakeError(ErrorCode::kParseError,
                       path + " line " + std::to_string(line_number) +
                           ": expected 'asset,value', got '" + line + "'",
                       flag);
    }
    pairs[line.substr(0, comma)] = line.substr(comma + 1);
  }
  return pairs;
}

}  // namespace

void RequestFlags::Register(CLI::App* command, bool with_objective) {
  command->add_option("--request", request_file,
                      "OptimizationRequest JSON file (docs/api.md); '-' reads stdin");
  command->add_option("--prices", prices_file,
                      "CSV of prices: a date column then one column per asset (docs/data.md)");
  command->add_option("--returns", returns_file, "CSV of periodic simple returns, same layout");
  command->add_option("--portfolio-id", portfolio_id, "portfolio_id of the request")
      ->capture_default_str();
  if (with_objective) {
    command->add_option(
        "--objective", objective,
        "max-sharpe (default) | min-volatility | max-return | efficient-risk | "
        "efficient-return | max-utility | risk-parity | min-cvar | multi-objective");
    command->add_option("--method", method,
                        "mean-variance (default) | risk-parity | hierarchical-risk-parity | "
                        "black-litterman (views and prior: use --request) | robust-optimization "
                        "(docs/robust.md)");
    command->add_option("--linkage", hrp_linkage,
                        "hierarchical-risk-parity linkage: single (default) | average | "
                        "complete | ward");
    command->add_option("--risk-budgets", risk_budgets_file,
                        "CSV 'asset,budget' with a header row: risk budgets of risk-parity "
                        "(default equal)");
  }
  command->add_option("--assets", assets, "comma-separated subset of the CSV's asset columns");
  command->add_option("--from", from, "first period label to use (inclusive)");
  command->add_option("--to", to, "last period label to use (inclusive)");
  command->add_option("--risk-free-rate", risk_free_rate, "annualised risk-free rate (default 0)");
  command->add_option("--periods-per-year", periods_per_year, "periods per year (default 252)");
  command->add_option("--expected-returns", expected_returns_estimator,
                      "MEAN_HISTORICAL (default) | MEAN_ARITHMETIC | EMA | CAPM");
  command->add_option("--covariance", covariance_estimator,
                      "SAMPLE (default) | SEMICOVARIANCE | EXP | SHRUNK | LEDOIT_WOLF | "
                      "LEDOIT_WOLF_SINGLE_FACTOR | LEDOIT_WOLF_CONSTANT_CORRELATION | "
                      "ORACLE_APPROXIMATING");
  command->add_option("--missing-data", missing_data,
                      "risk-model rule for missing returns: MODEL_DEFAULT | PAIRWISE | "
                      "COMPLETE_ROWS | AS_ZERO (PyPortfolioOpt-compatible)");
  command->add_option("--target-volatility", target_volatility,
                      "annualised volatility target (efficient-risk)");
  command->add_option("--target-return", target_return,
                      "annualised return target (efficient-return)");
  command->add_option("--risk-aversion", risk_aversion, "risk aversion of max-utility (default 1)");
  command->add_option("--l2-gamma", l2_gamma, "L2 regularisation gamma (default 0)");
  command->add_option("--min-weight", min_weight, "minimum weight of every asset (default 0)");
  command->add_option("--max-weight", max_weight, "maximum weight of every asset (default 1)");
  command->add_option("--budget", budget, "sum of the weights (default 1; 0 = market neutral)");
  command->add_option("--turnover-limit", turnover_limit,
                      "max sum |w - current| (needs --current-weights, else from 0)");
  command->add_option("--leverage-limit", leverage_limit, "max sum |w|");
  command->add_option("--sectors", sectors_file, "CSV 'asset,sector' with a header row");
  command->add_option("--sector-limit", sector_limits, "SECTOR=MAX, repeatable");
  command->add_option("--sector-minimum", sector_minimums, "SECTOR=MIN, repeatable");
  command->add_option("--current-weights", current_weights_file,
                      "CSV 'asset,weight' with a header row: the weights held now");
  command->add_option("--cvar-alpha", cvar_alpha,
                      "CVaR tail probability (default 0.05); with any objective, reports the "
                      "CVaR of the answer");
  command->add_option("--cvar-limit", cvar_limit,
                      "CVaR limit, per period (e.g. 0.02): with max-return, min-volatility, "
                      "max-utility, efficient-return, multi-objective");
  if (with_objective) {
    command->add_option("--objective-weights", objective_weights,
                        "multi-objective weights, e.g. return=1,variance=2,cvar=1,turnover=0.01,"
                        "l2=0 (docs/multi_objective.md)");
    command->add_option("--uncertainty", uncertainty,
                        "robust uncertainty set: ELLIPSOIDAL (default) | BOX");
    command->add_option("--confidence", confidence,
                        "robust confidence level in [0, 1) (default 0.95)");
    command->add_option("--kappa", kappa, "robust radius (overrides --confidence)");
    command->add_option("--observations", observations,
                        "robust: number of return observations T (default: the history's)");
  }
}

Result<std::string> ReadInput(const std::string& path) {
  if (path == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIoError, "cannot open '" + path + "'", path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<service::OptimizationRequest> BuildRequest(const RequestFlags& flags) {
  const int sources = (flags.request_file.empty() ? 0 : 1) + (flags.prices_file.empty() ? 0 : 1) +
                      (flags.returns_file.empty() ? 0 : 1);
  if (sources != 1) {
    return InvalidArgument("give exactly one of --request, --prices or --returns", "--request");
  }
  if (!flags.request_file.empty()) {
    auto text = ReadInput(flags.request_file);
    if (!text) return tl::unexpected(text.error());
    return service::ParseOptimizationRequest(*text);
  }
  const bool prices = !flags.prices_file.empty();
  CsvReadOptions csv;
  csv.kind = prices ? TableKind::kPrices : TableKind::kReturns;
  auto table = ReadTableCsv(prices ? flags.prices_file : flags.returns_file, csv);
  if (!table) return tl::unexpected(table.error());

  // Period range and asset subset.
  Index first_row = 0, last_row = table->num_periods() - 1;
  if (!flags.from.empty()) {
    while (first_row <= last_row &&
           table->periods[static_cast<std::size_t>(first_row)] < flags.from)
      ++first_row;
  }
  if (!flags.to.empty()) {
    while (last_row >= first_row && table->periods[static_cast<std::size_t>(last_row)] > flags.to)
      --last_row;
  }
  if (last_row < first_row) {
    return InvalidArgument("no period of the file lies in --from/--to", "--from");
  }
  std::vector<Index> columns;
  if (flags.assets.empty()) {
    for (Index j = 0; j < table->num_assets(); ++j) columns.push_back(j);
  } else {
    for (const std::string& name : SplitComma(flags.assets)) {
      const Index j = table->AssetIndex(name);
      if (j < 0)
        return InvalidArgument("--assets names '" + name + "', which is not a column of the file",
                               "--assets");
      columns.push_back(j);
    }
  }

  service::OptimizationRequest request;
  request.portfolio_id = flags.portfolio_id;
  if (!flags.method.empty()) {
    auto method = EnumFromString<service::RequestMethod>(flags.method, "method");
    if (!method) {
      return tl::unexpected(Error(method.error().code(), method.error().message(), "--method"));
    }
    request.method = *method;
  }
  const bool risk_parity_method = request.method == service::RequestMethod::kRiskParity ||
                                  request.method == service::RequestMethod::kHierarchicalRiskParity;
  const std::string objective_name = !flags.objective.empty()
                                         ? flags.objective
                                         : (risk_parity_method ? "RISK_PARITY" : "MAX_SHARPE");
  auto objective = EnumFromString<service::RequestObjective>(objective_name, "objective");
  if (!objective)
    return tl::unexpected(
        Error(objective.error().code(), objective.error().message(), "--objective"));
  request.objective = *objective;
  request.risk_parameters.hrp_linkage = flags.hrp_linkage;
  for (Index j : columns) {
    service::StrategyDefinition s;
    s.id = table->assets[static_cast<std::size_t>(j)];
    std::vector<double>& history = prices ? s.prices : s.returns;
    for (Index t = first_row; t <= last_row; ++t) history.push_back(table->values(t, j));
    request.strategies.push_back(std::move(s));
  }
  auto& rp = request.risk_parameters;
  if (flags.risk_free_rate) rp.risk_free_rate = *flags.risk_free_rate;
  if (flags.periods_per_year) rp.periods_per_year = *flags.periods_per_year;
  if (!flags.expected_returns_estimator.empty()) {
    auto e = EnumFromString<ExpectedReturnsMethod>(flags.expected_returns_estimator,
                                                   "expected-returns estimator");
    if (!e)
      return tl::unexpected(Error(e.error().code(), e.error().message(), "--expected-returns"));
    rp.expected_returns_estimator = *e;
  }
  if (!flags.covariance_estimator.empty()) {
    auto e = EnumFromString<RiskModel>(flags.covariance_estimator, "covariance estimator");
    if (!e) return tl::unexpected(Error(e.error().code(), e.error().message(), "--covariance"));
    rp.covariance_estimator = *e;
  }
  if (!flags.missing_data.empty()) {
    auto e = EnumFromString<MissingData>(flags.missing_data, "missing-data rule");
    if (!e) return tl::unexpected(Error(e.error().code(), e.error().message(), "--missing-data"));
    rp.missing_data = *e;
  }
  rp.target_volatility = flags.target_volatility;
  rp.target_return = flags.target_return;
  rp.risk_aversion = flags.risk_aversion;
  if (flags.l2_gamma) rp.l2_gamma = *flags.l2_gamma;
  rp.cvar_alpha = flags.cvar_alpha;
  rp.cvar_limit = flags.cvar_limit;
  for (const std::string& text : SplitComma(flags.objective_weights)) {
    auto pair = ParseAssignment(text, "--objective-weights");
    if (!pair) return tl::unexpected(pair.error());
    rp.objective_weights[pair->first] = pair->second;
  }
  if (!flags.uncertainty.empty() || flags.confidence || flags.kappa || flags.observations) {
    rp.robust.present = true;
    rp.robust.uncertainty = flags.uncertainty;
    rp.robust.confidence = flags.confidence;
    rp.robust.kappa = flags.kappa;
    rp.robust.observations = flags.observations;
  }
  auto& c = request.constraints;
  c.min_weight = flags.min_weight;
  c.max_weight = flags.max_weight;
  c.budget = flags.budget;
  c.turnover_limit = flags.turnover_limit;
  c.leverage_limit = flags.leverage_limit;
  for (const std::string& text : flags.sector_limits) {
    auto pair = ParseAssignment(text, "--sector-limit");
    if (!pair) return tl::unexpected(pair.error());
    c.sector_limits[pair->first] = pair->second;
  }
  for (const std::string& text : flags.sector_minimums) {
    auto pair = ParseAssignment(text, "--sector-minimum");
    if (!pair) return tl::unexpected(pair.error());
    c.sector_minimums[pair->first] = pair->second;
  }
  auto assign = [&](const std::string& file, const char* flag, auto apply) -> Status {
    if (file.empty()) return Ok();
    auto pairs = ReadPairs(file, flag);
    if (!pairs) return tl::unexpected(pairs.error());
    for (const auto& [asset, value] : *pairs) {
      bool found = false;
      for (auto& s : request.strategies) {
        if (s.id == asset) {
          PFOPT_RETURN_IF_ERROR(apply(s, value));
          found = true;
        }
      }
      if (!found && table->AssetIndex(asset) < 0) {
        return InvalidArgument(
            std::string(flag) + " names '" + asset + "', which is not an asset of the data", flag);
      }
    }
    return Ok();
  };
  PFOPT_RETURN_IF_ERROR(assign(flags.sectors_file, "--sectors",
                               [](service::StrategyDefinition& s, const std::string& v) -> Status {
                                 s.sector = v;
                                 return Ok();
                               }));
  PFOPT_RETURN_IF_ERROR(assign(
      flags.current_weights_file, "--current-weights",
      [](service::StrategyDefinition& s, const std::string& v) -> Status {
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(x)) {
          return InvalidArgument("current weight '" + v + "' of '" + s.id + "' is not a number",
                                 "--current-weights");
        }
        s.current_weight = x;
        return Ok();
      }));
  PFOPT_RETURN_IF_ERROR(
      assign(flags.risk_budgets_file, "--risk-budgets",
             [&rp](service::StrategyDefinition& s, const std::string& v) -> Status {
               char* end = nullptr;
               const double x = std::strtod(v.c_str(), &end);
               if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(x)) {
                 return InvalidArgument("risk budget '" + v + "' of '" + s.id + "' is not a number",
                                        "--risk-budgets");
               }
               rp.risk_budgets[s.id] = x;
               return Ok();
             }));
  return request;
}

void PrintError(const std::string& command, const Error& error) {
  std::cerr << "pfopt " << command << ": error: " << error.message();
  if (!error.field().empty()) std::cerr << " [" << error.field() << "]";
  std::cerr << "\n";
}

std::string Percent(double fraction, int decimals) {
  if (!std::isfinite(fraction)) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f %%", decimals, 100.0 * fraction);
  return buffer;
}

}  // namespace pfopt::cli
