// pfopt stream: the rebalancer's stages (returns, statistics, metrics, rebalance) in one process
// or a chosen subset, over Kafka or the in-process bus, with checkpoints, recordings and sinks.
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "apps/pfopt/cli_common.h"
#include "apps/pfopt/commands.h"
#include "apps/pfopt/stream_cli.h"
#include "services/common/error_mapping.h"
#include "services/rest/storage/storage.h"
#include "services/stream/bus/in_process_bus.h"
#include "services/stream/log.h"
#include "services/stream/rebalancer.h"
#include "services/stream/service_link.h"
#include "services/stream/sinks/history_sink.h"
#include "services/stream/sinks/influxdb_sink.h"
#include "services/stream/sinks/webhook_sink.h"

namespace pfopt::cli {

namespace {

struct StreamFlags {
  BusFlags bus;
  SourceFlags source;
  std::string stages = "returns,statistics,metrics,rebalance";
  std::string group;
  bool from_earliest = false;
  double window_seconds = 2.0;
  double out_of_orderness_seconds = 60.0;
  std::string checkpoint_dir;
  double checkpoint_interval_seconds = 1.0;
  bool no_fsync = false;
  double duration = 0.0;
  int64_t max_ticks = 0;
  bool exit_at_end = false;
  std::string record_dir;
  std::string state_out;
  std::string influx_url, influx_db, influx_bucket, influx_org, influx_token;
  std::string influx_measurement = "portfolio_metrics";
  std::size_t influx_batch = 5000;
  double influx_flush_seconds = 1.0;
  int influx_retries = 3;
  std::string webhook_url;
  std::string history_file;
  std::string db;  // the service's database: stored configurations in, weights as results out
  std::string log_level = "info";
  double status_interval_seconds = 10.0;
};

int64_t Millis(double seconds) { return static_cast<int64_t>(std::llround(seconds * 1000.0)); }

Result<std::vector<stream::StageKind>> ParseStages(const std::string& text) {
  std::vector<stream::StageKind> out;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    if (item.empty()) continue;
    auto kind = EnumFromString<stream::StageKind>(item, "stage");
    if (!kind) return tl::unexpected(kind.error().WithFieldPrefix("--stages"));
    out.push_back(*kind);
  }
  return out;
}

int Run(const StreamFlags& flags) {
  auto fail = [](const Error& error) {
    PrintError("stream", error);
    return service::ExitCodeFor(error.code());
  };
  auto level = EnumFromString<stream::LogLevel>(flags.log_level, "log level");
  if (!level) return fail(level.error());
  stream::SetLogLevel(*level);
  if (flags.source.config_file.empty()) {
    return fail(
        Error(ErrorCode::kInvalidArgument,
              "give the portfolios with --config FILE (e.g. examples/stream/casablanca.json)",
              "--config"));
  }
  stream::FileConfigurationSource configuration(flags.source.config_file);
  // With --db, the service's stored configurations override the file's portfolios and the
  // published weights are stored as the service's results (services/stream/service_link.h).
  std::unique_ptr<rest::Storage> storage;
  std::optional<stream::StoredConfigurationSource> stored;
  if (!flags.db.empty()) {
    auto opened = rest::OpenStorage(flags.db, rest::StorageOptions{});
    if (!opened) return fail(opened.error().WithFieldPrefix("--db"));
    storage = std::move(*opened);
    stored.emplace(&configuration, storage.get());
  }
  auto portfolios = stored ? stored->LoadPortfolios() : configuration.LoadPortfolios();
  if (!portfolios) return fail(portfolios.error());
  if (stored) {
    for (const auto& id : stored->disabled()) {
      stream::Log(stream::LogLevel::kInfo, "stream",
                  "portfolio '" + id + "' is disabled by its stored configuration");
    }
    if (portfolios->empty()) {
      return fail(Error(ErrorCode::kInvalidArgument,
                        "every portfolio is disabled by its stored configuration", "--db"));
    }
  }
  auto topics = flags.bus.Topics();
  if (!topics) return fail(topics.error());

  // The bus.
  std::unique_ptr<stream::Bus> bus;
  stream::InProcessBus* in_process = nullptr;
  if (flags.bus.kafka()) {
    auto options = flags.bus.KafkaOptions();
    if (!options) return fail(options.error());
    auto kafka = stream::KafkaBus::Create(*options);
    if (!kafka) return fail(kafka.error());
    bus = std::move(*kafka);
  } else {
    stream::InProcessBusOptions options;
    options.topics = *topics;
    options.partitions = flags.bus.partitions;
    auto created = stream::InProcessBus::Create(options);
    if (!created) return fail(created.error());
    in_process = created->get();
    bus = std::move(*created);
  }
  std::unique_ptr<stream::CheckpointStore> store;
  if (!flags.checkpoint_dir.empty()) {
    auto opened = stream::DirectoryCheckpointStore::Open(flags.checkpoint_dir, !flags.no_fsync);
    if (!opened) return fail(opened.error());
    store = std::move(*opened);
  }

  stream::RebalancerOptions options;
  auto stages = ParseStages(flags.stages);
  if (!stages) return fail(stages.error());
  options.stages = *stages;
  options.group = flags.group;
  options.from_earliest = flags.from_earliest;
  options.returns.window_ms = Millis(flags.window_seconds);
  options.returns.out_of_orderness_ms = Millis(flags.out_of_orderness_seconds);
  options.checkpoint_interval_ms = Millis(flags.checkpoint_interval_seconds);
  options.max_ticks = flags.max_ticks;
  options.duration_seconds = flags.duration;
  options.exit_at_end = flags.exit_at_end;
  options.drain_quiet_ms = flags.bus.kafka() ? 1500 : 0;
  options.status_interval_ms = Millis(flags.status_interval_seconds);
  auto rebalancer = stream::Rebalancer::Create(options, *portfolios, bus.get(), std::move(store));
  if (!rebalancer) return fail(rebalancer.error());

  // Observers: recording and sinks.
  std::unique_ptr<stream::Recorder> recorder;
  if (!flags.record_dir.empty()) {
    auto opened = stream::Recorder::Open(flags.record_dir, *topics);
    if (!opened) return fail(opened.error());
    recorder = std::move(*opened);
    (*rebalancer)->AddObserver(recorder.get());
  }
  std::unique_ptr<stream::InfluxSink> influx;
  if (!flags.influx_url.empty()) {
    stream::InfluxOptions influx_options;
    influx_options.url = flags.influx_url;
    influx_options.database = flags.influx_db;
    influx_options.bucket = flags.influx_bucket;
    influx_options.org = flags.influx_org;
    influx_options.token = flags.influx_token;
    influx_options.metrics_measurement = flags.influx_measurement;
    influx_options.sender.batch_size = flags.influx_batch;
    influx_options.sender.flush_interval_ms = Millis(flags.influx_flush_seconds);
    influx_options.sender.max_retries = flags.influx_retries;
    auto sink = stream::InfluxSink::Create(influx_options);
    if (!sink) return fail(sink.error());
    influx = std::move(*sink);
    (*rebalancer)->AddObserver(influx.get());
  }
  std::unique_ptr<stream::WebhookSink> webhook;
  if (!flags.webhook_url.empty()) {
    stream::HttpSenderOptions hook;
    hook.url = flags.webhook_url;
    auto sink = stream::WebhookSink::Create(hook);
    if (!sink) return fail(sink.error());
    webhook = std::move(*sink);
    (*rebalancer)->AddObserver(webhook.get());
  }
  std::unique_ptr<stream::JsonLinesHistorySink> history;
  std::unique_ptr<stream::HistoryObserver> history_observer;
  if (!flags.history_file.empty()) {
    auto sink = stream::JsonLinesHistorySink::Open(flags.history_file);
    if (!sink) return fail(sink.error());
    history = std::move(*sink);
    history_observer = std::make_unique<stream::HistoryObserver>(history.get());
    (*rebalancer)->AddObserver(history_observer.get());
  }

  std::unique_ptr<stream::ServiceResultsObserver> results;
  if (storage) {
    results = std::make_unique<stream::ServiceResultsObserver>(storage.get(), *portfolios);
    (*rebalancer)->AddObserver(results.get());
  }

  // A feed inside this process, if asked for.
  std::unique_ptr<stream::PriceSource> source;
  if (!flags.source.kind.empty()) {
    auto made = flags.source.Make(*topics);
    if (!made) return fail(made.error());
    source = std::move(*made);
  }
  InstallStopSignals();
  if (Status started = (*rebalancer)->Start(); !started) return fail(started.error());
  std::atomic<bool> feed_stop{false};
  Status feed_status = Ok();
  std::thread feed;
  if (source) {
    stream::ProducerOptions producer_options;
    producer_options.block_when_full = true;
    auto producer = bus->CreateProducer(producer_options);
    if (!producer) return fail(producer.error());
    feed = std::thread([&, p = std::move(*producer)]() mutable {
      std::vector<stream::PublishObserver*> observers;
      if (recorder) observers.push_back(recorder.get());
      auto summary = stream::RunFeed(*source, *p, flags.source.Feed(), observers, feed_stop);
      if (!summary) feed_status = tl::unexpected(summary.error());
      (*rebalancer)->RequestDrain();
    });
  }
  while (!StopRequested() && !(*rebalancer)->finished()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  (*rebalancer)->Stop();
  Status status = (*rebalancer)->Wait();
  feed_stop = true;
  if (in_process != nullptr) in_process->Close();  // wakes a feed blocked on back-pressure
  if (feed.joinable()) feed.join();
  if (influx) influx->Close();
  if (webhook) webhook->Close();
  if (history) (void)history->Flush();
  if (recorder) recorder->Flush();

  nlohmann::ordered_json summary = nlohmann::ordered_json::object();
  for (const auto& [name, value] : (*rebalancer)->Counters()) summary["counters"][name] = value;
  auto sink_counters = [](const stream::HttpSenderCounters& c) {
    return nlohmann::ordered_json{{"queued", c.queued},   {"sent", c.sent},
                                  {"dropped", c.dropped}, {"batches", c.batches},
                                  {"retries", c.retries}, {"failed_requests", c.failed_requests}};
  };
  if (influx) summary["influxdb"] = sink_counters(influx->counters());
  if (webhook) summary["webhook"] = sink_counters(webhook->counters());
  if (recorder) summary["recorded"] = recorder->records();
  if (results) {
    summary["service_results"] = {{"stored", results->stored()}, {"errors", results->errors()}};
  }
  if (!flags.state_out.empty()) {
    std::ofstream out(flags.state_out);
    out << (*rebalancer)->DescribeState().dump(1) << "\n";
    if (!out)
      return fail(Error(ErrorCode::kIoError, "cannot write " + flags.state_out, "--state-out"));
  }
  std::cout << summary.dump() << "\n";
  if (!status) return fail(status.error());
  if (!feed_status) return fail(feed_status.error());
  return service::kExitSolved;
}

}  // namespace

void AddStreamCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<StreamFlags>();
  CLI::App* command = app.add_subcommand(
      "stream",
      "Run the real-time rebalancer: returns -> statistics -> metrics -> rebalance, over Kafka or "
      "in process (docs/streaming.md).");
  flags->bus.Register(command);
  flags->source.Register(command, /*with_kind=*/true, /*with_config=*/true);
  command->add_option("--stages", flags->stages,
                      "comma-separated stages to run: returns, statistics, metrics, rebalance "
                      "(default: all)");
  command->add_option("--group", flags->group,
                      "consumer group (default pfopt-stream-<stages>); processes with the same "
                      "group share the partitions");
  command->add_flag("--from-earliest", flags->from_earliest,
                    "partitions without a checkpoint start at their beginning (default: at "
                    "their end)");
  command
      ->add_option("--window", flags->window_seconds,
                   "event-time window of the returns, seconds (default 2)")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--out-of-orderness", flags->out_of_orderness_seconds,
                   "watermark delay behind the latest event time, seconds (default 60)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--checkpoint-dir", flags->checkpoint_dir,
                   "directory of the state checkpoints (default: none, state is lost at exit) "
                   "[env PFOPT_CHECKPOINT_DIR]")
      ->envname("PFOPT_CHECKPOINT_DIR");
  command
      ->add_option("--checkpoint-interval", flags->checkpoint_interval_seconds,
                   "seconds between checkpoints (default 1)")
      ->check(CLI::PositiveNumber);
  command->add_flag("--no-fsync", flags->no_fsync,
                    "do not fsync checkpoints (survives a killed process, not a power loss)");
  command
      ->add_option("--duration", flags->duration, "stop after this many seconds (default 0 = none)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--max-ticks", flags->max_ticks,
                   "stop after N price ticks, then drain (default 0 = none)")
      ->check(CLI::NonNegativeNumber);
  command->add_flag("--exit-at-end", flags->exit_at_end,
                    "stop once every input is read to its end and the pipeline is quiet");
  command->add_option("--record", flags->record_dir,
                      "write every published message to DIR/<topic>.avro-stream (+ .meta.jsonl, "
                      ".avsc)");
  command->add_option("--state-out", flags->state_out,
                      "write the final state (statistics, metrics, weights, counters) as JSON");
  command->add_option("--influx-url", flags->influx_url,
                      "InfluxDB base URL, e.g. http://127.0.0.1:8086 (default: no InfluxDB)");
  command->add_option("--influx-db", flags->influx_db, "InfluxDB 1.x database");
  command->add_option("--influx-bucket", flags->influx_bucket, "InfluxDB 2.x bucket");
  command->add_option("--influx-org", flags->influx_org, "InfluxDB 2.x organisation");
  command
      ->add_option("--influx-token", flags->influx_token,
                   "InfluxDB 2.x token [env PFOPT_INFLUX_TOKEN]")
      ->envname("PFOPT_INFLUX_TOKEN");
  command->add_option("--influx-measurement", flags->influx_measurement,
                      "measurement of the metrics (default portfolio_metrics)");
  command->add_option("--influx-batch", flags->influx_batch, "lines per write (default 5000)")
      ->check(CLI::Range(1, 1000000));
  command
      ->add_option("--influx-flush-interval", flags->influx_flush_seconds,
                   "seconds a partial batch waits (default 1)")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--influx-retries", flags->influx_retries,
                   "retries of a failed write (default 3)")
      ->check(CLI::Range(0, 100));
  command->add_option("--webhook-url", flags->webhook_url,
                      "POST a JSON alert here on every threshold breach (default: none)");
  command->add_option("--history", flags->history_file,
                      "append the weights and metrics history to this JSON-lines file");
  command
      ->add_option("--db", flags->db,
                   "the optimisation service's database (sqlite:PATH or postgresql://...): its "
                   "stored configurations override the portfolios of --config, and published "
                   "weights are stored as its results with their events [env PFOPT_DB]")
      ->envname("PFOPT_DB");
  command->add_option("--log-level", flags->log_level,
                      "debug | info | warning | error | off (default info)");
  command
      ->add_option("--status-interval", flags->status_interval_seconds,
                   "seconds between status lines (default 10, 0 = none)")
      ->check(CLI::NonNegativeNumber);
  command->footer(
      "Exit codes: 0 stopped cleanly, 2 bad input or a failure (message on stderr).\n"
      "Example (in process): pfopt stream --config examples/stream/casablanca.json --source "
      "simulate --periods 500 --exit-at-end");
  command->callback([flags, exit_code] { *exit_code = Run(*flags); });
}

}  // namespace pfopt::cli
