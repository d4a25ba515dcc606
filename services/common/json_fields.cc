#include "services/common/json_fields.h"

#include <algorithm>
#include <cmath>

#include "services/common/json_parse.h"

namespace pfopt::service::internal {

const char* TypeName(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
    case json::value_t::binary:  // an array of numbers kept apart by the reader
      return "an array";
    case json::value_t::object:
      return "an object";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return "a number";
    default:
      return "an unsupported value";
  }
}

std::string Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string IndexPath(const std::string& path, std::size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

tl::unexpected<Error> TypeError(const json& value, const std::string& path, const char* expected) {
  return InvalidArgument(path + " must be " + expected + ", got " + TypeName(value), path);
}

Status CheckKeys(const json& object, const std::string& path,
                 std::initializer_list<const char*> allowed) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    // A look through the short list (no set of strings built for every object decoded).
    const std::string& key = it.key();
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const char* name) { return key == name; })) {
      std::string list;
      for (const char* name : allowed) {
        if (!list.empty()) list += ", ";
        list += name;
      }
      const std::string where = path.empty() ? "the request" : path;
      return InvalidArgument(
          "unknown field '" + it.key() + "' in " + where + "; expected one of: " + list,
          Join(path, it.key()));
    }
  }
  return Ok();
}

Result<double> Number(const json& value, const std::string& path) {
  if (!value.is_number()) return TypeError(value, path, "a number");
  const double x = value.get<double>();
  if (!std::isfinite(x)) return InvalidArgument(path + " must be finite", path);
  return x;
}

Result<std::optional<double>> OptionalNumber(const json& object, const char* key,
                                             const std::string& path) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::optional<double>();
  auto x = Number(*it, Join(path, key));
  if (!x) return tl::unexpected(x.error());
  return std::optional<double>(*x);
}

Result<std::string> String(const json& value, const std::string& path) {
  if (!value.is_string()) return TypeError(value, path, "a string");
  return value.get<std::string>();
}

Result<Index> Integer(const json& value, const std::string& path) {
  auto x = Number(value, path);
  if (!x) return tl::unexpected(x.error());
  if (std::floor(*x) != *x || std::abs(*x) > 9.0e15) {
    return InvalidArgument(path + " must be a whole number, got " + value.dump(), path);
  }
  return static_cast<Index>(*x);
}

Result<std::vector<std::string>> StringList(const json& value, const std::string& path) {
  if (!value.is_array()) return TypeError(value, path, "an array of strings");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto text = String(value[i], IndexPath(path, i));
    if (!text) return tl::unexpected(text.error());
    out.push_back(std::move(*text));
  }
  return out;
}

Result<json> ParseJsonText(std::string_view text, const char* what,
                           std::vector<std::vector<double>>* number_arrays) {
  JsonParseOptions options;
  options.number_arrays = number_arrays;
  auto value = ParseJson(text, options);
  if (!value) {
    return MakeError(ErrorCode::kParseError,
                     std::string(what) + " is not valid JSON: " + value.error().message());
  }
  return std::move(*value);
}

namespace {
// The number arrays of the document being decoded on this thread (NumberArrayScope).
thread_local std::vector<std::vector<double>>* current_number_arrays = nullptr;
}  // namespace

NumberArrayScope::NumberArrayScope(std::vector<std::vector<double>>* arrays)
    : previous_(current_number_arrays) {
  current_number_arrays = arrays;
}

NumberArrayScope::~NumberArrayScope() { current_number_arrays = previous_; }

// Array of numbers where null = missing (NaN).
Result<std::vector<double>> History(const json& value, const std::string& path) {
  if (std::vector<double>* numbers = NumberArrayOf(value, current_number_arrays)) {
    return std::move(*numbers);  // decoded once (NumberArrayScope)
  }
  if (!value.is_array()) return TypeError(value, path, "an array of numbers (null = missing)");
  std::vector<double> out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const json& item = value[i];
    if (item.is_null()) {
      out.push_back(kNaN);
      continue;
    }
    // The element's path is built only for an error (histories have thousands of numbers).
    if (item.is_number()) {
      const double x = item.get<double>();
      if (std::isfinite(x)) {
        out.push_back(x);
        continue;
      }
    }
    auto x = Number(item, IndexPath(path, i));
    if (!x) return tl::unexpected(x.error());
    out.push_back(*x);
  }
  return out;
}

Result<std::vector<double>> NumberList(const json& value, const std::string& path) {
  if (const std::vector<double>* numbers = NumberArrayOf(value, current_number_arrays)) {
    for (std::size_t i = 0; i < numbers->size(); ++i) {  // NaN: a null in the text
      if (std::isnan((*numbers)[i]))
        return TypeError(json(nullptr), IndexPath(path, i), "a number");
    }
    return *numbers;
  }
  if (!value.is_array()) return TypeError(value, path, "an array of numbers");
  std::vector<double> out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto x = Number(value[i], IndexPath(path, i));
    if (!x) return tl::unexpected(x.error());
    out.push_back(*x);
  }
  return out;
}

bool IsArray(const json& value) {
  return value.is_array() || NumberArrayOf(value, current_number_arrays) != nullptr;
}

Result<std::map<std::string, double>> NumberMap(const json& value, const std::string& path) {
  if (!value.is_object()) return TypeError(value, path, "an object of numbers");
  std::map<std::string, double> out;
  for (auto it = value.begin(); it != value.end(); ++it) {
    auto x = Number(it.value(), Join(path, it.key()));
    if (!x) return tl::unexpected(x.error());
    out[it.key()] = *x;
  }
  return out;
}

nlohmann::ordered_json HistoryToJson(const std::vector<double>& values) {
  nlohmann::ordered_json array = nlohmann::ordered_json::array();
  for (double v : values) {
    if (std::isnan(v)) {
      array.push_back(nullptr);
    } else {
      array.push_back(v);
    }
  }
  return array;
}

nlohmann::ordered_json NumberOrNull(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

}  // namespace pfopt::service::internal
