#!/usr/bin/env bash
# Fuzz the SegQL front end with libFuzzer (see docs/fuzzing.md).
#
#   scripts/fuzz.sh [SECONDS] [libFuzzer flags...]     default: 900 seconds
#
# Builds only the SegQLFuzz product, instrumented, in its own build directory (so the
# normal .build is untouched), seeds fuzz-corpus/ from examples/ and the golden corpus,
# and runs. Crashes are written to ./crash-*; reproduce one with
#   swift run SegQLFuzz crash-<hash>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-900}"
if [ $# -gt 0 ]; then shift; fi

swift build -c release --product SegQLFuzz --build-path .build-fuzz \
    -Xswiftc -sanitize=fuzzer -Xswiftc -DSEGQL_FUZZING

corpus=fuzz-corpus
mkdir -p "$corpus"
for f in examples/*.segq Tests/SegQLTests/Golden/trees/*.segq Tests/SegQLTests/Golden/diagnostics/*.segq; do
    cp -n "$f" "$corpus/seed-$(basename "$f")"
done

exec .build-fuzz/release/SegQLFuzz "$corpus" \
    -dict=Fuzz/segql.dict \
    -max_total_time="$seconds" \
    -max_len=4096 \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -print_final_stats=1 \
    "$@"
