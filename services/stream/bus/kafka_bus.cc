#include "services/stream/bus/kafka_bus.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "services/stream/log.h"

namespace pfopt::stream {

namespace {

using Config = std::map<std::string, std::string>;

// Builds an rd_kafka_conf_t from `values`; errors name the rejected property.
Result<rd_kafka_conf_t*> MakeConf(const Config& values) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [key, value] : values) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return InvalidArgument("Kafka property " + key + "=" + value + ": " + error,
                             "kafka_config." + key);
    }
  }
  return conf;
}

Config ProducerDefaults(const KafkaBusOptions& options) {
  Config config = {
      {"bootstrap.servers", options.brokers}, {"acks", "all"},      {"enable.idempotence", "true"},
      {"compression.codec", "gzip"},          {"linger.ms", "200"}, {"batch.size", "16384"},
      {"partitioner", "murmur2_random"}};
  for (const auto& [key, value] : options.producer_config) config[key] = value;
  return config;
}

void LogCallback(const rd_kafka_t*, int level, const char* facility, const char* message) {
  // librdkafka's syslog levels: 0-3 errors, 4 warnings, 5-6 notices/info, 7 debug.
  const LogLevel ours = level <= 3   ? LogLevel::kError
                        : level == 4 ? LogLevel::kWarning
                        : level <= 6 ? LogLevel::kInfo
                                     : LogLevel::kDebug;
  Log(ours, std::string("kafka ") + facility, message);
}

}  // namespace

Status KafkaBusOptions::Validate() const {
  if (brokers.empty()) return InvalidArgument("no Kafka brokers given", "kafka_brokers");
  PFOPT_RETURN_IF_ERROR(topics.Validate());
  if (metadata_timeout_ms <= 0) {
    return InvalidArgument("metadata timeout must be > 0 ms", "metadata_timeout_ms");
  }
  return Ok();
}

// ---- Producer -------------------------------------------------------------------------------

class KafkaBus::KafkaProducer final : public Producer {
 public:
  static Result<std::unique_ptr<Producer>> Create(const KafkaBusOptions& options) {
    auto conf = MakeConf(ProducerDefaults(options));
    if (!conf) return tl::unexpected(conf.error());
    std::unique_ptr<KafkaProducer> producer(new KafkaProducer(options));
    rd_kafka_conf_set_opaque(*conf, producer.get());
    rd_kafka_conf_set_dr_msg_cb(*conf, &KafkaProducer::OnDelivery);
    rd_kafka_conf_set_log_cb(*conf, LogCallback);
    char error[512];
    producer->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, *conf, error, sizeof(error));
    if (producer->rk_ == nullptr) {
      rd_kafka_conf_destroy(*conf);
      return MakeError(ErrorCode::kInvalidArgument, std::string("Kafka producer: ") + error);
    }
    return std::unique_ptr<Producer>(std::move(producer));
  }

  ~KafkaProducer() override {
    if (rk_ != nullptr) {
      rd_kafka_flush(rk_, 5000);
      rd_kafka_destroy(rk_);
    }
  }

  Status Publish(Topic topic, std::string key, int64_t timestamp_ms,
                 std::shared_ptr<const Record> record, int64_t) override {
    PFOPT_RETURN_IF_ERROR(CheckFatal());
    if (record == nullptr) return InvalidArgument("no record to publish");
    PFOPT_RETURN_IF_ERROR(codecs_.Encode(*record, &avro_));
    const RecordType type = TypeOf(*record);
    std::string framed;
    const std::string* value = &avro_;
    if (options_.wire.confluent) {
      framed = FrameForWire(options_.wire, type, avro_);
      value = &framed;
    }
    const std::string& name = options_.topics[topic];
    for (;;) {
      // rd_kafka_produceva: the producev fields as an array (no GNU statement expressions).
      rd_kafka_vu_t fields[5];
      fields[0].vtype = RD_KAFKA_VTYPE_TOPIC;
      fields[0].u.cstr = name.c_str();
      fields[1].vtype = RD_KAFKA_VTYPE_KEY;
      fields[1].u.mem.ptr = const_cast<char*>(key.data());
      fields[1].u.mem.size = key.size();
      fields[2].vtype = RD_KAFKA_VTYPE_VALUE;
      fields[2].u.mem.ptr = const_cast<char*>(value->data());
      fields[2].u.mem.size = value->size();
      fields[3].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
      fields[3].u.i = RD_KAFKA_MSG_F_COPY;
      fields[4].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
      fields[4].u.i64 = timestamp_ms;
      rd_kafka_error_t* error = rd_kafka_produceva(rk_, fields, 5);
      const rd_kafka_resp_err_t err =
          error == nullptr ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_error_code(error);
      if (error != nullptr) rd_kafka_error_destroy(error);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk_, 50);  // back-pressure: wait for deliveries
        continue;
      }
      return MakeError(ErrorCode::kIoError,
                       "Kafka produce to " + name + ": " + rd_kafka_err2str(err));
    }
    if (++since_poll_ >= 1024) {
      since_poll_ = 0;
      rd_kafka_poll(rk_, 0);  // serve delivery reports
    }
    return Ok();
  }

  Status Flush(std::chrono::milliseconds timeout) override {
    const rd_kafka_resp_err_t err = rd_kafka_flush(rk_, static_cast<int>(timeout.count()));
    PFOPT_RETURN_IF_ERROR(CheckFatal());
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return MakeError(ErrorCode::kIoError, std::string("Kafka flush: ") + rd_kafka_err2str(err) +
                                                " (" + std::to_string(rd_kafka_outq_len(rk_)) +
                                                " messages still queued)");
    }
    const int64_t failed = failed_.exchange(0);
    if (failed > 0) {
      return MakeError(ErrorCode::kIoError, std::to_string(failed) +
                                                " message(s) failed delivery since the last "
                                                "flush; last error: " +
                                                last_error_);
    }
    return Ok();
  }

 private:
  explicit KafkaProducer(const KafkaBusOptions& options)
      : options_(options), codecs_(options.quote_path) {}

  static void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    auto* self = static_cast<KafkaProducer*>(opaque);
    self->last_error_ = rd_kafka_err2str(message->err);
    if (self->failed_++ < 10) {
      Log(LogLevel::kError, "kafka", std::string("delivery failed: ") + self->last_error_);
    }
  }

  Status CheckFatal() {
    char error[512];
    if (rd_kafka_fatal_error(rk_, error, sizeof(error)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return MakeError(ErrorCode::kIoError, std::string("Kafka producer fatal error: ") + error);
    }
    return Ok();
  }

  KafkaBusOptions options_;
  rd_kafka_t* rk_ = nullptr;
  AvroCodecs codecs_;
  std::string avro_;
  int since_poll_ = 0;
  std::atomic<int64_t> failed_{0};
  std::string last_error_;
};

// ---- Consumer -------------------------------------------------------------------------------

// A thread that runs one task at a time for its owner: Start() hands a task over, Wait()
// returns once it has run.
class TaskThread {
 public:
  TaskThread() : thread_([this] { Loop(); }) {}
  ~TaskThread() {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  TaskThread(const TaskThread&) = delete;
  TaskThread& operator=(const TaskThread&) = delete;

  void Start(std::function<void()> task) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      task_ = std::move(task);
      busy_ = true;
    }
    wake_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return !busy_; });
  }

 private:
  void Loop() {
    ::pthread_setname_np(::pthread_self(), "pfopt:decode");  // as top and /proc show it
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stop_ || (busy_ && task_); });
      if (stop_) return;
      std::function<void()> task = std::move(task_);
      task_ = nullptr;
      lock.unlock();
      task();
      lock.lock();
      busy_ = false;
      done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::function<void()> task_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;  // last: started once the members it uses exist
};

// Batches from this size on are decoded on two threads (smaller ones are not worth the handoff).
constexpr std::size_t kParallelDecodeBatch = 256;

class KafkaBus::KafkaConsumer final : public Consumer {
 public:
  static Result<std::unique_ptr<Consumer>> Create(const KafkaBusOptions& options,
                                                  const std::string& group) {
    Config config = {{"bootstrap.servers", options.brokers},
                     {"group.id", group},
                     {"enable.auto.commit", "false"},
                     {"enable.auto.offset.store", "false"},
                     {"enable.partition.eof", "true"},
                     {"partition.assignment.strategy", "range"},
                     {"auto.offset.reset", "latest"},
                     // Prefetch bounded by queued.max.messages.kbytes (64 MiB) rather than by
                     // librdkafka's 100 000 messages: at that count a partition's fetching pauses
                     // and resumes late, which held a consumer reading a backlog to ~170 k
                     // records/s (stream_kafka_bench --prefill 1: 240-270 k/s with this).
                     {"queued.min.messages", "1000000"}};
    for (const auto& [key, value] : options.consumer_config) config[key] = value;
    auto conf = MakeConf(config);
    if (!conf) return tl::unexpected(conf.error());
    std::unique_ptr<KafkaConsumer> consumer(new KafkaConsumer(options));
    rd_kafka_conf_set_opaque(*conf, consumer.get());
    rd_kafka_conf_set_rebalance_cb(*conf, &KafkaConsumer::OnRebalance);
    rd_kafka_conf_set_log_cb(*conf, LogCallback);
    char error[512];
    consumer->rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, *conf, error, sizeof(error));
    if (consumer->rk_ == nullptr) {
      rd_kafka_conf_destroy(*conf);
      return MakeError(ErrorCode::kInvalidArgument, std::string("Kafka consumer: ") + error);
    }
    rd_kafka_poll_set_consumer(consumer->rk_);
    return std::unique_ptr<Consumer>(std::move(consumer));
  }

  ~KafkaConsumer() override {
    Close();
    if (rk_ != nullptr) rd_kafka_destroy(rk_);
  }

  Status Subscribe(const std::vector<Topic>& topics, AssignmentListener* listener) override {
    listener_ = listener;
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
    for (Topic topic : topics) {
      rd_kafka_topic_partition_list_add(list, options_.topics[topic].c_str(),
                                        RD_KAFKA_PARTITION_UA);
    }
    const rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return MakeError(ErrorCode::kIoError,
                       std::string("Kafka subscribe: ") + rd_kafka_err2str(err));
    }
    return Ok();
  }

  Status Poll(std::chrono::milliseconds timeout, std::size_t max_messages,
              std::vector<Message>* out) override {
    int wait = static_cast<int>(timeout.count());
    polled_.clear();
    for (std::size_t n = 0; n < max_messages; ++n) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(rk_, wait);
      wait = 0;
      if (message == nullptr) break;
      polled_.push_back(message);
    }
    // Positions, keys and timestamps in order on this thread; then the payloads, the second
    // half of a large batch on the helper thread with its own codecs.
    to_decode_.clear();
    for (rd_kafka_message_t* message : polled_) {
      if (Convert(message, out)) to_decode_.emplace_back(out->size() - 1, message);
    }
    const auto decode = [&](AvroCodecs* codecs, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) {
        Decode(to_decode_[i].second, codecs, &(*out)[to_decode_[i].first]);
      }
    };
    const std::size_t count = to_decode_.size();
    if (options_.parallel_decode && count >= kParallelDecodeBatch) {
      if (helper_ == nullptr) helper_ = std::make_unique<TaskThread>();
      const std::size_t half = count / 2;
      helper_->Start([&] { decode(&helper_codecs_, half, count); });
      decode(&codecs_, 0, half);
      helper_->Wait();
    } else {
      decode(&codecs_, 0, count);
    }
    for (rd_kafka_message_t* message : polled_) rd_kafka_message_destroy(message);
    return Ok();
  }

  Status Commit(const std::vector<std::pair<TopicPartition, int64_t>>& next_offsets) override {
    if (next_offsets.empty() || closed_) return Ok();
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(next_offsets.size()));
    for (const auto& [tp, offset] : next_offsets) {
      rd_kafka_topic_partition_list_add(list, options_.topics[tp.topic].c_str(), tp.partition)
          ->offset = offset;
    }
    const rd_kafka_resp_err_t err = rd_kafka_commit(rk_, list, 0);
    rd_kafka_topic_partition_list_destroy(list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      return MakeError(ErrorCode::kIoError, std::string("Kafka commit: ") + rd_kafka_err2str(err));
    }
    return Ok();
  }

  bool AtEnd() const override {
    if (at_end_.empty()) return false;
    return std::all_of(at_end_.begin(), at_end_.end(), [](const auto& e) { return e.second; });
  }

  Result<int64_t> EndOffset(TopicPartition tp) override {
    int64_t low = 0, high = 0;
    const rd_kafka_resp_err_t err =
        rd_kafka_query_watermark_offsets(rk_, options_.topics[tp.topic].c_str(), tp.partition, &low,
                                         &high, options_.metadata_timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return MakeError(ErrorCode::kIoError, "Kafka watermark of " + options_.topics[tp.topic] +
                                                "[" + std::to_string(tp.partition) +
                                                "]: " + rd_kafka_err2str(err));
    }
    return high;
  }

  Status Pause(const std::vector<TopicPartition>& partitions) override {
    if (partitions.empty()) return Ok();
    rd_kafka_topic_partition_list_t* list =
        rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()));
    for (const TopicPartition& tp : partitions) {
      rd_kafka_topic_partition_list_add(list, options_.topics[tp.topic].c_str(), tp.partition);
      at_end_.erase(tp);  // a paused partition does not hold back "at end"
    }
    rd_kafka_pause_partitions(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
    return Ok();
  }

  void Close() override {
    if (closed_ || rk_ == nullptr) return;
    closed_ = true;
    rd_kafka_consumer_close(rk_);  // runs the revocation callback
  }

 private:
  explicit KafkaConsumer(const KafkaBusOptions& options)
      : options_(options), codecs_(options.quote_path), helper_codecs_(options.quote_path) {}

  // Appends the Message of a record (everything but its decoded payload) and returns true;
  // false for events (end of partition, errors), which are handled here.
  bool Convert(rd_kafka_message_t* message, std::vector<Message>* out) {
    if (message->rkt == nullptr) {
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR && errors_++ < 10) {
        Log(LogLevel::kWarning, "kafka", rd_kafka_message_errstr(message));
      }
      return false;
    }
    auto topic = options_.topics.Find(rd_kafka_topic_name(message->rkt));
    if (!topic) return false;
    const TopicPartition tp{*topic, message->partition};
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end_[tp] = true;
      return false;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (errors_++ < 10) Log(LogLevel::kWarning, "kafka", rd_kafka_message_errstr(message));
      return false;
    }
    at_end_[tp] = false;
    Message& m = out->emplace_back();
    m.topic = *topic;
    m.partition = message->partition;
    m.offset = message->offset;
    rd_kafka_timestamp_type_t type;
    m.timestamp_ms = rd_kafka_message_timestamp(message, &type);
    if (message->key != nullptr) {
      m.key.assign(static_cast<const char*>(message->key), message->key_len);
    }
    return true;
  }

  // The record of `message` into m (or its raw bytes and the reason it does not decode).
  void Decode(const rd_kafka_message_t* message, AvroCodecs* codecs, Message* m) const {
    const std::string_view bytes(static_cast<const char*>(message->payload), message->len);
    const RecordType record_type = RecordTypeOf(m->topic);
    auto avro = UnframeFromWire(options_.wire, record_type, bytes);
    Result<Record> record =
        avro ? codecs->Decode(record_type, *avro) : Result<Record>(tl::unexpected(avro.error()));
    if (record) {
      m->record = std::make_shared<const Record>(std::move(*record));
    } else {
      m->raw.assign(bytes);
      m->error = record.error().message();
    }
  }

  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<KafkaConsumer*>(opaque);
    std::vector<TopicPartition> tps;
    std::vector<rd_kafka_topic_partition_t*> elements;
    for (int i = 0; i < partitions->cnt; ++i) {
      auto topic = self->options_.topics.Find(partitions->elems[i].topic);
      if (!topic) continue;
      tps.push_back({*topic, partitions->elems[i].partition});
      elements.push_back(&partitions->elems[i]);
    }
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      std::vector<int64_t> starts(tps.size(), kCommittedOffset);
      if (self->listener_ != nullptr) starts = self->listener_->OnAssigned(tps);
      for (std::size_t i = 0; i < elements.size(); ++i) {
        const int64_t start = i < starts.size() ? starts[i] : kCommittedOffset;
        elements[i]->offset = start == kCommittedOffset   ? RD_KAFKA_OFFSET_STORED
                              : start == kBeginningOffset ? RD_KAFKA_OFFSET_BEGINNING
                                                          : start;
        self->at_end_[tps[i]] = false;
      }
      rd_kafka_assign(rk, partitions);
      std::string names;
      for (const auto& tp : tps) {
        names += (names.empty() ? "" : " ") + self->options_.topics[tp.topic] + "[" +
                 std::to_string(tp.partition) + "]";
      }
      Log(LogLevel::kInfo, "kafka", "assigned " + names);
    } else {
      if (self->listener_ != nullptr) self->listener_->OnRevoked(tps);
      self->at_end_.clear();
      rd_kafka_assign(rk, nullptr);
      Log(LogLevel::kInfo, "kafka", "partitions revoked (" + std::to_string(tps.size()) + ")");
    }
  }

  KafkaBusOptions options_;
  rd_kafka_t* rk_ = nullptr;
  AssignmentListener* listener_ = nullptr;
  AvroCodecs codecs_;
  AvroCodecs helper_codecs_;                 // used by helper_ only
  std::unique_ptr<TaskThread> helper_;       // started by the first large batch
  std::vector<rd_kafka_message_t*> polled_;  // Poll's batch
  std::vector<std::pair<std::size_t, rd_kafka_message_t*>> to_decode_;  // (index in out, message)
  std::map<TopicPartition, bool> at_end_;
  bool closed_ = false;
  int64_t errors_ = 0;
};

// ---- Bus ------------------------------------------------------------------------------------

Result<std::unique_ptr<KafkaBus>> KafkaBus::Create(const KafkaBusOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  // Check every property once, up front, so that a typo is reported before anything starts.
  auto producer_conf = MakeConf(ProducerDefaults(options));
  if (!producer_conf) return tl::unexpected(producer_conf.error());
  std::unique_ptr<KafkaBus> bus(new KafkaBus(options));
  rd_kafka_conf_set_log_cb(*producer_conf, LogCallback);
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, *producer_conf, error, sizeof(error));
  if (rk == nullptr) {
    rd_kafka_conf_destroy(*producer_conf);
    return MakeError(ErrorCode::kInvalidArgument, std::string("Kafka: ") + error);
  }
  bus->metadata_handle_ = rk;
  Config consumer_check = {{"group.id", "check"}};
  for (const auto& [key, value] : options.consumer_config) consumer_check[key] = value;
  auto consumer_conf = MakeConf(consumer_check);
  if (!consumer_conf) return tl::unexpected(consumer_conf.error());
  rd_kafka_conf_destroy(*consumer_conf);
  return bus;
}

KafkaBus::~KafkaBus() {
  if (metadata_handle_ != nullptr) rd_kafka_destroy(static_cast<rd_kafka_t*>(metadata_handle_));
}

Result<std::unique_ptr<Producer>> KafkaBus::CreateProducer(const ProducerOptions&) {
  return KafkaProducer::Create(options_);
}

Result<std::unique_ptr<Consumer>> KafkaBus::CreateConsumer(const std::string& group) {
  if (group.empty()) return InvalidArgument("the consumer group name is empty", "group");
  return KafkaConsumer::Create(options_, group);
}

Result<int32_t> KafkaBus::Partitions(Topic topic) {
  std::lock_guard<std::mutex> lock(metadata_mutex_);
  if (auto it = partitions_.find(topic); it != partitions_.end()) return it->second;
  auto* rk = static_cast<rd_kafka_t*>(metadata_handle_);
  const std::string& name = options_.topics[topic];
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, name.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 0, rkt, &metadata, options_.metadata_timeout_ms);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return MakeError(ErrorCode::kIoError, "Kafka metadata of topic " + name + " from " +
                                              options_.brokers + ": " + rd_kafka_err2str(err));
  }
  int32_t count = 0;
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    if (name == metadata->topics[i].topic) {
      topic_err = metadata->topics[i].err;
      count = metadata->topics[i].partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR || count <= 0) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Kafka topic " + name + " is not available (" + rd_kafka_err2str(topic_err) +
                         "); create it (docs/streaming.md lists the topics and partitions)",
                     "topics." + std::string(EnumToString(topic)));
  }
  partitions_[topic] = count;
  return count;
}

}  // namespace pfopt::stream
