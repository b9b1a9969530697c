#!/usr/bin/env bash
# The concurrency test (tests/test_concurrency.cpp) with many model swaps: four
# pipelines in one process, models set while playing and replaced under `watch`.
#
#   scripts/concurrency-soak.sh [SWAPS]     (default 1000; CI runs 60)
#
# Log: build/concurrency-soak.log (its last lines are the figures README "What was
# tried" quotes; scripts/what-was-tried.sh reads them). Exit status: the test's.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swaps=${1:-1000}
log=build/concurrency-soak.log
nice ninja -C build tests/test_concurrency >/dev/null || { echo "build failed"; exit 2; }
FACEREC_SWAPS=$swaps meson test -C build --print-errorlogs -v --timeout-multiplier 4 concurrency >"$log" 2>&1
rc=$?
grep -E '^pipeline|property swaps|Checks' "$log"
echo "concurrency-soak: $swaps swaps, exit $rc (log $log)"
exit $rc
