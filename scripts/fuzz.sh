#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/, meson option `fuzzing`, clang) and runs each
# for a while, seeded with real files: a model trained by facerec-train on the test
# data (JSON + .svm, linear, rbf and one-person), its embedding cache, the manifest,
# and the committed regression inputs (fuzz/regressions/).
#
#   scripts/fuzz.sh [--seconds N] [--build DIR] [HARNESS...]
#
#   --seconds N   run time per harness (default 600); scripts/test.sh runs 15 s each
#   --build DIR   clang build folder (default build-fuzz, configured if missing)
#   HARNESS       svm, model_file, embedding_cache, manifest (default: all, one at a time)
#
# Writes DIR/fuzz-logs/<harness>.log and DIR/fuzz-logs/summary.tsv (harness, seconds,
# executions, coverage, features, corpus, findings), read by scripts/what-was-tried.sh.
# A crash input is left in DIR/fuzz-artifacts/<harness>/: copy it to
# fuzz/regressions/<harness>/ once fixed (the fuzz_replay tests replay that folder).
# Exit status: 0 no finding, 1 a finding, 2 setup problem.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

seconds=600
build=build-fuzz
harnesses=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) harnesses+=("$1"); shift ;;
  esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=(svm model_file embedding_cache manifest)

die() { echo "fuzz: $*" >&2; exit 2; }
command -v clang++ >/dev/null || die "clang++ not found: apt install clang libclang-rt-14-dev (scripts/install-deps.sh)"

if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$build" -Dfuzzing=true -Dtests=disabled -Dbuildtype=debugoptimized \
    -Db_ndebug=false >"$build.setup.log" 2>&1 || { cat "$build.setup.log"; die "meson setup failed"; }
fi
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz/fuzz-$h"); done
nice ninja -C "$build" "${targets[@]}" tools/facerec-train >/dev/null || die "build failed (ninja -C $build)"

# ---- seeds: real files --------------------------------------------------------------
testdata=${FACEREC_TESTDATA:-$root/../shared/testdata}
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
  train() { ASAN_OPTIONS=detect_leaks=0 "$build/tools/facerec-train" -q "$@" >/dev/null 2>&1 || die "facerec-train $* failed"; }
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
[ -f "$summary" ] || printf 'harness\tseconds\texecutions\tcoverage\tfeatures\tcorpus\tfindings\tdate\n' >"$summary"
status=0
for h in "${harnesses[@]}"; do
  corpus=$build/fuzz-corpus/$h
  artifacts=$build/fuzz-artifacts/$h
  mkdir -p "$corpus" "$artifacts"
  log=$logs/$h.log
  echo "fuzz: $h for ${seconds}s (log $log)"
  # -rss_limit_mb: a run that allocates more than 2 GB is a finding (bounded reads).
  # detect_leaks=0: leaks are checked by the asan test setup (docs/memcheck.md).
  ASAN_OPTIONS=detect_leaks=0 FACEREC_MODEL_PATH=$FACEREC_MODEL_PATH \
    nice -n 10 "$build/fuzz/fuzz-$h" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "$seeds/$h" "fuzz/regressions/$h" \
    >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
  findings=$(find "$artifacts" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$h" "$seconds" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
    "$findings" "$(date -u +%Y-%m-%d)" >>"$summary"
  echo "fuzz: $h: ${execs:-?} executions, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}, findings $findings"
  if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ]; then
    echo "fuzz: $h: FINDING (exit $rc); inputs in $artifacts:" && ls "$artifacts"
    grep -E 'ERROR|FUZZ FINDING|SUMMARY' "$log" | head -5
    status=1
  fi
done
exit $status
