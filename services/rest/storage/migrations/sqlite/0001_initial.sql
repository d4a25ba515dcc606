-- pfopt service schema, SQLite (the embedded default). Timestamps are UTC ISO 8601 text of
-- fixed width ("2025-06-21T10:00:00.123456Z"), so text order is time order; JSON is text.

-- Command side.
CREATE TABLE optimization_configurations (
  id TEXT PRIMARY KEY,                      -- uuid
  portfolio_id TEXT NOT NULL UNIQUE,        -- 1..100 characters
  objective TEXT NOT NULL,
  method TEXT NOT NULL,
  constraints TEXT NOT NULL,                -- JSON object
  risk_parameters TEXT NOT NULL,            -- JSON object
  enabled INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE optimization_results (
  id TEXT PRIMARY KEY,                      -- uuid
  portfolio_id TEXT NOT NULL,
  optimal_weights TEXT NOT NULL,            -- JSON object, request order
  expected_return REAL,
  expected_volatility REAL,
  sharpe_ratio REAL,
  optimization_metadata TEXT,               -- JSON object
  created_at TEXT NOT NULL
);
CREATE INDEX optimization_results_portfolio_time
  ON optimization_results (portfolio_id, created_at);

-- Events waiting for (or already delivered to) Kafka, written with their result.
CREATE TABLE event_outbox (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL UNIQUE,            -- uuid
  portfolio_id TEXT NOT NULL,               -- Kafka key
  payload TEXT NOT NULL,                    -- event JSON
  created_at TEXT NOT NULL,
  published_at TEXT                         -- NULL until Kafka acknowledged it
);
CREATE INDEX event_outbox_unpublished ON event_outbox (sequence) WHERE published_at IS NULL;

-- Query side: the time series of results.
CREATE TABLE portfolio_optimization_ts (
  "timestamp" TEXT NOT NULL,
  portfolio_id TEXT NOT NULL,
  optimal_weights TEXT NOT NULL,
  expected_return REAL,
  expected_volatility REAL,
  sharpe_ratio REAL,
  optimization_metadata TEXT,
  result_id TEXT                            -- optimization_results.id
);
CREATE INDEX portfolio_optimization_ts_portfolio_time
  ON portfolio_optimization_ts (portfolio_id, "timestamp");
