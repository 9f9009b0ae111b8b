#!/bin/sh
# Runs a command with a throwaway PostgreSQL server on loopback, and
# SEGQ_TEST_POSTGRES set to its URL, so that the test-suite's stores are made on
# PostgreSQL as well as SQLite (docs/scaling.md, "Testing on PostgreSQL").
#
#   scripts/with-postgres.sh swift test --skip-build --filter SegSessionTests
#
# The server (Debian's `postgresql` package: /usr/lib/postgresql/*/bin) runs as an
# unprivileged user — `nobody` when this script runs as root, as PostgreSQL refuses
# root — from a temporary directory that is removed afterwards, listening only on
# 127.0.0.1 at a free port, with trust authentication for the local user `segq`.
set -eu

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "with-postgres: PostgreSQL's server is not installed (apt-get install postgresql)" >&2
    exit 1
fi

dir=$(mktemp -d /tmp/segq-pg.XXXXXX)
chmod 755 "$dir"
as_user() { "$@"; }
if [ "$(id -u)" = 0 ]; then
    chown nobody "$dir"
    as_user() { runuser -u nobody -- "$@"; }
fi

# A free port: ask the kernel for one.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo 54329)

cleanup() {
    as_user "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

as_user "$bindir/initdb" -D "$dir/data" -U segq --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
# Settings for a throwaway test server: nothing it holds needs to survive a crash.
as_user "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
"$bindir/createdb" -h 127.0.0.1 -p "$port" -U segq segq_test

SEGQ_TEST_POSTGRES="postgres://segq@127.0.0.1:$port/segq_test"
export SEGQ_TEST_POSTGRES
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') at $SEGQ_TEST_POSTGRES" >&2
"$@"
