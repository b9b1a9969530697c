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
# --no-run reads the log of the last run instead of running (e.g. to --record it).
# Prints, per run: suites, test cases, suites failed, definite leaks and invalid reads/writes
# reported. --record keeps each suite's last result in tests/memcheck/<asan|valgrind>-suites.tsv
# and their sum in tests/memcheck/last-run.tsv (committed; the README's "What was tried"
# table reads it). Exit status: 0 clean, 1 otherwise.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

mode=
record=false
run=true
suites=()
while [ $# -gt 0 ]; do
  case "$1" in
    --asan) mode=asan; shift ;;
    --valgrind) mode=valgrind; shift ;;
    --record) record=true; shift ;;
    --no-run) run=false; shift ;;  # only read (and --record) the last run's log
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
  $run && { nice ninja -C "$build" >/dev/null || { echo "memcheck: build failed (ninja -C $build)" >&2; exit 2; }; }
  # The asan setup is the default one of an -Dasan=true build (tests/memcheck/meson.build).
  $run && nice meson test -C "$build" --num-processes 2 --print-errorlogs "${suites[@]}"
  log=$build/meson-logs/testlog-asan.json
  [ -f "$log" ] || log=$build/meson-logs/testlog.json
  tool="ASan + LSan + UBSan (-Dasan=true)"
else
  build=build
  [ ${#suites[@]} -gt 0 ] || suites=(tracker recognizer presence contact_sheet workers frame_detector
                                      documented_defaults fuzz_replay_svm fuzz_replay_model_file
                                      fuzz_replay_embedding_cache fuzz_replay_manifest negotiation elements)
  $run && { nice ninja -C "$build" >/dev/null || { echo "memcheck: build failed (ninja -C $build)" >&2; exit 2; }; }
  $run && nice meson test -C "$build" --setup=valgrind --num-processes 1 --print-errorlogs "${suites[@]}"
  log=$build/meson-logs/testlog-valgrind.json
  tool="valgrind memcheck (--setup=valgrind)"
fi

# Per suite: test cases, result, definite leaks, invalid accesses. With --record the rows
# replace those of the same suites in tests/memcheck/<mode>-suites.tsv (so one suite can be
# rerun alone) and tests/memcheck/last-run.tsv gets the sum over that file.
suites_tsv=tests/memcheck/$mode-suites.tsv
summary=$(python3 - "$log" "$tool" "$suites_tsv" "$record" <<'EOF'
import csv, datetime, json, os, re, sys
log, tool, suites_tsv, record = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "true"
cols = ["suite", "cases", "result", "definite_leaks", "invalid_accesses", "date"]
today = datetime.date.today().isoformat()
rows = {}
for line in open(log):
    if not line.strip():
        continue
    t = json.loads(line)
    out = (t.get("stdout") or "") + (t.get("stderr") or "")  # valgrind and the sanitizers write to stderr
    m = re.search(r"Checks: (\d+), Failures: \d+, Errors: \d+", out)
    rows[t["name"]] = {
        "suite": t["name"], "cases": str(int(m.group(1)) if m else 1), "result": t["result"],
        "definite_leaks": str(len(re.findall(r"are definitely lost in loss record|ERROR: LeakSanitizer", out))),
        "invalid_accesses": str(len(re.findall(
            r"== (?:Invalid (?:read|write)|Conditional jump)|ERROR: AddressSanitizer|runtime error:", out))),
        "date": today}
def total(rs):
    return [tool, str(len(rs)), str(sum(int(r["cases"]) for r in rs)), str(sum(r["result"] != "OK" for r in rs)),
            str(sum(int(r["definite_leaks"]) for r in rs)), str(sum(int(r["invalid_accesses"]) for r in rs)),
            max(r["date"] for r in rs)]
this = total(list(rows.values()))
if record:
    kept = {}
    if os.path.exists(suites_tsv):
        with open(suites_tsv) as f:
            kept = {r["suite"]: r for r in csv.DictReader(f, delimiter="\t")}
    kept.update(rows)
    with open(suites_tsv, "w") as f:
        w = csv.DictWriter(f, cols, delimiter="\t", lineterminator="\n")
        w.writeheader()
        for k in sorted(kept):
            w.writerow(kept[k])
    last = "tests/memcheck/last-run.tsv"
    old = []
    if os.path.exists(last):
        with open(last) as f:
            old = [r for r in csv.reader(f, delimiter="\t")][1:]
    with open(last, "w") as f:
        w = csv.writer(f, delimiter="\t", lineterminator="\n")
        w.writerow(["tool", "suites", "cases", "failed", "definite_leaks", "invalid_accesses", "date"])
        for r in old:
            if r[0] != tool:
                w.writerow(r)
        w.writerow(total(list(kept.values())))
print("\t".join(this))
EOF
)
IFS=$'\t' read -r _ n cases failed leaks invalid _ <<<"$summary"
echo "memcheck: $tool: $n suites, $cases test cases, $failed failed, $leaks definite leaks, $invalid invalid accesses"
$record && echo "memcheck: recorded in $suites_tsv and tests/memcheck/last-run.tsv"
[ "$failed" -eq 0 ] && [ "$leaks" -eq 0 ] && [ "$invalid" -eq 0 ]
