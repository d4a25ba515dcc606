#include "services/common/extended_models.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <utility>

#include "pfopt/optimize/robust.h"

namespace pfopt::service {

namespace {

std::string Num(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.10g", value);
  return buffer;
}

// The request path of an engine option, for errors raised by the engine.
std::string RequestField(const std::string& engine_field) {
  static const std::map<std::string, std::string> paths = {
      {"alpha", "risk_parameters.cvar.alpha"},
      {"cvar_alpha", "risk_parameters.cvar.alpha"},
      {"cvar_limit", "risk_parameters.cvar.limit"},
      {"confidence", "risk_parameters.robust.confidence"},
      {"kappa", "risk_parameters.robust.kappa"},
      {"num_observations", "risk_parameters.robust.observations"},
      {"scenario_returns", "strategies"},
      {"expected_returns", "strategies"},
      {"budget", "constraints.budget"},
  };
  if (auto it = paths.find(engine_field); it != paths.end()) return it->second;
  if (engine_field.rfind("weights.", 0) == 0) {
    return "risk_parameters.objective_weights." + (engine_field == "weights.expected_return"
                                                       ? std::string("return")
                                                       : engine_field.substr(8));
  }
  if (engine_field.empty()) return "risk_parameters";
  return "risk_parameters." + engine_field;
}

tl::unexpected<Error> EngineError(const Error& error) {
  return tl::unexpected(Error(error.code(), error.message(), RequestField(error.field())));
}

double CvarAlpha(const RiskParameters& rp) { return rp.cvar_alpha.value_or(0.05); }

// The CVaR scenarios: the history periods where every strategy has a return.
Result<Matrix> ScenarioReturns(const PreparedProblem& prepared, const std::string& why,
                               std::vector<std::string>* warnings) {
  const Matrix& r = prepared.returns;
  if (r.size() == 0) {
    return InvalidArgument(why +
                               " needs return histories: give prices or returns for every "
                               "strategy (CVaR is computed over the historical scenarios)",
                           "strategies");
  }
  Index dropped = 0;
  Matrix scenarios = CompleteScenarios(r, &dropped);
  if (scenarios.rows() == 0) {
    return InvalidArgument(
        "no period has a return for every strategy: CVaR needs complete scenarios", "strategies");
  }
  if (dropped > 0) {
    warnings->push_back("CVaR uses the " + std::to_string(scenarios.rows()) +
                        " periods where every strategy has a return (" + std::to_string(dropped) +
                        " periods with a missing value left out)");
  }
  return scenarios;
}

Status CheckAlpha(const RiskParameters& rp) {
  if (rp.cvar_alpha && !(*rp.cvar_alpha > 0.0 && *rp.cvar_alpha < 1.0)) {
    return InvalidArgument("cvar.alpha is " + Num(*rp.cvar_alpha) +
                               "; it is a tail probability in (0, 1) (0.05 = the worst 5 %)",
                           "risk_parameters.cvar.alpha");
  }
  if (rp.cvar_limit && !std::isfinite(*rp.cvar_limit)) {
    return InvalidArgument("cvar.limit must be a finite number", "risk_parameters.cvar.limit");
  }
  return Ok();
}

void SetTerms(const ObjectiveTerms& t, std::map<std::string, double>* terms) {
  auto put = [&](const char* name, double value) {
    if (std::isfinite(value)) (*terms)[name] = value;
  };
  put("return", t.expected_return);
  put("variance", t.variance);
  put("cvar", t.cvar);
  put("turnover", t.turnover);
  put("l2", t.l2);
}

// ---------------------------------------------------------------------------------------------

Result<ExtendedOutcome> SolveRobust(const OptimizationRequest& request,
                                    const PreparedProblem& prepared) {
  const RiskParameters& rp = request.risk_parameters;
  switch (request.objective) {
    case RequestObjective::kMinCvar:
    case RequestObjective::kMultiObjective:
    case RequestObjective::kRiskParity:
      return InvalidArgument(
          "ROBUST_OPTIMIZATION takes a mean-variance objective (MAX_UTILITY, MAX_RETURN, "
          "EFFICIENT_RISK, EFFICIENT_RETURN, MAX_SHARPE, MIN_VOLATILITY), not " +
              std::string(EnumToString(request.objective)),
          "objective");
    default:
      break;
  }
  if (rp.cvar_limit) {
    return InvalidArgument("a CVaR limit is not supported with ROBUST_OPTIMIZATION",
                           "risk_parameters.cvar.limit");
  }
  RobustOptions options;
  if (!rp.robust.uncertainty.empty()) {
    auto set = EnumFromString<UncertaintySet>(rp.robust.uncertainty, "uncertainty set");
    if (!set) {
      return tl::unexpected(
          Error(set.error().code(), set.error().message(), "risk_parameters.robust.uncertainty"));
    }
    options.uncertainty = *set;
  }
  options.confidence = rp.robust.confidence.value_or(0.95);
  options.kappa = rp.robust.kappa;
  if (rp.robust.observations) {
    const double t = *rp.robust.observations;
    if (!(t >= 1.0 && t == std::floor(t) && t < 1e12)) {
      return InvalidArgument("robust.observations is " + Num(t) +
                                 "; it is the number of return observations T, an integer >= 1",
                             "risk_parameters.robust.observations");
    }
    options.num_observations = static_cast<Index>(t);
  } else {
    options.num_observations = prepared.history_periods;
    if (options.num_observations == 0 && !(options.kappa && *options.kappa == 0.0) &&
        options.confidence != 0.0) {
      return InvalidArgument(
          "the uncertainty set is scaled by Sigma / T: give robust.observations (T) when mu and "
          "Sigma are given without return histories",
          "risk_parameters.robust.observations");
    }
  }
  options.mean_variance = prepared.options;
  auto solved = OptimizeRobust(prepared.problem, options);
  if (!solved) return EngineError(solved.error());
  ExtendedOutcome out;
  out.result = std::move(solved->optimization);
  out.robust_radius = solved->radius;
  out.worst_case_return = solved->worst_case_return;
  out.uncertainty = std::string(EnumToString(solved->uncertainty));
  return out;
}

ExtendedOutcome FromCvarResult(CvarResult&& r) {
  ExtendedOutcome out;
  out.result = std::move(r.optimization);
  out.tail_risk = r.tail_risk;
  return out;
}

Result<ExtendedOutcome> SolveMinCvar(const OptimizationRequest& request,
                                     const PreparedProblem& prepared) {
  const RiskParameters& rp = request.risk_parameters;
  if (rp.target_volatility) {
    return InvalidArgument(
        "MIN_CVAR has no volatility target; for CVaR with a variance term use MULTI_OBJECTIVE",
        "risk_parameters.target_volatility");
  }
  if (rp.cvar_limit) {
    return InvalidArgument(
        "MIN_CVAR minimises CVaR: a CVaR limit is for the other objectives (e.g. MAX_RETURN)",
        "risk_parameters.cvar.limit");
  }
  std::vector<std::string> warnings;
  auto scenarios = ScenarioReturns(prepared, "MIN_CVAR", &warnings);
  if (!scenarios) return tl::unexpected(scenarios.error());
  CvarOptions options;
  options.objective = rp.target_return ? CvarObjective::kEfficientReturn : CvarObjective::kMinCvar;
  options.alpha = CvarAlpha(rp);
  options.target_return = rp.target_return;
  options.l2_gamma = rp.l2_gamma;
  options.risk_free_rate = rp.risk_free_rate;
  options.solver.qp = prepared.options.qp;
  auto solved = OptimizeCvar(prepared.problem, *scenarios, options);
  if (!solved) return EngineError(solved.error());
  ExtendedOutcome out = FromCvarResult(std::move(*solved));
  out.warnings = std::move(warnings);
  return out;
}

Result<ObjectiveWeights> ParseWeights(const RiskParameters& rp) {
  if (rp.objective_weights.empty()) {
    return InvalidArgument(
        "MULTI_OBJECTIVE needs risk_parameters.objective_weights, e.g. {\"return\": 1, "
        "\"variance\": 2, \"cvar\": 1, \"turnover\": 0.01, \"l2\": 0}",
        "risk_parameters.objective_weights");
  }
  ObjectiveWeights w;
  for (const auto& [name, value] : rp.objective_weights) {
    double* slot = name == "return"     ? &w.expected_return
                   : name == "variance" ? &w.variance
                   : name == "cvar"     ? &w.cvar
                   : name == "turnover" ? &w.turnover
                   : name == "l2"       ? &w.l2
                                        : nullptr;
    if (slot == nullptr) {
      return InvalidArgument(
          "unknown objective weight '" + name + "'; expected return, variance, cvar, turnover, l2",
          "risk_parameters.objective_weights." + name);
    }
    *slot = value;
  }
  if (rp.l2_gamma != 0.0) {
    if (rp.objective_weights.count("l2")) {
      return InvalidArgument("give the L2 weight once: objective_weights.l2 or l2_gamma, not both",
                             "risk_parameters.l2_gamma");
    }
    w.l2 = rp.l2_gamma;
  }
  return w;
}

Result<ExtendedOutcome> SolveMulti(const OptimizationRequest& request,
                                   const PreparedProblem& prepared, const ObjectiveWeights& weights,
                                   bool maximise) {
  const RiskParameters& rp = request.risk_parameters;
  if (rp.target_volatility) {
    return InvalidArgument(
        std::string(EnumToString(request.objective)) +
            " cannot honour a volatility target here (a quadratic constraint); use a variance "
            "weight, or EFFICIENT_RISK without a CVaR limit",
        "risk_parameters.target_volatility");
  }
  MultiObjectiveOptions options;
  options.weights = weights;
  options.cvar_alpha = CvarAlpha(rp);
  options.target_return = rp.target_return;
  options.cvar_limit = rp.cvar_limit;
  options.risk_free_rate = rp.risk_free_rate;
  options.solver.qp = prepared.options.qp;
  std::vector<std::string> warnings;
  Matrix scenarios;
  const bool needs = weights.cvar > 0.0 || rp.cvar_limit.has_value();
  if (needs || prepared.returns.size() != 0) {
    auto s = ScenarioReturns(
        prepared, rp.cvar_limit && weights.cvar == 0.0 ? "a CVaR limit" : "CVaR", &warnings);
    if (!s) return tl::unexpected(s.error());
    scenarios = std::move(*s);
  }
  auto solved = OptimizeMultiObjective(prepared.problem, scenarios, options);
  if (!solved) return EngineError(solved.error());
  ExtendedOutcome out = FromCvarResult(std::move(solved->result));
  if (maximise) out.result.objective_value = -out.result.objective_value;
  if (request.objective == RequestObjective::kMultiObjective) {
    SetTerms(solved->terms, &out.objective_terms);
  }
  out.warnings = std::move(warnings);
  return out;
}

// A mean-variance objective under a CVaR limit, as the weighted sum it is (multi_objective.h).
Result<ExtendedOutcome> SolveWithCvarLimit(const OptimizationRequest& request,
                                           const PreparedProblem& prepared) {
  const MeanVarianceOptions& mv = prepared.options;
  ObjectiveWeights w;
  w.l2 = mv.l2_gamma;
  bool maximise = false;
  switch (mv.objective) {
    case Objective::kMinVolatility:
      w.variance = 1.0;
      break;
    case Objective::kEfficientReturn:
      w.variance = 1.0;  // target_return is passed as the constraint
      break;
    case Objective::kMaxUtility:
      w.expected_return = 1.0;
      w.variance = 0.5 * mv.risk_aversion;
      maximise = true;
      break;
    case Objective::kMaxReturn:
      if (!mv.target_volatility) {
        w.expected_return = 1.0;
        maximise = true;
        break;
      }
      [[fallthrough]];
    case Objective::kEfficientRisk:
    case Objective::kMaxSharpe:
      return InvalidArgument(
          "a CVaR limit is supported with MIN_VOLATILITY, MAX_UTILITY, MAX_RETURN (without a "
          "volatility target), EFFICIENT_RETURN and MULTI_OBJECTIVE; not with " +
              std::string(EnumToString(request.objective)),
          "risk_parameters.cvar.limit");
  }
  if (w.expected_return == 0.0 && w.variance == 0.0 && w.l2 == 0.0) w.variance = 1.0;
  return SolveMulti(request, prepared, w, maximise);
}

}  // namespace

bool NeedsReturnScenarios(const OptimizationRequest& request) {
  const RiskParameters& rp = request.risk_parameters;
  return request.objective == RequestObjective::kMinCvar ||
         request.objective == RequestObjective::kMultiObjective || rp.cvar_alpha.has_value() ||
         rp.cvar_limit.has_value();
}

Result<std::optional<ExtendedOutcome>> SolveExtendedModel(const OptimizationRequest& request,
                                                          const PreparedProblem& prepared) {
  const RiskParameters& rp = request.risk_parameters;
  const bool robust = request.method == RequestMethod::kRobustOptimization;
  const bool multi = request.objective == RequestObjective::kMultiObjective;
  if (rp.robust.present && !robust) {
    return InvalidArgument(
        "risk_parameters.robust is used only by method ROBUST_OPTIMIZATION (the method is " +
            std::string(EnumToString(request.method)) + ")",
        "risk_parameters.robust");
  }
  if (!rp.objective_weights.empty() && !multi) {
    return InvalidArgument(
        "risk_parameters.objective_weights is used only by objective MULTI_OBJECTIVE",
        "risk_parameters.objective_weights");
  }
  PFOPT_RETURN_IF_ERROR(CheckAlpha(rp));
  Result<ExtendedOutcome> outcome = tl::unexpected(Error(ErrorCode::kInternal, "not solved"));
  if (robust) {
    outcome = SolveRobust(request, prepared);
  } else if (request.objective == RequestObjective::kMinCvar) {
    outcome = SolveMinCvar(request, prepared);
  } else if (multi) {
    auto weights = ParseWeights(rp);
    if (!weights) return tl::unexpected(weights.error());
    if (auto status = weights->Validate(); !status) {
      return tl::unexpected(Error(status.error().code(), status.error().message(),
                                  RequestField("weights." + status.error().field())));
    }
    outcome = SolveMulti(request, prepared, *weights, false);
  } else if (rp.cvar_limit) {
    outcome = SolveWithCvarLimit(request, prepared);
  } else {
    return std::optional<ExtendedOutcome>();
  }
  if (!outcome) return tl::unexpected(outcome.error());
  return std::optional<ExtendedOutcome>(std::move(*outcome));
}

void ApplyExtendedOutcome(const ExtendedOutcome& outcome, OptimizationResponse* response) {
  for (const auto& w : outcome.warnings) response->warnings.push_back(w);
  if (HasSolution(response->convergence_status)) {
    if (std::isfinite(outcome.tail_risk.cvar)) {
      response->cvar = outcome.tail_risk.cvar;
      response->value_at_risk = outcome.tail_risk.value_at_risk;
      response->cvar_alpha = outcome.tail_risk.alpha;
    }
    response->worst_case_return = outcome.worst_case_return;
    response->objective_terms = outcome.objective_terms;
  }
  response->robust_radius = outcome.robust_radius;
  response->uncertainty = outcome.uncertainty;
}

void ReportTailRisk(const OptimizationRequest& request, const PreparedProblem& prepared,
                    OptimizationResponse* response) {
  if (!request.risk_parameters.cvar_alpha || std::isfinite(response->cvar) ||
      response->optimal_weights.empty() || prepared.returns.size() == 0) {
    return;
  }
  std::vector<std::string> warnings;
  auto scenarios = ScenarioReturns(prepared, "CVaR", &warnings);
  if (!scenarios) return;
  Vector w(static_cast<Index>(response->optimal_weights.size()));
  for (std::size_t i = 0; i < response->optimal_weights.size(); ++i) {
    w[static_cast<Index>(i)] = response->optimal_weights[i].second;
  }
  auto tail = ComputeTailRisk(*scenarios, w, *request.risk_parameters.cvar_alpha);
  if (!tail) return;
  response->cvar = tail->cvar;
  response->value_at_risk = tail->value_at_risk;
  response->cvar_alpha = tail->alpha;
  for (auto& warning : warnings) response->warnings.push_back(std::move(warning));
}

Result<FrontierResponse> RunParetoFront(const OptimizationRequest& request, int num_points,
                                        ParetoMeasure first, ParetoMeasure second) {
  OptimizationRequest copy = request;
  const bool with_return = first == ParetoMeasure::kReturn || second == ParetoMeasure::kReturn;
  copy.objective = with_return ? RequestObjective::kMaxSharpe : RequestObjective::kMinVolatility;
  copy.method = RequestMethod::kMeanVariance;
  copy.risk_parameters.robust = {};
  copy.risk_parameters.objective_weights.clear();
  copy.risk_parameters.cvar_alpha = CvarAlpha(request.risk_parameters);  // keeps the scenarios
  auto prepared = PrepareProblem(copy);
  if (!prepared) return tl::unexpected(prepared.error());
  const RiskParameters& rp = request.risk_parameters;
  PFOPT_RETURN_IF_ERROR(CheckAlpha(rp));
  ParetoFrontOptions options;
  options.first = first;
  options.second = second;
  options.num_points = num_points;
  options.cvar_alpha = CvarAlpha(rp);
  options.risk_free_rate = rp.risk_free_rate;
  options.solver.qp = prepared->options.qp;
  FrontierResponse response;
  Matrix scenarios;
  const bool needs = first == ParetoMeasure::kCvar || second == ParetoMeasure::kCvar;
  if (needs || prepared->returns.size() != 0) {
    auto s = ScenarioReturns(*prepared, "a front with CVaR", &response.warnings);
    if (!s) return tl::unexpected(s.error());
    scenarios = std::move(*s);
  }
  auto front = TraceParetoFront(prepared->problem, scenarios, options);
  if (!front) return EngineError(front.error());
  response.portfolio_id = request.portfolio_id;
  response.status = front->status;
  response.message = front->message;
  response.assets = prepared->problem.assets;
  response.iterations = front->iterations;
  response.optimization_time_ms = 1e3 * (prepared->estimation_seconds + front->solve_seconds);
  for (const auto& w : prepared->warnings) response.warnings.push_back(w);
  response.minimised = std::string(EnumToString(front->minimised));
  response.constrained = std::string(EnumToString(front->constrained));
  response.cvar_alpha = options.cvar_alpha;
  response.pareto_points = std::move(front->points);
  return response;
}

}  // namespace pfopt::service
