// The rebalancer as a library object: the stages of docs/streaming.md run over a Bus, with
// checkpoints, partition ownership and bounded runs. `pfopt stream` is a thin command around it;
// `pfopt serve` can host one (Start / Stop) in its own process.
//
// Threads: one loop thread (Start) or the caller's (Run) owns the consumer and every stage; the
// bus's producer may have its own threads (librdkafka); observers are called on the loop
// thread and must not block (the InfluxDB and webhook sinks queue to their own threads).
//
// Reliability (docs/streaming.md, "Checkpoints"): the state of each (stage, input partition)
// is checkpointed together with the next input offset of each of the stage's inputs, after the
// producer has flushed everything emitted so far; committed offsets follow the checkpoint. On
// assignment each state unit is restored and the partition read from the checkpointed offset;
// a unit skips input it has already reflected in its state. So a process killed at any point
// (SIGKILL included) and restarted neither loses nor double-counts an input: outputs after the
// last checkpoint are produced again (at-least-once) and the downstream stages recognise them.
#ifndef PFOPT_SERVICES_STREAM_REBALANCER_H_
#define PFOPT_SERVICES_STREAM_REBALANCER_H_

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "services/stream/avro/avro_codec.h"
#include "services/stream/bus/bus.h"
#include "services/stream/portfolio_config.h"
#include "services/stream/stages/returns_stage.h"
#include "services/stream/stages/stage.h"
#include "services/stream/state/checkpoint_store.h"

namespace pfopt::stream {

// Sees every record this process publishes, and the alerts. Called on the loop thread.
class PublishObserver {
 public:
  virtual ~PublishObserver() = default;
  virtual void OnPublished(Topic topic, const std::string& key, int64_t timestamp_ms,
                           const Record& record) = 0;
  virtual void OnAlert(const RebalanceAlert&) {}
};

struct RebalancerOptions {
  // Stages run by this process (default: all four).
  std::vector<StageKind> stages = {StageKind::kReturns, StageKind::kStatistics, StageKind::kMetrics,
                                   StageKind::kRebalance};
  // Consumer group. Empty (default): "pfopt-stream-" + the stage names joined by '-', so that
  // processes running the same stages share the work and others do not interfere.
  std::string group;
  ReturnsOptions returns;
  // Where a partition without checkpointed state starts: false (default) = the end of the
  // partition (Kafka's "latest", the original system's choice); true = its beginning.
  bool from_earliest = false;
  // Event-time clock for seeds and start-up weights; tests inject a fixed one.
  Clock clock = WallClockMs;
  // Checkpoint every this many ms of processing time (> 0). Default 1000.
  int64_t checkpoint_interval_ms = 1000;
  // Bounded runs (0 = unbounded): stop after this many price ticks (the rest of the input stays
  // unread for the next run), then drain the internal topics; stop after this many seconds.
  int64_t max_ticks = 0;
  double duration_seconds = 0.0;
  // Stop when every input partition has been read to its end and the pipeline is quiet.
  bool exit_at_end = false;
  // Checkpoint when the loop ends. False ends a bounded run the way a crash would (tests of
  // recovery). Default true.
  bool checkpoint_on_exit = true;
  // Quiet time that ends a drain, ms: no message for this long after a flush. Default 1500
  // (Kafka fetch latencies); the in-process bus needs 0.
  int64_t drain_quiet_ms = 1500;
  // Poll: batch size (default 4096) and wait (ms, default 100).
  std::size_t poll_batch = 4096;
  int64_t poll_timeout_ms = 100;
  // A status line every this many ms (0 = none). Default 10 000.
  int64_t status_interval_ms = 10000;

  Status Validate() const;
};

class Rebalancer {
 public:
  // Errors: invalid options or portfolios, stages whose input topics differ in partition count,
  // a stored optimisation configuration the request path rejects. `store` null = checkpoints in
  // memory (no persistence across processes). The bus must outlive the Rebalancer.
  static Result<std::unique_ptr<Rebalancer>> Create(const RebalancerOptions& options,
                                                    std::vector<PortfolioConfig> portfolios,
                                                    Bus* bus,
                                                    std::unique_ptr<CheckpointStore> store);
  ~Rebalancer();
  Rebalancer(const Rebalancer&) = delete;
  Rebalancer& operator=(const Rebalancer&) = delete;

  // Observers are added before Start/Run; not owned.
  void AddObserver(PublishObserver* observer) { observers_.push_back(observer); }

  // Joins the group (state restored, start-up records emitted) on a new loop thread and returns
  // once subscribed. Errors: the subscription or a state restore failed.
  Status Start();
  // Asks the loop to stop: it finishes the message in hand, checkpoints, leaves the group.
  // Thread-safe, idempotent, returns at once (use Wait).
  void Stop();
  // Waits for the loop to end; its error, if it ended on one.
  Status Wait();
  // Start + Wait on the calling thread.
  Status Run();
  // True once the loop has ended (stopped, bounded run over, or failed). Thread-safe.
  bool finished() const { return finished_; }
  // Tests: ends the loop with no final checkpoint or commit, as a crash would.
  void Abandon();
  // Asks the loop to stop once every input has been read to its end and the pipeline is quiet
  // (as exit_at_end), e.g. when the feed of this process has finished. Thread-safe.
  void RequestDrain() { drain_requested_ = true; }

  // Counters of the loop and every stage (a snapshot taken at each checkpoint and at the end).
  std::vector<std::pair<std::string, int64_t>> Counters() const;
  // Every stage's state in JSON; call after Wait().
  nlohmann::ordered_json DescribeState() const;

 private:
  class LoopEmitter;
  class Listener;
  struct Unit {
    Stage* stage = nullptr;
    int32_t partition = 0;
    std::map<Topic, int64_t> next;  // next offset to process, per input topic
  };

  Rebalancer(const RebalancerOptions& options, std::vector<PortfolioConfig> portfolios, Bus* bus,
             std::unique_ptr<CheckpointStore> store);
  Status Subscribe();
  Status Loop();
  Status Finish();
  std::vector<int64_t> Assign(const std::vector<TopicPartition>& partitions);
  void Revoke(const std::vector<TopicPartition>& partitions);
  Status Checkpoint();
  std::string UnitName(const Unit& unit) const;
  void Dispatch(const Message& message);
  void TakeSnapshot();
  void LogStatus(double seconds);
  nlohmann::ordered_json DescribeLive() const;

  RebalancerOptions options_;
  std::vector<PortfolioConfig> portfolios_;
  Bus* bus_;
  std::unique_ptr<CheckpointStore> store_;
  std::vector<std::unique_ptr<Stage>> stages_;
  std::vector<PublishObserver*> observers_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<Consumer> consumer_;
  std::unique_ptr<LoopEmitter> emitter_;
  std::unique_ptr<Listener> listener_;
  std::map<std::pair<int, int32_t>, Unit> units_;  // (stage index, partition)
  std::map<Topic, int32_t> partitions_;            // partition count per input topic
  AvroCodecs codecs_;                              // dead-letter payloads

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> abandon_{false};
  std::atomic<bool> drain_requested_{false};
  std::atomic<bool> finished_{false};
  Status loop_status_;
  bool started_ = false;
  bool dirty_ = false;          // processed or emitted since the last checkpoint
  bool prices_paused_ = false;  // max_ticks reached
  Status assign_status_;        // an error inside Assign (reported by the loop)
  int64_t ticks_ = 0, messages_ = 0, skipped_ = 0, dead_letters_ = 0, publish_errors_ = 0,
          checkpoints_ = 0, checkpoint_us_ = 0, alerts_ = 0;
  nlohmann::ordered_json final_state_;  // taken before leaving the group
  mutable std::mutex snapshot_mutex_;
  std::vector<std::pair<std::string, int64_t>> snapshot_;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_REBALANCER_H_
