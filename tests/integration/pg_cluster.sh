#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests (Debian's postgresql), on 127.0.0.1 only.
#   pg_cluster.sh start STATE_DIR   initdb + start on a free port; writes STATE_DIR/url
#                                   (postgresql://postgres@127.0.0.1:PORT/postgres)
#   pg_cluster.sh stop STATE_DIR    stops it and removes its data
#   pg_cluster.sh pause STATE_DIR / resume STATE_DIR   stop / start the same cluster (outage tests)
# As root (CI) the server runs as the postgres user (runuser); otherwise as the current user.
set -euo pipefail
action="$1"
state="$2"
mkdir -p "$state"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [[ -z "$bin" ]]; then
  echo "pg_cluster: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 1
fi
as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
  start)
    if [[ -f "$state/data_dir" ]]; then "$0" stop "$state" || true; fi
    data=$(mktemp -d /tmp/pfopt-pg.XXXXXX)
    if [[ "$(id -u)" -eq 0 ]]; then chown postgres:postgres "$data"; fi
    chmod 700 "$data"
    as_owner "$bin/initdb" -D "$data/db" -U postgres -A trust --no-sync >"$data/initdb.log" 2>&1
    echo "$data" >"$state/data_dir"
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
      port=$((20000 + RANDOM % 30000))
      if as_owner "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 30 \
          -o "-p $port -c listen_addresses=127.0.0.1 -k $data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
          start >/dev/null 2>&1; then
        echo "$port" >"$state/port"
        echo "postgresql://postgres@127.0.0.1:$port/postgres" >"$state/url"
        echo "pg_cluster: PostgreSQL on 127.0.0.1:$port ($data)"
        exit 0
      fi
    done
    echo "pg_cluster: could not start PostgreSQL; log:" >&2
    cat "$data/server.log" >&2 || true
    exit 1
    ;;
  pause)
    data=$(cat "$state/data_dir")
    as_owner "$bin/pg_ctl" -D "$data/db" -m immediate -w stop >/dev/null
    ;;
  resume)
    data=$(cat "$state/data_dir")
    port=$(cat "$state/port")
    as_owner "$bin/pg_ctl" -D "$data/db" -l "$data/server.log" -w -t 30 \
      -o "-p $port -c listen_addresses=127.0.0.1 -k $data -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null
    ;;
  stop)
    if [[ -f "$state/data_dir" ]]; then
      data=$(cat "$state/data_dir")
      as_owner "$bin/pg_ctl" -D "$data/db" -m fast -w stop >/dev/null 2>&1 || true
      rm -rf "$data"
      rm -f "$state/data_dir" "$state/url" "$state/port"
    fi
    ;;
  *)
    echo "usage: $0 start|stop|pause|resume STATE_DIR" >&2
    exit 2
    ;;
esac
