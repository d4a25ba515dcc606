// The Storage contract, run against both implementations: SQLite always, PostgreSQL against
// the throwaway cluster CTest starts (storage_postgres_test; skipped elsewhere).
#include "services/rest/storage/storage.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <thread>

#include "services/rest/testing/test_databases.h"

namespace pfopt::rest {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TimePoint At(const char* text) { return *ParseTimestamp(text); }

StoredResult MakeResult(const std::string& portfolio, TimePoint at, double ret) {
  StoredResult r;
  r.id = NewUuid();
  r.portfolio_id = portfolio;
  r.created_at = at;
  r.optimal_weights_json = R"({"b":0.25,"a":0.75})";  // request order, not alphabetical
  r.expected_return = ret;
  r.expected_volatility = 0.2;
  r.sharpe_ratio = std::numeric_limits<double>::quiet_NaN();
  r.metadata_json = R"({"convergence_status":"optimal","iterations":3})";
  return r;
}

OutboxEvent MakeEvent(const StoredResult& r) {
  OutboxEvent e;
  e.event_id = NewUuid();
  e.portfolio_id = r.portfolio_id;
  e.payload = R"({"event_id":")" + e.event_id + R"(","portfolio_optimized":{}})";
  e.created_at = r.created_at;
  return e;
}

class StorageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    database_ = std::make_unique<testing::TestDatabase>(GetParam());
    if (!database_->available()) {
      if (testing::TestDatabase::PostgresRequired()) FAIL() << database_->reason();
      GTEST_SKIP() << database_->reason();
    }
    auto storage = OpenStorage(database_->url(), StorageOptions{});
    ASSERT_TRUE(storage) << storage.error().ToString();
    storage_ = std::move(*storage);
  }
  void TearDown() override {
    storage_.reset();
    database_.reset();
  }

  std::unique_ptr<testing::TestDatabase> database_;
  std::unique_ptr<Storage> storage_;
};

TEST_P(StorageTest, SavedResultIsTheLatestAndKeepsEveryField) {
  const StoredResult r = MakeResult("p1", At("2025-06-21T10:00:00.123456Z"), 0.1);
  ASSERT_TRUE(storage_->SaveResult(r, MakeEvent(r)));
  auto latest = storage_->LatestResult("p1");
  ASSERT_TRUE(latest) << latest.error().ToString();
  ASSERT_TRUE(latest->has_value());
  const StoredResult& got = **latest;
  EXPECT_EQ(got.id, r.id);
  EXPECT_EQ(got.portfolio_id, "p1");
  EXPECT_EQ(got.created_at, r.created_at);                      // microseconds survive
  EXPECT_EQ(got.optimal_weights_json, r.optimal_weights_json);  // key order survives
  EXPECT_EQ(got.expected_return, 0.1);
  EXPECT_EQ(got.expected_volatility, 0.2);
  EXPECT_TRUE(std::isnan(got.sharpe_ratio));  // NULL <-> NaN
  EXPECT_EQ(got.metadata_json, r.metadata_json);
  auto none = storage_->LatestResult("unknown");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
}

TEST_P(StorageTest, LatestIsTheMostRecentByTime) {
  const TimePoint t0 = At("2025-01-02T00:00:00Z");
  for (int i : {2, 0, 3, 1}) {
    const StoredResult r = MakeResult("p", t0 + minutes(i), 0.01 * i);
    ASSERT_TRUE(storage_->SaveResult(r, MakeEvent(r)));
  }
  auto latest = storage_->LatestResult("p");
  ASSERT_TRUE(latest && latest->has_value());
  EXPECT_EQ((*latest)->created_at, t0 + minutes(3));
}

TEST_P(StorageTest, HistoryAcrossDaysReturnsTheRangeOldestFirst) {
  // Days 2025-03-01 .. 2025-03-05, two results a day at 23:30 and 00:30 (next to midnight, so
  // a day boundary in the wrong time zone would show).
  std::vector<TimePoint> times;
  for (int day = 1; day <= 5; ++day) {
    const TimePoint midnight = At(("2025-03-0" + std::to_string(day) + "T00:00:00Z").c_str());
    times.push_back(midnight + minutes(30));
    times.push_back(midnight + hours(23) + minutes(30));
  }
  for (std::size_t i = times.size(); i-- > 0;) {  // stored newest first
    const StoredResult r = MakeResult("h", times[i], static_cast<double>(i));
    ASSERT_TRUE(storage_->SaveResult(r, MakeEvent(r))) << i;
  }
  const StoredResult other = MakeResult("other", times[4], 99.0);
  ASSERT_TRUE(storage_->SaveResult(other, MakeEvent(other)));

  auto all = storage_->History("h", At("2025-01-01"), At("2026-01-01"), 1000);
  ASSERT_TRUE(all) << all.error().ToString();
  ASSERT_EQ(all->size(), 10u);
  for (std::size_t i = 0; i < all->size(); ++i) {
    EXPECT_EQ((*all)[i].created_at, times[i]);
    EXPECT_EQ((*all)[i].expected_return, static_cast<double>(i));
  }
  // [Mar 2, Mar 4): the four results of days 2 and 3; `to` is exclusive.
  auto range = storage_->History("h", At("2025-03-02"), At("2025-03-04"), 1000);
  ASSERT_TRUE(range);
  ASSERT_EQ(range->size(), 4u);
  EXPECT_EQ(range->front().created_at, times[2]);
  EXPECT_EQ(range->back().created_at, times[5]);
  // Offsets are honoured: 2025-03-02T01:00+02:00 is 2025-03-01T23:00Z.
  auto offset = storage_->History("h", At("2025-03-02T01:00:00+02:00"), At("2025-03-02"), 1000);
  ASSERT_TRUE(offset);
  ASSERT_EQ(offset->size(), 1u);
  EXPECT_EQ(offset->front().created_at, times[1]);
  auto limited = storage_->History("h", At("2025-01-01"), At("2026-01-01"), 3);
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->size(), 3u);
}

TEST_P(StorageTest, PostgresCreatesADayPartitionForEachDayWritten) {
  if (GetParam() != "postgres") GTEST_SKIP() << "partitions are a PostgreSQL feature";
  for (const char* day : {"2024-02-28T12:00:00Z", "2024-02-29T12:00:00Z", "2024-03-01T12:00:00Z"}) {
    const StoredResult r = MakeResult("part", At(day), 0.0);
    ASSERT_TRUE(storage_->SaveResult(r, MakeEvent(r)));
  }
  PGconn* conn = PQconnectdb(database_->url().c_str());
  ASSERT_EQ(PQstatus(conn), CONNECTION_OK);
  PGresult* result = PQexec(conn,
                            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON "
                            "c.oid = i.inhrelid WHERE i.inhparent = "
                            "'portfolio_optimization_ts'::regclass ORDER BY 1");
  std::set<std::string> partitions;
  for (int i = 0; i < PQntuples(result); ++i) partitions.insert(PQgetvalue(result, i, 0));
  PQclear(result);
  // Each row landed in its own day's partition.
  result = PQexec(conn,
                  "SELECT tableoid::regclass::text, count(*) FROM portfolio_optimization_ts "
                  "WHERE portfolio_id = 'part' GROUP BY 1 ORDER BY 1");
  ASSERT_EQ(PQntuples(result), 3);
  EXPECT_STREQ(PQgetvalue(result, 0, 0), "portfolio_optimization_ts_p20240228");
  EXPECT_STREQ(PQgetvalue(result, 1, 0), "portfolio_optimization_ts_p20240229");
  EXPECT_STREQ(PQgetvalue(result, 2, 0), "portfolio_optimization_ts_p20240301");
  PQclear(result);
  PQfinish(conn);
  EXPECT_TRUE(partitions.count("portfolio_optimization_ts_p20240229"));
  EXPECT_GE(partitions.size(), 5u);  // + today and tomorrow, created at start
}

TEST_P(StorageTest, ConfigurationsAreUpsertedPerPortfolio) {
  auto parsed = ParseConfiguration(
      "cfg", R"({"objective": "min_volatility", "constraints": {"max_weight": 0.3},
                 "risk_parameters": {"covariance_estimator": "LEDOIT_WOLF"}})");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  auto first = storage_->PutConfiguration(*parsed);
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->objective, service::RequestObjective::kMinVolatility);
  EXPECT_EQ(first->id.size(), 36u);

  auto update = ParseConfiguration("cfg", R"({"objective": "MAX_SHARPE", "enabled": false})");
  ASSERT_TRUE(update);
  auto second = storage_->PutConfiguration(*update);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, first->id);  // same row
  EXPECT_EQ(second->created_at, first->created_at);
  EXPECT_GE(second->updated_at, first->updated_at);
  EXPECT_EQ(second->objective, service::RequestObjective::kMaxSharpe);
  EXPECT_FALSE(second->enabled);
  EXPECT_EQ(second->constraints_json, "{}");

  auto other = ParseConfiguration("cfg2", R"({"constraints": {"max_weight": 0.5}})");
  ASSERT_TRUE(storage_->PutConfiguration(*other));
  auto got = storage_->GetConfiguration("cfg2");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->constraints_json, R"({"max_weight":0.5})");
  auto all = storage_->ListConfigurations(/*enabled_only=*/false);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].portfolio_id, "cfg");
  auto enabled = storage_->ListConfigurations(/*enabled_only=*/true);
  ASSERT_TRUE(enabled);
  ASSERT_EQ(enabled->size(), 1u);
  EXPECT_EQ((*enabled)[0].portfolio_id, "cfg2");
  auto missing = storage_->GetConfiguration("nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());

  // The rebalancer's view: a request built from the stored configuration.
  service::StrategyDefinition s;
  s.id = "x";
  s.expected_return = 0.1;
  auto request = (*got)->ToRequest({s});
  ASSERT_TRUE(request) << request.error().ToString();
  EXPECT_EQ(request->portfolio_id, "cfg2");
  ASSERT_TRUE(request->constraints.max_weight.has_value());
  EXPECT_EQ(*request->constraints.max_weight, 0.5);
  ASSERT_EQ(request->strategies.size(), 1u);
  EXPECT_TRUE(storage_->PortfolioKnown("cfg2").value());
  EXPECT_FALSE(storage_->PortfolioKnown("nope").value());
}

TEST_P(StorageTest, OutboxListsEventsInOrderAndTracksDelivery) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    const StoredResult r = MakeResult("o", At("2025-05-05T05:05:05Z") + minutes(i), 0.0);
    const OutboxEvent e = MakeEvent(r);
    ids.push_back(e.event_id);
    ASSERT_TRUE(storage_->SaveResult(r, e));
  }
  auto events = storage_->ListEvents(0, 100, false);
  ASSERT_TRUE(events) << events.error().ToString();
  ASSERT_EQ(events->size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ((*events)[i].event_id, ids[i]);
    if (i > 0) {
      EXPECT_GT((*events)[i].sequence, (*events)[i - 1].sequence);
    }
    EXPECT_FALSE((*events)[i].published_at.has_value());
  }
  EXPECT_EQ(storage_->CountUnpublished().value(), 5);
  ASSERT_TRUE(storage_->MarkPublished({(*events)[0].sequence, (*events)[2].sequence}, Now()));
  EXPECT_EQ(storage_->CountUnpublished().value(), 3);
  auto pending = storage_->ListEvents(0, 100, true);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 3u);
  EXPECT_EQ((*pending)[0].event_id, ids[1]);
  auto page = storage_->ListEvents((*events)[2].sequence, 1, false);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].event_id, ids[3]);
  EXPECT_TRUE((*storage_->ListEvents(0, 100, false))[0].published_at.has_value());
}

TEST_P(StorageTest, AFailedSaveWritesNeitherResultNorEvent) {
  const StoredResult r = MakeResult("atomic", At("2025-07-07T07:00:00Z"), 0.5);
  ASSERT_TRUE(storage_->SaveResult(r, MakeEvent(r)));
  StoredResult again = r;  // same id: the result's insert fails, so nothing of it is kept
  again.expected_return = 0.7;
  const Status failed = storage_->SaveResult(again, MakeEvent(again));
  EXPECT_FALSE(failed);
  EXPECT_EQ(storage_->ListEvents(0, 100, false)->size(), 1u);
  EXPECT_EQ(storage_->History("atomic", At("2025-01-01"), At("2026-01-01"), 100)->size(), 1u);
  EXPECT_EQ((*storage_->LatestResult("atomic"))->expected_return, 0.5);
}

TEST_P(StorageTest, ConcurrentSavesAreAllCommittedWithDistinctSequences) {
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const StoredResult r =
            MakeResult("c" + std::to_string(t), At("2025-08-08T08:00:00Z") + minutes(i), i);
        if (!storage_->SaveResult(r, MakeEvent(r))) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto events = storage_->ListEvents(0, 1000, false);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), static_cast<std::size_t>(kThreads * kEach));
  std::set<std::int64_t> sequences;
  for (const auto& e : *events) sequences.insert(e.sequence);
  EXPECT_EQ(sequences.size(), events->size());
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(storage_->History("c" + std::to_string(t), At("2025-01-01"), At("2026-01-01"), 1000)
                  ->size(),
              static_cast<std::size_t>(kEach));
  }
}

TEST_P(StorageTest, ReopeningAppliesNoMigrationTwice) {
  const StoredResult r = MakeResult("re", At("2025-09-09T09:00:00Z"), 0.1);
  ASSERT_TRUE(storage_->SaveResult(r, MakeEvent(r)));
  storage_.reset();
  auto reopened = OpenStorage(database_->url(), StorageOptions{});
  ASSERT_TRUE(reopened) << reopened.error().ToString();
  auto latest = (*reopened)->LatestResult("re");
  ASSERT_TRUE(latest && latest->has_value());
  EXPECT_EQ((*latest)->id, r.id);
}

TEST_P(StorageTest, UnreachableDatabaseIsUnavailableAndRecovers) {
  if (GetParam() != "postgres") GTEST_SKIP() << "needs a server to stop";
  ASSERT_TRUE(database_->Pause());
  const StoredResult r = MakeResult("down", At("2025-10-10T10:00:00Z"), 0.1);
  const Status saved = storage_->SaveResult(r, MakeEvent(r));
  ASSERT_FALSE(saved);
  EXPECT_EQ(saved.error().code(), ErrorCode::kUnavailable) << saved.error().ToString();
  auto read = storage_->LatestResult("down");
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), ErrorCode::kUnavailable);
  EXPECT_FALSE(storage_->Ping());
  ASSERT_TRUE(database_->Resume());
  EXPECT_TRUE(storage_->SaveResult(r, MakeEvent(r)));
  auto latest = storage_->LatestResult("down");
  ASSERT_TRUE(latest && latest->has_value());
}

// WAL checkpoints run beside the commits (sqlite_checkpoint_frames; at 10 times as many the
// writer checkpoints itself): the WAL stays bounded and every result is kept, across reopening.
TEST(SqliteStorage, CheckpointsKeepTheWalBoundedAndEveryResult) {
  testing::TestDatabase database("sqlite");
  StorageOptions options;
  options.sqlite_checkpoint_frames = 50;
  auto storage = OpenStorage(database.url(), options);
  ASSERT_TRUE(storage) << storage.error().ToString();
  // ~10 pages a result (8 KB of metadata twice, the event, the indexes): ~6000 frames in all,
  // about 24 MB of WAL without checkpoints.
  constexpr int kResults = 600;
  const std::string wal = database.url().substr(std::string("sqlite:").size()) + "-wal";
  std::uintmax_t largest_wal = 0;
  for (int i = 0; i < kResults; ++i) {
    StoredResult r = MakeResult("wal", At("2025-11-11T11:00:00Z") + std::chrono::seconds(i), i);
    r.metadata_json = R"({"padding":")" + std::string(8000, 'x') + R"("})";
    ASSERT_TRUE((*storage)->SaveResult(r, MakeEvent(r)));
    largest_wal = std::max(largest_wal, std::filesystem::file_size(wal));
  }
  // 500 frames of 4 KB, plus the commits that may land while a checkpoint is running.
  EXPECT_LT(largest_wal, 1200u * 4120u);
  storage->reset();
  auto reopened = OpenStorage(database.url(), options);
  ASSERT_TRUE(reopened) << reopened.error().ToString();
  auto all = (*reopened)->History("wal", At("2025-01-01"), At("2026-01-01"), 1000);
  ASSERT_TRUE(all) << all.error().ToString();
  ASSERT_EQ(all->size(), static_cast<std::size_t>(kResults));
  EXPECT_EQ(all->back().expected_return, kResults - 1);
}

TEST(StorageUrl, UnknownSchemesAndMissingPathsAreErrors) {
  auto unknown = OpenStorage("mysql://x", StorageOptions{});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().field(), "db");
  EXPECT_FALSE(OpenStorage("sqlite:", StorageOptions{}));
  EXPECT_EQ(RedactedStorageUrl("postgresql://u:secret@h:5/db"), "postgresql://u:***@h:5/db");
  EXPECT_EQ(RedactedStorageUrl("postgresql://h/db?password=secret&x=1"),
            "postgresql://h/db?password=***&x=1");
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageTest, ::testing::Values("sqlite", "postgres"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace
}  // namespace pfopt::rest
