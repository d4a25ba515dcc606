#include "services/rest/events/event.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "pfopt/core/enum_names.h"

namespace pfopt::rest {

namespace {

nlohmann::ordered_json NumberOrNull(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

OutboxEvent MakePortfolioOptimizedEvent(const service::OptimizationResponse& response,
                                        const std::string& result_id, TimePoint at) {
  using nlohmann::ordered_json;
  ordered_json weights = ordered_json::object();
  for (const auto& [id, w] : response.optimal_weights) weights[id] = w;
  OutboxEvent event;
  event.event_id = NewUuid();
  event.portfolio_id = response.portfolio_id;
  event.created_at = at;
  const ordered_json body = {{"event_id", event.event_id},
                             {"timestamp", FormatTimestampMillis(at)},
                             {"portfolio_optimized",
                              {{"portfolio_id", response.portfolio_id},
                               {"optimal_weights", std::move(weights)},
                               {"expected_return", NumberOrNull(response.expected_return)},
                               {"expected_volatility", NumberOrNull(response.expected_volatility)},
                               {"sharpe_ratio", NumberOrNull(response.sharpe_ratio)},
                               {"optimization_metadata",
                                {{"convergence_status", EnumToString(response.convergence_status)},
                                 {"iterations", response.iterations},
                                 {"optimization_time_ms", response.optimization_time_ms}}},
                               {"optimization_id", result_id}}}};
  event.payload = body.dump();
  return event;
}

}  // namespace pfopt::rest
