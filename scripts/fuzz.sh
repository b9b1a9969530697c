#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, meson option `fuzzing`, clang) and runs each
# for a while, seeded with real files: a model trained by facerec-train on the test
# data (JSON + .svm, linear, rbf and one-person), its embedding cache, the manifest,
# and the committed regression inputs (fuzz/regressions/).
#
#   scripts/fuzz.sh [--seconds N] [--build DIR] [--train TOOL] [--smoke] [--record] [HARNESS...]
#
#   --seconds N   run time per harness (default 600)
#   --build DIR   clang build folder (default build-fuzz, configured if missing)
#   --train TOOL  the facerec-train that makes the seeds (default: DIR's own, built here)
#   --smoke       the CI run (the fuzz_smoke test): 15 s per harness, and a missing clang
#                 or libFuzzer runtime is a failure under CI ($CI set), a skip (77) elsewhere
#   --record      also write the figures to fuzz/last-run.tsv (committed; README and
#                 scripts/what-was-tried.sh read it)
#   HARNESS       svm, model_file, embedding_cache, manifest (default: all; two at a time
#                 with --jobs 2)
#   --jobs N      harnesses run at once (default 1)
#
# Writes DIR/fuzz-logs/<harness>.log and DIR/fuzz-logs/summary.tsv (harness, seconds,
# executions, coverage, features, corpus, findings), read by scripts/what-was-tried.sh.
# A crash input is left in DIR/fuzz-artifacts/<harness>/: copy it to
# fuzz/regressions/<harness>/ once fixed (the fuzz_replay tests replay that folder).
# Exit status: 0 no finding, 1 a finding (or, under CI, no toolchain), 2 setup problem,
# 77 no toolchain outside CI.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=600
build=build-fuzz
train_tool=
smoke=false
record=false
jobs=1
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --train) train_tool=$2; shift 2 ;;
    --smoke) smoke=true; seconds=15; shift ;;
    --record) record=true; shift ;;
    --jobs) jobs=$2; shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=(svm model_file embedding_cache manifest)

die() { echo "fuzz: $*" >&2; exit 2; }
# No clang or no libFuzzer runtime: under CI a failure (nothing may be skipped there),
# elsewhere meson's "skipped" with the fix.
no_toolchain() {
  if [ -n "${CI:-}" ]; then
    echo "FAIL: $* (CI is set: nothing may be skipped; scripts/install-deps.sh installs it)" >&2
    exit 1
  fi
  echo "SKIP: $* (apt install clang libclang-rt-14-dev: scripts/install-deps.sh)"
  exit 77
}
command -v clang++ >/dev/null || no_toolchain "clang++ not found"
probe=$(mktemp -d)
echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' >"$probe/p.cpp"
clang++ -fsanitize=fuzzer,address "$probe/p.cpp" -o "$probe/p" >"$probe/log" 2>&1 ||
  { cat "$probe/log" >&2; rm -rf "$probe"; no_toolchain "clang++ cannot link a libFuzzer harness (libclang_rt.fuzzer missing)"; }
rm -rf "$probe"

if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$build" -Dfuzzing=true -Dtests=disabled -Dbuildtype=debugoptimized \
    -Db_ndebug=false >"$build.setup.log" 2>&1 || { cat "$build.setup.log"; die "meson setup failed"; }
fi
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz/fuzz-$h"); done
[ -n "$train_tool" ] || { train_tool=$build/tools/facerec-train; targets+=(tools/facerec-train); }
nice ninja -C "$build" -j 2 "${targets[@]}" >"$build.ninja.log" 2>&1 ||
  { tail -30 "$build.ninja.log"; die "build failed (ninja -C $build)"; }

# ---- seeds: real files --------------------------------------------------------------
testdata=${FACEREC_TESTDATA:-${FACEREC_TESTDATA_DEFAULT:-$root/../shared/testdata}}
export FACEREC_MODEL_PATH=${FACEREC_MODEL_PATH:-$root/models/data}
seeds=$build/fuzz-seeds
if [ ! -f "$seeds/.done" ]; then
  rm -rf "$seeds" && mkdir -p "$seeds"/{svm,model_file,embedding_cache,manifest} "$seeds/train"
  [ -d "$testdata/faces" ] || die "test data not found in $testdata (set FACEREC_TESTDATA)"
  n=0
  for person in $(ls "$testdata/faces" | head -3); do
    mkdir -p "$seeds/train/ds/$person"
    ls "$testdata/faces/$person"/*.jpg | head -4 | xargs -I{} cp {} "$seeds/train/ds/$person/"
    n=$((n + 1))
  done
  mkdir -p "$seeds/train/one/$(ls "$seeds/train/ds" | head -1)"
  cp "$seeds/train/ds/$(ls "$seeds/train/ds" | head -1)"/*.jpg "$seeds/train/one/$(ls "$seeds/train/ds" | head -1)/"
  # The sanitizer build's facerec-train (no leak check: not what is fuzzed here).
  train() { ASAN_OPTIONS=detect_leaks=0 "$train_tool" -q "$@" >/dev/null 2>&1 || die "$train_tool $* failed"; }
  train "$seeds/train/ds" -o "$seeds/train/linear.model"
  train "$seeds/train/ds" -o "$seeds/train/rbf.model" --kernel rbf --no-cache
  train "$seeds/train/one" -o "$seeds/train/one.model" --no-cache
  for m in linear rbf; do
    cp "$seeds/train/$m.model.svm" "$seeds/svm/$m.svm"
    { cat "$seeds/train/$m.model"; printf '\0'; cat "$seeds/train/$m.model.svm"; } >"$seeds/model_file/$m"
  done
  cp "$seeds/train/one.model" "$seeds/model_file/one"
  cp "$seeds/train/linear.model.cache" "$seeds/embedding_cache/real.cache"
  cp models/manifest.json "$seeds/manifest/manifest.json"
  touch "$seeds/.done"
fi

# ---- runs -----------------------------------------------------------------------------
logs=$build/fuzz-logs
mkdir -p "$logs"
summary=$logs/summary.tsv
header='harness\tseconds\texecutions\tcoverage\tfeatures\tcorpus\tfindings\tdate\n'
[ -f "$summary" ] || printf "$header" >"$summary"
this_run=$logs/this-run.tsv
: >"$this_run"

# One harness: its figures appended to the summary; exit 1 on a finding.
run_one() {
  local h=$1 corpus=$build/fuzz-corpus/$1 artifacts=$build/fuzz-artifacts/$1 log=$logs/$1.log
  mkdir -p "$corpus" "$artifacts"
  local start=$logs/.start-$h
  touch "$start"
  echo "fuzz: $h for ${seconds}s (log $log)"
  # -rss_limit_mb: a run that allocates more than 2 GB is a finding (bounded reads).
  # detect_leaks=0: leaks are checked by the asan test setup (docs/memcheck.md).
  ASAN_OPTIONS=detect_leaks=0 FACEREC_MODEL_PATH=$FACEREC_MODEL_PATH \
    nice -n 10 "$build/fuzz/fuzz-$h" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "$seeds/$h" "fuzz/regressions/$h" \
    >"$log" 2>&1
  local rc=$?
  local execs last cov ft corp findings
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
  findings=$(find "$artifacts" -type f -newer "$start" | wc -l)  # this run's only
  local line
  line=$(printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s' "$h" "$seconds" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
    "${corp:-?}" "$findings" "$(date -u +%Y-%m-%d)")
  echo "$line" >>"$summary"
  echo "$line" >>"$this_run"
  echo "fuzz: $h: ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, findings $findings"
  if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ]; then
    echo "fuzz: $h: FINDING (exit $rc); inputs in $artifacts:" && find "$artifacts" -type f -newer "$start"
    grep -E 'ERROR|FUZZ FINDING|SUMMARY' "$log" | head -5
    return 1
  fi
  return 0
}

status=0
pids=()
for h in "${harnesses[@]}"; do
  run_one "$h" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$jobs" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done

if $record; then  # this run's rows replace those of the same harnesses
  last=fuzz/last-run.tsv
  { printf "$header"; { [ -f "$last" ] && tail -n +2 "$last" | grep -v -E "^($(cut -f1 "$this_run" | paste -sd'|'))"$'\t'
                         cat "$this_run"; } | sort; } >"$last.new" && mv "$last.new" "$last"
  echo "fuzz: figures written to $last"
fi
exit $status
