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

}  // namespace pfopt::service

#endif  // PFOPT_SERVICES_COMMON_ERROR_MAPPING_H_
