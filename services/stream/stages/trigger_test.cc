#include "services/stream/stages/trigger.h"

#include <gtest/gtest.h>

namespace pfopt::stream {
namespace {

TriggerOptions Options() {
  TriggerOptions options;
  options.threshold = 1.0;
  options.hysteresis = 0.1;
  options.cooldown_ms = 10000;
  return options;
}

TEST(TriggerOptions, DefaultsAreValid) { EXPECT_TRUE(TriggerOptions{}.Validate()); }

TEST(ThresholdTrigger, FiresOnBreachThenRespectsTheCooldown) {
  ThresholdTrigger trigger(Options());
  EXPECT_FALSE(trigger.Update(1.5, 0));
  EXPECT_TRUE(trigger.Update(0.9, 1000));   // breach
  EXPECT_FALSE(trigger.Update(0.8, 5000));  // still below, cooldown running
  EXPECT_TRUE(trigger.Update(0.8, 11000));  // cooldown passed, still below: try again
  EXPECT_FALSE(trigger.Update(0.8, 20999));
  EXPECT_TRUE(trigger.Update(0.8, 21000));
}

TEST(ThresholdTrigger, HysteresisStopsThrashingAroundTheThreshold) {
  ThresholdTrigger trigger(Options());
  EXPECT_TRUE(trigger.Update(0.99, 0));
  // Oscillating in [0.99, 1.05]: above the threshold but inside the band -> still "below", and
  // the cooldown caps re-optimisations at one per 10 s.
  int fired = 0;
  for (int k = 1; k <= 100; ++k) fired += trigger.Update(k % 2 == 0 ? 0.99 : 1.05, k * 500) ? 1 : 0;
  EXPECT_EQ(fired, 5);  // at 10 s, 20 s, 30 s, 40 s, 50 s
  // Clearing the band re-arms; a recovery above it does not fire.
  EXPECT_FALSE(trigger.Update(1.2, 60000));
  EXPECT_FALSE(trigger.state().below);
  EXPECT_FALSE(trigger.Update(1.05, 60500));  // inside the band from above: not below
  EXPECT_TRUE(trigger.Update(0.5, 60600));    // new breach, cooldown since 50 s passed
}

TEST(ThresholdTrigger, ABreachInsideTheCooldownWaitsForIt) {
  ThresholdTrigger trigger(Options());
  EXPECT_TRUE(trigger.Update(0.5, 0));
  EXPECT_FALSE(trigger.Update(2.0, 1000));  // recovered
  EXPECT_FALSE(trigger.Update(0.5, 2000));  // breach again, but only 2 s after the last
  EXPECT_TRUE(trigger.Update(0.5, 10000));
}

TEST(ThresholdTrigger, IgnoresNaN) {
  ThresholdTrigger trigger(Options());
  EXPECT_FALSE(trigger.Update(kNaN, 0));
  EXPECT_FALSE(trigger.state().below);
}

}  // namespace
}  // namespace pfopt::stream
