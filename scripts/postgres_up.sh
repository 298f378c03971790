#!/usr/bin/env bash
# Start a PostgreSQL server on localhost (as root) when none answers on its port; prints the Optuna storage URL.
# GANBENCH_PG_PORT, GANBENCH_PG_DIR and GANBENCH_PG_MAX_CONNECTIONS choose another server (the tests start a small one).
# Installs Debian's postgresql when missing, as scripts/slurm_up.sh installs SLURM. Its own data directory and port,
# so it leaves a system cluster alone. For the tests and for trying a shared storage on one machine; on a cluster,
# use your site's server: `ganbench sweep run SPEC --storage postgresql://USER:PASSWORD@HOST/DB`.
set -euo pipefail
port=${GANBENCH_PG_PORT:-55432}
data=${GANBENCH_PG_DIR:-/tmp/ganbench-pg}
connections=${GANBENCH_PG_MAX_CONNECTIONS:-300}  # many workers, each with its connections: more than PostgreSQL's 100
url="postgresql://ganbench@127.0.0.1:$port/ganbench"
# one start at a time: parallel test workers that each ask for the server must not both run initdb
mkdir -p "$(dirname "$data")"
exec 9>"$data.lock"
flock 9
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "postgres_up.sh: PostgreSQL is not installed; install Debian's postgresql (or run as root with apt)" >&2; exit 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_postgres() { if [ "$(id -u)" = 0 ]; then su -s /bin/sh postgres -c "$*"; else sh -c "$*"; fi; }
if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
  if [ ! -s "$data/PG_VERSION" ]; then
    mkdir -p "$data" && { [ "$(id -u)" != 0 ] || chown postgres "$data"; }
    as_postgres "$bin/initdb -D $data -A trust -U postgres" >&2
  fi
  # the server must not inherit the lock's descriptor (9), or it holds the lock for as long as it runs
  as_postgres "$bin/pg_ctl -D $data -l $data/server.log -w -o '-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=$connections' start" >&2 9>&-
fi
psql="$bin/psql -h 127.0.0.1 -p $port -U postgres -qtA"
[ "$($psql -c "select 1 from pg_roles where rolname='ganbench'")" = 1 ] || $psql -c "create role ganbench login" >&2
[ "$($psql -c "select 1 from pg_database where datname='ganbench'")" = 1 ] || $psql -c "create database ganbench owner ganbench" >&2
echo "$url"
