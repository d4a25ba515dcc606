#!/usr/bin/env bash
# Peer comparison: pfopt's exact minimum CVaR vs scipy's HiGHS (dual simplex / IPM, the LP solver
# of scipy.optimize.linprog) and cvxopt's LP interior point on the same Rockafellar-Uryasev LP
# (alpha 0.05, long-only, fully invested), same data, same run. Prints per size the median time
# of each over ROUNDS rounds, the ratios peer / pfopt, and the differences of the CVaR reached
# (positive = the peer's CVaR is higher than pfopt's) and of the weights.
# Usage: bench/compare_cvar.sh [TxN ...]        (default: 2000x20 10000x50)
#        ROUNDS=3 CVXOPT_MAX=200000 bench/compare_cvar.sh 10000x50
# cvxopt runs only where T*N <= CVXOPT_MAX (default 100000: it is minutes beyond).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
if ((${#sizes[@]} == 0)); then sizes=(2000x20 10000x50); fi
rounds="${ROUNDS:-3}"
cvxopt_max="${CVXOPT_MAX:-100000}"
data="${BENCH_DATA_DIR:-build/bench-data}"
mkdir -p "$data"
py=/usr/bin/python3

scripts/build.sh release --target models_timing >/dev/null
timer=build/release/bench/models_timing

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
maxdiff() { paste -d, "$1" "$2" | awk -F, '{d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d} END {printf "%.1e", m}'; }

printf '%8s %5s %12s %12s %12s %9s %9s %12s %12s %10s\n' T n pfopt_s highs_s cvxopt_s highs/pf cvxopt/pf dcvar_highs dcvar_cvxopt max_dw_highs
for size in "${sizes[@]}"; do
  T=${size%x*}
  n=${size#*x}
  [[ -f "$data/cvar_T${T}_n${n}.f64" ]] || $py bench/scenario_peer.py generate-cvar "$data" "$T" "$n"
  pf=(); hs=(); cx=()
  for ((r = 1; r <= rounds; r++)); do
    read -r _ _ _ t pf_cvar < <("$timer" cvar "$data" "$T" "$n"); pf+=("$t")
    read -r _ _ _ t hs_cvar < <($py bench/scenario_peer.py time-cvar "$data" "$T" "$n" highs); hs+=("$t")
    if ((T * n <= cvxopt_max)); then
      read -r _ _ _ t cx_cvar < <($py bench/scenario_peer.py time-cvar "$data" "$T" "$n" cvxopt); cx+=("$t")
    fi
  done
  p=$(median "${pf[@]}"); h=$(median "${hs[@]}")
  if ((${#cx[@]})); then
    c=$(median "${cx[@]}"); cr=$(awk -v a="$c" -v b="$p" 'BEGIN {printf "%.0f", a / b}')
    dc=$(awk -v a="$cx_cvar" -v b="$pf_cvar" 'BEGIN {printf "%.1e", a - b}')
  else
    c="-"; cr="-"; dc="-"
  fi
  printf '%8s %5s %12.4f %12.4f %12s %9.0f %9s %12.1e %12s %10s\n' "$T" "$n" "$p" "$h" "$c" \
    "$(awk -v a="$h" -v b="$p" 'BEGIN {print a / b}')" "$cr" \
    "$(awk -v a="$hs_cvar" -v b="$pf_cvar" 'BEGIN {print a - b}')" "$dc" \
    "$(maxdiff "$data/highs_cvar_T${T}_n${n}_w.csv" "$data/pfopt_cvar_T${T}_n${n}_w.csv")"
done
echo
echo "times: median over $rounds rounds (pfopt: median of >= 5 calls per round); ratio = peer / pfopt"
