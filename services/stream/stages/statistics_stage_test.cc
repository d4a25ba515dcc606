#include "services/stream/stages/statistics_stage.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "services/stream/testing/stream_test_support.h"

namespace pfopt::stream {
namespace {

using testing::MakeMessage;
using testing::RecordingEmitter;
using testing::SimplePortfolio;

WindowReturns Window(int32_t source, int64_t end, int64_t watermark,
                     std::vector<std::string> tickers, std::vector<double> returns) {
  return WindowReturns{"P", source, 2, end, watermark, std::move(tickers), std::move(returns)};
}

Message WindowMessage(const WindowReturns& window, int64_t offset) {
  return MakeMessage(Topic::kWindowReturns, window.portfolio_id, window, 0, offset);
}

// Batch sample mean and covariance (ddof = 1) of the rows of x, plain two-pass.
void Batch(const Matrix& x, Vector* mean, Matrix* covariance) {
  *mean = x.colwise().mean().transpose();
  const Matrix centred = x.rowwise() - mean->transpose();
  *covariance = centred.transpose() * centred / static_cast<double>(x.rows() - 1);
}

// 200 windows of P = {A, B, C}: A and B trade on price partition 0, C on partition 1; a ticker
// without a trade in a window contributes 0. Messages as the returns stage sends them: each
// partition's in window order, watermark-only messages when a partition had no trade.
struct Scenario {
  std::vector<std::vector<WindowReturns>> per_source{2};
  Matrix vectors;  // the expected return vectors, one row per window
};

Scenario MakeScenario(unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.001, 0.02);
  std::bernoulli_distribution trades(0.8);
  Scenario s;
  std::vector<Vector> rows;
  for (int k = 1; k <= 200; ++k) {
    const int64_t end = 1000 * k;
    Vector v = Vector::Zero(3);
    std::vector<std::string> t0;
    std::vector<double> r0;
    for (int a = 0; a < 2; ++a) {
      if (trades(rng)) {
        v[a] = normal(rng);
        t0.push_back(a == 0 ? "A" : "B");
        r0.push_back(v[a]);
      }
    }
    const bool c = trades(rng);
    if (c) v[2] = normal(rng);
    if (!t0.empty())
      s.per_source[0].push_back(Window(0, end, end + 300, t0, r0));
    else
      s.per_source[0].push_back(Window(0, 0, end + 300, {}, {}));
    if (c)
      s.per_source[1].push_back(Window(1, end, end + 100, {"C"}, {v[2]}));
    else
      s.per_source[1].push_back(Window(1, 0, end + 100, {}, {}));
    if (!t0.empty() || c) rows.push_back(v);  // a window with no trade at all gives no vector
  }
  s.vectors.resize(static_cast<Index>(rows.size()), 3);
  for (std::size_t i = 0; i < rows.size(); ++i) s.vectors.row(static_cast<Index>(i)) = rows[i];
  return s;
}

// Feeds the two sources interleaved at random (each in its own order).
void Feed(StatisticsStage& stage, const Scenario& s, unsigned seed, RecordingEmitter& out) {
  std::mt19937 rng(seed);
  std::size_t i0 = 0, i1 = 0;
  int64_t offset = 0;
  while (i0 < s.per_source[0].size() || i1 < s.per_source[1].size()) {
    const bool first =
        i1 >= s.per_source[1].size() || (i0 < s.per_source[0].size() && (rng() % 2) == 0);
    const WindowReturns& w = first ? s.per_source[0][i0++] : s.per_source[1][i1++];
    stage.Process(WindowMessage(w, offset++), out);
  }
}

class StatisticsStageTest : public ::testing::Test {
 protected:
  std::vector<PortfolioConfig> portfolios_ = {SimplePortfolio("P", {"A", "B", "C"}, 0.0)};
};

TEST_F(StatisticsStageTest, EqualsTheBatchStatisticsOfTheAssembledVectors) {
  const Scenario s = MakeScenario(7);
  StatisticsStage stage(portfolios_, [] { return 1; });
  RecordingEmitter out;
  ASSERT_TRUE(stage.Open(0, 1, std::nullopt, out));
  Feed(stage, s, 1, out);
  const auto updates = out.On<PortfolioStats>(Topic::kUpdatedStats);
  // Every window closed (both partitions' watermarks passed the last end); without a prior the
  // first one has no covariance to publish yet.
  ASSERT_EQ(static_cast<Index>(updates.size()), s.vectors.rows() - 1);
  Vector mean;
  Matrix covariance;
  Batch(s.vectors, &mean, &covariance);
  EXPECT_LE((updates.back().mean - mean).cwiseAbs().maxCoeff(), 1e-12 * mean.cwiseAbs().maxCoeff());
  EXPECT_LE((updates.back().covariance - covariance).cwiseAbs().maxCoeff(),
            1e-12 * covariance.cwiseAbs().maxCoeff());
  EXPECT_EQ(updates.back().assets, (std::vector<std::string>{"A", "B", "C"}));
}

TEST_F(StatisticsStageTest, ResultDoesNotDependOnHowPartitionsInterleave) {
  const Scenario s = MakeScenario(8);
  std::vector<PortfolioStats> finals;
  for (unsigned seed : {1u, 2u, 3u}) {
    StatisticsStage stage(portfolios_, [] { return 1; });
    RecordingEmitter out;
    ASSERT_TRUE(stage.Open(0, 1, std::nullopt, out));
    Feed(stage, s, seed, out);
    finals.push_back(out.On<PortfolioStats>(Topic::kUpdatedStats).back());
  }
  EXPECT_EQ(finals[0].mean, finals[1].mean);  // bit for bit
  EXPECT_EQ(finals[0].covariance, finals[1].covariance);
  EXPECT_EQ(finals[0].covariance, finals[2].covariance);
}

TEST_F(StatisticsStageTest, SkipsReplayedWindowsAndRestoresExactly) {
  const Scenario s = MakeScenario(9);
  StatisticsStage straight(portfolios_, [] { return 1; });
  RecordingEmitter straight_out;
  ASSERT_TRUE(straight.Open(0, 1, std::nullopt, straight_out));
  Feed(straight, s, 4, straight_out);

  // First half, save; restore; replay the whole of both sources (a restarted returns stage
  // sends again what it sent since its own checkpoint): duplicates are skipped.
  Scenario head = s;
  head.per_source[0].resize(100);
  head.per_source[1].resize(80);
  StatisticsStage first(portfolios_, [] { return 1; });
  RecordingEmitter first_out;
  ASSERT_TRUE(first.Open(0, 1, std::nullopt, first_out));
  Feed(first, head, 4, first_out);
  StatisticsStage second(portfolios_, [] { return 1; });
  RecordingEmitter second_out;
  ASSERT_TRUE(second.Open(0, 1, first.Save(0), second_out));
  Feed(second, s, 5, second_out);
  const PortfolioStats a = straight_out.On<PortfolioStats>(Topic::kUpdatedStats).back();
  const PortfolioStats b = second_out.On<PortfolioStats>(Topic::kUpdatedStats).back();
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(a.covariance, b.covariance);
  int64_t duplicates = 0;
  for (const auto& [name, value] : second.Counters()) {
    if (name == "duplicate_windows") duplicates = value;
  }
  EXPECT_GT(duplicates, 100);
}

TEST(StatisticsStage, PublishesTheSeedAndReseedsFromNewerInitialStatistics) {
  std::vector<PortfolioConfig> portfolios = {SimplePortfolio("P", {"A", "B"}, 10.0)};
  StatisticsStage stage(portfolios, [] { return 1000; });
  RecordingEmitter out;
  ASSERT_TRUE(stage.Open(0, 1, std::nullopt, out));
  ASSERT_EQ(out.On<PortfolioStats>(Topic::kInitialStats).size(), 1u);
  ASSERT_EQ(out.On<PortfolioStats>(Topic::kUpdatedStats).size(), 1u);
  EXPECT_EQ(out.On<PortfolioStats>(Topic::kInitialStats)[0].covariance,
            portfolios[0].prior_covariance);
  // Our own seed coming back is ignored; a newer one (assets in another order) replaces it.
  PortfolioStats seed = out.On<PortfolioStats>(Topic::kInitialStats)[0];
  stage.Process(MakeMessage(Topic::kInitialStats, "P", seed), out);
  EXPECT_EQ(out.On<PortfolioStats>(Topic::kUpdatedStats).size(), 1u);
  PortfolioStats reset{2000, "P", {"B", "A"}, Vector(2), Matrix(2, 2)};
  reset.mean << 0.02, 0.01;
  reset.covariance << 4e-4, 1e-5, 1e-5, 9e-4;
  stage.Process(MakeMessage(Topic::kInitialStats, "P", reset), out);
  const auto updates = out.On<PortfolioStats>(Topic::kUpdatedStats);
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_DOUBLE_EQ(updates[1].mean[0], 0.01);  // A
  EXPECT_DOUBLE_EQ(updates[1].covariance(0, 0), 9e-4);
  EXPECT_DOUBLE_EQ(updates[1].covariance(1, 1), 4e-4);
}

TEST(StatisticsStage, RejectsWhatItCannotUse) {
  std::vector<PortfolioConfig> portfolios = {SimplePortfolio("P", {"A", "B"}, 10.0)};
  StatisticsStage stage(portfolios, [] { return 1; });
  RecordingEmitter out;
  ASSERT_TRUE(stage.Open(0, 1, std::nullopt, out));
  stage.Process(
      MakeMessage(Topic::kWindowReturns, "X", WindowReturns{"X", 0, 1, 1000, 1000, {"A"}, {0.1}}),
      out);
  stage.Process(
      MakeMessage(Topic::kWindowReturns, "P", WindowReturns{"P", 0, 1, 1000, 1000, {"Z"}, {0.1}}),
      out);
  stage.Process(
      MakeMessage(Topic::kWindowReturns, "P", WindowReturns{"P", 0, 1, 1000, 1000, {"A"}, {kNaN}}),
      out);
  stage.Process(
      MakeMessage(Topic::kWindowReturns, "P", WindowReturns{"P", 3, 2, 1000, 1000, {"A"}, {0.1}}),
      out);
  ASSERT_EQ(out.rejected.size(), 4u);
  EXPECT_NE(out.rejected[0].second.find("unknown portfolio 'X'"), std::string::npos);
  EXPECT_NE(out.rejected[1].second.find("'Z'"), std::string::npos);
  EXPECT_NE(out.rejected[2].second.find("not finite"), std::string::npos);
  EXPECT_NE(out.rejected[3].second.find("impossible"), std::string::npos);
  EXPECT_EQ(out.On<PortfolioStats>(Topic::kUpdatedStats).size(), 1u);  // only the seed
}

}  // namespace
}  // namespace pfopt::stream
