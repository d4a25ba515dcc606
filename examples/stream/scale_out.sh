#!/usr/bin/env bash
# Worked example of docs/streaming.md ("Scale-out"): two `pfopt stream` processes in one consumer
# group split the partitions of a 3-broker, 3-partition Kafka (librdkafka's mock cluster), and
# each portfolio's state lives in exactly one of them.
# Usage: examples/stream/scale_out.sh [BUILD_DIR]   (default build/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/release}
pfopt=$build/apps/pfopt/pfopt
tmp=$(mktemp -d)
"$build/tests/pfopt_kafka_mock" --brokers 3 --partitions 3 --until-signal --topics \
  intraday-stock-prices,portfWindowReturns,portfStats,portfUpdatedStats,portfMetrics,Weights,pfopt-dead-letters \
  >"$tmp/mock.out" &
mock=$!
trap 'kill $mock 2>/dev/null; wait $mock 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [[ -s $tmp/mock.out ]] && break; sleep 0.1; done
brokers=$(head -1 "$tmp/mock.out")
kafka=(--kafka-brokers "$brokers" --kafka-producer-config linger.ms=5
       --kafka-consumer-config session.timeout.ms=6000)
config=examples/stream/three_portfolios.json

# Two processes, same stages, hence the same group (pfopt-stream-returns-statistics-metrics-
# rebalance), sharing one checkpoint directory (each writes only the partitions it owns).
for n in 1 2; do
  "$pfopt" stream --config "$config" "${kafka[@]}" --from-earliest --out-of-orderness 0 \
    --checkpoint-dir "$tmp/checkpoints" --status-interval 1 --state-out "$tmp/state$n.json" \
    >"$tmp/summary$n.json" 2>"$tmp/log$n.txt" &
  pids[$n]=$!
done
# Wait until the group has settled: the two members hold 3 + 3 + ... partitions between them.
assigned() { grep -o 'assigned .*' "$tmp/log$1.txt" 2>/dev/null | tail -1 | wc -w || true; }
for _ in $(seq 300); do
  (( $(assigned 1) > 1 && $(assigned 2) > 1 && $(assigned 1) + $(assigned 2) == 2 + 18 )) && break
  sleep 0.1
done

# 300 simulated weeks of the 11 Casablanca stocks (one week per 2 s window).
"$pfopt" feed simulate --config "$config" --periods 300 "${kafka[@]}"

# Let both catch up (their status lines count the price ticks they processed), then stop them
# cleanly (SIGTERM: checkpoint, leave the group, write --state-out).
ticks() { grep -o 'price_ticks [0-9]*' "$tmp/log$1.txt" | tail -1 | cut -d' ' -f2 || true; }
for _ in $(seq 300); do
  t1=$(ticks 1); t2=$(ticks 2)
  (( ${t1:-0} + ${t2:-0} == 3300 )) && break
  sleep 0.1
done
sleep 3
kill -TERM "${pids[1]}" "${pids[2]}"
wait "${pids[1]}" "${pids[2]}"
for n in 1 2; do
  echo "== process $n"
  grep -o 'assigned .*' "$tmp/log$n.txt" | tail -1
  /usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["stages"]
print("  price partitions (returns stage):", sorted(s["returns"]))
print("  portfolios (statistics stage):", {p: v["observations"] for p, v in s["statistics"].items()})
print("  weights held (rebalance stage):", sorted(s["rebalance"]))' "$tmp/state$n.json"
done
# Each portfolio in exactly one process, every price partition in exactly one, nothing lost.
/usr/bin/python3 - "$tmp/state1.json" "$tmp/state2.json" <<'PY'
import json, sys
states = [json.load(open(path))["stages"] for path in sys.argv[1:]]
owners = {}
for process, s in enumerate(states, 1):
    assert s["statistics"] and s["returns"], "process %d owns nothing" % process
    for p, v in s["statistics"].items():
        assert p not in owners and v["observations"] == 52 + 298, (p, owners, v["observations"])
        owners[p] = process
parts = [sorted(s["returns"]) for s in states]
assert sorted(parts[0] + parts[1]) == ["0", "1", "2"], parts
assert sorted(owners) == ["casablanca", "casablanca-banks", "casablanca-industry"], owners
print("scale-out: each portfolio in exactly one process:", owners)
PY
