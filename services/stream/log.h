// Minimal logging of the stream services: one line per event on stderr,
// "<UTC time> <level> <component>: <message>". Thread-safe (one write per line).
#ifndef PFOPT_SERVICES_STREAM_LOG_H_
#define PFOPT_SERVICES_STREAM_LOG_H_

#include <string_view>

namespace pfopt::stream {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

// Lines below this level are dropped. Default kInfo.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();

void Log(LogLevel level, std::string_view component, std::string_view message);

}  // namespace pfopt::stream

#endif  // PFOPT_SERVICES_STREAM_LOG_H_
