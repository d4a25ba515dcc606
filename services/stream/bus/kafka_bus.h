// The Kafka bus (librdkafka): records Avro-encoded (optionally in the Confluent wire format),
// keyed partitioning with the Java-compatible murmur2 partitioner, consumer groups with the
// range assignor (co-partitioned topics go to the same member), manual commits.
//
// Producer defaults are those of the original system: acks=all, enable.idempotence=true,
// compression.codec=gzip, linger.ms=200, batch.size=16384; every librdkafka property can be
// overridden (producer_config / consumer_config, `--kafka-config key=value`). Consumer defaults:
// enable.auto.commit=false (the Rebalancer commits after its checkpoints),
// enable.partition.eof=true (drains), partition.assignment.strategy=range, isolation.level=
// read_committed, queued.min.messages=1000000 (prefetch bounded by queued.max.messages.kbytes,
// 64 MiB, instead of pausing at 100 000 messages).
// Topics must exist (the rdkafka mock helper of the tests creates them); Partitions() reads
// their metadata.
#ifndef PFOPT_SERVICES_STREAM_BUS_KAFKA_BUS_H_
#define PFOPT_SERVICES_STREAM_BUS_KAFKA_BUS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "services/stream/avro/avro_codec.h"
#include "services/stream/bus/bus.h"

namespace pfopt::stream {

struct KafkaBusOptions {
  std::string brokers;  // bootstrap.servers, e.g. "127.0.0.1:9092"
  TopicNames topics;
  WireFormat wire;
  // librdkafka properties applied after the defaults (so they override them).
  std::map<std::string, std::string> producer_config;
  std::map<std::string, std::string> consumer_config;
  // Timeout of metadata and watermark queries, ms. Default 10 000.
  int metadata_timeout_ms = 10000;
  // Consumers decode the second half of a polled batch of at least 256 messages on a helper
  // thread of their own (order and results are the same either way). Off: every record is
  // decoded on the polling thread.
  bool parallel_decode = true;
  // How quotes (BourseData) are encoded and decoded: directly (the default) or through avro-c's
  // generic values; the same bytes either way (avro/avro_codec.h).
  QuotePath quote_path = QuotePath::kFlat;

  Status Validate() const;
};

class KafkaBus final : public Bus {
 public:
  // Errors: invalid options, a property librdkafka rejects (named).
  static Result<std::unique_ptr<KafkaBus>> Create(const KafkaBusOptions& options);
  ~KafkaBus() override;

  // Each producer is used by one thread (the feed's, or the stream loop's).
  Result<std::unique_ptr<Producer>> CreateProducer(const ProducerOptions& options = {}) override;
  Result<std::unique_ptr<Consumer>> CreateConsumer(const std::string& group) override;
  // Errors: the topic does not exist, or no metadata within the timeout.
  Result<int32_t> Partitions(Topic topic) override;
  const TopicNames& topic_names() const override { return options_.topics; }
  const KafkaBusOptions& options() const { return options_; }

 private:
  class KafkaProducer;
  class KafkaConsumer;
  explicit KafkaBus(const KafkaBusOptions& options) : options_(options) {}
  KafkaBusOptions options_;
  std::mutex metadata_mutex_;
  void* metadata_handle_ = nullptr;  // rd_kafka_t* used for metadata queries
  std::map<Topic, int32_t> partitions_;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_BUS_KAFKA_BUS_H_
