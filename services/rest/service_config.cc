#include "services/rest/service_config.h"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace pfopt::rest {

namespace {

Result<long long> ParseInteger(std::string_view text, std::string_view name) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return InvalidArgument(
        std::string(name) + " must be an integer, got '" + std::string(text) + "'",
        std::string(name));
  }
  return value;
}

Result<double> ParseReal(std::string_view text, std::string_view name) {
  double value = 0.0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return InvalidArgument(std::string(name) + " must be a number, got '" + std::string(text) + "'",
                           std::string(name));
  }
  return value;
}

template <class T>
ConfigOption IntOption(std::string_view name, std::string_view env, std::string_view meaning,
                       T ServiceConfig::*member) {
  return ConfigOption{name, env, meaning,
                      [name, member](ServiceConfig& c, std::string_view text) -> Status {
                        auto v = ParseInteger(text, name);
                        if (!v) return tl::unexpected(v.error());
                        if (*v < 0) {
                          return InvalidArgument(std::string(name) + " must be >= 0",
                                                 std::string(name));
                        }
                        c.*member = static_cast<T>(*v);
                        return Ok();
                      },
                      [member](const ServiceConfig& c) { return std::to_string(c.*member); }};
}

ConfigOption RealOption(std::string_view name, std::string_view env, std::string_view meaning,
                        double ServiceConfig::*member) {
  return ConfigOption{name, env, meaning,
                      [name, member](ServiceConfig& c, std::string_view text) -> Status {
                        auto v = ParseReal(text, name);
                        if (!v) return tl::unexpected(v.error());
                        c.*member = *v;
                        return Ok();
                      },
                      [member](const ServiceConfig& c) {
                        std::ostringstream out;
                        out << c.*member;
                        return out.str();
                      }};
}

ConfigOption TextOption(std::string_view name, std::string_view env, std::string_view meaning,
                        std::string ServiceConfig::*member, bool secret = false) {
  return ConfigOption{name,
                      env,
                      meaning,
                      [member](ServiceConfig& c, std::string_view text) -> Status {
                        c.*member = std::string(text);
                        return Ok();
                      },
                      [member](const ServiceConfig& c) { return c.*member; },
                      secret};
}

ConfigOption BoolOption(std::string_view name, std::string_view env, std::string_view meaning,
                        bool ServiceConfig::*member) {
  return ConfigOption{
      name, env, meaning,
      [name, member](ServiceConfig& c, std::string_view text) -> Status {
        if (text == "1" || text == "true" || text == "yes" || text == "on") {
          c.*member = true;
        } else if (text == "0" || text == "false" || text == "no" || text == "off") {
          c.*member = false;
        } else {
          return InvalidArgument(
              std::string(name) + " must be true or false, got '" + std::string(text) + "'",
              std::string(name));
        }
        return Ok();
      },
      [member](const ServiceConfig& c) { return std::string(c.*member ? "true" : "false"); }};
}

const std::vector<ConfigOption>& Table() {
  static const std::vector<ConfigOption> table = {
      TextOption("host", "PFOPT_HOST", "interface to listen on (0.0.0.0 for all)",
                 &ServiceConfig::host),
      IntOption("port", "PFOPT_PORT", "TCP port; 0 picks a free one", &ServiceConfig::port),
      TextOption("db", "PFOPT_DB",
                 "database: sqlite:PATH (embedded) or postgresql://USER@HOST:PORT/DB",
                 &ServiceConfig::db),
      IntOption("http_threads", "PFOPT_HTTP_THREADS",
                "connections served at once (a thread per open connection)",
                &ServiceConfig::http_threads),
      IntOption("max_concurrent_solves", "PFOPT_MAX_CONCURRENT_SOLVES",
                "requests parsed and solved at once (0 = number of cores)",
                &ServiceConfig::max_concurrent_solves),
      IntOption("max_body_bytes", "PFOPT_MAX_BODY_BYTES", "largest request body (413 above)",
                &ServiceConfig::max_body_bytes),
      IntOption("max_strategies", "PFOPT_MAX_STRATEGIES",
                "most strategies in one request (413 above)", &ServiceConfig::max_strategies),
      IntOption("max_batch_items", "PFOPT_MAX_BATCH_ITEMS",
                "most requests in one batch (413 above)", &ServiceConfig::max_batch_items),
      RealOption("request_timeout_seconds", "PFOPT_REQUEST_TIMEOUT_SECONDS",
                 "longest wait for a solve slot (then 503) and for a whole batch (then 504)",
                 &ServiceConfig::request_timeout_seconds),
      IntOption("socket_timeout_seconds", "PFOPT_SOCKET_TIMEOUT_SECONDS",
                "read and write timeout of a connection", &ServiceConfig::socket_timeout_seconds),
      TextOption("api_key", "PFOPT_API_KEY",
                 "if set, /api/ calls need 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
                 &ServiceConfig::api_key, /*secret=*/true),
      TextOption("kafka_brokers", "PFOPT_KAFKA_BROKERS",
                 "Kafka bootstrap servers for the events; empty = outbox only",
                 &ServiceConfig::kafka_brokers),
      TextOption("kafka_topic", "PFOPT_KAFKA_TOPIC", "topic of the portfolio_optimized events",
                 &ServiceConfig::kafka_topic),
      IntOption("db_read_connections", "PFOPT_DB_READ_CONNECTIONS",
                "database connections kept for reads", &ServiceConfig::db_read_connections),
      IntOption("db_write_batch", "PFOPT_DB_WRITE_BATCH",
                "most writes committed in one transaction (group commit)",
                &ServiceConfig::db_write_batch),
      IntOption("db_checkpoint_frames", "PFOPT_DB_CHECKPOINT_FRAMES",
                "SQLite: WAL pages after which a background thread checkpoints",
                &ServiceConfig::db_checkpoint_frames),
      RealOption("shutdown_grace_seconds", "PFOPT_SHUTDOWN_GRACE_SECONDS",
                 "time given to in-flight requests and event delivery at SIGINT/SIGTERM",
                 &ServiceConfig::shutdown_grace_seconds),
      BoolOption("access_log", "PFOPT_ACCESS_LOG", "one line per request on stderr",
                 &ServiceConfig::access_log),
      IntOption("max_backtest_cells", "PFOPT_MAX_BACKTEST_CELLS",
                "most price rows x strategy assets (summed over strategies) in one backtest "
                "(413 above)",
                &ServiceConfig::max_backtest_cells),
      IntOption("max_backtest_work", "PFOPT_MAX_BACKTEST_WORK",
                "most optimisation work in one backtest: rebalances x (assets^2 x (window + "
                "assets) + 10^5), summed over its optimisation strategies (413 above)",
                &ServiceConfig::max_backtest_work),
  };
  return table;
}

std::string Trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

const ConfigOption* Find(std::string_view name) {
  for (const ConfigOption& o : Table()) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

Status ApplyFile(ServiceConfig& config, const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return MakeError(ErrorCode::kIoError, "cannot read the config file " + path, "config");
  }
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string text = Trim(line.substr(0, line.find('#')));
    if (text.empty()) continue;
    const auto eq = text.find('=');
    const std::string where = path + ":" + std::to_string(number);
    if (eq == std::string::npos) {
      return InvalidArgument(where + ": expected 'name = value', got '" + text + "'", "config");
    }
    const std::string name = Trim(std::string_view(text).substr(0, eq));
    const ConfigOption* option = Find(name);
    if (option == nullptr) {
      return InvalidArgument(where + ": unknown setting '" + name + "'", "config");
    }
    if (auto s = option->set(config, Trim(std::string_view(text).substr(eq + 1))); !s) {
      return InvalidArgument(where + ": " + s.error().message(), name);
    }
  }
  return Ok();
}

}  // namespace

std::span<const ConfigOption> ConfigOptions() { return Table(); }

std::string FlagName(std::string_view name) {
  std::string flag = "--";
  for (char c : name) flag += c == '_' ? '-' : c;
  return flag;
}

Status ServiceConfig::Validate() const {
  auto bad = [](const std::string& name, const std::string& rule) {
    return InvalidArgument(name + " " + rule, name);
  };
  if (host.empty()) return bad("host", "must not be empty");
  if (port < 0 || port > 65535) return bad("port", "must be in 0..65535");
  if (http_threads < 1 || http_threads > 4096) return bad("http_threads", "must be in 1..4096");
  if (max_concurrent_solves < 0 || max_concurrent_solves > 4096) {
    return bad("max_concurrent_solves", "must be in 0..4096");
  }
  if (max_body_bytes < 1024) return bad("max_body_bytes", "must be at least 1024");
  if (max_strategies < 1) return bad("max_strategies", "must be >= 1");
  if (max_batch_items < 1) return bad("max_batch_items", "must be >= 1");
  if (!(request_timeout_seconds > 0.0)) return bad("request_timeout_seconds", "must be > 0");
  if (socket_timeout_seconds < 1) return bad("socket_timeout_seconds", "must be >= 1");
  if (db_read_connections < 1) return bad("db_read_connections", "must be >= 1");
  if (db_write_batch < 1) return bad("db_write_batch", "must be >= 1");
  if (db_checkpoint_frames < 1 || db_checkpoint_frames > 1000000) {
    return bad("db_checkpoint_frames", "must be in 1..1000000");
  }
  if (!(shutdown_grace_seconds >= 0.0)) return bad("shutdown_grace_seconds", "must be >= 0");
  if (kafka_topic.empty()) return bad("kafka_topic", "must not be empty");
  if (max_backtest_cells < 1) return bad("max_backtest_cells", "must be >= 1");
  if (max_backtest_work < 1) return bad("max_backtest_work", "must be >= 1");
  return Ok();
}

std::string ServiceConfig::Describe() const {
  std::string out;
  for (const ConfigOption& o : Table()) {
    std::string value = o.get(*this);
    if (o.secret) value = value.empty() ? "(not set)" : "(set)";
    if (o.name == "max_concurrent_solves" && max_concurrent_solves == 0) {
      value =
          "0 (= " + std::to_string(std::max(1u, std::thread::hardware_concurrency())) + " cores)";
    }
    out += std::string(o.name) + " = " + value + "\n";
  }
  return out;
}

Result<ServiceConfig> LoadServiceConfig(const std::map<std::string, std::string>& flags,
                                        const std::function<const char*(const char*)>& getenv) {
  ServiceConfig config;
  std::string file;
  if (const char* env = getenv("PFOPT_CONFIG"); env != nullptr) file = env;
  if (auto it = flags.find("config"); it != flags.end()) file = it->second;
  if (!file.empty()) PFOPT_RETURN_IF_ERROR(ApplyFile(config, file));
  for (const ConfigOption& o : Table()) {
    const char* value = getenv(std::string(o.env).c_str());
    if (value == nullptr) continue;
    if (auto s = o.set(config, value); !s) {
      return InvalidArgument("environment " + std::string(o.env) + ": " + s.error().message(),
                             std::string(o.name));
    }
  }
  for (const auto& [name, value] : flags) {
    if (name == "config") continue;
    const ConfigOption* option = Find(name);
    if (option == nullptr) return InvalidArgument("unknown setting '" + name + "'", name);
    if (auto s = option->set(config, value); !s) {
      return InvalidArgument(FlagName(name) + ": " + s.error().message(), name);
    }
  }
  PFOPT_RETURN_IF_ERROR(config.Validate());
  return config;
}

}  // namespace pfopt::rest
