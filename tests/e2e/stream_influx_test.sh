#!/usr/bin/env bash
# End to end with a real InfluxDB (Debian's influxdb 1.x, started here on 127.0.0.1 with its own
# temporary directories): pfopt stream, in process with a simulated feed, writes metrics and
# weights in line protocol; every metrics point and every weight arrives and can be queried.
# Usage: stream_influx_test.sh PFOPT
set -euo pipefail
pfopt=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v influxd >/dev/null; then
  echo "influxd is not installed (scripts/setup.sh installs the influxdb package)"
  exit 1
fi
tmp=$(mktemp -d)
influx_pid=""
cleanup() {
  [[ -n $influx_pid ]] && kill "$influx_pid" 2>/dev/null && wait "$influx_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
[[ -n ${KEEP_TMP:-} ]] && trap - EXIT

# Two free loopback ports (HTTP and the RPC service, which binds too).
read -r http_port rpc_port < <(/usr/bin/python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
cat >"$tmp/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"
[meta]
  dir = "$tmp/meta"
[data]
  dir = "$tmp/data"
  wal-dir = "$tmp/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$http_port"
  log-enabled = false
CONF
influxd -config "$tmp/influxdb.conf" >"$tmp/influxd.log" 2>&1 &
influx_pid=$!
url=http://127.0.0.1:$http_port
for _ in $(seq 100); do curl -sf "$url/ping" >/dev/null && break; sleep 0.1; done
curl -sf "$url/ping" >/dev/null || { cat "$tmp/influxd.log"; exit 1; }
curl -sf -XPOST "$url/query" --data-urlencode "q=CREATE DATABASE pfopt" >/dev/null

"$pfopt" stream --config "$root/tests/data/stream/casablanca_e2e.json" --source simulate \
  --periods 400 --out-of-orderness 0 --influx-url "$url" --influx-db pfopt --influx-batch 100 \
  --influx-flush-interval 0.2 --status-interval 0 --history "$tmp/history.jsonl" \
  >"$tmp/summary.json" 2>"$tmp/stream.log" ||
  { cat "$tmp/stream.log"; exit 1; }
cat "$tmp/summary.json"

query() { curl -sf -G "$url/query" --data-urlencode "db=pfopt" --data-urlencode "q=$1"; }
query 'SELECT count(sharpe_ratio) FROM portfolio_metrics' >"$tmp/metrics.json"
query 'SELECT count(weight) FROM "AKT"' >"$tmp/weights.json"
query 'SELECT last(risk), last(expected_return) FROM portfolio_metrics WHERE portfolio_id = '"'"'casablanca'"'" >"$tmp/last.json"
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
summary = json.load(open(tmp + "/summary.json"))
counters, influx = summary["counters"], summary["influxdb"]
def count(name):
    series = json.load(open(tmp + "/" + name))["results"][0]["series"]
    return series[0]["values"][0][1]
assert influx["dropped"] == 0 and influx["sent"] == influx["queued"], influx
# A point is identified by measurement, tags and time: metrics recomputed for new weights at the
# same event time replace the earlier point (last write wins), so InfluxDB holds one point per
# distinct time. The history file lists everything published.
history = [json.loads(line) for line in open(tmp + "/history.jsonl")]
metrics = [h for h in history if h["type"] == "metrics"]
weights = [h for h in history if h["type"] == "weights"]
assert len(metrics) == counters["metrics_emitted"] and len(weights) == counters["weights_published"]
metric_times = {h["timestamp_ms"] for h in metrics}
weight_times = {h["timestamp_ms"] for h in weights}
assert count("metrics.json") == len(metric_times) > 300, (count("metrics.json"), len(metric_times))
assert count("weights.json") == len(weight_times) >= 2, (count("weights.json"), len(weight_times))
last = json.load(open(tmp + "/last.json"))["results"][0]["series"][0]["values"][0]
assert last[1] > 0 and last[2] == last[2], last
print("InfluxDB holds", count("metrics.json"), "metrics points and", count("weights.json"),
      "AKT weights (every one written)")
PY
echo "stream_influx_test: OK"
