// Internal: the strict JSON field readers shared by the codecs of services/common (requests,
// backtests). Each returns an Error whose `field` is the dotted path of the offending value
// (e.g. "strategies[2].returns[17]") and whose message says what was expected.
#ifndef PFOPT_SERVICES_COMMON_JSON_FIELDS_H_
#define PFOPT_SERVICES_COMMON_JSON_FIELDS_H_

#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pfopt/core/enum_names.h"
#include "pfopt/core/error.h"
#include "pfopt/core/types.h"

namespace pfopt::service::internal {

using nlohmann::json;

// "null", "a string", "a number", ...: the JSON type of `value`, for messages.
const char* TypeName(const json& value);
// path + "." + key (or key at the top level).
std::string Join(const std::string& path, const std::string& key);
// path + "[i]".
std::string IndexPath(const std::string& path, std::size_t i);

tl::unexpected<Error> TypeError(const json& value, const std::string& path, const char* expected);

// Unknown keys of `object` are errors listing the allowed ones.
Status CheckKeys(const json& object, const std::string& path,
                 std::initializer_list<const char*> allowed);

Result<double> Number(const json& value, const std::string& path);
// Absent or null -> empty.
Result<std::optional<double>> OptionalNumber(const json& object, const char* key,
                                             const std::string& path);
Result<std::string> String(const json& value, const std::string& path);
// A whole number (1e3 and 1000.0 are accepted; 2.5 is not).
Result<Index> Integer(const json& value, const std::string& path);
Result<std::vector<std::string>> StringList(const json& value, const std::string& path);
// Array of numbers where null = missing (NaN).
Result<std::vector<double>> History(const json& value, const std::string& path);
// Array of numbers (null is an error).
Result<std::vector<double>> NumberList(const json& value, const std::string& path);
// An array, or an array of numbers that the reader kept apart (NumberArrayScope).
bool IsArray(const json& value);
Result<std::map<std::string, double>> NumberMap(const json& value, const std::string& path);

template <class E>
Result<E> EnumValue(const json& value, const std::string& path, const char* what) {
  if (!value.is_string()) return TypeError(value, path, "a string");
  auto parsed = EnumFromString<E>(value.get<std::string>(), what);
  if (!parsed) return tl::unexpected(Error(parsed.error().code(), parsed.error().message(), path));
  return *parsed;
}

// Parses JSON text with the strict reader of json_parse.h (no NaN, no duplicate keys, valid
// UTF-8, bounded depth); malformed text is a kParseError "<what> is not valid JSON: <detail>".
// With `number_arrays`, long arrays of numbers are kept out of the document (see
// JsonParseOptions::number_arrays); decode such a document inside a NumberArrayScope.
Result<json> ParseJsonText(std::string_view text, const char* what,
                           std::vector<std::vector<double>>* number_arrays = nullptr);

// While alive, History() on this thread resolves the placeholders of `arrays` (the number
// arrays that ParseJsonText kept out of the document being decoded) by taking their vectors
// (moved out, not copied): decode each placeholder once.
class NumberArrayScope {
 public:
  explicit NumberArrayScope(std::vector<std::vector<double>>* arrays);
  ~NumberArrayScope();
  NumberArrayScope(const NumberArrayScope&) = delete;
  NumberArrayScope& operator=(const NumberArrayScope&) = delete;

 private:
  std::vector<std::vector<double>>* previous_;
};

// Output side: NaN as null.
nlohmann::ordered_json HistoryToJson(const std::vector<double>& values);
nlohmann::ordered_json NumberOrNull(double value);

}  // namespace pfopt::service::internal

// Assigns the value of a Result expression to `target`, or returns its error.
#define PFOPT_ASSIGN(target, expr)                                  \
  do {                                                              \
    auto pfopt_value_ = (expr);                                     \
    if (!pfopt_value_) return tl::unexpected(pfopt_value_.error()); \
    target = std::move(*pfopt_value_);                              \
  } while (false)

#endif  // PFOPT_SERVICES_COMMON_JSON_FIELDS_H_
