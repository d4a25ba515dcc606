// The rebalance trigger: a Sharpe-ratio threshold with hysteresis and a cooldown.
//
// State "below" starts when the Sharpe ratio falls under `threshold` and ends when it reaches
// `threshold + hysteresis`. While "below", the trigger fires when at least `cooldown_ms` of
// event time has passed since it last fired (at once on entering "below" if the last firing is
// that old). So noise around the threshold cannot make it thrash: at most one re-optimisation
// per cooldown, and none after a recovery until the ratio has cleared the hysteresis band.
// A NaN ratio (zero risk) changes nothing.
#ifndef PFOPT_SERVICES_STREAM_STAGES_TRIGGER_H_
#define PFOPT_SERVICES_STREAM_STAGES_TRIGGER_H_

#include <cstdint>

#include "services/stream/portfolio_config.h"

namespace pfopt::stream {

class ThresholdTrigger {
 public:
  struct State {
    bool below = false;
    bool has_fired = false;
    int64_t last_fired_ms = 0;
  };

  explicit ThresholdTrigger(const TriggerOptions& options) : options_(options) {}
  ThresholdTrigger(const TriggerOptions& options, const State& state)
      : options_(options), state_(state) {}

  // Feeds one Sharpe ratio observed at event time `time_ms`; true when a re-optimisation is due.
  bool Update(double sharpe_ratio, int64_t time_ms);

  const State& state() const { return state_; }

 private:
  TriggerOptions options_;
  State state_;
};

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_STAGES_TRIGGER_H_
