#!/usr/bin/env bash
# The README's main command: installs what is missing, builds pfopt (release), and runs it on
# the bundled 20-stock price history (examples/data/stock_prices.csv, 1989-2018).
# Until the service and the rebalancer exist, the main job is the CLI; this command will start
# the whole system when they land.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
scripts/build.sh release --target pfopt >/dev/null
pfopt=build/release/apps/pfopt/pfopt

echo "== Maximum Sharpe ratio portfolio of 20 US stocks (daily prices 1989-2018)"
echo "\$ pfopt optimize --prices examples/data/stock_prices.csv --objective max-sharpe --risk-free-rate 0.02"
"$pfopt" optimize --prices examples/data/stock_prices.csv --objective max-sharpe --risk-free-rate 0.02
echo
echo "== The same through the request model (JSON in, JSON out)"
echo "\$ pfopt optimize --request examples/requests/min_volatility_sectors.json"
"$pfopt" optimize --request examples/requests/min_volatility_sectors.json
echo
echo "Where to look next:"
echo "  $pfopt --help                 all commands (docs/cli.md)"
echo "  examples/requests/*.json      request files to edit (docs/api.md)"
echo "  $pfopt frontier --prices examples/data/stock_prices.csv --points 10"
