// The one error type of the project.
//
// An `Error` says that a call was wrong: malformed input, invalid options, mismatched
// dimensions. It is not how an algorithm ended: an infeasible portfolio or an iteration
// limit is a *status* inside a result (see e.g. `QpStatus`), never an `Error`.
//
// Functions that can fail return `Result<T>` (a `tl::expected<T, Error>`); exceptions never
// cross a module boundary. The mapping from `ErrorCode` to exit codes and HTTP statuses lives
// in exactly one place at the edge (services/common/error_mapping.h).
#ifndef PFOPT_CORE_ERROR_H_
#define PFOPT_CORE_ERROR_H_

#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace pfopt {

enum class ErrorCode {
  kInvalidArgument,    // a value breaks a documented rule (NaN, negative variance, min > max ...)
  kDimensionMismatch,  // sizes of inputs do not agree
  kParseError,         // a file or document could not be read as the format it claims
  kIoError,            // a file could not be opened, read or written
  kNotImplemented,     // a documented feature that this build does not provide yet
  kInternal,           // a bug: an invariant of ours was broken
  // Service-side conditions (REST service, storage, events):
  kNotFound,           // the named resource (e.g. a portfolio) does not exist
  kUnavailable,        // a dependency (database, broker) cannot be reached now; retry later
  kResourceExhausted,  // a limit was reached: body or request too large, too many solves
  kUnauthenticated,    // missing or wrong credentials (API key)
  kDeadlineExceeded,   // the request did not finish within its time limit
};

std::string_view ToString(ErrorCode code);

class Error {
 public:
  Error(ErrorCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  ErrorCode code() const { return code_; }
  // Human-readable; names the offending field/row/column, its value and the rule broken.
  const std::string& message() const { return message_; }
  // Dotted path of the input field at fault (e.g. "constraints.min_weight"), or empty.
  const std::string& field() const { return field_; }

  // Returns a copy whose field is `prefix` + "." + field (or `prefix` if field is empty), so
  // that a nested validator can report the full path of the offending field.
  Error WithFieldPrefix(std::string_view prefix) const;

  // "<code>: <message>" plus " [field]" when a field is known.
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::string field_;
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> MakeError(ErrorCode code, std::string message,
                                       std::string field = {}) {
  return tl::unexpected<Error>(Error(code, std::move(message), std::move(field)));
}
inline tl::unexpected<Error> InvalidArgument(std::string message, std::string field = {}) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message), std::move(field));
}
inline tl::unexpected<Error> DimensionMismatch(std::string message, std::string field = {}) {
  return MakeError(ErrorCode::kDimensionMismatch, std::move(message), std::move(field));
}
inline Status Ok() { return {}; }

}  // namespace pfopt

// Propagates the error of a Result/Status expression: PFOPT_RETURN_IF_ERROR(Validate(x));
#define PFOPT_RETURN_IF_ERROR(expr)                                   \
  do {                                                                \
    auto pfopt_status_ = (expr);                                      \
    if (!pfopt_status_) return tl::unexpected(pfopt_status_.error()); \
  } while (false)

#endif  // PFOPT_CORE_ERROR_H_
