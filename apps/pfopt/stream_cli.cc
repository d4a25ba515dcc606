#include "apps/pfopt/stream_cli.h"

#include <csignal>
#include <sstream>

#include "services/stream/sources/poll_source.h"
#include "services/stream/sources/replay_source.h"
#include "services/stream/sources/simulate_source.h"

namespace pfopt::cli {

namespace {

std::atomic<bool> g_stop{false};
void OnStopSignal(int) { g_stop = true; }

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

std::atomic<bool>& StopRequested() { return g_stop; }

void InstallStopSignals() {
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
}

Result<std::map<std::string, std::string>> ParsePairs(const std::vector<std::string>& pairs,
                                                      const std::string& flag) {
  std::map<std::string, std::string> out;
  for (const std::string& pair : pairs) {
    const std::size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      return InvalidArgument(flag + " takes KEY=VALUE, got '" + pair + "'", flag);
    }
    out[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return out;
}

void BusFlags::Register(CLI::App* command) {
  command
      ->add_option("--kafka-brokers", kafka_brokers,
                   "Kafka bootstrap servers (host:port,...); none = the in-process bus "
                   "[env PFOPT_KAFKA_BROKERS]")
      ->envname("PFOPT_KAFKA_BROKERS");
  command->add_option("--kafka-config", kafka_config,
                      "librdkafka property for producer and consumer, KEY=VALUE, repeatable "
                      "(e.g. session.timeout.ms=6000, linger.ms=5)");
  command->add_option("--kafka-producer-config", producer_config,
                      "producer property KEY=VALUE, repeatable (defaults: acks=all, "
                      "enable.idempotence=true, compression.codec=gzip, linger.ms=200, "
                      "batch.size=16384)");
  command->add_option("--kafka-consumer-config", consumer_config,
                      "consumer property KEY=VALUE, repeatable");
  command->add_option("--topic", topics,
                      "rename a topic, LOGICAL=NAME, repeatable; logical names: prices, "
                      "window-returns, initial-stats, updated-stats, metrics, weights, "
                      "dead-letters (defaults: intraday-stock-prices, portfWindowReturns, "
                      "portfStats, portfUpdatedStats, portfMetrics, Weights, pfopt-dead-letters)");
  command->add_flag("--confluent-wire-format", confluent,
                    "frame values as magic byte 0 + 4-byte schema id + Avro (default: plain Avro)");
  command->add_option("--schema-id", schema_ids,
                      "schema registry id for the Confluent format, TYPE=ID, repeatable; types: "
                      "BourseData, PortfolioStatsSchema, WeightSchema, PortfolioMetrics, "
                      "WindowReturns, DeadLetter (defaults 1..6 in that order)");
  command
      ->add_option("--partitions", partitions,
                   "partitions of every topic of the in-process bus (default 1)")
      ->check(CLI::Range(1, 1024));
}

Result<stream::TopicNames> BusFlags::Topics() const {
  stream::TopicNames names;
  auto pairs = ParsePairs(topics, "--topic");
  if (!pairs) return tl::unexpected(pairs.error());
  for (const auto& [logical, name] : *pairs) {
    auto topic = EnumFromString<stream::Topic>(logical, "topic");
    if (!topic) return tl::unexpected(topic.error().WithFieldPrefix("--topic"));
    names[*topic] = name;
  }
  PFOPT_RETURN_IF_ERROR(names.Validate());
  return names;
}

Result<stream::KafkaBusOptions> BusFlags::KafkaOptions() const {
  stream::KafkaBusOptions options;
  options.brokers = kafka_brokers;
  auto names = Topics();
  if (!names) return tl::unexpected(names.error());
  options.topics = *names;
  auto common = ParsePairs(kafka_config, "--kafka-config");
  auto producer = ParsePairs(producer_config, "--kafka-producer-config");
  auto consumer = ParsePairs(consumer_config, "--kafka-consumer-config");
  if (!common) return tl::unexpected(common.error());
  if (!producer) return tl::unexpected(producer.error());
  if (!consumer) return tl::unexpected(consumer.error());
  options.producer_config = *common;
  options.consumer_config = *common;
  for (const auto& [k, v] : *producer) options.producer_config[k] = v;
  for (const auto& [k, v] : *consumer) options.consumer_config[k] = v;
  options.wire.confluent = confluent;
  auto ids = ParsePairs(schema_ids, "--schema-id");
  if (!ids) return tl::unexpected(ids.error());
  for (const auto& [type_name, id] : *ids) {
    auto type = EnumFromString<stream::RecordType>(type_name, "record type");
    if (!type) return tl::unexpected(type.error().WithFieldPrefix("--schema-id"));
    char* end = nullptr;
    const long value = std::strtol(id.c_str(), &end, 10);
    if (end == id.c_str() || *end != '\0' || value < 0 || value > INT32_MAX) {
      return InvalidArgument("--schema-id " + type_name + "=" + id + ": not a schema id",
                             "--schema-id");
    }
    options.wire.schema_ids[static_cast<std::size_t>(*type)] = static_cast<int32_t>(value);
  }
  PFOPT_RETURN_IF_ERROR(options.Validate());
  return options;
}

void SourceFlags::Register(CLI::App* command, bool with_kind, bool with_config) {
  if (with_kind) {
    command
        ->add_option("--source", kind,
                     "run a feed inside this process on the in-process bus: simulate | replay | "
                     "poll (default: none, prices come from the bus)")
        ->check(CLI::IsMember({"simulate", "replay", "poll"}));
  }
  if (with_config) {
    command
        ->add_option("--config", config_file,
                     "portfolios JSON (docs/streaming.md); simulate uses a portfolio's tickers "
                     "and initial statistics [env PFOPT_STREAM_CONFIG]")
        ->envname("PFOPT_STREAM_CONFIG");
  }
  command->add_option("--portfolio", portfolio,
                      "simulate: the portfolio of --config to simulate (default: the first)");
  command->add_option("--seed", seed, "simulate: random seed (default 1)");
  command->add_option("--periods", periods, "simulate: number of periods (default 0 = unbounded)")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--period", period_seconds,
                   "simulate: event-time length of one period of the statistics, seconds "
                   "(default 2 = one period per default window)")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--ticks-per-period", ticks_per_period,
                   "simulate: quotes per ticker per period (default 1)")
      ->check(CLI::Range(1, 1000000));
  command->add_option("--start", start,
                      "simulate: event time of the first period (default 2026-01-05T09:00:00Z)");
  command
      ->add_option("--price-decimals", price_decimals,
                   "simulate: decimals of the published prices (default 6)")
      ->check(CLI::Range(0, 12));
  command->add_option("--prices", prices_csv,
                      "replay: price CSV (date or ISO time column + one column per ticker)");
  command->add_option("--from-record", from_record,
                      "replay: a recording directory (--record) to replay the price topic of");
  command->add_option("--url", url, "poll: the exchange's JSON API URL");
  command->add_option("--interval", interval_seconds, "poll: seconds between polls (default 2)")
      ->check(CLI::PositiveNumber);
  command->add_option("--timeout", timeout_seconds, "poll: request timeout, seconds (default 5)")
      ->check(CLI::PositiveNumber);
  command->add_option("--records-path", records_path,
                      "poll: dotted path of the quotes array in the answer (default: the answer)");
  command->add_option("--field", fields,
                      "poll: BOURSE_FIELD=JSON_FIELD for a field named differently, repeatable "
                      "(default: the BourseData names)");
  command->add_flag("--keep-unchanged", keep_unchanged,
                    "poll: publish quotes whose time and price did not change (default: skip)");
  command
      ->add_option("--speed", speed,
                   "replay / simulate: event-time seconds per wall-clock second (default 0 = "
                   "as fast as possible)")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--tickers", tickers,
                      "comma-separated tickers the feed may publish; others are bad quotes "
                      "(default: any)");
}

stream::FeedOptions SourceFlags::Feed() const {
  stream::FeedOptions options;
  options.speed = speed;
  for (const std::string& t : SplitList(tickers)) options.tickers.insert(t);
  return options;
}

Result<std::unique_ptr<stream::PriceSource>> SourceFlags::Make(
    const stream::TopicNames& topics) const {
  if (kind == "replay") {
    if (prices_csv.empty() == from_record.empty()) {
      return InvalidArgument("replay needs exactly one of --prices CSV and --from-record DIR",
                             "--prices");
    }
    if (!from_record.empty()) {
      auto source =
          stream::ReplaySource::FromRecording(from_record, topics[stream::Topic::kPrices]);
      if (!source) return tl::unexpected(source.error());
      return std::unique_ptr<stream::PriceSource>(std::move(*source));
    }
    auto source = stream::ReplaySource::FromCsv(prices_csv);
    if (!source) return tl::unexpected(source.error());
    return std::unique_ptr<stream::PriceSource>(std::move(*source));
  }
  if (kind == "poll") {
    stream::PollOptions options;
    options.url = url;
    options.interval_seconds = interval_seconds;
    options.timeout_seconds = timeout_seconds;
    options.records_path = records_path;
    options.skip_unchanged = !keep_unchanged;
    auto map = ParsePairs(fields, "--field");
    if (!map) return tl::unexpected(map.error());
    options.field_map = *map;
    auto source = stream::PollSource::Create(options);
    if (!source) return tl::unexpected(source.error());
    return std::unique_ptr<stream::PriceSource>(std::move(*source));
  }
  if (kind == "simulate") {
    if (config_file.empty()) {
      return InvalidArgument("simulate needs --config FILE (a portfolio's tickers and statistics)",
                             "--config");
    }
    stream::FileConfigurationSource configs(config_file);
    auto portfolios = configs.LoadPortfolios();
    if (!portfolios) return tl::unexpected(portfolios.error());
    const stream::PortfolioConfig* chosen = &portfolios->front();
    if (!portfolio.empty()) {
      chosen = nullptr;
      for (const auto& p : *portfolios) {
        if (p.id == portfolio) chosen = &p;
      }
      if (chosen == nullptr) {
        return InvalidArgument("--portfolio '" + portfolio + "' is not in " + config_file,
                               "--portfolio");
      }
    }
    stream::SimulateOptions options;
    options.tickers = chosen->tickers;
    options.mean = chosen->prior_mean;
    options.covariance = chosen->prior_covariance;
    options.seed = seed;
    options.periods = periods;
    options.period_ms = static_cast<int64_t>(std::llround(period_seconds * 1000.0));
    options.ticks_per_period = ticks_per_period;
    options.price_decimals = price_decimals;
    auto start_ms = stream::ParseIsoTimestampMs(start);
    if (!start_ms) return tl::unexpected(start_ms.error().WithFieldPrefix("--start"));
    options.start_ms = *start_ms;
    auto source = stream::SimulateSource::Create(options);
    if (!source) return tl::unexpected(source.error());
    return std::unique_ptr<stream::PriceSource>(std::move(*source));
  }
  return InvalidArgument("unknown source '" + kind + "'; expected simulate, replay or poll",
                         "--source");
}

}  // namespace pfopt::cli
