#!/usr/bin/env bash
# The README's main command: installs what is missing, builds pfopt (release), and starts the
# optimisation service in the foreground on embedded defaults: SQLite in run-data/, HTTP on
# 127.0.0.1:8080, events kept in the outbox (no Kafka). It prints ready-to-paste curl
# requests, then serves until Ctrl-C (SIGINT) or SIGTERM, finishing in-flight requests first.
#
# Non-interactive use: `scripts/run.sh &` (or under a supervisor), `kill -TERM <pid>` to stop.
# Extra arguments go to `pfopt serve` (e.g. --port 9000, --db postgresql://..., --api-key KEY);
# every setting also has an environment variable (services/rest/README.md).
# Usage: scripts/run.sh [pfopt serve flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
echo "run: building pfopt (release preset)..."
scripts/build.sh release --target pfopt >/dev/null
pfopt=build/release/apps/pfopt/pfopt
echo "run: \$ $pfopt serve --db sqlite:run-data/pfopt.db $*"
exec "$pfopt" serve --db sqlite:run-data/pfopt.db "$@"
