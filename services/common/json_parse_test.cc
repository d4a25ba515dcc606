#include "services/common/json_parse.h"

#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace pfopt::service {
namespace {

using nlohmann::json;

// nlohmann's own parser is the reference: the same documents, the same values.
TEST(ParseJson, AgreesWithTheReferenceParserOnValidDocuments) {
  for (const char* text : {"0",
                           "-0",
                           "1",
                           "-1",
                           "0.5",
                           "-12.25e-3",
                           "1E+2",
                           "123456789012",
                           "18446744073709551615",
                           "-9223372036854775808",
                           "18446744073709551616",
                           "1e-400",
                           "2.2250738585072014e-308",
                           "0.1",
                           "0.30000000000000004",
                           "1.7976931348623157e308",
                           "true",
                           "false",
                           "null",
                           "\"\"",
                           "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"",
                           "\"\\u00e9\\u20ac\\ud83d\\ude00\"",
                           "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
                           "[]",
                           "{}",
                           " [ 1 , [ 2 , [ ] ] , { } ] ",
                           "{\"a\": {\"b\": [1, 2.5, null]}, \"c\": \"d\"}",
                           "\t\r\n{\"x\":-0.000001}\n"}) {
    if (std::string(text).empty()) continue;
    auto ours = ParseJson(text);
    ASSERT_TRUE(ours) << text << ": " << ours.error().message();
    const json reference = json::parse(text);
    EXPECT_EQ(*ours, reference) << text;
    EXPECT_EQ(ours->type(), reference.type()) << text;
  }
}

TEST(ParseJson, RejectsWhatJsonDoesNotAllow) {
  for (const char* text : {"",
                           " ",
                           "{",
                           "[1,]",
                           "[1 2]",
                           "{\"a\" 1}",
                           "{\"a\":1,}",
                           "{a:1}",
                           "'a'",
                           "01",
                           "1.",
                           ".5",
                           "-",
                           "1e",
                           "1e+",
                           "+1",
                           "NaN",
                           "[NaN]",
                           "Infinity",
                           "-Infinity",
                           "tru",
                           "nul",
                           "\"abc",
                           "\"\\x\"",
                           "\"\\u12\"",
                           "\"\\ud800\"",
                           "\"\\udc00\"",
                           "\"a\x01\"",
                           "\"\xff\"",
                           "\"\xc0\xaf\"",
                           "\"\xed\xa0\x80\"",
                           "[1] x",
                           "1e400",
                           "-1e400",
                           "{\"a\":1,\"a\":2}",
                           "/* c */ 1"}) {
    auto parsed = ParseJson(text);
    EXPECT_FALSE(parsed) << "accepted: " << text;
    if (!parsed) {
      EXPECT_EQ(parsed.error().code(), ErrorCode::kParseError);
      EXPECT_NE(parsed.error().message().find("line 1, column"), std::string::npos)
          << parsed.error().message();
    }
  }
}

TEST(ParseJson, ErrorsSayWhereAndWhat) {
  auto parsed = ParseJson("{\n  \"a\": [1, 2,\n  ]\n}");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().message().substr(0, 17), "line 3, column 3:");
  auto duplicate = ParseJson("{\"id\": 1, \"id\": 2}");
  ASSERT_FALSE(duplicate);
  EXPECT_NE(duplicate.error().message().find("duplicate key 'id'"), std::string::npos);
  auto nan = ParseJson("[0.1, NaN]");
  ASSERT_FALSE(nan);
  EXPECT_NE(nan.error().message().find("NaN"), std::string::npos);
  // A missing separator or an unclosed container, in objects, arrays and number arrays.
  std::vector<std::vector<double>> arrays;
  JsonParseOptions numbers;
  numbers.number_arrays = &arrays;
  const std::pair<const char*, const char*> separators[] = {
      {R"({"a": 1 "b": 2})", "line 1, column 9: expected ',' or '}' after an object member"},
      {R"({"a": [1, {"b": 2} 3]})",
       "line 1, column 20: expected ',' or ']' after an array element"},
      {R"([0.1, 0.2 0.3])", "line 1, column 11: expected ',' or ']' after an array element"},
      {R"({"a": 1)", "unexpected end of input in an object, expected ',' or '}'"},
      {R"([1, 2)", "unexpected end of input in an array, expected ',' or ']'"},
  };
  for (const auto& [text, message] : separators) {
    for (const JsonParseOptions& options : {JsonParseOptions{}, numbers}) {
      auto bad = ParseJson(text, options);
      ASSERT_FALSE(bad) << text;
      EXPECT_NE(bad.error().message().find(message), std::string::npos)
          << text << ": " << bad.error().message();
    }
  }
}

TEST(ParseJson, NestingIsBounded) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  auto parsed = ParseJson(deep);
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message().find("nesting"), std::string::npos);
  const std::string ok = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(ParseJson(ok));
}

// Random documents written by the reference serialiser read back identically (doubles exactly).
TEST(ParseJson, RoundTripsRandomDocuments) {
  std::mt19937_64 generator(20240611);
  std::uniform_int_distribution<int> kind(0, 7);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::uniform_int_distribution<int> exponent(-300, 300);
  auto make = [&](auto&& self, int depth) -> json {
    switch (depth > 3 ? kind(generator) % 5 : kind(generator)) {
      case 0:
        return normal(generator) * std::pow(10.0, exponent(generator));
      case 1:
        return static_cast<std::int64_t>(generator());
      case 2:
        return generator();
      case 3: {
        std::string s;
        for (int i = 0; i < 8; ++i) s.push_back(static_cast<char>(32 + generator() % 95));
        return s + "\xc3\xa9\n\"\\";
      }
      case 4:
        return nullptr;
      case 5: {
        json array = json::array();
        for (int i = 0; i < 5; ++i) array.push_back(self(self, depth + 1));
        return array;
      }
      default: {
        json object = json::object();
        for (int i = 0; i < 4; ++i)
          object["k" + std::to_string(generator() % 1000)] = self(self, depth + 1);
        return object;
      }
    }
  };
  for (int trial = 0; trial < 200; ++trial) {
    const json document = make(make, 0);
    auto parsed = ParseJson(document.dump());
    ASSERT_TRUE(parsed) << parsed.error().message();
    EXPECT_EQ(*parsed, document) << document.dump();
  }
}

TEST(ParseJson, LongNumberArraysCanBeKeptApart) {
  std::vector<std::vector<double>> arrays;
  JsonParseOptions options;
  options.number_arrays = &arrays;
  options.min_number_array = 3;
  auto parsed = ParseJson(R"({"a": [1, null, -2.5e-3, 4], "b": [1, 2], "c": [1, 2, "x"],
                              "d": {"e": [0.25, 0.5, 0.75]}, "f": []})",
                          options);
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_EQ(arrays.size(), 2u);
  const std::vector<double>* a = NumberArrayOf((*parsed)["a"], &arrays);
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->size(), 4u);
  EXPECT_EQ((*a)[0], 1.0);
  EXPECT_TRUE(std::isnan((*a)[1]));
  EXPECT_EQ((*a)[2], -2.5e-3);
  EXPECT_EQ(*NumberArrayOf((*parsed)["d"]["e"], &arrays), (std::vector<double>{0.25, 0.5, 0.75}));
  EXPECT_EQ((*parsed)["b"], json::parse("[1, 2]"));         // short: an ordinary array
  EXPECT_EQ((*parsed)["c"], json::parse("[1, 2, \"x\"]"));  // mixed: an ordinary array
  EXPECT_EQ((*parsed)["f"], json::array());
  EXPECT_EQ(NumberArrayOf((*parsed)["b"], &arrays), nullptr);
  EXPECT_FALSE(ParseJson("[1, 2, 3, NaN]", options));
  EXPECT_FALSE(ParseJson("[1, 2, 3", options));
  EXPECT_FALSE(ParseJson("[1, 2, 3,]", options));
}

// The double std::from_chars reads from `text` (strtod for the tiny values it calls out of
// range, as the reader does), or NaN when from_chars refuses it (too large).
double FromChars(const std::string& text) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) {
    value = std::strtod(text.c_str(), nullptr);
    return std::isinf(value) ? std::nan("") : value;
  }
  EXPECT_TRUE(ec == std::errc() && end == text.data() + text.size()) << text;
  return value;
}

// Seeded number texts of every kind the reader has a path for: short decimals (the bulk
// reader of number arrays), 17 significant digits, shortest round-trip forms, long digit runs,
// exponents, integers beyond 64 bits, and the edges of the exact fast paths.
std::vector<std::string> NumberTexts() {
  std::vector<std::string> texts = {"0",
                                    "-0",
                                    "0.0",
                                    "-0.0",
                                    "-0.000000",
                                    "1",
                                    "-1",
                                    "0.5",
                                    "1e22",
                                    "1e23",
                                    "1E5",
                                    "1e+5",
                                    "1e-5",
                                    "-2.5e-3",
                                    "9007199254740992",
                                    "9007199254740993",
                                    "-9007199254740993",
                                    "9007199254740993.0",
                                    "0.9007199254740993",
                                    "900719925474099.3",
                                    "9999999999999999",
                                    "99999999.99999999",
                                    "0.0000000000000001",
                                    "0.00000000000000000000000000012345",
                                    "1234567890123456.7",
                                    "12345678901234567890",
                                    "123456789012345678901234567890",
                                    "18446744073709551615",
                                    "18446744073709551616",
                                    "-9223372036854775808",
                                    "-9223372036854775809",
                                    "0.1",
                                    "0.2",
                                    "0.30000000000000004",
                                    "4.9e-324",
                                    "2.4703282292062328e-324",
                                    "2.4703282292062327e-324",
                                    "1e-400",
                                    "-1e-400",
                                    "2.2250738585072011e-308",
                                    "2.2250738585072014e-308",
                                    "1.7976931348623157e308",
                                    "1.7976931348623158e308",
                                    "1.00000000000000011102230246251565404236316680908203125",
                                    "1.00000000000000011102230246251565404236316680908203124",
                                    "1.00000000000000011102230246251565404236316680908203126",
                                    "123456.7890123456",
                                    "0.000009427",
                                    "-0.009427",
                                    "7.1e-05",
                                    "-2e-06",
                                    "1.5e300",
                                    "0e99999",
                                    "123e-22",
                                    "123e-23",
                                    "4503599627370497.5",
                                    "8.98846567431158e307"};
  std::mt19937_64 generator(20261128);
  std::uniform_int_distribution<int> digit(0, 9), bit(0, 1), length(1, 25);
  std::uniform_int_distribution<int> decimals(0, 10), whole_digits(0, 8), exponent(-400, 400);
  auto digits = [&](int count, bool leading_nonzero) {
    std::string out;
    for (int i = 0; i < count; ++i) {
      out.push_back(static_cast<char>(
          '0' + (i == 0 && leading_nonzero ? 1 + digit(generator) % 9 : digit(generator))));
    }
    return out;
  };
  char buffer[64];
  for (int trial = 0; trial < 20000; ++trial) {
    const std::string sign = bit(generator) != 0 ? "-" : "";
    // Short decimals, as histories carry them (leading zeros after the dot included).
    const int whole = whole_digits(generator);
    const int places = decimals(generator);
    std::string text = sign + (whole == 0 ? "0" : digits(whole, true));
    if (places > 0) text += "." + digits(places, false);
    texts.push_back(text);
    // Random doubles (every exponent) with 17 significant digits and in the shortest form.
    const double x = std::bit_cast<double>(generator());
    if (std::isfinite(x)) {
      std::snprintf(buffer, sizeof(buffer), "%.17g", x);
      texts.emplace_back(buffer);
      const auto end = std::to_chars(buffer, buffer + sizeof(buffer), x).ptr;
      texts.emplace_back(buffer, end);
    }
    // Long digit runs with a dot somewhere and an optional exponent.
    const int count = length(generator);
    std::string run = digits(count, true);
    if (bit(generator) != 0) run.insert(1 + generator() % run.size(), ".");
    if (run.back() == '.') run += "5";
    if (bit(generator) != 0) run += "e" + std::to_string(exponent(generator));
    texts.push_back(sign + run);
  }
  return texts;
}

// Every number is read as std::from_chars reads it, to the bit: in number arrays (the bulk
// reader of short decimals, and the element loop) and as single values.
TEST(ParseJson, NumbersAreBitIdenticalToFromChars) {
  const std::vector<std::string> texts = NumberTexts();
  std::vector<std::string> accepted;
  std::vector<double> expected;
  for (const std::string& text : texts) {
    const double value = FromChars(text);
    if (std::isnan(value)) {  // too large for a double: an error, in arrays too
      EXPECT_FALSE(ParseJson(text)) << text;
      continue;
    }
    accepted.push_back(text);
    expected.push_back(value);
    auto single = ParseJson(text);
    ASSERT_TRUE(single) << text << ": " << single.error().message();
    if (single->is_number_float()) {
      EXPECT_EQ(std::bit_cast<std::uint64_t>(single->get<double>()),
                std::bit_cast<std::uint64_t>(value))
          << text;
    } else {  // whole numbers that fit 64 bits stay integers
      EXPECT_EQ(single->get<double>(), value) << text;
    }
  }
  for (const char* separator : {",", ", ", " ,\n"}) {
    std::string array = "[";
    for (std::size_t i = 0; i < accepted.size(); ++i) {
      if (i != 0) array += separator;
      array += accepted[i];
    }
    array += "]";
    std::vector<std::vector<double>> arrays;
    JsonParseOptions options;
    options.number_arrays = &arrays;
    auto parsed = ParseJson(array, options);
    ASSERT_TRUE(parsed) << parsed.error().message();
    ASSERT_EQ(arrays.size(), 1u);
    ASSERT_EQ(arrays[0].size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      ASSERT_EQ(std::bit_cast<std::uint64_t>(arrays[0][i]),
                std::bit_cast<std::uint64_t>(expected[i]))
          << "separator '" << separator << "', element " << i << ": " << accepted[i];
    }
  }
}

// A malformed element of a long number array is reported as in an ordinary array: same
// message, same line and column, wherever it stands.
TEST(ParseJson, BadElementsOfNumberArraysAreReportedAsInOrdinaryArrays) {
  std::vector<std::vector<double>> arrays;
  JsonParseOptions numbers;
  numbers.number_arrays = &arrays;
  for (const char* bad :
       {"01",    "-",     "1.",   ".5",   "+1",      "1e",     "1e+",
        "-.5",   "1.5.2", "--1",  "0x10", "1e99999", "-1e400", "",
        "NaN",   "1.2.",  "00.5", "-01",  "1 2",     "0.1x",   "12345678901234567.5.",
        "\"a\"", "tru"}) {
    for (std::size_t at : {0, 1, 7, 40, 300}) {
      std::string text = "[";
      for (std::size_t i = 0; i < 320; ++i) {
        if (i != 0) text += ",";
        text += i == at ? std::string(bad) : "-0.0" + std::to_string(1000 + i);
      }
      text += "]";
      auto plain = ParseJson(text);
      auto kept_apart = ParseJson(text, numbers);
      if (std::string(bad) == "\"a\"") {  // valid JSON, just not a number array
        EXPECT_TRUE(plain && kept_apart);
        continue;
      }
      ASSERT_FALSE(plain) << bad << " at " << at;
      ASSERT_FALSE(kept_apart) << bad << " at " << at;
      EXPECT_EQ(kept_apart.error().message(), plain.error().message()) << bad << " at " << at;
    }
  }
}

// Short decimals (the fast path) give exactly what strtod gives.
TEST(ParseJson, ShortDecimalsAreCorrectlyRounded) {
  std::mt19937_64 generator(99);
  std::uniform_int_distribution<long long> mantissa(-99999999999LL, 99999999999LL);
  std::uniform_int_distribution<int> decimals(0, 11);
  char text[64];
  for (int trial = 0; trial < 100000; ++trial) {
    const long long m = mantissa(generator);
    const int d = decimals(generator);
    const long long whole = m / 1000000;
    std::snprintf(text, sizeof(text), "%s%lld.%0*lld", m < 0 && whole == 0 ? "-" : "", whole, 6,
                  std::llabs(m % 1000000));
    std::string number = text;
    if (d > 6) number += "e-" + std::to_string(d - 6);
    auto parsed = ParseJson(number);
    ASSERT_TRUE(parsed) << number;
    ASSERT_EQ(parsed->get<double>(), std::strtod(number.c_str(), nullptr)) << number;
  }
}

}  // namespace
}  // namespace pfopt::service
