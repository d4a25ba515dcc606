#!/usr/bin/env bash
# `pfopt serve` as a process: ready message, requests, the API key never in its output,
# configuration errors (exit 2), SIGTERM (exit 0 after "stopped").
# Usage: serve_test.sh PATH_TO_PFOPT
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
  echo "serve_test: FAIL: $*" >&2
  echo "--- stdout" >&2; cat "$work/out" >&2 || true
  echo "--- stderr" >&2; cat "$work/err" >&2 || true
  exit 1
}

# Configuration errors are exit 2 with a message naming the setting.
set +e
"$pfopt" serve --port 99999 >/dev/null 2>"$work/bad"; code=$?
set -e
[[ $code -eq 2 ]] || fail "--port 99999 exited $code, expected 2"
grep -q "port" "$work/bad" || fail "the error does not name the port"

key="k3y-$RANDOM-$RANDOM-secret"
printf 'access_log = true\nmax_strategies = 50\n' >"$work/pfopt.conf"
PFOPT_API_KEY="$key" "$pfopt" serve --port 0 --db "sqlite:$work/db/pfopt.db" \
  --config "$work/pfopt.conf" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/out" 2>/dev/null && break
  sleep 0.05
done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/out" | head -1)
[[ -n "$url" ]] || fail "no ready message"
grep -q "curl" "$work/out" || fail "no example request printed"

status() { curl -s -o "$work/body" -w '%{http_code}' "$@"; }
[[ $(status "$url/healthz") == 200 ]] || fail "healthz"
[[ $(status -X POST "$url/api/v1/optimize" -H 'Content-Type: application/json' \
      --data @"$root/examples/requests/max_sharpe_sectors.json") == 401 ]] || fail "no key: not 401"
[[ $(status -X POST "$url/api/v1/optimize" -H "Authorization: Bearer wrong-$key" \
      -H 'Content-Type: application/json' \
      --data @"$root/examples/requests/max_sharpe_sectors.json") == 401 ]] || fail "wrong key: not 401"
[[ $(status -X POST "$url/api/v1/optimize" -H "Authorization: Bearer $key" \
      -H 'Content-Type: application/json' \
      --data @"$root/examples/requests/max_sharpe_sectors.json") == 200 ]] || fail "right key: not 200"
grep -q '"optimal_weights"' "$work/body" || fail "no weights in the answer"
[[ $(status "$url/api/v1/optimization/balanced_fund/latest" -H "X-API-Key: $key") == 200 ]] ||
  fail "latest"

kill -TERM "$pid"
set +e
wait "$pid"; code=$?
set -e
pid=""
[[ $code -eq 0 ]] || fail "exit code $code after SIGTERM"
grep -q "stopped" "$work/err" || fail "no 'stopped' message"
grep -q "POST /api/v1/optimize -> 401" "$work/err" || fail "the access log is missing"
grep -q "max_strategies = 50" "$work/err" || fail "the config file was not applied"
if grep -q -- "$key" "$work/out" "$work/err"; then fail "the API key appears in the output"; fi
[[ -f "$work/db/pfopt.db" ]] || fail "no SQLite file"
echo "serve_test: ok"
