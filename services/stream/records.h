// The records that travel between the rebalancer's stages, the logical topics they travel on,
// and the parsing of an exchange record into a price tick.
//
// Four records are the wire contract of ../../schemas/avro (BourseData, PortfolioStatsSchema,
// WeightSchema, PortfolioMetrics); two are ours (WindowReturns between the returns and the
// statistics stages, DeadLetter for rejected messages). In memory they are plain values; the
// Avro codec (avro/avro_codec.h) turns them into bytes only where bytes are needed (Kafka,
// recordings), so the in-process bus moves them without serialising.
#ifndef PFOPT_SERVICES_STREAM_RECORDS_H_
#define PFOPT_SERVICES_STREAM_RECORDS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt::stream {

// A quote of the exchange as it publishes it: every field a string (BourseData.avsc, in schema
// order). The price is field_cours_courant (fallback field_last_traded_price), the event time
// field_last_traded_time (ISO-8601 with an offset), the instrument `ticker`.
struct BourseData {
  std::string field_date_application;
  std::string field_closing_price;
  std::string field_difference;
  std::string field_var_veille;
  std::string field_best_ask_size;
  std::string field_transact_time;
  std::string field_cours_cloture;
  std::string field_cours_ajuste;
  std::string field_cumul_titres_echanges;
  std::string field_best_bid_size;
  std::string field_capitalisation;
  std::string field_opening_price;
  std::string field_total_trades;
  std::string field_cours_courant;
  std::string field_best_ask_price;
  std::string sous_secteur;
  std::string ticker;
  std::string field_instrument_var_year;
  std::string field_var_pto;
  std::string field_last_traded_time;
  std::string label;
  std::string field_best_bid_price;
  std::string field_dynamic_reference_price;
  std::string field_static_reference_price;
  std::string field_low_price;
  std::string field_high_price;
  std::string field_cumul_volume_echange;
  std::string field_last_traded_price;
};

// The fields of BourseData in schema order, for codecs and field mappings.
struct BourseField {
  std::string_view name;
  std::string BourseData::*member;
};
extern const std::array<BourseField, 28> kBourseFields;

// PortfolioStatsSchema: the statistics of a portfolio's per-period (per window) log returns.
// On the wire the mean and covariance are maps keyed by asset (in `assets` order).
struct PortfolioStats {
  int64_t timestamp_ms = 0;  // event time: end of the last window included (ms since epoch)
  std::string portfolio_id;
  std::vector<std::string> assets;
  Vector mean;        // per period
  Matrix covariance;  // per period, n x n
};

// WeightSchema: a portfolio's weights, one per asset, summing to the budget (1 by default).
struct PortfolioWeights {
  int64_t timestamp_ms = 0;
  std::string portfolio_id;
  std::vector<std::string> assets;
  Vector weights;
};

// PortfolioMetrics (field names of the schema: portfolioId, risk, expectedReturn, sharpRatio,
// timestamp). Return and risk per period; Sharpe annualised (docs/streaming.md).
struct PortfolioMetrics {
  std::string portfolio_id;
  double risk = 0.0;
  double expected_return = 0.0;
  double sharpe_ratio = 0.0;
  int64_t timestamp_ms = 0;
};

// Ours (schemas/avro/WindowReturns.avsc): the log returns of one closed window for the tickers
// of one portfolio that trade on one partition of the price topic, plus that partition's
// watermark. `tickers` empty = a watermark-only message (the partition's watermark moved past
// a window end without a trade of the portfolio's tickers there).
struct WindowReturns {
  std::string portfolio_id;
  int32_t source_partition = 0;   // partition of the price topic
  int32_t source_partitions = 1;  // number of partitions of the price topic
  int64_t window_end_ms = 0;      // end of the window (exclusive), ms since epoch; 0 = marker
  int64_t watermark_ms = 0;       // the source partition's watermark after the close
  std::vector<std::string> tickers;
  std::vector<double> returns;  // ln(last price in window / last price of the previous window)
};

// Ours (schemas/avro/DeadLetter.avsc): a message a stage could not use, with the reason.
struct DeadLetter {
  std::string source_topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;
  std::string reason;
  std::string payload;  // the original bytes (Avro), or a rendering of the in-memory record
  int64_t timestamp_ms = 0;
};

using Record = std::variant<BourseData, PortfolioStats, PortfolioWeights, PortfolioMetrics,
                            WindowReturns, DeadLetter>;

enum class RecordType {
  kBourseData,
  kPortfolioStats,
  kPortfolioWeights,
  kPortfolioMetrics,
  kWindowReturns,
  kDeadLetter,
};
inline constexpr int kNumRecordTypes = 6;

RecordType TypeOf(const Record& record);

// The logical topics. Their names are configurable (TopicNames); each carries one record type.
enum class Topic {
  kPrices,         // intraday-stock-prices: BourseData keyed by ticker
  kWindowReturns,  // portfWindowReturns: WindowReturns keyed by portfolio_id (ours, internal)
  kInitialStats,   // portfStats: PortfolioStats keyed by portfolio_id
  kUpdatedStats,   // portfUpdatedStats: PortfolioStats keyed by portfolio_id
  kMetrics,        // portfMetrics: PortfolioMetrics keyed by portfolio_id
  kWeights,        // Weights: PortfolioWeights keyed by portfolio_id
  kDeadLetters,    // pfopt-dead-letters: DeadLetter keyed like the rejected message
};
inline constexpr int kNumTopics = 7;

RecordType RecordTypeOf(Topic topic);

struct TopicNames {
  std::array<std::string, kNumTopics> names = {
      "intraday-stock-prices", "portfWindowReturns", "portfStats",
      "portfUpdatedStats",     "portfMetrics",       "Weights",
      "pfopt-dead-letters"};
  const std::string& operator[](Topic topic) const { return names[static_cast<int>(topic)]; }
  std::string& operator[](Topic topic) { return names[static_cast<int>(topic)]; }
  // The topic of a name, or an error listing the known names.
  Result<Topic> Find(std::string_view name) const;
  Status Validate() const;  // non-empty, distinct, legal Kafka topic names
};

// ---- Price ticks ----------------------------------------------------------------------------

struct PriceTick {
  std::string_view ticker;  // points into the BourseData it was read from
  double price = 0.0;       // > 0, finite
  int64_t event_time_ms = 0;
};

// Reads ticker, price and event time. Errors (reasons for the dead-letter topic): empty
// ticker, price missing / not a number / not finite / <= 0, time missing or not ISO-8601 with
// an offset.
Result<PriceTick> ReadTick(const BourseData& quote);

// A decimal number such as "123.45", "-1e-3", " 42 " (surrounding blanks allowed; a decimal
// comma is accepted when there is no point: "123,45"). Errors: anything else, NaN, infinity.
Result<double> ParseDecimal(std::string_view text);

// ISO-8601 / RFC 3339 date-time with an offset, to milliseconds since the Unix epoch (UTC):
// "2026-03-02T10:15:30+01:00", "2026-03-02T10:15:30.250Z", "2026-03-02 10:15:30+0100"
// (fractional seconds truncated to the millisecond). Errors: anything else, including a
// missing offset (local times are ambiguous).
Result<int64_t> ParseIsoTimestampMs(std::string_view text);

// "2026-03-02T09:15:30.250Z" (UTC, always with milliseconds).
std::string FormatIsoTimestampMs(int64_t ms_since_epoch);

// Kafka's default partitioner of Java clients (murmur2 of the key, positive, modulo the count);
// librdkafka's "murmur2_random" partitioner gives the same for non-empty keys. The in-process bus
// uses it too, so a key lands on the same partition number with either bus.
int32_t PartitionForKey(std::string_view key, int32_t num_partitions);

}  // namespace pfopt::stream

namespace pfopt {

template <>
struct EnumNames<stream::Topic> {
  using E = stream::Topic;
  static constexpr std::array<std::pair<E, std::string_view>, 7> kNames{
      {{E::kPrices, "prices"},
       {E::kWindowReturns, "window-returns"},
       {E::kInitialStats, "initial-stats"},
       {E::kUpdatedStats, "updated-stats"},
       {E::kMetrics, "metrics"},
       {E::kWeights, "weights"},
       {E::kDeadLetters, "dead-letters"}}};
};

template <>
struct EnumNames<stream::RecordType> {
  using E = stream::RecordType;
  static constexpr std::array<std::pair<E, std::string_view>, 6> kNames{
      {{E::kBourseData, "BourseData"},
       {E::kPortfolioStats, "PortfolioStatsSchema"},
       {E::kPortfolioWeights, "WeightSchema"},
       {E::kPortfolioMetrics, "PortfolioMetrics"},
       {E::kWindowReturns, "WindowReturns"},
       {E::kDeadLetter, "DeadLetter"}}};
};

}  // namespace pfopt

#endif  // PFOPT_SERVICES_STREAM_RECORDS_H_
