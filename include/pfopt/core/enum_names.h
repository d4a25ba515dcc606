// ToString / FromString for every public enum, from one table per enum.
//
// Each enum declares its names once by specialising `EnumNames`:
//
//   template <> struct EnumNames<QpStatus> {
//     static constexpr std::array<std::pair<QpStatus, std::string_view>, 3> kNames{{...}};
//   };
//
// Then `EnumToString(QpStatus::kOptimal)` gives the canonical name and
// `EnumFromString<QpStatus>("OPTIMAL")` parses it back, case-insensitively, with '-' and '_'
// treated alike (so "max-sharpe" and "MAX_SHARPE" both parse). An unknown name is an Error that
// lists the accepted names.
#ifndef PFOPT_CORE_ENUM_NAMES_H_
#define PFOPT_CORE_ENUM_NAMES_H_

#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "pfopt/core/error.h"

namespace pfopt {

template <class E>
struct EnumNames;  // specialised next to each enum

namespace internal {
bool NamesMatch(std::string_view canonical, std::string_view given);
}  // namespace internal

template <class E>
std::string_view EnumToString(E value) {
  for (const auto& [v, name] : EnumNames<E>::kNames) {
    if (v == value) return name;
  }
  return "UNKNOWN";
}

// Comma-separated list of the accepted names, for error messages and --help.
template <class E>
std::string EnumNameList() {
  std::string list;
  for (const auto& [v, name] : EnumNames<E>::kNames) {
    if (!list.empty()) list += ", ";
    list += name;
  }
  return list;
}

template <class E>
Result<E> EnumFromString(std::string_view text, std::string_view what = "value") {
  for (const auto& [v, name] : EnumNames<E>::kNames) {
    if (internal::NamesMatch(name, text)) return v;
  }
  return InvalidArgument("unknown " + std::string(what) + " '" + std::string(text) +
                         "'; expected one of: " + EnumNameList<E>());
}

}  // namespace pfopt

#endif  // PFOPT_CORE_ENUM_NAMES_H_
