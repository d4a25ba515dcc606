#!/usr/bin/env bash
# Peer comparison: pfopt's exact robust MAX_UTILITY (ellipsoidal set, 95 %, T = 500, delta 2,
# long-only) vs cvxopt's cone solver (coneqp, tolerances 1e-10) on the same second-order cone
# program, same data, same run. Prints per size the median times, the ratio cvxopt / pfopt and
# the objective difference (positive = pfopt's robust utility is higher).
# Usage: bench/compare_robust.sh [N ...]     (default: 20 100 250)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
if ((${#sizes[@]} == 0)); then sizes=(20 100 250); fi
rounds="${ROUNDS:-3}"
data="${BENCH_DATA_DIR:-build/bench-data}"
mkdir -p "$data"
py=/usr/bin/python3

scripts/build.sh release --target models_timing >/dev/null
timer=build/release/bench/models_timing

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
maxdiff() { paste -d, "$1" "$2" | awk -F, '{d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d} END {printf "%.1e", m}'; }

printf '%6s %12s %12s %9s %14s %12s\n' n pfopt_ms cvxopt_ms ratio objective_diff max_dw
for n in "${sizes[@]}"; do
  [[ -f "$data/robust_n${n}.f64" ]] || $py bench/scenario_peer.py generate-robust "$data" "$n"
  pf=(); cx=()
  for ((r = 1; r <= rounds; r++)); do
    read -r _ _ _ t pf_obj < <("$timer" robust "$data" "$n"); pf+=("$t")
    read -r _ _ t cx_obj < <($py bench/scenario_peer.py time-robust "$data" "$n"); cx+=("$t")
  done
  p=$(median "${pf[@]}"); c=$(median "${cx[@]}")
  printf '%6s %12.3f %12.3f %9.0f %14.1e %12s\n' "$n" "$(awk -v x="$p" 'BEGIN {print x * 1e3}')" \
    "$(awk -v x="$c" 'BEGIN {print x * 1e3}')" "$(awk -v a="$c" -v b="$p" 'BEGIN {print a / b}')" \
    "$(awk -v a="$pf_obj" -v b="$cx_obj" 'BEGIN {print a - b}')" \
    "$(maxdiff "$data/cvxopt_robust_n${n}_w.csv" "$data/pfopt_robust_n${n}_w.csv")"
done
echo
echo "times: median over $rounds rounds (pfopt: median of >= 5 calls per round); ratio = cvxopt / pfopt"
