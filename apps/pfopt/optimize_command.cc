// pfopt optimize: one optimisation, from a request file or from flags over a CSV.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "apps/pfopt/cli_common.h"
#include "apps/pfopt/commands.h"
#include "services/common/error_mapping.h"
#include "services/common/optimization_service.h"
#include "services/common/request_json.h"

namespace pfopt::cli {

namespace {

struct OptimizeFlags {
  RequestFlags request;
  std::string format;  // json | table; default json for --request, table otherwise
  bool print_request = false;
};

void PrintTable(const service::OptimizationRequest& request,
                const service::OptimizationResponse& response) {
  std::printf("pfopt optimize: %s (%s), %zu assets: %s\n", response.objective.c_str(),
              response.method.c_str(), request.strategies.size(),
              std::string(EnumToString(response.convergence_status)).c_str());
  if (!HasSolution(response.convergence_status)) {
    std::printf("  %s\n", response.message.c_str());
    if (!response.conflicting_constraints.empty()) {
      std::printf("  conflicting constraint groups:");
      for (const auto& g : response.conflicting_constraints) std::printf(" %s", g.c_str());
      std::printf("\n");
    }
    return;
  }
  std::printf("  expected return   %12s   (annualised)\n",
              Percent(response.expected_return).c_str());
  std::printf("  volatility        %12s   (annualised)\n",
              Percent(response.expected_volatility).c_str());
  char sharpe[32] = "-";
  if (std::isfinite(response.sharpe_ratio))
    std::snprintf(sharpe, sizeof(sharpe), "%.4f", response.sharpe_ratio);
  std::printf("  Sharpe ratio      %12s   (risk-free rate %s)\n", sharpe,
              Percent(request.risk_parameters.risk_free_rate).c_str());
  std::printf("  solved in         %9.3f ms   (estimation + solve, %d QP iterations)\n",
              response.optimization_time_ms, response.iterations);
  std::printf("  constraints       %12s\n",
              response.constraints_satisfied ? "satisfied" : "VIOLATED");
  if (std::isfinite(response.cvar)) {
    std::printf("  CVaR / VaR        %12s / %s   (per period, alpha %s)\n",
                Percent(response.cvar, 3).c_str(), Percent(response.value_at_risk, 3).c_str(),
                Percent(response.cvar_alpha, 1).c_str());
  }
  if (!response.uncertainty.empty()) {
    std::printf("  worst-case return %12s   (%s set, radius %.6g)\n",
                Percent(response.worst_case_return).c_str(), response.uncertainty.c_str(),
                response.robust_radius);
  }
  std::vector<std::pair<std::string, double>> weights = response.optimal_weights;
  std::stable_sort(weights.begin(), weights.end(), [](const auto& a, const auto& b) {
    return std::abs(a.second) > std::abs(b.second);
  });
  std::size_t width = 6;
  for (const auto& [id, w] : weights) width = std::max(width, id.size());
  std::printf("  weights:\n");
  int zeros = 0;
  for (const auto& [id, w] : weights) {
    if (std::abs(w) < 5e-7) {
      ++zeros;
      continue;
    }
    std::printf("    %-*s %10s\n", static_cast<int>(width), id.c_str(), Percent(w, 3).c_str());
  }
  if (zeros > 0) std::printf("    (%d more at 0)\n", zeros);
  for (const auto& w : response.warnings) std::printf("  warning: %s\n", w.c_str());
}

int Run(const OptimizeFlags& flags) {
  auto request = BuildRequest(flags.request);
  const std::string format =
      flags.format.empty() ? (flags.request.uses_request_file() ? "json" : "table") : flags.format;
  auto fail = [&](const Error& error) {
    PrintError("optimize", error);
    if (format == "json") std::cout << service::ErrorToJson(error).dump(2) << "\n";
    return service::ExitCodeFor(error.code());
  };
  if (!request) return fail(request.error());
  if (flags.print_request) {
    std::cout << service::OptimizationRequestToJson(*request).dump(2) << "\n";
    return service::kExitSolved;
  }
  // One call on an otherwise idle process: the estimation may use a second core.
  service::RunOptions run;
  run.parallel_estimation = true;
  auto response = service::RunOptimization(*request, run);
  if (!response) return fail(response.error());
  if (format == "json") {
    std::cout << service::OptimizationResponseToJson(*response).dump(2) << "\n";
  } else {
    PrintTable(*request, *response);
  }
  if (response->convergence_status == OptimizationStatus::kOptimalInaccurate) {
    std::cerr << "pfopt optimize: warning: solved to reduced accuracy: " << response->message
              << "\n";
  } else if (!HasSolution(response->convergence_status)) {
    std::cerr << "pfopt optimize: " << EnumToString(response->convergence_status) << ": "
              << response->message << "\n";
  }
  return service::ExitCodeFor(response->convergence_status);
}

}  // namespace

void AddOptimizeCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<OptimizeFlags>();
  CLI::App* command = app.add_subcommand(
      "optimize",
      "Optimise a portfolio: --request FILE (an OptimizationRequest, docs/api.md) prints the "
      "OptimizationResponse JSON; --prices/--returns FILE.csv with flags builds the same request "
      "and prints a table (or --format json).");
  flags->request.Register(command, /*with_objective=*/true);
  command->add_option("--format", flags->format, "json | table")
      ->check(CLI::IsMember({"json", "table"}));
  command->add_flag("--print-request", flags->print_request,
                    "print the request built from the flags and exit");
  command->footer(
      "Exit codes: 0 solved, 1 infeasible or unsolved (with the reason), 2 bad input, 3 "
      "internal error.\nExample: pfopt optimize --prices examples/data/stock_prices.csv "
      "--objective max-sharpe --max-weight 0.25");
  command->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace pfopt::cli
