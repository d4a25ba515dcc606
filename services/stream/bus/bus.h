// The message bus between the rebalancer's stages: one interface, two implementations.
//
// - InProcessBus (in_process_bus.h): topics are in-memory logs in this process; records move as
//   shared immutable values, nothing is serialised. The embedded default, and what unit tests use.
// - KafkaBus (kafka_bus.h): librdkafka; records are Avro-encoded on the way out and decoded on
//   the way in (a message that does not decode is delivered with `record` null and `error` set,
//   for the dead-letter topic).
//
// Both follow Kafka's model, so the stages and the Rebalancer run unchanged on either: topics
// with partitions, messages with offsets, keyed partitioning (PartitionForKey), consumer groups
// with assignment callbacks, committed offsets.
#ifndef PFOPT_SERVICES_STREAM_BUS_BUS_H_
#define PFOPT_SERVICES_STREAM_BUS_BUS_H_

#include <chrono>
#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "pfopt/core/error.h"
#include "services/stream/records.h"

namespace pfopt::stream {

struct Message {
  Topic topic = Topic::kPrices;
  int32_t partition = 0;
  int64_t offset = -1;
  int64_t timestamp_ms = 0;  // the producer's timestamp (event time where one exists)
  std::string key;
  std::shared_ptr<const Record> record;  // null when the bytes did not decode
  std::string raw;                       // the bytes, when they did not decode
  std::string error;                     // why they did not decode
  // Steady-clock nanoseconds at which the tick that caused this message entered the process, for
  // latency figures (0 = unknown; not carried over Kafka).
  int64_t trace_ns = 0;
};

struct TopicPartition {
  Topic topic = Topic::kPrices;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;  // NOLINT(modernize-use-nullptr)
};

struct ProducerOptions {
  // In-process bus only: Publish waits while the consumers are more than the bus's backlog limit
  // behind (back-pressure for a source thread). Never set it on a stage's own producer.
  bool block_when_full = false;
};

class Producer {
 public:
  virtual ~Producer() = default;
  // Queues a message for `topic`, partitioned by `key`. Errors: the record cannot be encoded,
  // the bus is closed or its queue stays full.
  virtual Status Publish(Topic topic, std::string key, int64_t timestamp_ms,
                         std::shared_ptr<const Record> record, int64_t trace_ns = 0) = 0;
  // Waits until every queued message is acknowledged (durable). Errors: timeout, or messages
  // that failed delivery since the last Flush.
  virtual Status Flush(std::chrono::milliseconds timeout) = 0;
};

// Start-offset values for OnAssigned besides real offsets: the group's committed offset (else
// the consumer's reset policy), or the first offset the partition still holds.
inline constexpr int64_t kCommittedOffset = -1001;
inline constexpr int64_t kBeginningOffset = -1002;

// Called on the polling thread, inside Subscribe / Poll / Close.
class AssignmentListener {
 public:
  virtual ~AssignmentListener() = default;
  // Partitions given to this member; returns the offset to start each from (or
  // kCommittedOffset), same order.
  virtual std::vector<int64_t> OnAssigned(const std::vector<TopicPartition>& partitions) = 0;
  // Partitions about to be taken away: the last moment to checkpoint their state and commit.
  virtual void OnRevoked(const std::vector<TopicPartition>& partitions) = 0;
};

class Consumer {
 public:
  virtual ~Consumer() = default;
  // Joins the group for these topics. The listener must outlive the consumer.
  virtual Status Subscribe(const std::vector<Topic>& topics, AssignmentListener* listener) = 0;
  // Appends up to `max_messages` messages to *out, waiting at most `timeout` for the first.
  virtual Status Poll(std::chrono::milliseconds timeout, std::size_t max_messages,
                      std::vector<Message>* out) = 0;
  // Commits, for each partition, the offset of the next message to read. Synchronous.
  virtual Status Commit(const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets) = 0;
  // True when, as of the last Poll, every assigned partition has been read to its end.
  virtual bool AtEnd() const = 0;
  // The offset the next message of the partition will get (its high watermark). May be called
  // inside OnAssigned. Errors: no metadata within the bus's timeout.
  virtual Result<int64_t> EndOffset(TopicPartition partition) = 0;
  // Stops fetching from these partitions (until they are reassigned); their unread messages stay
  // for the next reader.
  virtual Status Pause(const std::vector<TopicPartition>& partitions) = 0;
  // Leaves the group (OnRevoked runs first). Idempotent.
  virtual void Close() = 0;
};

class Bus {
 public:
  virtual ~Bus() = default;
  virtual Result<std::unique_ptr<Producer>> CreateProducer(const ProducerOptions& options = {}) = 0;
  virtual Result<std::unique_ptr<Consumer>> CreateConsumer(const std::string& group) = 0;
  // Number of partitions of a topic. Errors: unknown topic / no metadata.
  virtual Result<int32_t> Partitions(Topic topic) = 0;
  virtual const TopicNames& topic_names() const = 0;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_BUS_BUS_H_
