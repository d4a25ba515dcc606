// Internal: additions to a LinearFormulation (optimize/formulation.h) that the CVaR,
// multi-objective and robust optimisers need beyond the foundation's constraints.
#ifndef PFOPT_OPTIMIZE_FORMULATION_EXTRAS_H_
#define PFOPT_OPTIMIZE_FORMULATION_EXTRAS_H_

#include <string>

#include "optimize/formulation.h"

namespace pfopt::internal {

// Appends n variables s_i >= |w_i - center_i| (rows w_i - s_i <= center_i and
// -w_i - s_i <= -center_i, s_i >= 0), labelled "<prefix>[asset]" in `group`. Returns the index
// of the first new variable. Minimising a positive cost on s makes s_i = |w_i - center_i|.
Index AppendAbsoluteValueVariables(LinearFormulation* formulation, const VectorRef& center,
                                   const std::vector<std::string>& assets,
                                   const std::string& prefix, ConstraintGroup group);

// Appends `count` free-standing variables (zero in every existing row) with the given bounds.
// Returns the index of the first.
Index AppendVariables(LinearFormulation* formulation, Index count, double lower, double upper);

}  // namespace pfopt::internal

#endif  // PFOPT_OPTIMIZE_FORMULATION_EXTRAS_H_
