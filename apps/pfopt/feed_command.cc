// pfopt feed simulate|replay|poll: publishes exchange quotes (BourseData keyed by ticker) on the
// price topic of Kafka, and/or records them (--record DIR), and/or prints them (--print).
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "apps/pfopt/cli_common.h"
#include "apps/pfopt/commands.h"
#include "apps/pfopt/stream_cli.h"
#include "services/common/error_mapping.h"
#include "services/stream/log.h"

namespace pfopt::cli {

namespace {

struct FeedFlags {
  BusFlags bus;
  SourceFlags source;
  std::string record_dir;
  bool print = false;
  int64_t max_ticks = 0;
  double duration = 0.0;
  std::string log_level = "info";
};

// Publishes nowhere: for runs that only record or print.
class NullProducer final : public stream::Producer {
 public:
  Status Publish(stream::Topic, std::string, int64_t, std::shared_ptr<const stream::Record>,
                 int64_t) override {
    return Ok();
  }
  Status Flush(std::chrono::milliseconds) override { return Ok(); }
};

// Prints each quote as a JSON line on stdout.
class Printer final : public stream::PublishObserver {
 public:
  void OnPublished(stream::Topic, const std::string&, int64_t,
                   const stream::Record& record) override {
    const auto& quote = std::get<stream::BourseData>(record);
    nlohmann::ordered_json line = nlohmann::ordered_json::object();
    for (const auto& field : stream::kBourseFields) {
      const std::string& value = quote.*field.member;
      if (!value.empty()) line[std::string(field.name)] = value;
    }
    std::cout << line.dump() << "\n";
  }
};

int Run(const FeedFlags& flags) {
  auto fail = [](const Error& error) {
    PrintError("feed", error);
    return service::ExitCodeFor(error.code());
  };
  auto level = EnumFromString<stream::LogLevel>(flags.log_level, "log level");
  if (!level) return fail(level.error());
  stream::SetLogLevel(*level);
  auto topics = flags.bus.Topics();
  if (!topics) return fail(topics.error());
  if (!flags.bus.kafka() && flags.record_dir.empty() && !flags.print) {
    return fail(Error(ErrorCode::kInvalidArgument,
                      "nowhere to publish: give --kafka-brokers, --record DIR or --print",
                      "--kafka-brokers"));
  }
  auto source = flags.source.Make(*topics);
  if (!source) return fail(source.error());
  std::vector<stream::PublishObserver*> observers;
  std::unique_ptr<stream::Recorder> recorder;
  if (!flags.record_dir.empty()) {
    auto opened = stream::Recorder::Open(flags.record_dir, *topics);
    if (!opened) return fail(opened.error());
    recorder = std::move(*opened);
    observers.push_back(recorder.get());
  }
  Printer printer;
  if (flags.print) observers.push_back(&printer);
  std::unique_ptr<stream::KafkaBus> kafka;
  std::unique_ptr<stream::Producer> producer = std::make_unique<NullProducer>();
  if (flags.bus.kafka()) {
    auto options = flags.bus.KafkaOptions();
    if (!options) return fail(options.error());
    auto bus = stream::KafkaBus::Create(*options);
    if (!bus) return fail(bus.error());
    kafka = std::move(*bus);
    auto created = kafka->CreateProducer();
    if (!created) return fail(created.error());
    producer = std::move(*created);
  }
  stream::FeedOptions options = flags.source.Feed();
  options.max_ticks = flags.max_ticks;
  options.duration_seconds = flags.duration;
  InstallStopSignals();
  auto summary = stream::RunFeed(**source, *producer, options, observers, StopRequested());
  if (recorder) recorder->Flush();
  if (!summary) return fail(summary.error());
  nlohmann::ordered_json out = {{"published", summary->published},
                                {"bad_quotes", summary->bad_quotes},
                                {"publish_errors", summary->publish_errors},
                                {"seconds", summary->seconds}};
  for (const auto& [name, value] : summary->source_counters) out["source"][name] = value;
  (flags.print ? std::cerr : std::cout) << out.dump() << "\n";
  return summary->publish_errors == 0 ? service::kExitSolved : service::kExitUnsolved;
}

}  // namespace

void AddFeedCommand(CLI::App& app, int* exit_code) {
  auto flags = std::make_shared<FeedFlags>();
  CLI::App* feed = app.add_subcommand(
      "feed",
      "Publish exchange quotes (BourseData keyed by ticker) on the price topic: simulated, "
      "replayed or polled (docs/streaming.md).");
  feed->require_subcommand(1);
  const std::pair<const char*, const char*> kinds[] = {
      {"simulate", "seeded correlated geometric Brownian motion from a portfolio's statistics"},
      {"replay", "a price CSV or a recording, at a speed factor or as fast as possible"},
      {"poll", "an exchange's HTTP JSON API every N seconds"}};
  for (const auto& [kind, help] : kinds) {
    CLI::App* command = feed->add_subcommand(kind, help);
    flags->bus.Register(command);
    flags->source.Register(command, /*with_kind=*/false, /*with_config=*/true);
    command->add_option("--record", flags->record_dir,
                        "write every published quote to DIR/<topic>.avro-stream (+ .meta.jsonl, "
                        ".avsc)");
    command->add_flag("--print", flags->print, "print each published quote as a JSON line");
    command->add_option("--max-ticks", flags->max_ticks, "stop after N quotes (default 0 = none)")
        ->check(CLI::NonNegativeNumber);
    command
        ->add_option("--duration", flags->duration,
                     "stop after this many seconds (default 0 = none)")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--log-level", flags->log_level,
                        "debug | info | warning | error | off (default info)");
    command->footer("Exit codes: 0 done, 1 some quotes could not be published, 2 bad input.");
    const std::string name = kind;
    command->callback([flags, exit_code, name] {
      flags->source.kind = name;
      *exit_code = Run(*flags);
    });
  }
}

}  // namespace pfopt::cli
