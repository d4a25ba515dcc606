#!/usr/bin/env bash
# Load benchmark of the service: POST /api/v1/optimize, 20 assets x 1000 days of returns, max
# Sharpe (bench/service/request_20x1000.json, made by make_request.py), with wrk on 127.0.0.1
# against `pfopt serve` (release build) on SQLite and on a throwaway PostgreSQL cluster.
# Prints throughput, latency percentiles (wrk, whole request) and the server's CPU time per
# request (user + system, from /proc: the machine-independent part of the cost).
# Usage: bench/service/load.sh [seconds per run (default 10)] [connections (default 4)]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-10}"
connections="${2:-4}"
scripts/build.sh release --target pfopt >/dev/null
pfopt="$PWD/build/release/apps/pfopt/pfopt"
request="$PWD/bench/service/request_20x1000.json"
work=$(mktemp -d)
server=""
cleanup() {
  if [[ -n "$server" ]]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  bash tests/integration/pg_cluster.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

run() {  # run LABEL DB_URL
  local label="$1" db="$2" url
  "$pfopt" serve --port 0 --db "$db" >"$work/out" 2>"$work/err" &
  server=$!
  for _ in $(seq 1 200); do grep -q "listening on" "$work/out" 2>/dev/null && break; sleep 0.05; done
  url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/out" | head -1)
  [[ -n "$url" ]] || { cat "$work/err" >&2; exit 1; }
  # Warm-up (connections, caches, SQLite WAL), then the measured run.
  REQUEST="$request" wrk -t1 -c"$connections" -d2s -s bench/service/post.lua "$url/api/v1/optimize" >/dev/null
  local before after result
  before=$(awk '{print $14 + $15}' "/proc/$server/stat")
  result=$(REQUEST="$request" wrk -t1 -c"$connections" -d"${seconds}s" -s bench/service/post.lua \
           "$url/api/v1/optimize" | tail -1)
  after=$(awk '{print $14 + $15}' "/proc/$server/stat")
  kill -TERM "$server"; wait "$server" || true; server=""
  /usr/bin/python3 - "$label" "$result" "$before" "$after" "$(getconf CLK_TCK)" <<'PY'
import json, sys
label, result, before, after, hz = sys.argv[1], json.loads(sys.argv[2]), *map(float, sys.argv[3:])
cpu_ms = (after - before) / hz * 1e3 / max(result["requests"], 1)
print(f"| {label} | {result['throughput']:.0f} | {result['p50_us']/1e3:.2f} | {result['p99_us']/1e3:.2f} "
      f"| {result['p999_us']/1e3:.2f} | {cpu_ms:.3f} | {result['non_2xx'] + result['socket_errors']} |")
PY
}

echo "load: ${seconds} s per run, wrk 1 thread, ${connections} connections, $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg)"
echo "| database | requests/s | p50 (ms) | p99 (ms) | p99.9 (ms) | server CPU per request (ms) | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|"
run "SQLite (WAL, synchronous=NORMAL)" "sqlite:$work/sqlite/pfopt.db"
bash tests/integration/pg_cluster.sh start "$work/pg" >/dev/null
run "PostgreSQL 15 (local, fsync off)" "$(cat "$work/pg/url")"
