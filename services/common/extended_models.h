// The request path of the models beyond plain mean-variance that live here: the method
// ROBUST_OPTIMIZATION (pfopt/optimize/robust.h), the objective MIN_CVAR and CVaR limits
// (pfopt/optimize/cvar.h), the objective MULTI_OBJECTIVE and Pareto fronts
// (pfopt/optimize/multi_objective.h). RunOptimization and the frontier command call these; the
// mapping from request fields to engine options is here, and so is every rejection of a field
// that a model cannot honour (never silently ignored). docs/api.md lists the fields.
#ifndef PFOPT_SERVICES_COMMON_EXTENDED_MODELS_H_
#define PFOPT_SERVICES_COMMON_EXTENDED_MODELS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pfopt/optimize/cvar.h"
#include "pfopt/optimize/multi_objective.h"
#include "services/common/optimization_service.h"

namespace pfopt::service {

// What one of these models produced, beyond the common OptimizationResult.
struct ExtendedOutcome {
  OptimizationResult result;
  TailRisk tail_risk;                             // alpha NaN when not computed
  double worst_case_return = kNaN;                // robust
  double robust_radius = kNaN;                    // robust
  std::string uncertainty;                        // robust: ELLIPSOIDAL or BOX
  std::map<std::string, double> objective_terms;  // multi-objective
  std::vector<std::string> warnings;              // e.g. periods dropped from the scenarios
};

// True when the request needs the return scenarios of its histories (objective MIN_CVAR or
// MULTI_OBJECTIVE, or risk_parameters.cvar given): PrepareProblem keeps PreparedProblem::returns
// for these only, so that other requests may skip building the return matrix.
bool NeedsReturnScenarios(const OptimizationRequest& request);

// Solves `request` if it uses one of these models (method ROBUST_OPTIMIZATION, objective
// MIN_CVAR or MULTI_OBJECTIVE, or a mean-variance objective with risk_parameters.cvar.limit);
// std::nullopt for a plain mean-variance request, which the caller solves. Errors name the
// request field (e.g. "risk_parameters.objective_weights.varience", "risk_parameters.cvar.limit").
Result<std::optional<ExtendedOutcome>> SolveExtendedModel(const OptimizationRequest& request,
                                                          const PreparedProblem& prepared);

// Copies the outcome's extensions (tail risk, robust figures, objective terms, warnings) into
// the response.
void ApplyExtendedOutcome(const ExtendedOutcome& outcome, OptimizationResponse* response);

// When risk_parameters.cvar is given and the request has histories, reports the CVaR and VaR of
// the response's weights (for any objective) if they are not there yet.
void ReportTailRisk(const OptimizationRequest& request, const PreparedProblem& prepared,
                    OptimizationResponse* response);

// A Pareto front of two of return / volatility / CVaR / turnover (TraceParetoFront) over the
// request's strategies and constraints (its objective is ignored).
Result<FrontierResponse> RunParetoFront(const OptimizationRequest& request, int num_points,
                                        ParetoMeasure first, ParetoMeasure second);

}  // namespace pfopt::service

#endif  // PFOPT_SERVICES_COMMON_EXTENDED_MODELS_H_
