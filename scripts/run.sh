#!/usr/bin/env bash
# The README's main command: installs what is missing, builds pfopt (release), and runs the
# whole system in the foreground on embedded defaults: the optimisation service (SQLite in
# run-data/, HTTP on 127.0.0.1:8080, events kept in the outbox, no Kafka) and, in the same
# process, the real-time rebalancer on the in-process bus fed by simulated Casablanca prices,
# its weights stored as service results. It prints where to look (curl lines), then runs until
# Ctrl-C (SIGINT) or SIGTERM, finishing in-flight requests first.
#
# Non-interactive use: `scripts/run.sh &` (or under a supervisor), `kill -TERM <pid>` to stop.
# Extra arguments go to `pfopt serve` (e.g. --port 9000, --db postgresql://..., --api-key KEY,
# --rebalancer-speed 60); every service setting also has an environment variable
# (services/rest/README.md).
# Usage: scripts/run.sh [pfopt serve flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
echo "run: building pfopt (release preset)..."
scripts/build.sh release --target pfopt >/dev/null
pfopt=build/release/apps/pfopt/pfopt
args=(serve --db sqlite:run-data/pfopt.db --rebalancer examples/stream/casablanca.json "$@")
echo "run: \$ $pfopt ${args[*]}"
exec "$pfopt" "${args[@]}"
