// Shared pieces of the pfopt subcommands: the flags that build an OptimizationRequest from a
// price or return CSV (so that `--prices` and `--request` go through the same request), reading
// a request file, printing errors, and formatting numbers.
#ifndef PFOPT_APPS_PFOPT_CLI_COMMON_H_
#define PFOPT_APPS_PFOPT_CLI_COMMON_H_

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pfopt/core/error.h"
#include "services/common/request.h"

namespace pfopt::cli {

// Flags common to optimize and frontier.
struct RequestFlags {
  std::string request_file;  // --request FILE or '-'
  std::string prices_file;   // --prices FILE.csv
  std::string returns_file;  // --returns FILE.csv
  std::string portfolio_id = "cli";
  std::string objective;  // empty: MAX_SHARPE, or RISK_PARITY for the risk-parity methods
  std::string assets;     // comma-separated subset of the CSV's columns
  std::string from, to;   // period label range (inclusive)
  std::optional<double> risk_free_rate, periods_per_year, target_volatility, target_return,
      risk_aversion, l2_gamma, min_weight, max_weight, budget, turnover_limit, leverage_limit;
  std::string expected_returns_estimator, covariance_estimator, missing_data;
  std::string sectors_file, current_weights_file;
  std::vector<std::string> sector_limits, sector_minimums;  // SECTOR=VALUE
  std::string method;                                       // --method (default MEAN_VARIANCE)
  std::string hrp_linkage;                                  // --linkage (HIERARCHICAL_RISK_PARITY)
  std::string risk_budgets_file;  // --risk-budgets CSV 'asset,budget' (RISK_PARITY)
  // Robust, CVaR and multi-objective models (docs/robust.md, docs/cvar.md,
  // docs/multi_objective.md).
  std::optional<double> cvar_alpha, cvar_limit;  // risk_parameters.cvar
  std::string objective_weights;                 // "return=1,variance=2,cvar=1"
  std::string uncertainty;                       // ELLIPSOIDAL | BOX
  std::optional<double> confidence, kappa, observations;

  // Registers the flags on `command`.
  void Register(CLI::App* command, bool with_objective);
  bool uses_request_file() const { return !request_file.empty(); }
};

// Builds the request: parses --request, or assembles one from the CSV and the flags.
Result<service::OptimizationRequest> BuildRequest(const RequestFlags& flags);

// Reads a whole file ('-' = stdin).
Result<std::string> ReadInput(const std::string& path);

// Prints "pfopt <command>: error: <message> [field]" to stderr.
void PrintError(const std::string& command, const Error& error);

std::string Percent(double fraction, int decimals = 2);

}  // namespace pfopt::cli

#endif  // PFOPT_APPS_PFOPT_CLI_COMMON_H_
