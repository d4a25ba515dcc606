#include "pfopt/core/error.h"

#include <cctype>

#include "pfopt/core/enum_names.h"

namespace pfopt {

std::string_view ToString(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case ErrorCode::kDimensionMismatch:
      return "DIMENSION_MISMATCH";
    case ErrorCode::kParseError:
      return "PARSE_ERROR";
    case ErrorCode::kIoError:
      return "IO_ERROR";
    case ErrorCode::kNotImplemented:
      return "NOT_IMPLEMENTED";
    case ErrorCode::kInternal:
      return "INTERNAL";
    case ErrorCode::kNotFound:
      return "NOT_FOUND";
    case ErrorCode::kUnavailable:
      return "UNAVAILABLE";
    case ErrorCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case ErrorCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    case ErrorCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
  }
  return "UNKNOWN";
}

Error Error::WithFieldPrefix(std::string_view prefix) const {
  std::string path(prefix);
  if (!field_.empty()) {
    if (field_.front() != '[') path += '.';
    path += field_;
  }
  return Error(code_, message_, std::move(path));
}

std::string Error::ToString() const {
  std::string text(pfopt::ToString(code_));
  text += ": ";
  text += message_;
  if (!field_.empty()) text += " [" + field_ + "]";
  return text;
}

namespace internal {

bool NamesMatch(std::string_view canonical, std::string_view given) {
  if (canonical.size() != given.size()) return false;
  for (std::size_t i = 0; i < canonical.size(); ++i) {
    char a = static_cast<char>(std::toupper(static_cast<unsigned char>(canonical[i])));
    char b = static_cast<char>(std::toupper(static_cast<unsigned char>(given[i])));
    if (a == '-') a = '_';
    if (b == '-') b = '_';
    if (a != b) return false;
  }
  return true;
}

}  // namespace internal
}  // namespace pfopt
