// Stage 3, statistics: per portfolio, the mean vector and covariance matrix of its per-window
// return vectors, by the exact multivariate Welford recurrence (pfopt::OnlineMoments), seeded
// with the portfolio's initial statistics as `prior_count` observations, optionally with
// exponential forgetting (half-life in windows).
//
// Input: WindowReturns (keyed by portfolio) and portfStats (initial statistics). State unit:
// one partition of those topics. For each portfolio the stage keeps, per partition of the price
// topic, the watermark reported so far and the last window received (duplicates from a
// replayed returns stage are recognised and skipped). Window k of a portfolio closes when every
// price partition's watermark has passed its end; its vector holds the returns received for it
// (0 for a ticker without a trade) and is added to the statistics. Windows close in event-time
// order, so the result does not depend on how the partitions' messages interleave.
// Output: portfUpdatedStats after each update (timestamp = window end). On first start, the
// initial statistics are published on portfStats and portfUpdatedStats. A portfStats message
// newer than the current seed re-seeds the portfolio (an operator's reset).
// Rejected: undecodable records, unknown portfolios, tickers outside the portfolio, non-finite
// returns, a price-partition count that changes.
#ifndef PFOPT_SERVICES_STREAM_STAGES_STATISTICS_STAGE_H_
#define PFOPT_SERVICES_STREAM_STAGES_STATISTICS_STAGE_H_

#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "pfopt/estimate/online_moments.h"
#include "services/stream/portfolio_config.h"
#include "services/stream/stages/stage.h"

namespace pfopt::stream {

class StatisticsStage final : public Stage {
 public:
  explicit StatisticsStage(const std::vector<PortfolioConfig>& portfolios,
                           Clock clock = WallClockMs);

  StageKind kind() const override { return StageKind::kStatistics; }
  const std::vector<Topic>& inputs() const override { return inputs_; }
  Status Open(int32_t partition, int32_t num_partitions, const std::optional<std::string>& saved,
              Emitter& out) override;
  void Process(const Message& message, Emitter& out) override;
  std::string Save(int32_t partition) const override;
  void Close(int32_t partition) override;
  std::vector<std::pair<std::string, int64_t>> Counters() const override;
  nlohmann::ordered_json Describe() const override;

 private:
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  struct Pending {
    Vector returns;
    int64_t trace_ns = 0;
  };
  struct PortfolioState {
    const PortfolioConfig* config = nullptr;
    int32_t partition = 0;
    std::optional<OnlineMoments> moments;
    int64_t seed_timestamp_ms = 0;
    int32_t source_partitions = 0;       // 0 = not known yet
    std::vector<int64_t> watermarks;     // per price partition, kNone = not reported
    std::vector<int64_t> last_window;    // per price partition: last window end received
    std::map<int64_t, Pending> pending;  // window end -> vector
    int64_t closed_through = kNone;      // windows ending at or before this are closed
    int64_t updates = 0;
  };

  void ProcessWindow(const Message& message, const WindowReturns& window, Emitter& out);
  void ProcessSeed(const Message& message, const PortfolioStats& stats, Emitter& out);
  void CloseReady(PortfolioState& state, int64_t trace_ns, Emitter& out);
  void Publish(Topic topic, const PortfolioState& state, int64_t timestamp_ms, int64_t trace_ns,
               Emitter& out);
  Result<OnlineMoments> Seed(const PortfolioConfig& config, const VectorRef& mean,
                             const MatrixRef& covariance) const;

  std::vector<Topic> inputs_ = {Topic::kWindowReturns, Topic::kInitialStats};
  std::vector<PortfolioConfig> portfolios_;
  Clock clock_;
  std::unordered_map<std::string, std::size_t> portfolio_index_;
  std::vector<std::unordered_map<std::string, Index>> asset_index_;  // per portfolio
  std::unordered_map<std::string, PortfolioState> states_;           // open portfolios
  mutable Matrix covariance_;                                        // scratch

  int64_t windows_received_ = 0, markers_ = 0, duplicates_ = 0, late_windows_ = 0, updates_ = 0,
          reseeds_ = 0, rejected_ = 0, unpublished_ = 0;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_STAGES_STATISTICS_STAGE_H_
