// Stored portfolio configurations, and the read interface other components use.
//
// A configuration says how a portfolio is to be optimised: objective, method, constraints,
// risk parameters and whether it is enabled. Clients store it with
// `PUT /api/v1/portfolios/{portfolio_id}/configuration`; the rebalancer reads it through
// ConfigurationStore (implemented by every Storage, see storage.h) and turns it into a request
// with ToRequest() once it knows the strategies and their histories.
#ifndef PFOPT_SERVICES_REST_STORAGE_CONFIGURATION_STORE_H_
#define PFOPT_SERVICES_REST_STORAGE_CONFIGURATION_STORE_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pfopt/core/error.h"
#include "services/common/request.h"
#include "services/rest/time_util.h"

namespace pfopt::rest {

struct PortfolioConfiguration {
  std::string id;            // uuid of the row, kept across updates
  std::string portfolio_id;  // 1..100 characters; one configuration per portfolio
  service::RequestObjective objective = service::RequestObjective::kMaxSharpe;
  service::RequestMethod method = service::RequestMethod::kMeanVariance;
  // The JSON objects as the client sent them (validated by the request codec when stored), so
  // that fields added to the model later survive a round trip. "{}" when not given.
  std::string constraints_json = "{}";
  std::string risk_parameters_json = "{}";
  bool enabled = true;
  TimePoint created_at;  // first PUT
  TimePoint updated_at;  // latest PUT

  // The optimisation request this configuration describes, for `strategies` (ids, histories,
  // current weights). Errors: the stored JSON no longer parses (e.g. written by a newer
  // version), naming the field.
  Result<service::OptimizationRequest> ToRequest(
      std::vector<service::StrategyDefinition> strategies) const;

  // The configuration as the API returns it:
  // {"id", "portfolio_id", "objective", "method", "constraints", "risk_parameters",
  //  "enabled", "created_at", "updated_at"}.
  std::string ToJson() const;
};

// Parses the body of `PUT .../configuration` ({"objective", "method", "constraints",
// "risk_parameters", "enabled"}, all optional) for `portfolio_id`. Every field is checked by
// the request codec; errors name the field.
Result<PortfolioConfiguration> ParseConfiguration(std::string_view portfolio_id,
                                                  std::string_view body);

// Read access to stored configurations (what the rebalancer needs).
class ConfigurationStore {
 public:
  virtual ~ConfigurationStore() = default;

  // The configuration of one portfolio, or nullopt if it has none.
  virtual Result<std::optional<PortfolioConfiguration>> GetConfiguration(
      const std::string& portfolio_id) = 0;

  // All configurations (only the enabled ones if `enabled_only`), by portfolio_id.
  virtual Result<std::vector<PortfolioConfiguration>> ListConfigurations(bool enabled_only) = 0;
};

}  // namespace pfopt::rest

#endif  // PFOPT_SERVICES_REST_STORAGE_CONFIGURATION_STORE_H_
