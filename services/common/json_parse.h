// A strict, fast JSON reader producing nlohmann::json documents.
//
// Requests carry tens of thousands of numbers (20 strategies x 1000 returns is 20 000); the
// generic nlohmann parser spends ~3.5 ms on such a body, this one ~0.9 ms for the same document
// and ~0.2 ms with the number arrays kept apart (number_arrays below). Every number is the
// double std::from_chars gives for its text, to the bit: exact fast paths for short decimals
// (Clinger's), from_chars itself for the others. The elements of number arrays kept apart are
// found 64 bytes at a time and decimals of up to 16 digits without exponent are converted with
// SIMD (~8 ns a number; json_parse.cc).
// Strict RFC 8259: no comments, no trailing commas, no NaN/Infinity literals, UTF-8 validated,
// control characters in strings rejected, duplicate keys in an object rejected (nlohmann would
// keep the last one silently), nesting limited (default 128 levels) so a hostile body cannot
// exhaust the stack. Errors are ErrorCode::kParseError with "line L, column C: what".
#ifndef PFOPT_SERVICES_COMMON_JSON_PARSE_H_
#define PFOPT_SERVICES_COMMON_JSON_PARSE_H_

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "pfopt/core/error.h"

namespace pfopt::service {

struct JsonParseOptions {
  int max_depth = 128;  // arrays/objects nested deeper are an error
  // If set, every array of at least `min_number_array` elements that holds only numbers and
  // nulls is stored here (null -> NaN) instead of in the document, where a binary value whose
  // subtype is its index in this list stands for it (see NumberArrayOf). Histories of tens of
  // thousands of numbers then never become JSON values. Leave null for an ordinary document.
  std::vector<std::vector<double>>* number_arrays = nullptr;
  std::size_t min_number_array = 16;
};

// The numbers an array placeholder stands for (ParseJson with number_arrays), or null if
// `value` is not such a placeholder.
const std::vector<double>* NumberArrayOf(const nlohmann::json& value,
                                         const std::vector<std::vector<double>>* number_arrays);
std::vector<double>* NumberArrayOf(const nlohmann::json& value,
                                   std::vector<std::vector<double>>* number_arrays);

Result<nlohmann::json> ParseJson(std::string_view text, const JsonParseOptions& options = {});

}  // namespace pfopt::service

#endif  // PFOPT_SERVICES_COMMON_JSON_PARSE_H_
