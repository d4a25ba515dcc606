#include "services/stream/service_link.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "services/rest/testing/test_databases.h"
#include "services/stream/stages/reoptimizer.h"
#include "services/stream/testing/stream_test_support.h"

namespace pfopt::stream {
namespace {

using testing::CasablancaPortfolio;

std::unique_ptr<rest::Storage> OpenTestStorage(const rest::testing::TestDatabase& db) {
  auto storage = rest::OpenStorage(db.url(), rest::StorageOptions{});
  EXPECT_TRUE(storage.has_value()) << storage.error().ToString();
  return std::move(*storage);
}

TEST(StoredConfigurationSource, StoredConfigurationOverridesTheFileAndDisabledLeavesOut) {
  rest::testing::TestDatabase db("sqlite");
  auto storage = OpenTestStorage(db);
  PortfolioConfig second = CasablancaPortfolio();
  second.id = "second";
  MemoryConfigurationSource file({CasablancaPortfolio(), second});

  // Nothing stored: the file's portfolios as they are.
  StoredConfigurationSource source(&file, storage.get());
  auto plain = source.LoadPortfolios();
  ASSERT_TRUE(plain.has_value()) << plain.error().ToString();
  ASSERT_EQ(plain->size(), 2u);
  EXPECT_FALSE((*plain)[0].optimization.has_value());

  // A stored configuration with a weight cap for casablanca, a disabled one for second.
  auto capped = rest::ParseConfiguration(
      "casablanca",
      R"({"objective": "MAX_SHARPE", "constraints": {"max_weight": 0.2}, "enabled": true})");
  ASSERT_TRUE(capped.has_value()) << capped.error().ToString();
  ASSERT_TRUE(storage->PutConfiguration(*capped).has_value());
  auto disabled = rest::ParseConfiguration("second", R"({"enabled": false})");
  ASSERT_TRUE(disabled.has_value());
  ASSERT_TRUE(storage->PutConfiguration(*disabled).has_value());

  auto loaded = source.LoadPortfolios();
  ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ(source.disabled(), std::vector<std::string>{"second"});
  EXPECT_EQ(source.overridden(), std::vector<std::string>{"casablanca"});
  const PortfolioConfig& config = loaded->front();
  ASSERT_TRUE(config.optimization.has_value());
  EXPECT_EQ(config.optimization->objective, "MAX_SHARPE");
  EXPECT_EQ(config.optimization->constraints.at("max_weight").get<double>(), 0.2);

  // The cap reaches the re-optimisation: every weight of the ladder's answer is <= 0.2.
  auto optimizer = PortfolioOptimizer::Create(config);
  ASSERT_TRUE(optimizer.has_value()) << optimizer.error().ToString();
  auto result = optimizer->Reoptimize(config.prior_mean, config.prior_covariance, 0.02);
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  ASSERT_TRUE(result->solved) << result->message;
  EXPECT_LE(result->weights.maxCoeff(), 0.2 + 1e-9);
  EXPECT_NEAR(result->weights.sum(), 1.0, 1e-9);
}

TEST(ServiceResultsObserver, WeightsBecomeStoredResultsWithEventsAndTheirPerformance) {
  rest::testing::TestDatabase db("sqlite");
  auto storage = OpenTestStorage(db);
  const PortfolioConfig config = CasablancaPortfolio();
  ServiceResultsObserver observer(storage.get(), {config});

  // Statistics, then weights: the stored performance is the weights' under those statistics.
  const auto n = static_cast<Index>(config.tickers.size());
  PortfolioStats stats{1000, config.id, config.tickers, config.prior_mean * 1.5,
                       config.prior_covariance * 0.8};
  observer.OnPublished(Topic::kUpdatedStats, config.id, 1000, Record(stats));
  Vector w = Vector::Constant(n, 1.0 / static_cast<double>(n));
  w[0] += 0.05;
  w[1] -= 0.05;
  observer.OnPublished(Topic::kWeights, config.id, 2000,
                       Record(PortfolioWeights{2000, config.id, config.tickers, w}));
  EXPECT_EQ(observer.stored(), 1);
  EXPECT_EQ(observer.errors(), 0);

  auto latest = storage->LatestResult(config.id);
  ASSERT_TRUE(latest.has_value()) << latest.error().ToString();
  ASSERT_TRUE(latest->has_value());
  const rest::StoredResult& r = **latest;
  const nlohmann::json weights = nlohmann::json::parse(r.optimal_weights_json);
  for (Index i = 0; i < n; ++i) {
    EXPECT_DOUBLE_EQ(weights.at(config.tickers[static_cast<std::size_t>(i)]).get<double>(), w[i]);
  }
  // Independently: per-period mean and risk, annualised with 52 periods a year.
  double mean = 0.0, variance = 0.0;
  for (Index i = 0; i < n; ++i) {
    mean += w[i] * 1.5 * config.prior_mean[i];
    for (Index j = 0; j < n; ++j) variance += w[i] * w[j] * 0.8 * config.prior_covariance(i, j);
  }
  EXPECT_NEAR(r.expected_return, 52.0 * mean, 1e-12);
  EXPECT_NEAR(r.expected_volatility, std::sqrt(52.0 * variance), 1e-12);
  EXPECT_NEAR(r.sharpe_ratio,
              (mean - config.risk_free_rate) / std::sqrt(variance) * std::sqrt(52.0), 1e-9);

  // Its portfolio_optimized event is in the outbox, naming the stored result.
  auto events = storage->ListEvents(0, 10, /*unpublished_only=*/true);
  ASSERT_TRUE(events.has_value());
  ASSERT_EQ(events->size(), 1u);
  const nlohmann::json event = nlohmann::json::parse(events->front().payload);
  EXPECT_EQ(event.at("portfolio_optimized").at("portfolio_id"), config.id);
  EXPECT_EQ(event.at("portfolio_optimized").at("optimization_id"), r.id);

  // Metrics and other topics store nothing.
  observer.OnPublished(Topic::kMetrics, config.id, 3000,
                       Record(PortfolioMetrics{config.id, 0.01, 0.002, 1.2, 3000}));
  EXPECT_EQ(observer.stored(), 1);
}

}  // namespace
}  // namespace pfopt::stream
