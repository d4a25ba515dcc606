#include "services/rest/events/kafka_publisher.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>

namespace pfopt::rest {

namespace {

rd_kafka_t* Handle(void* p) { return static_cast<rd_kafka_t*>(p); }

}  // namespace

Status KafkaPublisherOptions::Validate() const {
  if (brokers.empty()) return InvalidArgument("kafka brokers must not be empty", "kafka_brokers");
  if (topic.empty() || topic.size() > 249) {
    return InvalidArgument("kafka topic must have 1 to 249 characters", "kafka_topic");
  }
  if (poll_interval_ms < 1) return InvalidArgument("poll_interval_ms must be >= 1");
  if (batch_size < 1) return InvalidArgument("batch_size must be >= 1");
  if (max_in_flight < 1) return InvalidArgument("max_in_flight must be >= 1");
  return Ok();
}

KafkaPublisher::KafkaPublisher(Storage* storage, KafkaPublisherOptions options)
    : storage_(storage), options_(std::move(options)) {}

Result<std::unique_ptr<KafkaPublisher>> KafkaPublisher::Create(
    Storage* storage, const KafkaPublisherOptions& options) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  std::unique_ptr<KafkaPublisher> publisher(new KafkaPublisher(storage, options));
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  std::vector<std::pair<std::string, std::string>> settings = {
      {"bootstrap.servers", options.brokers},
      {"client.id", "pfopt-service"},
      // Idempotent producer: acks=all, in-order, no duplicates from retries.
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"max.in.flight.requests.per.connection", "5"},
      // Keep retrying while the cluster is away; the outbox is the durable copy.
      {"message.timeout.ms", "0"},
      {"linger.ms", "5"},
      {"reconnect.backoff.max.ms", "2000"},
  };
  for (const auto& p : options.properties) settings.push_back(p);
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof(error)) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return InvalidArgument("Kafka property " + name + ": " + error, "kafka");
    }
  }
  rd_kafka_conf_set_opaque(conf, publisher.get());
  rd_kafka_conf_set_dr_msg_cb(
      conf, [](rd_kafka_t* rk, const rd_kafka_message_t* m, void* op) { OnDelivery(rk, m, op); });
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t* rk, int err, const char* reason, void* op) {
    OnError(rk, err, reason, op);
  });
  rd_kafka_t* kafka = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (kafka == nullptr) {
    rd_kafka_conf_destroy(conf);
    return MakeError(ErrorCode::kInternal,
                     std::string("cannot create the Kafka producer: ") + error);
  }
  publisher->kafka_ = kafka;
  publisher->topic_ = rd_kafka_topic_new(kafka, options.topic.c_str(), nullptr);
  return publisher;
}

KafkaPublisher::~KafkaPublisher() {
  Stop(0);
  if (topic_ != nullptr) rd_kafka_topic_destroy(static_cast<rd_kafka_topic_t*>(topic_));
  if (kafka_ != nullptr) rd_kafka_destroy(Handle(kafka_));
}

void KafkaPublisher::Start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void KafkaPublisher::Notify() {
  {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    notified_ = true;
  }
  wake_.notify_one();
}

void KafkaPublisher::Stop(int drain_ms) {
  if (!thread_.joinable()) return;
  stopping_ = true;
  Notify();
  thread_.join();
  // Deliver what is in flight for up to drain_ms, then give up on the rest (it stays in the
  // outbox, unmarked, and is sent again at the next start).
  rd_kafka_flush(Handle(kafka_), drain_ms);
  rd_kafka_purge(Handle(kafka_), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(Handle(kafka_), 0);
  MarkDelivered();
}

KafkaPublisher::Stats KafkaPublisher::stats() const {
  std::lock_guard<std::mutex> lock(stats_mutex_);
  return stats_;
}

void KafkaPublisher::OnDelivery(void* /*kafka*/, const void* message, void* opaque) {
  auto* self = static_cast<KafkaPublisher*>(opaque);
  const auto* m = static_cast<const rd_kafka_message_t*>(message);
  const auto sequence = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(m->_private));
  if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    self->delivered_.push_back(sequence);
  } else {
    self->in_flight_.erase(sequence);  // read again from the outbox and retried
    std::lock_guard<std::mutex> lock(self->stats_mutex_);
    ++self->stats_.delivery_failures;
    self->stats_.last_error = rd_kafka_err2str(m->err);
  }
}

void KafkaPublisher::OnError(void* /*kafka*/, int error, const char* reason, void* opaque) {
  auto* self = static_cast<KafkaPublisher*>(opaque);
  std::lock_guard<std::mutex> lock(self->stats_mutex_);
  self->stats_.last_error =
      std::string(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(error))) + ": " + reason;
}

void KafkaPublisher::MarkDelivered() {
  if (delivered_.empty()) return;
  if (!storage_->MarkPublished(delivered_, Now())) return;  // database away: retry next round
  std::lock_guard<std::mutex> lock(stats_mutex_);
  for (std::int64_t sequence : delivered_) in_flight_.erase(sequence);
  stats_.published += static_cast<std::int64_t>(delivered_.size());
  stats_.in_flight = static_cast<std::int64_t>(in_flight_.size());
  delivered_.clear();
}

void KafkaPublisher::Produce() {
  if (static_cast<int>(in_flight_.size()) >= options_.max_in_flight) return;
  const std::int64_t after = in_flight_.empty() ? 0 : *in_flight_.rbegin();
  auto events = storage_->ListEvents(after, options_.batch_size, /*unpublished_only=*/true);
  if (!events) return;  // database away: retry next round
  auto* topic = static_cast<rd_kafka_topic_t*>(topic_);
  for (const OutboxEvent& e : *events) {
    if (in_flight_.count(e.sequence) != 0) continue;
    rd_kafka_headers_t* headers = rd_kafka_headers_new(1);
    rd_kafka_header_add(headers, "event_id", -1, e.event_id.data(),
                        static_cast<ssize_t>(e.event_id.size()));
    // rd_kafka_produceva: the same as rd_kafka_producev without its GNU-extension macros.
    rd_kafka_vu_t values[6];
    values[0].vtype = RD_KAFKA_VTYPE_RKT;
    values[0].u.rkt = topic;
    values[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
    values[1].u.i = RD_KAFKA_MSG_F_COPY;
    values[2].vtype = RD_KAFKA_VTYPE_KEY;
    values[2].u.mem.ptr = const_cast<char*>(e.portfolio_id.data());
    values[2].u.mem.size = e.portfolio_id.size();
    values[3].vtype = RD_KAFKA_VTYPE_VALUE;
    values[3].u.mem.ptr = const_cast<char*>(e.payload.data());
    values[3].u.mem.size = e.payload.size();
    values[4].vtype = RD_KAFKA_VTYPE_HEADERS;
    values[4].u.headers = headers;
    values[5].vtype = RD_KAFKA_VTYPE_OPAQUE;
    values[5].u.ptr = reinterpret_cast<void*>(static_cast<std::intptr_t>(e.sequence));
    rd_kafka_error_t* error = rd_kafka_produceva(Handle(kafka_), values, 6);
    const rd_kafka_resp_err_t err =
        error == nullptr ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_error_code(error);
    if (error != nullptr) rd_kafka_error_destroy(error);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_headers_destroy(headers);  // not taken over on failure
      std::lock_guard<std::mutex> lock(stats_mutex_);
      stats_.last_error = rd_kafka_err2str(err);
      break;  // queue full or fatal: try again next round
    }
    in_flight_.insert(e.sequence);
    if (static_cast<int>(in_flight_.size()) >= options_.max_in_flight) break;
  }
  std::lock_guard<std::mutex> lock(stats_mutex_);
  stats_.in_flight = static_cast<std::int64_t>(in_flight_.size());
}

void KafkaPublisher::Loop() {
  while (!stopping_) {
    rd_kafka_poll(Handle(kafka_), 0);  // delivery reports
    MarkDelivered();
    Produce();
    rd_kafka_poll(Handle(kafka_), 0);
    MarkDelivered();
    std::unique_lock<std::mutex> lock(wake_mutex_);
    // Wake early for new events, and at least every 50 ms while acknowledgements are due.
    const int wait_ms =
        in_flight_.empty() ? options_.poll_interval_ms : std::min(options_.poll_interval_ms, 50);
    wake_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                   [&] { return notified_ || stopping_.load(); });
    notified_ = false;
  }
}

}  // namespace pfopt::rest
