// pfopt frontier: N points of the efficient frontier as CSV or JSON.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/pfopt/cli_common.h"
#include "apps/pfopt/commands.h"
#include "services/common/error_mapping.h"
#include "services/common/optimization_service.h"
#include "services/common/request_json.h"

namespace pfopt::cli {

namespace {

struct FrontierFlags {
  RequestFlags request;
  int points = 20;
  std::string format = "csv";
};

void PrintCsv(const service::FrontierResponse& frontier) {
  std::printf("point,target_return,expected_return,volatility,sharpe_ratio");
  for (const auto& id : frontier.assets) std::printf(",%s", id.c_str());
  std::printf("\n");
  for (std::size_t k = 0; k < frontier.points.size(); ++k) {
    const FrontierPoint& p = frontier.points[k];
    std::printf("%zu,%.17g,%.17g,%.17g,%.17g", k, p.target_return, p.performance.expected_return,
                p.performance.volatility, p.performance.sharpe_ratio);
    for (Index i = 0; i < p.weights.size(); ++i) std::printf(",%.17g", p.weights[i]);
    std::printf("\n");
  }
}

nlohmann::ordered_json ToJson(const service::FrontierResponse& frontier) {
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (const FrontierPoint& p : frontier.points) {
    nlohmann::ordered_json weights = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < frontier.assets.size(); ++i) {
      weights[frontier.assets[i]] = p.weights[static_cast<Index>(i)];
    }
    points.push_back({{"target_return", p.target_return},
                      {"expected_return", p.performance.expected_return},
                      {"volatility", p.performance.volatility},
                      {"sharpe_ratio", p.performance.sharpe_ratio},
                      {"weights", std::move(weights)}});
  }
  nlohmann::ordered_json out = {{"portfolio_id", frontier.portfolio_id},
                                {"status", EnumToString(frontier.status)},
                                {"message", frontier.message},
                                {"iterations", frontier.iterations},
                                {"optimization_time_ms", frontier.optimization_time_ms},
                                {"points", std::move(points)}};
  if (!frontier.warnings.empty()) out["warnings"] = frontier.warnings;
  return out;
}

int Run(const FrontierFlags& flags) {
  auto fail = [&](const Error& error) {
    PrintError("frontier", error);
    if (flags.format == "json") std::cout << service::ErrorToJson(error).dump(2) << "\n";
    return service::ExitCodeFor(error.code());
  };
  auto request = BuildRequest(flags.request);
  if (!request) return fail(request.error());
  auto frontier = service::RunFrontier(*request, flags.points);
  if (!frontier) return fail(frontier.error());
  if (flags.format == "json") {
    std::cout << ToJson(*frontier).dump(2) << "\n";
  } else {
    PrintCsv(*frontier);
  }
  if (!HasSolution(frontier->status)) {
    std::cerr << "pfopt frontier: " << EnumToString(frontier->status) << ": " << frontier->message
              << "\n";
  }
  return service::ExitCodeFor(frontier->status);
}

}  // namespace

void AddFrontierCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<FrontierFlags>();
  CLI::App* command = app.add_subcommand(
      "frontier",
      "Trace the efficient frontier: N minimum-volatility portfolios for target returns from "
      "the minimum-volatility portfolio's return to the maximum attainable return, under the "
      "request's constraints.");
  flags->request.Register(command, /*with_objective=*/false);
  command->add_option("--points", flags->points, "number of points (>= 2)")
      ->capture_default_str()
      ->check(CLI::Range(2, 100000));
  command->add_option("--format", flags->format, "csv | json")
      ->capture_default_str()
      ->check(CLI::IsMember({"csv", "json"}));
  command->footer(
      "Exit codes: 0 solved, 1 unsolved, 2 bad input, 3 internal error.\nExample: pfopt "
      "frontier --prices examples/data/stock_prices.csv --points 10");
  command->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace pfopt::cli
