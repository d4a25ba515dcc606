// Speed of the real-time rebalancer in process (bench/README.md, "Real-time rebalancer").
//
// BM_StageChain/n: price ticks per second through returns -> statistics -> metrics on one
//   core: the three stages wired directly (no bus), fed pre-built BourseData messages of n
//   simulated assets, every asset trading once per 2 s window (the heaviest load per tick: a
//   statistics update and a metrics computation every n ticks). Counters: ticks/s, and the
//   tick-to-metrics latency of the ticks that close a window (p50, p99; the time from the
//   closing tick entering the returns stage to the metrics leaving the metrics stage, i.e.
//   excluding the wait for the window to end).
// BM_InProcessPipeline/n: the whole Rebalancer (all four stages, checkpoints in memory) over
//   the in-process bus, ticks published by this thread while the loop thread consumes them.
// BM_Reoptimize*: the rebalance ladder on the Casablanca statistics (11 assets).
// BM_Avro*: avro-c encoding / decoding of the records.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "services/stream/avro/avro_codec.h"
#include "services/stream/bus/in_process_bus.h"
#include "services/stream/log.h"
#include "services/stream/rebalancer.h"
#include "services/stream/sources/simulate_source.h"
#include "services/stream/stages/metrics_stage.h"
#include "services/stream/stages/reoptimizer.h"
#include "services/stream/stages/returns_stage.h"
#include "services/stream/stages/statistics_stage.h"

namespace pfopt::stream {
namespace {

using Steady = std::chrono::steady_clock;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch())
      .count();
}

// A portfolio of n assets with a random factor-model covariance (weekly-like scale).
PortfolioConfig Portfolio(int n) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal;
  const int k = std::max(1, n / 4);
  Matrix f(n, k);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < k; ++j) f(i, j) = normal(rng);
  }
  PortfolioConfig config;
  config.id = "bench";
  for (int i = 0; i < n; ++i) config.tickers.push_back("T" + std::to_string(i));
  config.prior_covariance = 1e-4 * (f * f.transpose() / k + Matrix::Identity(n, n));
  config.prior_mean = Vector::Constant(n, 0.002);
  config.prior_count = 52;
  config.initial_weights = Vector::Constant(n, 1.0 / n);
  return config;
}

// Pre-built price messages: `periods` windows, each asset once per window.
std::vector<Message> Ticks(const PortfolioConfig& config, int64_t periods) {
  SimulateOptions options;
  options.tickers = config.tickers;
  options.mean = config.prior_mean;
  options.covariance = config.prior_covariance;
  options.periods = periods;
  auto source = SimulateSource::Create(options);
  std::vector<BourseData> quotes;
  std::atomic<bool> stop{false};
  while ((*source)->Next(&quotes, stop).value_or(false)) {
  }
  std::vector<Message> messages;
  messages.reserve(quotes.size());
  int64_t offset = 0;
  for (BourseData& quote : quotes) {
    Message& m = messages.emplace_back();
    m.topic = Topic::kPrices;
    m.key = quote.ticker;
    m.offset = offset++;
    m.record = std::make_shared<const Record>(std::move(quote));
  }
  return messages;
}

// Wires returns -> statistics -> metrics directly and records when metrics leave.
class ChainEmitter final : public Emitter {
 public:
  ChainEmitter(Stage* statistics, Stage* metrics) : statistics_(statistics), metrics_(metrics) {}
  void Emit(Topic topic, const std::string& key, int64_t timestamp_ms, Record record,
            int64_t trace_ns) override {
    Message m;
    m.topic = topic;
    m.key = key;
    m.timestamp_ms = timestamp_ms;
    m.offset = next_offset_++;
    m.trace_ns = trace_ns;
    m.record = std::make_shared<const Record>(std::move(record));
    if (topic == Topic::kWindowReturns) {
      statistics_->Process(m, *this);
    } else if (topic == Topic::kUpdatedStats || topic == Topic::kWeights) {
      metrics_->Process(m, *this);
    } else if (topic == Topic::kMetrics && trace_ns != 0) {
      latencies_ns.push_back(NowNs() - trace_ns);
    }
  }
  void Reject(const Message&, const std::string& reason) override {
    if (rejected++ == 0) first_rejection = reason;
  }
  void Alert(const RebalanceAlert&) override {}

  std::vector<int64_t> latencies_ns;
  int64_t rejected = 0;
  std::string first_rejection;

 private:
  Stage* statistics_;
  Stage* metrics_;
  int64_t next_offset_ = 0;
};

double Percentile(std::vector<int64_t> values, double q) {
  if (values.empty()) return 0.0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1));
  return static_cast<double>(values[index]);
}

void BM_StageChain(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const std::vector<PortfolioConfig> portfolios = {Portfolio(n)};
  const int64_t periods = n <= 20 ? 20000 : 400;
  const std::vector<Message> ticks = Ticks(portfolios[0], periods);
  ReturnsOptions options;
  options.out_of_orderness_ms = 0;
  std::vector<int64_t> latencies;
  int64_t processed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ReturnsStage returns(options, portfolios);
    StatisticsStage statistics(portfolios, [] { return 0; });
    MetricsStage metrics(portfolios);
    ChainEmitter out(&statistics, &metrics);
    (void)metrics.Open(0, 1, std::nullopt, out);  // first: it receives the seed statistics
    (void)statistics.Open(0, 1, std::nullopt, out);
    (void)returns.Open(0, 1, std::nullopt, out);
    // The start-up weights the rebalance stage would publish.
    out.Emit(Topic::kWeights, "bench", 0,
             PortfolioWeights{0, "bench", portfolios[0].tickers, portfolios[0].initial_weights}, 0);
    out.latencies_ns.reserve(static_cast<std::size_t>(periods));
    Message tick;
    state.ResumeTiming();
    for (const Message& m : ticks) {
      tick.topic = m.topic;
      tick.offset = m.offset;
      tick.record = m.record;
      tick.trace_ns = NowNs();
      returns.Process(tick, out);
    }
    processed += static_cast<int64_t>(ticks.size());
    state.PauseTiming();
    if (out.rejected != 0) {
      state.SkipWithError(("rejected: " + out.first_rejection).c_str());
      break;
    }
    latencies.insert(latencies.end(), out.latencies_ns.begin(), out.latencies_ns.end());
    state.ResumeTiming();
  }
  state.counters["ticks_per_s"] =
      benchmark::Counter(static_cast<double>(processed), benchmark::Counter::kIsRate);
  state.counters["latency_p50_us"] = Percentile(latencies, 0.50) / 1e3;
  state.counters["latency_p99_us"] = Percentile(latencies, 0.99) / 1e3;
}
BENCHMARK(BM_StageChain)->Arg(11)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_InProcessPipeline(benchmark::State& state) {
  SetLogLevel(LogLevel::kWarning);
  const int n = static_cast<int>(state.range(0));
  const std::vector<PortfolioConfig> portfolios = {Portfolio(n)};
  const int64_t periods = n <= 20 ? 20000 : 400;
  const std::vector<Message> ticks = Ticks(portfolios[0], periods);
  int64_t processed = 0;
  for (auto _ : state) {
    auto bus = InProcessBus::Create();
    RebalancerOptions options;
    options.returns.out_of_orderness_ms = 0;
    options.max_ticks = static_cast<int64_t>(ticks.size());
    options.drain_quiet_ms = 0;
    options.poll_timeout_ms = 1;
    options.status_interval_ms = 0;
    options.from_earliest = true;
    auto rebalancer = Rebalancer::Create(options, portfolios, bus->get(), nullptr);
    ProducerOptions producer_options;
    producer_options.block_when_full = true;
    auto producer = (*bus)->CreateProducer(producer_options);
    if (!(*rebalancer)->Start()) state.SkipWithError("start failed");
    for (const Message& m : ticks) {
      (void)(*producer)->Publish(Topic::kPrices, m.key, 0, m.record, 0);
    }
    if (!(*rebalancer)->Wait()) state.SkipWithError("run failed");
    processed += static_cast<int64_t>(ticks.size());
  }
  state.counters["ticks_per_s"] =
      benchmark::Counter(static_cast<double>(processed), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_InProcessPipeline)->Arg(11)->Arg(500)->Unit(benchmark::kMillisecond)->UseRealTime();

// The Casablanca portfolio of examples/stream/casablanca.json (11 assets, weekly statistics).
PortfolioConfig Casablanca(double threshold) {
  FileConfigurationSource source(std::string(PFOPT_SOURCE_DIR) +
                                 "/examples/stream/casablanca.json");
  PortfolioConfig config = source.LoadPortfolios()->front();
  config.trigger.threshold = threshold;
  return config;
}

void ReoptimizeBenchmark(benchmark::State& state, double threshold) {
  const PortfolioConfig config = Casablanca(threshold);
  auto optimizer = PortfolioOptimizer::Create(config);
  if (!optimizer) {
    state.SkipWithError("optimizer");
    return;
  }
  int solves = 0;
  for (auto _ : state) {
    auto result = optimizer->Reoptimize(config.prior_mean, config.prior_covariance, 0.0064);
    benchmark::DoNotOptimize(result);
    solves = result->solves;
  }
  state.counters["solves"] = solves;
}
// Threshold reached at the first rung (one max-Sharpe solve with L2), and unreachable (all 5
// attempts of 3 rungs: the worst case).
void BM_ReoptimizeFirstRung(benchmark::State& state) { ReoptimizeBenchmark(state, 1.0); }
void BM_ReoptimizeFullLadder(benchmark::State& state) { ReoptimizeBenchmark(state, 100.0); }
BENCHMARK(BM_ReoptimizeFirstRung)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ReoptimizeFullLadder)->Unit(benchmark::kMicrosecond);

Record SampleRecord(RecordType type) {
  const PortfolioConfig config = Portfolio(11);
  if (type == RecordType::kBourseData) {
    BourseData quote;
    quote.ticker = "IAM";
    quote.label = "IAM";
    quote.field_cours_courant = "101.350000";
    quote.field_last_traded_price = "101.350000";
    quote.field_last_traded_time = "2026-03-02T09:15:30.250Z";
    return quote;
  }
  return PortfolioStats{1, "bench", config.tickers, config.prior_mean, config.prior_covariance};
}

// range(0): 0 = BourseData (a quote), 1 = PortfolioStatsSchema of 11 assets; range(1): the
// quote path, 0 = flat (the default), 1 = avro-c's generic values.
void BM_AvroEncode(benchmark::State& state) {
  const auto type = static_cast<RecordType>(state.range(0));
  auto codec = AvroCodec::Create(type, state.range(1) == 0 ? QuotePath::kFlat : QuotePath::kAvroC);
  const Record record = SampleRecord(type);
  std::string bytes;
  for (auto _ : state) {
    (void)(*codec)->Encode(record, &bytes);
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["bytes"] = static_cast<double>(bytes.size());
}
void BM_AvroDecode(benchmark::State& state) {
  const auto type = static_cast<RecordType>(state.range(0));
  auto codec = AvroCodec::Create(type, state.range(1) == 0 ? QuotePath::kFlat : QuotePath::kAvroC);
  std::string bytes;
  (void)(*codec)->Encode(SampleRecord(type), &bytes);
  for (auto _ : state) {
    auto record = (*codec)->Decode(bytes);
    benchmark::DoNotOptimize(record);
  }
}
BENCHMARK(BM_AvroEncode)->Args({0, 0})->Args({0, 1})->Args({1, 0});
BENCHMARK(BM_AvroDecode)->Args({0, 0})->Args({0, 1})->Args({1, 0});

}  // namespace
}  // namespace pfopt::stream
