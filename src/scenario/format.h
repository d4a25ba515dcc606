// Numbers in messages of the scenario optimiser.
#ifndef PFOPT_SCENARIO_FORMAT_H_
#define PFOPT_SCENARIO_FORMAT_H_

#include <cstdio>
#include <string>

namespace pfopt::scenario::internal {

// `value` with `digits` significant digits (printf %g): 10 for values a user compares with
// their input, 3 for amounts such as violations and steps.
inline std::string FormatNumber(double value, int digits = 10) {
  char buffer[40];
  std::snprintf(buffer, sizeof(buffer), "%.*g", digits, value);
  return buffer;
}

}  // namespace pfopt::scenario::internal

#endif  // PFOPT_SCENARIO_FORMAT_H_
