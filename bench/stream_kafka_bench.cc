// Speed of the rebalancer over Kafka with Avro (bench/README.md, "Real-time rebalancer").
//
//   stream_kafka_bench [--mock PATH] [--ticks N] [--assets N] [--compression gzip|lz4|none]
//                      [--compression-level L] [--linger MS] [--batch-size BYTES]
//                      [--prefill 0|1] [--rate TICKS_PER_S] [--quote-path flat|avro-c]
//                      [--producer-config KEY=VALUE]... [--consumer-config KEY=VALUE]...
//
// Starts librdkafka's mock cluster in its own process (pfopt_kafka_mock: 3 brokers, topics of 3
// partitions, on loopback), then, once a consumer group member has its partitions and a warm-up
// quote per ticker has gone through (not timed), publishes N Avro-encoded BourseData quotes
// (KafkaBus producer with the feed's defaults: acks=all, idempotent, gzip, linger 200 ms, batch
// 16 KiB; the flags override them) as fast as it can, while the consumer decodes them and runs
// them through the returns -> statistics -> metrics stages (wired directly, as in stream_bench).
// Prints one JSON line:
//   produce_ticks_per_s   N / (first publish .. flush acknowledged)
//   consume_ticks_per_s   N / (first .. last tick processed)
//   through_ticks_per_s   N / (first publish .. last tick processed): the pipeline's rate
//   end_to_end_ms_p50/p99 each tick's publish (its Kafka timestamp) to its processing
//   cpu_us_per_tick       CPU of every thread of the bench and of the mock brokers, after
//                         set-up, per tick; and by thread name (produce, consume, pfopt:decode,
//                         rdk:broker<N> of producer and consumer together, mock/rdk:mock)
// The mock has its own latencies: figures of function and throughput, not of a real cluster.
//
// With --prefill 1 the quotes are all published (and flushed) before the consumer starts, as
// Kafka's own consumer benchmark (kafka-consumer-perf-test) measures: the consume rate is then
// that of the stream process reading a topic, without a producer on the same two cores (in a
// deployment the feed runs elsewhere). The latencies are then those of the backlog and are not
// reported.
//
// With --rate R the producer publishes at R ticks/s (paced every 1 000 ticks) instead of as fast
// as it can: the question is then whether the stream keeps up with that offered load, and the
// latencies are those of a pipeline that is not backlogged.
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "services/stream/bus/kafka_bus.h"
#include "services/stream/log.h"
#include "services/stream/sources/simulate_source.h"
#include "services/stream/stages/metrics_stage.h"
#include "services/stream/stages/returns_stage.h"
#include "services/stream/stages/statistics_stage.h"

namespace pfopt::stream {
namespace {

int64_t WallMs() { return WallClockMs(); }

constexpr int64_t kWarmUpTimestampMs = 1;  // marks the warm-up quotes

class ChainEmitter final : public Emitter {
 public:
  ChainEmitter(Stage* statistics, Stage* metrics_stage)
      : statistics_(statistics), metrics_(metrics_stage) {}
  void Emit(Topic topic, const std::string& key, int64_t timestamp_ms, Record record,
            int64_t) override {
    Message m;
    m.topic = topic;
    m.key = key;
    m.timestamp_ms = timestamp_ms;
    m.offset = next_++;
    m.record = std::make_shared<const Record>(std::move(record));
    if (topic == Topic::kWindowReturns) statistics_->Process(m, *this);
    if (topic == Topic::kUpdatedStats || topic == Topic::kWeights) metrics_->Process(m, *this);
    if (topic == Topic::kMetrics) ++metrics;
  }
  void Reject(const Message&, const std::string& reason) override {
    if (rejected++ == 0) std::cerr << "rejected: " << reason << "\n";
  }
  void Alert(const RebalanceAlert&) override {}
  int64_t metrics = 0, rejected = 0;

 private:
  Stage* statistics_;
  Stage* metrics_;
  int64_t next_ = 0;
};

class Ready final : public AssignmentListener {
 public:
  std::vector<int64_t> OnAssigned(const std::vector<TopicPartition>& partitions) override {
    assigned = true;
    return std::vector<int64_t>(partitions.size(), kBeginningOffset);
  }
  void OnRevoked(const std::vector<TopicPartition>&) override {}
  std::atomic<bool> assigned{false};
};

struct Mock {
  pid_t pid = -1;
  std::string brokers;
};

Mock StartMock(const std::string& path, const std::string& topics) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the brokers go with the bench, however it ends
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::execl(path.c_str(), path.c_str(), "--topics", topics.c_str(), "--until-signal", nullptr);
    std::_Exit(127);
  }
  ::close(fds[1]);
  std::string line;
  char c;
  while (::read(fds[0], &c, 1) == 1 && c != '\n') line.push_back(c);
  ::close(fds[0]);
  return {pid, line};
}

// CPU seconds used so far by each thread of process `pid`, summed by thread name (librdkafka
// names its threads rdk:main, rdk:broker<N>, rdk:mock...), from /proc/<pid>/task/*/stat.
std::map<std::string, double> CpuByThreadName(pid_t pid) {
  std::map<std::string, double> seconds;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code error;
  const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (const auto& entry : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream in(entry.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto open = stat.find('('), close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::string name = stat.substr(open + 1, close - open - 1);
    // Fields after the name: state(3) ... utime(14) stime(15), counted from 1.
    std::istringstream rest(stat.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    seconds[name] += (utime + stime) / tick;
  }
  return seconds;
}

// after - before, per name, with the given prefix ("bench/" or "mock/").
void AddCpuDelta(const std::map<std::string, double>& before,
                 const std::map<std::string, double>& after, const std::string& prefix,
                 std::map<std::string, double>* out) {
  for (const auto& [name, value] : after) {
    const auto it = before.find(name);
    (*out)[prefix + name] += value - (it == before.end() ? 0.0 : it->second);
  }
}

double Percentile(std::vector<int64_t> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  return static_cast<double>(values[static_cast<std::size_t>(q * (values.size() - 1))]);
}

int Main(int argc, char** argv) {
  std::string mock_path = std::string(argv[0]);
  mock_path = mock_path.substr(0, mock_path.find_last_of('/') + 1) + "../tests/pfopt_kafka_mock";
  int64_t ticks = 500000;
  int assets = 11;
  std::string compression = "gzip";
  std::map<std::string, std::string> extra_producer_config;  // --producer-config KEY=VALUE
  std::map<std::string, std::string> extra_consumer_config;  // --consumer-config KEY=VALUE
  QuotePath quote_path = QuotePath::kFlat;                   // --quote-path flat|avro-c
  std::string compression_level = "-1";                      // the codec's default (gzip: 6)
  std::string linger = "200";        // the feed's default (the original system's)
  std::string batch_size = "16384";  // the feed's default (the original system's)
  bool prefill = false;
  double rate = 0.0;  // ticks per second offered by the producer; 0 = as fast as it can
  if (argc % 2 == 0) {
    std::cerr << "flags come in pairs: --flag value (" << argv[argc - 1] << " has no value)\n";
    return 2;
  }
  for (int i = 1; i + 1 < argc; i += 2) try {
      const std::string flag = argv[i], value = argv[i + 1];
      if (flag == "--mock")
        mock_path = value;
      else if (flag == "--ticks")
        ticks = std::stoll(value);
      else if (flag == "--assets")
        assets = std::stoi(value);
      else if (flag == "--compression")
        compression = value;
      else if (flag == "--producer-config" && value.find('=') != std::string::npos)
        extra_producer_config[value.substr(0, value.find('='))] = value.substr(value.find('=') + 1);
      else if (flag == "--consumer-config" && value.find('=') != std::string::npos)
        extra_consumer_config[value.substr(0, value.find('='))] = value.substr(value.find('=') + 1);
      else if (flag == "--quote-path" && (value == "flat" || value == "avro-c"))
        quote_path = value == "flat" ? QuotePath::kFlat : QuotePath::kAvroC;
      else if (flag == "--compression-level")
        compression_level = value;
      else if (flag == "--linger")
        linger = value;
      else if (flag == "--batch-size")
        batch_size = value;
      else if (flag == "--prefill")
        prefill = value == "1";
      else if (flag == "--rate")
        rate = std::stod(value);
      else {
        std::cerr << "unknown flag or bad value: " << flag << " " << value << "\n";
        return 2;
      }
    } catch (const std::exception&) {
      std::cerr << "not a number: " << argv[i] << " " << argv[i + 1] << "\n";
      return 2;
    }
  if (ticks < 1 || assets < 1 || rate < 0.0) {
    std::cerr << "--ticks and --assets must be >= 1, --rate >= 0\n";
    return 2;
  }
  SetLogLevel(LogLevel::kWarning);
  TopicNames names;
  std::string topics;
  for (const auto& name : names.names) topics += (topics.empty() ? "" : ",") + name;
  const Mock mock = StartMock(mock_path, topics);
  if (mock.brokers.empty()) {
    std::cerr << "cannot start the mock cluster " << mock_path << "\n";
    return 1;
  }
  // From here a failure ends the process at once: the mock must not outlive the bench, and the
  // consumer thread may be running.
  const auto fail = [&](const std::string& message) {
    std::cerr << message << "\n";
    ::kill(mock.pid, SIGTERM);
    std::_Exit(1);
  };
  KafkaBusOptions options;
  options.brokers = mock.brokers;
  options.quote_path = quote_path;
  options.producer_config = {{"compression.codec", compression},
                             {"compression.level", compression_level},
                             {"linger.ms", linger},
                             {"batch.size", batch_size},
                             {"queue.buffering.max.messages", "1000000"}};
  for (const auto& [key, value] : extra_producer_config) options.producer_config[key] = value;
  options.consumer_config = {{"session.timeout.ms", "6000"}, {"fetch.wait.max.ms", "10"}};
  for (const auto& [key, value] : extra_consumer_config) options.consumer_config[key] = value;
  auto bus = KafkaBus::Create(options);
  if (!bus) fail(bus.error().ToString());

  // The portfolio and its quotes.
  PortfolioConfig config;
  config.id = "bench";
  for (int i = 0; i < assets; ++i) config.tickers.push_back("T" + std::to_string(i));
  config.prior_mean = Vector::Constant(assets, 0.002);
  config.prior_covariance = 1e-4 * Matrix::Identity(assets, assets);
  config.prior_count = 52;
  SimulateOptions simulate;
  simulate.tickers = config.tickers;
  simulate.mean = config.prior_mean;
  simulate.covariance = config.prior_covariance;
  simulate.periods = (ticks + assets - 1) / assets;
  auto source = SimulateSource::Create(simulate);
  std::vector<std::shared_ptr<const Record>> records;
  std::vector<std::string> keys;
  std::vector<BourseData> quotes;
  std::atomic<bool> stop{false};
  while ((*source)->Next(&quotes, stop).value_or(false)) {
  }
  quotes.resize(static_cast<std::size_t>(ticks));
  for (BourseData& q : quotes) {
    keys.push_back(q.ticker);
    records.push_back(std::make_shared<const Record>(std::move(q)));
  }

  // Consumer: decode + stages, latency per tick.
  const std::vector<PortfolioConfig> portfolios = {config};
  ReturnsOptions returns_options;
  returns_options.out_of_orderness_ms = 0;
  ReturnsStage returns(returns_options, portfolios);
  StatisticsStage statistics(portfolios, [] { return 0; });
  MetricsStage metrics(portfolios);
  ChainEmitter out(&statistics, &metrics);
  (void)metrics.Open(0, 1, std::nullopt, out);
  (void)statistics.Open(0, 1, std::nullopt, out);
  out.Emit(Topic::kWeights, "bench", 0,
           PortfolioWeights{0, "bench", config.tickers, Vector::Constant(assets, 1.0 / assets)}, 0);
  auto partitions = (*bus)->Partitions(Topic::kPrices);
  for (int32_t p = 0; p < *partitions; ++p) (void)returns.Open(p, *partitions, std::nullopt, out);
  auto consumer = (*bus)->CreateConsumer("stream-kafka-bench");
  if (!consumer) fail(consumer.error().ToString());
  Ready ready;
  (void)(*consumer)->Subscribe({Topic::kPrices}, &ready);
  std::vector<Message> batch;
  while (!ready.assigned) (void)(*consumer)->Poll(std::chrono::milliseconds(100), 1, &batch);
  std::vector<int64_t> latencies;
  latencies.reserve(static_cast<std::size_t>(ticks));
  int64_t received = 0, undecodable = 0;
  int64_t first_ms = 0, last_ms = 0;
  double consumer_cpu_seconds = 0.0;
  std::atomic<int> warm_ups_received{0};
  std::map<std::string, double> consume_cpu_end;
  const auto consume_all = [&] {
    ::pthread_setname_np(::pthread_self(), "consume");
    std::vector<Message> messages;
    int64_t idle_since = WallMs();
    timespec cpu_start{}, cpu_end{};
    while (received < ticks) {
      messages.clear();
      (void)(*consumer)->Poll(std::chrono::milliseconds(200), 4096, &messages);
      const int64_t now = WallMs();
      if (received == 0 && !messages.empty()) clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_start);
      if (messages.empty()) {
        if (now - idle_since > 10000) break;  // the mock dropped data (it keeps ~5 MiB/partition)
        continue;
      }
      idle_since = now;
      for (const Message& m : messages) {
        if (m.timestamp_ms == kWarmUpTimestampMs) {
          ++warm_ups_received;
          continue;
        }
        if (m.record == nullptr) ++undecodable;
        returns.Process(m, out);
        latencies.push_back(WallMs() - m.timestamp_ms);
        if (received++ == 0) first_ms = now;
      }
      last_ms = WallMs();
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu_end);
    consume_cpu_end = CpuByThreadName(::getpid());  // this thread's CPU is gone once it ends
    consumer_cpu_seconds = static_cast<double>(cpu_end.tv_sec - cpu_start.tv_sec) +
                           1e-9 * static_cast<double>(cpu_end.tv_nsec - cpu_start.tv_nsec);
  };
  std::thread consume;
  if (!prefill) consume = std::thread(consume_all);

  ::pthread_setname_np(::pthread_self(), "produce");
  auto producer = (*bus)->CreateProducer();
  if (!producer) fail(producer.error().ToString());
  // Warm-up, not timed: one quote per ticker, flushed, so that the producer has its id and its
  // connections to every partition's leader; unless prefilling, also received, so that the
  // consumer is fetching every partition (librdkafka sometimes starts fetching a partition
  // ~0.5 s after its assignment). The consumer skips them by their timestamp.
  const int warm_ups = static_cast<int>(std::min<int64_t>(assets, ticks));
  for (int i = 0; i < warm_ups; ++i) {
    (void)(*producer)->Publish(Topic::kPrices, keys[static_cast<std::size_t>(i)],
                               kWarmUpTimestampMs, records[static_cast<std::size_t>(i)], 0);
  }
  const Status warm_up_flushed = (*producer)->Flush(std::chrono::milliseconds(30000));
  const int64_t warm_up_deadline = WallMs() + 30000;
  while (!prefill && warm_up_flushed && warm_ups_received < warm_ups &&
         WallMs() < warm_up_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!warm_up_flushed || (!prefill && warm_ups_received < warm_ups)) {
    fail("the warm-up quotes did not go through within 30 s");
  }
  const auto bench_cpu_before = CpuByThreadName(::getpid());
  const auto mock_cpu_before = CpuByThreadName(mock.pid);
  const int64_t produce_start = WallMs();
  const auto pace_start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < ticks; ++i) {
    if (rate > 0.0 && i % 1000 == 0) {
      std::this_thread::sleep_until(
          pace_start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(static_cast<double>(i) / rate)));
    }
    (void)(*producer)->Publish(Topic::kPrices, keys[static_cast<std::size_t>(i)], WallMs(),
                               records[static_cast<std::size_t>(i)], 0);
  }
  const Status flushed = (*producer)->Flush(std::chrono::milliseconds(120000));
  const int64_t produce_ms = WallMs() - produce_start;
  if (prefill) {
    consume = std::thread(consume_all);
    latencies.clear();
  }
  consume.join();
  std::map<std::string, double> cpu;  // CPU seconds of the run, after set-up, by thread
  auto bench_cpu_after = CpuByThreadName(::getpid());
  bench_cpu_after["consume"] = consume_cpu_end["consume"];
  AddCpuDelta(bench_cpu_before, bench_cpu_after, "bench/", &cpu);
  AddCpuDelta(mock_cpu_before, CpuByThreadName(mock.pid), "mock/", &cpu);
  double cpu_total = 0.0;
  nlohmann::ordered_json cpu_us_per_tick;
  for (const auto& [name, value] : cpu) {
    cpu_total += value;
    cpu_us_per_tick[name] = std::round(1e7 * value / static_cast<double>(ticks)) / 10.0;
  }
  (*consumer)->Close();
  // The clients go before the brokers (else they log the brokers' disappearance).
  consumer->reset();
  producer->reset();
  bus->reset();
  ::kill(mock.pid, SIGTERM);
  ::waitpid(mock.pid, nullptr, 0);

  nlohmann::ordered_json result = {
      {"ticks", ticks},
      {"assets", assets},
      {"quote_path", quote_path == QuotePath::kFlat ? "flat" : "avro-c"},
      {"compression", compression},
      {"compression_level", std::stoi(compression_level)},
      {"linger_ms", std::stoi(linger)},
      {"batch_size", std::stoll(batch_size)},
      {"prefilled", prefill},
      {"offered_ticks_per_s", rate > 0.0 ? nlohmann::ordered_json(rate) : nlohmann::ordered_json()},
      {"produce_ticks_per_s",
       1000.0 * static_cast<double>(ticks) / std::max<int64_t>(1, produce_ms)},
      {"consume_ticks_per_s",
       1000.0 * static_cast<double>(received) / std::max<int64_t>(1, last_ms - first_ms)},
      {"through_ticks_per_s",
       prefill ? nlohmann::ordered_json()
               : nlohmann::ordered_json(1000.0 * static_cast<double>(received) /
                                        std::max<int64_t>(1, last_ms - produce_start))},
      {"received", received},
      {"consumer_thread_ticks_per_cpu_s", static_cast<double>(received) / consumer_cpu_seconds},
      {"end_to_end_ms_p50",
       prefill ? nlohmann::ordered_json() : nlohmann::ordered_json(Percentile(latencies, 0.50))},
      {"end_to_end_ms_p99",
       prefill ? nlohmann::ordered_json() : nlohmann::ordered_json(Percentile(latencies, 0.99))},
      {"metrics_emitted", out.metrics},
      {"undecodable", undecodable},
      {"rejected", out.rejected},
      {"flush_ok", flushed.has_value()},
      {"cpu_us_per_tick", std::round(1e7 * cpu_total / static_cast<double>(ticks)) / 10.0},
      {"cpu_us_per_tick_by_thread", cpu_us_per_tick}};
  std::cout << result.dump() << "\n";
  return flushed && received == ticks && undecodable == 0 && out.rejected == 0 ? 0 : 1;
}

}  // namespace
}  // namespace pfopt::stream

int main(int argc, char** argv) { return pfopt::stream::Main(argc, argv); }
