// Delivers the event outbox to Kafka (transactional outbox pattern).
//
// A thread reads undelivered events from the outbox (Storage::ListEvents, sequence order),
// produces them with an idempotent librdkafka producer (enable.idempotence=true, acks=all,
// retries without limit, key = portfolio_id, header event_id) and marks each one published
// once the broker acknowledged it. While Kafka is down, events stay in the outbox and the
// producer keeps retrying; nothing is lost. Delivery is at least once across restarts (an event
// acknowledged but not yet marked is sent again after a restart): consumers deduplicate by
// event_id. Within one run the idempotent producer sends each event once.
#ifndef PFOPT_SERVICES_REST_EVENTS_KAFKA_PUBLISHER_H_
#define PFOPT_SERVICES_REST_EVENTS_KAFKA_PUBLISHER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "pfopt/core/error.h"
#include "services/rest/storage/storage.h"

namespace pfopt::rest {

struct KafkaPublisherOptions {
  // Bootstrap servers, "host:port[,host:port...]". Required.
  std::string brokers;
  // Topic of the portfolio_optimized events. Default "portfolio-optimized".
  std::string topic = "portfolio-optimized";
  // How often the outbox is read when no new event was signalled (ms). Default 200.
  int poll_interval_ms = 200;
  // Events read from the outbox per round. Default 1000.
  int batch_size = 1000;
  // Events handed to the producer and not yet acknowledged, at most. Default 20000.
  int max_in_flight = 20000;
  // Extra librdkafka properties (name, value), applied last (e.g. security settings).
  std::vector<std::pair<std::string, std::string>> properties;

  Status Validate() const;
};

class KafkaPublisher {
 public:
  struct Stats {
    std::int64_t published = 0;          // events acknowledged and marked since start
    std::int64_t delivery_failures = 0;  // produce attempts that failed (retried later)
    std::int64_t in_flight = 0;          // produced, not yet acknowledged
    std::string last_error;              // most recent broker or delivery error, if any
  };

  // Creates the producer (no connection is made yet). `storage` must outlive the publisher.
  static Result<std::unique_ptr<KafkaPublisher>> Create(Storage* storage,
                                                        const KafkaPublisherOptions& options);
  ~KafkaPublisher();  // Stop(0) if still running
  KafkaPublisher(const KafkaPublisher&) = delete;
  KafkaPublisher& operator=(const KafkaPublisher&) = delete;

  void Start();
  // Stops the thread after trying for up to `drain_ms` to deliver what is in flight; what
  // is not acknowledged by then stays in the outbox for the next start.
  void Stop(int drain_ms);
  // New events were written: read the outbox now rather than at the next poll.
  void Notify();

  Stats stats() const;

 private:
  KafkaPublisher(Storage* storage, KafkaPublisherOptions options);
  void Loop();
  void Produce();
  void MarkDelivered();
  static void OnDelivery(void* kafka, const void* message, void* opaque);
  static void OnError(void* kafka, int error, const char* reason, void* opaque);

  Storage* storage_;
  KafkaPublisherOptions options_;
  void* kafka_ = nullptr;  // rd_kafka_t*
  void* topic_ = nullptr;  // rd_kafka_topic_t*
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool notified_ = false;

  // Delivery reports arrive on the publisher thread (inside rd_kafka_poll).
  std::set<std::int64_t> in_flight_;
  std::vector<std::int64_t> delivered_;  // acknowledged, not yet marked in the outbox
  mutable std::mutex stats_mutex_;
  Stats stats_;
};

}  // namespace pfopt::rest

#endif  // PFOPT_SERVICES_REST_EVENTS_KAFKA_PUBLISHER_H_
