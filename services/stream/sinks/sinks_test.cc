// The InfluxDB and webhook sinks against a local HTTP server (cpp-httplib): line protocol,
// batching, retries on 5xx, drops on 4xx and on a full queue; and the history sink.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "services/stream/sinks/history_sink.h"
#include "services/stream/sinks/influxdb_sink.h"
#include "services/stream/sinks/webhook_sink.h"

// After every Eigen-using header: httplib.h defines a macro that breaks Eigen (PLATFORM_NOTES).
#include <httplib.h>

namespace pfopt::stream {
namespace {

// Answers POSTs with the statuses given in order (then 204), keeping the bodies.
class FakeServer {
 public:
  explicit FakeServer(std::vector<int> statuses) : statuses_(std::move(statuses)) {
    server_.set_tcp_nodelay(true);
    auto handler = [this](const httplib::Request& request, httplib::Response& response) {
      std::lock_guard<std::mutex> lock(mutex_);
      const std::size_t k = requests_.size();
      requests_.push_back(request.path + (request.params.empty() ? "" : "?") +
                          (request.has_param("db") ? "db=" + request.get_param_value("db") : ""));
      bodies_.push_back(request.body);
      response.status = k < statuses_.size() ? statuses_[k] : 204;
    };
    server_.Post("/write", handler);
    server_.Post("/hook", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop runs would be lost (httplib 0.11): wait for it.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeServer() {
    server_.stop();
    thread_.join();
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> bodies() {
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_;
  }
  std::vector<std::string> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  std::vector<int> statuses_;
  std::mutex mutex_;
  std::vector<std::string> requests_, bodies_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

PortfolioWeights Weights() {
  PortfolioWeights w{1772442930000, "casa blanca", {"IAM", "A,B"}, Vector(2)};
  w.weights << 0.25, 0.75;
  return w;
}

TEST(InfluxLines, FollowTheLineProtocol) {
  EXPECT_EQ(WeightsLines(Weights()),
            "IAM,portfolio_id=casa\\ blanca weight=0.25 1772442930000\n"
            "A\\,B,portfolio_id=casa\\ blanca weight=0.75 1772442930000");
  PortfolioMetrics m{"p=1", 0.02, 0.001, kNaN, 5};
  EXPECT_EQ(MetricsLine(m, "portfolio_metrics"),
            "portfolio_metrics,portfolio_id=p\\=1 expected_return=0.001,risk=0.02 5");
  m.expected_return = m.risk = kNaN;
  EXPECT_EQ(MetricsLine(m, "portfolio_metrics"), "");
}

TEST(InfluxSink, BatchesRetriesServerErrorsAndCountsNothingLost) {
  FakeServer server({503, 500});
  InfluxOptions options;
  options.url = server.base();
  options.database = "pfopt";
  options.sender.batch_size = 3;
  options.sender.flush_interval_ms = 50;
  options.sender.retry_backoff_ms = 1;
  auto sink = InfluxSink::Create(options);
  ASSERT_TRUE(sink.has_value()) << sink.error().ToString();
  (*sink)->OnPublished(Topic::kWeights, "p", 0, Record(Weights()));
  (*sink)->OnPublished(Topic::kMetrics, "p", 0, Record(PortfolioMetrics{"p", 0.02, 0.001, 1.5, 7}));
  (*sink)->OnPublished(Topic::kUpdatedStats, "p", 0, Record(PortfolioStats{}));  // ignored
  (*sink)->Close();
  const HttpSenderCounters c = (*sink)->counters();
  EXPECT_EQ(c.queued, 2);
  EXPECT_EQ(c.sent, 2);
  EXPECT_EQ(c.dropped, 0);
  EXPECT_EQ(c.retries, 2);
  const auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 3u);  // 503, 500, then accepted
  EXPECT_EQ(bodies[2], WeightsLines(Weights()) +
                           "\nportfolio_metrics,portfolio_id=p "
                           "expected_return=0.001,risk=0.02,"
                           "sharpe_ratio=1.5 7");
  EXPECT_EQ(server.requests()[2], "/write?db=pfopt");
}

TEST(InfluxSink, DropsWhatTheServerRejectsAndWhatDoesNotFit) {
  FakeServer server({400});
  InfluxOptions options;
  options.url = server.base();
  options.database = "pfopt";
  options.sender.batch_size = 100;
  options.sender.flush_interval_ms = 200;
  options.sender.queue_capacity = 2;
  auto sink = InfluxSink::Create(options);
  ASSERT_TRUE(sink.has_value());
  for (int k = 0; k < 5; ++k) {
    (*sink)->OnPublished(Topic::kMetrics, "p", 0,
                         Record(PortfolioMetrics{"p", 0.02, 0.001, 1.5, k}));
  }
  (*sink)->Close();
  const HttpSenderCounters c = (*sink)->counters();
  EXPECT_EQ(c.queued, 2);
  EXPECT_EQ(c.dropped, 5);  // 3 did not fit, 2 rejected with HTTP 400 (not retried)
  EXPECT_EQ(c.retries, 0);
  EXPECT_EQ(c.sent, 0);
}

TEST(InfluxOptions, NeedADatabaseOrABucket) {
  InfluxOptions options;
  options.url = "http://127.0.0.1:1";
  EXPECT_FALSE(options.Validate().has_value());
  options.bucket = "b";
  EXPECT_EQ(options.Validate().error().field(), "influx_org");
}

TEST(WebhookSink, PostsOneJsonAlertPerBreach) {
  FakeServer server({});
  HttpSenderOptions options;
  options.url = server.base() + "/hook";
  options.flush_interval_ms = 20;
  auto sink = WebhookSink::Create(options);
  ASSERT_TRUE(sink.has_value());
  (*sink)->OnAlert(RebalanceAlert{"casablanca", 0.8, 1.0, 0.001, 0.02, 1772442930000});
  (*sink)->OnAlert(RebalanceAlert{"casablanca", kNaN, 1.0, 0.001, 0.0, 1772442932000});
  (*sink)->Close();
  const auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  const nlohmann::json alert = nlohmann::json::parse(bodies[0]);
  EXPECT_EQ(alert["event"], "sharpe_below_threshold");
  EXPECT_EQ(alert["portfolio_id"], "casablanca");
  EXPECT_EQ(alert["sharpe_ratio"], 0.8);
  EXPECT_EQ(alert["timestamp"], "2026-03-02T09:15:30.000Z");
  EXPECT_TRUE(nlohmann::json::parse(bodies[1])["sharpe_ratio"].is_null());
}

TEST(JsonLinesHistorySink, AppendsOneObjectPerRecord) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("pfopt_history_" + std::to_string(::getpid())))
          .string();
  std::filesystem::remove(path);
  {
    auto sink = JsonLinesHistorySink::Open(path);
    ASSERT_TRUE(sink.has_value());
    HistoryObserver observer(sink->get());
    observer.OnPublished(Topic::kWeights, "p", 0, Record(Weights()));
    observer.OnPublished(Topic::kMetrics, "p", 0,
                         Record(PortfolioMetrics{"p", 0.02, 0.001, 1.5, 9}));
    ASSERT_TRUE((*sink)->Flush());
  }
  std::ifstream in(path);
  std::string line;
  std::vector<nlohmann::json> lines;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["type"], "weights");
  EXPECT_EQ(lines[0]["weights"]["A,B"], 0.75);
  EXPECT_EQ(lines[1]["sharpe_ratio"], 1.5);
  std::filesystem::remove(path);
  EXPECT_EQ(JsonLinesHistorySink::Open("/nonexistent/dir/h.jsonl").error().code(),
            ErrorCode::kIoError);
}

}  // namespace
}  // namespace pfopt::stream
