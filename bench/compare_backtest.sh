#!/usr/bin/env bash
# Peer comparison of whole backtests: `pfopt backtest` vs the same walk-forward loop in Python
# (pandas estimation + cvxopt solve each month, bench/backtest_peer.py), on the same seeded
# prices, timed in the same run. Cases (monthly rebalancing, 252-day rolling window):
#   A  20 assets x 20 years, max Sharpe, max weight 25 %, turnover limit 20 %, sample covariance
#   B  500 assets x 10 years, min volatility, Ledoit-Wolf covariance
# Times exclude reading the CSV: pfopt's run_time_ms (summary) and the peer's loop. Prints the
# medians over ROUNDS rounds (default 3 for A, 1 for B, whose peer takes about 15 minutes a
# round here: cvxopt's interior point on 500 assets), the ratio peer / pfopt, and the largest difference
# between the two programs' target weights over the rebalance dates that both solved (the peer
# starts each rebalance from pfopt's holdings, so that both solve the same problems).
# Usage: bench/compare_backtest.sh [A] [B]      ROUNDS=5 bench/compare_backtest.sh A
set -euo pipefail
cd "$(dirname "$0")/.."
cases=("$@")
if ((${#cases[@]} == 0)); then cases=(A B); fi
rounds="${ROUNDS:-3}"
data="${BENCH_DATA_DIR:-build/bench-data}"
mkdir -p "$data"
scripts/build.sh release --target pfopt >/dev/null
pfopt=build/release/apps/pfopt/pfopt
py=/usr/bin/python3

request() {  # request NAME OBJECTIVE ASSETS EXTRA_CONSTRAINTS RISK_PARAMETERS
  $py - "$@" <<'PY'
import json, sys
name, objective, n, constraints, risk = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
print(json.dumps({"portfolio_id": name, "objective": objective,
                  "strategies": [{"id": "S%d" % i} for i in range(n)],
                  "constraints": json.loads(constraints), "risk_parameters": json.loads(risk)}))
PY
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf '%-4s %-42s %12s %12s %8s %18s %12s\n' case what pfopt_ms peer_ms ratio "rebalances(failed)" max_w_diff
for c in "${cases[@]}"; do
  if [[ "$c" == A ]]; then
    n=20; years=20; seed=1; peer_case=max_sharpe
    request max_sharpe MAX_SHARPE 20 '{"max_weight": 0.25, "turnover_limit": 0.2}' '{}' >"$data/bt_request_A.json"
    what="20 x 20y max Sharpe + turnover limit"
  else
    n=500; years=10; seed=2; peer_case=min_volatility
    request min_volatility MIN_VOLATILITY 500 '{}' '{"covariance_estimator": "LEDOIT_WOLF"}' >"$data/bt_request_B.json"
    what="500 x 10y min volatility (Ledoit-Wolf)"
  fi
  prices="$data/bt_prices_$c.csv"
  [[ -f "$prices" ]] || $py bench/backtest_peer.py generate "$prices" "$n" "$years" "$seed"
  ours=(); theirs=()
  case_rounds="$rounds"
  if [[ "$c" == B && -z "${ROUNDS:-}" ]]; then case_rounds=1; fi
  for ((r = 1; r <= case_rounds; r++)); do
    "$pfopt" backtest --prices "$prices" --request "$data/bt_request_$c.json" --window 252 \
      --rebalance monthly --format json --quiet --out "$data/bt_out_$c" >"$data/bt_summary_$c.json" || true
    ours+=("$($py -c "import json; print(json.load(open('$data/bt_summary_$c.json'))['run_time_ms'])")")
    $py bench/backtest_peer.py run "$prices" "$peer_case" "$data/bt_out_$c/$peer_case/weights.csv" \
      >"$data/bt_peer_$c.txt"
    theirs+=("$(awk 'NR == 1 {print $1 * 1000}' "$data/bt_peer_$c.txt")")
  done
  compare=$($py - "$data" "$c" "$peer_case" <<'PY'
import csv, sys
data, case, name = sys.argv[1:4]
weights = {row[0]: [float(x) for x in row[1:]] for row in csv.reader(open(f"{data}/bt_out_{case}/{name}/weights.csv"))
           if row[0] != "date"}
rebalances = [row for row in csv.DictReader(open(f"{data}/bt_out_{case}/{name}/rebalances.csv"))]
ours_failed = {r["date"] for r in rebalances if r["outcome"] == "failed"}
worst, failed, count = 0.0, 0, 0
peer_failed = set()
for line in open(f"{data}/bt_peer_{case}.txt").read().split("\n")[1:]:
    if not line:
        continue
    date, *rest = line.split()
    count += 1
    if rest == ["failed"]:
        failed += 1
        peer_failed.add(date)
        continue
    if date in ours_failed:
        continue
    worst = max(worst, max(abs(a - float(b)) for a, b in zip(weights[date], rest)))
print(f"{count}({len(ours_failed)}/{failed}) {worst:.1e}")
reasons = {r["date"]: r["status"] for r in rebalances}
only_ours = ", ".join(f"{d} ({reasons[d]})" for d in sorted(ours_failed - peer_failed))
only_peer = ", ".join(sorted(peer_failed - ours_failed))
with open(f"{data}/bt_disagree_{case}.txt", "w") as out:
    out.write(f"case {case}: failed in pfopt only: {only_ours or '-'}; in the peer only: {only_peer or '-'}\n")
PY
)
  o=$(median "${ours[@]}"); t=$(median "${theirs[@]}")
  printf '%-4s %-42s %12.1f %12.1f %8.1f %18s %12s\n' "$c" "$what" "$o" "$t" "$(echo "$t / $o" | bc -l)" ${compare}
done
echo "(rebalances(failed): pfopt's failed / the peer's failed; max_w_diff over the rebalances both solved)"
for c in "${cases[@]}"; do cat "$data/bt_disagree_$c.txt"; done
