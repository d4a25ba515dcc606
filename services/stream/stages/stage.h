// The stages of the rebalancer (docs/streaming.md): returns, statistics, metrics, rebalance.
//
// A stage is a plain object: it reads messages of its input topics and emits records through an
// Emitter; it never sees the bus, so every stage is unit-testable with a recording Emitter and
// runs unchanged over the in-process bus or Kafka. Its state is partitioned like its inputs: the
// unit of state (and of ownership in a consumer group) is one partition number of the input
// topics, which are co-partitioned by key (ticker for the returns stage, portfolio id for the
// others). The Rebalancer (rebalancer.h) opens a unit when its partition is assigned, saves it
// at checkpoints together with the input offsets, and closes it when the partition is revoked.
//
// Stages never throw and never stop on bad input: a message they cannot use is passed to
// Emitter::Reject (dead-letter topic, counted) and skipped.
#ifndef PFOPT_SERVICES_STREAM_STAGES_STAGE_H_
#define PFOPT_SERVICES_STREAM_STAGES_STAGE_H_

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "services/stream/bus/bus.h"
#include "services/stream/records.h"

namespace pfopt::stream {

enum class StageKind { kReturns, kStatistics, kMetrics, kRebalance };

// A threshold breach, for the alert hook (sinks/webhook_sink.h).
struct RebalanceAlert {
  std::string portfolio_id;
  double sharpe_ratio = 0.0;  // annualised, the value that breached
  double threshold = 0.0;
  double expected_return = 0.0;  // per period
  double risk = 0.0;             // per period
  int64_t timestamp_ms = 0;      // event time of the metrics
};

class Emitter {
 public:
  virtual ~Emitter() = default;
  // Publishes `record` on `topic` with `key`.
  virtual void Emit(Topic topic, const std::string& key, int64_t timestamp_ms, Record record,
                    int64_t trace_ns) = 0;
  // Counts `message` as rejected and sends it to the dead-letter topic with the reason.
  virtual void Reject(const Message& message, const std::string& reason) = 0;
  virtual void Alert(const RebalanceAlert& alert) = 0;
};

// The portfolio id of an input record of type A or B (the two inputs of the metrics and
// rebalance stages). An undecodable record or one of another type is rejected (counted in
// `*rejected`, sent to the dead letters with the reason): nullptr then.
template <class A, class B>
const std::string* PortfolioIdOfInput(const Message& message, Emitter& out,
                                      const std::string& stage_name, int64_t* rejected) {
  if (message.record == nullptr) {
    ++*rejected;
    out.Reject(message, "undecodable record: " + message.error);
    return nullptr;
  }
  if (const auto* a = std::get_if<A>(message.record.get())) return &a->portfolio_id;
  if (const auto* b = std::get_if<B>(message.record.get())) return &b->portfolio_id;
  ++*rejected;
  out.Reject(message, "unexpected record type on an input of the " + stage_name + " stage");
  return nullptr;
}

// Wall-clock milliseconds since the epoch; injectable so tests are deterministic.
using Clock = std::function<int64_t()>;
int64_t WallClockMs();

class Stage {
 public:
  virtual ~Stage() = default;
  virtual StageKind kind() const = 0;
  virtual const std::vector<Topic>& inputs() const = 0;
  // Partition `partition` (of `num_partitions`) becomes ours: restore it from `saved`, or, with
  // none (first start), initialise it, which may emit (initial statistics, start-up weights).
  // Errors: a saved state that does not parse.
  virtual Status Open(int32_t partition, int32_t num_partitions,
                      const std::optional<std::string>& saved, Emitter& out) = 0;
  // One message of an input topic, on an open partition.
  virtual void Process(const Message& message, Emitter& out) = 0;
  // The partition's state, for a checkpoint.
  virtual std::string Save(int32_t partition) const = 0;
  virtual void Close(int32_t partition) = 0;
  // Counters since construction (name, value), for logs and summaries.
  virtual std::vector<std::pair<std::string, int64_t>> Counters() const = 0;
  // The open partitions' state in JSON (pfopt stream --state-out).
  virtual nlohmann::ordered_json Describe() const = 0;
};

}  // namespace pfopt::stream

namespace pfopt {
template <>
struct EnumNames<stream::StageKind> {
  using E = stream::StageKind;
  static constexpr std::array<std::pair<E, std::string_view>, 4> kNames{
      {{E::kReturns, "returns"},
       {E::kStatistics, "statistics"},
       {E::kMetrics, "metrics"},
       {E::kRebalance, "rebalance"}}};
};
}  // namespace pfopt

#endif  // PFOPT_SERVICES_STREAM_STAGES_STAGE_H_
