#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh machine, then runs it twice:
# on the embedded default (SQLite) and on PostgreSQL, with Redis for the scale-out tests; then
# the meeting media test through Janus alone.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

log "Python packages, in the checkout's virtual environment .venv"
if [ ! -x .venv/bin/python3 ]; then
  rm -rf .venv
  python3 -m venv .venv || { apt_install python3-venv; python3 -m venv .venv; }
fi
# From here on python3, ruff and flask are the environment's.
export PATH="$PWD/.venv/bin:$PATH"
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'

log "System packages (Chromium for browser tests, Janus for meetings, PostgreSQL and Redis)"
command -v chromium >/dev/null || apt_install chromium
command -v janus >/dev/null || apt_install janus
command -v pg_isready >/dev/null || apt_install postgresql postgresql-client
command -v redis-server >/dev/null || apt_install redis-server

log "PostgreSQL on 127.0.0.1:5432"
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

log "Redis on 127.0.0.1:6379"
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
fi
redis-cli -h 127.0.0.1 -p 6379 ping

log "Lint"
ruff check .
ruff format --check .

# The two engines run side by side, one pytest each (two cores). The scale-out tests start
# their own processes on PostgreSQL and Redis whatever the engine under test, so they run
# once, with the PostgreSQL suite, and may not skip.
database="emisa_test_$(date +%s)_$$"
logs="$(mktemp -d)"
cleanup() {
  # The run's database and those tests made beside it (<name>_restore, <name>_to_postgresql).
  local made
  made="$(psql -h 127.0.0.1 -U postgres -Atq \
    -c "SELECT datname FROM pg_database WHERE datname LIKE '${database}%'" 2>/dev/null)" || true
  for name in $made; do
    psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" \
      >/dev/null 2>&1 || true
  done
  rm -rf "$logs"
}
trap cleanup EXIT
psql -h 127.0.0.1 -U postgres -q -c "CREATE DATABASE $database"

log "Test suites on SQLite and on PostgreSQL ($database), side by side"
python3 -m pytest --ignore=tests/scaleout "$@" >"$logs/sqlite.log" 2>&1 &
sqlite_pid=$!
EMISA_REQUIRE_SCALEOUT=1 \
  EMISA_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$database" \
  python3 -m pytest "$@" >"$logs/postgresql.log" 2>&1 &
postgresql_pid=$!

status=0
wait "$sqlite_pid" || status=1
log "SQLite suite"
cat "$logs/sqlite.log"
wait "$postgresql_pid" || status=1
log "PostgreSQL suite"
cat "$logs/postgresql.log"

# Four Chromium pages sending video through Janus need the machine to themselves: they run
# after both suites, on the embedded default, and their failure fails the run.
log "Meeting media through Janus (four browsers), on its own"
EMISA_MEDIA_LOAD_TESTS=1 python3 -m pytest -m media_load tests/meetings || status=1
exit "$status"
