// Small units of the service: timestamps, UUIDs, configuration loading, metrics text, the
// event document, the HTTP mapping of errors.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "services/common/error_mapping.h"
#include "services/rest/events/event.h"
#include "services/rest/handlers.h"
#include "services/rest/metrics.h"
#include "services/rest/service_config.h"
#include "services/rest/time_util.h"

namespace pfopt::rest {
namespace {

TEST(Timestamp, FormatsAndParsesIso8601) {
  auto t = ParseTimestamp("2024-02-29T23:59:58.1234567Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatTimestampMicros(*t), "2024-02-29T23:59:58.123456Z");
  EXPECT_EQ(FormatTimestampMillis(*t), "2024-02-29T23:59:58.123Z");
  EXPECT_EQ(FormatDayCompact(*t), "20240229");
  EXPECT_EQ(FormatTimestampMicros(StartOfDay(*t)), "2024-02-29T00:00:00.000000Z");
  EXPECT_EQ(*ParseTimestamp("2024-03-01"), *ParseTimestamp("2024-03-01T00:00:00Z"));
  EXPECT_EQ(*ParseTimestamp("2024-03-01T02:30:00+02:30"), *ParseTimestamp("2024-03-01T00:00Z"));
  EXPECT_EQ(*ParseTimestamp("2024-03-01 00:00:00.5+00"), *ParseTimestamp("2024-03-01T00:00:00.5Z"));
  EXPECT_EQ(*ParseTimestamp("1969-12-31T23:59:59Z"), TimePoint(std::chrono::seconds(-1)));
  for (const char* bad : {"", "2024-02-30", "2024-13-01", "24-01-01", "2024-01-01T25:00",
                          "2024-01-01T10:00:00Zjunk", "2024-01-01T10", "yesterday"}) {
    auto parsed = ParseTimestamp(bad, "from");
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().field(), "from");
  }
}

// Version 7 (RFC 9562): the first 48 bits are the Unix time in ms, so ids sort by creation to
// the millisecond; the rest is random, so they are unique.
TEST(Uuid, IsVersion7TimeOrderedAndUnique) {
  const std::regex form("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    const long long before = now_ms();
    const std::string id = NewUuid();
    const long long after = now_ms();
    EXPECT_TRUE(std::regex_match(id, form)) << id;
    const long long stamp = std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
    EXPECT_GE(stamp, before) << id;
    EXPECT_LE(stamp, after) << id;
    // Later ids sort later, except within one millisecond.
    if (!previous.empty() && previous.substr(0, 13) != id.substr(0, 13)) {
      EXPECT_LT(previous, id);
    }
    previous = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(ServiceConfig, DefaultsAreValid) { EXPECT_TRUE(ServiceConfig{}.Validate()); }

TEST(ServiceConfig, FileThenEnvironmentThenFlags) {
  const auto file = std::filesystem::temp_directory_path() / "pfopt_service_config_test.conf";
  {
    std::ofstream out(file);
    out << "# comment\nport = 9000\nhttp_threads = 7   # trailing comment\n"
           "kafka_topic = from-file\napi_key = file-key\n";
  }
  std::map<std::string, std::string> env = {
      {"PFOPT_CONFIG", file.string()}, {"PFOPT_PORT", "9100"}, {"PFOPT_ACCESS_LOG", "true"}};
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto config = LoadServiceConfig({{"port", "9200"}, {"max_body_bytes", "4096"}}, getenv);
  ASSERT_TRUE(config) << config.error().ToString();
  EXPECT_EQ(config->port, 9200);       // flag wins
  EXPECT_EQ(config->http_threads, 7);  // file
  EXPECT_EQ(config->kafka_topic, "from-file");
  EXPECT_TRUE(config->access_log);  // environment
  EXPECT_EQ(config->max_body_bytes, 4096u);
  EXPECT_EQ(config->db, ServiceConfig{}.db);  // default
  // The key is never printed.
  const std::string described = config->Describe();
  EXPECT_EQ(described.find("file-key"), std::string::npos);
  EXPECT_NE(described.find("api_key = (set)"), std::string::npos);
  std::filesystem::remove(file);
}

TEST(ServiceConfig, BadValuesNameTheSetting) {
  auto none = [](const char*) -> const char* { return nullptr; };
  auto bad = LoadServiceConfig({{"port", "80x"}}, none);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().field(), "port");
  EXPECT_NE(bad.error().message().find("--port"), std::string::npos);
  auto range = LoadServiceConfig({{"port", "70000"}}, none);
  ASSERT_FALSE(range);
  EXPECT_EQ(range.error().field(), "port");
  auto frames = LoadServiceConfig({{"db_checkpoint_frames", "0"}}, none);
  ASSERT_FALSE(frames);
  EXPECT_EQ(frames.error().field(), "db_checkpoint_frames");
  auto unknown = LoadServiceConfig({{"colour", "blue"}}, none);
  ASSERT_FALSE(unknown);
  auto missing_file = LoadServiceConfig({{"config", "/nonexistent/pfopt.conf"}}, none);
  ASSERT_FALSE(missing_file);
  EXPECT_EQ(missing_file.error().field(), "config");
  auto env_bad = LoadServiceConfig({}, [](const char* name) -> const char* {
    return std::string(name) == "PFOPT_ACCESS_LOG" ? "maybe" : nullptr;
  });
  ASSERT_FALSE(env_bad);
  EXPECT_NE(env_bad.error().message().find("PFOPT_ACCESS_LOG"), std::string::npos);
}

// Every setting appears in the service README's configuration table (declared once, shown once).
TEST(ServiceConfig, ReadmeListsEverySetting) {
  std::ifstream in(PFOPT_SOURCE_DIR "/services/rest/README.md");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  for (const ConfigOption& o : ConfigOptions()) {
    const std::string row = "| `" + std::string(o.name) + "` | `" + FlagName(o.name) + "` | `" +
                            std::string(o.env) + "` |";
    EXPECT_NE(text.str().find(row), std::string::npos) << row;
  }
}

TEST(Metrics, RendersPrometheusText) {
  Metrics metrics;
  metrics.RecordRequest("/api/v1/optimize", "POST", 200, 0.0004);
  metrics.RecordRequest("/api/v1/optimize", "POST", 200, 0.003);
  metrics.RecordRequest("/api/v1/optimize", "POST", 400, 0.00005);
  metrics.RecordOptimization("MAX_SHARPE", "optimal", 0.0001);
  metrics.RecordError("INVALID_ARGUMENT");
  metrics.RecordError("a\"b");
  const std::string text = metrics.Render();
  for (const char* line :
       {"pfopt_http_requests_total{route=\"/api/v1/optimize\",method=\"POST\",status=\"200\"} 2",
        "pfopt_http_requests_total{route=\"/api/v1/optimize\",method=\"POST\",status=\"400\"} 1",
        "pfopt_http_request_duration_seconds_bucket{route=\"/api/v1/optimize\",le=\"0.0001\"} 1",
        "pfopt_http_request_duration_seconds_bucket{route=\"/api/v1/optimize\",le=\"0.0005\"} 2",
        "pfopt_http_request_duration_seconds_bucket{route=\"/api/v1/optimize\",le=\"0.005\"} 3",
        "pfopt_http_request_duration_seconds_bucket{route=\"/api/v1/optimize\",le=\"+Inf\"} 3",
        "pfopt_http_request_duration_seconds_count{route=\"/api/v1/optimize\"} 3",
        "pfopt_optimizations_total{status=\"optimal\"} 1", "pfopt_errors_total{code=\"a\\\"b\"} 1",
        "pfopt_solves_in_progress 0"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

TEST(Event, HasTheFieldsOfTheSpec) {
  service::OptimizationResponse response;
  response.portfolio_id = "p";
  response.optimal_weights = {{"z", 0.7}, {"a", 0.3}};
  response.expected_return = 0.1;
  response.expected_volatility = 0.2;
  response.sharpe_ratio = kNaN;
  response.convergence_status = OptimizationStatus::kOptimal;
  response.iterations = 4;
  response.optimization_time_ms = 0.5;
  const TimePoint at = *ParseTimestamp("2025-06-21T10:00:00.123456Z");
  const OutboxEvent event = MakePortfolioOptimizedEvent(response, "result-id", at);
  EXPECT_EQ(event.portfolio_id, "p");
  EXPECT_EQ(event.created_at, at);
  const nlohmann::ordered_json body = nlohmann::ordered_json::parse(event.payload);
  EXPECT_EQ(body["event_id"], event.event_id);
  EXPECT_EQ(body["timestamp"], "2025-06-21T10:00:00.123Z");
  const auto& p = body["portfolio_optimized"];
  EXPECT_EQ(p["portfolio_id"], "p");
  EXPECT_EQ(p["optimal_weights"].dump(), R"({"z":0.7,"a":0.3})");
  EXPECT_EQ(p["expected_return"], 0.1);
  EXPECT_EQ(p["expected_volatility"], 0.2);
  EXPECT_TRUE(p["sharpe_ratio"].is_null());
  EXPECT_EQ(p["optimization_metadata"]["convergence_status"], "optimal");
  EXPECT_EQ(p["optimization_metadata"]["iterations"], 4);
  EXPECT_EQ(p["optimization_metadata"]["optimization_time_ms"], 0.5);
  EXPECT_EQ(p["optimization_id"], "result-id");
}

TEST(ErrorMapping, ClientErrorsAreNever5xx) {
  using service::HttpStatusFor;
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kParseError), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kDimensionMismatch), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kNotImplemented), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kResourceExhausted), 413);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInternal), 500);
  EXPECT_EQ(HttpStatusFor(OptimizationStatus::kOptimal), 200);
  EXPECT_EQ(HttpStatusFor(OptimizationStatus::kOptimalInaccurate), 200);
  EXPECT_EQ(HttpStatusFor(OptimizationStatus::kInfeasible), 422);
  EXPECT_EQ(HttpStatusFor(OptimizationStatus::kUnbounded), 422);
}

// The work of a backtest as its limits count it, worked out by hand on a small table.
TEST(BacktestWork, CountsCellsAndOptimisationWork) {
  service::BacktestRequest request;
  request.prices.periods = {"2020-01-30", "2020-01-31", "2020-02-03", "2020-02-28",
                            "2020-03-02", "2020-04-01", "2020-07-01", "2020-07-02"};
  request.prices.assets = {"a", "b", "c"};
  request.prices.values = Matrix::Ones(8, 3);
  service::OptimizationRequest two, three;
  two.strategies = {{.id = "a"}, {.id = "b"}};
  three.strategies = {{.id = "a"}, {.id = "b"}, {.id = "c"}};
  request.strategies = {{.request = two},
                        {.type = service::BacktestStrategyType::kEqualWeight},
                        {.type = service::BacktestStrategyType::kBuyAndHold, .assets = {"a"}},
                        {.request = three}};
  const double kOverhead = 1e5;  // per optimisation
  request.settings.window = 2;   // the first rebalance can be at row 2 (2020-02-03)
  // Cells: 8 rows x (2 + 3 + 1 + 3).
  // Monthly from row 2: Feb, Feb, Mar, Apr, Jul, Jul -> the start + 3 month changes = 4
  // rebalances; work 4 x (2^2 x (2 + 2) + 10^5) + 4 x (3^2 x (2 + 3) + 10^5).
  request.settings.rebalance = RebalanceSchedule::kMonthly;
  BacktestWork work = EstimateBacktestWork(request);
  EXPECT_EQ(work.cells, 72.0);
  EXPECT_EQ(work.work, 64.0 + 180.0 + 8.0 * kOverhead);
  EXPECT_EQ(work.heaviest, 3u);
  EXPECT_EQ(work.heaviest_work, 180.0 + 4.0 * kOverhead);
  // Quarterly: Q1, Q1, Q1, Q2, Q3, Q3 -> 3 rebalances.
  request.settings.rebalance = RebalanceSchedule::kQuarterly;
  EXPECT_EQ(EstimateBacktestWork(request).work, 3.0 * (16.0 + 45.0 + 2.0 * kOverhead));
  // Periodic every 4 over the 6 rows from row 2: rows 2 and 6 -> 2.
  request.settings.rebalance = RebalanceSchedule::kPeriodic;
  request.settings.rebalance_every = 4;
  EXPECT_EQ(EstimateBacktestWork(request).work, 2.0 * (16.0 + 45.0 + 2.0 * kOverhead));
  // Drift (and never, which retries while in cash): every row from row 2 -> 6.
  request.settings.rebalance = RebalanceSchedule::kDrift;
  EXPECT_EQ(EstimateBacktestWork(request).work, 6.0 * (16.0 + 45.0 + 2.0 * kOverhead));
  // An expanding window estimates from up to all 8 rows.
  request.settings.window_type = WindowType::kExpanding;
  EXPECT_EQ(EstimateBacktestWork(request).work, 6.0 * (4.0 * 10.0 + 9.0 * 11.0 + 2.0 * kOverhead));
  // A window longer than the table: nothing to rebalance.
  request.settings.window = 20;
  EXPECT_EQ(EstimateBacktestWork(request).work, 0.0);
  EXPECT_EQ(EstimateBacktestWork(request).cells, 72.0);
}

}  // namespace
}  // namespace pfopt::rest
