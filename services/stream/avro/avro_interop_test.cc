// pfopt's Avro bytes against an independent implementation: Debian's python3-avro (Apache Avro's
// Python library) decodes our bytes, encodes the same datums (bytes must be equal), and its bytes
// decode to our records (services/stream/avro/avro_interop.py).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "services/stream/avro/avro_codec.h"

namespace pfopt::stream {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteFile(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

nlohmann::ordered_json MapJson(const std::vector<std::string>& keys, const VectorRef& values) {
  nlohmann::ordered_json map = nlohmann::ordered_json::object();
  for (std::size_t i = 0; i < keys.size(); ++i) map[keys[i]] = values[static_cast<Index>(i)];
  return map;
}

struct Case {
  std::string name;
  Record record;
  nlohmann::ordered_json datum;
  std::vector<std::string> bytes_fields;
};

std::vector<Case> Cases() {
  std::vector<Case> cases;
  BourseData quote;
  for (std::size_t i = 0; i < kBourseFields.size(); ++i) {
    quote.*kBourseFields[i].member = "v" + std::to_string(i * 37);
  }
  quote.ticker = "IAM";
  quote.field_cours_courant = "101.35";
  quote.field_last_traded_time = "2026-03-02T10:15:30+01:00";
  quote.label =
      "Itissalat Al-Maghrib (Maroc T\xc3\xa9l\xc3\xa9"
      "com)";
  nlohmann::ordered_json quote_json = nlohmann::ordered_json::object();
  for (const auto& field : kBourseFields) quote_json[std::string(field.name)] = quote.*field.member;
  cases.push_back({"bourse", quote, quote_json, {}});

  PortfolioStats stats;
  stats.timestamp_ms = 1772442930000;
  stats.portfolio_id = "casablanca";
  stats.assets = {"AKT", "ATW", "BOA", "IAM"};
  stats.mean = Vector(4);
  stats.mean << 0.005196372580299284, 0.0033257078951037097, -0.0028496011335707536, 1e-300;
  stats.covariance = Matrix(4, 4);
  stats.covariance << 1.743768126749e-4, 3.366170873719601e-05, 2.568369962705215e-05, 5.0e-05,
      3.366170873719601e-05, 5.69627682856741e-05, 2.829343746860078e-05, 3.27e-05,
      2.568369962705215e-05, 2.829343746860078e-05, 7.759523044981414e-05, -1.36e-06, 5.0e-05,
      3.27e-05, -1.36e-06, 1.854854446435e-4;
  nlohmann::ordered_json covariance = nlohmann::ordered_json::object();
  for (Index i = 0; i < 4; ++i) {
    covariance[stats.assets[static_cast<std::size_t>(i)]] =
        MapJson(stats.assets, stats.covariance.row(i).transpose());
  }
  cases.push_back({"stats",
                   stats,
                   {{"timestamp", stats.timestamp_ms},
                    {"portfolio_id", stats.portfolio_id},
                    {"meanReturns", MapJson(stats.assets, stats.mean)},
                    {"covarianceMatrix", covariance}},
                   {}});

  PortfolioWeights weights{1772442932000, "casablanca", {"AKT", "ATW", "IMO"}, Vector(3)};
  weights.weights << 0.14041, 0.08846, 0.77113;
  cases.push_back({"weights",
                   weights,
                   {{"timestamp", weights.timestamp_ms},
                    {"portfolio_id", weights.portfolio_id},
                    {"weights", MapJson(weights.assets, weights.weights)}},
                   {}});

  PortfolioMetrics metrics{"casablanca", 0.0123456789, -0.000987654321, 1.5e10, -42};
  cases.push_back({"metrics",
                   metrics,
                   {{"portfolioId", metrics.portfolio_id},
                    {"risk", metrics.risk},
                    {"expectedReturn", metrics.expected_return},
                    {"sharpRatio", metrics.sharpe_ratio},
                    {"timestamp", metrics.timestamp_ms}},
                   {}});

  WindowReturns window{"casablanca",     2, 3, 1772442932000, 1772442872000, {"IAM", "ADI"},
                       {0.0012, -3.5e-4}};
  cases.push_back({"window",
                   window,
                   {{"portfolio_id", window.portfolio_id},
                    {"source_partition", window.source_partition},
                    {"source_partitions", window.source_partitions},
                    {"window_end", window.window_end_ms},
                    {"watermark", window.watermark_ms},
                    {"returns", {{"IAM", 0.0012}, {"ADI", -3.5e-4}}}},
                   {}});

  DeadLetter dead{"intraday-stock-prices",
                  1,
                  12345,
                  "AKT",
                  "price 'NaN' is not a finite number",
                  std::string("\x00\x01\x7f\xfe", 4),
                  1772442930000};
  std::string latin1;
  for (unsigned char c : dead.payload) {
    // JSON has no bytes: the script maps this string back through latin-1.
    if (c < 0x80) {
      latin1.push_back(static_cast<char>(c));
    } else {
      latin1.push_back(static_cast<char>(0xc0 | (c >> 6)));
      latin1.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
  cases.push_back({"dead_letter",
                   dead,
                   {{"source_topic", dead.source_topic},
                    {"partition", dead.partition},
                    {"offset", dead.offset},
                    {"key", dead.key},
                    {"reason", dead.reason},
                    {"payload", latin1},
                    {"timestamp", dead.timestamp_ms}},
                   {"payload"}});
  return cases;
}

TEST(AvroInterop, Python3AvroAgreesBothWays) {
  const fs::path dir =
      fs::temp_directory_path() / ("pfopt_avro_interop_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  AvroCodecs codecs;
  const std::vector<Case> cases = Cases();
  nlohmann::ordered_json index = nlohmann::ordered_json::array();
  std::map<std::string, std::string> ours;
  for (const Case& c : cases) {
    std::string bytes;
    ASSERT_TRUE(codecs.Encode(c.record, &bytes));
    ours[c.name] = bytes;
    WriteFile(dir / (c.name + ".cpp.bin"), bytes);
    const std::string schema_name(EnumToString(TypeOf(c.record)));
    index.push_back(
        {{"name", c.name},
         {"schema", std::string(PFOPT_SOURCE_DIR) + "/schemas/avro/" + schema_name + ".avsc"},
         {"datum", c.datum},
         {"bytes_fields", c.bytes_fields}});
  }
  WriteFile(dir / "cases.json", index.dump());
  const std::string command = "/usr/bin/python3 " + std::string(PFOPT_SOURCE_DIR) +
                              "/services/stream/avro/avro_interop.py " + dir.string();
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  for (const Case& c : cases) {
    const std::string theirs = ReadFile(dir / (c.name + ".py.bin"));
    EXPECT_EQ(theirs, ours[c.name]) << c.name;
    auto decoded = codecs.Decode(TypeOf(c.record), theirs);
    ASSERT_TRUE(decoded.has_value()) << c.name << ": " << decoded.error().ToString();
  }
  // Maps in another writer's key order decode to the same values.
  const auto& stats = std::get<PortfolioStats>(cases[1].record);
  auto reordered =
      codecs.Decode(RecordType::kPortfolioStats, ReadFile(dir / "stats_reordered.py.bin"));
  ASSERT_TRUE(reordered.has_value()) << reordered.error().ToString();
  const auto& back = std::get<PortfolioStats>(*reordered);
  ASSERT_EQ(back.assets.size(), 4u);
  EXPECT_EQ(back.assets.front(), "IAM");
  for (std::size_t i = 0; i < 4; ++i) {
    for (std::size_t j = 0; j < 4; ++j) {
      const auto bi = static_cast<Index>(3 - i), bj = static_cast<Index>(3 - j);
      EXPECT_EQ(back.covariance(bi, bj),
                stats.covariance(static_cast<Index>(i), static_cast<Index>(j)));
    }
    EXPECT_EQ(back.mean[static_cast<Index>(3 - i)], stats.mean[static_cast<Index>(i)]);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace pfopt::stream
