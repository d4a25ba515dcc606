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
#include "apps/pfopt/serve_rebalancer.h"
#include "services/common/error_mapping.h"
#include "services/rest/service.h"
#include "services/rest/service_config.h"
#include "services/rest/storage/storage.h"

namespace pfopt::cli {

namespace {

struct ServeFlags {
  std::map<std::string, std::string> values;  // setting name -> value as typed
  EmbeddedRebalancerOptions rebalancer;       // --rebalancer FILE runs it in this process
};

void PrintRebalancer(const rest::OptimizationService& service, const EmbeddedRebalancer& r,
                     const EmbeddedRebalancerOptions& options) {
  const std::string url = service.base_url();
  const std::string auth =
      service.config().api_key.empty() ? "" : " -H \"Authorization: Bearer $PFOPT_API_KEY\"";
  std::string ids;
  for (const auto& id : r.portfolios()) ids += (ids.empty() ? "" : ", ") + id;
  std::printf(
      "  rebalancer: in this process, in-process bus, simulated prices of '%s' "
      "(speed %g, seed %llu)\n",
      r.portfolios().front().c_str(), options.speed, static_cast<unsigned long long>(options.seed));
  std::printf("    portfolios: %s (from %s", ids.c_str(), options.config_file.c_str());
  if (!r.overridden().empty()) std::printf("; stored configuration for %zu", r.overridden().size());
  if (!r.disabled().empty()) std::printf("; %zu disabled by theirs", r.disabled().size());
  std::printf(")\n");
  const std::string& first = r.portfolios().front();
  std::printf(
      "  Where to look: the rebalancer's weights (start-up, then after every Sharpe breach) are\n"
      "  stored as results with their portfolio_optimized events:\n"
      "    curl -s%s %s/api/v1/optimization/%s/latest\n"
      "    curl -s%s '%s/api/v1/optimization/%s/history?limit=20'\n"
      "    curl -s%s %s/api/v1/events\n"
      "  its counters (ticks, windows, metrics, triggers, re-optimisations) go to stderr every "
      "30 s.\n",
      auth.c_str(), url.c_str(), first.c_str(), auth.c_str(), url.c_str(), first.c_str(),
      auth.c_str(), url.c_str());
  std::fflush(stdout);
}

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

  std::unique_ptr<EmbeddedRebalancer> rebalancer;
  if (!flags.rebalancer.config_file.empty()) {
    auto started = EmbeddedRebalancer::Start(flags.rebalancer, running);
    if (!started) {
      std::fprintf(stderr, "pfopt serve: error: %s\n", started.error().ToString().c_str());
      return service::ExitCodeFor(started.error().code());
    }
    rebalancer = std::move(*started);
  }
  PrintReady(**service);
  if (rebalancer) PrintRebalancer(**service, *rebalancer, flags.rebalancer);
  std::fprintf(stderr, "pfopt serve: configuration\n%s", config->Describe().c_str());
  Status status = (*service)->Run();
  if (rebalancer) {
    if (Status stopped = rebalancer->Stop(); !stopped) {
      std::fprintf(stderr, "pfopt serve: rebalancer: %s\n", stopped.error().ToString().c_str());
    }
    std::fprintf(stderr, "pfopt serve: rebalancer stopped (%lld weights stored)\n",
                 static_cast<long long>(rebalancer->results_stored()));
    rebalancer.reset();
  }
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
  command
      ->add_option("--rebalancer", flags->rebalancer.config_file,
                   "run the real-time rebalancer in this process for the portfolios of this "
                   "file (e.g. examples/stream/casablanca.json): simulated prices, in-process "
                   "bus, weights stored as results (docs/streaming.md); env PFOPT_REBALANCER")
      ->envname("PFOPT_REBALANCER");
  command
      ->add_option("--rebalancer-speed", flags->rebalancer.speed,
                   "event-time seconds per second of the simulated feed (default 1)")
      ->check(CLI::PositiveNumber);
  command->add_option("--rebalancer-seed", flags->rebalancer.seed,
                      "seed of the simulated feed (default 1)");
  command->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace pfopt::cli
