# End-to-end checks of `pfopt backtest`, sourced by cli_test.sh (uses its check, json, $pfopt,
# $prices, $tmp and failures).
bt_ok() { echo "ok   $1"; }
bt_fail() { echo "FAIL $1"; failures=$((failures + 1)); }

check "backtest help" 0 "--rebalance" -- "$pfopt" backtest --help
check "backtest table" 0 "min_volatility .* equal_weight|equal_weight" -- "$pfopt" backtest --prices "$prices" \
  --request examples/backtest/min_volatility.json --equal-weight --buy-and-hold --window 252 \
  --rebalance monthly --cost-bps 10 --out "$tmp/bt" --progress
if grep -q "100% 20622/20622 periods" "$tmp/err"; then bt_ok "backtest progress bar"; else bt_fail "backtest progress bar"; fi
for file in summary.json wealth.svg drawdown.svg index.html min_volatility/wealth.csv \
    min_volatility/weights.csv min_volatility/rebalances.csv min_volatility/weights.svg \
    equal_weight/wealth.csv buy_and_hold/weights.svg; do
  if [[ -s "$tmp/bt/$file" ]]; then bt_ok "backtest wrote $file"; else bt_fail "backtest wrote $file"; fi
done
keys=$(json "$tmp/bt/summary.json" "[s['name'] for s in d['strategies']] == ['min_volatility', 'equal_weight', 'buy_and_hold'] and all(k in s for s in d['strategies'] for k in ['total_return', 'annual_return', 'annual_volatility', 'sharpe_ratio', 'sortino_ratio', 'max_drawdown', 'turnover', 'costs'])")
if [[ "$keys" == "True" ]]; then bt_ok "backtest summary.json"; else bt_fail "backtest summary.json: $keys"; fi
if [[ "$(head -1 "$tmp/bt/equal_weight/wealth.csv")" == "date,wealth" ]]; then bt_ok "backtest wealth.csv header"; else bt_fail "backtest wealth.csv header"; fi
if head -1 "$tmp/bt/min_volatility/weights.csv" | grep -q "^date,GOOG,AAPL,FB"; then bt_ok "backtest weights.csv header"; else bt_fail "backtest weights.csv header"; fi
svg=$(/usr/bin/python3 -c "
import xml.dom.minidom, glob
files = glob.glob('$tmp/bt/*.svg') + glob.glob('$tmp/bt/*/weights.svg')
print(len(files) == 5 and all(xml.dom.minidom.parse(f).documentElement.tagName == 'svg' for f in files))")
if [[ "$svg" == "True" ]]; then bt_ok "backtest SVG files are well-formed"; else bt_fail "backtest SVG files: $svg"; fi

# The CLI reproduces the independent pandas simulation (tests/data/backtest).
"$pfopt" backtest --prices "$prices" --equal-weight --buy-and-hold --window 252 --rebalance monthly \
  --cost-bps 10 --format json >"$tmp/bt_ew.json" 2>/dev/null
same=$(/usr/bin/python3 -c "
import json
ours = json.load(open('$tmp/bt_ew.json'))['strategies']
ref = json.load(open('tests/data/backtest/reference.json'))['configs'][0]['strategies']
print(all(abs(o['total_return'] - r['metrics']['total_return']) <= 1e-10 * abs(r['metrics']['total_return'])
          and abs(o['sharpe_ratio'] - r['metrics']['sharpe_ratio']) <= 1e-10 for o, r in zip(ours, ref)))")
if [[ "$same" == "True" ]]; then bt_ok "backtest CLI matches the pandas reference"; else bt_fail "backtest CLI vs pandas: $same"; fi

# Flags and --backtest-request (the POST /api/v1/backtest body) give the same answer.
"$pfopt" backtest --prices "$prices" --request examples/backtest/min_volatility.json --equal-weight \
  --window 126 --rebalance quarterly --from 2010-01-01 --print-request >"$tmp/bt_request.json"
"$pfopt" backtest --backtest-request "$tmp/bt_request.json" --format json >"$tmp/bt_a.json" 2>/dev/null
"$pfopt" backtest --prices "$prices" --request examples/backtest/min_volatility.json --equal-weight \
  --window 126 --rebalance quarterly --from 2010-01-01 --format json >"$tmp/bt_b.json" 2>/dev/null
same=$(/usr/bin/python3 -c "
import json
a = json.load(open('$tmp/bt_a.json')); b = json.load(open('$tmp/bt_b.json'))
a.pop('run_time_ms'); b.pop('run_time_ms')
for s in a['strategies'] + b['strategies']: s.pop('allocation_time_ms')
print(a == b and a['start'] >= '2010-01-01')")
if [[ "$same" == "True" ]]; then bt_ok "backtest flags and --backtest-request agree"; else bt_fail "backtest flags vs request: $same"; fi

# Unsolved rebalances: results written, exit 1, the reason on stderr.
check "backtest failed rebalances" 1 "rebalances failed and kept the drifted weights.*risk-free rate" -- \
  "$pfopt" backtest --prices "$prices" --request examples/backtest/max_sharpe.json --cost-bps 10 \
  --risk-free-rate 0.02 --out "$tmp/bt_fail"
failed=$(json "$tmp/bt_fail/summary.json" "d['strategies'][0]['failed_rebalances'] > 0 and len(d['strategies'][0]['failures']) == d['strategies'][0]['failed_rebalances']")
if [[ "$failed" == "True" ]]; then bt_ok "backtest failures recorded"; else bt_fail "backtest failures recorded: $failed"; fi

# Bad input: exit 2, naming what is wrong.
sed 's/"AAPL"/"ACME"/' examples/backtest/min_volatility.json >"$tmp/bt_unknown.json"
sed 's/"id": "AAPL"/"id": "AAPL", "returns": [0.1, 0.2]/' examples/backtest/min_volatility.json >"$tmp/bt_history.json"
sed 's/"max_weight": 0.25/"max_weight": 0.25, "turnover_limit": -1/' examples/backtest/min_volatility.json >"$tmp/bt_limit.json"
check "backtest missing prices" 2 "cannot open" -- "$pfopt" backtest --prices "$tmp/none.csv" --equal-weight
check "backtest no strategy" 2 "at least one strategy" -- "$pfopt" backtest --prices "$prices"
check "backtest unknown asset" 2 "'ACME' is not a column.*bt_unknown" -- "$pfopt" backtest --prices "$prices" --request "$tmp/bt_unknown.json"
check "backtest history in request" 2 "carries a history" -- "$pfopt" backtest --prices "$prices" --request "$tmp/bt_history.json"
check "backtest first optimisation" 2 "turnover_limit" -- "$pfopt" backtest --prices "$prices" --request "$tmp/bt_limit.json"
check "backtest bad schedule" 2 "unknown rebalance schedule 'weekly'" -- "$pfopt" backtest --prices "$prices" --equal-weight --rebalance weekly
check "backtest window too long" 2 "no simulation period" -- "$pfopt" backtest --prices "$prices" --equal-weight --window 9000
check "backtest bad asset cost" 2 "ASSET=BPS" -- "$pfopt" backtest --prices "$prices" --equal-weight --asset-cost AAPL
check "backtest request and flags" 2 "give no other" -- "$pfopt" backtest --backtest-request "$tmp/bt_request.json" --window 10
check "backtest periodic by number" 0 "every 63 periods" -- "$pfopt" backtest --prices "$prices" --buy-and-hold --equal-weight --rebalance 63 --quiet
