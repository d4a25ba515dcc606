// The REST API's handlers, independent of the HTTP library: each takes the parts of a request
// it needs and returns a reply (status, JSON body). http_server.cc routes HTTP requests here;
// tests and the fuzz target call them directly.
//
// Every handler answers; none throws. Statuses come from services/common/error_mapping.h.
#ifndef PFOPT_SERVICES_REST_HANDLERS_H_
#define PFOPT_SERVICES_REST_HANDLERS_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <semaphore>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "pfopt/core/error.h"
#include "services/common/backtest_request.h"
#include "services/common/request.h"
#include "services/rest/metrics.h"
#include "services/rest/service_config.h"
#include "services/rest/storage/storage.h"

namespace pfopt::rest {

using Deadline = std::chrono::steady_clock::time_point;

struct HttpReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string error_code;  // the error body's code, for metrics (empty on success)
};

// What a route handler gets from the HTTP layer.
struct RouteRequest {
  std::string_view body;
  std::vector<std::string> path_params;      // in the order of the path template
  std::map<std::string, std::string> query;  // decoded query parameters
  Deadline deadline;                         // arrival + request_timeout_seconds
};

class ApiHandlers;

// One route of the API; the same table registers the HTTP routes and is checked against
// services/rest/api/openapi.yaml by a test.
struct Route {
  std::string_view method;  // GET, POST, PUT
  std::string_view path;  // OpenAPI path template, e.g. /api/v1/optimization/{portfolio_id}/latest
  HttpReply (*handle)(ApiHandlers& handlers, const RouteRequest& request);
  bool needs_api_key;  // false for /healthz and /metrics
};

std::span<const Route> ApiRoutes();

// The error body {"error": {"code", "message", "field"}} with the status of error_mapping.h.
HttpReply ErrorReply(const Error& error);

// What a backtest asks of the service, as the limits max_backtest_cells and max_backtest_work
// count it (docs/service.md, "Backtests"), known before it runs.
struct BacktestWork {
  // Price rows x the universe size of each strategy (its request's strategies, or its assets,
  // or every column), summed over the strategies.
  double cells = 0.0;
  // Summed over the OPTIMIZATION strategies: R x (n^2 x (L + n) + 10^5), with n its assets, L
  // the rows
  // of an estimation window (`window`, or every row for an expanding window) and R the most
  // rebalances its schedule can make over the table after the first window (one per month or
  // quarter change, one per `rebalance_every` rows, one per row for DRIFT and NEVER, which
  // retry while in cash), plus the start.
  double work = 0.0;
  std::size_t heaviest = 0;  // the strategy with the most work
  double heaviest_work = 0.0;
};
BacktestWork EstimateBacktestWork(const service::BacktestRequest& request);

class ApiHandlers {
 public:
  // What the service adds to /healthz and /metrics about event delivery.
  struct EventsStatus {
    std::string kafka;  // "disabled" or the brokers
    std::int64_t published = 0;
    std::int64_t in_flight = 0;
    std::string last_error;
  };

  // `storage` and `metrics` must outlive the handlers. `on_event` is called after a result and
  // its event were committed (wakes the publisher); `events_status` reports delivery.
  ApiHandlers(const ServiceConfig& config, Storage* storage, Metrics* metrics,
              std::function<void()> on_event, std::function<EventsStatus()> events_status);

  HttpReply Optimize(std::string_view body, Deadline deadline);
  HttpReply OptimizeBatch(std::string_view body, Deadline deadline);
  HttpReply Frontier(std::string_view body, const std::map<std::string, std::string>& query,
                     Deadline deadline);
  // POST /api/v1/backtest: a BacktestRequest (services/common/backtest_json.h) run through
  // service::RunBacktestRequest, answered with its summary (and series); not stored.
  HttpReply Backtest(std::string_view body, Deadline deadline);
  HttpReply Latest(const std::string& portfolio_id);
  HttpReply History(const std::string& portfolio_id,
                    const std::map<std::string, std::string>& query);
  HttpReply PutConfiguration(const std::string& portfolio_id, std::string_view body);
  HttpReply GetConfiguration(const std::string& portfolio_id);
  HttpReply Events(const std::map<std::string, std::string>& query);
  HttpReply Health();
  HttpReply MetricsText();
  HttpReply OpenApi();

  const ServiceConfig& config() const { return config_; }

 private:
  // The outcome of one optimisation request (of /optimize or one batch item).
  struct Outcome {
    int status = 200;
    nlohmann::ordered_json body;
    std::string error_code;
  };
  // Takes a solve slot (503 if none frees up before the deadline), parses with `parse`,
  // checks the limits, solves through the one request path, stores the result with its event.
  Outcome Compute(const std::function<Result<service::OptimizationRequest>()>& parse,
                  Deadline deadline);
  Outcome ErrorOutcome(const Error& error);
  HttpReply Reply(Outcome outcome);
  HttpReply Saturated();  // 503 with Retry-After: no solve slot freed up before the deadline

  ServiceConfig config_;
  Storage* storage_;
  Metrics* metrics_;
  std::function<void()> on_event_;
  std::function<EventsStatus()> events_status_;
  std::unique_ptr<std::counting_semaphore<>> solve_slots_;
  int solve_slot_count_ = 1;
  std::chrono::steady_clock::time_point started_;
};

}  // namespace pfopt::rest

#endif  // PFOPT_SERVICES_REST_HANDLERS_H_
