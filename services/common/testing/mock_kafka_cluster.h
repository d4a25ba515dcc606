// Test helper: librdkafka's mock cluster in the test process (rdkafka_mock.h: the real Kafka
// protocol over loopback sockets), with its topics, for tests of our Kafka clients.
#ifndef PFOPT_SERVICES_COMMON_TESTING_MOCK_KAFKA_CLUSTER_H_
#define PFOPT_SERVICES_COMMON_TESTING_MOCK_KAFKA_CLUSTER_H_

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>
#include <vector>

namespace pfopt::testing {

class MockKafkaCluster {
 public:
  // `brokers` brokers; each topic with `partitions` partitions, replicated on every broker.
  MockKafkaCluster(int brokers, const std::vector<std::string>& topics, int partitions)
      : brokers_(brokers) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    char error[256];
    rd_kafka_conf_set(conf, "log_level", "0", error, sizeof(error));
    handle_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
    cluster_ = rd_kafka_mock_cluster_new(handle_, brokers);
    for (const std::string& topic : topics) {
      rd_kafka_mock_topic_create(cluster_, topic.c_str(), partitions, brokers);
    }
  }
  ~MockKafkaCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(handle_);
  }
  MockKafkaCluster(const MockKafkaCluster&) = delete;
  MockKafkaCluster& operator=(const MockKafkaCluster&) = delete;

  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }

  // Takes every broker down (connections refused) or brings them back.
  void SetDown(bool down) {
    for (int broker = 1; broker <= brokers_; ++broker) {
      if (down) {
        rd_kafka_mock_broker_set_down(cluster_, broker);
      } else {
        rd_kafka_mock_broker_set_up(cluster_, broker);
      }
    }
  }

 private:
  int brokers_;
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

}  // namespace pfopt::testing

#endif  // PFOPT_SERVICES_COMMON_TESTING_MOCK_KAFKA_CLUSTER_H_
