#include "services/rest/storage/configuration_store.h"

#include <nlohmann/json.hpp>

#include "pfopt/core/enum_names.h"
#include "services/common/json_parse.h"
#include "services/common/request_json.h"

namespace pfopt::rest {

namespace {

using nlohmann::json;

Result<json> ParseObject(std::string_view text, const std::string& field) {
  json value = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) {
    return InvalidArgument("stored " + field + " is not a JSON object", field);
  }
  return value;
}

}  // namespace

Result<service::OptimizationRequest> PortfolioConfiguration::ToRequest(
    std::vector<service::StrategyDefinition> strategies) const {
  auto constraints = ParseObject(constraints_json, "constraints");
  if (!constraints) return tl::unexpected(constraints.error());
  auto risk = ParseObject(risk_parameters_json, "risk_parameters");
  if (!risk) return tl::unexpected(risk.error());
  const json request = {
      {"portfolio_id", portfolio_id},           {"strategies", json::array()},
      {"objective", EnumToString(objective)},   {"method", EnumToString(method)},
      {"constraints", std::move(*constraints)}, {"risk_parameters", std::move(*risk)}};
  auto parsed = service::OptimizationRequestFromJson(request);
  if (!parsed) return tl::unexpected(parsed.error());
  parsed->strategies = std::move(strategies);
  return parsed;
}

std::string PortfolioConfiguration::ToJson() const {
  nlohmann::ordered_json out = {{"id", id},
                                {"portfolio_id", portfolio_id},
                                {"objective", EnumToString(objective)},
                                {"method", EnumToString(method)}};
  auto constraints = ParseObject(constraints_json, "constraints");
  out["constraints"] = constraints ? *constraints : json::object();
  auto risk = ParseObject(risk_parameters_json, "risk_parameters");
  out["risk_parameters"] = risk ? *risk : json::object();
  out["enabled"] = enabled;
  out["created_at"] = FormatTimestampMillis(created_at);
  out["updated_at"] = FormatTimestampMillis(updated_at);
  return out.dump();
}

Result<PortfolioConfiguration> ParseConfiguration(std::string_view portfolio_id,
                                                  std::string_view body) {
  if (portfolio_id.empty() || portfolio_id.size() > 100) {
    return InvalidArgument(
        "portfolio_id must have 1 to 100 characters, got " + std::to_string(portfolio_id.size()),
        "portfolio_id");
  }
  auto document = service::ParseJson(body);
  if (!document) {
    return MakeError(ErrorCode::kParseError,
                     "the configuration is not valid JSON: " + document.error().message());
  }
  json value = std::move(*document);
  if (!value.is_object()) {
    return InvalidArgument("the configuration must be a JSON object");
  }
  static const char* const kKeys[] = {"objective", "method", "constraints", "risk_parameters",
                                      "enabled"};
  for (auto it = value.begin(); it != value.end(); ++it) {
    bool known = false;
    for (const char* key : kKeys) known = known || it.key() == key;
    if (!known) {
      return InvalidArgument("unknown field '" + it.key() +
                                 "' in the configuration; expected one of: objective, method, "
                                 "constraints, risk_parameters, enabled",
                             it.key());
    }
  }
  PortfolioConfiguration c;
  c.portfolio_id = std::string(portfolio_id);
  if (auto it = value.find("enabled"); it != value.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      return InvalidArgument("enabled must be true or false", "enabled");
    }
    c.enabled = it->get<bool>();
  }
  json request = {{"portfolio_id", c.portfolio_id}, {"strategies", json::array()}};
  for (const char* key : {"objective", "method", "constraints", "risk_parameters"}) {
    if (auto it = value.find(key); it != value.end()) request[key] = *it;
  }
  // The request codec checks every field (types, enum names, unknown keys) and names it.
  auto parsed = service::OptimizationRequestFromJson(request);
  if (!parsed) return tl::unexpected(parsed.error());
  c.objective = parsed->objective;
  c.method = parsed->method;
  auto constraints = value.find("constraints");
  c.constraints_json = constraints != value.end() && constraints->is_object() ? constraints->dump()
                                                                              : std::string("{}");
  auto risk = value.find("risk_parameters");
  c.risk_parameters_json =
      risk != value.end() && risk->is_object() ? risk->dump() : std::string("{}");
  return c;
}

}  // namespace pfopt::rest
