// The one place that maps engine errors and statuses to process exit codes and to HTTP statuses.
//
// Exit codes of every pfopt command:
//   0  solved (optimal; optimal_inaccurate also exits 0 and says so on stderr)
//   1  the problem has no answer: infeasible, unbounded, iteration limit, numerical trouble
//   2  bad input: unreadable or malformed files, invalid fields, unreachable targets,
//      features not implemented yet
//   3  internal error (a bug: please report it)
//
// HTTP statuses of the REST service (services/rest/README.md):
//   200  solved; 400 malformed or invalid input (the body names the field); 401 missing or wrong
//   API key; 404 unknown portfolio or route; 413 body, strategies or batch over the limit;
//   422 the problem has no answer (infeasible, unbounded, ...: the body says why);
//   503 database unavailable or the service is saturated (retry); 504 request deadline passed;
//   500 only for our own bugs (ErrorCode::kInternal), never for anything a client sent.
#ifndef PFOPT_SERVICES_COMMON_ERROR_MAPPING_H_
#define PFOPT_SERVICES_COMMON_ERROR_MAPPING_H_

#include "pfopt/core/error.h"
#include "pfopt/optimize/mean_variance.h"

namespace pfopt::service {

inline constexpr int kExitSolved = 0;
inline constexpr int kExitUnsolved = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInternal = 3;

inline int ExitCodeFor(ErrorCode code) {
  return code == ErrorCode::kInternal ? kExitInternal : kExitBadInput;
}

inline int ExitCodeFor(OptimizationStatus status) {
  return HasSolution(status) ? kExitSolved : kExitUnsolved;
}

// A backtest that ran: 0 if every rebalance of every strategy was solved, 1 if some failed
// (the results are complete; the failed rebalances kept their drifted weights). The
// POST /api/v1/backtest answers 200 either way, with the failures in the body.
inline int ExitCodeForBacktest(long long failed_rebalances) {
  return failed_rebalances == 0 ? kExitSolved : kExitUnsolved;
}

inline constexpr int kHttpOk = 200;
inline constexpr int kHttpUnprocessable = 422;

inline int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kDimensionMismatch:
    case ErrorCode::kParseError:
    case ErrorCode::kNotImplemented:  // the request asks for a feature this build lacks
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kResourceExhausted:
      return 413;
    case ErrorCode::kUnavailable:
    case ErrorCode::kIoError:  // storage could not be written or read
      return 503;
    case ErrorCode::kDeadlineExceeded:
      return 504;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

// How an optimisation ended: a solution is 200, anything else (infeasible, unbounded, iteration
// limit, numerical trouble) is 422 with the reason.
inline int HttpStatusFor(OptimizationStatus status) {
  return HasSolution(status) ? kHttpOk : kHttpUnprocessable;
}

}  // namespace pfopt::service

#endif  // PFOPT_SERVICES_COMMON_ERROR_MAPPING_H_
