#include "services/stream/stages/trigger.h"

#include <cmath>

namespace pfopt::stream {

bool ThresholdTrigger::Update(double sharpe_ratio, int64_t time_ms) {
  if (std::isnan(sharpe_ratio)) return false;
  if (sharpe_ratio < options_.threshold) {
    state_.below = true;
  } else if (sharpe_ratio >= options_.threshold + options_.hysteresis) {
    state_.below = false;
  }
  if (!state_.below) return false;
  if (state_.has_fired && time_ms - state_.last_fired_ms < options_.cooldown_ms) return false;
  state_.has_fired = true;
  state_.last_fired_ms = time_ms;
  return true;
}

}  // namespace pfopt::stream
