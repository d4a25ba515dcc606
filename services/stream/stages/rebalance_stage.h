// Stage 5, rebalance: watches each portfolio's Sharpe ratio and re-optimises when it is too low.
//
// Input: portfMetrics (the trigger) and portfUpdatedStats (the latest statistics), keyed by
// portfolio. State unit: one partition. On a metrics message, the portfolio's ThresholdTrigger
// (trigger.h: threshold, hysteresis, cooldown in event time) decides; when it fires, an alert is
// raised (webhook sink) and the ladder of reoptimizer.h runs on the latest statistics through the
// engine. The new weights are published on Weights only if some weight moved by more than the
// portfolio's weight_tolerance from the last published ones; the last published weights are
// part of the checkpointed state, so a restart does not republish.
// On first start (no saved state) each portfolio's start-up weights (StartupWeights: Black-
// Litterman / published weights / ladder) are published once.
// Rejected: undecodable or inconsistent records, unknown portfolios.
#ifndef PFOPT_SERVICES_STREAM_STAGES_REBALANCE_STAGE_H_
#define PFOPT_SERVICES_STREAM_STAGES_REBALANCE_STAGE_H_

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/stream/portfolio_config.h"
#include "services/stream/stages/reoptimizer.h"
#include "services/stream/stages/stage.h"
#include "services/stream/stages/trigger.h"

namespace pfopt::stream {

class RebalanceStage final : public Stage {
 public:
  // Errors: a portfolio whose stored optimisation configuration the request path rejects.
  static Result<std::unique_ptr<RebalanceStage>> Create(
      const std::vector<PortfolioConfig>& portfolios, Clock clock = WallClockMs);

  StageKind kind() const override { return StageKind::kRebalance; }
  const std::vector<Topic>& inputs() const override { return inputs_; }
  Status Open(int32_t partition, int32_t num_partitions, const std::optional<std::string>& saved,
              Emitter& out) override;
  void Process(const Message& message, Emitter& out) override;
  std::string Save(int32_t partition) const override;
  void Close(int32_t partition) override;
  std::vector<std::pair<std::string, int64_t>> Counters() const override;
  nlohmann::ordered_json Describe() const override;

  // Wall time of the last re-optimisation ladder, seconds (for logs and benchmarks).
  double last_reoptimization_seconds() const { return last_seconds_; }

 private:
  RebalanceStage(const std::vector<PortfolioConfig>& portfolios,
                 std::vector<PortfolioOptimizer> optimizers, Clock clock);
  struct PortfolioState {
    std::size_t index = 0;  // into portfolios_ / optimizers_
    int32_t partition = 0;
    ThresholdTrigger trigger{TriggerOptions{}};
    Vector weights;  // last published, in ticker order (empty = none)
    int64_t weights_timestamp_ms = 0;
    Vector mean;  // latest statistics in ticker order (empty = none yet)
    Matrix covariance;
    int64_t stats_timestamp_ms = 0;
  };
  void PublishWeights(PortfolioState& state, const Vector& weights, int64_t timestamp_ms,
                      int64_t trace_ns, Emitter& out);

  std::vector<Topic> inputs_ = {Topic::kMetrics, Topic::kUpdatedStats};
  std::vector<PortfolioConfig> portfolios_;
  std::vector<PortfolioOptimizer> optimizers_;
  std::vector<std::unordered_map<std::string, Index>> asset_index_;
  Clock clock_;
  std::unordered_map<std::string, PortfolioState> states_;
  double last_seconds_ = 0.0;
  int64_t triggers_ = 0, reoptimizations_ = 0, published_ = 0, unchanged_ = 0, failed_ = 0,
          no_statistics_ = 0, rejected_ = 0;
  double reoptimization_seconds_ = 0.0;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_STAGES_REBALANCE_STAGE_H_
