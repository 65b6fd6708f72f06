#!/usr/bin/env bash
# make deploy-check: docs/deploy.md as written serves the product (scripts/deploy_check.py).
# A database of its own (kla_deploy_check_<pid>) on the private PostgreSQL cluster of
# scripts/pg.sh (KLA_PG_DIR, KLA_PG_PORT); the cluster is stopped afterwards only if this
# script started it, so it runs inside `make test` next to the suite's database.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${KLA_PG_DIR:-/tmp/kla-pg-$(id -u)}
port=${KLA_PG_PORT:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
as_owner() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
was_running=0
if [ -s "$dir/data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  was_running=1
fi
url=$(bash scripts/pg.sh start) || exit 1
db=kla_deploy_check_$$
sock=(-h "$dir/sock" -p "$port" -U postgres)
cleanup() {
  as_owner "$bin/dropdb" "${sock[@]}" --if-exists --force "$db" >/dev/null 2>&1
  [ "$was_running" = 1 ] || bash scripts/pg.sh stop
}
trap cleanup EXIT
as_owner "$bin/createdb" "${sock[@]}" -O kla "$db" || exit 1
KLA_DEPLOY_CHECK_DATABASE_URL="${url%/*}/$db" .venv/bin/python scripts/deploy_check.py
