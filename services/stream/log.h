// Minimal logging of the stream services: one line per event on stderr,
// "<UTC time> <level> <component>: <message>". Thread-safe (one write per line).
#ifndef PFOPT_SERVICES_STREAM_LOG_H_
#define PFOPT_SERVICES_STREAM_LOG_H_

#include <string_view>

#include "pfopt/core/enum_names.h"

namespace pfopt::stream {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

// Lines below this level are dropped. Default kInfo.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

void Log(LogLevel level, std::string_view component, std::string_view message);

}  // namespace pfopt::stream

namespace pfopt {
template <>
struct EnumNames<stream::LogLevel> {
  using E = stream::LogLevel;
  static constexpr std::array<std::pair<E, std::string_view>, 5> kNames{{{E::kDebug, "debug"},
                                                                         {E::kInfo, "info"},
                                                                         {E::kWarning, "warning"},
                                                                         {E::kError, "error"},
                                                                         {E::kOff, "off"}}};
};
}  // namespace pfopt

#endif  // PFOPT_SERVICES_STREAM_LOG_H_
