// The request path of scenario optimisations (docs/scenario.md, docs/api.md "Scenario
// requests"): read the cube file(s), build the scenario data and problem, solve. The CLI's
// `pfopt scenario` and OptimizationRequests with a "scenarios" field both come through here.
#ifndef PFOPT_SERVICES_COMMON_SCENARIO_SERVICE_H_
#define PFOPT_SERVICES_COMMON_SCENARIO_SERVICE_H_

#include "pfopt/core/error.h"
#include "pfopt/scenario/optimizer.h"
#include "services/common/request.h"

namespace pfopt::service {

// A scenario optimisation: the settings plus bounds and linear rows (one column per asset).
struct ScenarioJob {
  ScenarioSettings settings;
  // Bounds: empty = the optimiser's defaults; one entry = that bound for every asset; else one
  // per asset. settings.x0 likewise (empty = default start, one entry = same for all).
  Vector lower_bounds, upper_bounds;
  Matrix a_in;  // a_in w <= b_in
  Vector b_in;
  Matrix a_eq;  // a_eq w = b_eq
  Vector b_eq;
  // When > 0: the number of assets the caller expects (e.g. one per strategy of a request);
  // a cube with another number is an Error on field "strategies".
  Index expected_assets = 0;
};

struct ScenarioOutcome {
  scenario::ScenarioResult result;
  Index num_assets = 0;
  double load_seconds = 0.0;  // reading the cube(s) and building the data
};

// Errors: unreadable or malformed cube files, invalid settings (fields named
// "scenarios.<field>"), bounds or rows that do not fit the cube's assets.
Result<ScenarioOutcome> RunScenarioJob(const ScenarioJob& job,
                                       const scenario::ScenarioSolverOptions& options = {});

// An OptimizationRequest with `scenarios` present: the strategies name the cube's assets in
// order and carry no history; constraints.min_weight / max_weight and the strategies' own
// bounds override the optimiser's default bounds; sector limits become linear rows; budget
// becomes sum(w) = budget. Turnover and leverage limits, and a risk-free rate, are refused
// (the scenario optimiser has no such terms).
Result<OptimizationResponse> RunScenarioRequest(const OptimizationRequest& request);

}  // namespace pfopt::service

#endif  // PFOPT_SERVICES_COMMON_SCENARIO_SERVICE_H_
