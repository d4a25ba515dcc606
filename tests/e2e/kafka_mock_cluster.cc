// pfopt_kafka_mock: a Kafka cluster for tests and benchmarks, from librdkafka's mock cluster
// (rdkafka_mock.h): N brokers on 127.0.0.1, the given topics created with P partitions.
//
//   pfopt_kafka_mock [--brokers 3] [--partitions 3] [--topics t1,t2,...] [--until-signal]
//
// Prints the bootstrap servers on stdout (one line), then serves until SIGTERM/SIGINT or, unless
// --until-signal, until stdin reaches end of file (so it dies with the pipe of its parent). Not a
// Kafka: transactions are incomplete and each partition keeps only a few MiB (PLATFORM_NOTES); use
// it for function, not for latency figures.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Usage() {
  std::fprintf(stderr,
               "usage: pfopt_kafka_mock [--brokers N] [--partitions P] [--topics a,b,c] "
               "[--until-signal]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 3, partitions = 3;
  std::vector<std::string> topics;
  bool until_signal = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--until-signal") {
      until_signal = true;
      continue;
    }
    if (i + 1 >= argc) return Usage();
    const std::string value = argv[++i];
    if (arg == "--brokers") {
      brokers = std::atoi(value.c_str());
    } else if (arg == "--partitions") {
      partitions = std::atoi(value.c_str());
    } else if (arg == "--topics") {
      std::stringstream list(value);
      for (std::string topic; std::getline(list, topic, ',');) {
        if (!topic.empty()) topics.push_back(topic);
      }
    } else {
      return Usage();
    }
  }
  if (brokers < 1 || partitions < 1) return Usage();
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof(error));
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (rk == nullptr) {
    std::fprintf(stderr, "pfopt_kafka_mock: %s\n", error);
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (cluster == nullptr) {
    std::fprintf(stderr, "pfopt_kafka_mock: cannot create the mock cluster\n");
    return 1;
  }
  for (const std::string& topic : topics) {
    const rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(cluster, topic.c_str(), partitions, std::min(brokers, 3));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::fprintf(stderr, "pfopt_kafka_mock: topic %s: %s\n", topic.c_str(),
                   rd_kafka_err2str(err));
      return 1;
    }
  }
  std::printf("%s\n", rd_kafka_mock_cluster_bootstraps(cluster));
  std::fflush(stdout);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  pollfd input{STDIN_FILENO, POLLIN, 0};
  while (!g_stop) {
    const int ready = until_signal ? ::poll(nullptr, 0, 200) : ::poll(&input, 1, 200);
    if (ready > 0) {
      char buffer[256];
      if (::read(STDIN_FILENO, buffer, sizeof(buffer)) <= 0) break;  // stdin closed
    }
  }
  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(rk);
  return 0;
}
