#include "services/rest/time_util.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

namespace pfopt::rest {

namespace {

using std::chrono::days;
using std::chrono::microseconds;

struct Civil {
  int year, month, day, hour, minute, second;
  long micros;
};

Civil ToCivil(TimePoint t) {
  const auto day_point = std::chrono::floor<days>(t);
  const std::chrono::year_month_day ymd{day_point};
  const auto in_day = t - day_point;
  const long long us = in_day.count();
  Civil c{};
  c.year = static_cast<int>(ymd.year());
  c.month = static_cast<int>(static_cast<unsigned>(ymd.month()));
  c.day = static_cast<int>(static_cast<unsigned>(ymd.day()));
  c.hour = static_cast<int>(us / 3'600'000'000LL);
  c.minute = static_cast<int>(us / 60'000'000LL % 60);
  c.second = static_cast<int>(us / 1'000'000LL % 60);
  c.micros = static_cast<long>(us % 1'000'000LL);
  return c;
}

bool Digits(std::string_view text, std::size_t pos, std::size_t count, int* value) {
  if (pos + count > text.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    v = v * 10 + (text[i] - '0');
  }
  *value = v;
  return true;
}

}  // namespace

TimePoint Now() {
  return std::chrono::time_point_cast<microseconds>(std::chrono::system_clock::now());
}

std::string FormatTimestampMicros(TimePoint t) {
  const Civil c = ToCivil(t);
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", c.year, c.month,
                c.day, c.hour, c.minute, c.second, c.micros);
  return buffer;
}

std::string FormatTimestampMillis(TimePoint t) {
  const Civil c = ToCivil(t);
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", c.year, c.month,
                c.day, c.hour, c.minute, c.second, c.micros / 1000);
  return buffer;
}

std::string FormatDayCompact(TimePoint t) {
  const Civil c = ToCivil(t);
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%04d%02d%02d", c.year, c.month, c.day);
  return buffer;
}

TimePoint StartOfDay(TimePoint t) {
  return std::chrono::time_point_cast<microseconds>(std::chrono::floor<days>(t));
}

Result<TimePoint> ParseTimestamp(std::string_view text, const std::string& field) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument((field.empty() ? std::string("timestamp") : field) + " '" +
                               std::string(text) + "' is not a valid timestamp (" + why +
                               "); use ISO 8601, e.g. 2025-06-21 or 2025-06-21T10:00:00Z",
                           field);
  };
  if (text.size() > 64) return bad("too long");
  int year = 0, month = 0, day = 0;
  if (!Digits(text, 0, 4, &year) || text.size() < 10 || text[4] != '-' ||
      !Digits(text, 5, 2, &month) || text[7] != '-' || !Digits(text, 8, 2, &day)) {
    return bad("expected YYYY-MM-DD first");
  }
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return bad("no such date");
  long long us = 0;
  std::size_t pos = 10;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return bad("expected 'T'");
    int hour = 0, minute = 0, second = 0;
    if (!Digits(text, pos + 1, 2, &hour) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !Digits(text, pos + 4, 2, &minute)) {
      return bad("expected HH:MM after the date");
    }
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      if (!Digits(text, pos + 1, 2, &second)) return bad("expected seconds");
      pos += 3;
      if (pos < text.size() && text[pos] == '.') {
        ++pos;
        long fraction = 0;
        int digits = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
          if (digits < 6) {
            fraction = fraction * 10 + (text[pos] - '0');
            ++digits;
          }
          ++pos;
        }
        if (digits == 0) return bad("expected digits after '.'");
        while (digits < 6) {
          fraction *= 10;
          ++digits;
        }
        us += fraction;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) return bad("time out of range");
    us += ((hour * 60LL + minute) * 60LL + second) * 1'000'000LL;
    if (pos < text.size()) {
      if (text[pos] == 'Z' || text[pos] == 'z') {
        ++pos;
      } else if (text[pos] == '+' || text[pos] == '-') {
        // +HH, +HHMM or +HH:MM.
        int oh = 0, om = 0;
        if (!Digits(text, pos + 1, 2, &oh) || oh > 23) return bad("expected a zone offset +HH:MM");
        std::size_t end = pos + 3;
        if (end < text.size()) {
          const std::size_t minutes = text[end] == ':' ? end + 1 : end;
          if (!Digits(text, minutes, 2, &om) || om > 59) {
            return bad("expected a zone offset +HH:MM");
          }
          end = minutes + 2;
        }
        const long long offset = (oh * 60LL + om) * 60'000'000LL;
        us += text[pos] == '+' ? -offset : offset;
        pos = end;
      }
    }
  }
  if (pos != text.size()) return bad("unexpected characters at the end");
  return TimePoint(std::chrono::sys_days(ymd)) + microseconds(us);
}

std::string NewUuid() {
  thread_local std::mt19937_64 generator([] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }());
  const auto unix_ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  std::uint64_t high = (unix_ms << 16) | (generator() & 0x0FFFULL) | 0x7000ULL;       // version 7
  std::uint64_t low = (generator() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(high >> 32), static_cast<unsigned>((high >> 16) & 0xFFFF),
                static_cast<unsigned>(high & 0xFFFF), static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
  return buffer;
}

}  // namespace pfopt::rest
