#!/usr/bin/env bash
# End-to-end tests of the pfopt command: exit codes, error messages naming the bad input, JSON
# output, and that --prices flags and --request give the same answer.
# Usage: tests/integration/cli_test.sh PATH/TO/pfopt   (CTest passes it)
set -uo pipefail
pfopt="$1"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
prices=examples/data/stock_prices.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

check() {  # check NAME EXPECTED_EXIT PATTERN -- command...
  local name="$1" expected="$2" pattern="$3"
  shift 4
  "$@" >"$tmp/out" 2>"$tmp/err"
  local code=$?
  if [[ $code -ne $expected ]]; then
    echo "FAIL $name: exit $code, expected $expected"; cat "$tmp/err"; failures=$((failures + 1)); return
  fi
  if [[ -n "$pattern" ]] && ! grep -q -E -- "$pattern" "$tmp/out" "$tmp/err"; then
    echo "FAIL $name: output lacks /$pattern/"; head -20 "$tmp/out" "$tmp/err"; failures=$((failures + 1)); return
  fi
  echo "ok   $name"
}

json() {  # json FILE PYTHON_EXPRESSION_ON_d
  /usr/bin/python3 -c "import json,sys; d=json.load(open('$1')); print($2)"
}

# Solved.
check "max sharpe table" 0 "Sharpe ratio +1\.3759" -- "$pfopt" optimize --prices "$prices" --objective max-sharpe
check "help" 0 "--target-volatility" -- "$pfopt" optimize --help
check "version" 0 "0\.1\.0" -- "$pfopt" --version
check "json output" 0 '"convergence_status": "optimal"' -- "$pfopt" optimize --prices "$prices" --objective min-volatility --format json
check "frontier csv" 0 "^point,target_return" -- "$pfopt" frontier --prices "$prices" --points 5
check "frontier json" 0 '"points"' -- "$pfopt" frontier --prices "$prices" --points 3 --format json
for request in examples/requests/*.json; do
  check "example $(basename "$request")" 0 '"convergence_status": "optimal"' -- "$pfopt" optimize --request "$request"
done

# --prices flags and --request give the same request and the same answer.
"$pfopt" optimize --prices "$prices" --objective efficient-risk --target-volatility 0.2 --max-weight 0.3 --print-request >"$tmp/request.json"
"$pfopt" optimize --request "$tmp/request.json" >"$tmp/from_request.json"
"$pfopt" optimize --prices "$prices" --objective efficient-risk --target-volatility 0.2 --max-weight 0.3 --format json >"$tmp/from_flags.json"
same=$(/usr/bin/python3 -c "
import json
a = json.load(open('$tmp/from_request.json')); b = json.load(open('$tmp/from_flags.json'))
print(a['optimal_weights'] == b['optimal_weights'] and abs(a['expected_volatility'] - 0.2) < 1e-12)")
if [[ "$same" == "True" ]]; then echo "ok   flags and request agree"; else echo "FAIL flags and request differ"; failures=$((failures + 1)); fi
order=$(json "$tmp/from_flags.json" "list(d['optimal_weights'])[:3]")
if [[ "$order" == "['GOOG', 'AAPL', 'FB']" ]]; then echo "ok   weights in request order"; else echo "FAIL order $order"; failures=$((failures + 1)); fi
echo '{"portfolio_id": "p", "strategies": [{"id": "A", "expected_return": 0.1}, {"id": "B", "expected_return": 0.05}],
       "objective": "MIN_VOLATILITY", "risk_parameters": {"covariance": {"A": {"A": 0.04, "B": 0.01}, "B": {"B": 0.09}}}}' >"$tmp/stdin.json"
check "request from stdin" 0 '"A": 0\.727272727272' -- sh -c "\"$pfopt\" optimize --request - < \"$tmp/stdin.json\""

# Infeasible or unsolved: exit 1 with the reason.
check "infeasible bounds" 1 "bounds vs budget" -- "$pfopt" optimize --prices "$prices" --objective min-volatility --max-weight 0.04
check "infeasible json" 1 '"conflicting_constraints"' -- "$pfopt" optimize --prices "$prices" --objective min-volatility --max-weight 0.04 --format json
check "nothing beats rf" 1 "above the risk-free rate" -- "$pfopt" optimize --prices "$prices" --objective max-sharpe --risk-free-rate 0.5

# Bad input: exit 2, naming what is wrong.
printf '' >"$tmp/empty.csv"
printf 'date,A,B\n2020-01-01,1,2\n' >"$tmp/one_row.csv"
printf 'date,A,B\n2020-01-01,1,2\n2020-01-02,abc,2\n2020-01-03,1,2\n' >"$tmp/text.csv"
printf 'date,A,B\n2020-01-01,1,2\n2020-01-02,-1,2\n2020-01-03,1,2\n' >"$tmp/negative.csv"
printf 'date,A,A\n2020-01-01,1,2\n2020-01-02,1,2\n' >"$tmp/duplicate.csv"
check "missing file" 2 "cannot open" -- "$pfopt" optimize --prices "$tmp/none.csv"
check "empty file" 2 "empty" -- "$pfopt" optimize --prices "$tmp/empty.csv"
check "one row" 2 "at least 2" -- "$pfopt" optimize --prices "$tmp/one_row.csv"
check "non-numeric cell" 2 "line 3.*\"A\"" -- "$pfopt" optimize --prices "$tmp/text.csv"
check "negative price" 2 "line 3|row 2" -- "$pfopt" optimize --prices "$tmp/negative.csv"
check "duplicate column" 2 "'A'|\"A\"" -- "$pfopt" optimize --prices "$tmp/duplicate.csv"
check "unknown objective" 2 "unknown objective 'max-sharp'" -- "$pfopt" optimize --prices "$prices" --objective max-sharp
check "unknown estimator" 2 "unknown covariance estimator" -- "$pfopt" optimize --prices "$prices" --covariance LEDOIT
check "min above max" 2 "greater than max_weight" -- "$pfopt" optimize --prices "$prices" --min-weight 0.5 --max-weight 0.1
check "target out of reach" 2 "maximum attainable return 0\.388" -- "$pfopt" optimize --prices "$prices" --objective efficient-return --target-return 0.6
check "vol target too low" 2 "minimum attainable volatility" -- "$pfopt" optimize --prices "$prices" --objective efficient-risk --target-volatility 0.05
check "no source" 2 "exactly one of" -- "$pfopt" optimize --objective max-sharpe
check "unknown flag" 2 "" -- "$pfopt" optimize --prices "$prices" --no-such-flag
check "objective risk parity from stdin" 0 '"risk_contributions"' -- sh -c "sed 's/\"MIN_VOLATILITY\"/\"RISK_PARITY\"/' \"$tmp/stdin.json\" | \"$pfopt\" optimize --request - --format json"
check "malformed json" 2 "not valid JSON" -- sh -c "echo '{\"portfolio_id\": ' | \"$pfopt\" optimize --request -"
check "error json" 2 '"field": "strategies\[0\]\.retrns"' -- sh -c "echo '{\"portfolio_id\":\"p\",\"strategies\":[{\"id\":\"A\",\"retrns\":[1]}]}' | \"$pfopt\" optimize --request -"
check "nan covariance" 2 "variance" -- sh -c "sed 's/\"A\": 0.04/\"A\": -0.04/' \"$tmp/stdin.json\" | \"$pfopt\" optimize --request -"
check "duplicate ids" 2 "must be unique" -- sh -c "sed 's/\"id\": \"B\"/\"id\": \"A\"/' \"$tmp/stdin.json\" | \"$pfopt\" optimize --request -"

# Robust, CVaR and multi-objective models (docs/robust.md, docs/cvar.md, docs/multi_objective.md).
check "min cvar table" 0 "CVaR / VaR +1\.71[0-9] % / 1\.1[0-9]{2} %" -- "$pfopt" optimize --prices "$prices" --objective min-cvar --max-weight 0.3
check "min cvar json" 0 '"risk_measures"' -- "$pfopt" optimize --prices "$prices" --objective min-cvar --format json
check "cvar reported for max sharpe" 0 '"cvar_alpha": 0\.1' -- "$pfopt" optimize --prices "$prices" --objective max-sharpe --cvar-alpha 0.1 --format json
check "robust box" 0 "worst-case return .*BOX set" -- "$pfopt" optimize --prices "$prices" --objective max-utility --method robust_optimization --uncertainty box
check "multi-objective flags" 0 '"objective_terms"' -- "$pfopt" optimize --prices "$prices" --objective multi-objective --objective-weights return=1,variance=2,cvar=1 --format json
check "pareto csv" 0 "^point,epsilon,expected_return,volatility,sharpe_ratio,cvar,value_at_risk,turnover,GOOG" -- "$pfopt" frontier --prices "$prices" --objectives return,cvar --points 4
check "pareto json" 0 '"minimised": "cvar"' -- "$pfopt" frontier --prices "$prices" --objectives cvar,return --points 3 --format json
check "pareto volatility-cvar" 0 '"constrained": "cvar"' -- "$pfopt" frontier --prices "$prices" --objectives volatility,cvar --points 3 --format json
check "cvar limit below minimum" 1 "below the minimum attainable CVaR 0\.0170" -- "$pfopt" optimize --prices "$prices" --objective max-return --cvar-limit 0.01
check "cvar limit with max sharpe" 2 "cvar\.limit" -- "$pfopt" optimize --prices "$prices" --objective max-sharpe --cvar-limit 0.02
check "bad objectives" 2 "expects two of return, volatility, cvar, turnover" -- "$pfopt" frontier --prices "$prices" --objectives return
check "unknown weight" 2 "objective_weights\.varience" -- "$pfopt" optimize --prices "$prices" --objective multi-objective --objective-weights varience=1
check "robust without T" 2 "robust\.observations" -- sh -c "sed 's/, \"observations\": 120//' examples/requests/robust_max_utility.json | \"$pfopt\" optimize --request -"
check "robust with min cvar" 2 "takes a mean-variance objective" -- sh -c "sed 's/\"MAX_UTILITY\"/\"MIN_CVAR\"/' examples/requests/robust_max_utility.json | \"$pfopt\" optimize --request -"
check "robust fields without the method" 2 "used only by method ROBUST_OPTIMIZATION" -- sh -c "sed 's/\"ROBUST_OPTIMIZATION\"/\"MEAN_VARIANCE\"/' examples/requests/robust_max_utility.json | \"$pfopt\" optimize --request -"
# The same multi-objective request from flags and from the request it prints.
"$pfopt" optimize --prices "$prices" --objective multi-objective --objective-weights return=1,cvar=2 --cvar-alpha 0.1 --max-weight 0.4 --print-request >"$tmp/multi.json"
"$pfopt" optimize --request "$tmp/multi.json" >"$tmp/multi_from_request.json"
"$pfopt" optimize --prices "$prices" --objective multi-objective --objective-weights return=1,cvar=2 --cvar-alpha 0.1 --max-weight 0.4 --format json >"$tmp/multi_from_flags.json"
same=$(/usr/bin/python3 -c "
import json
a = json.load(open('$tmp/multi_from_request.json')); b = json.load(open('$tmp/multi_from_flags.json'))
print(a['optimal_weights'] == b['optimal_weights'] and a['optimization_metadata']['risk_measures']['cvar_alpha'] == 0.1)")
if [[ "$same" == "True" ]]; then echo "ok   multi-objective flags and request agree"; else echo "FAIL multi-objective flags and request differ"; failures=$((failures + 1)); fi

# Allocation models (docs/risk_parity.md, docs/hierarchical_risk_parity.md, docs/black_litterman.md).
compare() {  # compare NAME PYTHON_EXPRESSION (True = pass), with o = the response JSON
  local name="$1" expr="$2"
  local ok
  ok=$(/usr/bin/python3 -c "
import json
o = json.load(open('$tmp/out'))
ref = json.load(open('tests/data/pypfopt/reference.json'))
print($expr)" 2>&1)
  if [[ "$ok" == "True" ]]; then echo "ok   $name"; else echo "FAIL $name: $ok"; failures=$((failures + 1)); fi
}
for linkage in single ward; do
  check "hrp $linkage" 0 '"method": "HIERARCHICAL_RISK_PARITY"' -- "$pfopt" optimize --prices "$prices" --method hierarchical-risk-parity --linkage "$linkage" --format json
  compare "hrp $linkage = PyPortfolioOpt" "max(abs(w - ref['hrp']['$linkage']['weights'][k]) for k, w in o['optimal_weights'].items()) < 1e-12"
done
check "risk parity method" 0 '"risk_contributions"' -- "$pfopt" optimize --prices "$prices" --method risk-parity --format json
compare "risk contributions equal" "max(abs(v - 0.05) for v in o['optimization_metadata']['risk_contributions'].values()) < 1e-10 and abs(sum(o['optimal_weights'].values()) - 1) < 1e-12"
cp "$tmp/out" "$tmp/rp_method.json"
check "risk parity objective" 0 '"objective": "RISK_PARITY"' -- "$pfopt" optimize --prices "$prices" --objective risk-parity --format json
compare "objective = method" "o['optimal_weights'] == json.load(open('$tmp/rp_method.json'))['optimal_weights']"
printf 'asset,budget\nGOOG,2\nAAPL,2\n' >"$tmp/budgets.csv"
check "risk budgets file" 2 "no value for strategy 'FB'" -- "$pfopt" optimize --prices "$prices" --method risk-parity --risk-budgets "$tmp/budgets.csv"
check "risk parity bounds" 0 "satisfied" -- "$pfopt" optimize --prices "$prices" --method risk-parity --max-weight 0.06
check "risk parity infeasible" 1 "bounds vs budget" -- "$pfopt" optimize --prices "$prices" --method risk-parity --max-weight 0.04
check "risk parity turnover" 2 "cannot honour a turnover limit" -- "$pfopt" optimize --prices "$prices" --method risk-parity --turnover-limit 0.2
check "hrp leverage" 2 "leverage" -- "$pfopt" optimize --prices "$prices" --method hierarchical-risk-parity --leverage-limit 1.5
check "risk parity shorts" 2 "long-only" -- "$pfopt" optimize --prices "$prices" --method risk-parity --min-weight -0.1
check "method objective clash" 2 "takes objective RISK_PARITY" -- "$pfopt" optimize --prices "$prices" --method risk-parity --objective max-sharpe
check "unknown linkage" 2 "unknown linkage 'median'" -- "$pfopt" optimize --prices "$prices" --method hierarchical-risk-parity --linkage median
check "bl without prior" 2 "needs a prior" -- "$pfopt" optimize --prices "$prices" --method black-litterman
check "casablanca" 0 '"method": "BLACK_LITTERMAN"' -- "$pfopt" optimize --request examples/requests/black_litterman_casablanca.json
compare "casablanca = numpy/cvxopt" "max(abs(a - b) for a, b in zip(o['optimal_weights'].values(), json.load(open('tests/data/black_litterman/casablanca_reference.json'))['max_sharpe_weights'])) < 1e-9"

# pfopt backtest.
source "$root/tests/integration/backtest_cli_checks.sh"

if ((failures > 0)); then
  echo "$failures CLI check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
