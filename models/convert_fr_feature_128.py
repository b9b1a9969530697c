#!/usr/bin/python3
"""Derive a 128-d face embedder from faceplugin's 512-d fr_feature.onnx, without data.

Input : fr_feature.onnx from the npm package faceplugin-face-recognition-js@0.0.1 (MIT;
        a MobileFaceNet-style ArcFace network: input 'input' [1,3,112,112], output
        'output' [1,512]).
Output: the same graph with its last layer, a 1x1 convolution 512->512 (weights '666',
        bias '667') right before the final Reshape, replaced by its projection onto the
        top-128 left singular vectors U128 of that weight matrix W (512x512):
            W' = U128^T W   (128x512, a 1x1 conv 512->128)
            b' = U128^T b
        so that output_128 = U128^T output_512 exactly (up to float rounding), for every
        input. Nothing else changes; the Reshape [1,-1] follows the new width.

Why the SVD and not a PCA of face embeddings: it needs no face data (a user's setup
cannot be assumed to have any), and it keeps the directions the layer amplifies most
(the top 128 of 512 singular values carry 94 % of W's energy). Measured on other LFW
people (issue 12): top-1 98.8 % and a balanced open set of 98.4 / 98.7 %, against
98.8 % and 98.6 / 98.7 % for the 512-d output; a random 128-d projection lost a point.

Determinism: the SVD runs in float64 (numpy's LAPACK); each singular vector's sign is
fixed so that its entry of largest magnitude is positive (lowest index on a tie), and
the results are rounded to float32. The same numpy/onnx give a bit-identical file;
--digest prints a content digest that also holds across onnx versions and LAPACK builds
that differ in the last bits (see content_digest()).

Usage: convert_fr_feature_128.py --model fr_feature.onnx -o fr_feature_128d.onnx
       convert_fr_feature_128.py --digest OUT.onnx
       convert_fr_feature_128.py --basis fr_feature.onnx   (prints U128, one row per line:
                                                           for checks)
Written for Debian's /usr/bin/python3 with python3-onnx and python3-numpy.
"""

import argparse
import hashlib
import os
import sys

try:
    import numpy as np
except ImportError:  # pragma: no cover
    sys.exit("convert_fr_feature_128.py: error: numpy is missing (Debian: apt install python3-numpy; "
             "run with /usr/bin/python3)")
try:
    import onnx
    from onnx import helper, numpy_helper
except ImportError:  # pragma: no cover
    sys.exit("convert_fr_feature_128.py: error: the 'onnx' Python package is missing (Debian: apt "
             "install python3-onnx; run with /usr/bin/python3, not a pyenv/venv python)")

PROG = "convert_fr_feature_128.py"
WEIGHTS = "666"   # the last conv's weights [512,512,1,1]
BIAS = "667"      # and bias [512]
IN_DIM = 512
OUT_DIM = 128
# Values of the projected layer are hashed rounded to this many decimals (|w| < 1):
# LAPACK builds differ in the last float64 bits, far below 1e-6.
DIGEST_DECIMALS = 6


class ConvertError(Exception):
    pass


def load(path):
    if not os.path.exists(path):
        raise ConvertError("model not found: %s" % path)
    if not os.path.isfile(path):
        raise ConvertError("not a regular file: %s" % path)
    try:
        return onnx.load(path)
    except Exception as e:  # DecodeError and friends
        raise ConvertError("%s is not a readable ONNX file (truncated or corrupt? re-run "
                           "models/fetch-models.sh): %s" % (path, e))


def last_layer(m, path):
    """The 1x1 conv 512->512 that feeds the final Reshape, checked."""
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    if len(g.output) != 1:
        raise ConvertError("%s: expected one output, found %d: not fr_feature.onnx" % (path, len(g.output)))
    out = g.output[0].name
    producers = {o: n for n in g.node for o in n.output}
    reshape = producers.get(out)
    if reshape is None or reshape.op_type != "Reshape":
        raise ConvertError("%s: the output '%s' is not made by a Reshape: not fr_feature.onnx" % (path, out))
    conv = producers.get(reshape.input[0])
    if conv is None or conv.op_type != "Conv" or list(conv.input[1:]) != [WEIGHTS, BIAS]:
        raise ConvertError("%s: the Reshape is not fed by the conv with weights '%s' and bias '%s': "
                           "not fr_feature.onnx" % (path, WEIGHTS, BIAS))
    for name in (WEIGHTS, BIAS):
        if name not in inits:
            raise ConvertError("%s: initializer '%s' missing" % (path, name))
    w = numpy_helper.to_array(inits[WEIGHTS])
    b = numpy_helper.to_array(inits[BIAS])
    if w.shape != (IN_DIM, IN_DIM, 1, 1) or b.shape != (IN_DIM,):
        raise ConvertError("%s: last conv has weights %s and bias %s, expected (512, 512, 1, 1) and (512,)"
                           % (path, w.shape, b.shape))
    attrs = {a.name: helper.get_attribute_value(a) for a in conv.attribute}
    if attrs.get("group", 1) != 1 or list(attrs.get("kernel_shape", [1, 1])) != [1, 1]:
        raise ConvertError("%s: last conv is not a plain 1x1 convolution" % path)
    return inits, w, b


def basis(w):
    """U128 (512x128, float64): top-128 left singular vectors of W, signs fixed."""
    W = w.reshape(IN_DIM, IN_DIM).astype(np.float64)
    U, s, _ = np.linalg.svd(W)
    U = U[:, :OUT_DIM].copy()
    for k in range(OUT_DIM):
        i = int(np.argmax(np.abs(U[:, k])))  # first index of the largest magnitude
        if U[i, k] < 0:
            U[:, k] = -U[:, k]
    return U, s


def convert(src, dst):
    m = load(src)
    inits, w, b = last_layer(m, src)
    U, s = basis(w)
    W = w.reshape(IN_DIM, IN_DIM).astype(np.float64)
    w2 = (U.T @ W).astype(np.float32).reshape(OUT_DIM, IN_DIM, 1, 1)
    b2 = (U.T @ b.astype(np.float64)).astype(np.float32)
    # Self-checks: an orthonormal basis, and the fold is the projection.
    if not np.allclose(U.T @ U, np.eye(OUT_DIM), atol=1e-10):
        raise ConvertError("SVD basis is not orthonormal (numpy/LAPACK problem)")
    inits[WEIGHTS].CopyFrom(numpy_helper.from_array(w2, WEIGHTS))
    inits[BIAS].CopyFrom(numpy_helper.from_array(b2, BIAS))
    dims = m.graph.output[0].type.tensor_type.shape.dim
    if len(dims) != 2:
        raise ConvertError("%s: output shape has %d dims, expected [1,512]" % (src, len(dims)))
    dims[1].dim_value = OUT_DIM
    m.doc_string = ("fr_feature.onnx (faceplugin-face-recognition-js@0.0.1) with its last 1x1 conv "
                    "projected onto the top-128 left singular vectors of its weights by gst-facerec's "
                    "models/convert_fr_feature_128.py")
    onnx.checker.check_model(m)
    data = m.SerializeToString()
    outdir = os.path.dirname(os.path.abspath(dst))
    if not os.path.isdir(outdir):
        raise ConvertError("output directory does not exist: %s" % outdir)
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, dst)
    energy = float((s[:OUT_DIM] ** 2).sum() / (s ** 2).sum())
    return len(data), energy


def content_digest(path):
    """sha256 of what the graph computes: opset, inputs/outputs, nodes (op, wiring,
    attributes) and initializers (name, dtype, dims, values), the projected layer's
    values rounded to DIGEST_DECIMALS. Independent of how a given onnx/protobuf version
    lays the file out and of last-bit differences between LAPACK builds."""
    m = load(path)
    h = hashlib.sha256()

    def put(*items):
        for it in items:
            b = it if isinstance(it, bytes) else repr(it).encode()
            h.update(len(b).to_bytes(8, "little"))
            h.update(b)

    put("opset", sorted((o.domain, o.version) for o in m.opset_import))
    for vi in list(m.graph.input) + list(m.graph.output):
        t = vi.type.tensor_type
        put("io", vi.name, t.elem_type, [d.dim_param or d.dim_value for d in t.shape.dim])
    for n in m.graph.node:
        attrs = sorted((a.name, repr(helper.get_attribute_value(a))) for a in n.attribute)
        put("node", n.op_type, n.domain, list(n.input), list(n.output), attrs)
    for t in sorted(m.graph.initializer, key=lambda t: t.name):
        arr = numpy_helper.to_array(t)
        if t.name in (WEIGHTS, BIAS):
            arr = np.round(arr.astype(np.float64), DIGEST_DECIMALS) + 0.0  # + 0.0: no -0.0
        put("init", t.name, t.data_type, list(t.dims), np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fold fr_feature.onnx's last layer onto its top-128 "
                                             "singular directions: a 128-d embedder")
    ap.add_argument("--model", help="fr_feature.onnx (the 512-d original)")
    ap.add_argument("-o", "--output", help="output .onnx file")
    ap.add_argument("-q", "--quiet", action="store_true")
    ap.add_argument("--digest", metavar="ONNX", help="print the content digest of an ONNX file and exit")
    ap.add_argument("--basis", metavar="ONNX", help="print U128 of fr_feature.onnx (512 lines of 128 "
                                                    "values) and exit")
    a = ap.parse_args(argv)
    try:
        if a.digest:
            print(content_digest(a.digest))
            return 0
        if a.basis:
            m = load(a.basis)
            _, w, _ = last_layer(m, a.basis)
            U, _ = basis(w)
            for row in U:
                print(" ".join("%.17g" % v for v in row))
            return 0
        missing = [o for o, v in (("--model", a.model), ("-o", a.output)) if not v]
        if missing:
            ap.error("missing %s" % ", ".join(missing))
        size, energy = convert(a.model, a.output)
    except ConvertError as e:
        print("%s: error: %s" % (PROG, e), file=sys.stderr)
        return 1
    except onnx.checker.ValidationError as e:  # pragma: no cover
        print("%s: error: generated graph fails onnx.checker: %s" % (PROG, e), file=sys.stderr)
        return 1
    except OSError as e:
        print("%s: error: %s" % (PROG, e), file=sys.stderr)
        return 1
    if not a.quiet:
        print("%s: wrote %s (%d bytes; last layer 512->%d, %.1f %% of its energy kept)"
              % (PROG, a.output, size, OUT_DIM, 100.0 * energy))
    return 0


if __name__ == "__main__":
    sys.exit(main())
