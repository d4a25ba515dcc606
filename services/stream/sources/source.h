// Price sources of `pfopt feed` and the loop that publishes their quotes.
//
// - SimulateSource (simulate_source.h): seeded correlated geometric Brownian motion.
// - ReplaySource (replay_source.h): a price CSV, or a recording of the price topic.
// - PollSource (poll_source.h): an exchange's HTTP JSON API, every N seconds.
// The feed validates every quote as the returns stage will (ReadTick) and, when given, against
// the ticker list: bad quotes (non-numeric or non-positive price, unparsable time, unknown
// ticker) are counted and logged, never published, never fatal.
#ifndef PFOPT_SERVICES_STREAM_SOURCES_SOURCE_H_
#define PFOPT_SERVICES_STREAM_SOURCES_SOURCE_H_

#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "pfopt/core/error.h"
#include "services/stream/bus/bus.h"
#include "services/stream/rebalancer.h"
#include "services/stream/records.h"

namespace pfopt::stream {

class PriceSource {
 public:
  virtual ~PriceSource() = default;
  // Appends the next quotes to *out; false when the source is exhausted. May wait (the poll
  // interval), but returns within about 100 ms once `stop` is set. Errors end the feed.
  virtual Result<bool> Next(std::vector<BourseData>* out, const std::atomic<bool>& stop) = 0;
  // True when the quotes' event times may pace a replay (replay, simulate).
  virtual bool has_event_time() const = 0;
  virtual std::vector<std::pair<std::string, int64_t>> Counters() const { return {}; }
};

struct FeedOptions {
  // Pacing by event time: event-time seconds per wall-clock second (1 = real time, 60 = a minute
  // per second). 0 (default) = as fast as possible. Ignored by sources without event time.
  double speed = 0.0;
  // Stop after this many published quotes (0 = no limit).
  int64_t max_ticks = 0;
  // Stop after this many seconds (0 = no limit).
  double duration_seconds = 0.0;
  // Tickers the feed may publish; empty = any.
  std::set<std::string> tickers;

  Status Validate() const;
};

struct FeedSummary {
  int64_t published = 0;
  int64_t bad_quotes = 0;
  int64_t publish_errors = 0;
  double seconds = 0.0;
  std::vector<std::pair<std::string, int64_t>> source_counters;
};

// Publishes the source's quotes on the price topic (key = ticker, timestamp = event time) until
// the source ends, a bound is reached or `stop` is set; then flushes the producer. Observers
// (e.g. a Recorder) see every published quote. Errors: the source's, or a final flush failure.
Result<FeedSummary> RunFeed(PriceSource& source, Producer& producer, const FeedOptions& options,
                            const std::vector<PublishObserver*>& observers,
                            const std::atomic<bool>& stop);

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_SOURCES_SOURCE_H_
