#include "services/stream/stages/rebalance_stage.h"

#include <gtest/gtest.h>

#include <fstream>

#include "services/stream/stages/metrics_stage.h"
#include "services/stream/testing/stream_test_support.h"

namespace pfopt::stream {
namespace {

using testing::CasablancaPortfolio;
using testing::MakeMessage;
using testing::RecordingEmitter;

nlohmann::json Reference() {
  std::ifstream in(std::string(PFOPT_SOURCE_DIR) + "/tests/data/stream/reference.json");
  return nlohmann::json::parse(in);
}

Vector ReferenceWeights(const nlohmann::json& case_json, const std::vector<std::string>& tickers) {
  Vector w(static_cast<Index>(tickers.size()));
  for (std::size_t i = 0; i < tickers.size(); ++i) {
    w[static_cast<Index>(i)] = case_json.at("weights").at(tickers[i]).get<double>();
  }
  return w;
}

PortfolioStats PriorStats(const PortfolioConfig& c, int64_t timestamp = 1) {
  return PortfolioStats{timestamp, c.id, c.tickers, c.prior_mean, c.prior_covariance};
}

PortfolioMetrics Metrics(const std::string& id, double sharpe, int64_t timestamp) {
  return PortfolioMetrics{id, 0.0064, 0.0037, sharpe, timestamp};
}

// The Casablanca start-up of ../shared/specs/streaming.md section 6 (docs/black_litterman.md):
// Black-Litterman on the initial statistics, then max Sharpe, against the independent numpy +
// cvxopt computation of tests/data/black_litterman/generate_casablanca.py.
TEST(StartupWeights, BlackLittermanStartupMatchesAnIndependentComputation) {
  PortfolioConfig config = CasablancaPortfolio();
  config.black_litterman.present = true;
  config.black_litterman.views = {{"AKT", 0.001}, {"ATW", 0.0},   {"BOA", 0.0},    {"BCP", 0.0},
                                  {"MDP", 0.0},   {"MUT", 0.0},   {"IAM", -0.003}, {"RIS", -0.001},
                                  {"TGC", 0.002}, {"ADI", 0.003}, {"IMO", 0.0}};
  auto optimizer = PortfolioOptimizer::Create(config);
  ASSERT_TRUE(optimizer.has_value()) << optimizer.error().ToString();
  auto weights = StartupWeights(config, *optimizer);
  ASSERT_TRUE(weights.has_value()) << weights.error().ToString();
  std::ifstream in(std::string(PFOPT_SOURCE_DIR) +
                   "/tests/data/black_litterman/casablanca_reference.json");
  const nlohmann::json reference = nlohmann::json::parse(in);
  const auto& tickers = reference.at("tickers");
  const auto& expected = reference.at("max_sharpe_weights");
  ASSERT_EQ(tickers.size(), config.tickers.size());
  for (std::size_t i = 0; i < config.tickers.size(); ++i) {
    ASSERT_EQ(tickers[i].get<std::string>(), config.tickers[i]);
    EXPECT_NEAR((*weights)[static_cast<Index>(i)], expected[i].get<double>(), 1e-9)
        << config.tickers[i];
  }
  // Without Black-Litterman the published weights start the portfolio.
  config.black_litterman.present = false;
  auto published = StartupWeights(config, *optimizer);
  ASSERT_TRUE(published.has_value());
  EXPECT_EQ(*published, config.initial_weights);
  // A view on a ticker outside the universe is an error naming it.
  config.black_litterman.present = true;
  config.black_litterman.views["XYZ"] = 0.01;
  auto bad = StartupWeights(config, *optimizer);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().field(), "portfolios[casablanca].black_litterman.views.XYZ");
}

TEST(PortfolioOptimizer, FirstRungIsTheL2MaxSharpePortfolioOfAnIndependentSolver) {
  const PortfolioConfig config = CasablancaPortfolio();
  auto optimizer = PortfolioOptimizer::Create(config);
  ASSERT_TRUE(optimizer.has_value()) << optimizer.error().ToString();
  auto result = optimizer->Reoptimize(config.prior_mean, config.prior_covariance, 0.0064);
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->solved);
  // Threshold 1.0 is reached at once: one attempt, one solve, gamma 0.002.
  EXPECT_EQ(result->attempts, 1);
  EXPECT_EQ(result->solves, 1);
  EXPECT_EQ(result->objective, Objective::kMaxSharpe);
  EXPECT_EQ(result->l2_gamma, 0.002);
  const nlohmann::json reference = Reference().at("max_sharpe").at(1);
  ASSERT_EQ(reference.at("gamma").get<double>(), 0.002);
  const Vector expected = ReferenceWeights(reference, config.tickers);
  EXPECT_LE((result->weights - expected).cwiseAbs().maxCoeff(), 1e-6);
  EXPECT_NEAR(result->annualised_sharpe, reference.at("sharpe_ratio").get<double>(), 1e-7);
}

TEST(PortfolioOptimizer, LadderKeepsTheBestSharpeWhenTheThresholdIsOutOfReach) {
  PortfolioConfig config = CasablancaPortfolio();
  config.trigger.threshold = 10.0;  // unreachable: all attempts run
  auto optimizer = PortfolioOptimizer::Create(config);
  ASSERT_TRUE(optimizer.has_value());
  auto result = optimizer->Reoptimize(config.prior_mean, config.prior_covariance, 0.0064);
  ASSERT_TRUE(result.has_value() && result->solved);
  EXPECT_EQ(result->attempts, 5);
  EXPECT_EQ(result->solves, 15);
  const nlohmann::json reference = Reference().at("max_sharpe");
  // At least the first rung's Sharpe ratio, and no more than the unregularised maximum.
  EXPECT_GE(result->annualised_sharpe, reference.at(1).at("sharpe_ratio").get<double>() - 1e-9);
  EXPECT_LE(result->annualised_sharpe, reference.at(0).at("sharpe_ratio").get<double>() + 1e-9);
  EXPECT_NEAR(result->weights.sum(), 1.0, 1e-12);
  EXPECT_GE(result->weights.minCoeff(), 0.0);
}

TEST(PortfolioOptimizer, FallsBackWhenMaxSharpeHasNoAnswer) {
  PortfolioConfig config = CasablancaPortfolio();
  // Every expected return below the risk-free rate: no portfolio beats it, max Sharpe is
  // infeasible; efficient risk / efficient return still answer.
  const Vector mean = config.prior_mean.array() - 0.01;
  auto optimizer = PortfolioOptimizer::Create(config);
  ASSERT_TRUE(optimizer.has_value());
  auto result = optimizer->Reoptimize(mean, config.prior_covariance, 0.0064);
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->solved) << result->message;
  EXPECT_NE(result->objective, Objective::kMaxSharpe);
  EXPECT_EQ(result->attempts, 5);
}

TEST(PortfolioOptimizer, HonoursAStoredConfigurationsConstraints) {
  PortfolioConfig config = CasablancaPortfolio();
  StoredOptimizationConfig stored;
  stored.constraints = {{"max_weight", 0.15}};
  config.optimization = stored;
  auto optimizer = PortfolioOptimizer::Create(config);
  ASSERT_TRUE(optimizer.has_value()) << optimizer.error().ToString();
  auto result = optimizer->Reoptimize(config.prior_mean, config.prior_covariance, 0.0064);
  ASSERT_TRUE(result.has_value() && result->solved);
  EXPECT_LE(result->weights.maxCoeff(), 0.15 + 1e-12);
  // A stored configuration the request path rejects is an error naming the field.
  stored.constraints = {{"max_weigth", 0.15}};
  config.optimization = stored;
  auto bad = PortfolioOptimizer::Create(config);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().field().find("optimization"), std::string::npos);
}

class RebalanceStageTest : public ::testing::Test {
 protected:
  void Make(double threshold) {
    portfolios_ = {CasablancaPortfolio()};
    portfolios_[0].trigger.threshold = threshold;
    portfolios_[0].trigger.cooldown_ms = 1000;
    auto stage = RebalanceStage::Create(portfolios_, [] { return 42; });
    ASSERT_TRUE(stage.has_value());
    stage_ = std::move(*stage);
  }
  std::vector<PortfolioConfig> portfolios_;
  std::unique_ptr<RebalanceStage> stage_;
  RecordingEmitter out_;
};

TEST_F(RebalanceStageTest, PublishesStartupWeightsOnceAndNotAfterARestart) {
  Make(1.0);
  ASSERT_TRUE(stage_->Open(0, 1, std::nullopt, out_));
  const auto weights = out_.On<PortfolioWeights>(Topic::kWeights);
  ASSERT_EQ(weights.size(), 1u);
  EXPECT_EQ(weights[0].weights, portfolios_[0].initial_weights);
  EXPECT_EQ(weights[0].timestamp_ms, 42);
  auto restarted = RebalanceStage::Create(portfolios_);
  RecordingEmitter out;
  ASSERT_TRUE((*restarted)->Open(0, 1, stage_->Save(0), out));
  EXPECT_TRUE(out.emitted.empty());
}

TEST_F(RebalanceStageTest, ReoptimisesOnABreachAndPublishesOnlyChangedWeights) {
  Make(1.0);
  ASSERT_TRUE(stage_->Open(0, 1, std::nullopt, out_));
  stage_->Process(MakeMessage(Topic::kUpdatedStats, "casablanca", PriorStats(portfolios_[0])),
                  out_);
  stage_->Process(MakeMessage(Topic::kMetrics, "casablanca", Metrics("casablanca", 2.1, 10)), out_);
  EXPECT_TRUE(out_.alerts.empty());
  stage_->Process(MakeMessage(Topic::kMetrics, "casablanca", Metrics("casablanca", 0.7, 20)), out_);
  ASSERT_EQ(out_.alerts.size(), 1u);
  EXPECT_EQ(out_.alerts[0].sharpe_ratio, 0.7);
  auto weights = out_.On<PortfolioWeights>(Topic::kWeights);
  ASSERT_EQ(weights.size(), 2u);  // start-up + re-optimised
  EXPECT_EQ(weights[1].timestamp_ms, 20);
  const Vector expected =
      ReferenceWeights(Reference().at("max_sharpe").at(1), portfolios_[0].tickers);
  EXPECT_LE((weights[1].weights - expected).cwiseAbs().maxCoeff(), 1e-6);
  // Same statistics after the cooldown: same answer, not published again.
  stage_->Process(MakeMessage(Topic::kMetrics, "casablanca", Metrics("casablanca", 0.7, 2000)),
                  out_);
  EXPECT_EQ(out_.alerts.size(), 2u);
  EXPECT_EQ(out_.On<PortfolioWeights>(Topic::kWeights).size(), 2u);
  int64_t unchanged = 0;
  for (const auto& [name, value] : stage_->Counters()) {
    if (name == "weights_unchanged") unchanged = value;
  }
  EXPECT_EQ(unchanged, 1);
}

TEST_F(RebalanceStageTest, ABreachBeforeAnyStatisticsOnlyAlerts) {
  Make(1.0);
  ASSERT_TRUE(stage_->Open(0, 1, std::nullopt, out_));
  stage_->Process(MakeMessage(Topic::kMetrics, "casablanca", Metrics("casablanca", 0.2, 1)), out_);
  EXPECT_EQ(out_.alerts.size(), 1u);
  EXPECT_EQ(out_.On<PortfolioWeights>(Topic::kWeights).size(), 1u);
}

}  // namespace
}  // namespace pfopt::stream
