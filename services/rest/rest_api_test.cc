// The REST API end to end, in process: a real OptimizationService on a free port of
// 127.0.0.1, spoken to over HTTP. Against SQLite (rest_api_test, unit) and against the
// throwaway PostgreSQL cluster (rest_api_postgres_test, integration).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "pfopt/data/table.h"
#include "services/common/backtest_json.h"
#include "services/common/backtest_service.h"
#include "services/common/request_json.h"
#include "services/rest/handlers.h"
#include "services/rest/service.h"
#include "services/rest/testing/test_databases.h"

#include <httplib.h>  // last: its _res macro
#undef _res

namespace pfopt::rest {
namespace {

using nlohmann::json;

// Two assets, no correlation, no bounds binding: max Sharpe has the closed form
// w ~ Sigma^-1 (mu - rf) = (0.08/0.04, 0.03/0.01) = (2, 3) -> (0.4, 0.6).
json TwoAssetRequest(const std::string& portfolio) {
  return json{
      {"portfolio_id", portfolio},
      {"strategies",
       {{{"id", "x"}, {"expected_return", 0.10}}, {{"id", "y"}, {"expected_return", 0.05}}}},
      {"objective", "MAX_SHARPE"},
      {"risk_parameters",
       {{"risk_free_rate", 0.02},
        {"covariance", {{"x", {{"x", 0.04}, {"y", 0.0}}}, {"y", {{"y", 0.01}}}}}}}};
}

// n strategies with `periods` seeded daily returns.
json HistoryRequest(const std::string& portfolio, int n, int periods) {
  std::mt19937_64 generator(7);
  std::normal_distribution<double> noise(0.0004, 0.01);
  json strategies = json::array();
  for (int i = 0; i < n; ++i) {
    json returns = json::array();
    for (int t = 0; t < periods; ++t) returns.push_back(noise(generator) + 0.0001 * i);
    strategies.push_back({{"id", "s" + std::to_string(i)}, {"returns", returns}});
  }
  return json{{"portfolio_id", portfolio}, {"strategies", strategies}};
}

std::string ReadSource(const std::string& relative) {
  std::ifstream file(PFOPT_SOURCE_DIR "/" + relative);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// A backtest answer without its wall-clock times (which differ between two runs).
json WithoutTimes(json body) {
  body.erase("run_time_ms");
  for (json& strategy : body["strategies"]) {
    strategy.erase("allocation_time_ms");
    if (!strategy.contains("series")) continue;
    for (json& rebalance : strategy["series"]["rebalances"]) rebalance.erase("time_ms");
  }
  return body;
}

// What the request path (the one `pfopt backtest` runs) answers, as the endpoint encodes it.
json ExpectedBacktest(const service::BacktestRequest& request) {
  auto response = service::RunBacktestRequest(request);
  EXPECT_TRUE(response) << response.error().ToString();
  if (!response) return json();
  return json::parse(service::BacktestResponseToJson(*response, request.include_series).dump());
}

// The CLI's worked example (docs/backtest.md) on 2006..2010 of examples/data/stock_prices.csv:
// its two strategy files, equal weight and buy and hold, as `pfopt backtest` builds them.
service::BacktestRequest StockPricesBacktest() {
  service::BacktestRequest request;
  auto table = ReadTableCsv(PFOPT_SOURCE_DIR "/examples/data/stock_prices.csv");
  EXPECT_TRUE(table) << table.error().ToString();
  if (!table) return request;
  std::vector<Index> rows;
  for (std::size_t t = 0; t < table->periods.size(); ++t) {
    if (table->periods[t] >= "2006-01-01" && table->periods[t] <= "2010-12-31") {
      rows.push_back(static_cast<Index>(t));
      request.prices.periods.push_back(table->periods[t]);
    }
  }
  request.prices.assets = table->assets;
  request.prices.values.resize(static_cast<Index>(rows.size()), table->values.cols());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    request.prices.values.row(static_cast<Index>(r)) = table->values.row(rows[r]);
  }
  for (const char* file :
       {"examples/backtest/max_sharpe.json", "examples/backtest/min_volatility.json"}) {
    auto parsed = service::ParseOptimizationRequest(ReadSource(file));
    EXPECT_TRUE(parsed) << file;
    if (parsed) request.strategies.push_back({.request = std::move(*parsed)});
  }
  request.strategies.push_back({.type = service::BacktestStrategyType::kEqualWeight});
  request.strategies.push_back({.type = service::BacktestStrategyType::kBuyAndHold});
  request.settings.window = 252;
  request.settings.rebalance = RebalanceSchedule::kMonthly;
  request.settings.cost_bps = 10.0;
  request.settings.risk_free_rate = 0.02;
  return request;
}

class ServiceFixture {
 public:
  explicit ServiceFixture(const std::string& backend, ServiceConfig config = {}) {
    database_ = std::make_unique<testing::TestDatabase>(backend);
    if (!database_->available()) return;
    config.port = 0;
    config.db = database_->url();
    auto service = OptimizationService::Create(config);
    if (!service) {
      error_ = service.error().ToString();
      return;
    }
    service_ = std::move(*service);
    thread_ = std::thread([this] { (void)service_->Run(); });
    client_ = std::make_unique<httplib::Client>("127.0.0.1", service_->port());
    client_->set_read_timeout(60, 0);
  }
  ~ServiceFixture() {
    if (service_) {
      service_->Shutdown();
      thread_.join();
    }
  }
  bool ok() const { return service_ != nullptr; }
  std::string why() const { return error_.empty() ? database_->reason() : error_; }
  httplib::Client& client() { return *client_; }
  OptimizationService& service() { return *service_; }
  testing::TestDatabase& database() { return *database_; }

 private:
  std::unique_ptr<testing::TestDatabase> database_;
  std::unique_ptr<OptimizationService> service_;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
  std::string error_;
};

class RestApiTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { Start(ServiceConfig{}); }
  void Start(const ServiceConfig& config) {
    fixture_.reset();
    fixture_ = std::make_unique<ServiceFixture>(GetParam(), config);
    if (!fixture_->ok()) {
      if (GetParam() == "sqlite" || testing::TestDatabase::PostgresRequired()) {
        FAIL() << fixture_->why();
      }
      GTEST_SKIP() << fixture_->why();
    }
  }
  httplib::Client& client() { return fixture_->client(); }

  struct Reply {
    int status = 0;
    json body;
    std::string text;
    httplib::Headers headers;
  };
  Reply Send(const std::string& method, const std::string& path, const std::string& body = {},
             const httplib::Headers& headers = {}) {
    httplib::Result result = method == "GET" ? client().Get(path.c_str(), headers)
                             : method == "PUT"
                                 ? client().Put(path.c_str(), headers, body, "application/json")
                                 : client().Post(path.c_str(), headers, body, "application/json");
    Reply reply;
    if (!result) return reply;
    reply.status = result->status;
    reply.text = result->body;
    reply.headers = result->headers;
    reply.body = json::parse(result->body, nullptr, false);
    return reply;
  }
  Reply Post(const std::string& path, const json& body) { return Send("POST", path, body.dump()); }

  static void ExpectError(const Reply& reply, int status, const std::string& code,
                          const std::string& field = "") {
    EXPECT_EQ(reply.status, status) << reply.text;
    ASSERT_TRUE(reply.body.is_object()) << reply.text;
    ASSERT_TRUE(reply.body.contains("error")) << reply.text;
    EXPECT_EQ(reply.body["error"]["code"], code) << reply.text;
    EXPECT_FALSE(reply.body["error"]["message"].get<std::string>().empty());
    if (!field.empty()) {
      EXPECT_EQ(reply.body["error"].value("field", ""), field) << reply.text;
    }
  }

  std::unique_ptr<ServiceFixture> fixture_;
};

TEST_P(RestApiTest, OptimizeAnswersTheClosedFormAndStoresIt) {
  const Reply reply = Post("/api/v1/optimize", TwoAssetRequest("two"));
  ASSERT_EQ(reply.status, 200) << reply.text;
  const json& weights = reply.body["optimal_weights"];
  EXPECT_NEAR(weights["x"].get<double>(), 0.4, 1e-10);
  EXPECT_NEAR(weights["y"].get<double>(), 0.6, 1e-10);
  // Return 0.4*0.10 + 0.6*0.05 = 0.07; volatility sqrt(0.16*0.04 + 0.36*0.01) = 0.1.
  EXPECT_NEAR(reply.body["expected_return"].get<double>(), 0.07, 1e-12);
  EXPECT_NEAR(reply.body["expected_volatility"].get<double>(), 0.1, 1e-12);
  EXPECT_NEAR(reply.body["sharpe_ratio"].get<double>(), 0.5, 1e-10);
  EXPECT_EQ(reply.body["optimization_metadata"]["convergence_status"], "optimal");
  EXPECT_TRUE(reply.body["optimization_metadata"]["constraints_satisfied"].get<bool>());
  const std::string id = reply.body["optimization_id"];

  const Reply latest = Send("GET", "/api/v1/optimization/two/latest");
  ASSERT_EQ(latest.status, 200) << latest.text;
  EXPECT_EQ(latest.body["optimization_id"], id);
  EXPECT_EQ(latest.body["optimal_weights"], weights);
  EXPECT_EQ(latest.body["optimal_weights"].dump(), weights.dump());
  EXPECT_EQ(latest.body["sharpe_ratio"], reply.body["sharpe_ratio"]);
  EXPECT_EQ(latest.body["optimization_metadata"], reply.body["optimization_metadata"]);

  const Reply history = Send("GET", "/api/v1/optimization/two/history");
  ASSERT_EQ(history.status, 200) << history.text;
  ASSERT_EQ(history.body["count"], 1);
  EXPECT_EQ(history.body["results"][0]["optimization_id"], id);

  // The event: in the outbox, with the spec's fields.
  const Reply events = Send("GET", "/api/v1/events?after=0");
  ASSERT_EQ(events.status, 200) << events.text;
  ASSERT_EQ(events.body["events"].size(), 1u);
  const json& event = events.body["events"][0]["event"];
  EXPECT_EQ(event["event_id"].get<std::string>().size(), 36u);
  EXPECT_TRUE(std::regex_match(event["timestamp"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
  const json& body = event["portfolio_optimized"];
  EXPECT_EQ(body["portfolio_id"], "two");
  EXPECT_EQ(body["optimal_weights"], weights);
  EXPECT_EQ(body["optimization_metadata"]["convergence_status"], "optimal");
  EXPECT_TRUE(body["optimization_metadata"].contains("iterations"));
  EXPECT_TRUE(body["optimization_metadata"].contains("optimization_time_ms"));
  EXPECT_EQ(body["optimization_id"], id);
  EXPECT_EQ(events.body["next_after"], events.body["events"][0]["sequence"]);
  EXPECT_EQ(
      Send("GET", "/api/v1/events?after=" + events.body["next_after"].dump()).body["events"].size(),
      0u);
}

TEST_P(RestApiTest, HistoriesAreEstimatedLikeTheCommandLine) {
  const Reply reply = Post("/api/v1/optimize", HistoryRequest("hist", 20, 1000));
  ASSERT_EQ(reply.status, 200) << reply.text;
  double sum = 0.0;
  for (const auto& [id, w] : reply.body["optimal_weights"].items()) {
    EXPECT_GE(w.get<double>(), -1e-12) << id;
    sum += w.get<double>();
  }
  EXPECT_NEAR(sum, 1.0, 1e-10);
  EXPECT_EQ(reply.body["optimal_weights"].size(), 20u);
}

TEST_P(RestApiTest, BatchKeepsOrderAndIsolatesFailures) {
  json infeasible = TwoAssetRequest("bad");
  infeasible["constraints"] = {{"max_weight", 0.3}};  // 2 x 0.3 < 1: no portfolio
  json batch = json::array({TwoAssetRequest("b0"), json{{"portfolio_id", "b1"}}, infeasible,
                            HistoryRequest("b3", 5, 50), "not an object"});
  const Reply reply = Post("/api/v1/optimize/batch", batch);
  ASSERT_EQ(reply.status, 200) << reply.text;
  ASSERT_EQ(reply.body.size(), 5u);
  EXPECT_EQ(reply.body[0]["portfolio_id"], "b0");
  EXPECT_NEAR(reply.body[0]["optimal_weights"]["x"].get<double>(), 0.4, 1e-10);
  EXPECT_EQ(reply.body[1]["status"], 400);
  EXPECT_EQ(reply.body[1]["error"]["field"], "[1].strategies");
  EXPECT_EQ(reply.body[2]["status"], 422);
  EXPECT_EQ(reply.body[2]["error"]["code"], "INFEASIBLE");
  EXPECT_EQ(reply.body[3]["portfolio_id"], "b3");
  EXPECT_EQ(reply.body[4]["status"], 400);
  EXPECT_EQ(Send("GET", "/api/v1/optimization/b3/latest").status, 200);
  EXPECT_EQ(Send("GET", "/api/v1/optimization/bad/latest").status, 404);
  EXPECT_EQ(reply.headers.find("X-Batch-Failed")->second, "3");

  // Many items solved in parallel, answers in request order.
  json many = json::array();
  for (int i = 0; i < 24; ++i)
    many.push_back(HistoryRequest("m" + std::to_string(i), 4 + i % 5, 60));
  const Reply parallel = Post("/api/v1/optimize/batch", many);
  ASSERT_EQ(parallel.status, 200);
  for (int i = 0; i < 24; ++i) {
    EXPECT_EQ(parallel.body[i]["portfolio_id"], "m" + std::to_string(i));
    EXPECT_EQ(parallel.body[i]["optimal_weights"].size(), static_cast<std::size_t>(4 + i % 5));
  }
}

TEST_P(RestApiTest, ConfigurationsRoundTrip) {
  const std::string path = "/api/v1/portfolios/fund%201/configuration";
  ExpectError(Send("GET", path), 404, "NOT_FOUND", "portfolio_id");
  const Reply put = Send("PUT", path,
                         R"({"objective": "efficient_risk", "method": "MEAN_VARIANCE",
                             "constraints": {"max_weight": 0.25, "sector_limits": {"eq": 0.6}},
                             "risk_parameters": {"target_volatility": 0.12}, "enabled": true})");
  ASSERT_EQ(put.status, 200) << put.text;
  EXPECT_EQ(put.body["portfolio_id"], "fund 1");
  EXPECT_EQ(put.body["objective"], "EFFICIENT_RISK");
  const Reply got = Send("GET", path);
  ASSERT_EQ(got.status, 200) << got.text;
  EXPECT_EQ(got.body["constraints"]["max_weight"], 0.25);
  EXPECT_EQ(got.body["constraints"]["sector_limits"]["eq"], 0.6);
  EXPECT_EQ(got.body["risk_parameters"]["target_volatility"], 0.12);
  EXPECT_EQ(got.body["enabled"], true);
  EXPECT_EQ(got.body["id"], put.body["id"]);
  // The C++ interface the rebalancer uses sees the same.
  auto stored = fixture_->service().configurations().GetConfiguration("fund 1");
  ASSERT_TRUE(stored && stored->has_value());
  EXPECT_EQ((*stored)->objective, service::RequestObjective::kEfficientRisk);
  // Every field is validated, errors name it.
  ExpectError(Send("PUT", path, R"({"constraints": {"max_weigth": 0.2}})"), 400, "INVALID_ARGUMENT",
              "constraints.max_weigth");
  ExpectError(Send("PUT", path, R"({"objective": "BEST"})"), 400, "INVALID_ARGUMENT", "objective");
  ExpectError(Send("PUT", path, R"({"enabled": "yes"})"), 400, "INVALID_ARGUMENT", "enabled");
  ExpectError(Send("PUT", path, R"({"risk_parameters": {"risk_free_rate": "0.1"}})"), 400,
              "INVALID_ARGUMENT", "risk_parameters.risk_free_rate");
  ExpectError(Send("PUT", path, "{"), 400, "PARSE_ERROR");
  // A configured portfolio is known: its history is empty, not 404.
  const Reply history = Send("GET", "/api/v1/optimization/fund%201/history");
  EXPECT_EQ(history.status, 200) << history.text;
  EXPECT_EQ(history.body["count"], 0);
}

TEST_P(RestApiTest, EveryClientErrorHasItsStatusAndNamesTheField) {
  // Malformed JSON.
  ExpectError(Send("POST", "/api/v1/optimize", R"({"portfolio_id": "a", )"), 400, "PARSE_ERROR");
  ExpectError(Send("POST", "/api/v1/optimize", ""), 400, "PARSE_ERROR");
  // Wrong types.
  json wrong = TwoAssetRequest("w");
  wrong["strategies"][1]["expected_return"] = "0.05";
  ExpectError(Post("/api/v1/optimize", wrong), 400, "INVALID_ARGUMENT",
              "strategies[1].expected_return");
  ExpectError(Send("POST", "/api/v1/optimize", "[1, 2]"), 400, "INVALID_ARGUMENT");
  // NaN in histories: not JSON, and not accepted as a string either.
  std::string with_nan = HistoryRequest("n", 3, 10).dump();
  with_nan.replace(with_nan.find("\"returns\":[") + 11, 0, "NaN,");
  ExpectError(Send("POST", "/api/v1/optimize", with_nan), 400, "PARSE_ERROR");
  json nan_string = HistoryRequest("n", 3, 10);
  nan_string["strategies"][2]["returns"][4] = "NaN";
  ExpectError(Post("/api/v1/optimize", nan_string), 400, "INVALID_ARGUMENT",
              "strategies[2].returns[4]");
  // Duplicate ids.
  json duplicate = TwoAssetRequest("d");
  duplicate["strategies"][1]["id"] = "x";
  ExpectError(Post("/api/v1/optimize", duplicate), 400, "INVALID_ARGUMENT", "strategies[1].id");
  // Unknown fields (typos) are not ignored.
  json typo = TwoAssetRequest("t");
  typo["constraints"] = {{"max_weigth", 0.5}};
  ExpectError(Post("/api/v1/optimize", typo), 400, "INVALID_ARGUMENT", "constraints.max_weigth");
  // Unequal history lengths.
  json ragged = HistoryRequest("r", 3, 10);
  ragged["strategies"][1]["returns"].erase(0);
  ExpectError(Post("/api/v1/optimize", ragged), 400, "INVALID_ARGUMENT", "strategies[1].returns");
  // Unknown portfolio and unknown route.
  ExpectError(Send("GET", "/api/v1/optimization/nobody/latest"), 404, "NOT_FOUND", "portfolio_id");
  ExpectError(Send("GET", "/api/v1/optimization/nobody/history"), 404, "NOT_FOUND");
  ExpectError(Send("GET", "/api/v2/whatever"), 404, "NOT_FOUND");
  // Bad query parameters.
  ASSERT_EQ(Post("/api/v1/optimize", TwoAssetRequest("q")).status, 200);
  ExpectError(Send("GET", "/api/v1/optimization/q/history?from=yesterday"), 400, "INVALID_ARGUMENT",
              "from");
  ExpectError(Send("GET", "/api/v1/optimization/q/history?limit=0"), 400, "INVALID_ARGUMENT",
              "limit");
  ExpectError(Send("GET", "/api/v1/events?after=-1"), 400, "INVALID_ARGUMENT", "after");
  // Infeasible: 422 with the reason and the conflicting constraints.
  json infeasible = TwoAssetRequest("inf");
  infeasible["constraints"] = {{"max_weight", 0.3}};
  const Reply unsolved = Post("/api/v1/optimize", infeasible);
  ExpectError(unsolved, 422, "INFEASIBLE");
  EXPECT_FALSE(unsolved.body["error"]["conflicting_constraints"].empty());
  // Unreachable target: a clear 400 naming the field, not a 500.
  json target = TwoAssetRequest("target");
  target["objective"] = "EFFICIENT_RETURN";
  target["risk_parameters"]["target_return"] = 0.5;
  const Reply unreachable = Post("/api/v1/optimize", target);
  EXPECT_TRUE(unreachable.status == 400 || unreachable.status == 422) << unreachable.text;
  // Nothing above was stored, and nothing was a 5xx.
  const Reply metrics = Send("GET", "/metrics");
  EXPECT_EQ(metrics.text.find("status=\"500\""), std::string::npos);
  EXPECT_EQ(Send("GET", "/api/v1/events").body["events"].size(), 1u);
}

// Slower (seconds): registered apart from the unit run (rest_api_limits_test).
TEST_P(RestApiTest, HugeInputsAreRefusedQuickly) {
  // 10^5 strategies: refused by the limit, quickly, before any estimation.
  json huge = {{"portfolio_id", "huge"}, {"strategies", json::array()}};
  for (int i = 0; i < 100000; ++i) {
    huge["strategies"].push_back({{"id", "s" + std::to_string(i)}, {"expected_return", 0.1}});
  }
  const auto start = std::chrono::steady_clock::now();
  ExpectError(Post("/api/v1/optimize", huge), 413, "RESOURCE_EXHAUSTED", "strategies");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  // A 100 MB body: 413 without reading it all.
  const std::string big(100u << 20, ' ');
  ExpectError(Send("POST", "/api/v1/optimize", big), 413, "RESOURCE_EXHAUSTED");
}

TEST_P(RestApiTest, HealthMetricsAndTheOpenApiDocument) {
  ASSERT_EQ(Post("/api/v1/optimize", TwoAssetRequest("m")).status, 200);
  ExpectError(Send("GET", "/api/v1/optimization/none/latest"), 404, "NOT_FOUND");
  const Reply health = Send("GET", "/healthz");
  ASSERT_EQ(health.status, 200) << health.text;
  EXPECT_EQ(health.body["status"], "ok");
  EXPECT_EQ(health.body["database"]["status"], "ok");
  EXPECT_EQ(health.body["events"]["kafka"], "disabled");
  EXPECT_EQ(health.body["events"]["unpublished"], 1);
  const Reply metrics = Send("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const char* line :
       {"pfopt_http_requests_total{route=\"/api/v1/optimize\",method=\"POST\",status=\"200\"} 1",
        "pfopt_http_request_duration_seconds_bucket{route=\"/api/v1/optimize\",le=\"+Inf\"} 1",
        "pfopt_optimization_duration_seconds_count{objective=\"MAX_SHARPE\"} 1",
        "pfopt_optimizations_total{status=\"optimal\"} 1",
        "pfopt_errors_total{code=\"NOT_FOUND\"} 1", "pfopt_outbox_unpublished 1",
        "# TYPE pfopt_http_request_duration_seconds histogram"}) {
    EXPECT_NE(metrics.text.find(line), std::string::npos) << line << "\n" << metrics.text;
  }
  const Reply openapi = Send("GET", "/api/v1/openapi.yaml");
  ASSERT_EQ(openapi.status, 200);
  std::ifstream file(PFOPT_SOURCE_DIR "/services/rest/api/openapi.yaml");
  std::stringstream text;
  text << file.rdbuf();
  EXPECT_EQ(openapi.text, text.str());
}

TEST_P(RestApiTest, BacktestEqualsTheRequestPathNumberForNumber) {
  const service::BacktestRequest request = StockPricesBacktest();
  ASSERT_EQ(request.prices.periods.size(), 1259u);
  const json expected = ExpectedBacktest(request);
  const Reply reply =
      Send("POST", "/api/v1/backtest", service::BacktestRequestToJson(request).dump());
  ASSERT_EQ(reply.status, 200) << reply.text.substr(0, 2000);
  // Every metric, every failure, every wealth, return, weight and rebalance record.
  EXPECT_EQ(WithoutTimes(reply.body), WithoutTimes(expected));
  const json& strategies = reply.body["strategies"];
  ASSERT_EQ(strategies.size(), 4u);
  EXPECT_EQ(strategies[0]["name"], "max_sharpe");
  EXPECT_EQ(strategies[3]["name"], "buy_and_hold");
  EXPECT_EQ(reply.body["periods"], reply.body["strategies"][2]["series"]["dates"].size());
  EXPECT_EQ(strategies[1]["series"]["weights"][0].size(), 20u);
  // Some rebalances of max Sharpe fail in late 2008 (no window return above the risk-free
  // rate): still 200, each failure with its date, status and reason, as the CLI reports them.
  EXPECT_GT(strategies[0]["failed_rebalances"].get<int>(), 0);
  ASSERT_EQ(strategies[0]["failures"].size(),
            strategies[0]["failed_rebalances"].get<std::size_t>());
  for (const json& failure : strategies[0]["failures"]) {
    EXPECT_EQ(failure["date"].get<std::string>().substr(0, 3), "200") << failure;
    EXPECT_FALSE(failure["message"].get<std::string>().empty()) << failure;
    EXPECT_NE(failure["status"], "optimal") << failure;
  }
  EXPECT_EQ(strategies[1]["failed_rebalances"], 0);
  // The committed curl example (docs/service.md): summary only, equal to the request path too.
  const std::string example = ReadSource("examples/backtest/service_request.json");
  auto parsed = service::ParseBacktestRequest(example);
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  const Reply summary = Send("POST", "/api/v1/backtest", example);
  ASSERT_EQ(summary.status, 200) << summary.text;
  EXPECT_EQ(WithoutTimes(summary.body), WithoutTimes(ExpectedBacktest(*parsed)));
  EXPECT_EQ(summary.body["backtest_id"], "six_stocks_min_volatility");
  EXPECT_FALSE(summary.body["strategies"][0].contains("series"));
  // Backtests are not stored: no result, no event.
  EXPECT_EQ(Send("GET", "/api/v1/events").body["events"].size(), 0u);
  EXPECT_EQ(Send("GET", "/api/v1/optimization/max_sharpe/latest").status, 404);
  const Reply metrics = Send("GET", "/metrics");
  EXPECT_NE(metrics.text.find("pfopt_http_requests_total{route=\"/api/v1/backtest\",method="
                              "\"POST\",status=\"200\"} 2"),
            std::string::npos)
      << metrics.text;
}

TEST_P(RestApiTest, BacktestErrorsNameTheField) {
  const json base = json::parse(ReadSource("examples/backtest/service_request.json"));
  const std::string path = "/api/v1/backtest";
  auto expect_invalid = [&](const json& body, const std::string& field) {
    ExpectError(Post(path, body), 400, "INVALID_ARGUMENT", field);
  };
  ExpectError(Send("POST", path, R"({"prices": )"), 400, "PARSE_ERROR");
  ExpectError(Send("POST", path, ""), 400, "PARSE_ERROR");
  expect_invalid(json::array(), "");
  json body = base;
  body["setings"] = json::object();
  expect_invalid(body, "setings");
  body = base;
  body["settings"]["cost_bsp"] = 10;
  expect_invalid(body, "settings.cost_bsp");
  body = base;
  body["prices"]["index"][5] = body["prices"]["index"][3];  // dates not increasing
  expect_invalid(body, "prices.index[5]");
  body = base;
  body["prices"]["data"][3][1] = "NaN";
  expect_invalid(body, "prices.data[3][1]");
  body = base;
  body["prices"]["data"][3][1] = -1.5;
  expect_invalid(body, "prices.data[3][1]");
  body = base;
  body["prices"]["data"][2].erase(0);
  expect_invalid(body, "prices.data[2]");
  body = base;
  body["prices_csv"] = "date,AAPL\n2018-01-02,1\n";
  expect_invalid(body, "prices");
  body = base;
  body["strategies"][0]["request"]["strategies"][2]["id"] = "MSFT";  // not a price column
  expect_invalid(body, "strategies[0].request.strategies[2].id");
  body = base;
  body["strategies"][0]["request"]["strategies"][0]["returns"] = {0.01, 0.02};
  expect_invalid(body, "strategies[0].request.strategies[0].returns");
  body = base;
  body["strategies"][0]["request"]["objective"] = "BEST";
  expect_invalid(body, "strategies[0].request.objective");
  body = base;
  body["strategies"][1]["request"] = body["strategies"][0]["request"];  // EQUAL_WEIGHT
  expect_invalid(body, "strategies[1].request");
  body = base;
  body["strategies"] = json::array();
  expect_invalid(body, "strategies");
  body = base;
  body["settings"]["window"] = 600;  // the table has 572 rows
  expect_invalid(body, "settings.window");
  body = base;
  body["settings"]["rebalance"] = "WEEKLY";
  expect_invalid(body, "settings.rebalance");
  body = base;
  body["settings"]["cost_bps"] = "10";
  expect_invalid(body, "settings.cost_bps");
  body = base;
  body["include_series"] = "yes";
  expect_invalid(body, "include_series");
  // The default work limit refuses a drift-rebalanced, expanding-window backtest over the whole
  // 20-stock table (~2e10 work units) before running it.
  service::BacktestRequest heavy;
  auto table = ReadTableCsv(PFOPT_SOURCE_DIR "/examples/data/stock_prices.csv");
  ASSERT_TRUE(table);
  heavy.prices = std::move(*table);
  auto minvol =
      service::ParseOptimizationRequest(ReadSource("examples/backtest/min_volatility.json"));
  ASSERT_TRUE(minvol);
  heavy.strategies.push_back({.request = std::move(*minvol)});
  heavy.settings.rebalance = RebalanceSchedule::kDrift;
  heavy.settings.window_type = WindowType::kExpanding;
  const Reply refused = Send("POST", path, service::BacktestRequestToJson(heavy).dump());
  ExpectError(refused, 413, "RESOURCE_EXHAUSTED", "strategies");
  EXPECT_NE(refused.body["error"]["message"].get<std::string>().find("max_backtest_work"),
            std::string::npos);
  // Nothing above was a 5xx.
  EXPECT_EQ(Send("GET", "/metrics").text.find("status=\"5"), std::string::npos);
}

TEST_P(RestApiTest, BacktestLimitsAreConfigurable) {
  const std::string example = ReadSource("examples/backtest/service_request.json");
  // 572 rows x (6 + 6 + 6) assets = 10296 cells.
  ServiceConfig config;
  config.max_backtest_cells = 10296;
  Start(config);
  EXPECT_EQ(Send("POST", "/api/v1/backtest", example).status, 200);
  config.max_backtest_cells = 10295;
  Start(config);
  const Reply cells = Send("POST", "/api/v1/backtest", example);
  ExpectError(cells, 413, "RESOURCE_EXHAUSTED", "prices");
  EXPECT_NE(cells.body["error"]["message"].get<std::string>().find("max_backtest_cells"),
            std::string::npos);
  config = ServiceConfig{};
  config.max_backtest_work = 1000;
  Start(config);
  ExpectError(Send("POST", "/api/v1/backtest", example), 413, "RESOURCE_EXHAUSTED", "strategies");
}

TEST_P(RestApiTest, ApiKeyIsRequiredWhenSet) {
  ServiceConfig config;
  config.api_key = "s3cret-key";
  Start(config);
  ExpectError(Post("/api/v1/optimize", TwoAssetRequest("k")), 401, "UNAUTHENTICATED");
  ExpectError(Send("GET", "/api/v1/events", "", {{"Authorization", "Bearer wrong"}}), 401,
              "UNAUTHENTICATED");
  ExpectError(Send("GET", "/api/v1/events", "", {{"X-API-Key", "s3cret-ke"}}), 401,
              "UNAUTHENTICATED");
  EXPECT_EQ(Send("POST", "/api/v1/optimize", TwoAssetRequest("k").dump(),
                 {{"Authorization", "Bearer s3cret-key"}})
                .status,
            200);
  EXPECT_EQ(Send("GET", "/api/v1/optimization/k/latest", "", {{"X-API-Key", "s3cret-key"}}).status,
            200);
  const std::string backtest = ReadSource("examples/backtest/service_request.json");
  ExpectError(Send("POST", "/api/v1/backtest", backtest), 401, "UNAUTHENTICATED");
  ExpectError(Send("POST", "/api/v1/backtest", backtest, {{"X-API-Key", "wrong"}}), 401,
              "UNAUTHENTICATED");
  EXPECT_EQ(Send("POST", "/api/v1/backtest", backtest, {{"X-API-Key", "s3cret-key"}}).status, 200);
  EXPECT_EQ(Send("GET", "/healthz").status, 200);  // probes need no key
  const Reply metrics = Send("GET", "/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.text.find("s3cret"), std::string::npos);
}

TEST_P(RestApiTest, ShutdownFinishesInFlightRequests) {
  // A frontier of 400 points over 150 assets: long enough to be in flight when the shutdown
  // starts (the test waits until the solve runs).
  const std::string body = HistoryRequest("slow", 150, 200).dump();
  std::atomic<int> status{0};
  const int port = fixture_->service().port();
  std::thread request([&] {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(120, 0);
    auto result = client.Post("/api/v1/frontier?points=400", body, "application/json");
    status = result ? result->status : -1;
  });
  for (int i = 0; i < 2000; ++i) {
    if (Send("GET", "/metrics").text.find("pfopt_solves_in_progress 1") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  fixture_.reset();  // Shutdown(), then Run() returns once the request is answered
  request.join();
  EXPECT_EQ(status.load(), 200);
}

TEST_P(RestApiTest, DatabaseOutageIs503AndRecovers) {
  if (GetParam() != "postgres") GTEST_SKIP() << "needs a server to stop";
  ASSERT_EQ(Post("/api/v1/optimize", TwoAssetRequest("o")).status, 200);
  ASSERT_TRUE(fixture_->database().Pause());
  ExpectError(Post("/api/v1/optimize", TwoAssetRequest("o")), 503, "UNAVAILABLE");
  ExpectError(Send("GET", "/api/v1/optimization/o/latest"), 503, "UNAVAILABLE");
  EXPECT_EQ(Send("GET", "/healthz").status, 503);
  ASSERT_TRUE(fixture_->database().Resume());
  EXPECT_EQ(Post("/api/v1/optimize", TwoAssetRequest("o")).status, 200);
  EXPECT_EQ(Send("GET", "/healthz").status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, RestApiTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

// services/rest/api/openapi.yaml documents exactly the routes the server registers.
TEST(OpenApi, DocumentsExactlyTheRoutesOfTheServer) {
  std::ifstream file(PFOPT_SOURCE_DIR "/services/rest/api/openapi.yaml");
  ASSERT_TRUE(file);
  std::set<std::string> documented;
  std::string line, path;
  bool in_paths = false;
  while (std::getline(file, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (in_paths && !line.empty() && line[0] != ' ') break;  // next top-level key
    if (!in_paths) continue;
    if (line.size() > 3 && line.rfind("  /", 0) == 0 && line.back() == ':') {
      path = line.substr(2, line.size() - 3);
    } else if (line.rfind("    ", 0) == 0 && line[4] != ' ') {
      const std::string key = line.substr(4, line.find(':') - 4);
      if (key == "get" || key == "post" || key == "put" || key == "delete" || key == "patch") {
        std::string method = key;
        for (char& c : method) c = static_cast<char>(std::toupper(c));
        documented.insert(method + " " + path);
      }
    }
  }
  std::set<std::string> served;
  for (const Route& route : ApiRoutes()) {
    served.insert(std::string(route.method) + " " + std::string(route.path));
  }
  EXPECT_EQ(documented, served);
}

}  // namespace
}  // namespace pfopt::rest
