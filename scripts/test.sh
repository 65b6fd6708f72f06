#!/usr/bin/env bash
# The whole suite: PostgreSQL (a private cluster started here) and headless Chromium.
# Stops the cluster afterwards only if this script started it.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${KLA_PG_DIR:-/tmp/kla-pg-$(id -u)}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
was_running=0
if [ -s "$dir/data/PG_VERSION" ] && runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  was_running=1
fi
url=$(bash scripts/pg.sh start) || exit 1
trap '[ "$was_running" = 1 ] || bash scripts/pg.sh stop' EXIT

export DATABASE_URL="$url"
export KLA_REQUIRE_POSTGRES=1 KLA_REQUIRE_BROWSER=1
# One worker per core (pytest-xdist; each has its own test database, media directory and
# browser); KLA_TEST_WORKERS=0 runs everything in this process.
.venv/bin/python -m pytest -n "${KLA_TEST_WORKERS:-auto}" "$@"
status=$?
# pytest's 5 means "no tests collected": a suite that ran nothing has failed.
[ "$status" -eq 5 ] && echo "No tests were collected." >&2
exit "$status"
