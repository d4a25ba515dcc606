// The configuration of `pfopt serve`, declared once: every setting has a name, a meaning, a
// default, a flag (--name with '-' for '_') and an environment variable (PFOPT_NAME), listed
// by ConfigOptions() (services/rest/README.md shows the same table; a test keeps them equal).
//
// Precedence, lowest first: default < config file (--config FILE or PFOPT_CONFIG; lines
// "name = value", '#' comments) < environment < flags.
#ifndef PFOPT_SERVICES_REST_SERVICE_CONFIG_H_
#define PFOPT_SERVICES_REST_SERVICE_CONFIG_H_

#include <cstddef>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "pfopt/core/error.h"

namespace pfopt::rest {

struct ServiceConfig {
  std::string host = "127.0.0.1";               // interface to listen on (0.0.0.0 for all)
  int port = 8080;                              // TCP port; 0 picks a free one (printed at start)
  std::string db = "sqlite:run-data/pfopt.db";  // sqlite:PATH or postgresql://...
  int http_threads = 32;                  // connections served at once (one thread per connection)
  int max_concurrent_solves = 0;          // parse+solve at once; 0 = number of cores
  std::size_t max_body_bytes = 8u << 20;  // larger bodies get 413
  int max_strategies = 2000;              // strategies per request; more gets 413
  int max_batch_items = 1000;             // requests per batch; more gets 413
  double request_timeout_seconds = 30.0;  // wait for a solve slot / whole batch; then 503/504
  int socket_timeout_seconds = 10;        // read / write timeout of a connection
  std::string api_key;                    // if set, every /api/ call needs it (401 otherwise)
  std::string kafka_brokers;              // bootstrap servers; empty = outbox only
  std::string kafka_topic = "portfolio-optimized";
  int db_read_connections = 4;           // database connections for reads
  int db_write_batch = 256;              // writes committed per transaction at most (group commit)
  int db_checkpoint_frames = 1000;       // SQLite: WAL pages between background checkpoints
  double shutdown_grace_seconds = 10.0;  // how long in-flight work may take after SIGTERM
  bool access_log = false;               // one line per request on stderr
  // POST /api/v1/backtest (docs/service.md, "Backtests"): the most work one backtest may ask
  // for; more gets 413. Cells: price rows x the assets of every strategy, summed (memory, the
  // simulation, and the size of the series in the answer). Work: summed over the OPTIMIZATION
  // strategies, (most rebalances its schedule can make) x (assets^2 x (estimation rows + assets)
  // + 10^5).
  long long max_backtest_cells = 1'000'000;
  long long max_backtest_work = 10'000'000'000;

  Status Validate() const;
  // Effective settings, one "name = value" per line, the API key shown as "(set)".
  std::string Describe() const;
};

struct ConfigOption {
  std::string_view name;     // config file key; flag is --name with '_' -> '-'
  std::string_view env;      // environment variable
  std::string_view meaning;  // one line, for --help and the README
  std::function<Status(ServiceConfig&, std::string_view)> set;
  std::function<std::string(const ServiceConfig&)> get;
  bool secret = false;  // never printed
};

std::span<const ConfigOption> ConfigOptions();

// "api_key" -> "--api-key".
std::string FlagName(std::string_view name);

// Builds the configuration: defaults, then the config file (if `flags` or the environment name
// one under "config"), then the environment (`getenv`, injectable for tests), then `flags`
// (option name -> value as typed). Errors name the source and the setting.
Result<ServiceConfig> LoadServiceConfig(const std::map<std::string, std::string>& flags,
                                        const std::function<const char*(const char*)>& getenv);

}  // namespace pfopt::rest

#endif  // PFOPT_SERVICES_REST_SERVICE_CONFIG_H_
