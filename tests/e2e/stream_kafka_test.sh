#!/usr/bin/env bash
# End to end over Kafka (librdkafka's mock cluster, 3 brokers, 3 partitions, in its own process):
#   1. feed -> stream -> weights: simulated Casablanca quotes through every stage; the Weights
#      topic carries the portfolio's weights (decoded from the recording with python3-avro);
#   2. the same quotes on a fresh cluster, the stream process killed with SIGKILL mid-run and
#      restarted from its checkpoints: its final statistics must equal run 1's exactly.
# Usage: stream_kafka_test.sh PFOPT PFOPT_KAFKA_MOCK
set -euo pipefail
pfopt=$1
mock=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
config=$root/tests/data/stream/casablanca_e2e.json
tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
[[ -n ${KEEP_TMP:-} ]] && trap - EXIT

topics=intraday-stock-prices,portfWindowReturns,portfStats,portfUpdatedStats,portfMetrics,Weights,pfopt-dead-letters
start_mock() {  # sets $brokers; the mock serves until the script ends (SIGTERM in cleanup)
  local out=$tmp/mock_$1.out
  "$mock" --brokers 3 --partitions 3 --topics "$topics" --until-signal >"$out" &
  pids+=($!)
  for _ in $(seq 50); do [[ -s $out ]] && break; sleep 0.1; done
  brokers=$(head -1 "$out")
  [[ -n $brokers ]] || { echo "the mock cluster did not start"; exit 1; }
}
kafka=(--kafka-producer-config linger.ms=5 --kafka-consumer-config session.timeout.ms=6000
       --kafka-consumer-config heartbeat.interval.ms=500)
simulate=(--config "$config" --periods 300 --ticks-per-period 2 --seed 7)
stream=(--config "$config" --from-earliest --out-of-orderness 0)

echo "== run 1: feed, then stream to the end"
start_mock a
"$pfopt" feed simulate "${simulate[@]}" --kafka-brokers "$brokers" "${kafka[@]}" >"$tmp/feed1.json"
"$pfopt" stream "${stream[@]}" --kafka-brokers "$brokers" "${kafka[@]}" --exit-at-end \
  --status-interval 0 --checkpoint-dir "$tmp/ckpt1" --record "$tmp/rec1" --state-out "$tmp/state1.json" \
  >"$tmp/summary1.json" 2>"$tmp/stream1.log" || { cat "$tmp/stream1.log"; exit 1; }
cat "$tmp/summary1.json"

echo "== run 2: stream killed with SIGKILL while the feed runs, then restarted"
start_mock b
"$pfopt" stream "${stream[@]}" --kafka-brokers "$brokers" "${kafka[@]}" --status-interval 0.2 \
  --checkpoint-dir "$tmp/ckpt2" >"$tmp/summary2a.json" 2>"$tmp/stream2a.log" &
stream_pid=$!
pids+=($stream_pid)
# 300 periods x 2 s of event time at 50x: the feed takes about 12 s.
"$pfopt" feed simulate "${simulate[@]}" --speed 50 --kafka-brokers "$brokers" "${kafka[@]}" \
  >"$tmp/feed2.json" &
feed_pid=$!
pids+=($feed_pid)
# Kill once the statistics stage has taken in some 40 windows (of 298), while the feed runs.
updates() { grep -o 'statistics_updates [0-9]*' "$tmp/stream2a.log" | tail -1 | cut -d' ' -f2; }
for _ in $(seq 300); do
  [[ $(updates) -ge 40 ]] 2>/dev/null && break
  sleep 0.05
done
kill -0 "$feed_pid"  # the feed must still be running: the kill is mid-run
kill -KILL "$stream_pid"
wait "$stream_pid" 2>/dev/null || true
echo "killed the stream after about $(updates) statistics updates; checkpoints: $(ls "$tmp/ckpt2" | tr '\n' ' ')"
wait "$feed_pid"
"$pfopt" stream "${stream[@]}" --kafka-brokers "$brokers" "${kafka[@]}" --exit-at-end \
  --status-interval 0 --checkpoint-dir "$tmp/ckpt2" --state-out "$tmp/state2.json" \
  >"$tmp/summary2b.json" 2>"$tmp/stream2b.log" || { cat "$tmp/stream2b.log"; exit 1; }
cat "$tmp/summary2b.json"

echo "== checks"
/usr/bin/python3 - "$tmp" <<'PY'
import io, json, struct, sys
import avro.io, avro.schema

tmp = sys.argv[1]
s1 = json.load(open(tmp + "/state1.json"))
s2 = json.load(open(tmp + "/state2.json"))
a = s1["stages"]["statistics"]["casablanca"]
b = s2["stages"]["statistics"]["casablanca"]
# 300 periods: windows 0..298 close (the last waits for a later tick), 298 returns + 52 prior.
assert a["observations"] == 52 + 298, a["observations"]
for key in ("observations", "mean", "covariance", "closed_through_ms"):
    assert a[key] == b[key], "statistics differ after the kill/restart: " + key
summary = json.load(open(tmp + "/summary2b.json"))["counters"]
print("restart re-read", summary["price_ticks"], "ticks;", summary["duplicate_windows"],
      "duplicate windows and", summary["skipped_already_processed"], "already-processed messages skipped")

# The Weights topic of run 1, decoded by an independent Avro implementation.
schema = avro.schema.parse(open(tmp + "/rec1/Weights.avsc").read())
data = open(tmp + "/rec1/Weights.avro-stream", "rb").read()
meta = [json.loads(line) for line in open(tmp + "/rec1/Weights.meta.jsonl")]
records, pos = [], 0
while pos < len(data):
    (n,) = struct.unpack(">I", data[pos:pos + 4])
    records.append(avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(data[pos + 4:pos + 4 + n]))))
    pos += 4 + n
assert len(records) == len(meta) >= 2, (len(records), len(meta))
for r, m in zip(records, meta):
    assert r["portfolio_id"] == "casablanca" == m["key"]
    assert abs(sum(r["weights"].values()) - 1.0) < 1e-4 and min(r["weights"].values()) >= -1e-12
c1 = json.load(open(tmp + "/summary1.json"))["counters"]
assert c1["weights_published"] == len(records) and c1["reoptimizations"] > 0, c1
assert c1["dead_letters"] == 0 and c1["price_ticks"] == 300 * 2 * 11, c1
print("run 1:", len(records), "Weights messages for casablanca;", c1["reoptimizations"],
      "re-optimisations; statistics equal after SIGKILL + restart")
PY
echo "stream_kafka_test: OK"
