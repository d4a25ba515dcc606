#include "services/stream/bus/in_process_bus.h"

#include <algorithm>
#include <limits>

namespace pfopt::stream {

namespace {
// Trim a partition once this many read messages have piled up in front of its slowest reader.
constexpr int64_t kTrimEvery = 1024;
}  // namespace

Status InProcessBusOptions::Validate() const {
  PFOPT_RETURN_IF_ERROR(topics.Validate());
  if (partitions < 1 || partitions > 1024) {
    return InvalidArgument("partitions is " + std::to_string(partitions) + "; it must be 1..1024",
                           "partitions");
  }
  if (max_backlog < 1) {
    return InvalidArgument("max_backlog must be >= 1", "max_backlog");
  }
  return Ok();
}

class InProcessBus::InProcessProducer final : public Producer {
 public:
  InProcessProducer(InProcessBus* bus, const ProducerOptions& options)
      : bus_(bus), options_(options) {}

  Status Publish(Topic topic, std::string key, int64_t timestamp_ms,
                 std::shared_ptr<const Record> record, int64_t trace_ns) override {
    const int32_t partition = PartitionForKey(key, bus_->options_.partitions);
    return bus_->Append({topic, partition},
                        Entry{std::move(key), timestamp_ms, std::move(record), trace_ns},
                        options_.block_when_full);
  }
  Status Flush(std::chrono::milliseconds) override { return Ok(); }

 private:
  InProcessBus* bus_;
  ProducerOptions options_;
};

class InProcessBus::InProcessConsumer final : public Consumer {
 public:
  InProcessConsumer(InProcessBus* bus, std::string group) : bus_(bus), group_(std::move(group)) {}
  ~InProcessConsumer() override { Close(); }

  Status Subscribe(const std::vector<Topic>& topics, AssignmentListener* listener) override {
    if (subscribed_) return InvalidArgument("this consumer has already subscribed");
    {
      std::lock_guard<std::mutex> lock(bus_->groups_mutex_);
      Group& group = bus_->groups_[group_];
      if (group.member != nullptr) {
        return InvalidArgument("group '" + group_ +
                               "' already has a live consumer; the in-process bus has one member "
                               "per group");
      }
      group.member = &member_;
      group.topics.insert(topics.begin(), topics.end());
      member_.assignment.clear();
      for (Topic topic : topics) {
        bus_->subscribed_[static_cast<std::size_t>(topic)] = true;
        for (int32_t p = 0; p < bus_->options_.partitions; ++p) {
          member_.assignment.push_back({topic, p});
        }
      }
    }
    subscribed_ = true;
    listener_ = listener;
    std::vector<int64_t> starts(member_.assignment.size(), kCommittedOffset);
    if (listener_ != nullptr) starts = listener_->OnAssigned(member_.assignment);
    std::lock_guard<std::mutex> lock(bus_->groups_mutex_);
    Group& group = bus_->groups_[group_];
    for (std::size_t i = 0; i < member_.assignment.size(); ++i) {
      const TopicPartition tp = member_.assignment[i];
      int64_t start = i < starts.size() ? starts[i] : kCommittedOffset;
      if (start == kCommittedOffset) {
        auto it = group.committed.find(tp);
        start = it != group.committed.end() ? it->second : kBeginningOffset;
      }
      if (start == kBeginningOffset) {
        PartitionLog& log = bus_->Log(tp);
        std::lock_guard<std::mutex> log_lock(log.mutex);
        start = log.base;
      }
      member_.positions[tp] = start;
    }
    return Ok();
  }

  Status Poll(std::chrono::milliseconds timeout, std::size_t max_messages,
              std::vector<Message>* out) override {
    if (!subscribed_) return InvalidArgument("Poll before Subscribe");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const uint64_t version = bus_->version_.load(std::memory_order_acquire);
      const std::size_t before = out->size();
      bool at_end = true;
      std::vector<TopicPartition> to_trim;
      {
        std::lock_guard<std::mutex> groups_lock(bus_->groups_mutex_);
        // Start at a rotating partition so that a busy one cannot starve the others.
        const std::size_t count = member_.assignment.size();
        const std::size_t first = count == 0 ? 0 : next_start_++ % count;
        for (std::size_t k = 0; k < count; ++k) {
          const TopicPartition& tp = member_.assignment[(first + k) % count];
          if (paused_.count(tp) != 0) continue;
          int64_t& position = member_.positions[tp];
          PartitionLog& log = bus_->Log(tp);
          std::lock_guard<std::mutex> log_lock(log.mutex);
          position = std::max(position, log.base);  // trimmed away under us: skip ahead
          const int64_t end = log.end();
          while (position < end && out->size() - before < max_messages) {
            const Entry& entry = log.entries[static_cast<std::size_t>(position - log.base)];
            Message& message = out->emplace_back();
            message.topic = tp.topic;
            message.partition = tp.partition;
            message.offset = position;
            message.timestamp_ms = entry.timestamp_ms;
            message.key = entry.key;
            message.record = entry.record;
            message.trace_ns = entry.trace_ns;
            ++position;
          }
          at_end = at_end && position == end;
          if (position - log.base >= kTrimEvery) to_trim.push_back(tp);
        }
      }
      at_end_ = at_end;
      for (const TopicPartition& tp : to_trim) bus_->Trim(tp);
      if (out->size() > before || bus_->closed_) return Ok();
      if (std::chrono::steady_clock::now() >= deadline) return Ok();
      std::unique_lock<std::mutex> lock(bus_->wake_mutex_);
      ++bus_->waiters_;
      bus_->wake_.wait_until(lock, deadline, [&] {
        return bus_->version_.load(std::memory_order_acquire) != version || bus_->closed_;
      });
      --bus_->waiters_;
    }
  }

  Status Commit(const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets) override {
    std::lock_guard<std::mutex> lock(bus_->groups_mutex_);
    Group& group = bus_->groups_[group_];
    for (const auto& [tp, offset] : next_offsets) group.committed[tp] = offset;
    return Ok();
  }

  bool AtEnd() const override { return at_end_; }

  Status Pause(const std::vector<TopicPartition>& partitions) override {
    std::lock_guard<std::mutex> lock(bus_->groups_mutex_);
    paused_.insert(partitions.begin(), partitions.end());
    return Ok();
  }

  Result<int64_t> EndOffset(TopicPartition tp) override {
    PartitionLog& log = bus_->Log(tp);
    std::lock_guard<std::mutex> lock(log.mutex);
    return log.end();
  }

  void Close() override {
    if (!subscribed_ || closed_) return;
    closed_ = true;
    if (listener_ != nullptr) listener_->OnRevoked(member_.assignment);
    std::lock_guard<std::mutex> lock(bus_->groups_mutex_);
    Group& group = bus_->groups_[group_];
    if (group.member == &member_) group.member = nullptr;
    if (!bus_->options_.retain_uncommitted) {
      // A topic stays subscribed while some group with a live member reads it.
      for (int t = 0; t < kNumTopics; ++t) {
        bool live = false;
        for (const auto& [name, g] : bus_->groups_) {
          live = live || (g.member != nullptr && g.topics.count(static_cast<Topic>(t)) > 0);
        }
        bus_->subscribed_[static_cast<std::size_t>(t)] = live;
      }
    }
  }

 private:
  InProcessBus* bus_;
  std::string group_;
  Member member_;
  AssignmentListener* listener_ = nullptr;
  std::set<TopicPartition> paused_;
  std::size_t next_start_ = 0;
  bool subscribed_ = false;
  bool closed_ = false;
  bool at_end_ = false;
};

InProcessBus::InProcessBus(const InProcessBusOptions& options) : options_(options) {
  for (auto& topic_logs : logs_) {
    for (int32_t p = 0; p < options_.partitions; ++p) {
      topic_logs.push_back(std::make_unique<PartitionLog>());
    }
  }
  for (auto& flag : subscribed_) flag = false;
}

InProcessBus::~InProcessBus() { Close(); }

Result<std::unique_ptr<InProcessBus>> InProcessBus::Create(const InProcessBusOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<InProcessBus>(new InProcessBus(options));
}

Result<std::unique_ptr<Producer>> InProcessBus::CreateProducer(const ProducerOptions& options) {
  return std::unique_ptr<Producer>(new InProcessProducer(this, options));
}

Result<std::unique_ptr<Consumer>> InProcessBus::CreateConsumer(const std::string& group) {
  if (group.empty()) return InvalidArgument("the consumer group name is empty", "group");
  return std::unique_ptr<Consumer>(new InProcessConsumer(this, group));
}

Result<int32_t> InProcessBus::Partitions(Topic) { return options_.partitions; }

void InProcessBus::Close() {
  closed_ = true;
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    wake_.notify_all();
  }
  for (auto& topic_logs : logs_) {
    for (auto& log : topic_logs) {
      std::lock_guard<std::mutex> lock(log->mutex);
      log->space.notify_all();
    }
  }
}

Status InProcessBus::Append(TopicPartition tp, Entry entry, bool block_when_full) {
  if (closed_) return MakeError(ErrorCode::kIoError, "the in-process bus is closed");
  if (!subscribed_[static_cast<std::size_t>(tp.topic)]) return Ok();  // nobody would read it
  PartitionLog& log = Log(tp);
  {
    std::unique_lock<std::mutex> lock(log.mutex);
    if (block_when_full) {
      while (static_cast<int64_t>(log.entries.size()) >= options_.max_backlog && !closed_) {
        log.space.wait_for(lock, std::chrono::milliseconds(50));
      }
      if (closed_) return MakeError(ErrorCode::kIoError, "the in-process bus is closed");
    }
    log.entries.push_back(std::move(entry));
  }
  version_.fetch_add(1, std::memory_order_acq_rel);
  if (waiters_.load(std::memory_order_acquire) > 0) {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    wake_.notify_all();
  }
  return Ok();
}

int64_t InProcessBus::RetainFrom(TopicPartition tp) const {
  int64_t from = std::numeric_limits<int64_t>::max();
  for (const auto& [name, group] : groups_) {
    if (group.topics.count(tp.topic) == 0) continue;
    if (group.member != nullptr) {
      auto it = group.member->positions.find(tp);
      if (it != group.member->positions.end()) from = std::min(from, it->second);
    }
    if (options_.retain_uncommitted) {
      auto it = group.committed.find(tp);
      from = std::min(from, it != group.committed.end() ? it->second : 0);
    }
  }
  return from;
}

void InProcessBus::Trim(TopicPartition tp) {
  int64_t from;
  {
    std::lock_guard<std::mutex> lock(groups_mutex_);
    from = RetainFrom(tp);
  }
  PartitionLog& log = Log(tp);
  std::lock_guard<std::mutex> lock(log.mutex);
  const int64_t drop = std::min(from, log.end()) - log.base;
  if (drop <= 0) return;
  log.entries.erase(log.entries.begin(), log.entries.begin() + drop);
  log.base += drop;
  log.space.notify_all();
}

int64_t InProcessBus::RetainedMessages() {
  int64_t total = 0;
  for (auto& topic_logs : logs_) {
    for (auto& log : topic_logs) {
      std::lock_guard<std::mutex> lock(log->mutex);
      total += static_cast<int64_t>(log->entries.size());
    }
  }
  return total;
}

}  // namespace pfopt::stream
