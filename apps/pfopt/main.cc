// pfopt: the one command-line program of the project (docs/cli.md).
#include <CLI/CLI.hpp>
#include <iostream>

#include "apps/pfopt/commands.h"
#include "services/common/error_mapping.h"

#ifndef PFOPT_VERSION
#define PFOPT_VERSION "0.1.0"
#endif

int main(int argc, char** argv) {
  CLI::App app{"pfopt: portfolio optimisation (mean-variance engine, CLI). docs/cli.md", "pfopt"};
  app.set_version_flag("--version", PFOPT_VERSION);
  app.require_subcommand(1);
  int exit_code = pfopt::service::kExitSolved;
  pfopt::cli::AddOptimizeCommand(app, &exit_code);
  pfopt::cli::AddFrontierCommand(app, &exit_code);
  pfopt::cli::AddBacktestCommand(app, &exit_code);
  pfopt::cli::AddServeCommand(app, &exit_code);
  pfopt::cli::AddScenarioCommand(app, &exit_code);
  pfopt::cli::AddFeedCommand(app, &exit_code);
  pfopt::cli::AddStreamCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help or the parse error
    return code == 0 ? 0 : pfopt::service::kExitBadInput;
  }
  return exit_code;
}
