// Stage 4, metrics: on every new statistics or weights message of a portfolio, with both known,
//   expected return  w'mu                (per period)
//   risk             sqrt(w'Sigma w)     (per period)
//   Sharpe ratio     sqrt(periods_per_year) (w'mu - rf) / risk   (annualised; NaN if risk = 0)
// with rf the portfolio's per-period risk-free rate. Weights are matched to the statistics by
// asset name (an asset without a weight has weight 0). A portfMetrics message is emitted only
// when (expected return, risk) differ from the last one emitted (dedupe).
//
// Input: portfUpdatedStats and Weights (keyed by portfolio). State unit: one partition.
// Rejected: undecodable or inconsistent records (sizes, non-finite values), unknown portfolios,
// weights for assets the statistics do not have.
#ifndef PFOPT_SERVICES_STREAM_STAGES_METRICS_STAGE_H_
#define PFOPT_SERVICES_STREAM_STAGES_METRICS_STAGE_H_

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/stream/portfolio_config.h"
#include "services/stream/stages/stage.h"

namespace pfopt::stream {

// The metrics of weights under statistics (both in the same asset order), as defined above.
PortfolioMetrics ComputeMetrics(const std::string& portfolio_id, const VectorRef& weights,
                                const VectorRef& mean, const MatrixRef& covariance,
                                double risk_free_rate, double periods_per_year,
                                int64_t timestamp_ms);

// Consistency of a statistics / weights record: sizes agree, values finite, names unique.
Status CheckStats(const PortfolioStats& stats);
Status CheckWeights(const PortfolioWeights& weights);

class MetricsStage final : public Stage {
 public:
  explicit MetricsStage(const std::vector<PortfolioConfig>& portfolios);

  StageKind kind() const override { return StageKind::kMetrics; }
  const std::vector<Topic>& inputs() const override { return inputs_; }
  Status Open(int32_t partition, int32_t num_partitions, const std::optional<std::string>& saved,
              Emitter& out) override;
  void Process(const Message& message, Emitter& out) override;
  std::string Save(int32_t partition) const override;
  void Close(int32_t partition) override;
  std::vector<std::pair<std::string, int64_t>> Counters() const override;
  nlohmann::ordered_json Describe() const override;

 private:
  struct PortfolioState {
    const PortfolioConfig* config = nullptr;
    int32_t partition = 0;
    std::shared_ptr<const PortfolioStats> stats;
    std::shared_ptr<const PortfolioWeights> weights;
    Vector aligned;  // weights in the statistics' asset order
    bool aligned_valid = false;
    bool has_emitted = false;
    double last_return = 0.0;
    double last_risk = 0.0;
  };
  bool Align(PortfolioState& state);

  std::vector<Topic> inputs_ = {Topic::kUpdatedStats, Topic::kWeights};
  std::vector<PortfolioConfig> portfolios_;
  std::unordered_map<std::string, PortfolioState> states_;
  int64_t computed_ = 0, emitted_ = 0, deduplicated_ = 0, rejected_ = 0, mismatched_ = 0;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_STAGES_METRICS_STAGE_H_
