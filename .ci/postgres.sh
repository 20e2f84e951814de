#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the server test suite and print the line that
# exports its URL. Idempotent, runs as root with no stdin; everything else goes to stderr.
#
#   eval "$(bash .ci/postgres.sh)"     # sets HEPVISION_TEST_POSTGRES_URL
#
# Settings (environment): HEPVISION_PG_DIR (data dir, default /tmp/hepvision-pg),
# HEPVISION_PG_PORT (default 55432), HEPVISION_PG_DB (default hepvision_test).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

pg_dir="${HEPVISION_PG_DIR:-/tmp/hepvision-pg}"
port="${HEPVISION_PG_PORT:-55432}"
db="${HEPVISION_PG_DB:-hepvision_test}"

find_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

bindir="$(find_bindir)"
if [ -z "$bindir" ] || [ ! -x "$bindir/pg_ctl" ]; then
  echo "postgres.sh: installing postgresql (apt-get)" >&2
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends postgresql >&2
  bindir="$(find_bindir)"
fi
if [ -z "$bindir" ]; then
  echo "postgres.sh: no PostgreSQL binaries after install" >&2
  exit 1
fi

# The server refuses to run as root: run it as the package's system user.
run_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@" </dev/null; else "$@" </dev/null; fi
}

mkdir -p "$pg_dir"
if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$pg_dir"; fi
chmod 700 "$pg_dir"

if [ ! -f "$pg_dir/PG_VERSION" ]; then
  echo "postgres.sh: initdb in $pg_dir" >&2
  run_pg "$bindir/initdb" -D "$pg_dir" -U postgres -A trust -E UTF8 --no-locale >&2
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$pg_dir'"
    echo "max_connections = 200"
    echo "fsync = off"               # throwaway test data: speed over crash safety
    echo "synchronous_commit = off"
    echo "full_page_writes = off"
  } >> "$pg_dir/postgresql.conf"
fi

if ! run_pg "$bindir/pg_ctl" -D "$pg_dir" status >/dev/null 2>&1; then
  echo "postgres.sh: starting PostgreSQL on 127.0.0.1:$port" >&2
  run_pg "$bindir/pg_ctl" -D "$pg_dir" -l "$pg_dir/server.log" -w -t 60 start >&2
fi

psql_() { run_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_ -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != "1" ]; then
  psql_ -d postgres -c "CREATE DATABASE \"$db\"" >&2
fi

url="postgresql+psycopg://postgres@127.0.0.1:$port/$db"
echo "postgres.sh: ready: $url" >&2
echo "export HEPVISION_TEST_POSTGRES_URL='$url'"
