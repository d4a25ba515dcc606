#!/usr/bin/env bash
# Peer comparison: pfopt vs R's quadprog (solve.QP, Goldfarb-Idnani, the solver behind
# fPortfolio and many R portfolio tools) on the same long-only minimum-variance problems, in
# the same run, on this machine. Prints per size the median time per call of each (over
# repeated batches), the ratio quadprog / pfopt, and the largest difference between the two
# answers. The machine is shared and noisy: repeat with ROUNDS=3 (default) and read the median
# ratio of the rounds.
# Usage: bench/compare_quadprog.sh [sizes...]      (default: 10 50 100 250 500 1000)
#        ROUNDS=5 bench/compare_quadprog.sh 100 500
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
if ((${#sizes[@]} == 0)); then sizes=(10 50 100 250 500 1000); fi
rounds="${ROUNDS:-3}"
data="${BENCH_DATA_DIR:-build/bench-data}"
mkdir -p "$data"

scripts/build.sh release --target minvar_timing >/dev/null
timer=build/release/bench/minvar_timing

missing=()
for n in "${sizes[@]}"; do [[ -f "$data/cov_n$n.csv" ]] || missing+=("$n"); done
if ((${#missing[@]})); then
  echo "generating covariance matrices in R for n = ${missing[*]} ..."
  Rscript bench/quadprog_minvar.R generate "$data" "${missing[@]}"
fi

declare -A pf qp
for ((r = 1; r <= rounds; r++)); do
  echo "round $r/$rounds ..."
  while read -r _ n _ t _; do qp["$n,$r"]=$t; done < <(Rscript bench/quadprog_minvar.R time "$data" "${sizes[@]}")
  while read -r _ n _ t _; do pf["$n,$r"]=$t; done < <("$timer" "$data" "${sizes[@]}")
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

printf '\n%6s %14s %14s %10s %14s\n' n quadprog_ms pfopt_ms ratio max_w_diff
for n in "${sizes[@]}"; do
  q=(); p=(); ratios=()
  for ((r = 1; r <= rounds; r++)); do
    q+=("${qp[$n,$r]}"); p+=("${pf[$n,$r]}")
    ratios+=("$(awk -v a="${qp[$n,$r]}" -v b="${pf[$n,$r]}" 'BEGIN {print a / b}')")
  done
  diff=$(paste -d, "$data/quadprog_minvar_weights_n$n.csv" "$data/pfopt_minvar_weights_n$n.csv" |
    awk -F, '{d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d} END {printf "%.1e", m}')
  printf '%6s %14.4f %14.4f %10.1f %14s\n' "$n" "$(awk -v x="$(median "${q[@]}")" 'BEGIN {print x * 1e3}')" \
    "$(awk -v x="$(median "${p[@]}")" 'BEGIN {print x * 1e3}')" "$(median "${ratios[@]}")" "$diff"
done
echo
echo "ratio = quadprog time / pfopt time per call (median over $rounds rounds of batched timings)"
