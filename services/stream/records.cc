#include "services/stream/records.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <set>

namespace pfopt::stream {

#define PFOPT_BOURSE_FIELD(name) \
  BourseField { #name, &BourseData::name }
const std::array<BourseField, 28> kBourseFields = {{
    PFOPT_BOURSE_FIELD(field_date_application),
    PFOPT_BOURSE_FIELD(field_closing_price),
    PFOPT_BOURSE_FIELD(field_difference),
    PFOPT_BOURSE_FIELD(field_var_veille),
    PFOPT_BOURSE_FIELD(field_best_ask_size),
    PFOPT_BOURSE_FIELD(field_transact_time),
    PFOPT_BOURSE_FIELD(field_cours_cloture),
    PFOPT_BOURSE_FIELD(field_cours_ajuste),
    PFOPT_BOURSE_FIELD(field_cumul_titres_echanges),
    PFOPT_BOURSE_FIELD(field_best_bid_size),
    PFOPT_BOURSE_FIELD(field_capitalisation),
    PFOPT_BOURSE_FIELD(field_opening_price),
    PFOPT_BOURSE_FIELD(field_total_trades),
    PFOPT_BOURSE_FIELD(field_cours_courant),
    PFOPT_BOURSE_FIELD(field_best_ask_price),
    PFOPT_BOURSE_FIELD(sous_secteur),
    PFOPT_BOURSE_FIELD(ticker),
    PFOPT_BOURSE_FIELD(field_instrument_var_year),
    PFOPT_BOURSE_FIELD(field_var_pto),
    PFOPT_BOURSE_FIELD(field_last_traded_time),
    PFOPT_BOURSE_FIELD(label),
    PFOPT_BOURSE_FIELD(field_best_bid_price),
    PFOPT_BOURSE_FIELD(field_dynamic_reference_price),
    PFOPT_BOURSE_FIELD(field_static_reference_price),
    PFOPT_BOURSE_FIELD(field_low_price),
    PFOPT_BOURSE_FIELD(field_high_price),
    PFOPT_BOURSE_FIELD(field_cumul_volume_echange),
    PFOPT_BOURSE_FIELD(field_last_traded_price),
}};
#undef PFOPT_BOURSE_FIELD

RecordType TypeOf(const Record& record) { return static_cast<RecordType>(record.index()); }

RecordType RecordTypeOf(Topic topic) {
  switch (topic) {
    case Topic::kPrices:
      return RecordType::kBourseData;
    case Topic::kWindowReturns:
      return RecordType::kWindowReturns;
    case Topic::kInitialStats:
    case Topic::kUpdatedStats:
      return RecordType::kPortfolioStats;
    case Topic::kMetrics:
      return RecordType::kPortfolioMetrics;
    case Topic::kWeights:
      return RecordType::kPortfolioWeights;
    case Topic::kDeadLetters:
      break;
  }
  return RecordType::kDeadLetter;
}

Result<Topic> TopicNames::Find(std::string_view name) const {
  for (int i = 0; i < kNumTopics; ++i) {
    if (names[static_cast<std::size_t>(i)] == name) return static_cast<Topic>(i);
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return InvalidArgument("unknown topic '" + std::string(name) + "'; the topics are: " + list,
                         "topic");
}

Status TopicNames::Validate() const {
  std::set<std::string> seen;
  for (int i = 0; i < kNumTopics; ++i) {
    const std::string& name = names[static_cast<std::size_t>(i)];
    const std::string field = "topics." + std::string(EnumToString(static_cast<Topic>(i)));
    if (name.empty() || name.size() > 249) {
      return InvalidArgument("a topic name must have 1 to 249 characters", field);
    }
    for (char c : name) {
      const bool legal = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
      if (!legal) {
        return InvalidArgument(
            "topic name '" + name + "' has a character other than letters, digits, '.', '_', '-'",
            field);
      }
    }
    if (!seen.insert(name).second) {
      return InvalidArgument("topic name '" + name + "' is used for two topics", field);
    }
  }
  return Ok();
}

Result<double> ParseDecimal(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() || text.size() > 64) {
    return InvalidArgument("'" + std::string(text) + "' is not a number");
  }
  char buffer[64];
  const bool comma_decimal = text.find('.') == std::string_view::npos;
  for (std::size_t i = 0; i < text.size(); ++i) {
    buffer[i] = comma_decimal && text[i] == ',' ? '.' : text[i];
  }
  double value = 0.0;
  const char* end = buffer + text.size();
  auto [ptr, ec] = std::from_chars(buffer, end, value);
  if (ec != std::errc() || ptr != end) {
    return InvalidArgument("'" + std::string(text) + "' is not a number");
  }
  if (!std::isfinite(value)) {
    return InvalidArgument("'" + std::string(text) + "' is not a finite number");
  }
  return value;
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysInMonth(int64_t year, int64_t month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Reads exactly `digits` decimal digits at text[*pos].
bool ReadDigits(std::string_view text, std::size_t* pos, int digits, int64_t* out) {
  if (*pos + static_cast<std::size_t>(digits) > text.size()) return false;
  int64_t value = 0;
  for (int i = 0; i < digits; ++i) {
    const char c = text[*pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *pos += static_cast<std::size_t>(digits);
  *out = value;
  return true;
}

bool Expect(std::string_view text, std::size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

Result<int64_t> ParseIsoTimestampMs(std::string_view text) {
  auto fail = [&]() {
    return InvalidArgument("'" + std::string(text) +
                           "' is not an ISO-8601 date-time with an offset "
                           "(e.g. 2026-03-02T10:15:30+01:00)");
  };
  std::size_t pos = 0;
  int64_t year, month, day, hour, minute, second;
  if (!ReadDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &day)) {
    return fail();
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return fail();
  }
  ++pos;
  if (!ReadDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &second)) {
    return fail();
  }
  int64_t millis = 0;
  if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return fail();
    for (int d = digits; d < 3; ++d) millis *= 10;
  }
  int64_t offset_minutes = 0;
  if (pos >= text.size()) return fail();  // no offset
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int64_t sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int64_t oh = 0, om = 0;
    if (!ReadDigits(text, &pos, 2, &oh)) return fail();
    if (pos < text.size()) {
      if (text[pos] == ':') ++pos;
      if (!ReadDigits(text, &pos, 2, &om)) return fail();
    }
    if (oh > 23 || om > 59) return fail();
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return fail();
  }
  if (pos != text.size()) return fail();
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60) {
    return fail();
  }
  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000 + millis;
}

std::string FormatIsoTimestampMs(int64_t ms) {
  int64_t seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  const int64_t millis = ms - seconds * 1000;
  int64_t days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400;
  int64_t rest = seconds - days * 86400;
  // civil_from_days (H. Hinnant).
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t year = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  if (month <= 2) ++year;
  char buffer[160];
  std::snprintf(buffer, sizeof(buffer), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(year), static_cast<long long>(month),
                static_cast<long long>(day), static_cast<long long>(rest / 3600),
                static_cast<long long>(rest / 60 % 60), static_cast<long long>(rest % 60),
                static_cast<long long>(millis));
  return buffer;
}

Result<PriceTick> ReadTick(const BourseData& quote) {
  PriceTick tick;
  if (quote.ticker.empty()) return InvalidArgument("empty ticker", "ticker");
  tick.ticker = quote.ticker;
  const bool has_current = !quote.field_cours_courant.empty();
  const std::string& price_text =
      has_current ? quote.field_cours_courant : quote.field_last_traded_price;
  const char* price_field = has_current ? "field_cours_courant" : "field_last_traded_price";
  if (price_text.empty()) {
    return InvalidArgument("no price: field_cours_courant and field_last_traded_price are empty",
                           "field_cours_courant");
  }
  auto price = ParseDecimal(price_text);
  if (!price) return InvalidArgument("price " + price.error().message(), price_field);
  if (!(*price > 0.0)) {
    return InvalidArgument("price " + price_text + " is not positive", price_field);
  }
  tick.price = *price;
  auto time = ParseIsoTimestampMs(quote.field_last_traded_time);
  if (!time) {
    return InvalidArgument("time " + time.error().message(), "field_last_traded_time");
  }
  tick.event_time_ms = *time;
  return tick;
}

int32_t PartitionForKey(std::string_view key, int32_t num_partitions) {
  if (num_partitions <= 1) return 0;
  constexpr uint32_t kSeed = 0x9747b28cU;
  constexpr uint32_t kM = 0x5bd1e995U;
  constexpr int kR = 24;
  const auto* data = reinterpret_cast<const unsigned char*>(key.data());
  const uint32_t length = static_cast<uint32_t>(key.size());
  uint32_t h = kSeed ^ length;
  const uint32_t blocks = length / 4;
  for (uint32_t i = 0; i < blocks; ++i) {
    const unsigned char* p = data + 4 * i;
    uint32_t k = static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
                 (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const unsigned char* tail = data + 4 * blocks;
  switch (length % 4) {
    case 3:
      h ^= static_cast<uint32_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint32_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint32_t>(tail[0]);
      h *= kM;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return static_cast<int32_t>((h & 0x7fffffffU) % static_cast<uint32_t>(num_partitions));
}

}  // namespace pfopt::stream
