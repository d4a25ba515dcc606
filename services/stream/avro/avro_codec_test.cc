#include "services/stream/avro/avro_codec.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace pfopt::stream {
namespace {

PortfolioStats SampleStats() {
  PortfolioStats stats;
  stats.timestamp_ms = 1772442930000;
  stats.portfolio_id = "casablanca";
  stats.assets = {"IAM", "ATW", "BCP"};
  stats.mean = Vector(3);
  stats.mean << 0.0037, -0.0012, 2.5e-5;
  stats.covariance = Matrix(3, 3);
  stats.covariance << 1.8e-4, 3.2e-5, 2.9e-5, 3.2e-5, 5.7e-5, 2.4e-5, 2.9e-5, 2.4e-5, 5.3e-5;
  return stats;
}

template <class T>
T RoundTrip(const T& record) {
  auto codec = AvroCodec::Create(TypeOf(Record(record)));
  EXPECT_TRUE(codec.has_value());
  std::string bytes;
  EXPECT_TRUE((*codec)->Encode(Record(record), &bytes));
  auto decoded = (*codec)->Decode(bytes);
  EXPECT_TRUE(decoded.has_value()) << decoded.error().ToString();
  return std::get<T>(*decoded);
}

TEST(AvroCodec, BourseDataRoundTripsEveryField) {
  BourseData quote;
  for (std::size_t i = 0; i < kBourseFields.size(); ++i) {
    quote.*kBourseFields[i].member = std::string(kBourseFields[i].name) + "=" + std::to_string(i);
  }
  quote.label = "Maroc Telecom \xc3\xa9";  // UTF-8
  quote.field_var_pto = "";
  const BourseData back = RoundTrip(quote);
  for (const auto& field : kBourseFields) EXPECT_EQ(back.*field.member, quote.*field.member);
}

// A quote whose fields are random bytes of random lengths: empty, short (inside std::string's own
// buffer), and over 63 and 8191 bytes (lengths of two and three varint bytes).
BourseData RandomQuote(std::mt19937_64& rng) {
  BourseData quote;
  std::uniform_int_distribution<int> byte(0, 255), kind(0, 9);
  for (const auto& field : kBourseFields) {
    const int k = kind(rng);
    const std::size_t length = k < 2   ? 0
                               : k < 7 ? static_cast<std::size_t>(rng() % 24)
                               : k < 9 ? 60 + static_cast<std::size_t>(rng() % 200)
                                       : 8180 + static_cast<std::size_t>(rng() % 40);
    std::string& text = quote.*field.member;
    for (std::size_t i = 0; i < length; ++i) text.push_back(static_cast<char>(byte(rng)));
  }
  return quote;
}

// The flat path (the default for BourseData) against avro-c's generic values: the same bytes for
// random quotes, and for those bytes and every corruption of them (truncations, a trailing byte,
// flipped bytes, forged lengths) the same decoded quote or the same rejection.
TEST(AvroCodec, QuoteFlatPathAgreesWithAvroC) {
  auto flat = AvroCodec::Create(RecordType::kBourseData, QuotePath::kFlat);
  auto avro_c = AvroCodec::Create(RecordType::kBourseData, QuotePath::kAvroC);
  ASSERT_TRUE(flat.has_value() && avro_c.has_value());
  std::mt19937_64 rng(20261128);
  const auto same_decoding = [&](std::string_view bytes) {
    auto a = (*flat)->Decode(bytes);
    auto b = (*avro_c)->Decode(bytes);
    if (a.has_value() != b.has_value()) return false;
    if (!a.has_value()) return a.error().code() == b.error().code();
    for (const auto& field : kBourseFields) {
      if (std::get<BourseData>(*a).*field.member != std::get<BourseData>(*b).*field.member) {
        return false;
      }
    }
    return true;
  };
  int accepted = 0, rejected = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const BourseData quote = RandomQuote(rng);
    std::string bytes_flat, bytes_avro_c;
    ASSERT_TRUE((*flat)->Encode(Record(quote), &bytes_flat));
    ASSERT_TRUE((*avro_c)->Encode(Record(quote), &bytes_avro_c));
    ASSERT_EQ(bytes_flat, bytes_avro_c) << trial;
    auto back = (*flat)->Decode(bytes_flat);
    ASSERT_TRUE(back.has_value()) << back.error().ToString();
    for (const auto& field : kBourseFields) {
      ASSERT_EQ(std::get<BourseData>(*back).*field.member, quote.*field.member) << field.name;
    }
    std::vector<std::string> corrupted = {bytes_flat + "x", bytes_flat + std::string(1, '\0')};
    for (int i = 0; i < 20; ++i) {
      corrupted.push_back(bytes_flat.substr(0, rng() % bytes_flat.size()));
      std::string flipped = bytes_flat;
      flipped[rng() % flipped.size()] ^= static_cast<char>(1 + rng() % 255);
      corrupted.push_back(flipped);
    }
    corrupted.push_back("\xfe\xff\xff\xff\xff\xff\xff\xff\xff\x01");  // 2^63 - 1 bytes
    corrupted.push_back("\x01");                                      // length -1
    corrupted.push_back(std::string(11, '\x80'));                     // an endless varint
    for (const std::string& bytes : corrupted) {
      ASSERT_TRUE(same_decoding(bytes)) << trial;
      ++((*flat)->Decode(bytes).has_value() ? accepted : rejected);
    }
  }
  // Both outcomes occurred (a flipped string byte still decodes; a cut rarely does).
  EXPECT_GT(accepted, 100);
  EXPECT_GT(rejected, 100);
  // The empty quote: 28 zero lengths.
  std::string empty;
  ASSERT_TRUE((*flat)->Encode(Record(BourseData{}), &empty));
  EXPECT_EQ(empty, std::string(28, '\0'));
}

TEST(AvroCodec, StatsRoundTripExactly) {
  const PortfolioStats stats = SampleStats();
  const PortfolioStats back = RoundTrip(stats);
  EXPECT_EQ(back.timestamp_ms, stats.timestamp_ms);
  EXPECT_EQ(back.portfolio_id, stats.portfolio_id);
  EXPECT_EQ(back.assets, stats.assets);
  EXPECT_EQ(back.mean, stats.mean);
  EXPECT_EQ(back.covariance, stats.covariance);
}

TEST(AvroCodec, WeightsMetricsWindowsAndDeadLettersRoundTrip) {
  PortfolioWeights weights{17, "p", {"A", "B"}, Vector::Constant(2, 0.5)};
  const PortfolioWeights w = RoundTrip(weights);
  EXPECT_EQ(w.assets, weights.assets);
  EXPECT_EQ(w.weights, weights.weights);
  EXPECT_EQ(w.timestamp_ms, 17);

  PortfolioMetrics metrics{"p", 0.02, 0.001, 1.25, -5};
  const PortfolioMetrics m = RoundTrip(metrics);
  EXPECT_EQ(m.portfolio_id, "p");
  EXPECT_EQ(m.risk, 0.02);
  EXPECT_EQ(m.expected_return, 0.001);
  EXPECT_EQ(m.sharpe_ratio, 1.25);
  EXPECT_EQ(m.timestamp_ms, -5);

  WindowReturns window{"p", 2, 3, 4000, 3500, {"A", "B"}, {0.01, -0.02}};
  const WindowReturns r = RoundTrip(window);
  EXPECT_EQ(r.source_partition, 2);
  EXPECT_EQ(r.source_partitions, 3);
  EXPECT_EQ(r.window_end_ms, 4000);
  EXPECT_EQ(r.watermark_ms, 3500);
  EXPECT_EQ(r.tickers, window.tickers);
  EXPECT_EQ(r.returns, window.returns);

  DeadLetter dead{"prices", 1, 99, "AKT", "price NaN", std::string("\0\x01\xff", 3), 12};
  const DeadLetter d = RoundTrip(dead);
  EXPECT_EQ(d.payload, dead.payload);
  EXPECT_EQ(d.reason, dead.reason);
  EXPECT_EQ(d.offset, 99);
}

TEST(AvroCodec, EncodesTheSpecifiedBytes) {
  // Avro binary by hand: zigzag varint long 17 = 0x22; string "p" = 0x02 'p'; a map block of 1
  // entry = 0x02, key "A" = 0x02 'A', double 0.5 little-endian, end of map 0x00.
  PortfolioWeights weights{17, "p", {"A"}, Vector::Constant(1, 0.5)};
  auto codec = AvroCodec::Create(RecordType::kPortfolioWeights);
  std::string bytes;
  ASSERT_TRUE((*codec)->Encode(Record(weights), &bytes));
  const std::string expected(
      "\x22\x02p\x02\x02"
      "A\x00\x00\x00\x00\x00\x00\xe0\x3f\x00",
      15);
  EXPECT_EQ(bytes, expected);
}

TEST(AvroCodec, RejectsMalformedBytesWithoutCrashing) {
  auto codec = AvroCodec::Create(RecordType::kPortfolioStats);
  std::string good;
  ASSERT_TRUE((*codec)->Encode(Record(SampleStats()), &good));
  // Every truncation, a trailing byte, and forged huge or negative lengths.
  for (std::size_t size = 0; size < good.size(); ++size) {
    EXPECT_FALSE((*codec)->Decode(std::string_view(good).substr(0, size)).has_value()) << size;
  }
  EXPECT_EQ((*codec)->Decode(good + "x").error().code(), ErrorCode::kParseError);
  EXPECT_FALSE((*codec)->Decode("\x02\xfe\xff\xff\xff\xff\xff\xff\xff\x7f").has_value());
  EXPECT_FALSE((*codec)->Decode("\x02\x01").has_value());  // negative string length
  EXPECT_FALSE((*codec)->Decode(std::string(64, '\xff')).has_value());
  // Still works after the failures.
  EXPECT_TRUE((*codec)->Decode(good).has_value());
}

// The bytes of a PortfolioStats whose mean is over `mean_assets` and whose covariance map is over
// `covariance_assets`: a WeightSchema record has the shape of the first three fields.
std::string SplicedStats(const std::vector<std::string>& mean_assets,
                         const std::vector<std::string>& covariance_assets) {
  auto weights_codec = AvroCodec::Create(RecordType::kPortfolioWeights);
  auto stats_codec = AvroCodec::Create(RecordType::kPortfolioStats);
  const Index m = static_cast<Index>(mean_assets.size());
  const Index c = static_cast<Index>(covariance_assets.size());
  std::string prefix, full, full_prefix;
  EXPECT_TRUE(
      (*weights_codec)
          ->Encode(Record(PortfolioWeights{1, "p", mean_assets, Vector::Zero(m)}), &prefix));
  EXPECT_TRUE((*stats_codec)
                  ->Encode(Record(PortfolioStats{1, "p", covariance_assets, Vector::Zero(c),
                                                 Matrix::Identity(c, c)}),
                           &full));
  EXPECT_TRUE((*weights_codec)
                  ->Encode(Record(PortfolioWeights{1, "p", covariance_assets, Vector::Zero(c)}),
                           &full_prefix));
  return prefix + full.substr(full_prefix.size());
}

TEST(AvroCodec, RejectsACovarianceThatDoesNotCoverTheMeansAssets) {
  auto codec = AvroCodec::Create(RecordType::kPortfolioStats);
  // The splice itself is right: same assets decode.
  EXPECT_TRUE((*codec)->Decode(SplicedStats({"A", "B"}, {"A", "B"})).has_value());
  auto rows = (*codec)->Decode(SplicedStats({"A", "B"}, {"A", "B", "C"}));
  ASSERT_FALSE(rows.has_value());
  EXPECT_NE(rows.error().message().find("3 rows for the 2 assets"), std::string::npos);
  auto names = (*codec)->Decode(SplicedStats({"A", "B"}, {"A", "X"}));
  ASSERT_FALSE(names.has_value());
  EXPECT_NE(names.error().message().find("B"), std::string::npos) << names.error().message();
}

TEST(AvroCodec, EncoderChecksSizesTypesAndDuplicates) {
  auto codec = AvroCodec::Create(RecordType::kPortfolioStats);
  std::string bytes;
  PortfolioStats stats = SampleStats();
  stats.covariance.conservativeResize(2, 3);
  EXPECT_EQ((*codec)->Encode(Record(stats), &bytes).error().code(), ErrorCode::kDimensionMismatch);
  PortfolioWeights duplicate{1, "p", {"A", "A"}, Vector::Constant(2, 0.5)};
  auto weights_codec = AvroCodec::Create(RecordType::kPortfolioWeights);
  EXPECT_FALSE((*weights_codec)->Encode(Record(duplicate), &bytes).has_value());
  EXPECT_FALSE((*codec)->Encode(Record(duplicate), &bytes).has_value());  // wrong type
}

TEST(WireFormat, ConfluentFramingRoundTripsAndChecksTheId) {
  WireFormat format;
  format.confluent = true;
  format.schema_ids[static_cast<int>(RecordType::kPortfolioMetrics)] = 258;
  const std::string framed = FrameForWire(format, RecordType::kPortfolioMetrics, "abc");
  EXPECT_EQ(framed, std::string("\0\0\0\x01\x02"
                                "abc",
                                8));
  EXPECT_EQ(*UnframeFromWire(format, RecordType::kPortfolioMetrics, framed), "abc");
  EXPECT_FALSE(UnframeFromWire(format, RecordType::kPortfolioWeights, framed).has_value());
  EXPECT_FALSE(UnframeFromWire(format, RecordType::kPortfolioMetrics, "abc").has_value());
  EXPECT_EQ(*UnframeFromWire(WireFormat{}, RecordType::kPortfolioMetrics, "abc"), "abc");
}

}  // namespace
}  // namespace pfopt::stream
