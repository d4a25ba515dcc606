// The one place that maps engine errors and statuses to process exit codes (and, when the
// service lands, to HTTP statuses).
//
// Exit codes of every pfopt command:
//   0  solved (optimal; optimal_inaccurate also exits 0 and says so on stderr)
//   1  the problem has no answer: infeasible, unbounded, iteration limit, numerical trouble
//   2  bad input: unreadable or malformed files, invalid fields, unreachable targets,
//      features not implemented yet
//   3  internal error (a bug: please report it)
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
// (the results are complete; the failed rebalances kept their drifted weights). The planned
// POST /api/v1/backtest answers 200 either way, with the failures in the body.
inline int ExitCodeForBacktest(long long failed_rebalances) {
  return failed_rebalances == 0 ? kExitSolved : kExitUnsolved;
}

}  // namespace pfopt::service

#endif  // PFOPT_SERVICES_COMMON_ERROR_MAPPING_H_
