#include "services/stream/sources/source.h"

#include <chrono>
#include <cmath>
#include <thread>

#include "services/stream/log.h"

namespace pfopt::stream {

Status FeedOptions::Validate() const {
  if (!(speed >= 0.0) || !std::isfinite(speed)) {
    return InvalidArgument("speed must be >= 0 (0 = as fast as possible)", "speed");
  }
  if (max_ticks < 0) return InvalidArgument("max_ticks must be >= 0", "max_ticks");
  if (!(duration_seconds >= 0.0) || !std::isfinite(duration_seconds)) {
    return InvalidArgument("duration must be >= 0 seconds", "duration_seconds");
  }
  return Ok();
}

Result<FeedSummary> RunFeed(PriceSource& source, Producer& producer, const FeedOptions& options,
                            const std::vector<PublishObserver*>& observers,
                            const std::atomic<bool>& stop) {
  PFOPT_RETURN_IF_ERROR(options.Validate());
  using Steady = std::chrono::steady_clock;
  const auto start = Steady::now();
  FeedSummary summary;
  std::vector<BourseData> quotes;
  bool paced = false;
  int64_t first_event_ms = 0;
  auto elapsed = [&] { return std::chrono::duration<double>(Steady::now() - start).count(); };
  auto bounded = [&] {
    return stop || (options.max_ticks > 0 && summary.published >= options.max_ticks) ||
           (options.duration_seconds > 0.0 && elapsed() >= options.duration_seconds);
  };
  while (!bounded()) {
    quotes.clear();
    auto more = source.Next(&quotes, stop);
    if (!more) return tl::unexpected(more.error());
    for (BourseData& quote : quotes) {
      if (bounded()) break;
      auto tick = ReadTick(quote);
      if (!tick || (!options.tickers.empty() && options.tickers.count(quote.ticker) == 0)) {
        const int64_t bad = ++summary.bad_quotes;
        if (bad <= 10 || bad % 1000 == 0) {
          Log(LogLevel::kWarning, "feed",
              "bad quote #" + std::to_string(bad) + " (ticker '" + quote.ticker + "'): " +
                  (tick ? "unknown ticker"
                        : tick.error().message() + " [" + tick.error().field() + "]"));
        }
        continue;
      }
      const int64_t event_ms = tick->event_time_ms;
      if (options.speed > 0.0 && source.has_event_time()) {
        if (!paced) {
          paced = true;
          first_event_ms = event_ms;
        }
        const double due = static_cast<double>(event_ms - first_event_ms) / 1000.0 / options.speed;
        while (!stop && elapsed() < due) {
          const double wait = std::min(0.05, due - elapsed());
          std::this_thread::sleep_for(std::chrono::duration<double>(wait));
        }
        if (stop) break;
      }
      std::string key = quote.ticker;
      auto record = std::make_shared<const Record>(std::move(quote));
      for (PublishObserver* observer : observers) {
        observer->OnPublished(Topic::kPrices, key, event_ms, *record);
      }
      const int64_t trace =
          std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
              .count();
      Status published = producer.Publish(Topic::kPrices, std::move(key), event_ms, record, trace);
      if (!published) {
        if (summary.publish_errors++ < 10) {
          Log(LogLevel::kError, "feed", "publish failed: " + published.error().message());
        }
        continue;
      }
      ++summary.published;
    }
    if (!*more) break;
  }
  Status flushed = producer.Flush(std::chrono::milliseconds(30000));
  summary.seconds = elapsed();
  summary.source_counters = source.Counters();
  if (!flushed) return tl::unexpected(flushed.error());
  return summary;
}

}  // namespace pfopt::stream
