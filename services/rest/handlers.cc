#include "services/rest/handlers.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <thread>

#include "pfopt/core/enum_names.h"
#include "services/common/backtest_json.h"
#include "services/common/backtest_service.h"
#include "services/common/embedded_file.h"
#include "services/common/error_mapping.h"
#include "services/common/json_parse.h"
#include "services/common/optimization_service.h"
#include "services/common/request_json.h"
#include "services/rest/events/event.h"

namespace pfopt {
std::span<const EmbeddedFile> ServiceApiFiles();  // generated (cmake/EmbedFiles.cmake)
}  // namespace pfopt

namespace pfopt::rest {

namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

constexpr int kDefaultHistoryLimit = 1000;
constexpr int kMaxHistoryLimit = 10000;
constexpr int kDefaultEventsLimit = 100;
constexpr int kMaxEventsLimit = 1000;

ojson NumberOrNull(double value) { return std::isfinite(value) ? ojson(value) : ojson(nullptr); }

// Parses a stored JSON text (our own output) for embedding in a reply.
ojson StoredJson(const std::string& text) {
  if (text.empty()) return ojson::object();
  ojson value = ojson::parse(text, nullptr, /*allow_exceptions=*/false);
  return value.is_discarded() ? ojson(text) : value;
}

ojson ResultJson(const StoredResult& r) {
  return ojson{{"optimization_id", r.id},
               {"created_at", FormatTimestampMillis(r.created_at)},
               {"portfolio_id", r.portfolio_id},
               {"optimal_weights", StoredJson(r.optimal_weights_json)},
               {"expected_return", NumberOrNull(r.expected_return)},
               {"expected_volatility", NumberOrNull(r.expected_volatility)},
               {"sharpe_ratio", NumberOrNull(r.sharpe_ratio)},
               {"optimization_metadata", StoredJson(r.metadata_json)}};
}

Result<int> IntegerParam(const std::map<std::string, std::string>& query, const std::string& name,
                         int fallback, int low, int high) {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) return fallback;
  long long value = 0;
  const std::string& text = it->second;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    return InvalidArgument(name + " must be an integer in " + std::to_string(low) + ".." +
                               std::to_string(high) + ", got '" + text + "'",
                           name);
  }
  return static_cast<int>(value);
}

Status CheckPortfolioId(const std::string& id) {
  if (id.empty() || id.size() > 100) {
    return InvalidArgument(
        "portfolio_id must have 1 to 100 characters, got " + std::to_string(id.size()),
        "portfolio_id");
  }
  return Ok();
}

HttpReply JsonReply(int status, const ojson& body) {
  HttpReply reply;
  reply.status = status;
  reply.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return reply;
}

// A solve slot: RAII over the counting semaphore.
class SolveSlot {
 public:
  SolveSlot(std::counting_semaphore<>* slots, Deadline deadline, std::atomic<int>* gauge)
      : slots_(slots), gauge_(gauge) {
    acquired_ = slots_->try_acquire_until(deadline);
    if (acquired_) ++*gauge_;
  }
  ~SolveSlot() { Release(); }
  SolveSlot(const SolveSlot&) = delete;
  SolveSlot& operator=(const SolveSlot&) = delete;
  bool acquired() const { return acquired_; }
  void Release() {
    if (!acquired_) return;
    acquired_ = false;
    --*gauge_;
    slots_->release();
  }

 private:
  std::counting_semaphore<>* slots_;
  std::atomic<int>* gauge_;
  bool acquired_ = false;
};

std::string UpperCase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

template <HttpReply (ApiHandlers::*Method)(const std::string&)>
HttpReply WithPortfolio(ApiHandlers& h, const RouteRequest& r) {
  return (h.*Method)(r.path_params.at(0));
}

const Route kRoutes[] = {
    {"POST", "/api/v1/optimize",
     [](ApiHandlers& h, const RouteRequest& r) { return h.Optimize(r.body, r.deadline); }, true},
    {"POST", "/api/v1/optimize/batch",
     [](ApiHandlers& h, const RouteRequest& r) { return h.OptimizeBatch(r.body, r.deadline); },
     true},
    {"POST", "/api/v1/frontier",
     [](ApiHandlers& h, const RouteRequest& r) { return h.Frontier(r.body, r.query, r.deadline); },
     true},
    {"POST", "/api/v1/backtest",
     [](ApiHandlers& h, const RouteRequest& r) { return h.Backtest(r.body, r.deadline); }, true},
    {"GET", "/api/v1/optimization/{portfolio_id}/latest", &WithPortfolio<&ApiHandlers::Latest>,
     true},
    {"GET", "/api/v1/optimization/{portfolio_id}/history",
     [](ApiHandlers& h, const RouteRequest& r) { return h.History(r.path_params.at(0), r.query); },
     true},
    {"PUT", "/api/v1/portfolios/{portfolio_id}/configuration",
     [](ApiHandlers& h, const RouteRequest& r) {
       return h.PutConfiguration(r.path_params.at(0), r.body);
     },
     true},
    {"GET", "/api/v1/portfolios/{portfolio_id}/configuration",
     &WithPortfolio<&ApiHandlers::GetConfiguration>, true},
    {"GET", "/api/v1/events",
     [](ApiHandlers& h, const RouteRequest& r) { return h.Events(r.query); }, true},
    {"GET", "/api/v1/openapi.yaml", [](ApiHandlers& h, const RouteRequest&) { return h.OpenApi(); },
     true},
    {"GET", "/healthz", [](ApiHandlers& h, const RouteRequest&) { return h.Health(); }, false},
    {"GET", "/metrics", [](ApiHandlers& h, const RouteRequest&) { return h.MetricsText(); }, false},
};

// Work units of one optimisation besides n^2 (L + n): the fixed cost of a request through the
// request path (about 0.1 ms here, as much as 20 assets over a 250-row window).
constexpr double kOptimizationOverhead = 1e5;

// The calendar bucket of a period label for monthly ("YYYY-MM") or quarterly ("YYYY" + quarter)
// rebalancing; a label that is not a date is its own bucket (the engine rejects it later).
std::string ScheduleBucket(const std::string& label, bool quarterly) {
  if (label.size() < 7 || label[4] != '-' || !std::isdigit(static_cast<unsigned char>(label[5])) ||
      !std::isdigit(static_cast<unsigned char>(label[6]))) {
    return label;
  }
  if (!quarterly) return label.substr(0, 7);
  const int month = (label[5] - '0') * 10 + (label[6] - '0');
  return label.substr(0, 4) + static_cast<char>('0' + (month - 1) / 3);
}

// The most rebalances `options`' schedule can make over rows first..rows-1 of `periods`.
double RebalanceBound(const std::vector<std::string>& periods, std::size_t first,
                      const BacktestOptions& options) {
  if (first >= periods.size()) return 0.0;
  const double span = static_cast<double>(periods.size() - first);
  switch (options.rebalance) {
    case RebalanceSchedule::kPeriodic:
      return 1.0 +
             std::floor(span / static_cast<double>(std::max<Index>(1, options.rebalance_every)));
    case RebalanceSchedule::kMonthly:
    case RebalanceSchedule::kQuarterly: {
      const bool quarterly = options.rebalance == RebalanceSchedule::kQuarterly;
      double count = 1.0;  // the start
      std::string previous = ScheduleBucket(periods[first], quarterly);
      for (std::size_t t = first + 1; t < periods.size(); ++t) {
        std::string bucket = ScheduleBucket(periods[t], quarterly);
        if (bucket != previous) count += 1.0;
        previous = std::move(bucket);
      }
      return count;
    }
    case RebalanceSchedule::kDrift:
    case RebalanceSchedule::kNever:
      return span;
  }
  return span;
}

}  // namespace

std::span<const Route> ApiRoutes() { return kRoutes; }

BacktestWork EstimateBacktestWork(const service::BacktestRequest& request) {
  BacktestWork out;
  const BacktestOptions& o = request.settings;
  const std::vector<std::string>& periods = request.prices.periods;
  const double rows = static_cast<double>(periods.size());
  const double columns = static_cast<double>(request.prices.assets.size());
  const std::size_t first = static_cast<std::size_t>(std::max<Index>(0, o.window));
  const double window_rows =
      o.window_type == WindowType::kExpanding
          ? rows
          : std::min(rows, static_cast<double>(std::max<Index>(0, o.window)));
  const double rebalances = RebalanceBound(periods, first, o);
  for (std::size_t s = 0; s < request.strategies.size(); ++s) {
    const service::BacktestStrategySpec& spec = request.strategies[s];
    if (spec.type != service::BacktestStrategyType::kOptimization) {
      out.cells += rows * (spec.assets.empty() ? columns : static_cast<double>(spec.assets.size()));
      continue;
    }
    const double n = static_cast<double>(spec.request.strategies.size());
    out.cells += rows * n;
    const double work = rebalances * (n * n * (window_rows + n) + kOptimizationOverhead);
    out.work += work;
    if (work > out.heaviest_work) {
      out.heaviest_work = work;
      out.heaviest = s;
    }
  }
  return out;
}

HttpReply ErrorReply(const Error& error) {
  HttpReply reply = JsonReply(service::HttpStatusFor(error.code()), service::ErrorToJson(error));
  reply.error_code = std::string(ToString(error.code()));
  return reply;
}

ApiHandlers::ApiHandlers(const ServiceConfig& config, Storage* storage, Metrics* metrics,
                         std::function<void()> on_event,
                         std::function<EventsStatus()> events_status)
    : config_(config),
      storage_(storage),
      metrics_(metrics),
      on_event_(std::move(on_event)),
      events_status_(std::move(events_status)),
      started_(Clock::now()) {
  solve_slot_count_ = config.max_concurrent_solves > 0
                          ? config.max_concurrent_solves
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  solve_slots_ = std::make_unique<std::counting_semaphore<>>(solve_slot_count_);
}

ApiHandlers::Outcome ApiHandlers::ErrorOutcome(const Error& error) {
  Outcome out;
  out.status = service::HttpStatusFor(error.code());
  out.body = service::ErrorToJson(error);
  out.error_code = std::string(ToString(error.code()));
  return out;
}

HttpReply ApiHandlers::Saturated() {
  return Reply(
      ErrorOutcome(Error(ErrorCode::kUnavailable, "the service is saturated; retry later")));
}

HttpReply ApiHandlers::Reply(Outcome outcome) {
  HttpReply reply = JsonReply(outcome.status, outcome.body);
  reply.error_code = std::move(outcome.error_code);
  if (reply.status == 503) reply.headers.emplace_back("Retry-After", "1");
  return reply;
}

ApiHandlers::Outcome ApiHandlers::Compute(
    const std::function<Result<service::OptimizationRequest>()>& parse, Deadline deadline) {
  SolveSlot slot(solve_slots_.get(), deadline, &metrics_->solves_in_progress());
  if (!slot.acquired()) {
    return ErrorOutcome(Error(ErrorCode::kUnavailable,
                              "the service is saturated (" + std::to_string(solve_slot_count_) +
                                  " solves running and the request waited its "
                                  "request_timeout_seconds); retry later"));
  }
  auto request = parse();
  if (!request) return ErrorOutcome(request.error());
  if (static_cast<int>(request->strategies.size()) > config_.max_strategies) {
    return ErrorOutcome(Error(ErrorCode::kResourceExhausted,
                              "the request has " + std::to_string(request->strategies.size()) +
                                  " strategies; this service accepts at most " +
                                  std::to_string(config_.max_strategies) +
                                  " (setting max_strategies)",
                              "strategies"));
  }
  auto response = service::RunOptimization(*request);
  slot.Release();
  if (!response) return ErrorOutcome(response.error());
  const std::string status_name(EnumToString(response->convergence_status));
  metrics_->RecordOptimization(response->objective, status_name,
                               response->optimization_time_ms / 1e3);
  if (!HasSolution(response->convergence_status)) {
    Outcome out;
    out.status = service::HttpStatusFor(response->convergence_status);
    out.error_code = UpperCase(status_name);
    ojson error = {
        {"code", out.error_code},
        {"message", response->message.empty() ? "the problem has no solution" : response->message}};
    if (!response->conflicting_constraints.empty()) {
      error["field"] = "constraints";
      error["conflicting_constraints"] = response->conflicting_constraints;
    }
    error["convergence_status"] = status_name;
    out.body = ojson{{"error", std::move(error)}};
    return out;
  }
  ojson body = service::OptimizationResponseToJson(*response);
  StoredResult stored;
  stored.id = NewUuid();
  stored.portfolio_id = response->portfolio_id;
  stored.created_at = Now();
  stored.optimal_weights_json = body["optimal_weights"].dump();
  stored.expected_return = response->expected_return;
  stored.expected_volatility = response->expected_volatility;
  stored.sharpe_ratio = response->sharpe_ratio;
  stored.metadata_json = body["optimization_metadata"].dump();
  const OutboxEvent event = MakePortfolioOptimizedEvent(*response, stored.id, stored.created_at);
  if (auto saved = storage_->SaveResult(stored, event); !saved) {
    const Error& e = saved.error();
    return ErrorOutcome(
        Error(e.code() == ErrorCode::kInternal ? ErrorCode::kInternal : ErrorCode::kUnavailable,
              "the result could not be stored: " + e.message()));
  }
  if (on_event_) on_event_();
  body["optimization_id"] = stored.id;
  body["created_at"] = FormatTimestampMillis(stored.created_at);
  Outcome out;
  out.body = std::move(body);
  return out;
}

HttpReply ApiHandlers::Optimize(std::string_view body, Deadline deadline) {
  return Reply(Compute([&] { return service::ParseOptimizationRequest(body); }, deadline));
}

HttpReply ApiHandlers::OptimizeBatch(std::string_view body, Deadline deadline) {
  json items;
  {
    SolveSlot slot(solve_slots_.get(), deadline, &metrics_->solves_in_progress());
    if (!slot.acquired()) {
      return Saturated();
    }
    auto parsed = service::ParseJson(body);
    if (!parsed) {
      return ErrorReply(Error(ErrorCode::kParseError,
                              "the batch is not valid JSON: " + parsed.error().message()));
    }
    items = std::move(*parsed);
  }
  if (items.is_object() && items.contains("requests")) items = std::move(items["requests"]);
  if (!items.is_array()) {
    return ErrorReply(InvalidArgument("the batch must be a JSON array of OptimizationRequest "
                                      "objects (or {\"requests\": [...]})")
                          .value());
  }
  if (static_cast<int>(items.size()) > config_.max_batch_items) {
    return ErrorReply(
        Error(ErrorCode::kResourceExhausted, "the batch has " + std::to_string(items.size()) +
                                                 " requests; this service accepts at most " +
                                                 std::to_string(config_.max_batch_items) +
                                                 " (setting max_batch_items)"));
  }
  const std::size_t n = items.size();
  std::vector<Outcome> outcomes(n);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < n; i = next++) {
      if (Clock::now() > deadline) {
        outcomes[i] = ErrorOutcome(Error(ErrorCode::kDeadlineExceeded,
                                         "the batch ran out of time before this request "
                                         "(request_timeout_seconds)"));
        continue;
      }
      try {
        const json& item = items[i];
        outcomes[i] = Compute([&] { return service::OptimizationRequestFromJson(item); }, deadline);
      } catch (const std::exception& e) {
        outcomes[i] = ErrorOutcome(Error(ErrorCode::kInternal, e.what()));
      }
      if (!outcomes[i].body.is_object()) outcomes[i].body = ojson::object();
      if (outcomes[i].status != 200) {
        outcomes[i].body["error"]["field"] =
            "[" + std::to_string(i) + "]" +
            (outcomes[i].body["error"].contains("field")
                 ? "." + outcomes[i].body["error"]["field"].get<std::string>()
                 : std::string());
      }
    }
  };
  const std::size_t workers = std::min<std::size_t>(n, static_cast<std::size_t>(solve_slot_count_));
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  ojson out = ojson::array();
  int failed = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (outcomes[i].status != 200) {
      ++failed;
      metrics_->RecordError(outcomes[i].error_code);
      outcomes[i].body["status"] = outcomes[i].status;
    }
    out.push_back(std::move(outcomes[i].body));
  }
  HttpReply reply = JsonReply(200, out);
  reply.headers.emplace_back("X-Batch-Failed", std::to_string(failed));
  return reply;
}

HttpReply ApiHandlers::Frontier(std::string_view body,
                                const std::map<std::string, std::string>& query,
                                Deadline deadline) {
  auto points = IntegerParam(query, "points", 20, 2, 1000);
  if (!points) return ErrorReply(points.error());
  SolveSlot slot(solve_slots_.get(), deadline, &metrics_->solves_in_progress());
  if (!slot.acquired()) {
    return Saturated();
  }
  auto request = service::ParseOptimizationRequest(body);
  if (!request) return ErrorReply(request.error());
  if (static_cast<int>(request->strategies.size()) > config_.max_strategies) {
    return ErrorReply(Error(ErrorCode::kResourceExhausted,
                            "at most " + std::to_string(config_.max_strategies) + " strategies",
                            "strategies"));
  }
  auto frontier = service::RunFrontier(*request, *points);
  if (!frontier) return ErrorReply(frontier.error());
  ojson list = ojson::array();
  for (const FrontierPoint& p : frontier->points) {
    ojson weights = ojson::object();
    for (std::size_t i = 0; i < frontier->assets.size(); ++i) {
      weights[frontier->assets[i]] = p.weights[static_cast<Index>(i)];
    }
    list.push_back({{"expected_return", NumberOrNull(p.performance.expected_return)},
                    {"expected_volatility", NumberOrNull(p.performance.volatility)},
                    {"sharpe_ratio", NumberOrNull(p.performance.sharpe_ratio)},
                    {"weights", std::move(weights)}});
  }
  const std::string status(EnumToString(frontier->status));
  ojson out = {{"portfolio_id", frontier->portfolio_id},
               {"convergence_status", status},
               {"message", frontier->message},
               {"iterations", frontier->iterations},
               {"optimization_time_ms", frontier->optimization_time_ms},
               {"points", std::move(list)}};
  if (!frontier->warnings.empty()) out["warnings"] = frontier->warnings;
  return JsonReply(service::HttpStatusFor(frontier->status), out);
}

HttpReply ApiHandlers::Backtest(std::string_view body, Deadline deadline) {
  SolveSlot slot(solve_slots_.get(), deadline, &metrics_->solves_in_progress());
  if (!slot.acquired()) return Saturated();
  auto request = service::ParseBacktestRequest(body);
  if (!request) return ErrorReply(request.error());
  const BacktestWork work = EstimateBacktestWork(*request);
  auto number = [](double x) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.3g", x);
    return std::string(buffer);
  };
  auto too_large = [&](const std::string& what, const char* setting, long long limit,
                       const char* advice, const char* field) {
    return ErrorReply(Error(ErrorCode::kResourceExhausted,
                            what + "; this service accepts at most " +
                                number(static_cast<double>(limit)) + " (setting " + setting +
                                "): " + advice + ", or split the strategies over several requests",
                            field));
  };
  if (work.cells > static_cast<double>(config_.max_backtest_cells)) {
    return too_large("the backtest has " + number(work.cells) +
                         " cells (price rows x the assets of each strategy, summed)",
                     "max_backtest_cells", config_.max_backtest_cells,
                     "send fewer periods or assets", "prices");
  }
  if (work.work > static_cast<double>(config_.max_backtest_work)) {
    return too_large("the backtest's optimisations are estimated at " + number(work.work) +
                         " work units (rebalances x (assets^2 x (window + assets) + 10^5), "
                         "summed over the OPTIMIZATION strategies; strategies[" +
                         std::to_string(work.heaviest) + "] alone " + number(work.heaviest_work) +
                         ")",
                     "max_backtest_work", config_.max_backtest_work,
                     "rebalance less often, use a shorter window or fewer assets", "strategies");
  }
  auto response = service::RunBacktestRequest(*request);
  slot.Release();
  if (!response) return ErrorReply(response.error());
  return JsonReply(200, service::BacktestResponseToJson(*response, request->include_series));
}

HttpReply ApiHandlers::Latest(const std::string& portfolio_id) {
  if (auto s = CheckPortfolioId(portfolio_id); !s) return ErrorReply(s.error());
  auto latest = storage_->LatestResult(portfolio_id);
  if (!latest) return ErrorReply(latest.error());
  if (!latest->has_value()) {
    return ErrorReply(Error(ErrorCode::kNotFound,
                            "portfolio '" + portfolio_id + "' has no stored optimisation",
                            "portfolio_id"));
  }
  return JsonReply(200, ResultJson(**latest));
}

HttpReply ApiHandlers::History(const std::string& portfolio_id,
                               const std::map<std::string, std::string>& query) {
  if (auto s = CheckPortfolioId(portfolio_id); !s) return ErrorReply(s.error());
  TimePoint from{};
  TimePoint to = Now() + std::chrono::hours(24 * 366);
  if (auto it = query.find("from"); it != query.end() && !it->second.empty()) {
    auto t = ParseTimestamp(it->second, "from");
    if (!t) return ErrorReply(t.error());
    from = *t;
  }
  if (auto it = query.find("to"); it != query.end() && !it->second.empty()) {
    auto t = ParseTimestamp(it->second, "to");
    if (!t) return ErrorReply(t.error());
    to = *t;
  }
  if (to < from) {
    return ErrorReply(InvalidArgument("to is before from", "to").value());
  }
  auto limit = IntegerParam(query, "limit", kDefaultHistoryLimit, 1, kMaxHistoryLimit);
  if (!limit) return ErrorReply(limit.error());
  auto rows = storage_->History(portfolio_id, from, to, *limit);
  if (!rows) return ErrorReply(rows.error());
  if (rows->empty()) {
    auto known = storage_->PortfolioKnown(portfolio_id);
    if (!known) return ErrorReply(known.error());
    if (!*known) {
      return ErrorReply(Error(ErrorCode::kNotFound,
                              "portfolio '" + portfolio_id +
                                  "' is unknown (no result and no "
                                  "configuration)",
                              "portfolio_id"));
    }
  }
  ojson results = ojson::array();
  for (const StoredResult& r : *rows) results.push_back(ResultJson(r));
  return JsonReply(200, ojson{{"portfolio_id", portfolio_id},
                              {"from", FormatTimestampMillis(from)},
                              {"to", FormatTimestampMillis(to)},
                              {"count", rows->size()},
                              {"results", std::move(results)}});
}

HttpReply ApiHandlers::PutConfiguration(const std::string& portfolio_id, std::string_view body) {
  auto configuration = ParseConfiguration(portfolio_id, body);
  if (!configuration) return ErrorReply(configuration.error());
  auto stored = storage_->PutConfiguration(*configuration);
  if (!stored) return ErrorReply(stored.error());
  HttpReply reply;
  reply.body = stored->ToJson();
  return reply;
}

HttpReply ApiHandlers::GetConfiguration(const std::string& portfolio_id) {
  if (auto s = CheckPortfolioId(portfolio_id); !s) return ErrorReply(s.error());
  auto stored = storage_->GetConfiguration(portfolio_id);
  if (!stored) return ErrorReply(stored.error());
  if (!stored->has_value()) {
    return ErrorReply(Error(ErrorCode::kNotFound,
                            "portfolio '" + portfolio_id + "' has no configuration",
                            "portfolio_id"));
  }
  HttpReply reply;
  reply.body = (*stored)->ToJson();
  return reply;
}

HttpReply ApiHandlers::Events(const std::map<std::string, std::string>& query) {
  long long after = 0;
  if (auto it = query.find("after"); it != query.end() && !it->second.empty()) {
    const std::string& text = it->second;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), after);
    if (ec != std::errc() || end != text.data() + text.size() || after < 0) {
      return ErrorReply(
          InvalidArgument(
              "after must be a non-negative integer (an event sequence), got '" + text + "'",
              "after")
              .value());
    }
  }
  auto limit = IntegerParam(query, "limit", kDefaultEventsLimit, 1, kMaxEventsLimit);
  if (!limit) return ErrorReply(limit.error());
  bool unpublished = false;
  if (auto it = query.find("unpublished"); it != query.end()) {
    unpublished = it->second == "true" || it->second == "1";
  }
  auto events = storage_->ListEvents(after, *limit, unpublished);
  if (!events) return ErrorReply(events.error());
  ojson list = ojson::array();
  for (const OutboxEvent& e : *events) {
    list.push_back({{"sequence", e.sequence},
                    {"event_id", e.event_id},
                    {"portfolio_id", e.portfolio_id},
                    {"created_at", FormatTimestampMillis(e.created_at)},
                    {"published_at", e.published_at ? ojson(FormatTimestampMillis(*e.published_at))
                                                    : ojson(nullptr)},
                    {"event", StoredJson(e.payload)}});
  }
  const long long next = events->empty() ? after : events->back().sequence;
  return JsonReply(200, ojson{{"events", std::move(list)}, {"next_after", next}});
}

HttpReply ApiHandlers::Health() {
  const Status database = storage_->Ping();
  ojson db = {{"backend", storage_->backend()}, {"status", database ? "ok" : "unavailable"}};
  if (!database) db["message"] = database.error().message();
  ojson out = {{"status", database ? "ok" : "unavailable"},
               {"uptime_seconds", std::chrono::duration<double>(Clock::now() - started_).count()},
               {"database", std::move(db)}};
  if (events_status_) {
    const EventsStatus events = events_status_();
    ojson e = {
        {"kafka", events.kafka}, {"published", events.published}, {"in_flight", events.in_flight}};
    if (database) {
      if (auto pending = storage_->CountUnpublished()) e["unpublished"] = *pending;
    }
    if (!events.last_error.empty()) e["last_error"] = events.last_error;
    out["events"] = std::move(e);
  }
  return JsonReply(database ? 200 : 503, out);
}

HttpReply ApiHandlers::MetricsText() {
  std::string extra;
  if (events_status_) {
    const EventsStatus events = events_status_();
    extra +=
        "# HELP pfopt_events_published_total Events acknowledged by Kafka since start.\n"
        "# TYPE pfopt_events_published_total counter\n"
        "pfopt_events_published_total " +
        std::to_string(events.published) + "\n";
  }
  if (auto pending = storage_->CountUnpublished()) {
    extra +=
        "# HELP pfopt_outbox_unpublished Events in the outbox not yet delivered.\n"
        "# TYPE pfopt_outbox_unpublished gauge\n"
        "pfopt_outbox_unpublished " +
        std::to_string(*pending) + "\n";
  }
  HttpReply reply;
  reply.body = metrics_->Render(extra);
  reply.content_type = "text/plain; version=0.0.4";
  return reply;
}

HttpReply ApiHandlers::OpenApi() {
  HttpReply reply;
  for (const EmbeddedFile& file : ServiceApiFiles()) {
    if (file.path == "openapi.yaml") reply.body = std::string(file.content);
  }
  reply.content_type = "application/yaml";
  return reply;
}

}  // namespace pfopt::rest
