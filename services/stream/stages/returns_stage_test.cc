#include "services/stream/stages/returns_stage.h"

#include <gtest/gtest.h>

#include <cmath>

#include "services/stream/testing/stream_test_support.h"

namespace pfopt::stream {
namespace {

using testing::MakeMessage;
using testing::Quote;
using testing::RecordingEmitter;
using testing::SimplePortfolio;

// Portfolios P = {A, B} and Q = {B, C}; windows of 1 s, watermark 0.5 s behind.
class ReturnsStageTest : public ::testing::Test {
 protected:
  ReturnsStageTest()
      : portfolios_{SimplePortfolio("P", {"A", "B"}), SimplePortfolio("Q", {"B", "C"})},
        stage_(Options(), portfolios_) {
    EXPECT_TRUE(stage_.Open(0, 1, std::nullopt, out_));
  }
  static ReturnsOptions Options() {
    ReturnsOptions options;
    options.window_ms = 1000;
    options.out_of_orderness_ms = 500;
    return options;
  }
  void Tick(const std::string& ticker, const std::string& price, int64_t time_ms) {
    stage_.Process(MakeMessage(Topic::kPrices, ticker,
                               Quote(ticker, price, FormatIsoTimestampMs(time_ms)), 0, offset_++),
                   out_);
  }
  // The WindowReturns with returns (not watermark-only), in emission order.
  std::vector<WindowReturns> Windows() const {
    std::vector<WindowReturns> out;
    for (const auto& w : out_.On<WindowReturns>(Topic::kWindowReturns)) {
      if (!w.tickers.empty()) out.push_back(w);
    }
    return out;
  }
  int64_t Counter(const std::string& name) const {
    for (const auto& [key, value] : stage_.Counters()) {
      if (key == name) return value;
    }
    return -1;
  }

  std::vector<PortfolioConfig> portfolios_;
  ReturnsStage stage_;
  RecordingEmitter out_;
  int64_t offset_ = 0;
};

TEST_F(ReturnsStageTest, ClosesWindowsAtTheWatermarkWithLogReturnsOfLastPrices) {
  Tick("A", "100", 100);
  Tick("B", "50", 200);
  Tick("A", "101", 900);
  Tick("A", "99", 800);   // out of order inside the window: an earlier trade, does not replace 101
  Tick("B", "51", 1600);  // watermark 1100: window 0 closes (first prices, no returns yet)
  EXPECT_TRUE(Windows().empty());
  Tick("A", "102", 1500);
  Tick("C", "10", 1700);
  Tick("A", "103", 2700);  // watermark 2200: window 1 closes
  const auto windows = Windows();
  ASSERT_EQ(windows.size(), 2u);
  const WindowReturns& p = windows[0].portfolio_id == "P" ? windows[0] : windows[1];
  const WindowReturns& q = windows[0].portfolio_id == "Q" ? windows[0] : windows[1];
  EXPECT_EQ(p.window_end_ms, 2000);
  EXPECT_EQ(p.watermark_ms, 2200);
  // Tickers in the order of their first trade in the window (B at 1600 arrived before A).
  ASSERT_EQ(p.tickers, (std::vector<std::string>{"B", "A"}));
  EXPECT_DOUBLE_EQ(p.returns[0], std::log(51.0 / 50.0));
  EXPECT_DOUBLE_EQ(p.returns[1], std::log(102.0 / 101.0));
  ASSERT_EQ(q.tickers, (std::vector<std::string>{"B"}));  // C's first window: no return
  EXPECT_DOUBLE_EQ(q.returns[0], std::log(51.0 / 50.0));
}

TEST_F(ReturnsStageTest, CountsAndDropsLateEvents) {
  Tick("A", "100", 100);
  Tick("A", "101", 2700);  // watermark 2200: windows ending <= 2200 are closed
  Tick("A", "500", 1999);  // window 1 (ends 2000): late
  Tick("B", "50", 2100);   // window 2 (ends 3000): on time although older than 2700
  EXPECT_EQ(Counter("late_ticks"), 1);
  Tick("A", "102", 3600);  // watermark 3100: window 2 closes with A = 101 (the late 500 is gone)
  const auto windows = Windows();
  ASSERT_EQ(windows.size(), 1u);
  EXPECT_EQ(windows[0].window_end_ms, 3000);
  EXPECT_DOUBLE_EQ(windows[0].returns[0], std::log(101.0 / 100.0));
}

TEST_F(ReturnsStageTest, LatestEventTimeWinsInsideAWindowWhateverTheArrivalOrder) {
  Tick("A", "100", 100);
  Tick("A", "110", 1900);
  Tick("A", "105", 1200);  // earlier event time, arrives later: ignored for "last price"
  Tick("A", "120", 2600);  // closes window 1
  ASSERT_EQ(Windows().size(), 1u);
  EXPECT_DOUBLE_EQ(Windows()[0].returns[0], std::log(110.0 / 100.0));
}

TEST_F(ReturnsStageTest, ReferencePriceIsTheLastWindowInWhichTheTickerTraded) {
  Tick("A", "100", 100);
  Tick("B", "10", 1100);   // A skips window 1
  Tick("A", "121", 2100);  // window 2
  Tick("B", "10", 4000);   // watermark 3500: windows 1 and 2 close
  const auto windows = Windows();
  ASSERT_FALSE(windows.empty());
  const WindowReturns& last = windows.back();
  EXPECT_EQ(last.window_end_ms, 3000);
  ASSERT_EQ(last.tickers, std::vector<std::string>{"A"});
  EXPECT_DOUBLE_EQ(last.returns[0], std::log(121.0 / 100.0));
  // Messages of one batch carry their own window end as watermark, the last the partition's.
  for (std::size_t i = 0; i + 1 < windows.size(); ++i) {
    EXPECT_EQ(windows[i].watermark_ms, windows[i].window_end_ms);
  }
  EXPECT_EQ(last.watermark_ms, 3500);
}

TEST_F(ReturnsStageTest, SendsWatermarkMarkersToPortfoliosWithoutTrades) {
  Tick("A", "100", 100);
  Tick("A", "101", 1100);
  out_.emitted.clear();
  Tick("A", "102", 2600);  // closes window 1 with a return for P only
  bool q_marker = false;
  for (const auto& w : out_.On<WindowReturns>(Topic::kWindowReturns)) {
    if (w.portfolio_id == "Q") {
      q_marker = w.tickers.empty() && w.watermark_ms == 2100 && w.window_end_ms == 0;
    }
  }
  EXPECT_TRUE(q_marker);
}

TEST_F(ReturnsStageTest, RejectsBadTicksWithTheirReasonAndKeepsGoing) {
  Tick("A", "NaN", 100);
  Tick("A", "-1", 100);
  Tick("Z", "10", 100);
  Tick("A", "10", 0);
  stage_.Process(MakeMessage(Topic::kPrices, "A", Quote("A", "10", "not a time"), 0, 99), out_);
  Message undecodable;
  undecodable.topic = Topic::kPrices;
  undecodable.error = "bad Avro";
  stage_.Process(undecodable, out_);
  ASSERT_EQ(out_.rejected.size(), 5u);
  EXPECT_NE(out_.rejected[0].second.find("field_cours_courant"), std::string::npos);
  EXPECT_NE(out_.rejected[1].second.find("not positive"), std::string::npos);
  EXPECT_NE(out_.rejected[2].second.find("unknown ticker 'Z'"), std::string::npos);
  EXPECT_NE(out_.rejected[3].second.find("field_last_traded_time"), std::string::npos);
  EXPECT_NE(out_.rejected[4].second.find("bad Avro"), std::string::npos);
  EXPECT_EQ(Counter("rejected_ticks"), 5);
  EXPECT_EQ(Counter("ticks"), 6);
}

TEST(ReturnsStage, SavedStateContinuesExactlyLikeAnUninterruptedRun) {
  const std::vector<PortfolioConfig> portfolios = {SimplePortfolio("P", {"A", "B"}),
                                                   SimplePortfolio("Q", {"B", "C"})};
  ReturnsOptions options;
  options.window_ms = 1000;
  options.out_of_orderness_ms = 1500;
  std::vector<Message> ticks;
  const char* names[] = {"A", "B", "C"};
  uint64_t seed = 12345;
  for (int k = 0; k < 300; ++k) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    const std::string ticker = names[(seed >> 33) % 3];
    const int64_t time = 100 * k + static_cast<int64_t>((seed >> 40) % 1200);  // out of order
    const double price = 100.0 + static_cast<double>((seed >> 20) % 1000) / 100.0;
    ticks.push_back(MakeMessage(Topic::kPrices, ticker,
                                Quote(ticker, std::to_string(price), FormatIsoTimestampMs(time)), 0,
                                k));
  }
  RecordingEmitter straight_out, first_out, second_out;
  ReturnsStage straight(options, portfolios);
  ASSERT_TRUE(straight.Open(0, 1, std::nullopt, straight_out));
  ReturnsStage first(options, portfolios);
  ASSERT_TRUE(first.Open(0, 1, std::nullopt, first_out));
  for (int k = 0; k < 300; ++k) straight.Process(ticks[static_cast<std::size_t>(k)], straight_out);
  for (int k = 0; k < 137; ++k) first.Process(ticks[static_cast<std::size_t>(k)], first_out);
  const std::string saved = first.Save(0);
  ReturnsStage second(options, portfolios);
  ASSERT_TRUE(second.Open(0, 1, saved, second_out));
  for (int k = 137; k < 300; ++k) second.Process(ticks[static_cast<std::size_t>(k)], second_out);
  auto all = first_out.On<WindowReturns>(Topic::kWindowReturns);
  for (const auto& w : second_out.On<WindowReturns>(Topic::kWindowReturns)) all.push_back(w);
  const auto expected = straight_out.On<WindowReturns>(Topic::kWindowReturns);
  ASSERT_EQ(all.size(), expected.size());
  ASSERT_GT(expected.size(), 50u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].portfolio_id, expected[i].portfolio_id);
    EXPECT_EQ(all[i].window_end_ms, expected[i].window_end_ms);
    EXPECT_EQ(all[i].watermark_ms, expected[i].watermark_ms);
    EXPECT_EQ(all[i].tickers, expected[i].tickers);
    EXPECT_EQ(all[i].returns, expected[i].returns);
  }
  // A damaged state is an error, not a silent fresh start.
  ReturnsStage third(options, portfolios);
  EXPECT_FALSE(third.Open(0, 1, saved.substr(0, saved.size() / 2), second_out).has_value());
}

TEST(ReturnsOptions, DefaultsAreValidAndBadValuesNamed) {
  EXPECT_TRUE(ReturnsOptions{}.Validate());
  ReturnsOptions bad;
  bad.window_ms = 0;
  EXPECT_EQ(bad.Validate().error().field(), "window_ms");
}

}  // namespace
}  // namespace pfopt::stream
