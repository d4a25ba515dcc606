#include "services/stream/portfolio_config.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace pfopt::stream {

namespace {

using nlohmann::json;

std::string Num(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

Status CheckKeys(const json& object, const std::string& path, const std::set<std::string>& known) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (known.count(it.key()) == 0) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return InvalidArgument(
          "unknown field '" + it.key() + "' in " + path + "; expected one of: " + list,
          path + "." + it.key());
    }
  }
  return Ok();
}

Result<double> Number(const json& value, const std::string& path) {
  if (!value.is_number()) return InvalidArgument(path + " must be a number", path);
  const double x = value.get<double>();
  if (!std::isfinite(x)) return InvalidArgument(path + " must be finite", path);
  return x;
}

Status OptionalNumber(const json& object, const char* key, const std::string& path, double* out) {
  auto it = object.find(key);
  if (it == object.end()) return Ok();
  auto x = Number(*it, path + "." + key);
  if (!x) return tl::unexpected(x.error());
  *out = *x;
  return Ok();
}

Result<json> ReadJsonFile(const std::string& file, const std::string& path) {
  std::ifstream in(file);
  if (!in) {
    return MakeError(ErrorCode::kIoError, "cannot read " + file + " (named by " + path + ")", path);
  }
  json document = json::parse(in, nullptr, false);
  if (document.is_discarded()) {
    return MakeError(ErrorCode::kParseError, file + " is not valid JSON (named by " + path + ")",
                     path);
  }
  return document;
}

// A value given inline or as the name of a JSON file (relative to the configuration's folder).
Result<json> InlineOrFile(const json& value, const std::string& base, const std::string& path) {
  if (!value.is_string()) return value;
  std::filesystem::path file(value.get<std::string>());
  if (file.is_relative()) file = std::filesystem::path(base) / file;
  return ReadJsonFile(file.string(), path);
}

// {"AKT": 0.1, ...} -> vector in `tickers` order; every ticker required, no others.
Result<Vector> TickerVector(const json& object, const std::vector<std::string>& tickers,
                            const std::string& path) {
  if (!object.is_object()) return InvalidArgument(path + " must map tickers to numbers", path);
  Vector out(static_cast<Index>(tickers.size()));
  for (std::size_t i = 0; i < tickers.size(); ++i) {
    auto it = object.find(tickers[i]);
    if (it == object.end()) {
      return InvalidArgument(path + " has no value for ticker '" + tickers[i] + "'",
                             path + "." + tickers[i]);
    }
    auto x = Number(*it, path + "." + tickers[i]);
    if (!x) return tl::unexpected(x.error());
    out[static_cast<Index>(i)] = *x;
  }
  if (object.size() != tickers.size()) {
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (std::find(tickers.begin(), tickers.end(), it.key()) == tickers.end()) {
        return InvalidArgument(
            path + " names '" + it.key() + "', which is not a ticker of the portfolio",
            path + "." + it.key());
      }
    }
  }
  return out;
}

Result<Matrix> TickerMatrix(const json& object, const std::vector<std::string>& tickers,
                            const std::string& path) {
  if (!object.is_object()) return InvalidArgument(path + " must map tickers to rows", path);
  const Index n = static_cast<Index>(tickers.size());
  Matrix out(n, n);
  for (Index i = 0; i < n; ++i) {
    const std::string& a = tickers[static_cast<std::size_t>(i)];
    auto row = object.find(a);
    if (row == object.end()) {
      return InvalidArgument(path + " has no row for ticker '" + a + "'", path + "." + a);
    }
    auto values = TickerVector(*row, tickers, path + "." + a);
    if (!values) return tl::unexpected(values.error());
    out.row(i) = values->transpose();
  }
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < i; ++j) {
      const double x = out(i, j), y = out(j, i);
      if (std::abs(x - y) > 1e-9 * std::max({std::abs(x), std::abs(y), 1e-300})) {
        return InvalidArgument(path + " is not symmetric at (" +
                                   tickers[static_cast<std::size_t>(i)] + ", " +
                                   tickers[static_cast<std::size_t>(j)] + ")",
                               path);
      }
    }
  }
  return out;
}

Result<std::map<std::string, double>> NumberMap(const json& object, const std::string& path) {
  if (!object.is_object()) return InvalidArgument(path + " must map names to numbers", path);
  std::map<std::string, double> out;
  for (auto it = object.begin(); it != object.end(); ++it) {
    auto x = Number(it.value(), path + "." + it.key());
    if (!x) return tl::unexpected(x.error());
    out[it.key()] = *x;
  }
  return out;
}

Result<PortfolioConfig> ParsePortfolio(const json& item, const std::string& base,
                                       const std::string& index_path) {
  if (!item.is_object()) return InvalidArgument(index_path + " must be an object", index_path);
  PortfolioConfig config;
  auto id = item.find("id");
  if (id == item.end() || !id->is_string()) {
    return InvalidArgument(index_path + ".id must be a string", index_path + ".id");
  }
  config.id = id->get<std::string>();
  const std::string path = "portfolios[" + config.id + "]";
  PFOPT_RETURN_IF_ERROR(CheckKeys(
      item, path,
      {"id", "tickers", "initial_statistics", "half_life", "periods_per_year", "risk_free_rate",
       "trigger", "reoptimization", "initial_weights", "black_litterman", "optimization"}));
  auto tickers = item.find("tickers");
  if (tickers == item.end() || !tickers->is_array()) {
    return InvalidArgument(path + ".tickers must be an array of strings", path + ".tickers");
  }
  for (const auto& t : *tickers) {
    if (!t.is_string()) {
      return InvalidArgument(path + ".tickers must be an array of strings", path + ".tickers");
    }
    config.tickers.push_back(t.get<std::string>());
  }

  auto stats = item.find("initial_statistics");
  if (stats == item.end() || !stats->is_object()) {
    return InvalidArgument(path +
                               ".initial_statistics must be an object with mean, covariance "
                               "and count",
                           path + ".initial_statistics");
  }
  const std::string stats_path = path + ".initial_statistics";
  PFOPT_RETURN_IF_ERROR(CheckKeys(*stats, stats_path, {"mean", "covariance", "count"}));
  if (!stats->contains("mean") || !stats->contains("covariance")) {
    return InvalidArgument(stats_path + " needs mean and covariance", stats_path);
  }
  auto mean = InlineOrFile(stats->at("mean"), base, stats_path + ".mean");
  if (!mean) return tl::unexpected(mean.error());
  auto mean_vector = TickerVector(*mean, config.tickers, stats_path + ".mean");
  if (!mean_vector) return tl::unexpected(mean_vector.error());
  config.prior_mean = *mean_vector;
  auto covariance = InlineOrFile(stats->at("covariance"), base, stats_path + ".covariance");
  if (!covariance) return tl::unexpected(covariance.error());
  auto covariance_matrix = TickerMatrix(*covariance, config.tickers, stats_path + ".covariance");
  if (!covariance_matrix) return tl::unexpected(covariance_matrix.error());
  config.prior_covariance = *covariance_matrix;
  PFOPT_RETURN_IF_ERROR(OptionalNumber(*stats, "count", stats_path, &config.prior_count));

  PFOPT_RETURN_IF_ERROR(OptionalNumber(item, "half_life", path, &config.half_life));
  PFOPT_RETURN_IF_ERROR(OptionalNumber(item, "periods_per_year", path, &config.periods_per_year));
  PFOPT_RETURN_IF_ERROR(OptionalNumber(item, "risk_free_rate", path, &config.risk_free_rate));

  if (auto trigger = item.find("trigger"); trigger != item.end()) {
    const std::string p = path + ".trigger";
    if (!trigger->is_object()) return InvalidArgument(p + " must be an object", p);
    PFOPT_RETURN_IF_ERROR(CheckKeys(*trigger, p, {"threshold", "hysteresis", "cooldown_seconds"}));
    PFOPT_RETURN_IF_ERROR(OptionalNumber(*trigger, "threshold", p, &config.trigger.threshold));
    PFOPT_RETURN_IF_ERROR(OptionalNumber(*trigger, "hysteresis", p, &config.trigger.hysteresis));
    double cooldown = static_cast<double>(config.trigger.cooldown_ms) / 1000.0;
    PFOPT_RETURN_IF_ERROR(OptionalNumber(*trigger, "cooldown_seconds", p, &cooldown));
    if (!(cooldown >= 0.0 && cooldown < 1e9)) {
      return InvalidArgument(p + ".cooldown_seconds must be >= 0", p + ".cooldown_seconds");
    }
    config.trigger.cooldown_ms = static_cast<int64_t>(std::llround(cooldown * 1000.0));
  }
  if (auto reopt = item.find("reoptimization"); reopt != item.end()) {
    const std::string p = path + ".reoptimization";
    if (!reopt->is_object()) return InvalidArgument(p + " must be an object", p);
    PFOPT_RETURN_IF_ERROR(
        CheckKeys(*reopt, p,
                  {"l2_gamma", "l2_gamma_step", "max_attempts", "target_volatility",
                   "return_target_factor", "weight_tolerance"}));
    ReoptimizationOptions& r = config.reoptimization;
    PFOPT_RETURN_IF_ERROR(OptionalNumber(*reopt, "l2_gamma", p, &r.l2_gamma));
    PFOPT_RETURN_IF_ERROR(OptionalNumber(*reopt, "l2_gamma_step", p, &r.l2_gamma_step));
    double attempts = r.max_attempts;
    PFOPT_RETURN_IF_ERROR(OptionalNumber(*reopt, "max_attempts", p, &attempts));
    if (attempts != std::floor(attempts) || attempts < 1 || attempts > 20) {
      return InvalidArgument(p + ".max_attempts must be an integer 1..20", p + ".max_attempts");
    }
    r.max_attempts = static_cast<int>(attempts);
    if (reopt->contains("target_volatility") && !reopt->at("target_volatility").is_null()) {
      double target = 0.0;
      PFOPT_RETURN_IF_ERROR(OptionalNumber(*reopt, "target_volatility", p, &target));
      r.target_volatility = target;
    }
    PFOPT_RETURN_IF_ERROR(
        OptionalNumber(*reopt, "return_target_factor", p, &r.return_target_factor));
    PFOPT_RETURN_IF_ERROR(OptionalNumber(*reopt, "weight_tolerance", p, &r.weight_tolerance));
  }
  if (auto weights = item.find("initial_weights"); weights != item.end()) {
    auto value = InlineOrFile(*weights, base, path + ".initial_weights");
    if (!value) return tl::unexpected(value.error());
    auto vector = TickerVector(*value, config.tickers, path + ".initial_weights");
    if (!vector) return tl::unexpected(vector.error());
    config.initial_weights = *vector;
  }
  if (auto bl = item.find("black_litterman"); bl != item.end()) {
    const std::string p = path + ".black_litterman";
    if (!bl->is_object()) return InvalidArgument(p + " must be an object", p);
    PFOPT_RETURN_IF_ERROR(CheckKeys(
        *bl, p, {"market_weights", "benchmark_return", "risk_free_rate", "confidence", "views"}));
    BlackLittermanSetup& setup = config.black_litterman;
    setup.present = true;
    if (bl->contains("market_weights")) {
      auto value = InlineOrFile(bl->at("market_weights"), base, p + ".market_weights");
      if (!value) return tl::unexpected(value.error());
      auto map = NumberMap(*value, p + ".market_weights");
      if (!map) return tl::unexpected(map.error());
      setup.market_weights = *map;
    }
    if (bl->contains("views")) {
      auto map = NumberMap(bl->at("views"), p + ".views");
      if (!map) return tl::unexpected(map.error());
      setup.views = *map;
    }
    PFOPT_RETURN_IF_ERROR(OptionalNumber(*bl, "benchmark_return", p, &setup.benchmark_return));
    PFOPT_RETURN_IF_ERROR(OptionalNumber(*bl, "risk_free_rate", p, &setup.risk_free_rate));
    PFOPT_RETURN_IF_ERROR(OptionalNumber(*bl, "confidence", p, &setup.confidence));
  }
  if (auto opt = item.find("optimization"); opt != item.end()) {
    const std::string p = path + ".optimization";
    if (!opt->is_object()) return InvalidArgument(p + " must be an object", p);
    PFOPT_RETURN_IF_ERROR(
        CheckKeys(*opt, p, {"objective", "method", "constraints", "risk_parameters", "enabled"}));
    StoredOptimizationConfig stored;
    if (opt->contains("objective")) {
      if (!opt->at("objective").is_string()) {
        return InvalidArgument(p + ".objective must be a string", p + ".objective");
      }
      stored.objective = opt->at("objective").get<std::string>();
    }
    if (opt->contains("method")) {
      if (!opt->at("method").is_string()) {
        return InvalidArgument(p + ".method must be a string", p + ".method");
      }
      stored.method = opt->at("method").get<std::string>();
    }
    if (opt->contains("constraints")) stored.constraints = opt->at("constraints");
    if (opt->contains("risk_parameters")) stored.risk_parameters = opt->at("risk_parameters");
    if (opt->contains("enabled")) {
      if (!opt->at("enabled").is_boolean()) {
        return InvalidArgument(p + ".enabled must be true or false", p + ".enabled");
      }
      stored.enabled = opt->at("enabled").get<bool>();
    }
    config.optimization = std::move(stored);
  }
  PFOPT_RETURN_IF_ERROR(config.Validate());
  return config;
}

}  // namespace

Status TriggerOptions::Validate() const {
  if (!std::isfinite(threshold)) {
    return InvalidArgument("trigger threshold must be finite", "trigger.threshold");
  }
  if (!(hysteresis >= 0.0) || !std::isfinite(hysteresis)) {
    return InvalidArgument("trigger hysteresis is " + Num(hysteresis) + "; it must be >= 0",
                           "trigger.hysteresis");
  }
  if (cooldown_ms < 0) {
    return InvalidArgument("trigger cooldown must be >= 0", "trigger.cooldown_seconds");
  }
  return Ok();
}

Status ReoptimizationOptions::Validate() const {
  if (!(l2_gamma >= 0.0) || !std::isfinite(l2_gamma)) {
    return InvalidArgument("l2_gamma is " + Num(l2_gamma) + "; it must be >= 0",
                           "reoptimization.l2_gamma");
  }
  if (!(l2_gamma_step >= 0.0) || !std::isfinite(l2_gamma_step)) {
    return InvalidArgument("l2_gamma_step is " + Num(l2_gamma_step) + "; it must be >= 0",
                           "reoptimization.l2_gamma_step");
  }
  if (max_attempts < 1 || max_attempts > 20) {
    return InvalidArgument("max_attempts is " + std::to_string(max_attempts) + "; it must be 1..20",
                           "reoptimization.max_attempts");
  }
  if (target_volatility && !(*target_volatility > 0.0 && std::isfinite(*target_volatility))) {
    return InvalidArgument("target_volatility must be > 0", "reoptimization.target_volatility");
  }
  if (!(return_target_factor > 0.0) || !std::isfinite(return_target_factor)) {
    return InvalidArgument("return_target_factor must be > 0",
                           "reoptimization.return_target_factor");
  }
  if (!(weight_tolerance >= 0.0) || !std::isfinite(weight_tolerance)) {
    return InvalidArgument("weight_tolerance must be >= 0", "reoptimization.weight_tolerance");
  }
  return Ok();
}

Status PortfolioConfig::Validate() const {
  const std::string path = "portfolios[" + id + "]";
  if (id.empty() || id.size() > 100) {
    return InvalidArgument("a portfolio id must have 1 to 100 characters", path + ".id");
  }
  if (tickers.empty()) return InvalidArgument(path + " has no tickers", path + ".tickers");
  std::set<std::string> seen;
  for (const auto& t : tickers) {
    if (t.empty()) return InvalidArgument(path + " has an empty ticker", path + ".tickers");
    if (!seen.insert(t).second) {
      return InvalidArgument(path + " lists ticker '" + t + "' twice", path + ".tickers");
    }
  }
  const Index n = static_cast<Index>(tickers.size());
  if (prior_mean.size() != n || prior_covariance.rows() != n || prior_covariance.cols() != n) {
    return DimensionMismatch(
        path + ": the initial statistics do not match the " + std::to_string(n) + " tickers",
        path + ".initial_statistics");
  }
  if (!prior_mean.allFinite() || !prior_covariance.allFinite()) {
    return InvalidArgument(path + ": the initial statistics have a non-finite value",
                           path + ".initial_statistics");
  }
  for (Index i = 0; i < n; ++i) {
    if (prior_covariance(i, i) < 0.0) {
      return InvalidArgument(path + ": the initial variance of '" +
                                 tickers[static_cast<std::size_t>(i)] + "' is negative",
                             path + ".initial_statistics.covariance");
    }
  }
  if (!std::isfinite(prior_count) || !(prior_count == 0.0 || prior_count >= 1.0)) {
    return InvalidArgument(
        path + ": initial_statistics.count is " + Num(prior_count) + "; it must be 0 or >= 1",
        path + ".initial_statistics.count");
  }
  if (!(half_life >= 0.0) || !std::isfinite(half_life)) {
    return InvalidArgument(path + ": half_life must be >= 0", path + ".half_life");
  }
  if (!(periods_per_year > 0.0) || !std::isfinite(periods_per_year)) {
    return InvalidArgument(path + ": periods_per_year must be > 0", path + ".periods_per_year");
  }
  if (!std::isfinite(risk_free_rate)) {
    return InvalidArgument(path + ": risk_free_rate must be finite", path + ".risk_free_rate");
  }
  if (auto s = trigger.Validate(); !s) return tl::unexpected(s.error().WithFieldPrefix(path));
  if (auto s = reoptimization.Validate(); !s) {
    return tl::unexpected(s.error().WithFieldPrefix(path));
  }
  if (initial_weights.size() != 0 &&
      (initial_weights.size() != n || !initial_weights.allFinite())) {
    return InvalidArgument(path + ": initial_weights must give a finite weight per ticker",
                           path + ".initial_weights");
  }
  return Ok();
}

Result<std::vector<PortfolioConfig>> ParsePortfolioConfigs(const nlohmann::json& document,
                                                           const std::string& base_directory) {
  if (!document.is_object()) {
    return InvalidArgument("the configuration must be an object {\"portfolios\": [...]}");
  }
  PFOPT_RETURN_IF_ERROR(CheckKeys(document, "the configuration", {"portfolios"}));
  auto list = document.find("portfolios");
  if (list == document.end() || !list->is_array() || list->empty()) {
    return InvalidArgument("portfolios must be a non-empty array", "portfolios");
  }
  std::vector<PortfolioConfig> out;
  std::set<std::string> ids;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto config =
        ParsePortfolio(list->at(i), base_directory, "portfolios[" + std::to_string(i) + "]");
    if (!config) return tl::unexpected(config.error());
    if (!ids.insert(config->id).second) {
      return InvalidArgument("portfolio id '" + config->id + "' is used twice", "portfolios");
    }
    out.push_back(std::move(*config));
  }
  return out;
}

Result<std::vector<PortfolioConfig>> FileConfigurationSource::LoadPortfolios() {
  auto document = ReadJsonFile(path_, "--config");
  if (!document) return tl::unexpected(document.error());
  const std::string base = std::filesystem::path(path_).parent_path().string();
  return ParsePortfolioConfigs(*document, base.empty() ? "." : base);
}

Result<std::vector<PortfolioConfig>> MemoryConfigurationSource::LoadPortfolios() {
  for (const auto& config : portfolios_) PFOPT_RETURN_IF_ERROR(config.Validate());
  return portfolios_;
}

}  // namespace pfopt::stream
