#!/usr/bin/env bash
# End-to-end tests of `pfopt scenario`: answers against the allopy reference, output formats,
# exit codes and messages naming the bad input.
# Usage: tests/integration/scenario_cli_test.sh PATH/TO/pfopt   (CTest passes it)
set -uo pipefail
pfopt="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
cube=tests/data/scenario/cube_20x2000x6_seed7.npy
reference=tests/data/scenario/reference.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

check() {  # check NAME EXPECTED_EXIT PATTERN -- command...
  local name="$1" expected="$2" pattern="$3"
  shift 4
  "$@" >"$tmp/out" 2>"$tmp/err"
  local code=$?
  if [[ $code -ne $expected ]]; then
    echo "FAIL $name: exit $code, expected $expected"; cat "$tmp/out" "$tmp/err"; failures=$((failures + 1)); return
  fi
  if [[ -n "$pattern" ]] && ! grep -q -E -- "$pattern" "$tmp/out" "$tmp/err"; then
    echo "FAIL $name: output lacks /$pattern/"; head -30 "$tmp/out" "$tmp/err"; failures=$((failures + 1)); return
  fi
  echo "ok   $name"
}

# compare NAME JSON_FILE PYTHON_EXPRESSION (on d = the output, ref = reference.json) -> True
compare() {
  local name="$1" file="$2" expression="$3"
  local verdict
  verdict=$(/usr/bin/python3 -c "
import json
d = json.load(open('$file')); ref = json.load(open('$reference'))
cases = ref['cases']
print($expression)" 2>&1)
  if [[ "$verdict" == "True" ]]; then echo "ok   $name"; else echo "FAIL $name: $verdict"; failures=$((failures + 1)); fi
}

run_json() {  # run_json OUT_FILE args...
  local out="$1"
  shift
  "$pfopt" scenario --cube "$cube" --format json "$@" >"$out" 2>"$tmp/stderr"
}

# Solved, against the high-accuracy optima of the shared reference.
check "table" 0 "expected return +5\.622 %" -- "$pfopt" scenario --cube "$cube" --method maximize-returns --max-vol 0.1
check "help" 0 "--max-vol" -- "$pfopt" scenario --help
run_json "$tmp/max_ret.json" --method maximize-returns --max-vol 0.1
compare "max returns json" "$tmp/max_ret.json" "d['status'] == 'optimal' and abs(d['objective_value'] - cases['P_max_ret_maxvol0.10']['high_accuracy']['objective_value']) < 1e-10 and len(d['weights']) == 6 and set(d['metrics']) == {'expected_return', 'volatility', 'cvar', 'sharpe_ratio'} and d['iterations'] > 0 and d['solve_time_ms'] > 0"
run_json "$tmp/min_cvar.json" --method minimize-cvar
compare "min cvar" "$tmp/min_cvar.json" "abs(d['objective_value'] - cases['P_min_cvar']['high_accuracy']['objective_value']) < 1e-12"
run_json "$tmp/eva.json" --optimizer active --method maximize-eva --max-vol 0.03 --lower 1,0,0,0,0,0 --upper 1,0.25,0.25,0.25,0.25,0.25
compare "active eva" "$tmp/eva.json" "abs(d['objective_value'] - cases['A_max_eva_maxte0.03']['high_accuracy']['objective_value']) < 1e-10 and abs(d['metrics']['tracking_error'] - 0.03) < 1e-12 and 'info_ratio' in d['metrics']"
run_json "$tmp/rebal.json" --method maximize-sharpe-ratio --rebalance
compare "rebalanced sharpe is a local optimum" "$tmp/rebal.json" "abs(d['objective_value'] - cases['P_max_sharpe_rebal']['high_accuracy']['objective_value']) < 1e-9 and d['global_optimum'] is False"
run_json "$tmp/semi.json" --method maximize-sharpe-ratio --time-unit semi-annually
compare "semi-annual time unit (2 periods a year)" "$tmp/semi.json" "abs(d['objective_value'] - json.load(open('tests/data/scenario/extra_reference.json'))['cases']['P_max_sharpe_semiannual']['objective_value']) < 1e-9"
run_json "$tmp/upper.json" --method maximize-sharpe-ratio --upper 0.3
compare "one upper bound for every asset" "$tmp/upper.json" "abs(d['objective_value'] - json.load(open('tests/data/scenario/extra_reference.json'))['cases']['P_max_sharpe_ub0.3']['objective_value']) < 1e-9 and max(d['weights']) <= 0.3"
cat >"$tmp/linear.csv" <<'CSV'
type,a0,a1,a2,a3,a4,a5,rhs
<=,0,0,0,1,1,0,0.35
>=,0,1,-1,0,0,0,0
=,0,0,0,0,0,1,0.1
CSV
run_json "$tmp/linear.json" --method minimize-volatility --min-ret 0.05 --linear-constraints "$tmp/linear.csv"
compare "linear constraints file" "$tmp/linear.json" "abs(d['objective_value'] - json.load(open('tests/data/scenario/extra_reference.json'))['cases']['P_min_vol_minret0.05_linear']['objective_value']) < 1e-9 and abs(d['weights'][5] - 0.1) < 1e-12"
check "long csv cube" 0 '"status": "optimal"' -- "$pfopt" scenario --cube tests/data/scenario/cube_head_4x50x6.csv --method minimize-volatility --format json

# Infeasible or without an answer: exit 1 with the reason.
check "infeasible cap" 1 "volatility <= 0.02 cannot be met.*0\.02714525809" -- "$pfopt" scenario --cube "$cube" --method maximize-returns --max-vol 0.02
check "infeasible json" 1 '"status": "infeasible"' -- "$pfopt" scenario --cube "$cube" --method maximize-returns --max-vol 0.02 --format json
check "no maximiser" 1 "no maximiser" -- "$pfopt" scenario --cube "$cube" --optimizer active --method maximize-info-ratio --upper 1,0.25,0.25,0.25,0.25,0.25

# Bad input: exit 2, naming the flag.
check "missing cube file" 2 "cannot open.*\[--cube\]" -- "$pfopt" scenario --cube /nonexistent.npy --method minimize-cvar
check "unknown method" 2 "unknown method 'maximize-profit'.*\[--method\]" -- "$pfopt" scenario --cube "$cube" --method maximize-profit
check "method of the other optimizer" 2 "maximize_eva is not a method of the portfolio optimizer" -- "$pfopt" scenario --cube "$cube" --method maximize-eva --max-vol 0.1
check "missing cap" 2 "needs max_vol or max_cvar.*\[--max-vol\]" -- "$pfopt" scenario --cube "$cube" --method maximize-returns
check "wrong bound count" 2 "lower_bounds has 3 entries for 6 assets.*\[--lower\]" -- "$pfopt" scenario --cube "$cube" --method minimize-cvar --lower 0,0,0
check "not a number" 2 "\[--upper\]" -- "$pfopt" scenario --cube "$cube" --method minimize-cvar --upper 0.5,abc
check "bad time unit" 2 "time unit 'weekly'.*\[--time-unit\]" -- "$pfopt" scenario --cube "$cube" --method minimize-cvar --time-unit weekly
check "time unit not dividing" 2 "not a whole number of years.*\[--time-unit\]" -- "$pfopt" scenario --cube "$cube" --method minimize-cvar --time-unit 3
printf 'type,a,rhs\n<=,1,2\n' >"$tmp/bad.csv"
check "linear constraints of the wrong width" 2 "a_in has 1 columns for 6 assets.*\[--linear-constraints\]" -- "$pfopt" scenario --cube "$cube" --method minimize-cvar --linear-constraints "$tmp/bad.csv"
printf 'type,a0,a1,a2,a3,a4,a5,rhs\n<,1,1,1,1,1,1,2\n' >"$tmp/bad_type.csv"
check "linear constraint type" 2 "line 2: type '<' is not one of" -- "$pfopt" scenario --cube "$cube" --method minimize-cvar --linear-constraints "$tmp/bad_type.csv"
check "bad input json" 2 '"error"' -- "$pfopt" scenario --cube /nonexistent.npy --method minimize-cvar --format json
check "missing --method" 2 "method is required" -- "$pfopt" scenario --cube "$cube"

if [[ $failures -ne 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "all scenario CLI checks passed"
