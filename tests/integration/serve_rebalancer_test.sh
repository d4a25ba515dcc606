#!/usr/bin/env bash
# `pfopt serve --rebalancer`: the whole loop in one process (simulated Casablanca prices ->
# in-process bus -> statistics -> metrics -> trigger -> re-optimisation -> results in SQLite).
# Checks: the start-up weights are the Black-Litterman ones (against the independent numpy +
# cvxopt reference), re-optimised weights arrive as results with events, a stored
# configuration (max_weight) is honoured after a restart and by `pfopt stream --db`, a disabled
# one takes the portfolio out, SIGTERM stops everything cleanly.
# Usage: serve_rebalancer_test.sh PATH_TO_PFOPT
set -euo pipefail
pfopt="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
work=$(mktemp -d)
pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "serve_rebalancer_test: FAIL: $*" >&2
  echo "--- stdout" >&2; cat "$work/out" >&2 || true
  echo "--- stderr" >&2; tail -20 "$work/err" >&2 || true
  exit 1
}

# The results stored after the first $before in $work/history.json: at least one, every weight
# within the stored configuration's max_weight of 0.2. $1 names who stored them.
weights_within_max() {
  py "
import json
h = json.load(open('$work/history.json'))['results'][$before:]
assert h, 'no new weights'
for r in h:
    assert max(r['optimal_weights'].values()) <= 0.2 + 1e-9, r['optimal_weights']
" || fail "$1: no new weights, or max_weight 0.2 not honoured"
}
start() {  # start [extra flags...]
  "$pfopt" serve --port 0 --db "sqlite:$work/pfopt.db" "$@" >"$work/out" 2>"$work/err" &
  pid=$!
  for _ in $(seq 1 200); do
    grep -q "listening on" "$work/out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || fail "serve exited early"
    sleep 0.05
  done
  url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/out" | head -1)
  [[ -n "$url" ]] || fail "no ready message"
}
stop() {
  kill -TERM "$pid"
  set +e
  wait "$pid"; code=$?
  set -e
  pid=""
  [[ $code -eq 0 ]] || fail "SIGTERM: exit $code"
}
py() { /usr/bin/python3 -c "$1"; }

# 1. The whole loop: start-up weights, then re-optimisations after Sharpe breaches.
start --rebalancer "$root/examples/stream/casablanca.json" --rebalancer-speed 60
grep -q "api/v1/optimization/casablanca/latest" "$work/out" || fail "no 'where to look' line"
for _ in $(seq 1 200); do
  curl -s "$url/api/v1/optimization/casablanca/history?limit=100" >"$work/history.json"
  n=$(py "import json; print(json.load(open('$work/history.json'))['count'])")
  [[ $n -ge 2 ]] && break
  sleep 0.1
done
[[ $n -ge 2 ]] || fail "fewer than 2 stored weights after 20 s"
py "
import json
h = json.load(open('$work/history.json'))['results']
ref = json.load(open('$root/tests/data/black_litterman/casablanca_reference.json'))
first = h[0]['optimal_weights']
d = max(abs(first[t] - w) for t, w in zip(ref['tickers'], ref['max_sharpe_weights']))
assert d < 1e-9, 'start-up weights differ from the Black-Litterman reference by %g' % d
for r in h:
    assert abs(sum(r['optimal_weights'].values()) - 1) < 1e-9
    assert min(r['optimal_weights'].values()) >= -1e-12
" || fail "stored weights"
curl -s "$url/api/v1/events" >"$work/events.json"
py "
import json
e = json.load(open('$work/events.json'))
assert len([x for x in e['events'] if x['portfolio_id'] == 'casablanca']) >= 2, e
" || fail "no portfolio_optimized events"
stop
grep -q "rebalancer stopped" "$work/err" || fail "no rebalancer summary"

# 2. A stored configuration with a weight cap is honoured after a restart.
start
status=$(curl -s -o "$work/put.json" -w '%{http_code}' -X PUT \
  "$url/api/v1/portfolios/casablanca/configuration" -H 'Content-Type: application/json' \
  --data '{"objective": "MAX_SHARPE", "constraints": {"max_weight": 0.2}}')
[[ $status == 200 || $status == 201 ]] || fail "PUT configuration: $status"
stop
before=$n
start --rebalancer "$root/examples/stream/casablanca.json" --rebalancer-speed 60
grep -q "stored configuration for 1" "$work/out" || fail "the stored configuration is not reported"
for _ in $(seq 1 200); do
  curl -s "$url/api/v1/optimization/casablanca/history?limit=1000" >"$work/history.json"
  m=$(py "import json; print(json.load(open('$work/history.json'))['count'])")
  [[ $m -gt $before ]] && break
  sleep 0.1
done
weights_within_max "the rebalancer in pfopt serve"
stop

# 2b. pfopt stream --db: the same stored configuration, weights stored as results.
before=$(py "import json; print(json.load(open('$work/history.json'))['count'])")
"$pfopt" stream --config "$root/examples/stream/casablanca.json" --db "sqlite:$work/pfopt.db" \
  --source simulate --periods 300 --out-of-orderness 0 --exit-at-end --log-level warning \
  >"$work/stream.json" 2>"$work/err" || fail "pfopt stream --db failed"
py "
import json
s = json.load(open('$work/stream.json'))
assert s['service_results']['stored'] >= 1 and s['service_results']['errors'] == 0, s
" || fail "pfopt stream --db stored nothing"
start
curl -s "$url/api/v1/optimization/casablanca/history?limit=1000" >"$work/history.json"
stop
weights_within_max "pfopt stream --db"

# 3. Disabled: the portfolio is left out; with nothing left to run it is an error (exit 2).
start
curl -s -o /dev/null -X PUT "$url/api/v1/portfolios/casablanca/configuration" \
  -H 'Content-Type: application/json' --data '{"enabled": false}'
stop
set +e
"$pfopt" serve --port 0 --db "sqlite:$work/pfopt.db" \
  --rebalancer "$root/examples/stream/casablanca.json" >"$work/out" 2>"$work/err"
code=$?
set -e
[[ $code -eq 2 ]] || fail "all portfolios disabled: exit $code, expected 2"
grep -q "disabled" "$work/err" || fail "the error does not say why"

# 4. A missing configuration file names the flag.
set +e
"$pfopt" serve --port 0 --db "sqlite:$work/pfopt.db" --rebalancer "$work/nope.json" \
  >"$work/out" 2>"$work/err"
code=$?
set -e
[[ $code -ne 0 ]] || fail "missing file accepted"
grep -q "rebalancer" "$work/err" || fail "the error does not name --rebalancer"
echo "serve_rebalancer_test: OK"
