#!/usr/bin/env bash
# make bench: a separate PostgreSQL database (kla_bench) on the private test cluster, migrated,
# filled with a large district at 1x and 10x, then the page and scoring timings. The harness is
# the dev-only app bench/ (its settings install it; production never does).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${KLA_PG_DIR:-/tmp/kla-pg-$(id -u)}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
was_running=0
if [ -s "$dir/data/PG_VERSION" ] && runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  was_running=1
fi
base=$(bash scripts/pg.sh start)
trap '[ "$was_running" = 1 ] || bash scripts/pg.sh stop' EXIT
port=${KLA_PG_PORT:-54329}
runuser -u postgres -- "$bin/dropdb" -h "$dir/sock" -p "$port" --if-exists kla_bench
runuser -u postgres -- "$bin/createdb" -h "$dir/sock" -p "$port" -O kla kla_bench
# The page cache on, as in production: the bench times pages served from it and rebuilt.
export DATABASE_URL="${base%/*}/kla_bench" DJANGO_SETTINGS_MODULE=bench.settings KLA_PAGE_CACHE_SECONDS=300
.venv/bin/python manage.py migrate --no-input -v0
.venv/bin/python manage.py kla_bench --yes "$@"
