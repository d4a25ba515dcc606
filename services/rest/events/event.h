// The portfolio_optimized event (../../shared/specs/api.md, docs/service.md):
// {"event_id": uuid, "timestamp": "2025-06-21T10:00:00.000Z",
//  "portfolio_optimized": {"portfolio_id", "optimal_weights", "expected_return",
//    "expected_volatility", "sharpe_ratio",
//    "optimization_metadata": {"convergence_status", "iterations", "optimization_time_ms"},
//    "optimization_id" (extension: the stored result's id)}}
#ifndef PFOPT_SERVICES_REST_EVENTS_EVENT_H_
#define PFOPT_SERVICES_REST_EVENTS_EVENT_H_

#include <string>

#include "services/common/request.h"
#include "services/rest/storage/storage.h"

namespace pfopt::rest {

// The outbox row of the event for a solved `response` whose result has id `result_id`.
OutboxEvent MakePortfolioOptimizedEvent(const service::OptimizationResponse& response,
                                        const std::string& result_id, TimePoint at);

}  // namespace pfopt::rest

#endif  // PFOPT_SERVICES_REST_EVENTS_EVENT_H_
