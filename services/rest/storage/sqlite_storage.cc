// SQLite implementation of Storage: one write connection used by one committing caller at a
// time (group commit, write_queue.h), a pool of read connections (WAL lets reads run beside
// the writes), prepared statements cached per connection, WAL checkpoints on a thread of their
// own.
#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "pfopt/core/enum_names.h"
#include "services/rest/storage/backends.h"
#include "services/rest/storage/connection_pool.h"
#include "services/rest/storage/migrations.h"
#include "services/rest/storage/write_queue.h"

namespace pfopt::rest::internal {

namespace {

constexpr double kNullDouble = std::numeric_limits<double>::quiet_NaN();

// One connection and its prepared statements. Not thread-safe: used by one thread at a time.
class Connection {
 public:
  ~Connection() {
    for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
    if (db_ != nullptr) sqlite3_close(db_);
  }

  Status Open(const std::string& path, bool writer) {
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      return Fail("open " + path);
    }
    sqlite3_busy_timeout(db_, 5000);
    if (writer) {
      PFOPT_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
    }
    PFOPT_RETURN_IF_ERROR(Exec("PRAGMA synchronous=NORMAL"));
    return Ok();
  }

  // Runs SQL without parameters (pragmas, migrations, transaction control).
  Status Exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      std::string text = message != nullptr ? message : "unknown error";
      sqlite3_free(message);
      return MakeError(ErrorCode::kInternal,
                       "SQLite: " + text + " (in: " + sql.substr(0, 80) + ")");
    }
    return Ok();
  }

  // Exec for the statements of every write (BEGIN, COMMIT): prepared once, from the cache
  // (sqlite3_exec parses them again each time). Same errors as Exec.
  Status ExecCached(const char* sql) {
    auto statement = Prepare(sql);
    if (!statement) return tl::unexpected(statement.error());
    const int rc = sqlite3_step(*statement);
    sqlite3_reset(*statement);
    if (rc != SQLITE_DONE) {
      return MakeError(ErrorCode::kInternal, std::string("SQLite: ") + sqlite3_errmsg(db_) +
                                                 " (in: " + std::string(sql).substr(0, 80) + ")");
    }
    return Ok();
  }

  // The cached prepared statement for `sql`, reset and unbound.
  Result<sqlite3_stmt*> Prepare(const char* sql) {
    auto it = statements_.find(sql);
    if (it != statements_.end()) {
      sqlite3_reset(it->second);
      sqlite3_clear_bindings(it->second);
      return it->second;
    }
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) !=
        SQLITE_OK) {
      return Fail("prepare");
    }
    statements_.emplace(sql, statement);
    return statement;
  }

  tl::unexpected<Error> Fail(const std::string& what) const {
    const int code = db_ != nullptr ? sqlite3_errcode(db_) : SQLITE_CANTOPEN;
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "cannot allocate";
    const bool unavailable = code == SQLITE_BUSY || code == SQLITE_LOCKED ||
                             code == SQLITE_CANTOPEN || code == SQLITE_IOERR ||
                             code == SQLITE_FULL || code == SQLITE_READONLY;
    return MakeError(unavailable ? ErrorCode::kUnavailable : ErrorCode::kInternal,
                     "SQLite " + what + ": " + message);
  }

  // A PASSIVE checkpoint of the WAL: `frames` in it, `copied` of them in the database now.
  // False if it failed (or another checkpoint was running).
  bool Checkpoint(int* frames, int* copied) {
    return sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, frames, copied) ==
           SQLITE_OK;
  }

  // Calls `hook` after each commit (sqlite3_wal_hook; it replaces the automatic checkpoint).
  void SetWalHook(int (*hook)(void*, sqlite3*, const char*, int), void* argument) {
    sqlite3_wal_hook(db_, hook, argument);
  }

  // Resets every statement, ending the read transaction a half-stepped one would keep open
  // (which would stop WAL checkpoints).
  void ResetAll() {
    for (auto& [sql, statement] : statements_) sqlite3_reset(statement);
  }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;  // keyed by the literal's address
};

// Binding helpers (1-based indices).
void Bind(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
void Bind(sqlite3_stmt* s, int i, double v) {
  if (StoredAsNull(v)) {
    sqlite3_bind_null(s, i);
  } else {
    sqlite3_bind_double(s, i, v);
  }
}
void Bind(sqlite3_stmt* s, int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); }

std::string Text(sqlite3_stmt* s, int column) {
  const unsigned char* text = sqlite3_column_text(s, column);
  return text != nullptr ? std::string(reinterpret_cast<const char*>(text),
                                       static_cast<std::size_t>(sqlite3_column_bytes(s, column)))
                         : std::string();
}
double Real(sqlite3_stmt* s, int column) {
  return sqlite3_column_type(s, column) == SQLITE_NULL ? kNullDouble
                                                       : sqlite3_column_double(s, column);
}
TimePoint Time(sqlite3_stmt* s, int column) {
  auto t = ParseTimestamp(Text(s, column));
  return t ? *t : TimePoint{};
}

// Steps a statement that returns no rows.
Status Done(Connection& c, sqlite3_stmt* s, const char* what) {
  if (sqlite3_step(s) != SQLITE_DONE) return c.Fail(what);
  return Ok();
}

constexpr const char* kBegin = "BEGIN IMMEDIATE";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kInsertResult =
    "INSERT INTO optimization_results (id, portfolio_id, optimal_weights, expected_return, "
    "expected_volatility, sharpe_ratio, optimization_metadata, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* kInsertSeries =
    "INSERT INTO portfolio_optimization_ts (\"timestamp\", portfolio_id, optimal_weights, "
    "expected_return, expected_volatility, sharpe_ratio, optimization_metadata, result_id) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* kInsertEvent =
    "INSERT INTO event_outbox (event_id, portfolio_id, payload, created_at) "
    "VALUES (?1, ?2, ?3, ?4)";
constexpr const char* kUpsertConfiguration =
    "INSERT INTO optimization_configurations (id, portfolio_id, objective, method, constraints, "
    "risk_parameters, enabled, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) "
    "ON CONFLICT (portfolio_id) DO UPDATE SET objective = excluded.objective, "
    "method = excluded.method, constraints = excluded.constraints, "
    "risk_parameters = excluded.risk_parameters, enabled = excluded.enabled, "
    "updated_at = excluded.updated_at";
constexpr const char* kSelectConfiguration =
    "SELECT id, portfolio_id, objective, method, constraints, risk_parameters, enabled, "
    "created_at, updated_at FROM optimization_configurations WHERE portfolio_id = ?1";
constexpr const char* kListConfigurations =
    "SELECT id, portfolio_id, objective, method, constraints, risk_parameters, enabled, "
    "created_at, updated_at FROM optimization_configurations WHERE enabled OR ?1 = 0 "
    "ORDER BY portfolio_id";
constexpr const char* kLatestResult =
    "SELECT id, portfolio_id, optimal_weights, expected_return, expected_volatility, "
    "sharpe_ratio, optimization_metadata, created_at FROM optimization_results "
    "WHERE portfolio_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 1";
constexpr const char* kHistory =
    "SELECT result_id, portfolio_id, optimal_weights, expected_return, expected_volatility, "
    "sharpe_ratio, optimization_metadata, \"timestamp\" FROM portfolio_optimization_ts "
    "WHERE portfolio_id = ?1 AND \"timestamp\" >= ?2 AND \"timestamp\" < ?3 "
    "ORDER BY \"timestamp\", rowid LIMIT ?4";
constexpr const char* kKnown =
    "SELECT EXISTS (SELECT 1 FROM optimization_results WHERE portfolio_id = ?1) OR "
    "EXISTS (SELECT 1 FROM optimization_configurations WHERE portfolio_id = ?1)";
constexpr const char* kListEvents =
    "SELECT sequence, event_id, portfolio_id, payload, created_at, published_at "
    "FROM event_outbox WHERE sequence > ?1 ORDER BY sequence LIMIT ?2";
constexpr const char* kListUnpublished =
    "SELECT sequence, event_id, portfolio_id, payload, created_at, published_at "
    "FROM event_outbox WHERE sequence > ?1 AND published_at IS NULL ORDER BY sequence LIMIT ?2";
constexpr const char* kMarkPublished =
    "UPDATE event_outbox SET published_at = ?2 WHERE sequence = ?1 AND published_at IS NULL";
constexpr const char* kCountUnpublished =
    "SELECT count(*) FROM event_outbox WHERE published_at IS NULL";

StoredResult ReadResult(sqlite3_stmt* s) {
  StoredResult r;
  r.id = Text(s, 0);
  r.portfolio_id = Text(s, 1);
  r.optimal_weights_json = Text(s, 2);
  r.expected_return = Real(s, 3);
  r.expected_volatility = Real(s, 4);
  r.sharpe_ratio = Real(s, 5);
  r.metadata_json = Text(s, 6);
  r.created_at = Time(s, 7);
  return r;
}

PortfolioConfiguration ReadConfiguration(sqlite3_stmt* s) {
  PortfolioConfiguration c;
  c.id = Text(s, 0);
  c.portfolio_id = Text(s, 1);
  if (auto o = EnumFromString<service::RequestObjective>(Text(s, 2))) c.objective = *o;
  if (auto m = EnumFromString<service::RequestMethod>(Text(s, 3))) c.method = *m;
  c.constraints_json = Text(s, 4);
  c.risk_parameters_json = Text(s, 5);
  c.enabled = sqlite3_column_int(s, 6) != 0;
  c.created_at = Time(s, 7);
  c.updated_at = Time(s, 8);
  return c;
}

// WAL checkpoints, mostly off the commit path. SQLite's automatic checkpoint runs inside the
// commit that takes the WAL past 1000 frames: that commit, and every request queued behind
// it, waited for the copy of the pages into the database and two fsyncs (bench/service/load.sh
// with SQLite: p99 9-10 ms with it, ~6 ms with this). Here, after a commit past `threshold`
// frames, a thread of its own copies the WAL (a PASSIVE checkpoint on its own connection,
// beside the writer and the readers). The commits made meanwhile leave a few frames, which
// the writer copies after its next commit: a small checkpoint that completes, so that the next
// write starts the WAL over. Past 10 x threshold frames the writer waits for the thread and
// checkpoints itself, which bounds the WAL whatever the thread manages.
class Checkpointer {
 public:
  explicit Checkpointer(int threshold) : threshold_(threshold) {}

  ~Checkpointer() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  Status Start(const std::string& path) {
    PFOPT_RETURN_IF_ERROR(connection_.Open(path, /*writer=*/false));
    thread_ = std::thread([this] { Loop(); });
    return Ok();
  }

  // The writer's WAL hook, after each commit on `db`: `frames` are in the WAL. A checkpoint
  // that fails (or finds another running) is tried again after a later commit: nothing is
  // lost, the WAL only grows meanwhile.
  void AfterCommit(sqlite3* db, const char* name, int frames) {
    if (frames < last_frames_) copied_ = 0;  // the WAL started over
    last_frames_ = frames;
    if (frames < threshold_) return;
    std::unique_lock<std::mutex> checkpointing(checkpoint_, std::try_to_lock);
    if (!checkpointing.owns_lock()) {
      if (frames < 10 * threshold_) return;  // the thread is at it
      checkpointing.lock();
    }
    if (frames >= 10 * threshold_ || frames - copied_ <= threshold_ / 8) {
      sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      copied_ = 0;
      return;
    }
    checkpointing.unlock();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      pending_ = true;
    }
    wake_.notify_one();
  }

 private:
  void Loop() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return pending_ || stopping_; });
        if (stopping_) return;
        pending_ = false;
      }
      const std::lock_guard<std::mutex> checkpointing(checkpoint_);
      int frames = 0, copied = 0;
      if (connection_.Checkpoint(&frames, &copied)) copied_ = copied;
    }
  }

  const int threshold_;
  Connection connection_;       // used by the thread only
  std::mutex checkpoint_;       // held while either thread checkpoints
  std::atomic<int> copied_{0};  // WAL frames in the database after the last checkpoint
  int last_frames_ = 0;         // in the WAL after the last commit (committing caller only)
  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(std::string path, const StorageOptions& options)
      : path_(std::move(path)), options_(options) {}

  ~SqliteStorage() override {
    writes_.reset();  // drains the queue while writer_ is alive
    checkpointer_.reset();
  }

  Status Init() {
    PFOPT_RETURN_IF_ERROR(writer_.Open(path_, /*writer=*/true));
    PFOPT_RETURN_IF_ERROR(Migrate());
    checkpointer_ = std::make_unique<Checkpointer>(options_.sqlite_checkpoint_frames);
    PFOPT_RETURN_IF_ERROR(checkpointer_->Start(path_));
    writer_.SetWalHook(&SqliteStorage::OnCommit, this);  // replaces the automatic checkpoint
    WriteQueue::Backend backend;
    backend.begin = [this] { return writer_.ExecCached(kBegin); };
    backend.commit = [this] { return writer_.ExecCached(kCommit); };
    backend.rollback = [this] { (void)writer_.Exec("ROLLBACK"); };
    writes_ = std::make_unique<WriteQueue>(std::move(backend), options_.max_write_batch);
    return Ok();
  }

  std::string_view backend() const override { return "sqlite"; }

  Status SaveResult(const StoredResult& r, const OutboxEvent& e) override {
    return writes_->Run([&]() -> Status {
      const std::string created = FormatTimestampMicros(r.created_at);
      auto insert = writer_.Prepare(kInsertResult);
      if (!insert) return tl::unexpected(insert.error());
      sqlite3_stmt* s = *insert;
      Bind(s, 1, r.id);
      Bind(s, 2, r.portfolio_id);
      Bind(s, 3, r.optimal_weights_json);
      Bind(s, 4, r.expected_return);
      Bind(s, 5, r.expected_volatility);
      Bind(s, 6, r.sharpe_ratio);
      Bind(s, 7, r.metadata_json);
      Bind(s, 8, created);
      PFOPT_RETURN_IF_ERROR(Done(writer_, s, "insert result"));
      auto series = writer_.Prepare(kInsertSeries);
      if (!series) return tl::unexpected(series.error());
      s = *series;
      Bind(s, 1, created);
      Bind(s, 2, r.portfolio_id);
      Bind(s, 3, r.optimal_weights_json);
      Bind(s, 4, r.expected_return);
      Bind(s, 5, r.expected_volatility);
      Bind(s, 6, r.sharpe_ratio);
      Bind(s, 7, r.metadata_json);
      Bind(s, 8, r.id);
      PFOPT_RETURN_IF_ERROR(Done(writer_, s, "insert time series"));
      auto event = writer_.Prepare(kInsertEvent);
      if (!event) return tl::unexpected(event.error());
      s = *event;
      Bind(s, 1, e.event_id);
      Bind(s, 2, e.portfolio_id);
      Bind(s, 3, e.payload);
      Bind(s, 4, FormatTimestampMicros(e.created_at));
      return Done(writer_, s, "insert event");
    });
  }

  Result<PortfolioConfiguration> PutConfiguration(const PortfolioConfiguration& c) override {
    PortfolioConfiguration stored;
    Status status = writes_->Run([&]() -> Status {
      auto upsert = writer_.Prepare(kUpsertConfiguration);
      if (!upsert) return tl::unexpected(upsert.error());
      sqlite3_stmt* s = *upsert;
      Bind(s, 1, c.id.empty() ? NewUuid() : c.id);
      Bind(s, 2, c.portfolio_id);
      Bind(s, 3, std::string(EnumToString(c.objective)));
      Bind(s, 4, std::string(EnumToString(c.method)));
      Bind(s, 5, c.constraints_json);
      Bind(s, 6, c.risk_parameters_json);
      Bind(s, 7, static_cast<std::int64_t>(c.enabled ? 1 : 0));
      Bind(s, 8, FormatTimestampMicros(Now()));
      PFOPT_RETURN_IF_ERROR(Done(writer_, s, "upsert configuration"));
      auto select = writer_.Prepare(kSelectConfiguration);
      if (!select) return tl::unexpected(select.error());
      Bind(*select, 1, c.portfolio_id);
      if (sqlite3_step(*select) != SQLITE_ROW) return writer_.Fail("read configuration");
      stored = ReadConfiguration(*select);
      sqlite3_reset(*select);
      return Ok();
    });
    if (!status) return tl::unexpected(status.error());
    return stored;
  }

  Result<std::optional<PortfolioConfiguration>> GetConfiguration(
      const std::string& portfolio_id) override {
    return One(
        kSelectConfiguration, [&](sqlite3_stmt* s) { Bind(s, 1, portfolio_id); }, ReadConfiguration,
        "read configuration");
  }

  Result<std::vector<PortfolioConfiguration>> ListConfigurations(bool enabled_only) override {
    return All(
        kListConfigurations,
        [&](sqlite3_stmt* s) { Bind(s, 1, static_cast<std::int64_t>(enabled_only ? 1 : 0)); },
        ReadConfiguration, "list configurations");
  }

  Result<std::optional<StoredResult>> LatestResult(const std::string& portfolio_id) override {
    return One(
        kLatestResult, [&](sqlite3_stmt* s) { Bind(s, 1, portfolio_id); }, ReadResult,
        "read latest result");
  }

  Result<std::vector<StoredResult>> History(const std::string& portfolio_id, TimePoint from,
                                            TimePoint to, int limit) override {
    return All(
        kHistory,
        [&](sqlite3_stmt* s) {
          Bind(s, 1, portfolio_id);
          Bind(s, 2, FormatTimestampMicros(from));
          Bind(s, 3, FormatTimestampMicros(to));
          Bind(s, 4, static_cast<std::int64_t>(limit));
        },
        ReadResult, "read history");
  }

  Result<bool> PortfolioKnown(const std::string& portfolio_id) override {
    return WithReader([&](Connection& c) -> Result<bool> {
      auto s = c.Prepare(kKnown);
      if (!s) return tl::unexpected(s.error());
      Bind(*s, 1, portfolio_id);
      if (sqlite3_step(*s) != SQLITE_ROW) return c.Fail("read portfolio");
      return sqlite3_column_int(*s, 0) != 0;
    });
  }

  Result<std::vector<OutboxEvent>> ListEvents(std::int64_t after, int limit,
                                              bool unpublished_only) override {
    return WithReader([&](Connection& c) -> Result<std::vector<OutboxEvent>> {
      auto s = c.Prepare(unpublished_only ? kListUnpublished : kListEvents);
      if (!s) return tl::unexpected(s.error());
      Bind(*s, 1, after);
      Bind(*s, 2, static_cast<std::int64_t>(limit));
      std::vector<OutboxEvent> out;
      int rc;
      while ((rc = sqlite3_step(*s)) == SQLITE_ROW) {
        OutboxEvent e;
        e.sequence = sqlite3_column_int64(*s, 0);
        e.event_id = Text(*s, 1);
        e.portfolio_id = Text(*s, 2);
        e.payload = Text(*s, 3);
        e.created_at = Time(*s, 4);
        if (sqlite3_column_type(*s, 5) != SQLITE_NULL) e.published_at = Time(*s, 5);
        out.push_back(std::move(e));
      }
      if (rc != SQLITE_DONE) return c.Fail("list events");
      return out;
    });
  }

  Status MarkPublished(const std::vector<std::int64_t>& sequences, TimePoint at) override {
    if (sequences.empty()) return Ok();
    return writes_->Run([&]() -> Status {
      const std::string when = FormatTimestampMicros(at);
      for (std::int64_t sequence : sequences) {
        auto s = writer_.Prepare(kMarkPublished);
        if (!s) return tl::unexpected(s.error());
        Bind(*s, 1, sequence);
        Bind(*s, 2, when);
        PFOPT_RETURN_IF_ERROR(Done(writer_, *s, "mark published"));
      }
      return Ok();
    });
  }

  Result<std::int64_t> CountUnpublished() override {
    return WithReader([&](Connection& c) -> Result<std::int64_t> {
      auto s = c.Prepare(kCountUnpublished);
      if (!s) return tl::unexpected(s.error());
      if (sqlite3_step(*s) != SQLITE_ROW) return c.Fail("count events");
      return static_cast<std::int64_t>(sqlite3_column_int64(*s, 0));
    });
  }

  Status Ping() override {
    return WithReader([&](Connection& c) -> Status {
      auto s = c.Prepare("SELECT 1");
      if (!s) return tl::unexpected(s.error());
      if (sqlite3_step(*s) != SQLITE_ROW) return c.Fail("ping");
      return Ok();
    });
  }

 private:
  // The first row of a query (bound by `bind`) read by `read`, or nullopt.
  template <class Bind, class Read>
  auto One(const char* sql, Bind bind, Read read, const char* what)
      -> Result<std::optional<decltype(read(nullptr))>> {
    using Row = decltype(read(nullptr));
    return WithReader([&](Connection& c) -> Result<std::optional<Row>> {
      auto s = c.Prepare(sql);
      if (!s) return tl::unexpected(s.error());
      bind(*s);
      const int rc = sqlite3_step(*s);
      if (rc == SQLITE_DONE) return std::optional<Row>();
      if (rc != SQLITE_ROW) return c.Fail(what);
      return std::optional<Row>(read(*s));
    });
  }

  // Every row of a query.
  template <class Bind, class Read>
  auto All(const char* sql, Bind bind, Read read, const char* what)
      -> Result<std::vector<decltype(read(nullptr))>> {
    using Row = decltype(read(nullptr));
    return WithReader([&](Connection& c) -> Result<std::vector<Row>> {
      auto s = c.Prepare(sql);
      if (!s) return tl::unexpected(s.error());
      bind(*s);
      std::vector<Row> out;
      int rc;
      while ((rc = sqlite3_step(*s)) == SQLITE_ROW) out.push_back(read(*s));
      if (rc != SQLITE_DONE) return c.Fail(what);
      return out;
    });
  }

  // Borrows a read connection for `body` (opening one if the pool is empty).
  template <class F>
  auto WithReader(F&& body) -> decltype(body(std::declval<Connection&>())) {
    std::unique_ptr<Connection> connection = readers_.Take();
    if (!connection) {
      connection = std::make_unique<Connection>();
      if (auto status = connection->Open(path_, /*writer=*/false); !status) {
        return tl::unexpected(status.error());
      }
    }
    auto result = body(*connection);
    connection->ResetAll();
    readers_.Return(std::move(connection));
    return result;
  }

  // The writer's WAL hook, after each commit (it replaces SQLite's automatic checkpoint).
  static int OnCommit(void* self, sqlite3* db, const char* name, int frames) {
    static_cast<SqliteStorage*>(self)->checkpointer_->AfterCommit(db, name, frames);
    return SQLITE_OK;
  }

  Status Migrate() {
    PFOPT_RETURN_IF_ERROR(
        writer_.Exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                     "name TEXT NOT NULL, applied_at TEXT NOT NULL)"));
    auto current = writer_.Prepare("SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (!current) return tl::unexpected(current.error());
    if (sqlite3_step(*current) != SQLITE_ROW) return writer_.Fail("read schema version");
    const int version = sqlite3_column_int(*current, 0);
    sqlite3_reset(*current);
    for (const Migration& m : MigrationsFor("sqlite")) {
      if (m.version <= version) continue;
      PFOPT_RETURN_IF_ERROR(writer_.Exec("BEGIN IMMEDIATE"));
      Status status = writer_.Exec(std::string(m.sql));
      if (status) {
        auto record = writer_.Prepare(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)");
        if (!record) return tl::unexpected(record.error());
        Bind(*record, 1, static_cast<std::int64_t>(m.version));
        Bind(*record, 2, m.name);
        Bind(*record, 3, FormatTimestampMicros(Now()));
        status = Done(writer_, *record, "record migration");
      }
      if (!status) {
        (void)writer_.Exec("ROLLBACK");
        return MakeError(ErrorCode::kInternal,
                         "migration " + m.name + " failed: " + status.error().message());
      }
      PFOPT_RETURN_IF_ERROR(writer_.Exec("COMMIT"));
    }
    return Ok();
  }

  std::string path_;
  StorageOptions options_;
  Connection writer_;  // used by the committing caller only (write_queue.h), and by Init
  std::unique_ptr<Checkpointer> checkpointer_;
  std::unique_ptr<WriteQueue> writes_;
  ConnectionPool<Connection> readers_{options_.read_connections};
};

}  // namespace

Result<std::unique_ptr<Storage>> OpenSqliteStorage(const std::string& path,
                                                   const StorageOptions& options) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) {
      return MakeError(ErrorCode::kIoError,
                       "cannot create the folder " + parent.string() + ": " + error.message());
    }
  }
  auto storage = std::make_unique<SqliteStorage>(path, options);
  PFOPT_RETURN_IF_ERROR(storage->Init());
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace pfopt::rest::internal
