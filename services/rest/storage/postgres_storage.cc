// PostgreSQL implementation of Storage over libpq: prepared statements only (named, prepared
// once per connection), one writer connection used by one committing caller at a time (group
// commit, write_queue.h), a pool of read connections. A lost connection makes calls fail with
// kUnavailable (503) and is re-established on the next call.
//
// The time-series table is partitioned by day (migration 0001): partitions for today and
// tomorrow are created at start and, before a result of a day without one is written, that
// day's partition is created in the same transaction. With TimescaleDB (a hypertable) the
// extension manages its chunks and nothing is created here.
#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <unordered_set>

#include "pfopt/core/enum_names.h"
#include "services/rest/storage/backends.h"
#include "services/rest/storage/connection_pool.h"
#include "services/rest/storage/migrations.h"
#include "services/rest/storage/write_queue.h"

namespace pfopt::rest::internal {

namespace {

struct Statement {
  const char* name;
  const char* sql;
  int parameters;
};

// Timestamps are read back through to_char in UTC, in the fixed format ParseTimestamp reads.
#define PFOPT_PG_TIME(column) \
  "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

const Statement kInsertResult{
    "insert_result",
    "INSERT INTO optimization_results (id, portfolio_id, optimal_weights, expected_return, "
    "expected_volatility, sharpe_ratio, optimization_metadata, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    8};
const Statement kInsertSeries{
    "insert_series",
    "INSERT INTO portfolio_optimization_ts (\"timestamp\", portfolio_id, optimal_weights, "
    "expected_return, expected_volatility, sharpe_ratio, optimization_metadata, result_id) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    8};
const Statement kInsertEvent{
    "insert_event",
    "INSERT INTO event_outbox (event_id, portfolio_id, payload, created_at) "
    "VALUES ($1, $2, $3, $4)",
    4};
const Statement kUpsertConfiguration{
    "upsert_configuration",
    "INSERT INTO optimization_configurations (id, portfolio_id, objective, method, constraints, "
    "risk_parameters, enabled, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) "
    "ON CONFLICT (portfolio_id) DO UPDATE SET objective = excluded.objective, "
    "method = excluded.method, constraints = excluded.constraints, "
    "risk_parameters = excluded.risk_parameters, enabled = excluded.enabled, "
    "updated_at = excluded.updated_at",
    8};
const Statement kSelectConfiguration{
    "select_configuration",
    "SELECT id, portfolio_id, objective, method, constraints, risk_parameters, enabled, " PFOPT_PG_TIME(
        "created_at") ", " PFOPT_PG_TIME("updated_at") " FROM optimization_configurations WHERE "
                                                       "portfolio_id = $1",
    1};
const Statement kListConfigurations{
    "list_configurations",
    "SELECT id, portfolio_id, objective, method, constraints, risk_parameters, enabled, " PFOPT_PG_TIME(
        "created_at") ", " PFOPT_PG_TIME("updated_at") " FROM optimization_configurations WHERE "
                                                       "enabled OR NOT $1::boolean ORDER BY "
                                                       "portfolio_id",
    1};
const Statement kLatestResult{
    "latest_result",
    "SELECT id, portfolio_id, optimal_weights, expected_return, expected_volatility, "
    "sharpe_ratio, optimization_metadata, " PFOPT_PG_TIME(
        "created_at") " FROM optimization_results WHERE portfolio_id = $1 "
                      "ORDER BY created_at DESC LIMIT 1",
    1};
const Statement kHistory{
    "history",
    "SELECT result_id, portfolio_id, optimal_weights, expected_return, expected_volatility, "
    "sharpe_ratio, optimization_metadata, " PFOPT_PG_TIME(
        "\"timestamp\"") " FROM portfolio_optimization_ts WHERE portfolio_id = $1 AND "
                         "\"timestamp\" >= $2 AND \"timestamp\" < $3 ORDER BY \"timestamp\" "
                         "LIMIT $4",
    4};
const Statement kKnown{"known",
                       "SELECT EXISTS (SELECT 1 FROM optimization_results WHERE portfolio_id = $1) "
                       "OR EXISTS (SELECT 1 FROM optimization_configurations WHERE "
                       "portfolio_id = $1)",
                       1};
const Statement kListEvents{
    "list_events",
    "SELECT sequence, event_id, portfolio_id, payload, " PFOPT_PG_TIME(
        "created_at") ", " PFOPT_PG_TIME("published_at") " FROM event_outbox WHERE sequence > $1 "
                                                         "ORDER BY sequence LIMIT $2",
    2};
const Statement kListUnpublished{
    "list_unpublished",
    "SELECT sequence, event_id, portfolio_id, payload, " PFOPT_PG_TIME(
        "created_at") ", " PFOPT_PG_TIME("published_at") " FROM event_outbox WHERE sequence > $1 "
                                                         "AND published_at IS NULL ORDER BY "
                                                         "sequence LIMIT $2",
    2};
const Statement kMarkPublished{
    "mark_published",
    "UPDATE event_outbox SET published_at = $2 WHERE sequence = $1 AND published_at IS NULL", 2};
const Statement kCountUnpublished{
    "count_unpublished", "SELECT count(*) FROM event_outbox WHERE published_at IS NULL", 0};
const Statement kPing{"ping", "SELECT 1", 0};

#undef PFOPT_PG_TIME

const Statement* const kStatements[] = {&kInsertResult,
                                        &kInsertSeries,
                                        &kInsertEvent,
                                        &kUpsertConfiguration,
                                        &kSelectConfiguration,
                                        &kListConfigurations,
                                        &kLatestResult,
                                        &kHistory,
                                        &kKnown,
                                        &kListEvents,
                                        &kListUnpublished,
                                        &kMarkPublished,
                                        &kCountUnpublished,
                                        &kPing};

std::string Number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  return buffer;
}

// Parameters of one call: text values, NULL where absent.
class Params {
 public:
  Params& Add(std::string value) {
    values_.push_back(std::move(value));
    null_.push_back(false);
    return *this;
  }
  Params& Add(double value) {
    if (StoredAsNull(value)) {
      values_.emplace_back();
      null_.push_back(true);
      return *this;
    }
    return Add(Number(value));
  }
  Params& Add(std::int64_t value) { return Add(std::to_string(value)); }
  std::vector<const char*> Pointers() const {
    std::vector<const char*> out;
    for (std::size_t i = 0; i < values_.size(); ++i) {
      out.push_back(null_[i] ? nullptr : values_[i].c_str());
    }
    return out;
  }
  int size() const { return static_cast<int>(values_.size()); }

 private:
  std::vector<std::string> values_;
  std::vector<bool> null_;
};

// A query result; owns the PGresult.
class Rows {
 public:
  explicit Rows(PGresult* result) : result_(result) {}
  Rows(Rows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
  Rows& operator=(Rows&&) = delete;
  Rows(const Rows&) = delete;
  ~Rows() { PQclear(result_); }
  int size() const { return PQntuples(result_); }
  bool null(int row, int column) const { return PQgetisnull(result_, row, column) != 0; }
  std::string text(int row, int column) const {
    return std::string(PQgetvalue(result_, row, column),
                       static_cast<std::size_t>(PQgetlength(result_, row, column)));
  }
  double real(int row, int column) const {
    return null(row, column) ? std::numeric_limits<double>::quiet_NaN()
                             : std::strtod(PQgetvalue(result_, row, column), nullptr);
  }
  std::int64_t integer(int row, int column) const {
    return std::strtoll(PQgetvalue(result_, row, column), nullptr, 10);
  }
  bool boolean(int row, int column) const { return text(row, column) == "t"; }
  TimePoint time(int row, int column) const {
    auto t = ParseTimestamp(text(row, column));
    return t ? *t : TimePoint{};
  }

 private:
  PGresult* result_;
};

class Connection {
 public:
  Connection(std::string url, int connect_timeout)
      : url_(std::move(url)), connect_timeout_(std::to_string(connect_timeout)) {}
  ~Connection() {
    if (conn_ != nullptr) PQfinish(conn_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects (again) if needed and prepares the statements.
  Status Ensure() {
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) return Ok();
    if (conn_ != nullptr) {
      PQfinish(conn_);
      conn_ = nullptr;
    }
    const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
    const char* values[] = {url_.c_str(), connect_timeout_.c_str(), "pfopt", nullptr};
    conn_ = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      std::string message = conn_ != nullptr ? PQerrorMessage(conn_) : "out of memory";
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
      }
      if (conn_ != nullptr) PQfinish(conn_);
      conn_ = nullptr;
      return MakeError(ErrorCode::kUnavailable, "PostgreSQL is unavailable: " + message);
    }
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);  // "already exists" notes
    PFOPT_RETURN_IF_ERROR(Exec("SET TimeZone = 'UTC'"));
    prepared_ = false;
    return Ok();
  }

  Status PrepareAll() {
    if (prepared_) return Ok();
    for (const Statement* s : kStatements) {
      PGresult* result = PQprepare(conn_, s->name, s->sql, s->parameters, nullptr);
      Status status = Check(result, PGRES_COMMAND_OK, s->name);
      PQclear(result);
      PFOPT_RETURN_IF_ERROR(status);
    }
    prepared_ = true;
    return Ok();
  }

  // Plain SQL without parameters (transaction control, DDL, migrations).
  Status Exec(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    Status status = Check(result, PGRES_COMMAND_OK, sql.substr(0, 60));
    if (!status && PQresultStatus(result) == PGRES_TUPLES_OK) status = Ok();
    PQclear(result);
    return status;
  }

  Result<Rows> Query(const std::string& sql) {
    PGresult* result = PQexec(conn_, sql.c_str());
    Status status = Check(result, PGRES_TUPLES_OK, sql.substr(0, 60));
    if (!status) {
      PQclear(result);
      return tl::unexpected(status.error());
    }
    return Rows(result);
  }

  // Runs a prepared statement; `rows` true if it returns rows.
  Result<Rows> Run(const Statement& s, const Params& params, bool rows) {
    PFOPT_RETURN_IF_ERROR(Ensure());
    PFOPT_RETURN_IF_ERROR(PrepareAll());
    const std::vector<const char*> values = params.Pointers();
    PGresult* result =
        PQexecPrepared(conn_, s.name, params.size(), values.data(), nullptr, nullptr, 0);
    Status status = Check(result, rows ? PGRES_TUPLES_OK : PGRES_COMMAND_OK, s.name);
    if (!status) {
      PQclear(result);
      return tl::unexpected(status.error());
    }
    return Rows(result);
  }

  bool ok() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

 private:
  Status Check(PGresult* result, ExecStatusType expected, const std::string& what) {
    if (result != nullptr && PQresultStatus(result) == expected) return Ok();
    std::string message = result != nullptr ? PQresultErrorMessage(result) : "";
    if (message.empty()) message = PQerrorMessage(conn_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
      message.pop_back();
    }
    const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    const std::string sqlstate = state != nullptr ? state : "";
    // Connection lost, server shutting down, or too many connections: try again later.
    const bool unavailable = PQstatus(conn_) != CONNECTION_OK || sqlstate.rfind("08", 0) == 0 ||
                             sqlstate.rfind("57P", 0) == 0 || sqlstate == "53300";
    const bool invalid = sqlstate.rfind("22", 0) == 0;  // data exceptions
    return MakeError(unavailable ? ErrorCode::kUnavailable
                                 : (invalid ? ErrorCode::kInvalidArgument : ErrorCode::kInternal),
                     "PostgreSQL (" + what + "): " + message);
  }

  std::string url_;
  std::string connect_timeout_;
  PGconn* conn_ = nullptr;
  bool prepared_ = false;
};

StoredResult ReadResult(const Rows& rows, int r) {
  StoredResult out;
  out.id = rows.text(r, 0);
  out.portfolio_id = rows.text(r, 1);
  out.optimal_weights_json = rows.text(r, 2);
  out.expected_return = rows.real(r, 3);
  out.expected_volatility = rows.real(r, 4);
  out.sharpe_ratio = rows.real(r, 5);
  out.metadata_json = rows.null(r, 6) ? std::string() : rows.text(r, 6);
  out.created_at = rows.time(r, 7);
  return out;
}

PortfolioConfiguration ReadConfiguration(const Rows& rows, int r) {
  PortfolioConfiguration c;
  c.id = rows.text(r, 0);
  c.portfolio_id = rows.text(r, 1);
  if (auto o = EnumFromString<service::RequestObjective>(rows.text(r, 2))) c.objective = *o;
  if (auto m = EnumFromString<service::RequestMethod>(rows.text(r, 3))) c.method = *m;
  c.constraints_json = rows.text(r, 4);
  c.risk_parameters_json = rows.text(r, 5);
  c.enabled = rows.boolean(r, 6);
  c.created_at = rows.time(r, 7);
  c.updated_at = rows.time(r, 8);
  return c;
}

class PostgresStorage final : public Storage {
 public:
  PostgresStorage(std::string url, const StorageOptions& options)
      : url_(std::move(url)), options_(options), writer_(url_, options.connect_timeout_seconds) {}

  ~PostgresStorage() override { writes_.reset(); }

  Status Init() {
    PFOPT_RETURN_IF_ERROR(writer_.Ensure());
    PFOPT_RETURN_IF_ERROR(Migrate());
    auto kind = writer_.Query(
        "SELECT c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = 'portfolio_optimization_ts' AND n.nspname = current_schema()");
    if (!kind) return tl::unexpected(kind.error());
    partitioned_ = kind->size() == 1 && kind->text(0, 0) == "p";
    if (partitioned_) {
      const TimePoint today = StartOfDay(Now());
      PFOPT_RETURN_IF_ERROR(EnsurePartition(today));
      PFOPT_RETURN_IF_ERROR(EnsurePartition(today + std::chrono::days(1)));
    }
    WriteQueue::Backend backend;
    backend.before_batch = [this] { (void)writer_.Ensure(); };
    backend.begin = [this]() -> Status {
      PFOPT_RETURN_IF_ERROR(writer_.Ensure());
      pending_days_.clear();
      return writer_.Exec("BEGIN");
    };
    backend.commit = [this]() -> Status {
      PFOPT_RETURN_IF_ERROR(writer_.Exec("COMMIT"));
      known_days_.insert(pending_days_.begin(), pending_days_.end());
      return Ok();
    };
    backend.rollback = [this] {
      if (writer_.ok()) (void)writer_.Exec("ROLLBACK");
      pending_days_.clear();
    };
    writes_ = std::make_unique<WriteQueue>(std::move(backend), options_.max_write_batch);
    return Ok();
  }

  std::string_view backend() const override { return "postgresql"; }

  Status SaveResult(const StoredResult& r, const OutboxEvent& e) override {
    return writes_->Run([&]() -> Status {
      if (partitioned_) {
        const TimePoint day = StartOfDay(r.created_at);
        if (!known_days_.count(day.time_since_epoch().count()) &&
            !pending_days_.count(day.time_since_epoch().count())) {
          PFOPT_RETURN_IF_ERROR(CreatePartition(day));
          pending_days_.insert(day.time_since_epoch().count());
        }
      }
      const std::string created = FormatTimestampMicros(r.created_at);
      Params result;
      result.Add(r.id)
          .Add(r.portfolio_id)
          .Add(r.optimal_weights_json)
          .Add(r.expected_return)
          .Add(r.expected_volatility)
          .Add(r.sharpe_ratio)
          .Add(r.metadata_json)
          .Add(created);
      if (auto rows = writer_.Run(kInsertResult, result, false); !rows) {
        return tl::unexpected(rows.error());
      }
      Params series;
      series.Add(created)
          .Add(r.portfolio_id)
          .Add(r.optimal_weights_json)
          .Add(r.expected_return)
          .Add(r.expected_volatility)
          .Add(r.sharpe_ratio)
          .Add(r.metadata_json)
          .Add(r.id);
      if (auto rows = writer_.Run(kInsertSeries, series, false); !rows) {
        return tl::unexpected(rows.error());
      }
      Params event;
      event.Add(e.event_id)
          .Add(e.portfolio_id)
          .Add(e.payload)
          .Add(FormatTimestampMicros(e.created_at));
      if (auto rows = writer_.Run(kInsertEvent, event, false); !rows) {
        return tl::unexpected(rows.error());
      }
      return Ok();
    });
  }

  Result<PortfolioConfiguration> PutConfiguration(const PortfolioConfiguration& c) override {
    PortfolioConfiguration stored;
    Status status = writes_->Run([&]() -> Status {
      Params upsert;
      upsert.Add(c.id.empty() ? NewUuid() : c.id)
          .Add(c.portfolio_id)
          .Add(std::string(EnumToString(c.objective)))
          .Add(std::string(EnumToString(c.method)))
          .Add(c.constraints_json)
          .Add(c.risk_parameters_json)
          .Add(std::string(c.enabled ? "true" : "false"))
          .Add(FormatTimestampMicros(Now()));
      if (auto rows = writer_.Run(kUpsertConfiguration, upsert, false); !rows) {
        return tl::unexpected(rows.error());
      }
      Params select;
      select.Add(c.portfolio_id);
      auto rows = writer_.Run(kSelectConfiguration, select, true);
      if (!rows) return tl::unexpected(rows.error());
      if (rows->size() != 1) return MakeError(ErrorCode::kInternal, "configuration not stored");
      stored = ReadConfiguration(*rows, 0);
      return Ok();
    });
    if (!status) return tl::unexpected(status.error());
    return stored;
  }

  Result<std::optional<PortfolioConfiguration>> GetConfiguration(
      const std::string& portfolio_id) override {
    Params p;
    p.Add(portfolio_id);
    auto rows = Read(kSelectConfiguration, p);
    if (!rows) return tl::unexpected(rows.error());
    if (rows->size() == 0) return std::optional<PortfolioConfiguration>();
    return std::optional<PortfolioConfiguration>(ReadConfiguration(*rows, 0));
  }

  Result<std::vector<PortfolioConfiguration>> ListConfigurations(bool enabled_only) override {
    Params p;
    p.Add(std::string(enabled_only ? "true" : "false"));
    auto rows = Read(kListConfigurations, p);
    if (!rows) return tl::unexpected(rows.error());
    std::vector<PortfolioConfiguration> out;
    for (int r = 0; r < rows->size(); ++r) out.push_back(ReadConfiguration(*rows, r));
    return out;
  }

  Result<std::optional<StoredResult>> LatestResult(const std::string& portfolio_id) override {
    Params p;
    p.Add(portfolio_id);
    auto rows = Read(kLatestResult, p);
    if (!rows) return tl::unexpected(rows.error());
    if (rows->size() == 0) return std::optional<StoredResult>();
    return std::optional<StoredResult>(ReadResult(*rows, 0));
  }

  Result<std::vector<StoredResult>> History(const std::string& portfolio_id, TimePoint from,
                                            TimePoint to, int limit) override {
    Params p;
    p.Add(portfolio_id)
        .Add(FormatTimestampMicros(from))
        .Add(FormatTimestampMicros(to))
        .Add(static_cast<std::int64_t>(limit));
    auto rows = Read(kHistory, p);
    if (!rows) return tl::unexpected(rows.error());
    std::vector<StoredResult> out;
    for (int r = 0; r < rows->size(); ++r) out.push_back(ReadResult(*rows, r));
    return out;
  }

  Result<bool> PortfolioKnown(const std::string& portfolio_id) override {
    Params p;
    p.Add(portfolio_id);
    auto rows = Read(kKnown, p);
    if (!rows) return tl::unexpected(rows.error());
    return rows->size() == 1 && rows->boolean(0, 0);
  }

  Result<std::vector<OutboxEvent>> ListEvents(std::int64_t after, int limit,
                                              bool unpublished_only) override {
    Params p;
    p.Add(after).Add(static_cast<std::int64_t>(limit));
    auto rows = Read(unpublished_only ? kListUnpublished : kListEvents, p);
    if (!rows) return tl::unexpected(rows.error());
    std::vector<OutboxEvent> out;
    for (int r = 0; r < rows->size(); ++r) {
      OutboxEvent e;
      e.sequence = rows->integer(r, 0);
      e.event_id = rows->text(r, 1);
      e.portfolio_id = rows->text(r, 2);
      e.payload = rows->text(r, 3);
      e.created_at = rows->time(r, 4);
      if (!rows->null(r, 5)) e.published_at = rows->time(r, 5);
      out.push_back(std::move(e));
    }
    return out;
  }

  Status MarkPublished(const std::vector<std::int64_t>& sequences, TimePoint at) override {
    if (sequences.empty()) return Ok();
    return writes_->Run([&]() -> Status {
      const std::string when = FormatTimestampMicros(at);
      for (std::int64_t sequence : sequences) {
        Params p;
        p.Add(sequence).Add(when);
        if (auto rows = writer_.Run(kMarkPublished, p, false); !rows) {
          return tl::unexpected(rows.error());
        }
      }
      return Ok();
    });
  }

  Result<std::int64_t> CountUnpublished() override {
    auto rows = Read(kCountUnpublished, Params());
    if (!rows) return tl::unexpected(rows.error());
    return rows->integer(0, 0);
  }

  Status Ping() override {
    auto rows = Read(kPing, Params());
    if (!rows) return tl::unexpected(rows.error());
    return Ok();
  }

 private:
  Result<Rows> Read(const Statement& s, const Params& params) {
    std::unique_ptr<Connection> connection = readers_.Take();
    if (!connection) {
      connection = std::make_unique<Connection>(url_, options_.connect_timeout_seconds);
    }
    auto rows = connection->Run(s, params, true);
    if (connection->ok()) readers_.Return(std::move(connection));
    return rows;
  }

  Status CreatePartition(TimePoint day) {
    const TimePoint next = day + std::chrono::days(1);
    // Identifiers and bounds come from our own date formatting (digits only), not from input.
    return writer_.Exec(
        "CREATE TABLE IF NOT EXISTS portfolio_optimization_ts_p" + FormatDayCompact(day) +
        " PARTITION OF portfolio_optimization_ts FOR VALUES FROM ('" + FormatTimestampMicros(day) +
        "') TO ('" + FormatTimestampMicros(next) + "')");
  }

  // Outside a batch (at start).
  Status EnsurePartition(TimePoint day) {
    PFOPT_RETURN_IF_ERROR(CreatePartition(day));
    known_days_.insert(day.time_since_epoch().count());
    return Ok();
  }

  Status Migrate() {
    PFOPT_RETURN_IF_ERROR(writer_.Exec("BEGIN"));
    auto fail = [&](const Error& error) {
      (void)writer_.Exec("ROLLBACK");
      return tl::unexpected(error);
    };
    // One migrator at a time across service instances.
    if (auto s = writer_.Exec("SELECT pg_advisory_xact_lock(7215092113)"); !s)
      return fail(s.error());
    if (auto s = writer_.Exec(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
            "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
        !s) {
      return fail(s.error());
    }
    auto current = writer_.Query("SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (!current) return fail(current.error());
    const std::int64_t version = current->integer(0, 0);
    for (const Migration& m : MigrationsFor("postgres")) {
      if (m.version <= version) continue;
      if (auto s = writer_.Exec(std::string(m.sql)); !s) {
        return fail(
            Error(ErrorCode::kInternal, "migration " + m.name + " failed: " + s.error().message()));
      }
      // Version and name come from the embedded file names (digits and [a-z_.]).
      if (auto s = writer_.Exec("INSERT INTO schema_migrations (version, name) VALUES (" +
                                std::to_string(m.version) + ", '" + m.name + "')");
          !s) {
        return fail(s.error());
      }
    }
    return writer_.Exec("COMMIT");
  }

  std::string url_;
  StorageOptions options_;
  Connection writer_;  // by the committing caller only (write_queue.h), and Init
  bool partitioned_ = false;
  std::set<std::int64_t> known_days_;    // partitions known to exist (committing caller)
  std::set<std::int64_t> pending_days_;  // created in the open transaction (committing caller)
  std::unique_ptr<WriteQueue> writes_;
  ConnectionPool<Connection> readers_{options_.read_connections};
};

}  // namespace

Result<std::unique_ptr<Storage>> OpenPostgresStorage(const std::string& url,
                                                     const StorageOptions& options) {
  auto storage = std::make_unique<PostgresStorage>(url, options);
  PFOPT_RETURN_IF_ERROR(storage->Init());
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace pfopt::rest::internal
