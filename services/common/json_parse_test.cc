#include "services/common/json_parse.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

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
