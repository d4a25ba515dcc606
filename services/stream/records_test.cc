#include "services/stream/records.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <string>

namespace pfopt::stream {
namespace {

TEST(ParseIsoTimestampMs, ReadsOffsetsFractionsAndSeparators) {
  // 2026-03-02T09:15:30Z = 1772442930 s since the epoch (date -u -d ... +%s).
  EXPECT_EQ(*ParseIsoTimestampMs("2026-03-02T09:15:30Z"), 1772442930000);
  EXPECT_EQ(*ParseIsoTimestampMs("2026-03-02T10:15:30+01:00"), 1772442930000);
  EXPECT_EQ(*ParseIsoTimestampMs("2026-03-02 10:15:30+0100"), 1772442930000);
  EXPECT_EQ(*ParseIsoTimestampMs("2026-03-02T08:15:30-01"), 1772442930000);
  EXPECT_EQ(*ParseIsoTimestampMs("2026-03-02T09:15:30.25Z"), 1772442930250);
  EXPECT_EQ(*ParseIsoTimestampMs("2026-03-02T09:15:30.123999+00:00"), 1772442930123);
  EXPECT_EQ(*ParseIsoTimestampMs("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseIsoTimestampMs("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_EQ(*ParseIsoTimestampMs("1969-12-31T23:59:59Z"), -1000);
}

TEST(ParseIsoTimestampMs, RejectsMalformedAndLocalTimes) {
  for (const char* bad :
       {"", "2026-03-02", "2026-03-02T09:15:30", "2026-13-02T09:15:30Z", "2026-02-30T09:15:30Z",
        "2026-03-02T24:00:00Z", "2026-03-02T09:15:30+25:00", "2026-03-02T09:15:30Zjunk",
        "2026-03-02T09:15:30.Z", "yesterday", "2023-02-29T00:00:00Z"}) {
    EXPECT_FALSE(ParseIsoTimestampMs(bad).has_value()) << bad;
  }
}

TEST(FormatIsoTimestampMs, RoundTripsThroughTheParser) {
  for (int64_t ms : {int64_t{0}, int64_t{1772442930250}, int64_t{-1000}, int64_t{951782400123},
                     int64_t{4102444799999}}) {
    EXPECT_EQ(*ParseIsoTimestampMs(FormatIsoTimestampMs(ms)), ms) << FormatIsoTimestampMs(ms);
  }
  EXPECT_EQ(FormatIsoTimestampMs(1772442930250), "2026-03-02T09:15:30.250Z");
}

TEST(ParseDecimal, AcceptsPlainAndCommaDecimals) {
  EXPECT_EQ(*ParseDecimal("123.45"), 123.45);
  EXPECT_EQ(*ParseDecimal(" 42 "), 42.0);
  EXPECT_EQ(*ParseDecimal("+1e-3"), 1e-3);
  EXPECT_EQ(*ParseDecimal("123,45"), 123.45);
  for (const char* bad : {"", "abc", "nan", "NaN", "inf", "-inf", "1.2.3", "12 3", "1,234.5x"}) {
    EXPECT_FALSE(ParseDecimal(bad).has_value()) << bad;
  }
}

BourseData Quote(std::string ticker, std::string price, std::string time) {
  BourseData quote;
  quote.ticker = std::move(ticker);
  quote.field_cours_courant = std::move(price);
  quote.field_last_traded_time = std::move(time);
  return quote;
}

TEST(ReadTick, UsesTheCurrentPriceThenTheLastTradedPrice) {
  BourseData quote = Quote("IAM", "101.5", "2026-03-02T10:15:30+01:00");
  quote.field_last_traded_price = "99";
  auto tick = ReadTick(quote);
  ASSERT_TRUE(tick.has_value());
  EXPECT_EQ(tick->ticker, "IAM");
  EXPECT_EQ(tick->price, 101.5);
  EXPECT_EQ(tick->event_time_ms, 1772442930000);
  quote.field_cours_courant.clear();
  EXPECT_EQ(ReadTick(quote)->price, 99.0);
}

TEST(ReadTick, NamesTheBadField) {
  EXPECT_EQ(ReadTick(Quote("", "1", "2026-03-02T10:15:30Z")).error().field(), "ticker");
  EXPECT_EQ(ReadTick(Quote("A", "NaN", "2026-03-02T10:15:30Z")).error().field(),
            "field_cours_courant");
  EXPECT_EQ(ReadTick(Quote("A", "0", "2026-03-02T10:15:30Z")).error().field(),
            "field_cours_courant");
  EXPECT_EQ(ReadTick(Quote("A", "-3", "2026-03-02T10:15:30Z")).error().field(),
            "field_cours_courant");
  EXPECT_EQ(ReadTick(Quote("A", "", "2026-03-02T10:15:30Z")).error().field(),
            "field_cours_courant");
  EXPECT_EQ(ReadTick(Quote("A", "1", "10:15")).error().field(), "field_last_traded_time");
}

TEST(PartitionForKey, AgreesWithLibrdkafkasMurmur2Partitioner) {
  for (const char* key : {"AKT", "ATW", "BOA", "BCP", "MDP", "MUT", "IAM", "RIS", "TGC", "ADI",
                          "IMO", "casablanca", "portfolio_001", "a", "ab", "abcd", "abcdefg"}) {
    const std::string k(key);
    for (int32_t partitions : {1, 2, 3, 7, 12}) {
      const int32_t expected = rd_kafka_msg_partitioner_murmur2(nullptr, k.data(), k.size(),
                                                                partitions, nullptr, nullptr);
      EXPECT_EQ(PartitionForKey(k, partitions), expected) << k << " / " << partitions;
    }
  }
}

TEST(PartitionForKey, MatchesJavaClientValues) {
  // org.apache.kafka.common.utils.Utils.murmur2 test vectors of Kafka's UtilsTest; with
  // INT32_MAX partitions the partition is the positive hash itself.
  const std::pair<const char*, int32_t> cases[] = {{"21", -973932308},
                                                   {"foobar", -790332482},
                                                   {"a-little-bit-long-string", -985981536},
                                                   {"a-little-bit-longer-string", -1486304829},
                                                   {"abc", 479470107}};
  for (const auto& [key, hash] : cases) {
    const uint32_t positive = static_cast<uint32_t>(hash) & 0x7fffffffU;
    EXPECT_EQ(PartitionForKey(key, INT32_MAX), static_cast<int32_t>(positive % INT32_MAX)) << key;
  }
}

TEST(TopicNames, DefaultsAreValidAndNamesResolve) {
  TopicNames names;
  EXPECT_TRUE(names.Validate());
  EXPECT_EQ(*names.Find("portfMetrics"), Topic::kMetrics);
  EXPECT_FALSE(names.Find("nope").has_value());
  names[Topic::kWeights] = "portfMetrics";
  EXPECT_FALSE(names.Validate().has_value());
  names[Topic::kWeights] = "bad name";
  EXPECT_FALSE(names.Validate().has_value());
}

}  // namespace
}  // namespace pfopt::stream
