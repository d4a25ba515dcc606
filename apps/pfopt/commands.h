// The subcommands of pfopt. Each registers itself on the app and writes its exit code.
#ifndef PFOPT_APPS_PFOPT_COMMANDS_H_
#define PFOPT_APPS_PFOPT_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace pfopt::cli {

void AddOptimizeCommand(CLI::App& app, int* exit_code);
void AddFrontierCommand(CLI::App& app, int* exit_code);
void AddBacktestCommand(CLI::App& app, int* exit_code);
void AddServeCommand(CLI::App& app, int* exit_code);
void AddScenarioCommand(CLI::App& app, int* exit_code);
void AddFeedCommand(CLI::App& app, int* exit_code);
void AddStreamCommand(CLI::App& app, int* exit_code);

}  // namespace pfopt::cli

#endif  // PFOPT_APPS_PFOPT_COMMANDS_H_
