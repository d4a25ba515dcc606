// The in-process bus: Kafka's model (partitioned logs, offsets, groups, commits) in memory.
//
// Records are shared immutable values: publishing allocates the record once and every consumer
// reads the same object. Publishing and polling are thread-safe (one mutex per partition), so a
// source thread can feed the stream thread. Not durable: the logs live as long as the bus.
//
// Retention: a partition keeps the messages that some live consumer of a subscribed group has
// not read yet (and, with retain_uncommitted, that its group has not committed), so memory is
// bounded by the consumers' lag; a topic no group subscribes to keeps nothing.
// Groups: one live member per group (all partitions are assigned to it); committed offsets
// outlive the member, so a new consumer of the group resumes where the last commit left it.
#ifndef PFOPT_SERVICES_STREAM_BUS_IN_PROCESS_BUS_H_
#define PFOPT_SERVICES_STREAM_BUS_IN_PROCESS_BUS_H_

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "services/stream/bus/bus.h"

namespace pfopt::stream {

struct InProcessBusOptions {
  TopicNames topics;
  // Partitions of every topic (>= 1). 1 by default: one process owns everything anyway.
  int32_t partitions = 1;
  // Back-pressure for producers made with block_when_full: Publish waits while a live consumer
  // is more than this many messages behind on the partition. Default 65536.
  int64_t max_backlog = 65536;
  // Keep messages until the groups have committed past them (tests of restarts: a new consumer
  // re-reads what a dropped one polled without committing). Default false.
  bool retain_uncommitted = false;

  Status Validate() const;
};

class InProcessBus final : public Bus {
 public:
  static Result<std::unique_ptr<InProcessBus>> Create(const InProcessBusOptions& options = {});
  ~InProcessBus() override;

  Result<std::unique_ptr<Producer>> CreateProducer(const ProducerOptions& options = {}) override;
  Result<std::unique_ptr<Consumer>> CreateConsumer(const std::string& group) override;
  Result<int32_t> Partitions(Topic topic) override;
  const TopicNames& topic_names() const override { return options_.topics; }

  // Messages currently held (all topics), for tests of retention.
  int64_t RetainedMessages();
  // Wakes every blocked Publish and Poll; later Publish calls fail. For shutdown.
  void Close();

 private:
  class InProcessProducer;
  class InProcessConsumer;
  struct Entry {
    std::string key;
    int64_t timestamp_ms;
    std::shared_ptr<const Record> record;
    int64_t trace_ns;
  };
  struct PartitionLog {
    std::mutex mutex;
    std::condition_variable space;  // back-pressure waiters
    std::deque<Entry> entries;
    int64_t base = 0;  // offset of entries.front()
    int64_t end() const { return base + static_cast<int64_t>(entries.size()); }
  };
  struct Member {
    std::vector<TopicPartition> assignment;
    std::map<TopicPartition, int64_t> positions;  // next offset to read
  };
  struct Group {
    std::set<Topic> topics;
    std::map<TopicPartition, int64_t> committed;
    Member* member = nullptr;  // the live member, if any
  };

  explicit InProcessBus(const InProcessBusOptions& options);
  PartitionLog& Log(TopicPartition tp) {
    return *logs_[static_cast<std::size_t>(tp.topic)][static_cast<std::size_t>(tp.partition)];
  }
  Status Append(TopicPartition tp, Entry entry, bool block_when_full);
  // The lowest offset that must stay in the partition (groups_mutex_ held).
  int64_t RetainFrom(TopicPartition tp) const;
  void Trim(TopicPartition tp);

  InProcessBusOptions options_;
  std::array<std::vector<std::unique_ptr<PartitionLog>>, kNumTopics> logs_;
  std::mutex groups_mutex_;  // groups_, subscribed_, members' positions
  std::map<std::string, Group> groups_;
  std::array<std::atomic<bool>, kNumTopics> subscribed_{};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  std::atomic<uint64_t> version_{0};
  std::atomic<int> waiters_{0};
  std::atomic<bool> closed_{false};
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_BUS_IN_PROCESS_BUS_H_
