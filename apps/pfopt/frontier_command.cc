// pfopt frontier: N points of the efficient frontier as CSV or JSON.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "apps/pfopt/cli_common.h"
#include "apps/pfopt/commands.h"
#include "services/common/error_mapping.h"
#include "services/common/extended_models.h"
#include "services/common/optimization_service.h"
#include "services/common/request_json.h"

namespace pfopt::cli {

namespace {

struct FrontierFlags {
  RequestFlags request;
  int points = 20;
  std::string format = "csv";
  std::string objectives;  // "return,cvar": a Pareto front (extended_models.h)
};

// Pareto fronts: every measure of each point, then the weights.
void PrintParetoCsv(const service::FrontierResponse& front) {
  std::printf("point,epsilon,expected_return,volatility,sharpe_ratio,cvar,value_at_risk,turnover");
  for (const auto& id : front.assets) std::printf(",%s", id.c_str());
  std::printf("\n");
  for (std::size_t k = 0; k < front.pareto_points.size(); ++k) {
    const ParetoPoint& p = front.pareto_points[k];
    std::printf("%zu,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g", k, p.epsilon,
                p.performance.expected_return, p.performance.volatility, p.performance.sharpe_ratio,
                p.terms.cvar, p.value_at_risk, p.terms.turnover);
    for (Index i = 0; i < p.weights.size(); ++i) std::printf(",%.17g", p.weights[i]);
    std::printf("\n");
  }
}

nlohmann::ordered_json NumberOrNull(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

nlohmann::ordered_json ParetoToJson(const service::FrontierResponse& front) {
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (const ParetoPoint& p : front.pareto_points) {
    nlohmann::ordered_json weights = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < front.assets.size(); ++i) {
      weights[front.assets[i]] = p.weights[static_cast<Index>(i)];
    }
    points.push_back({{"epsilon", p.epsilon},
                      {"expected_return", NumberOrNull(p.performance.expected_return)},
                      {"volatility", NumberOrNull(p.performance.volatility)},
                      {"sharpe_ratio", NumberOrNull(p.performance.sharpe_ratio)},
                      {"cvar", NumberOrNull(p.terms.cvar)},
                      {"value_at_risk", NumberOrNull(p.value_at_risk)},
                      {"turnover", NumberOrNull(p.terms.turnover)},
                      {"weights", std::move(weights)}});
  }
  nlohmann::ordered_json out = {
      {"portfolio_id", front.portfolio_id}, {"status", EnumToString(front.status)},
      {"message", front.message},           {"minimised", front.minimised},
      {"constrained", front.constrained},   {"cvar_alpha", front.cvar_alpha},
      {"iterations", front.iterations},     {"optimization_time_ms", front.optimization_time_ms},
      {"points", std::move(points)}};
  if (!front.warnings.empty()) out["warnings"] = front.warnings;
  return out;
}

// "--objectives return,cvar" -> the two measures.
Result<std::pair<ParetoMeasure, ParetoMeasure>> ParseObjectives(const std::string& text) {
  const auto comma = text.find(',');
  if (comma == std::string::npos || text.find(',', comma + 1) != std::string::npos) {
    return InvalidArgument(
        "--objectives expects two of return, volatility, cvar, turnover, e.g. return,cvar; got '" +
            text + "'",
        "--objectives");
  }
  auto first = EnumFromString<ParetoMeasure>(text.substr(0, comma), "objective");
  if (!first)
    return tl::unexpected(Error(first.error().code(), first.error().message(), "--objectives"));
  auto second = EnumFromString<ParetoMeasure>(text.substr(comma + 1), "objective");
  if (!second) {
    return tl::unexpected(Error(second.error().code(), second.error().message(), "--objectives"));
  }
  return std::make_pair(*first, *second);
}

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
  Result<service::FrontierResponse> frontier = tl::unexpected(Error(ErrorCode::kInternal, ""));
  if (flags.objectives.empty()) {
    frontier = service::RunFrontier(*request, flags.points);
  } else {
    auto measures = ParseObjectives(flags.objectives);
    if (!measures) return fail(measures.error());
    frontier = service::RunParetoFront(*request, flags.points, measures->first, measures->second);
  }
  if (!frontier) return fail(frontier.error());
  const bool pareto = !flags.objectives.empty();
  if (flags.format == "json") {
    std::cout << (pareto ? ParetoToJson(*frontier) : ToJson(*frontier)).dump(2) << "\n";
  } else if (pareto) {
    PrintParetoCsv(*frontier);
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
  command->add_option("--objectives", flags->objectives,
                      "a Pareto front of two of return, volatility, cvar, turnover (e.g. "
                      "return,cvar; epsilon-constraint, docs/multi_objective.md) instead of the "
                      "efficient frontier");
  command->footer(
      "Exit codes: 0 solved, 1 unsolved, 2 bad input, 3 internal error.\nExample: pfopt "
      "frontier --prices examples/data/stock_prices.csv --points 10\n         pfopt frontier "
      "--prices examples/data/stock_prices.csv --objectives return,cvar --points 10");
  command->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace pfopt::cli
