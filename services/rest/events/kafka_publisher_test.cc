// The outbox publisher against librdkafka's mock cluster (real Kafka protocol over loopback,
// 3 brokers): every event arrives once, and events written while the cluster is down arrive
// once it is back.
#include "services/rest/events/kafka_publisher.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "services/common/testing/mock_kafka_cluster.h"
#include "services/rest/events/event.h"
#include "services/rest/testing/test_databases.h"

namespace pfopt::rest {
namespace {

using namespace std::chrono_literals;

constexpr const char* kTopic = "portfolio-optimized";
constexpr int kPartitions = 3;

// Reads every partition from the beginning; event_id -> (count, payload).
class Consumer {
 public:
  explicit Consumer(const std::string& bootstraps) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char error[256];
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), error, sizeof(error));
    rd_kafka_conf_set(conf, "group.id", "pfopt-test", error, sizeof(error));
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof(error));
    rd_kafka_conf_set(conf, "log_level", "0", error, sizeof(error));
    handle_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof(error));
    rd_kafka_poll_set_consumer(handle_);
    rd_kafka_topic_partition_list_t* partitions = rd_kafka_topic_partition_list_new(kPartitions);
    for (int p = 0; p < kPartitions; ++p) {
      rd_kafka_topic_partition_list_add(partitions, kTopic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(handle_, partitions);
    rd_kafka_topic_partition_list_destroy(partitions);
  }
  ~Consumer() {
    rd_kafka_consumer_close(handle_);
    rd_kafka_destroy(handle_);
  }
  // Polls until `count` distinct events were seen or the timeout passed.
  void ReadUntil(std::size_t count, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (seen.size() < count && std::chrono::steady_clock::now() < end) Poll(100);
    // A little longer, to catch duplicates arriving late.
    const auto tail = std::chrono::steady_clock::now() + 300ms;
    while (std::chrono::steady_clock::now() < tail) Poll(50);
  }
  std::map<std::string, std::pair<int, std::string>> seen;

 private:
  void Poll(int ms) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(handle_, ms);
    if (m == nullptr) return;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const std::string payload(static_cast<const char*>(m->payload), m->len);
      const std::string id = nlohmann::json::parse(payload)["event_id"];
      auto& entry = seen[id];
      ++entry.first;
      entry.second = payload;
      const std::string key(static_cast<const char*>(m->key), m->key_len);
      keys[id] = key;
    }
    rd_kafka_message_destroy(m);
  }

 public:
  std::map<std::string, std::string> keys;

 private:
  rd_kafka_t* handle_ = nullptr;
};

class KafkaPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto storage = OpenStorage(database_.url(), StorageOptions{});
    ASSERT_TRUE(storage) << storage.error().ToString();
    storage_ = std::move(*storage);
  }
  // Saves a result and its event as the handlers do; returns the event.
  OutboxEvent Save(int i) {
    service::OptimizationResponse response;
    response.portfolio_id = "p" + std::to_string(i % 7);
    response.optimal_weights = {{"a", 0.5}, {"b", 0.5}};
    response.expected_return = 0.01 * i;
    response.expected_volatility = 0.1;
    response.sharpe_ratio = 0.1 * i;
    response.convergence_status = OptimizationStatus::kOptimal;
    StoredResult result;
    result.id = NewUuid();
    result.portfolio_id = response.portfolio_id;
    result.created_at = Now();
    result.optimal_weights_json = R"({"a":0.5,"b":0.5})";
    const OutboxEvent event = MakePortfolioOptimizedEvent(response, result.id, result.created_at);
    EXPECT_TRUE(storage_->SaveResult(result, event));
    return event;
  }
  bool WaitForOutboxEmpty(std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      if (storage_->CountUnpublished().value_or(-1) == 0) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  testing::TestDatabase database_{"sqlite"};
  std::unique_ptr<Storage> storage_;
  pfopt::testing::MockKafkaCluster cluster_{3, {kTopic}, kPartitions};
};

TEST_F(KafkaPublisherTest, EveryEventArrivesOnceWithItsKey) {
  std::map<std::string, OutboxEvent> written;
  for (int i = 0; i < 50; ++i) {
    OutboxEvent e = Save(i);
    written[e.event_id] = e;
  }
  KafkaPublisherOptions options;
  options.brokers = cluster_.bootstraps();
  auto publisher = KafkaPublisher::Create(storage_.get(), options);
  ASSERT_TRUE(publisher) << publisher.error().ToString();
  (*publisher)->Start();
  for (int i = 50; i < 100; ++i) {  // more while it runs
    OutboxEvent e = Save(i);
    written[e.event_id] = e;
    (*publisher)->Notify();
  }
  ASSERT_TRUE(WaitForOutboxEmpty(30s)) << (*publisher)->stats().last_error;
  Consumer consumer(cluster_.bootstraps());
  consumer.ReadUntil(written.size(), 30s);
  ASSERT_EQ(consumer.seen.size(), written.size());
  for (const auto& [id, event] : written) {
    ASSERT_TRUE(consumer.seen.count(id)) << id;
    EXPECT_EQ(consumer.seen[id].first, 1) << "event " << id << " arrived more than once";
    EXPECT_EQ(nlohmann::json::parse(consumer.seen[id].second),
              nlohmann::json::parse(event.payload));
    EXPECT_EQ(consumer.keys[id], event.portfolio_id);
  }
  EXPECT_EQ((*publisher)->stats().published, 100);
  (*publisher)->Stop(1000);
}

TEST_F(KafkaPublisherTest, AnOutageDelaysEventsButLosesNone) {
  KafkaPublisherOptions options;
  options.brokers = cluster_.bootstraps();
  options.poll_interval_ms = 50;
  auto publisher = KafkaPublisher::Create(storage_.get(), options);
  ASSERT_TRUE(publisher);
  (*publisher)->Start();
  std::set<std::string> written;
  for (int i = 0; i < 20; ++i) written.insert(Save(i).event_id);
  (*publisher)->Notify();
  ASSERT_TRUE(WaitForOutboxEmpty(30s)) << (*publisher)->stats().last_error;

  cluster_.SetDown(true);
  for (int i = 20; i < 80; ++i) {
    written.insert(Save(i).event_id);
    (*publisher)->Notify();
    std::this_thread::sleep_for(10ms);
  }
  std::this_thread::sleep_for(2s);                     // the cluster stays away for a while
  EXPECT_GT(storage_->CountUnpublished().value(), 0);  // held in the outbox, not dropped
  cluster_.SetDown(false);
  for (int i = 80; i < 100; ++i) written.insert(Save(i).event_id);
  (*publisher)->Notify();
  ASSERT_TRUE(WaitForOutboxEmpty(60s)) << (*publisher)->stats().last_error;

  Consumer consumer(cluster_.bootstraps());
  consumer.ReadUntil(written.size(), 30s);
  int duplicates = 0;
  for (const std::string& id : written) {
    ASSERT_TRUE(consumer.seen.count(id)) << "lost event " << id;
    duplicates += consumer.seen[id].first - 1;
  }
  EXPECT_EQ(consumer.seen.size(), written.size());
  EXPECT_EQ(duplicates, 0);
  (*publisher)->Stop(1000);
}

TEST(KafkaPublisherOptions, DefaultsNeedBrokers) {
  KafkaPublisherOptions options;
  EXPECT_FALSE(options.Validate());
  options.brokers = "127.0.0.1:9092";
  EXPECT_TRUE(options.Validate());
  EXPECT_EQ(options.topic, "portfolio-optimized");
}

}  // namespace
}  // namespace pfopt::rest
