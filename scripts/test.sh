#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the test suite on the shared
# test data ($FACEREC_TESTDATA, default ../shared/testdata).
# The last line is "N passed, N failed" (N counts test cases across all suites).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

testdata=${FACEREC_TESTDATA:-$root/../shared/testdata}
if [ ! -d "$testdata/faces" ]; then
  echo "test data not found in $testdata: set FACEREC_TESTDATA to the folder with faces/, images/, video/"
  echo "0 passed, 1 failed"
  exit 1
fi

meson test -C build --print-errorlogs --num-processes 2 "$@"
status=$?

# Count test cases: every suite prints Check's "Checks: N, Failures: F, Errors: E";
# a suite that died before printing it counts as one failure.
log=build/meson-logs/testlog.json
read -r passed failed < <(awk '
  {
    line = $0
    name = line; sub(/.*"name": "/, "", name); sub(/".*/, "", name)
    result = line; sub(/.*"result": "/, "", result); sub(/".*/, "", result)
    if (match(line, /Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+/)) {
      s = substr(line, RSTART, RLENGTH); gsub(/[^0-9]+/, " ", s); split(s, n, " ")
      checks = n[1]; bad = n[2] + n[3]
      if (result != "OK" && bad == 0) bad = 1
      p += checks - bad; f += bad
    } else if (result == "OK") { p += 1 }
    else if (result == "SKIP") { }
    else { f += 1 }
  }
  END { printf "%d %d\n", p, f }' "$log")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
