#!/usr/bin/env bash
# Runs every examples/*.segq with `segq run` against a fresh demo store and fails on
# any error, or on a result that is empty where the workflow needs contacts: every
# `count` must be above zero, every `show` must return a row, every export must write
# one. Usage: examples/check.sh [CONTACTS]   (default 20000; SEGQ_BIN picks the binary)
#
# With SEGQ_TEST_POSTGRES set (scripts/with-postgres.sh sets it), the same demo store is
# also built in a fresh schema of that PostgreSQL database and every example is run
# there too: its output (but for `explain`'s plan: strategy, estimate, sources, SQL and
# the database's plan) and its exported files must be byte for byte the SQLite ones.
set -euo pipefail
cd "$(dirname "$0")/.."
contacts="${1:-20000}"
segq="${SEGQ_BIN:-}"
if [ -z "$segq" ]; then
    swift build --product segq >&2
    segq="$(swift build --show-bin-path)/segq"
fi
segq="$(cd "$(dirname "$segq")" && pwd)/$(basename "$segq")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="$work/demo.db"
"$segq" demo --db "$db" --contacts "$contacts" >&2

failed=0
for example in examples/*.segq; do
    name="$(basename "$example" .segq)"
    mkdir -p "$work/$name"
    out="$work/$name/stdout.csv"
    if ! (cd "$work/$name" && "$segq" run --db "$db" --format csv "$OLDPWD/$example") >"$out" 2>"$work/$name/stderr"; then
        echo "FAIL $example: segq exited with an error:" >&2
        sed 's/^/    /' "$work/$name/stderr" >&2
        failed=1
        continue
    fi
    # A bare number is the answer of `count`: zero means the workflow found nobody.
    if grep -qxE '0' "$out"; then
        echo "FAIL $example: a count is 0" >&2
        failed=1
        continue
    fi
    # A CSV header must be followed by at least one row.
    if awk '/^contact_id,email,phone,first_name,last_name\r?$/ { if (h) exit 1; h = 1; next } h { h = 0 } END { exit h }' "$out"; then
        :
    else
        echo "FAIL $example: a query returned no rows" >&2
        failed=1
        continue
    fi
    # Exports must have written rows.
    for file in "$work/$name"/*.csv "$work/$name"/*.json "$work/$name"/*.jsonl; do
        [ -e "$file" ] && [ "$file" != "$out" ] || continue
        if [ "$(wc -l < "$file")" -lt 2 ]; then
            echo "FAIL $example: $(basename "$file") is empty" >&2
            failed=1
        fi
    done
    echo "ok   $example ($(grep -cvE '^(contact_id,|alias |saved |campaign context)' "$out") lines)" >&2
done

# `explain` shows each database's own SQL, parameters and plan (also each set's, and the
# one statement of a saved view), and its own choice of strategy with the estimates and
# sources that go with it (SQLite merges set operations, PostgreSQL does not): compared
# without them.
without_sql() {
    awk '/^(sql|parameters|sqlite plan|postgresql plan|sources):$/ || /^(strategy|estimate): / || /^set \[[0-9]+\]: / || /^as one statement/ { skip = 1; next } skip && /^  / { next } { skip = 0; print }' "$1"
}

if [ -n "${SEGQ_TEST_POSTGRES:-}" ]; then
    schema="examples_$$"
    psql -X -q -d "$SEGQ_TEST_POSTGRES" -c "CREATE SCHEMA $schema"
    pg="$SEGQ_TEST_POSTGRES?options=-csearch_path%3D$schema"
    "$segq" demo --db "$pg" --contacts "$contacts" >&2
    for example in examples/*.segq; do
        name="$(basename "$example" .segq)"
        mkdir -p "$work/pg-$name"
        if ! (cd "$work/pg-$name" && "$segq" run --db "$pg" --format csv "$OLDPWD/$example") >"$work/pg-$name/stdout.csv" 2>"$work/pg-$name/stderr"; then
            echo "FAIL $example on PostgreSQL: segq exited with an error:" >&2
            sed 's/^/    /' "$work/pg-$name/stderr" >&2
            failed=1
        elif ! diff -r "$work/$name" "$work/pg-$name" -x stderr -x stdout.csv >"$work/pg-$name.diff" \
            || ! diff <(without_sql "$work/$name/stdout.csv") <(without_sql "$work/pg-$name/stdout.csv") >>"$work/pg-$name.diff"; then
            echo "FAIL $example: PostgreSQL's output differs from SQLite's:" >&2
            head -20 "$work/pg-$name.diff" | sed 's/^/    /' >&2
            failed=1
        else
            echo "ok   $example on PostgreSQL (the same output and files as on SQLite)" >&2
        fi
    done
    psql -X -q -d "$SEGQ_TEST_POSTGRES" -c "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE"
fi
exit "$failed"
