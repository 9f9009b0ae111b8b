#!/usr/bin/env bash
# Fuzz SegQL with libFuzzer (see docs/fuzzing.md).
#
#   scripts/fuzz.sh [sema] [SECONDS] [libFuzzer flags...]     default: 900 seconds
#
# Without `sema`: the front end (SegQLFuzz: lexer, parser, printer, diagnostics).
# With `sema`: the binder, planner and SQL renderer, each input's statements run on a
# small in-memory store (SegQLSemaFuzz).
#
# Builds only that product, instrumented, in its own build directory (so the normal
# .build is untouched), seeds the corpus (fuzz-corpus/ or fuzz-corpus-sema/) from
# examples/ and the golden corpus, and runs. Crashes are written to ./crash-*;
# reproduce one with
#   swift run SegQLFuzz crash-<hash>        (or SegQLSemaFuzz)
#
# The instrumented build alone takes minutes, so CI does not run this: every
# `swift test` runs SegQLSemaFuzz's checks on generated inputs instead
# (Tests/SegFuzzTests). For the hour-long run: scripts/fuzz.sh sema 3600.
set -euo pipefail
cd "$(dirname "$0")/.."

product=SegQLFuzz
corpus=fuzz-corpus
if [ "${1:-}" = sema ]; then
    product=SegQLSemaFuzz
    corpus=fuzz-corpus-sema
    shift
fi
seconds="${1:-900}"
if [ $# -gt 0 ]; then shift; fi

swift build -c release --product "$product" --build-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer -Xswiftc -DSEGQL_FUZZING

mkdir -p "$corpus"
for f in examples/*.segq Tests/SegQLTests/Golden/trees/*.segq Tests/SegQLTests/Golden/diagnostics/*.segq; do
    cp -n "$f" "$corpus/seed-$(basename "$f")"
done

# The corpus kept in the repository (Fuzz/corpus/sema: the inputs of the recorded
# 10-minute run) is read as well; new inputs are written to $corpus only.
kept=()
if [ "$product" = SegQLSemaFuzz ]; then kept=(Fuzz/corpus/sema); fi
exec ".build-fuzz/release/$product" "$corpus" "${kept[@]}" \
    -dict=Fuzz/segql.dict \
    -max_total_time="$seconds" \
    -max_len=4096 \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -print_final_stats=1 \
    "$@"
