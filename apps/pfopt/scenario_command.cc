// pfopt scenario: the allopy-compatible scenario optimiser on a Monte-Carlo cube
// (docs/scenario.md, docs/cli.md).
#include <unistd.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "apps/pfopt/cli_common.h"
#include "apps/pfopt/commands.h"
#include "services/common/error_mapping.h"
#include "services/common/request_json.h"
#include "services/common/scenario_service.h"

namespace pfopt::cli {

namespace {

struct ScenarioFlags {
  std::string cube, cvar_cube, time_unit = "quarterly";
  std::string optimizer = "portfolio", method;
  std::optional<double> max_vol, max_cvar, min_ret;
  double percentile = 5.0;
  bool rebalance = false;
  std::optional<bool> sum_to_1, as_tracking_error;
  bool as_active_cvar = false, as_active_return = false;
  std::string lower, upper, x0;  // one number or a comma-separated list
  std::string linear_constraints;
  std::string format = "table";
};

// The engine's field names in errors, as the flags that set them.
const std::map<std::string, std::string>& FlagOfField() {
  static const std::map<std::string, std::string> map = {
      {"scenarios.path", "--cube"},
      {"scenarios.cvar_path", "--cvar-cube"},
      {"scenarios.time_unit", "--time-unit"},
      {"scenarios.method", "--method"},
      {"scenarios.optimizer", "--optimizer"},
      {"scenarios.max_vol", "--max-vol"},
      {"scenarios.max_cvar", "--max-cvar"},
      {"scenarios.min_ret", "--min-ret"},
      {"scenarios.percentile", "--percentile"},
      {"scenarios.x0", "--x0"},
      {"scenarios.lower_bounds", "--lower"},
      {"scenarios.upper_bounds", "--upper"},
      {"scenarios.a_in", "--linear-constraints"},
      {"scenarios.b_in", "--linear-constraints"},
      {"scenarios.a_eq", "--linear-constraints"},
      {"scenarios.b_eq", "--linear-constraints"},
      {"scenarios.as_active_return", "--as-active-return"},
  };
  return map;
}

Error AsFlagError(const Error& error) {
  const auto& map = FlagOfField();
  auto it = map.find(error.field());
  return it == map.end() ? error : Error(error.code(), error.message(), it->second);
}

Result<Vector> ParseNumbers(const std::string& text, const char* flag) {
  std::vector<double> values;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const double x = std::strtod(item.c_str(), &end);
    while (end != nullptr && *end == ' ') ++end;
    if (item.empty() || end == item.c_str() || *end != '\0' || std::isnan(x)) {
      return InvalidArgument(std::string(flag) +
                                 " expects one number or a comma-separated list, "
                                 "got '" +
                                 text + "'",
                             flag);
    }
    values.push_back(x);
  }
  if (values.empty()) return InvalidArgument(std::string(flag) + " is empty", flag);
  return Vector(Eigen::Map<const Vector>(values.data(), static_cast<Index>(values.size())));
}

// Linear constraints file: a header `type,<one column per asset>,rhs`, then rows
// `<=|>=|=,coefficients...,rhs`.
Status ReadLinearConstraints(const std::string& path, service::ScenarioJob* job) {
  auto text = ReadInput(path);
  if (!text) return tl::unexpected(text.error());
  std::stringstream lines(*text);
  std::string line;
  int line_number = 0;
  Index columns = -1;
  std::vector<std::vector<double>> in_rows, eq_rows;
  std::vector<double> in_rhs, eq_rhs;
  const char* flag = "--linear-constraints";
  auto fail = [&](const std::string& message) {
    return InvalidArgument(path + " line " + std::to_string(line_number) + ": " + message, flag);
  };
  while (std::getline(lines, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) {
      const auto first = cell.find_first_not_of(" \t");
      const auto last = cell.find_last_not_of(" \t");
      cells.push_back(first == std::string::npos ? "" : cell.substr(first, last - first + 1));
    }
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    if (columns < 0) {  // header
      if (cells.size() < 3 || cells.front() != "type" || cells.back() != "rhs") {
        return fail("the header must be 'type,<one column per asset>,rhs'");
      }
      columns = static_cast<Index>(cells.size()) - 2;
      continue;
    }
    if (static_cast<Index>(cells.size()) != columns + 2) {
      return fail("expected " + std::to_string(columns + 2) + " cells like the header, got " +
                  std::to_string(cells.size()));
    }
    std::vector<double> numbers;
    for (std::size_t k = 1; k < cells.size(); ++k) {
      char* end = nullptr;
      const double x = std::strtod(cells[k].c_str(), &end);
      if (cells[k].empty() || *end != '\0' || !std::isfinite(x)) {
        return fail("'" + cells[k] + "' is not a number");
      }
      numbers.push_back(x);
    }
    const double rhs = numbers.back();
    numbers.pop_back();
    const std::string& type = cells.front();
    if (type == "<=" || type == "le") {
      in_rows.push_back(numbers);
      in_rhs.push_back(rhs);
    } else if (type == ">=" || type == "ge") {
      for (double& x : numbers) x = -x;
      in_rows.push_back(numbers);
      in_rhs.push_back(-rhs);
    } else if (type == "=" || type == "==" || type == "eq") {
      eq_rows.push_back(numbers);
      eq_rhs.push_back(rhs);
    } else {
      return fail("type '" + type + "' is not one of <=, >=, =");
    }
  }
  if (columns < 0) return InvalidArgument(path + " is empty", flag);
  auto to_matrix = [columns](const std::vector<std::vector<double>>& rows, Matrix* a) {
    a->resize(static_cast<Index>(rows.size()), columns);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      for (Index j = 0; j < columns; ++j) (*a)(static_cast<Index>(i), j) = rows[i][j];
    }
  };
  if (!in_rows.empty()) {
    to_matrix(in_rows, &job->a_in);
    job->b_in = Eigen::Map<const Vector>(in_rhs.data(), static_cast<Index>(in_rhs.size()));
  }
  if (!eq_rows.empty()) {
    to_matrix(eq_rows, &job->a_eq);
    job->b_eq = Eigen::Map<const Vector>(eq_rhs.data(), static_cast<Index>(eq_rhs.size()));
  }
  return Ok();
}

Result<service::ScenarioJob> BuildJob(const ScenarioFlags& flags) {
  service::ScenarioJob job;
  service::ScenarioSettings& s = job.settings;
  s.present = true;
  s.path = flags.cube;
  s.cvar_path = flags.cvar_cube;
  auto unit = ParseTimeUnit(flags.time_unit);
  if (!unit)
    return tl::unexpected(Error(unit.error().code(), unit.error().message(), "--time-unit"));
  s.time_unit = *unit;
  auto optimizer = EnumFromString<scenario::OptimizerKind>(flags.optimizer, "optimizer");
  if (!optimizer) {
    return tl::unexpected(
        Error(optimizer.error().code(), optimizer.error().message(), "--optimizer"));
  }
  s.optimizer = *optimizer;
  auto method = EnumFromString<scenario::ScenarioMethod>(flags.method, "method");
  if (!method) {
    return tl::unexpected(Error(method.error().code(), method.error().message(), "--method"));
  }
  s.method = *method;
  s.max_vol = flags.max_vol;
  s.max_cvar = flags.max_cvar;
  s.min_ret = flags.min_ret;
  s.percentile = flags.percentile;
  s.rebalance = flags.rebalance;
  s.sum_to_1 = flags.sum_to_1;
  s.as_tracking_error = flags.as_tracking_error;
  if (flags.as_active_cvar) s.as_active_cvar = true;
  if (flags.as_active_return) s.as_active_return = true;
  if (!flags.x0.empty()) {
    auto x0 = ParseNumbers(flags.x0, "--x0");
    if (!x0) return tl::unexpected(x0.error());
    s.x0.assign(x0->data(), x0->data() + x0->size());
  }
  if (!flags.lower.empty()) {
    auto lower = ParseNumbers(flags.lower, "--lower");
    if (!lower) return tl::unexpected(lower.error());
    job.lower_bounds = *lower;
  }
  if (!flags.upper.empty()) {
    auto upper = ParseNumbers(flags.upper, "--upper");
    if (!upper) return tl::unexpected(upper.error());
    job.upper_bounds = *upper;
  }
  if (!flags.linear_constraints.empty()) {
    PFOPT_RETURN_IF_ERROR(ReadLinearConstraints(flags.linear_constraints, &job));
  }
  return job;
}

nlohmann::ordered_json Number(double x) {
  return std::isfinite(x) ? nlohmann::ordered_json(x) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json ToJson(const service::ScenarioOutcome& outcome, bool active) {
  const scenario::ScenarioResult& r = outcome.result;
  nlohmann::ordered_json metrics = {{"expected_return", Number(r.metrics.expected_return)},
                                    {"volatility", Number(r.metrics.volatility)},
                                    {"cvar", Number(r.metrics.cvar)},
                                    {"sharpe_ratio", Number(r.metrics.sharpe_ratio)}};
  if (active) {
    metrics["tracking_error"] = Number(r.metrics.tracking_error);
    metrics["active_return"] = Number(r.metrics.active_return);
    metrics["info_ratio"] = Number(r.metrics.info_ratio);
  }
  nlohmann::ordered_json constraints = nlohmann::ordered_json::array();
  for (const auto& c : r.constraints) {
    constraints.push_back({{"name", c.name},
                           {"value", Number(c.value)},
                           {"limit", Number(c.limit)},
                           {"violation", c.violation},
                           {"binding", c.binding}});
  }
  std::vector<double> weights(r.weights.data(), r.weights.data() + r.weights.size());
  return {{"weights", weights},
          {"status", EnumToString(r.status)},
          {"message", r.message},
          {"metrics", HasSolution(r.status) ? metrics : nlohmann::ordered_json::object()},
          {"iterations", r.iterations},
          {"solve_time_ms", 1e3 * r.solve_seconds},
          {"objective_value", Number(r.objective_value)},
          {"global_optimum", r.global_optimum},
          {"constraints", constraints},
          {"load_time_ms", 1e3 * outcome.load_seconds}};
}

void PrintTable(const ScenarioFlags& flags, const service::ScenarioOutcome& outcome, bool active) {
  const scenario::ScenarioResult& r = outcome.result;
  std::printf(
      "pfopt scenario: %s (%s optimizer, %s), %ld assets: %s\n",
      std::string(EnumToString(*EnumFromString<scenario::ScenarioMethod>(flags.method))).c_str(),
      flags.optimizer.c_str(), flags.rebalance ? "rebalanced" : "buy-and-hold",
      static_cast<long>(outcome.num_assets), std::string(EnumToString(r.status)).c_str());
  std::printf("  %s\n", r.message.c_str());
  if (!HasSolution(r.status)) return;
  const auto& m = r.metrics;
  std::printf("  expected return   %12s   (annualised)\n", Percent(m.expected_return, 3).c_str());
  std::printf("  volatility        %12s   (annualised)\n", Percent(m.volatility, 3).c_str());
  std::printf("  CVaR (%g %%)       %12s   (cumulative over the CVaR horizon)\n", flags.percentile,
              Percent(m.cvar, 3).c_str());
  std::printf("  Sharpe ratio      %12.4f\n", m.sharpe_ratio);
  if (active) {
    std::printf("  tracking error    %12s\n", Percent(m.tracking_error, 3).c_str());
    std::printf("  active return     %12s\n", Percent(m.active_return, 3).c_str());
    std::printf("  information ratio %12.4f\n", m.info_ratio);
  }
  std::printf("  solved in %.3f ms (%d SQP iterations, %d cutting planes); cube read in %.1f ms\n",
              1e3 * r.solve_seconds, r.iterations, r.cutting_planes, 1e3 * outcome.load_seconds);
  std::printf("  constraints (all hold; largest violation %.1e):\n", r.max_violation);
  for (const auto& c : r.constraints) {
    if (c.name == "bounds") continue;
    std::printf("    %-28s %.10g%s\n", c.name.c_str(), c.value, c.binding ? "  (binding)" : "");
  }
  std::printf("  weights:\n");
  for (Index j = 0; j < r.weights.size(); ++j) {
    std::printf("    asset %-4ld %12s\n", static_cast<long>(j), Percent(r.weights[j], 4).c_str());
  }
}

int Run(const ScenarioFlags& flags) {
  auto fail = [&](const Error& error) {
    const Error shown = AsFlagError(error);
    PrintError("scenario", shown);
    if (flags.format == "json") std::cout << service::ErrorToJson(shown).dump(2) << "\n";
    return service::ExitCodeFor(error.code());
  };
  auto job = BuildJob(flags);
  if (!job) return fail(job.error());
  // Progress on stderr for solves that take more than a second.
  const auto start = std::chrono::steady_clock::now();
  bool shown = false;
  const bool terminal = isatty(STDERR_FILENO) != 0;
  double last_print = 0.0;
  scenario::ScenarioSolverOptions options;
  options.progress = [&](const scenario::ScenarioProgress& p) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (elapsed < 1.0 || (!terminal && elapsed - last_print < 1.0)) return;
    last_print = elapsed;
    std::fprintf(stderr, "%spfopt scenario: iteration %d, objective %.10g, %.1f s%s",
                 terminal ? "\r" : "", p.iteration, p.objective, elapsed, terminal ? "" : "\n");
    std::fflush(stderr);
    shown = true;
  };
  auto outcome = service::RunScenarioJob(*job, options);
  if (shown && terminal) std::fprintf(stderr, "\n");
  if (!outcome) return fail(outcome.error());
  const bool active = job->settings.optimizer == scenario::OptimizerKind::kActive;
  if (flags.format == "json") {
    std::cout << ToJson(*outcome, active).dump(2) << "\n";
  } else {
    PrintTable(flags, *outcome, active);
  }
  const scenario::ScenarioResult& r = outcome->result;
  if (r.status == OptimizationStatus::kOptimalInaccurate) {
    std::cerr << "pfopt scenario: warning: solved to reduced accuracy: " << r.message << "\n";
  } else if (!HasSolution(r.status)) {
    std::cerr << "pfopt scenario: " << EnumToString(r.status) << ": " << r.message << "\n";
  }
  return service::ExitCodeFor(r.status);
}

}  // namespace

void AddScenarioCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ScenarioFlags>();
  CLI::App* command = app.add_subcommand(
      "scenario",
      "allopy-compatible optimisation on a Monte-Carlo cube (periods x trials x assets of "
      "simple returns): maximise returns, minimise volatility / CVaR / tracking error, maximise "
      "the Sharpe or information ratio (docs/scenario.md).");
  command
      ->add_option("--cube", flags->cube,
                   "the cube: NumPy .npy or long CSV period,trial,asset,return")
      ->required();
  command
      ->add_option("--time-unit", flags->time_unit,
                   "periods per year: monthly, quarterly, semi-annually, yearly or a number")
      ->capture_default_str();
  command->add_option("--cvar-cube", flags->cvar_cube,
                      "cube for the CVaR figures (default: the first 3 years of --cube)");
  command->add_flag("--rebalance", flags->rebalance,
                    "rebalance to the weights every period (default buy-and-hold)");
  command->add_option("--optimizer", flags->optimizer, "portfolio | active (asset 0 = benchmark)")
      ->capture_default_str();
  command
      ->add_option("--method", flags->method,
                   "maximize-returns | minimize-volatility | minimize-cvar | "
                   "maximize-sharpe-ratio | maximize-eva | minimize-tracking-error | "
                   "maximize-info-ratio")
      ->required();
  command->add_option("--max-vol", flags->max_vol,
                      "volatility cap (tracking-error cap for maximize-eva)");
  command->add_option("--max-cvar", flags->max_cvar,
                      "CVaR floor: CVaR >= this (a return, e.g. -0.1)");
  command->add_option("--min-ret", flags->min_ret, "floor on the annualised expected return");
  command->add_option("--percentile", flags->percentile, "CVaR percentile in (0, 100]")
      ->capture_default_str();
  command->add_option("--lower", flags->lower,
                      "lower bounds: one number for every asset or a comma-separated list");
  command->add_option("--upper", flags->upper,
                      "upper bounds: one number for every asset or a comma-separated list");
  command->add_option("--x0", flags->x0, "starting weights: one number or a comma-separated list");
  command->add_option("--linear-constraints", flags->linear_constraints,
                      "CSV of rows 'type,<coefficient per asset>,rhs' with type <=, >= or =, "
                      "after a header 'type,...,rhs'");
  command->add_option("--sum-to-1", flags->sum_to_1,
                      "weights sum to 1 (default: true for portfolio, false for active)");
  command->add_option("--as-tracking-error", flags->as_tracking_error,
                      "maximize-eva: --max-vol caps the tracking error (default true)");
  command->add_flag("--as-active-cvar", flags->as_active_cvar,
                    "active: the CVaR of the active weights (asset 0 at 0)");
  command->add_flag("--as-active-return", flags->as_active_return,
                    "active: --min-ret applies to the active return");
  command->add_option("--format", flags->format, "table | json")
      ->capture_default_str()
      ->check(CLI::IsMember({"table", "json"}));
  command->footer(
      "Exit codes: 0 solved, 1 infeasible or unsolved (with the reason), 2 bad input, 3 "
      "internal error.\nExample: pfopt scenario --cube "
      "tests/data/scenario/cube_20x2000x6_seed7.npy "
      "--method maximize-returns --max-vol 0.1");
  command->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace pfopt::cli
