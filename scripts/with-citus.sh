#!/bin/sh
# Runs a command with a throwaway Citus cluster (distributed PostgreSQL) on loopback:
# a coordinator and two workers, with SEGQ_TEST_CITUS and SEGQ_TEST_POSTGRES both set
# to the coordinator's URL, so that the stores the tests make are Citus stores
# (docs/scaling.md, "Running on Citus").
#
#   scripts/with-citus.sh swift test --skip-build --filter CitusTests
#   scripts/with-citus.sh examples/check.sh
#
# Citus is in neither Debian nor PyPI: when it is not installed for Debian's
# PostgreSQL 15, this builds and installs it from its source beside the repository
# (../shared/vendor/citus/build.sh, or $SEGQ_CITUS_SOURCE; needs root, about 4 minutes
# on 2 cores). The three servers run as an unprivileged user — `nobody` when this
# script runs as root — from one temporary directory that is removed afterwards, also
# on failure, listening only on 127.0.0.1 at free ports, with trust authentication
# for the local user `segq`. Each distributed table has 8 shards (4 per worker), not
# Citus's 32: the tests make hundreds of small stores.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
pg=15
bindir=/usr/lib/postgresql/$pg/bin
libdir=/usr/lib/postgresql/$pg/lib

if [ ! -f "$libdir/citus.so" ]; then
    src=${SEGQ_CITUS_SOURCE:-}
    if [ -z "$src" ]; then
        # The repository's sibling `shared/`; from a git worktree, the main checkout's.
        main=$(cd "$here" && git rev-parse --path-format=absolute --git-common-dir 2>/dev/null | sed 's|/\.git$||' || true)
        for candidate in "$here/../shared/vendor/citus" "${main:-$here}/../shared/vendor/citus"; do
            if [ -x "$candidate/build.sh" ]; then src=$candidate; break; fi
        done
    fi
    if [ -z "$src" ] || [ ! -x "$src/build.sh" ]; then
        echo "with-citus: Citus is not installed and ../shared/vendor/citus/build.sh is missing (set SEGQ_CITUS_SOURCE)" >&2
        exit 1
    fi
    echo "with-citus: building Citus from $src (a few minutes)" >&2
    if [ "$(id -u)" = 0 ]; then "$src/build.sh"; else sudo "$src/build.sh"; fi
fi
if [ ! -x "$bindir/initdb" ]; then
    echo "with-citus: PostgreSQL $pg's server is not installed (apt-get install postgresql-$pg)" >&2
    exit 1
fi

dir=$(mktemp -d /tmp/segq-citus.XXXXXX)
chmod 755 "$dir"
as_user() { "$@"; }
if [ "$(id -u)" = 0 ]; then
    chown nobody "$dir"
    as_user() { runuser -u nobody -- "$@"; }
fi

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
nodes="coordinator worker1 worker2"

cleanup() {
    for node in $nodes; do
        [ -d "$dir/$node" ] && as_user "$bindir/pg_ctl" -D "$dir/$node" -m immediate stop >/dev/null 2>&1 || true
    done
    rm -rf "$dir"
}
child=
trap cleanup EXIT
# A signal stops the command and then the cluster at once (the shell would otherwise run
# the trap only after the command ends by itself).
trap '[ -n "$child" ] && kill "$child" 2>/dev/null; exit 130' INT TERM

ports=""
for node in $nodes; do
    port=$(free_port)
    ports="$ports $port"
    as_user "$bindir/initdb" -D "$dir/$node" -U segq --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/$node.initdb.log" 2>&1 \
        || { cat "$dir/$node.initdb.log" >&2; exit 1; }
    # Settings for a throwaway test cluster: nothing it holds needs to survive a crash.
    as_user sh -c "cat >> '$dir/$node/postgresql.conf'" <<EOF
shared_preload_libraries = 'citus'
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
citus.node_conninfo = 'sslmode=disable'
citus.shard_count = 8
EOF
    as_user "$bindir/pg_ctl" -D "$dir/$node" -l "$dir/$node.log" -w start >/dev/null \
        || { cat "$dir/$node.log" >&2; exit 1; }
    "$bindir/createdb" -h 127.0.0.1 -p "$port" -U segq segq_test
    "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U segq -d segq_test \
        -c "SET client_min_messages = warning; CREATE EXTENSION citus"
done

set -- $ports "$@"
coordinator=$1 worker1=$2 worker2=$3
shift 3
"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$coordinator" -U segq -d segq_test >/dev/null <<EOF
SELECT citus_set_coordinator_host('127.0.0.1', $coordinator);
SELECT citus_add_node('127.0.0.1', $worker1);
SELECT citus_add_node('127.0.0.1', $worker2);
EOF

SEGQ_TEST_CITUS="postgres://segq@127.0.0.1:$coordinator/segq_test"
SEGQ_TEST_POSTGRES=$SEGQ_TEST_CITUS
export SEGQ_TEST_CITUS SEGQ_TEST_POSTGRES
version=$("$bindir/psql" -X -At -h 127.0.0.1 -p "$coordinator" -U segq -d segq_test -c "SELECT extversion FROM pg_extension WHERE extname = 'citus'")
echo "with-citus: Citus $version (coordinator and 2 workers) at $SEGQ_TEST_CITUS" >&2
exec 3<&0
"$@" <&3 3<&- &
child=$!
wait "$child"
