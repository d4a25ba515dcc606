// pfopt serve: the optimisation service (REST API, storage, events). services/rest/README.md.
#include <malloc.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "apps/pfopt/commands.h"
#include "services/common/error_mapping.h"
#include "services/rest/service.h"
#include "services/rest/service_config.h"
#include "services/rest/storage/storage.h"

namespace pfopt::cli {

namespace {

struct ServeFlags {
  std::map<std::string, std::string> values;  // setting name -> value as typed
};

void PrintReady(const rest::OptimizationService& service) {
  const rest::ServiceConfig& c = service.config();
  const std::string url = service.base_url();
  std::printf("pfopt serve: listening on %s\n", url.c_str());
  std::printf("  database: %s\n", rest::RedactedStorageUrl(c.db).c_str());
  std::printf("  events:   %s\n",
              c.kafka_brokers.empty()
                  ? "outbox only (GET /api/v1/events); --kafka-brokers to publish"
                  : ("Kafka " + c.kafka_brokers + ", topic " + c.kafka_topic).c_str());
  std::printf("  api key:  %s\n", c.api_key.empty() ? "none" : "required");
  const std::string auth = c.api_key.empty() ? "" : " -H \"Authorization: Bearer $PFOPT_API_KEY\"";
  std::printf(
      "Try (from the repository root):\n"
      "  curl -s%s -X POST %s/api/v1/optimize -H 'Content-Type: application/json' \\\n"
      "       --data @examples/requests/max_sharpe_sectors.json\n"
      "  curl -s%s %s/api/v1/optimization/balanced_fund/latest\n"
      "  curl -s %s/healthz\n"
      "Stop with Ctrl-C (SIGINT) or SIGTERM: in-flight requests finish first.\n",
      auth.c_str(), url.c_str(), auth.c_str(), url.c_str(), url.c_str());
  std::fflush(stdout);
}

int Run(const ServeFlags& flags) {
  auto config =
      rest::LoadServiceConfig(flags.values, [](const char* name) { return std::getenv(name); });
  if (!config) {
    std::fprintf(stderr, "pfopt serve: error: %s\n", config.error().message().c_str());
    return service::kExitBadInput;
  }
  // Request-sized buffers (a 1000 x 20 returns matrix is 160 KB) would otherwise be mmap'ed and
  // unmapped for every request: keep them in the heap.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  // SIGINT/SIGTERM go to one thread (blocked everywhere else, before any thread starts).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto service = rest::OptimizationService::Create(*config);
  if (!service) {
    std::fprintf(stderr, "pfopt serve: error: %s\n", service.error().ToString().c_str());
    return service.error().code() == ErrorCode::kUnavailable ||
                   service.error().code() == ErrorCode::kIoError
               ? service::kExitUnsolved
               : service::ExitCodeFor(service.error().code());
  }
  rest::OptimizationService* running = service->get();
  const double grace = config->shutdown_grace_seconds;
  std::thread([signals, running, grace] {
    int signal = 0;
    sigwait(&signals, &signal);
    std::fprintf(stderr, "pfopt serve: %s received, finishing in-flight requests\n",
                 signal == SIGINT ? "SIGINT" : "SIGTERM");
    running->Shutdown();
    // A request that outlives the grace period does not keep the process alive.
    std::this_thread::sleep_for(std::chrono::duration<double>(grace + 5.0));
    std::fprintf(stderr, "pfopt serve: shutdown took longer than the grace period; exiting\n");
    std::_Exit(service::kExitUnsolved);
  }).detach();

  PrintReady(**service);
  std::fprintf(stderr, "pfopt serve: configuration\n%s", config->Describe().c_str());
  Status status = (*service)->Run();
  service->reset();
  if (!status) {
    std::fprintf(stderr, "pfopt serve: error: %s\n", status.error().ToString().c_str());
    return service::kExitUnsolved;
  }
  std::fprintf(stderr, "pfopt serve: stopped\n");
  return service::kExitSolved;
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* command = app.add_subcommand(
      "serve",
      "Run the optimisation service: REST API, storage, portfolio_optimized events "
      "(services/rest/README.md)");
  command->add_option_function<std::string>(
      "--config", [flags](const std::string& v) { flags->values["config"] = v; },
      "config file: 'name = value' lines (names as the flags without '--', '-' -> '_'); "
      "env PFOPT_CONFIG");
  for (const rest::ConfigOption& option : rest::ConfigOptions()) {
    const std::string name(option.name);
    std::string help = std::string(option.meaning) + "; env " + std::string(option.env);
    if (!option.secret) help += "; default " + option.get(rest::ServiceConfig{});
    command->add_option_function<std::string>(
        rest::FlagName(name), [flags, name](const std::string& v) { flags->values[name] = v; },
        help);
  }
  command->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace pfopt::cli
