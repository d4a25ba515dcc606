// KafkaBus against librdkafka's mock cluster (in process, real protocol over loopback): a
// consumer returns every record of a partition in order, decoded, with the undecodable ones
// kept as raw bytes and a reason, and does so identically whether large batches are decoded on
// one thread or on two (KafkaBusOptions::parallel_decode).
#include "services/stream/bus/kafka_bus.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "services/common/testing/mock_kafka_cluster.h"

namespace pfopt::stream {
namespace {

using namespace std::chrono_literals;

// Publishes bytes that are not Avro straight to the prices topic.
void PublishRaw(const std::string& bootstraps, const std::vector<std::string>& payloads) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[256];
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps.c_str(), error, sizeof(error));
  rd_kafka_conf_set(conf, "log_level", "0", error, sizeof(error));
  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    EXPECT_EQ(m->err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(m->err);
  });
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  ASSERT_NE(producer, nullptr) << error;
  const std::string topic = TopicNames()[Topic::kPrices];
  for (const std::string& payload : payloads) {
    const rd_kafka_resp_err_t err = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_VALUE(const_cast<char*>(payload.data()), payload.size()),
        RD_KAFKA_V_KEY("bad", 3), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  ASSERT_EQ(rd_kafka_flush(producer, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_destroy(producer);
}

BourseData Quote(int i) {
  BourseData quote;
  quote.ticker = "T" + std::to_string(i % 7);
  quote.field_cours_courant = std::to_string(100 + i) + ".25";
  quote.field_transact_time = std::to_string(1700000000000LL + i);
  quote.label = "label of quote " + std::to_string(i) + " (long enough to leave the SSO buffer)";
  return quote;
}

class FromBeginning final : public AssignmentListener {
 public:
  std::vector<int64_t> OnAssigned(const std::vector<TopicPartition>& partitions) override {
    return std::vector<int64_t>(partitions.size(), kBeginningOffset);
  }
  void OnRevoked(const std::vector<TopicPartition>&) override {}
};

// Everything on the prices topic, read by a new group in batches of up to 4096.
std::vector<Message> ReadAll(const std::string& bootstraps, bool parallel_decode,
                             std::size_t expected) {
  KafkaBusOptions options;
  options.brokers = bootstraps;
  options.parallel_decode = parallel_decode;
  options.consumer_config = {{"log_level", "0"}};
  auto bus = KafkaBus::Create(options);
  EXPECT_TRUE(bus) << bus.error().ToString();
  if (!bus) return {};
  auto consumer = (*bus)->CreateConsumer(parallel_decode ? "two-threads" : "one-thread");
  EXPECT_TRUE(consumer);
  if (!consumer) return {};
  FromBeginning listener;
  EXPECT_TRUE((*consumer)->Subscribe({Topic::kPrices}, &listener));
  std::vector<Message> messages;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (messages.size() < expected && std::chrono::steady_clock::now() < deadline) {
    EXPECT_TRUE((*consumer)->Poll(200ms, 4096, &messages));
  }
  (*consumer)->Close();
  return messages;
}

TEST(KafkaBus, BatchesDecodeInOrderOnOneThreadOrTwo) {
  const TopicNames names;
  const testing::MockKafkaCluster cluster(
      1, std::vector<std::string>(names.names.begin(), names.names.end()), 1);
  const std::string bootstraps = cluster.bootstraps();
  // 1500 quotes in three flushed runs with undecodable bytes between them: the consumer's
  // batches are large (the parallel path) and the bad records sit inside them.
  KafkaBusOptions options;
  options.brokers = bootstraps;
  auto bus = KafkaBus::Create(options);
  ASSERT_TRUE(bus) << bus.error().ToString();
  auto producer = (*bus)->CreateProducer();
  ASSERT_TRUE(producer);
  std::vector<int> sequence;  // quote number, or -1 for a bad record
  int next = 0;
  for (int run = 0; run < 3; ++run) {
    for (int i = 0; i < 500; ++i, ++next) {
      BourseData quote = Quote(next);
      const std::string key = quote.ticker;
      ASSERT_TRUE((*producer)->Publish(Topic::kPrices, key, 1700000000000LL + next,
                                       std::make_shared<const Record>(std::move(quote)), 0));
      sequence.push_back(next);
    }
    ASSERT_TRUE((*producer)->Flush(10s));
    if (run < 2) {
      PublishRaw(bootstraps, {"not avro", std::string(3, '\xff')});
      sequence.push_back(-1);
      sequence.push_back(-1);
    }
  }

  const std::vector<Message> two = ReadAll(bootstraps, /*parallel_decode=*/true, sequence.size());
  const std::vector<Message> one = ReadAll(bootstraps, /*parallel_decode=*/false, sequence.size());
  ASSERT_EQ(two.size(), sequence.size());
  ASSERT_EQ(one.size(), sequence.size());
  for (std::size_t k = 0; k < sequence.size(); ++k) {
    SCOPED_TRACE(k);
    for (const std::vector<Message>* read : {&two, &one}) {
      const Message& m = (*read)[k];
      EXPECT_EQ(m.offset, static_cast<int64_t>(k));
      if (sequence[k] < 0) {
        EXPECT_EQ(m.record, nullptr);
        EXPECT_FALSE(m.error.empty());
        EXPECT_FALSE(m.raw.empty());
        EXPECT_EQ(m.key, "bad");
        continue;
      }
      ASSERT_NE(m.record, nullptr) << m.error;
      const auto* quote = std::get_if<BourseData>(m.record.get());
      ASSERT_NE(quote, nullptr);
      const BourseData expected = Quote(sequence[k]);
      EXPECT_EQ(quote->ticker, expected.ticker);
      EXPECT_EQ(m.key, expected.ticker);
      EXPECT_EQ(quote->field_cours_courant, expected.field_cours_courant);
      EXPECT_EQ(quote->field_transact_time, expected.field_transact_time);
      EXPECT_EQ(quote->label, expected.label);
      EXPECT_EQ(m.timestamp_ms, 1700000000000LL + sequence[k]);
    }
    EXPECT_EQ(two[k].raw, one[k].raw);
    EXPECT_EQ(two[k].error, one[k].error);
  }
}

}  // namespace
}  // namespace pfopt::stream
