#include "services/common/scenario_service.h"

#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <utility>

#include "pfopt/data/scenario_cube.h"

namespace pfopt::service {

namespace {

using Clock = std::chrono::steady_clock;

tl::unexpected<Error> WithField(const Error& error, const std::string& field) {
  return tl::unexpected(Error(error.code(), error.message(), field));
}

void AppendRow(Matrix* a, Vector* b, const Vector& row, double rhs) {
  const Index rows = a->rows();
  a->conservativeResize(rows + 1, row.size());
  a->row(rows) = row.transpose();
  b->conservativeResize(rows + 1);
  (*b)[rows] = rhs;
}

}  // namespace

Result<ScenarioOutcome> RunScenarioJob(const ScenarioJob& job,
                                       const scenario::ScenarioSolverOptions& options) {
  const ScenarioSettings& s = job.settings;
  if (!s.method) return InvalidArgument("the scenario method is required", "scenarios.method");
  const auto start = Clock::now();
  auto cube = ReadScenarioCube(s.path);
  if (!cube) return WithField(cube.error(), "scenarios.path");
  scenario::ScenarioDataOptions data_options;
  data_options.time_unit = s.time_unit;
  if (!s.cvar_path.empty()) {
    auto cvar = ReadScenarioCube(s.cvar_path);
    if (!cvar) return WithField(cvar.error(), "scenarios.cvar_path");
    data_options.cvar_cube = std::make_shared<const ScenarioCube>(std::move(*cvar));
  }
  auto data = scenario::ScenarioData::Create(std::move(*cube), data_options);
  if (!data) {
    const std::string field = data.error().field();
    return WithField(data.error(), "scenarios." + (field.empty() ? std::string("path") : field));
  }
  if (job.expected_assets > 0 && data->num_assets() != job.expected_assets) {
    return DimensionMismatch("the request lists " + std::to_string(job.expected_assets) +
                                 " strategies but the cube '" + s.path + "' has " +
                                 std::to_string(data->num_assets()) +
                                 " assets; list one strategy per asset, in the cube's order",
                             "strategies");
  }
  ScenarioOutcome outcome;
  outcome.num_assets = data->num_assets();
  outcome.load_seconds = std::chrono::duration<double>(Clock::now() - start).count();

  scenario::ScenarioProblem problem;
  problem.optimizer = s.optimizer;
  problem.method = *s.method;
  problem.rebalance = s.rebalance;
  problem.sum_to_1 = s.sum_to_1;
  scenario::MethodArguments& a = problem.arguments;
  a.max_vol = s.max_vol;
  a.max_cvar = s.max_cvar;
  a.min_ret = s.min_ret;
  if (s.percentile) a.percentile = *s.percentile;
  if (s.as_tracking_error) a.as_tracking_error = *s.as_tracking_error;
  if (s.as_active_cvar) a.as_active_cvar = *s.as_active_cvar;
  if (s.as_active_return) a.as_active_return = *s.as_active_return;
  const Index assets = data->num_assets();
  auto expand = [assets](const Vector& v) {
    return v.size() == 1 ? Vector(Vector::Constant(assets, v[0])) : v;
  };
  if (!s.x0.empty()) {
    a.x0 = expand(Eigen::Map<const Vector>(s.x0.data(), static_cast<Index>(s.x0.size())));
  }
  problem.lower_bounds = expand(job.lower_bounds);
  problem.upper_bounds = expand(job.upper_bounds);
  problem.a_in = job.a_in;
  problem.b_in = job.b_in;
  problem.a_eq = job.a_eq;
  problem.b_eq = job.b_eq;
  auto result = scenario::SolveScenario(*data, problem, options);
  if (!result) {
    const std::string field = result.error().field();
    return WithField(result.error(), field.empty() ? "scenarios" : "scenarios." + field);
  }
  outcome.result = std::move(*result);
  return outcome;
}

Result<OptimizationResponse> RunScenarioRequest(const OptimizationRequest& request) {
  const auto& strategies = request.strategies;
  const Index n = static_cast<Index>(strategies.size());
  const ScenarioSettings& settings = request.scenarios;
  for (std::size_t i = 0; i < strategies.size(); ++i) {
    const StrategyDefinition& st = strategies[i];
    if (!st.returns.empty() || !st.prices.empty() || st.expected_return) {
      return InvalidArgument("strategy '" + st.id +
                                 "' has a history or an expected return, but a scenario request "
                                 "takes every return from the cube; give the ids only",
                             "strategies[" + std::to_string(i) + "]");
    }
  }
  const OptimizationConstraints& c = request.constraints;
  if (c.turnover_limit) {
    return MakeError(ErrorCode::kNotImplemented,
                     "turnover_limit is not available with scenario cubes (the scenario "
                     "optimiser takes bounds and linear constraints)",
                     "constraints.turnover_limit");
  }
  if (c.leverage_limit) {
    return MakeError(ErrorCode::kNotImplemented,
                     "leverage_limit is not available with scenario cubes (the scenario "
                     "optimiser takes bounds and linear constraints)",
                     "constraints.leverage_limit");
  }
  if (request.risk_parameters.risk_free_rate != 0.0) {
    return InvalidArgument(
        "the scenario optimiser's Sharpe and information ratios have no risk-free rate "
        "(allopy's definition, E / sigma); leave risk_free_rate at 0",
        "risk_parameters.risk_free_rate");
  }

  ScenarioJob job;
  job.settings = settings;
  const bool active = settings.optimizer == scenario::OptimizerKind::kActive;
  bool any_bound = c.min_weight.has_value() || c.max_weight.has_value();
  for (const auto& st : strategies) any_bound = any_bound || st.min_weight || st.max_weight;
  if (any_bound) {
    scenario::DefaultBounds(settings.optimizer, n, &job.lower_bounds, &job.upper_bounds);
    for (Index j = 0; j < n; ++j) {
      const StrategyDefinition& st = strategies[static_cast<std::size_t>(j)];
      if (c.min_weight) job.lower_bounds[j] = *c.min_weight;
      if (c.max_weight) job.upper_bounds[j] = *c.max_weight;
      if (st.min_weight) job.lower_bounds[j] = *st.min_weight;
      if (st.max_weight) job.upper_bounds[j] = *st.max_weight;
    }
  }
  job.a_in.resize(0, n);
  job.a_eq.resize(0, n);
  auto sector_row = [&](const std::string& sector, const char* field) -> Result<Vector> {
    Vector row = Vector::Zero(n);
    for (Index j = 0; j < n; ++j) {
      if (strategies[static_cast<std::size_t>(j)].sector == sector) row[j] = 1.0;
    }
    if (sector.empty() || row.sum() == 0.0) {
      return InvalidArgument("sector '" + sector + "' has a limit but no strategy has that sector",
                             std::string("constraints.") + field + "." + sector);
    }
    return row;
  };
  for (const auto& [sector, limit] : c.sector_limits) {
    auto row = sector_row(sector, "sector_limits");
    if (!row) return tl::unexpected(row.error());
    AppendRow(&job.a_in, &job.b_in, *row, limit);
  }
  for (const auto& [sector, minimum] : c.sector_minimums) {
    auto row = sector_row(sector, "sector_minimums");
    if (!row) return tl::unexpected(row.error());
    AppendRow(&job.a_in, &job.b_in, -*row, -minimum);
  }
  if (c.budget) {
    if (settings.sum_to_1.value_or(false) && *c.budget != 1.0) {
      return InvalidArgument(
          "budget " + std::to_string(*c.budget) + " contradicts scenarios.sum_to_1 = true",
          "constraints.budget");
    }
    job.settings.sum_to_1 = false;
    AppendRow(&job.a_eq, &job.b_eq, Vector::Ones(n), *c.budget);
  }
  if (job.a_in.rows() == 0) job.a_in.resize(0, 0);
  if (job.a_eq.rows() == 0) job.a_eq.resize(0, 0);

  job.expected_assets = n;
  auto outcome = RunScenarioJob(job);
  if (!outcome) return tl::unexpected(outcome.error());
  const scenario::ScenarioResult& r = outcome->result;
  OptimizationResponse response;
  response.portfolio_id = request.portfolio_id;
  response.objective = std::string(EnumToString(*settings.method));
  response.method = "SCENARIO";
  response.convergence_status = r.status;
  response.iterations = r.iterations;
  response.optimization_time_ms = 1e3 * (outcome->load_seconds + r.solve_seconds);
  response.objective_value = r.objective_value;
  response.message = r.message;
  if (HasSolution(r.status)) {
    response.constraints_satisfied = true;  // SolveScenario re-checked every constraint
    for (Index j = 0; j < n; ++j) {
      response.optimal_weights.emplace_back(strategies[static_cast<std::size_t>(j)].id,
                                            r.weights[j]);
    }
    response.expected_return = r.metrics.expected_return;
    response.expected_volatility = r.metrics.volatility;
    response.sharpe_ratio = r.metrics.sharpe_ratio;
    response.scenario_metrics.emplace_back("cvar", r.metrics.cvar);
    if (active) {
      response.scenario_metrics.emplace_back("tracking_error", r.metrics.tracking_error);
      response.scenario_metrics.emplace_back("active_return", r.metrics.active_return);
      response.scenario_metrics.emplace_back("info_ratio", r.metrics.info_ratio);
    }
    if (!r.global_optimum) response.warnings.push_back(r.message);
  }
  return response;
}

}  // namespace pfopt::service
