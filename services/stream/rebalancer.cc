#include "services/stream/rebalancer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <set>

#include "services/stream/log.h"
#include "services/stream/stages/metrics_stage.h"
#include "services/stream/stages/rebalance_stage.h"
#include "services/stream/stages/statistics_stage.h"
#include "services/stream/state/byte_io.h"

namespace pfopt::stream {

namespace {

using SteadyClock = std::chrono::steady_clock;

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

constexpr std::chrono::milliseconds kFlushTimeout{30000};

}  // namespace

Status RebalancerOptions::Validate() const {
  if (stages.empty()) return InvalidArgument("no stage to run", "stages");
  std::set<StageKind> seen(stages.begin(), stages.end());
  if (seen.size() != stages.size()) return InvalidArgument("a stage is listed twice", "stages");
  PFOPT_RETURN_IF_ERROR(returns.Validate());
  if (checkpoint_interval_ms <= 0) {
    return InvalidArgument("checkpoint interval must be > 0 ms", "checkpoint_interval_ms");
  }
  if (max_ticks < 0) return InvalidArgument("max_ticks must be >= 0", "max_ticks");
  if (!(duration_seconds >= 0.0) || !std::isfinite(duration_seconds)) {
    return InvalidArgument("duration must be >= 0 seconds", "duration_seconds");
  }
  if (drain_quiet_ms < 0) return InvalidArgument("drain_quiet_ms must be >= 0", "drain_quiet_ms");
  if (poll_batch < 1) return InvalidArgument("poll_batch must be >= 1", "poll_batch");
  if (poll_timeout_ms < 0)
    return InvalidArgument("poll_timeout_ms must be >= 0", "poll_timeout_ms");
  if (status_interval_ms < 0) {
    return InvalidArgument("status_interval_ms must be >= 0", "status_interval_ms");
  }
  return Ok();
}

class Rebalancer::LoopEmitter final : public Emitter {
 public:
  explicit LoopEmitter(Rebalancer* owner) : owner_(owner) {}

  void Emit(Topic topic, const std::string& key, int64_t timestamp_ms, Record record,
            int64_t trace_ns) override {
    auto shared = std::make_shared<const Record>(std::move(record));
    for (PublishObserver* observer : owner_->observers_) {
      observer->OnPublished(topic, key, timestamp_ms, *shared);
    }
    owner_->dirty_ = true;
    Status published = owner_->producer_->Publish(topic, key, timestamp_ms, shared, trace_ns);
    if (!published) {
      if (owner_->publish_errors_++ < 10) {
        Log(LogLevel::kError, "stream", "publish failed: " + published.error().message());
      }
    }
  }

  void Reject(const Message& message, const std::string& reason) override {
    const int64_t count = ++owner_->dead_letters_;
    if (count <= 10 || count % 1000 == 0) {
      Log(LogLevel::kWarning, "stream",
          "dead letter #" + std::to_string(count) + " from " +
              owner_->bus_->topic_names()[message.topic] + "[" + std::to_string(message.partition) +
              "]@" + std::to_string(message.offset) + " key '" + message.key + "': " + reason);
    }
    DeadLetter dead;
    dead.source_topic = owner_->bus_->topic_names()[message.topic];
    dead.partition = message.partition;
    dead.offset = message.offset;
    dead.key = message.key;
    dead.reason = reason;
    if (message.record == nullptr) {
      dead.payload = message.raw;
    } else if (!owner_->codecs_.Encode(*message.record, &dead.payload)) {
      dead.payload.clear();
    }
    dead.timestamp_ms = WallClockMs();
    const int64_t timestamp = dead.timestamp_ms;
    Emit(Topic::kDeadLetters, message.key, timestamp, std::move(dead), 0);
  }

  void Alert(const RebalanceAlert& alert) override {
    ++owner_->alerts_;
    for (PublishObserver* observer : owner_->observers_) observer->OnAlert(alert);
  }

 private:
  Rebalancer* owner_;
};

class Rebalancer::Listener final : public AssignmentListener {
 public:
  explicit Listener(Rebalancer* owner) : owner_(owner) {}
  std::vector<int64_t> OnAssigned(const std::vector<TopicPartition>& partitions) override {
    return owner_->Assign(partitions);
  }
  void OnRevoked(const std::vector<TopicPartition>& partitions) override {
    owner_->Revoke(partitions);
  }

 private:
  Rebalancer* owner_;
};

Rebalancer::Rebalancer(const RebalancerOptions& options, std::vector<PortfolioConfig> portfolios,
                       Bus* bus, std::unique_ptr<CheckpointStore> store)
    : options_(options),
      portfolios_(std::move(portfolios)),
      bus_(bus),
      store_(std::move(store)),
      emitter_(std::make_unique<LoopEmitter>(this)),
      listener_(std::make_unique<Listener>(this)) {}

Rebalancer::~Rebalancer() {
  if (thread_.joinable()) {
    Stop();
    thread_.join();
  }
  // A consumer still open (a start that failed after subscribing) revokes its assignment
  // through listener_ and the stages: close it while they are alive.
  consumer_.reset();
}

Result<std::unique_ptr<Rebalancer>> Rebalancer::Create(const RebalancerOptions& options,
                                                       std::vector<PortfolioConfig> portfolios,
                                                       Bus* bus,
                                                       std::unique_ptr<CheckpointStore> store) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  if (bus == nullptr) return InvalidArgument("no bus", "bus");
  if (portfolios.empty()) return InvalidArgument("no portfolio to run", "portfolios");
  std::set<std::string> ids;
  for (const PortfolioConfig& config : portfolios) {
    PFOPT_RETURN_IF_ERROR(config.Validate());
    if (!ids.insert(config.id).second) {
      return InvalidArgument("portfolio '" + config.id + "' is configured twice", "portfolios");
    }
  }
  if (store == nullptr) store = std::make_unique<MemoryCheckpointStore>();
  std::unique_ptr<Rebalancer> rebalancer(
      new Rebalancer(options, std::move(portfolios), bus, std::move(store)));
  Rebalancer& r = *rebalancer;
  std::vector<StageKind> kinds = options.stages;
  std::sort(kinds.begin(), kinds.end());
  for (StageKind kind : kinds) {
    switch (kind) {
      case StageKind::kReturns:
        r.stages_.push_back(std::make_unique<ReturnsStage>(options.returns, r.portfolios_));
        break;
      case StageKind::kStatistics:
        r.stages_.push_back(std::make_unique<StatisticsStage>(r.portfolios_, options.clock));
        break;
      case StageKind::kMetrics:
        r.stages_.push_back(std::make_unique<MetricsStage>(r.portfolios_));
        break;
      case StageKind::kRebalance: {
        auto stage = RebalanceStage::Create(r.portfolios_, options.clock);
        if (!stage) return tl::unexpected(stage.error());
        r.stages_.push_back(std::move(*stage));
        break;
      }
    }
  }
  if (r.options_.group.empty()) {
    r.options_.group = "pfopt-stream";
    for (StageKind kind : kinds) r.options_.group += "-" + std::string(EnumToString(kind));
  }
  for (const auto& stage : r.stages_) {
    int32_t count = -1;
    for (Topic topic : stage->inputs()) {
      auto partitions = bus->Partitions(topic);
      if (!partitions) return tl::unexpected(partitions.error());
      r.partitions_[topic] = *partitions;
      if (count >= 0 && *partitions != count) {
        return InvalidArgument(
            "the inputs of the " + std::string(EnumToString(stage->kind())) +
                " stage must have equal partition counts (they are co-partitioned by key); " +
                bus->topic_names()[topic] + " has " + std::to_string(*partitions) + ", not " +
                std::to_string(count),
            "topics");
      }
      count = *partitions;
    }
  }
  return rebalancer;
}

std::string Rebalancer::UnitName(const Unit& unit) const {
  return std::string(EnumToString(unit.stage->kind())) + "-" + std::to_string(unit.partition);
}

Status Rebalancer::Subscribe() {
  auto producer = bus_->CreateProducer();
  if (!producer) return tl::unexpected(producer.error());
  producer_ = std::move(*producer);
  auto consumer = bus_->CreateConsumer(options_.group);
  if (!consumer) return tl::unexpected(consumer.error());
  consumer_ = std::move(*consumer);
  std::vector<Topic> topics;
  for (const auto& stage : stages_) {
    for (Topic topic : stage->inputs()) {
      if (std::find(topics.begin(), topics.end(), topic) == topics.end()) topics.push_back(topic);
    }
  }
  PFOPT_RETURN_IF_ERROR(consumer_->Subscribe(topics, listener_.get()));
  if (!assign_status_) return assign_status_;
  std::string names;
  for (const auto& stage : stages_)
    names += (names.empty() ? "" : ",") + std::string(EnumToString(stage->kind()));
  Log(LogLevel::kInfo, "stream",
      "stages " + names + ", group '" + options_.group + "', " +
          std::to_string(portfolios_.size()) + " portfolio(s)");
  return Ok();
}

std::vector<int64_t> Rebalancer::Assign(const std::vector<TopicPartition>& partitions) {
  std::vector<int64_t> starts(partitions.size(), kCommittedOffset);
  std::set<std::pair<int, int32_t>> wanted;
  for (const TopicPartition& tp : partitions) {
    for (std::size_t s = 0; s < stages_.size(); ++s) {
      const auto& inputs = stages_[s]->inputs();
      if (std::find(inputs.begin(), inputs.end(), tp.topic) != inputs.end()) {
        wanted.insert({static_cast<int>(s), tp.partition});
      }
    }
  }
  std::vector<std::pair<int, int32_t>> fresh;
  for (const auto& key : wanted) {
    if (units_.count(key) != 0) continue;
    Stage* stage = stages_[static_cast<std::size_t>(key.first)].get();
    Unit unit{stage, key.second, {}};
    const int32_t count = partitions_[stage->inputs().front()];
    auto saved = store_->Load(UnitName(unit));
    if (!saved) {
      assign_status_ = tl::unexpected(saved.error());
      return starts;
    }
    if (!*saved) {
      fresh.push_back(key);
      continue;
    }
    ByteReader in(**saved);
    std::string name, state;
    int32_t partition = -1, saved_count = 0;
    int64_t offsets = 0;
    in.Str(&name);
    in.I32(&partition);
    in.I32(&saved_count);
    if (in.Count(12, &offsets)) {
      for (int64_t i = 0; i < offsets; ++i) {
        int32_t topic = 0;
        int64_t next = 0;
        in.I32(&topic);
        in.I64(&next);
        if (topic >= 0 && topic < kNumTopics) unit.next[static_cast<Topic>(topic)] = next;
      }
    }
    in.Str(&state);
    if (!in.AtEnd() || name != UnitName(unit) || partition != unit.partition) {
      assign_status_ =
          MakeError(ErrorCode::kParseError, "checkpoint " + UnitName(unit) + " does not parse");
      return starts;
    }
    if (saved_count != count) {
      assign_status_ = MakeError(
          ErrorCode::kInvalidArgument,
          "checkpoint " + UnitName(unit) + " was written for " + std::to_string(saved_count) +
              " partitions and the topics now have " + std::to_string(count) +
              "; repartitioning needs fresh state (move the checkpoint directory away)");
      return starts;
    }
    Status opened = stage->Open(unit.partition, count, state, *emitter_);
    if (!opened) {
      assign_status_ = opened;
      return starts;
    }
    Log(LogLevel::kInfo, "stream", "restored " + UnitName(unit));
    units_[key] = std::move(unit);
  }
  // Fresh units start at the policy's offset, fixed before they emit their start-up records
  // (which may land on their own inputs: initial statistics, start-up weights).
  for (const auto& key : fresh) {
    Stage* stage = stages_[static_cast<std::size_t>(key.first)].get();
    Unit unit{stage, key.second, {}};
    for (Topic topic : stage->inputs()) {
      if (options_.from_earliest) {
        unit.next[topic] = 0;
        continue;
      }
      auto end = consumer_->EndOffset({topic, key.second});
      if (!end) {
        assign_status_ = tl::unexpected(end.error());
        return starts;
      }
      unit.next[topic] = *end;
    }
    const int32_t count = partitions_[stage->inputs().front()];
    Status opened = stage->Open(unit.partition, count, std::nullopt, *emitter_);
    if (!opened) {
      assign_status_ = opened;
      return starts;
    }
    units_[key] = std::move(unit);
  }
  for (std::size_t i = 0; i < partitions.size(); ++i) {
    const TopicPartition& tp = partitions[i];
    int64_t start = -1;
    for (const auto& [key, unit] : units_) {
      if (key.second != tp.partition) continue;
      auto it = unit.next.find(tp.topic);
      if (it == unit.next.end()) continue;
      start = start < 0 ? it->second : std::min(start, it->second);
    }
    starts[i] = start < 0 ? kCommittedOffset : (start == 0 ? kBeginningOffset : start);
  }
  dirty_ = true;
  return starts;
}

void Rebalancer::Revoke(const std::vector<TopicPartition>& partitions) {
  if (!abandon_ && dirty_) {
    Status saved = Checkpoint();
    if (!saved) {
      Log(LogLevel::kError, "stream",
          "checkpoint on revocation failed: " + saved.error().message());
    }
  }
  for (auto it = units_.begin(); it != units_.end();) {
    const Unit& unit = it->second;
    const auto& inputs = unit.stage->inputs();
    const bool revoked = std::any_of(partitions.begin(), partitions.end(), [&](const auto& tp) {
      return tp.partition == unit.partition &&
             std::find(inputs.begin(), inputs.end(), tp.topic) != inputs.end();
    });
    if (revoked) {
      unit.stage->Close(unit.partition);
      it = units_.erase(it);
    } else {
      ++it;
    }
  }
}

Status Rebalancer::Checkpoint() {
  const auto start = SteadyClock::now();
  Status flushed = producer_->Flush(kFlushTimeout);
  if (!flushed) {
    return MakeError(ErrorCode::kIoError,
                     "checkpoint: the producer could not deliver everything emitted (" +
                         flushed.error().message() + "); state not saved");
  }
  std::map<TopicPartition, int64_t> commit;
  std::vector<std::pair<std::string, std::string>> blobs;
  for (const auto& [key, unit] : units_) {
    ByteWriter out;
    out.Str(UnitName(unit));
    out.I32(unit.partition);
    out.I32(partitions_[unit.stage->inputs().front()]);
    out.I64(static_cast<int64_t>(unit.next.size()));
    for (const auto& [topic, next] : unit.next) {
      out.I32(static_cast<int32_t>(topic));
      out.I64(next);
      const TopicPartition tp{topic, unit.partition};
      auto it = commit.find(tp);
      commit[tp] = it == commit.end() ? next : std::min(it->second, next);
    }
    out.Str(unit.stage->Save(unit.partition));
    blobs.emplace_back(UnitName(unit), out.Take());
  }
  PFOPT_RETURN_IF_ERROR(store_->SaveAll(blobs));
  std::vector<std::pair<TopicPartition, int64_t>> offsets(commit.begin(), commit.end());
  Status committed = consumer_->Commit(offsets);
  if (!committed) {
    Log(LogLevel::kWarning, "stream",
        "offset commit failed (the checkpoint holds the offsets): " + committed.error().message());
  }
  ++checkpoints_;
  checkpoint_us_ += static_cast<int64_t>(SecondsSince(start) * 1e6);
  dirty_ = false;
  TakeSnapshot();
  return Ok();
}

void Rebalancer::Dispatch(const Message& message) {
  ++messages_;
  if (message.topic == Topic::kPrices) ++ticks_;
  for (std::size_t s = 0; s < stages_.size(); ++s) {
    const auto& inputs = stages_[s]->inputs();
    if (std::find(inputs.begin(), inputs.end(), message.topic) == inputs.end()) continue;
    auto unit = units_.find({static_cast<int>(s), message.partition});
    if (unit == units_.end()) {
      ++skipped_;
      continue;
    }
    int64_t& next = unit->second.next[message.topic];
    if (message.offset < next) {
      ++skipped_;  // already reflected in the restored state
      continue;
    }
    stages_[s]->Process(message, *emitter_);
    next = message.offset + 1;
  }
}

Status Rebalancer::Loop() {
  const auto start = SteadyClock::now();
  auto last_checkpoint = start, last_status = start;
  auto quiet_since = start;
  bool quiet = false;
  std::vector<Message> batch;
  batch.reserve(options_.poll_batch);
  while (!stop_) {
    if (options_.duration_seconds > 0.0 && SecondsSince(start) >= options_.duration_seconds) break;
    batch.clear();
    PFOPT_RETURN_IF_ERROR(consumer_->Poll(std::chrono::milliseconds(options_.poll_timeout_ms),
                                          options_.poll_batch, &batch));
    if (!assign_status_) return assign_status_;
    std::size_t processed = 0;
    for (const Message& message : batch) {
      if (message.topic == Topic::kPrices && options_.max_ticks > 0 &&
          ticks_ >= options_.max_ticks) {
        continue;  // left for the next run (its offset is not advanced)
      }
      Dispatch(message);
      ++processed;
      if (stop_) break;
    }
    const bool ticks_done = options_.max_ticks > 0 && ticks_ >= options_.max_ticks;
    if (ticks_done && !prices_paused_) {
      std::vector<TopicPartition> prices;
      for (const auto& [key, unit] : units_) {
        const auto& inputs = unit.stage->inputs();
        if (std::find(inputs.begin(), inputs.end(), Topic::kPrices) != inputs.end()) {
          prices.push_back({Topic::kPrices, unit.partition});
        }
      }
      PFOPT_RETURN_IF_ERROR(consumer_->Pause(prices));
      prices_paused_ = true;
    }
    if (processed > 0) dirty_ = true;
    const auto now = SteadyClock::now();
    if (dirty_ &&
        now - last_checkpoint >= std::chrono::milliseconds(options_.checkpoint_interval_ms)) {
      PFOPT_RETURN_IF_ERROR(Checkpoint());
      last_checkpoint = now;
    }
    if (options_.status_interval_ms > 0 &&
        now - last_status >= std::chrono::milliseconds(options_.status_interval_ms)) {
      LogStatus(SecondsSince(start));
      last_status = now;
    }
    const bool finishing =
        ticks_done || ((options_.exit_at_end || drain_requested_) && consumer_->AtEnd());
    if (!finishing || processed > 0) {
      quiet = false;
      continue;
    }
    if (!quiet) {
      // Everything emitted so far must reach the bus before silence means "done".
      PFOPT_RETURN_IF_ERROR(producer_->Flush(kFlushTimeout));
      quiet = true;
      quiet_since = SteadyClock::now();
      continue;
    }
    if (SteadyClock::now() - quiet_since >= std::chrono::milliseconds(options_.drain_quiet_ms)) {
      break;
    }
  }
  LogStatus(SecondsSince(start));
  return Ok();
}

Status Rebalancer::Finish() {
  Status status = Ok();
  if (!options_.checkpoint_on_exit) abandon_ = true;
  if (!abandon_ && consumer_ != nullptr) status = Checkpoint();
  if (consumer_ != nullptr) {
    final_state_ = DescribeLive();
    consumer_->Close();
  }
  if (!abandon_ && producer_ != nullptr) {
    Status flushed = producer_->Flush(kFlushTimeout);
    if (status && !flushed) status = flushed;
  }
  TakeSnapshot();
  return status;
}

Status Rebalancer::Start() {
  if (started_) return InvalidArgument("the rebalancer has already started");
  started_ = true;
  std::promise<Status> subscribed;
  auto ready = subscribed.get_future();
  thread_ = std::thread([this, &subscribed] {
    Status status = Subscribe();
    const bool ok = status.has_value();
    subscribed.set_value(status);
    if (!ok) {
      loop_status_ = status;
      finished_ = true;
      return;
    }
    Status looped = Loop();
    Status finished = Finish();
    loop_status_ = !looped ? looped : finished;
    if (!loop_status_) Log(LogLevel::kError, "stream", loop_status_.error().ToString());
    finished_ = true;
  });
  Status status = ready.get();
  if (!status) {
    thread_.join();
    return status;
  }
  return Ok();
}

void Rebalancer::Stop() { stop_ = true; }

void Rebalancer::Abandon() {
  abandon_ = true;
  stop_ = true;
}

Status Rebalancer::Wait() {
  if (thread_.joinable()) thread_.join();
  return loop_status_;
}

Status Rebalancer::Run() {
  if (started_) return InvalidArgument("the rebalancer has already started");
  started_ = true;
  PFOPT_RETURN_IF_ERROR(Subscribe());
  Status looped = Loop();
  Status finished = Finish();
  loop_status_ = !looped ? looped : finished;
  finished_ = true;
  return loop_status_;
}

void Rebalancer::TakeSnapshot() {
  std::vector<std::pair<std::string, int64_t>> counters = {
      {"messages", messages_},
      {"price_ticks", ticks_},
      {"skipped_already_processed", skipped_},
      {"dead_letters", dead_letters_},
      {"alerts", alerts_},
      {"publish_errors", publish_errors_},
      {"checkpoints", checkpoints_},
      {"checkpoint_microseconds", checkpoint_us_}};
  for (const auto& stage : stages_) {
    for (const auto& entry : stage->Counters()) counters.push_back(entry);
  }
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  snapshot_ = std::move(counters);
}

std::vector<std::pair<std::string, int64_t>> Rebalancer::Counters() const {
  std::lock_guard<std::mutex> lock(snapshot_mutex_);
  return snapshot_;
}

void Rebalancer::LogStatus(double seconds) {
  TakeSnapshot();
  std::string line;
  for (const auto& [name, value] : Counters()) {
    if (value == 0) continue;
    line += (line.empty() ? "" : ", ") + name + " " + std::to_string(value);
  }
  char rate[64];
  std::snprintf(rate, sizeof(rate), " (%.0f ticks/s over %.1f s)",
                seconds > 0 ? static_cast<double>(ticks_) / seconds : 0.0, seconds);
  Log(LogLevel::kInfo, "stream", line + rate);
}

nlohmann::ordered_json Rebalancer::DescribeLive() const {
  nlohmann::ordered_json stages = nlohmann::ordered_json::object();
  for (const auto& stage : stages_)
    stages[std::string(EnumToString(stage->kind()))] = stage->Describe();
  nlohmann::ordered_json counters = nlohmann::ordered_json::object();
  {
    std::lock_guard<std::mutex> lock(snapshot_mutex_);
    for (const auto& [name, value] : snapshot_) counters[name] = value;
  }
  return {{"stages", stages}, {"counters", counters}};
}

nlohmann::ordered_json Rebalancer::DescribeState() const {
  nlohmann::ordered_json state = final_state_.is_null() ? DescribeLive() : final_state_;
  nlohmann::ordered_json counters = nlohmann::ordered_json::object();
  for (const auto& [name, value] : Counters()) counters[name] = value;
  state["counters"] = counters;
  return state;
}

}  // namespace pfopt::stream
