// The Rebalancer over the in-process bus, end to end: simulated Casablanca quotes -> returns ->
// statistics -> metrics -> rebalance, checked against statistics computed independently from
// the published quotes; and a crash (no final checkpoint) followed by a restart, which must end
// with exactly the statistics of an uninterrupted run.
#include "services/stream/rebalancer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <mutex>
#include <thread>

#include "services/stream/bus/in_process_bus.h"
#include "services/stream/sources/simulate_source.h"
#include "services/stream/testing/stream_test_support.h"

namespace pfopt::stream {
namespace {

using testing::CasablancaPortfolio;

constexpr int64_t kPeriods = 300;
constexpr int kTicksPerPeriod = 2;
constexpr int64_t kTotalTicks = kPeriods * kTicksPerPeriod * 11;

// A store shared by successive Rebalancers (the checkpoint directory of a restarted process).
class SharedStore final : public CheckpointStore {
 public:
  explicit SharedStore(std::shared_ptr<MemoryCheckpointStore> store) : store_(std::move(store)) {}
  Status Save(const std::string& name, std::string_view bytes) override {
    return store_->Save(name, bytes);
  }
  Result<std::optional<std::string>> Load(const std::string& name) override {
    return store_->Load(name);
  }

 private:
  std::shared_ptr<MemoryCheckpointStore> store_;
};

// Keeps every published record by topic.
class Capture final : public PublishObserver {
 public:
  void OnPublished(Topic topic, const std::string&, int64_t, const Record& record) override {
    std::lock_guard<std::mutex> lock(mutex);
    records[topic].push_back(record);
  }
  std::mutex mutex;
  std::map<Topic, std::vector<Record>> records;
};

SimulateOptions Simulation(const PortfolioConfig& config, int64_t periods, uint64_t seed) {
  SimulateOptions options;
  options.tickers = config.tickers;
  options.mean = config.prior_mean;
  options.covariance = config.prior_covariance;
  options.periods = periods;
  options.ticks_per_period = kTicksPerPeriod;
  options.seed = seed;
  return options;
}

RebalancerOptions Options() {
  RebalancerOptions options;
  options.returns.window_ms = 2000;  // one simulated period per window
  options.returns.out_of_orderness_ms = 0;
  options.from_earliest = true;
  options.clock = [] { return int64_t{1767600000000}; };
  options.drain_quiet_ms = 0;
  options.status_interval_ms = 0;
  options.poll_batch = 512;
  options.poll_timeout_ms = 5;
  return options;
}

// Feeds `source` to completion on `bus`.
void Feed(InProcessBus& bus, PriceSource& source, std::vector<PublishObserver*> observers = {}) {
  ProducerOptions producer_options;
  producer_options.block_when_full = true;
  auto producer = bus.CreateProducer(producer_options);
  ASSERT_TRUE(producer.has_value());
  std::atomic<bool> stop{false};
  auto summary = RunFeed(source, **producer, FeedOptions{}, observers, stop);
  ASSERT_TRUE(summary.has_value()) << summary.error().ToString();
}

nlohmann::ordered_json Statistics(const Rebalancer& rebalancer) {
  return rebalancer.DescribeState().at("stages").at("statistics").at("casablanca");
}

TEST(Rebalancer, InProcessPipelineMatchesStatisticsComputedFromTheQuotes) {
  PortfolioConfig config = CasablancaPortfolio();
  config.trigger.threshold = 2.5;  // above what the statistics allow: re-optimisations happen
  config.trigger.cooldown_ms = 20000;
  auto bus = InProcessBus::Create();
  ASSERT_TRUE(bus.has_value());
  RebalancerOptions options = Options();
  options.max_ticks = kTotalTicks;
  auto rebalancer = Rebalancer::Create(options, {config}, bus->get(), nullptr);
  ASSERT_TRUE(rebalancer.has_value()) << rebalancer.error().ToString();
  Capture capture;
  (*rebalancer)->AddObserver(&capture);
  ASSERT_TRUE((*rebalancer)->Start());
  auto source = SimulateSource::Create(Simulation(config, kPeriods, 11));
  ASSERT_TRUE(source.has_value());
  Capture quotes;
  Feed(**bus, **source, {&quotes});
  ASSERT_TRUE((*rebalancer)->Wait());

  // Independent statistics: last price per ticker per 2 s window from the quotes, log returns
  // between consecutive windows (every ticker trades in every window here), pooled with the
  // prior as 52 observations by the two-sample formula.
  const std::vector<Record>& published = quotes.records[Topic::kPrices];
  ASSERT_EQ(static_cast<int64_t>(published.size()), kTotalTicks);
  std::map<int64_t, std::map<std::string, double>> last;  // window -> ticker -> price
  for (const Record& r : published) {
    const auto& q = std::get<BourseData>(r);
    const int64_t window = *ParseIsoTimestampMs(q.field_last_traded_time) / 2000;
    last[window][q.ticker] = std::stod(q.field_cours_courant);
  }
  std::vector<std::map<std::string, double>> windows;
  for (const auto& [window, prices] : last) windows.push_back(prices);
  // Windows close when a later tick arrives: all but the last; the first has no previous price.
  const Index count = static_cast<Index>(windows.size()) - 2;
  Matrix x(count, 11);
  for (Index k = 0; k < count; ++k) {
    for (Index a = 0; a < 11; ++a) {
      const std::string& t = config.tickers[static_cast<std::size_t>(a)];
      x(k, a) = std::log(windows[static_cast<std::size_t>(k + 1)].at(t) /
                         windows[static_cast<std::size_t>(k)].at(t));
    }
  }
  const double m = 52.0, c = static_cast<double>(count);
  const Vector sample_mean = x.colwise().mean().transpose();
  const Matrix centred = x.rowwise() - sample_mean.transpose();
  const Vector mean = (m * config.prior_mean + c * sample_mean) / (m + c);
  const Vector shift = sample_mean - config.prior_mean;
  const Matrix scatter = (m - 1.0) * config.prior_covariance + centred.transpose() * centred +
                         (m * c / (m + c)) * shift * shift.transpose();
  const Matrix covariance = scatter / (m + c - 1.0);

  const nlohmann::ordered_json stats = Statistics(**rebalancer);
  EXPECT_EQ(stats.at("observations").get<double>(), m + c);
  for (Index a = 0; a < 11; ++a) {
    const std::string& ta = config.tickers[static_cast<std::size_t>(a)];
    EXPECT_NEAR(stats.at("mean").at(ta).get<double>(), mean[a], 1e-12 * mean.cwiseAbs().maxCoeff());
    for (Index b = 0; b < 11; ++b) {
      const std::string& tb = config.tickers[static_cast<std::size_t>(b)];
      EXPECT_NEAR(stats.at("covariance").at(ta).at(tb).get<double>(), covariance(a, b),
                  1e-12 * covariance.cwiseAbs().maxCoeff());
    }
  }
  // Start-up weights, metrics for every statistics update (deduplicated), re-optimisations.
  const auto& weights = capture.records[Topic::kWeights];
  ASSERT_GE(weights.size(), 2u);
  EXPECT_EQ(std::get<PortfolioWeights>(weights[0]).weights, config.initial_weights);
  EXPECT_GT(capture.records[Topic::kMetrics].size(), 250u);
  std::map<std::string, int64_t> counters;
  for (const auto& [name, value] : (*rebalancer)->Counters()) counters[name] = value;
  EXPECT_EQ(counters["price_ticks"], kTotalTicks);
  EXPECT_EQ(counters["statistics_updates"], count);
  EXPECT_EQ(counters["dead_letters"], 0);
  EXPECT_GT(counters["reoptimizations"], 0);
  EXPECT_EQ(counters["weights_published"], static_cast<int64_t>(weights.size()));
}

TEST(Rebalancer, CrashAndRestartNeitherLosesNorDoubleCountsAReturn) {
  const PortfolioConfig config = CasablancaPortfolio();
  // The uninterrupted run.
  nlohmann::ordered_json expected;
  {
    auto bus = InProcessBus::Create();
    RebalancerOptions options = Options();
    options.max_ticks = kTotalTicks;
    auto rebalancer = Rebalancer::Create(options, {config}, bus->get(), nullptr);
    ASSERT_TRUE((*rebalancer)->Start());
    auto source = SimulateSource::Create(Simulation(config, kPeriods, 5));
    Feed(**bus, **source);
    ASSERT_TRUE((*rebalancer)->Wait());
    expected = Statistics(**rebalancer);
  }
  // The same quotes in three processes sharing a checkpoint store: the first stops cleanly after
  // 1105 ticks (a checkpoint); the second processes up to tick 2753 and dies without a
  // checkpoint (its outputs are on the bus); the third restarts from the first's checkpoint and
  // runs to the end, re-reading what the second had done.
  InProcessBusOptions bus_options;
  bus_options.retain_uncommitted = true;
  auto bus = InProcessBus::Create(bus_options);
  auto store = std::make_shared<MemoryCheckpointStore>();
  {
    RebalancerOptions options = Options();
    options.max_ticks = 1105;
    auto first =
        Rebalancer::Create(options, {config}, bus->get(), std::make_unique<SharedStore>(store));
    ASSERT_TRUE((*first)->Start());
    auto source = SimulateSource::Create(Simulation(config, kPeriods, 5));
    Feed(**bus, **source);
    ASSERT_TRUE((*first)->Wait());
  }
  {
    RebalancerOptions options = Options();
    options.max_ticks = 2753 - 1105;
    options.checkpoint_interval_ms = 3600000;
    options.checkpoint_on_exit = false;
    auto second =
        Rebalancer::Create(options, {config}, bus->get(), std::make_unique<SharedStore>(store));
    ASSERT_TRUE((*second)->Run());
    std::map<std::string, int64_t> counters;
    for (const auto& [name, value] : (*second)->Counters()) counters[name] = value;
    ASSERT_EQ(counters["price_ticks"], 2753 - 1105);
    ASSERT_EQ(counters["checkpoints"], 0);
    ASSERT_GT(counters["statistics_updates"], 70);  // (2753 - 1105) / 22 ticks per window
  }
  RebalancerOptions options = Options();
  options.exit_at_end = true;
  auto third =
      Rebalancer::Create(options, {config}, bus->get(), std::make_unique<SharedStore>(store));
  ASSERT_TRUE((*third)->Run());
  const nlohmann::ordered_json restarted = Statistics(**third);
  EXPECT_EQ(restarted.at("observations"), expected.at("observations"));
  EXPECT_EQ(restarted.at("mean"), expected.at("mean"));  // bit for bit
  EXPECT_EQ(restarted.at("covariance"), expected.at("covariance"));
  std::map<std::string, int64_t> counters;
  for (const auto& [name, value] : (*third)->Counters()) counters[name] = value;
  // It re-read every tick after the checkpoint, and recognised the window returns that the
  // crashed process had already sent.
  EXPECT_EQ(counters["price_ticks"], kTotalTicks - 1105);
  EXPECT_GT(counters["duplicate_windows"], 70);
}

TEST(Rebalancer, RejectsInvalidSetups) {
  auto bus = InProcessBus::Create();
  EXPECT_FALSE(Rebalancer::Create(Options(), {}, bus->get(), nullptr).has_value());
  RebalancerOptions bad = Options();
  bad.stages.clear();
  EXPECT_EQ(Rebalancer::Create(bad, {CasablancaPortfolio()}, bus->get(), nullptr).error().field(),
            "stages");
  PortfolioConfig twice = CasablancaPortfolio();
  EXPECT_FALSE(Rebalancer::Create(Options(), {twice, twice}, bus->get(), nullptr).has_value());
  EXPECT_TRUE(RebalancerOptions{}.Validate());
}

}  // namespace
}  // namespace pfopt::stream
