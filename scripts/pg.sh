#!/usr/bin/env bash
# A private, throwaway PostgreSQL cluster on a loopback port for the tests and the benchmark.
#   scripts/pg.sh start   -> prints the DATABASE_URL to use; reuses a running cluster
#   scripts/pg.sh stop
# The data lives under /tmp (reachable by the postgres user even when the checkout is not).
set -euo pipefail
action=${1:-start}
dir=${KLA_PG_DIR:-/tmp/kla-pg-$(id -u)}
port=${KLA_PG_PORT:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL is not installed: apt-get install -y postgresql" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
start)
  if [ ! -s "$dir/data/PG_VERSION" ]; then
    mkdir -p "$dir/data" "$dir/sock"
    [ "$(id -u)" -eq 0 ] && chown -R postgres:postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
  fi
  if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" start \
      -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null
  fi
  as_owner "$bin/psql" -h "$dir/sock" -p "$port" -U postgres -qtAc \
    "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='kla') THEN
       CREATE ROLE kla LOGIN CREATEDB PASSWORD 'kla'; END IF; END\$\$;" >/dev/null
  as_owner "$bin/psql" -h "$dir/sock" -p "$port" -U postgres -qtAc \
    "SELECT 1 FROM pg_database WHERE datname='kla'" | grep -q 1 ||
    as_owner "$bin/createdb" -h "$dir/sock" -p "$port" -U postgres -O kla kla
  echo "postgres://kla:kla@127.0.0.1:$port/kla"
  ;;
stop)
  if [ -s "$dir/data/PG_VERSION" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
  fi
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
