// The poll source against a local HTTP server (cpp-httplib) that answers like an exchange's API,
// including malformed answers, HTTP errors, timeouts and refused connections.
#include "services/stream/sources/poll_source.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

// After every Eigen-using header: httplib.h defines a macro that breaks Eigen (PLATFORM_NOTES).
#include <httplib.h>

namespace pfopt::stream {
namespace {

class CaptureProducer final : public Producer {
 public:
  Status Publish(Topic, std::string key, int64_t timestamp_ms, std::shared_ptr<const Record> record,
                 int64_t) override {
    keys.push_back(key);
    timestamps.push_back(timestamp_ms);
    prices.push_back(std::get<BourseData>(*record).field_cours_courant);
    return Ok();
  }
  Status Flush(std::chrono::milliseconds) override { return Ok(); }
  std::vector<std::string> keys, prices;
  std::vector<int64_t> timestamps;
};

// Serves the answers in order, one per request; "SLEEP" sleeps 600 ms then answers "[]",
// "500" answers HTTP 500.
class ExchangeServer {
 public:
  explicit ExchangeServer(std::vector<std::string> answers) : answers_(std::move(answers)) {
    server_.set_tcp_nodelay(true);
    server_.Get("/api/quotes", [this](const httplib::Request&, httplib::Response& response) {
      const std::size_t k = next_++;
      const std::string answer = k < answers_.size() ? answers_[k] : "[]";
      if (answer == "SLEEP") {
        std::this_thread::sleep_for(std::chrono::milliseconds(600));
        response.set_content("[]", "application/json");
      } else if (answer == "500") {
        response.status = 500;
        response.set_content("upstream down", "text/plain");
      } else {
        response.set_content(answer, "application/json");
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop runs would be lost (httplib 0.11): wait for it.
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~ExchangeServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/api/quotes"; }

 private:
  std::vector<std::string> answers_;
  std::atomic<std::size_t> next_{0};
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

std::map<std::string, int64_t> AsMap(const std::vector<std::pair<std::string, int64_t>>& list) {
  return {list.begin(), list.end()};
}

TEST(PollSource, ReadsMappedQuotesAndSurvivesEveryKindOfBadAnswer) {
  const std::string good =
      R"({"data": {"quotes": [
          {"symbol": "IAM", "last": "101.50", "time": "2026-03-02T10:15:30+01:00", "label": "Maroc Telecom"},
          {"symbol": "ATW", "last": 480.2, "time": "2026-03-02T10:15:31+01:00"}]}})";
  const std::string next =
      R"({"data": {"quotes": [
          {"symbol": "IAM", "last": "101.50", "time": "2026-03-02T10:15:30+01:00"},
          {"symbol": "ATW", "last": 481, "time": "2026-03-02T10:16:02+01:00"},
          7,
          {"symbol": "BCP", "last": "abc", "time": "2026-03-02T10:16:05+01:00"},
          {"symbol": "BOA", "last": null, "time": "2026-03-02T10:16:05+01:00"}]}})";
  ExchangeServer server({good, "{not json", "500", "SLEEP", R"({"data": {"quotes": 5}})", next});
  PollOptions options;
  options.url = server.url();
  options.interval_seconds = 0.01;
  options.timeout_seconds = 0.3;
  options.records_path = "data.quotes";
  options.field_map = {
      {"ticker", "symbol"}, {"field_cours_courant", "last"}, {"field_last_traded_time", "time"}};
  options.max_polls = 6;
  auto source = PollSource::Create(options);
  ASSERT_TRUE(source.has_value()) << source.error().ToString();
  CaptureProducer producer;
  std::atomic<bool> stop{false};
  auto summary = RunFeed(**source, producer, FeedOptions{}, {}, stop);
  ASSERT_TRUE(summary.has_value()) << summary.error().ToString();
  // IAM and ATW from the first answer; ATW's new trade from the last (IAM unchanged: skipped).
  EXPECT_EQ(producer.keys, (std::vector<std::string>{"IAM", "ATW", "ATW"}));
  EXPECT_EQ(producer.prices, (std::vector<std::string>{"101.50", "480.2", "481"}));
  EXPECT_EQ(producer.timestamps[0], 1772442930000);
  EXPECT_EQ(summary->published, 3);
  EXPECT_EQ(summary->bad_quotes, 2);  // BCP's "abc" price, BOA's missing price
  const auto counters = AsMap(summary->source_counters);
  EXPECT_EQ(counters.at("polls"), 6);
  EXPECT_EQ(counters.at("malformed_answers"), 2);  // not JSON; quotes not an array
  EXPECT_EQ(counters.at("http_errors"), 1);
  EXPECT_EQ(counters.at("timeouts"), 1);
  EXPECT_EQ(counters.at("bad_quote_items"), 1);  // the 7
  EXPECT_EQ(counters.at("unchanged_skipped"), 1);
}

TEST(PollSource, CountsRefusedConnections) {
  PollOptions options;
  {
    ExchangeServer server({});
    options.url = server.url();  // closed when the server goes away
  }
  options.interval_seconds = 0.01;
  options.timeout_seconds = 0.5;
  options.max_polls = 2;
  auto source = PollSource::Create(options);
  ASSERT_TRUE(source.has_value());
  CaptureProducer producer;
  std::atomic<bool> stop{false};
  auto summary = RunFeed(**source, producer, FeedOptions{}, {}, stop);
  ASSERT_TRUE(summary.has_value());
  EXPECT_EQ(AsMap(summary->source_counters).at("connection_errors"), 2);
  EXPECT_EQ(summary->published, 0);
}

TEST(PollOptions, RejectsUnknownFieldsAndBadIntervals) {
  PollOptions options;
  options.url = "http://127.0.0.1:1/";
  options.field_map = {{"prix", "last"}};
  EXPECT_EQ(PollSource::Create(options).error().field(), "field_map.prix");
  options.field_map.clear();
  options.interval_seconds = 0;
  EXPECT_EQ(PollSource::Create(options).error().field(), "interval_seconds");
}

}  // namespace
}  // namespace pfopt::stream
