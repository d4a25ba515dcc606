-- pfopt service schema, PostgreSQL. JSON columns are `json` (not jsonb) so that weights keep
-- the request order of the strategies.

-- Command side.
CREATE TABLE optimization_configurations (
  id uuid PRIMARY KEY,
  portfolio_id varchar(100) NOT NULL UNIQUE,
  objective varchar(50) NOT NULL,
  method varchar(50) NOT NULL,
  constraints json NOT NULL,
  risk_parameters json NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE optimization_results (
  id uuid PRIMARY KEY,
  portfolio_id varchar(100) NOT NULL,
  optimal_weights json NOT NULL,
  expected_return double precision,
  expected_volatility double precision,
  sharpe_ratio double precision,
  optimization_metadata json,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX optimization_results_portfolio_time
  ON optimization_results (portfolio_id, created_at DESC);

-- Events waiting for (or already delivered to) Kafka, written with their result.
CREATE TABLE event_outbox (
  sequence bigserial PRIMARY KEY,
  event_id uuid NOT NULL UNIQUE,
  portfolio_id varchar(100) NOT NULL,
  payload json NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz
);
CREATE INDEX event_outbox_unpublished ON event_outbox (sequence) WHERE published_at IS NULL;

-- Query side: the time series of results, by day. A TimescaleDB hypertable with 1-day chunks
-- where the extension can be created; otherwise declarative range partitions by day, which
-- the service creates ahead of use (today and tomorrow at start, then on demand).
DO $migration$
BEGIN
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
      RAISE EXCEPTION 'timescaledb is not available';
    END IF;
    CREATE EXTENSION IF NOT EXISTS timescaledb;
    CREATE TABLE portfolio_optimization_ts (
      "timestamp" timestamptz NOT NULL,
      portfolio_id varchar(100) NOT NULL,
      optimal_weights json NOT NULL,
      expected_return double precision,
      expected_volatility double precision,
      sharpe_ratio double precision,
      optimization_metadata json,
      result_id uuid
    );
    PERFORM create_hypertable('portfolio_optimization_ts', 'timestamp',
                              chunk_time_interval => INTERVAL '1 day');
  EXCEPTION WHEN OTHERS THEN
    CREATE TABLE portfolio_optimization_ts (
      "timestamp" timestamptz NOT NULL,
      portfolio_id varchar(100) NOT NULL,
      optimal_weights json NOT NULL,
      expected_return double precision,
      expected_volatility double precision,
      sharpe_ratio double precision,
      optimization_metadata json,
      result_id uuid
    ) PARTITION BY RANGE ("timestamp");
  END;
END
$migration$;
CREATE INDEX portfolio_optimization_ts_portfolio_time
  ON portfolio_optimization_ts (portfolio_id, "timestamp");
