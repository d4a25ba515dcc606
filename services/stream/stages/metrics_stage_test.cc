#include "services/stream/stages/metrics_stage.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

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

TEST(ComputeMetrics, MatchesNumpyOnTheCasablancaInitialWeights) {
  const PortfolioConfig config = CasablancaPortfolio();
  const nlohmann::json expected = Reference().at("metrics_of_initial_weights");
  const PortfolioMetrics m = ComputeMetrics("casablanca", config.initial_weights, config.prior_mean,
                                            config.prior_covariance, 0.0018, 52.0, 5);
  EXPECT_NEAR(m.expected_return, expected.at("expected_return").get<double>(), 1e-15);
  EXPECT_NEAR(m.risk, expected.at("risk").get<double>(), 1e-15);
  EXPECT_NEAR(m.sharpe_ratio, expected.at("sharpe_ratio").get<double>(), 1e-12);
  EXPECT_EQ(m.timestamp_ms, 5);
  // Zero risk: no Sharpe ratio.
  EXPECT_TRUE(std::isnan(ComputeMetrics("p", Vector::Constant(1, 1.0), Vector::Constant(1, 0.1),
                                        Matrix::Zero(1, 1), 0.0, 52.0, 0)
                             .sharpe_ratio));
}

class MetricsStageTest : public ::testing::Test {
 protected:
  MetricsStageTest() : portfolios_{CasablancaPortfolio()}, stage_(portfolios_) {
    EXPECT_TRUE(stage_.Open(0, 1, std::nullopt, out_));
  }
  PortfolioStats Stats(double scale, int64_t timestamp) const {
    const PortfolioConfig& c = portfolios_[0];
    return PortfolioStats{timestamp, c.id, c.tickers, c.prior_mean * scale, c.prior_covariance};
  }
  PortfolioWeights Weights(int64_t timestamp) const {
    const PortfolioConfig& c = portfolios_[0];
    return PortfolioWeights{timestamp, c.id, c.tickers, c.initial_weights};
  }
  std::vector<PortfolioConfig> portfolios_;
  MetricsStage stage_;
  RecordingEmitter out_;
};

TEST_F(MetricsStageTest, EmitsOnlyWhenReturnOrRiskChanges) {
  stage_.Process(MakeMessage(Topic::kUpdatedStats, "casablanca", Stats(1.0, 1)), out_);
  EXPECT_TRUE(out_.On<PortfolioMetrics>(Topic::kMetrics).empty());  // no weights yet
  stage_.Process(MakeMessage(Topic::kWeights, "casablanca", Weights(2)), out_);
  stage_.Process(MakeMessage(Topic::kWeights, "casablanca", Weights(3)), out_);  // same weights
  stage_.Process(MakeMessage(Topic::kUpdatedStats, "casablanca", Stats(1.0, 4)), out_);
  stage_.Process(MakeMessage(Topic::kUpdatedStats, "casablanca", Stats(0.5, 5)), out_);
  const auto metrics = out_.On<PortfolioMetrics>(Topic::kMetrics);
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_EQ(metrics[0].timestamp_ms, 2);
  EXPECT_EQ(metrics[1].timestamp_ms, 5);
  EXPECT_NEAR(metrics[1].expected_return, 0.5 * metrics[0].expected_return, 1e-18);
  EXPECT_EQ(metrics[1].risk, metrics[0].risk);
}

TEST_F(MetricsStageTest, MatchesWeightsToStatisticsByName) {
  stage_.Process(MakeMessage(Topic::kUpdatedStats, "casablanca", Stats(1.0, 1)), out_);
  PortfolioWeights w = Weights(2);
  // Reverse the order and drop the assets' last one (weight 0).
  std::reverse(w.assets.begin(), w.assets.end());
  w.weights = w.weights.reverse().eval();
  const double dropped = w.weights[0];
  w.assets.erase(w.assets.begin());
  w.weights = w.weights.tail(w.weights.size() - 1).eval();
  stage_.Process(MakeMessage(Topic::kWeights, "casablanca", w), out_);
  Vector aligned = portfolios_[0].initial_weights;
  aligned[aligned.size() - 1] = 0.0;
  EXPECT_NE(dropped, 0.0);
  const PortfolioMetrics expected =
      ComputeMetrics("casablanca", aligned, portfolios_[0].prior_mean,
                     portfolios_[0].prior_covariance, 0.0018, 52.0, 2);
  const auto metrics = out_.On<PortfolioMetrics>(Topic::kMetrics);
  ASSERT_EQ(metrics.size(), 1u);
  EXPECT_NEAR(metrics[0].expected_return, expected.expected_return, 1e-16);
  EXPECT_NEAR(metrics[0].risk, expected.risk, 1e-16);
}

TEST_F(MetricsStageTest, RejectsInconsistentAndUnknownInputs) {
  PortfolioWeights bad = Weights(1);
  bad.weights.resize(3);
  stage_.Process(MakeMessage(Topic::kWeights, "casablanca", bad), out_);
  PortfolioWeights unknown = Weights(1);
  unknown.portfolio_id = "nope";
  stage_.Process(MakeMessage(Topic::kWeights, "nope", unknown), out_);
  stage_.Process(MakeMessage(Topic::kUpdatedStats, "casablanca", Stats(1.0, 1)), out_);
  PortfolioWeights foreign = Weights(2);
  foreign.assets[0] = "XYZ";
  stage_.Process(MakeMessage(Topic::kWeights, "casablanca", foreign), out_);
  // An undecodable message and a record of another type.
  Message undecodable;
  undecodable.topic = Topic::kWeights;
  undecodable.error = "bad Avro";
  stage_.Process(undecodable, out_);
  stage_.Process(MakeMessage(Topic::kWeights, "casablanca", PortfolioMetrics{}), out_);
  ASSERT_EQ(out_.rejected.size(), 5u);
  EXPECT_NE(out_.rejected[1].second.find("unknown portfolio"), std::string::npos);
  EXPECT_NE(out_.rejected[2].second.find("lack"), std::string::npos);
  EXPECT_EQ(out_.rejected[3].second, "undecodable record: bad Avro");
  EXPECT_EQ(out_.rejected[4].second, "unexpected record type on an input of the metrics stage");
  int64_t rejected = 0;
  for (const auto& [name, value] : stage_.Counters()) {
    if (name.find("rejected") != std::string::npos) rejected = value;
  }
  EXPECT_EQ(rejected, 5);
}

TEST_F(MetricsStageTest, RestoredStateKeepsTheDedupe) {
  stage_.Process(MakeMessage(Topic::kUpdatedStats, "casablanca", Stats(1.0, 1)), out_);
  stage_.Process(MakeMessage(Topic::kWeights, "casablanca", Weights(2)), out_);
  MetricsStage restored(portfolios_);
  RecordingEmitter out;
  ASSERT_TRUE(restored.Open(0, 1, stage_.Save(0), out));
  restored.Process(MakeMessage(Topic::kUpdatedStats, "casablanca", Stats(1.0, 3)), out);
  EXPECT_TRUE(out.On<PortfolioMetrics>(Topic::kMetrics).empty());
  restored.Process(MakeMessage(Topic::kUpdatedStats, "casablanca", Stats(2.0, 4)), out);
  EXPECT_EQ(out.On<PortfolioMetrics>(Topic::kMetrics).size(), 1u);
}

}  // namespace
}  // namespace pfopt::stream
