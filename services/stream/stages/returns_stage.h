// Stage 2, returns: per ticker, event-time tumbling windows with a bounded-out-of-orderness
// watermark; at window close the log return ln(last price in window / last price of the
// previous window in which the ticker traded), gathered per portfolio.
//
// Input: the price topic (BourseData keyed by ticker). State unit: one price partition.
// Per partition:
//   watermark = (largest event time seen on the partition) - out_of_orderness
//   window k = [k W, (k+1) W) (W = window_ms, epoch-aligned); it closes when (k+1) W <= watermark.
// A tick whose window has closed is late: counted and dropped. Within an open window the
// price with the latest event time wins (ties: the later message). A ticker's first window has
// no previous price: it sets the reference and gives no return.
// Output: WindowReturns keyed by portfolio id, one per (portfolio, closed window) in which some
// ticker of the portfolio traded on this partition, in window order; each carries a watermark
// that is safe for the statistics stage: the window's end, or, for the last message of a
// batch, the partition's watermark. When the watermark crosses a window boundary, every
// portfolio that received nothing from this partition in that step gets a watermark-only
// message, so that the statistics stage can close windows in which the partition had no trade.
// Rejected (dead-letter): undecodable records, missing/non-numeric/non-positive prices,
// unparsable times, tickers of no configured portfolio.
#ifndef PFOPT_SERVICES_STREAM_STAGES_RETURNS_STAGE_H_
#define PFOPT_SERVICES_STREAM_STAGES_RETURNS_STAGE_H_

#include <limits>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "services/stream/portfolio_config.h"
#include "services/stream/stages/stage.h"

namespace pfopt::stream {

struct ReturnsOptions {
  // Window length, ms (> 0). Default 2000.
  int64_t window_ms = 2000;
  // Bounded out-of-orderness of the watermark, ms (>= 0). Default 60 000 (one minute).
  int64_t out_of_orderness_ms = 60000;

  Status Validate() const;
};

class ReturnsStage final : public Stage {
 public:
  ReturnsStage(const ReturnsOptions& options, const std::vector<PortfolioConfig>& portfolios);

  StageKind kind() const override { return StageKind::kReturns; }
  const std::vector<Topic>& inputs() const override { return inputs_; }
  Status Open(int32_t partition, int32_t num_partitions, const std::optional<std::string>& saved,
              Emitter& out) override;
  void Process(const Message& message, Emitter& out) override;
  std::string Save(int32_t partition) const override;
  void Close(int32_t partition) override { partitions_.erase(partition); }
  std::vector<std::pair<std::string, int64_t>> Counters() const override;
  nlohmann::ordered_json Describe() const override;

 private:
  static constexpr int64_t kNone = std::numeric_limits<int64_t>::min();
  struct OpenWindow {
    int64_t window;
    double price;
    int64_t time_ms;
  };
  struct TickerState {
    double last_closed_price = kNaN;  // reference price for the next return
    std::vector<OpenWindow> open;     // by window, ascending
  };
  struct PartitionState {
    int32_t num_partitions = 1;
    int64_t max_event_ms = kNone;
    int64_t watermark_ms = kNone;
    int64_t marker_window = kNone;     // window index of the watermark at the last markers
    std::vector<TickerState> tickers;  // by ticker index
    std::map<int64_t, std::vector<int32_t>> windows;  // open window -> tickers that traded
  };

  void CloseWindows(int32_t partition, PartitionState& state, int64_t trace_ns, Emitter& out);
  int64_t WindowOf(int64_t time_ms) const;

  ReturnsOptions options_;
  std::vector<Topic> inputs_ = {Topic::kPrices};
  std::vector<std::string> portfolio_ids_;
  std::vector<std::string> ticker_names_;
  std::vector<std::vector<int32_t>> ticker_portfolios_;  // ticker index -> portfolio indices
  std::unordered_map<std::string, int32_t> ticker_index_;
  std::map<int32_t, PartitionState> partitions_;
  // Scratch of CloseWindows: messages per portfolio.
  std::vector<std::vector<WindowReturns>> batch_;

  int64_t ticks_ = 0, late_ = 0, rejected_ = 0, windows_closed_ = 0, returns_ = 0, messages_ = 0,
          markers_ = 0;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_STAGES_RETURNS_STAGE_H_
