#!/usr/bin/env python3
"""Turns models/manifest.json into a C++ source holding its text.

    embed_manifest.py MANIFEST.json OUT.cpp

Run by meson (lib/meson.build) at build time, so the library carries the manifest
it was built with and an installed plugin never has to find the file. The text is
written as a byte array (no escaping questions). The manifest is checked first: it
must be valid JSON, and it must not contain null, which OpenCV's JSON reader
(cv::FileStorage, used by lib/manifest.cpp) refuses; leave unknown fields out instead.
"""
import json
import sys


def find_nulls(node, path, out):
    if node is None:
        out.append(path or "/")
    elif isinstance(node, dict):
        for k, v in node.items():
            find_nulls(v, "%s/%s" % (path, k), out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            find_nulls(v, "%s/%d" % (path, i), out)


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: embed_manifest.py MANIFEST.json OUT.cpp")
    src, dst = argv[1], argv[2]
    try:
        with open(src, "rb") as f:
            data = f.read()
        doc = json.loads(data.decode("utf-8"))
    except (OSError, ValueError) as e:
        sys.exit("%s: not a readable JSON manifest: %s" % (src, e))
    nulls = []
    find_nulls(doc, "", nulls)
    if nulls:
        sys.exit("%s: null at %s: OpenCV's JSON reader has no null; leave the field out"
                 % (src, ", ".join(nulls)))
    lines = []
    for i in range(0, len(data), 16):
        lines.append("  " + " ".join("0x%02x," % b for b in data[i:i + 16]))
    with open(dst, "w") as out:
        out.write("// Generated from models/manifest.json by lib/embed_manifest.py. Do not edit.\n")
        out.write("#include <cstddef>\n\nnamespace facerec {\nnamespace detail {\n\n")
        out.write("extern const char kBuiltinManifest[];\nextern const std::size_t kBuiltinManifestSize;\n\n")
        out.write("const char kBuiltinManifest[] = {\n")
        out.write("\n".join(lines))
        out.write("\n  0x00};\n")
        out.write("const std::size_t kBuiltinManifestSize = %d;\n\n" % len(data))
        out.write("}  // namespace detail\n}  // namespace facerec\n")


if __name__ == "__main__":
    main(sys.argv)
