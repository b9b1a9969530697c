#!/usr/bin/env bash
# Installs every Debian 12 package that gst-facerec needs to build, test and run
# its examples. Non-interactive and idempotent: packages already present are skipped.
set -euo pipefail

PKGS=(
  # build
  build-essential pkg-config meson ninja-build
  # GStreamer 1.22: core, base (video), check, tools and the plugins the examples use
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  gstreamer1.0-rtsp libgstrtspserver-1.0-dev
  # computer vision and classification
  libopencv-dev libsvm-dev
  # JSON (faceexport, facepublish, facerec-eval --json, the tests' reader)
  libjson-glib-dev
  # MQTT: facepublish's client library; the broker and clients its tests start
  libmosquitto-dev mosquitto mosquitto-clients
  # build-time model conversion (Debian's python, not a virtualenv)
  python3 python3-onnx python3-numpy
  # model acquisition
  ca-certificates curl
  # facerec-batch --slurm and its test: slurmctld, slurmd and the client commands
  # (sbatch, squeue, scontrol, scancel, sinfo), munge for their authentication
  slurm-wlm slurm-client munge
  # leak/memory-error runs (docs/memcheck.md) and the fuzzers (fuzz/README.md): valgrind;
  # clang with its libFuzzer/ASan runtime (libclang_rt.fuzzer: libclang-rt-14-dev on Debian 12)
  valgrind clang libclang-rt-14-dev
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js/npm fetch the default models; keep an existing installation if there is one.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all Debian packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run this script as root (or install them with sudo apt-get install)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
