#!/usr/bin/env bash
# The leak and memory-error runs (docs/memcheck.md), and their figures.
#
#   scripts/memcheck.sh --asan [--record] [SUITE...]      ASan + LSan + UBSan build (build-asan,
#                                                         configured if missing): the whole suite
#                                                         by default
#   scripts/memcheck.sh --valgrind [--record] [SUITE...]  valgrind memcheck on build/: by default
#                                                         the lib unit suites without DNN work and
#                                                         the element suites that use little of it
#
# Prints, per run: suites, test cases, suites failed, definite leaks and invalid reads/writes
# reported. --record writes that row to tests/memcheck/last-run.tsv (committed; the README's
# "What was tried" table reads it). Exit status: 0 clean, 1 otherwise.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=
record=false
suites=()
while [ $# -gt 0 ]; do
  case "$1" in
    --asan) mode=asan; shift ;;
    --valgrind) mode=valgrind; shift ;;
    --record) record=true; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) suites+=("$1"); shift ;;
  esac
done
[ -n "$mode" ] || { echo "memcheck: say --asan or --valgrind" >&2; exit 2; }

if [ "$mode" = asan ]; then
  build=build-asan
  if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" -Dasan=true -Dbuildtype=debugoptimized >"$build.setup.log" 2>&1 ||
      { cat "$build.setup.log"; exit 2; }
  fi
  nice ninja -C "$build" >/dev/null || { echo "memcheck: build failed (ninja -C $build)" >&2; exit 2; }
  # The asan setup is the default one of an -Dasan=true build (tests/memcheck/meson.build).
  nice meson test -C "$build" --num-processes 2 --print-errorlogs "${suites[@]}"
  log=$build/meson-logs/testlog-asan.json
  [ -f "$log" ] || log=$build/meson-logs/testlog.json
  tool="ASan + LSan + UBSan (-Dasan=true)"
else
  build=build
  [ ${#suites[@]} -gt 0 ] || suites=(tracker recognizer presence contact_sheet workers frame_detector
                                      documented_defaults fuzz_replay_svm fuzz_replay_model_file
                                      fuzz_replay_embedding_cache fuzz_replay_manifest negotiation elements)
  nice ninja -C "$build" >/dev/null || { echo "memcheck: build failed (ninja -C $build)" >&2; exit 2; }
  nice meson test -C "$build" --setup=valgrind --num-processes 1 --print-errorlogs "${suites[@]}"
  log=$build/meson-logs/testlog-valgrind.json
  tool="valgrind memcheck (--setup=valgrind)"
fi

row=$(python3 - "$log" "$tool" <<'EOF'
import datetime, json, re, sys
log, tool = sys.argv[1], sys.argv[2]
tests = [json.loads(l) for l in open(log) if l.strip()]
cases = failed = leaks = invalid = 0
for t in tests:
    out = (t.get("stdout") or "") + (t.get("stderr") or "")  # valgrind and the sanitizers write to stderr
    m = re.search(r"Checks: (\d+), Failures: \d+, Errors: \d+", out)
    cases += int(m.group(1)) if m else 1
    failed += t["result"] != "OK"
    leaks += len(re.findall(r"are definitely lost in loss record|ERROR: LeakSanitizer", out))
    invalid += len(re.findall(r"== (?:Invalid (?:read|write)|Conditional jump)|ERROR: AddressSanitizer|runtime error:", out))
print("\t".join([tool, str(len(tests)), str(cases), str(failed), str(leaks), str(invalid),
                 datetime.date.today().isoformat()]))
EOF
)
IFS=$'\t' read -r _ n cases failed leaks invalid _ <<<"$row"
echo "memcheck: $tool: $n suites, $cases test cases, $failed failed, $leaks definite leaks, $invalid invalid accesses"
if $record; then
  out=tests/memcheck/last-run.tsv
  header=$'tool\tsuites\tcases\tfailed\tdefinite_leaks\tinvalid_accesses\tdate'
  { echo "$header"; [ -f "$out" ] && tail -n +2 "$out" | grep -v -F "$tool"; echo "$row"; } >"$out.new"
  mv "$out.new" "$out"
  echo "memcheck: recorded in $out"
fi
[ "$failed" -eq 0 ] && [ "$leaks" -eq 0 ] && [ "$invalid" -eq 0 ]
