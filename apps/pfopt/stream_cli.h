// Flags shared by `pfopt feed` and `pfopt stream`, declared once: the bus (Kafka or in-process),
// topic names and wire format, and the price sources. Each flag's help says its meaning and
// default; the environment variable, when there is one, is named there too
// (services/stream/README.md lists them all).
#ifndef PFOPT_APPS_PFOPT_STREAM_CLI_H_
#define PFOPT_APPS_PFOPT_STREAM_CLI_H_

#include <CLI/CLI.hpp>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "pfopt/core/error.h"
#include "services/stream/bus/kafka_bus.h"
#include "services/stream/portfolio_config.h"
#include "services/stream/recording.h"
#include "services/stream/sources/source.h"

namespace pfopt::cli {

struct BusFlags {
  std::string kafka_brokers;                 // --kafka-brokers / PFOPT_KAFKA_BROKERS
  std::vector<std::string> kafka_config;     // --kafka-config K=V (producer and consumer)
  std::vector<std::string> producer_config;  // --kafka-producer-config K=V
  std::vector<std::string> consumer_config;  // --kafka-consumer-config K=V
  std::vector<std::string> topics;           // --topic LOGICAL=NAME
  bool confluent = false;                    // --confluent-wire-format
  std::vector<std::string> schema_ids;       // --schema-id TYPE=ID
  int partitions = 1;                        // --partitions (in-process bus)

  void Register(CLI::App* command);
  bool kafka() const { return !kafka_brokers.empty(); }
  Result<stream::TopicNames> Topics() const;
  Result<stream::KafkaBusOptions> KafkaOptions() const;
};

struct SourceFlags {
  std::string kind;  // simulate | replay | poll
  // simulate
  std::string config_file;  // --config (portfolio statistics); shared with pfopt stream
  std::string portfolio;    // --portfolio ID
  uint64_t seed = 1;
  int64_t periods = 0;
  double period_seconds = 2.0;
  int ticks_per_period = 1;
  std::string start = "2026-01-05T09:00:00Z";
  int price_decimals = 6;
  // replay
  std::string prices_csv;
  std::string from_record;
  // poll
  std::string url;
  double interval_seconds = 2.0;
  double timeout_seconds = 5.0;
  std::string records_path;
  std::vector<std::string> fields;  // BOURSE_FIELD=JSON_FIELD
  bool keep_unchanged = false;
  // pacing and bounds of the feed
  double speed = 0.0;
  std::string tickers;  // comma-separated allow-list

  // `with_kind` adds --source (pfopt stream); pfopt feed uses subcommands instead.
  void Register(CLI::App* command, bool with_kind, bool with_config);
  Result<std::unique_ptr<stream::PriceSource>> Make(const stream::TopicNames& topics) const;
  stream::FeedOptions Feed() const;
};

// "K=V" list -> map; errors name the flag.
Result<std::map<std::string, std::string>> ParsePairs(const std::vector<std::string>& pairs,
                                                      const std::string& flag);

// The feed's process-wide stop flag, set by SIGINT / SIGTERM once InstallStopSignals ran.
std::atomic<bool>& StopRequested();
void InstallStopSignals();

}  // namespace pfopt::cli

#endif  // PFOPT_APPS_PFOPT_STREAM_CLI_H_
