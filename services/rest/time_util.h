// Timestamps of the service: UTC, microsecond resolution, written as ISO 8601
// ("2025-06-21T10:00:00.123456Z") in the database and ("2025-06-21T10:00:00.123Z") in events.
#ifndef PFOPT_SERVICES_REST_TIME_UTIL_H_
#define PFOPT_SERVICES_REST_TIME_UTIL_H_

#include <chrono>
#include <string>
#include <string_view>

#include "pfopt/core/error.h"

namespace pfopt::rest {

using TimePoint = std::chrono::sys_time<std::chrono::microseconds>;

TimePoint Now();

// "YYYY-MM-DDTHH:MM:SS.ffffffZ" (fixed width, so text order is time order).
std::string FormatTimestampMicros(TimePoint t);
// "YYYY-MM-DDTHH:MM:SS.fffZ" (milliseconds, the event format of the spec).
std::string FormatTimestampMillis(TimePoint t);
// "YYYYMMDD" of the UTC day of `t` (partition names).
std::string FormatDayCompact(TimePoint t);
// Midnight UTC of the day of `t`.
TimePoint StartOfDay(TimePoint t);

// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fraction]]" with "Z", "+HH:MM", "-HH:MM" or no
// zone (UTC), and ' ' instead of 'T'. Errors name `field`.
Result<TimePoint> ParseTimestamp(std::string_view text, const std::string& field = {});

// A time-ordered (version 7, RFC 9562) UUID in the canonical 36-character form: the Unix time
// in milliseconds (48 bits), then 74 random bits. Ids made later sort later (to the
// millisecond), so new rows land at the end of the id index instead of on a random page.
std::string NewUuid();

}  // namespace pfopt::rest

#endif  // PFOPT_SERVICES_REST_TIME_UTIL_H_
