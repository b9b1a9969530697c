#!/usr/bin/python3
"""Convert face-api's 128-d face recognition net (tfjs weights) to ONNX.

Input : face_recognition_model-weights_manifest.json + face_recognition_model.bin
        from the npm package @vladmandic/face-api@1.7.15 (MIT; the weights are
        face-api.js's port of dlib's public-domain ResNet face recognition model).
Output: an ONNX graph (opset 11, ir_version 6) that OpenCV 4.6's
        cv::dnn::readNetFromONNX loads and runs at any batch size.

Graph contract (the C++ embedder depends on it):
  input     'input'     float32 [N,3,150,150], RGB, already normalised by the caller:
            blobFromImage(chip_bgr_150, 1.0/256, Size(150,150),
                          Scalar(122.782,117.001,104.298), swapRB=true, crop=false)
            i.e. (pixel - mean_rgb) / 256. There is NO normalisation inside the graph.
  output    'embedding' float32 [N,128], not L2-normalised (|d| ~ 1.4);
            Euclidean distance < 0.6 ~ same person (dlib convention).

Architecture (dlib ResNet-29, see docs/faceapi-weights.md in the shared docs):
  conv 7x7/2 valid + scale + ReLU -> maxpool 3x3/2 -> 3 x res(32) -> down(64) -> 3 x res(64)
  -> down(128) -> 2 x res(128) -> down(256) -> 2 x res(256) -> down(256, "down_out")
  -> global average pool -> fc 256x128 (no bias).
  Each "scale" layer (y = y*w + b, dlib's affine layer) is folded into the preceding conv.

Usage: convert_faceapi.py --manifest X-weights_manifest.json --weights X.bin -o OUT.onnx
       convert_faceapi.py --digest OUT.onnx   (content digest, see content_digest())
Written for Debian's /usr/bin/python3 with python3-onnx and python3-numpy.
"""

import argparse
import json
import os
import sys

try:
    import numpy as np
except ImportError:  # pragma: no cover
    sys.exit("convert_faceapi.py: error: numpy is missing (Debian: apt install python3-numpy; "
             "run with /usr/bin/python3)")
try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError:  # pragma: no cover
    sys.exit("convert_faceapi.py: error: the 'onnx' Python package is missing (Debian: apt install "
             "python3-onnx; run with /usr/bin/python3, not a pyenv/venv python)")

OPSET = 11
IR_VERSION = 6
INPUT_NAME = "input"
OUTPUT_NAME = "embedding"
CHIP = 150
EMBED_DIM = 128


class ConvertError(Exception):
    pass


# ----------------------------------------------------------------------------- weights

def _dtype_of(name):
    table = {"float32": np.float32, "int32": np.int32, "uint8": np.uint8,
             "uint16": np.uint16, "float16": np.float16}
    if name not in table:
        raise ConvertError("unsupported dtype '%s'" % name)
    return table[name]


def load_tfjs_weights(manifest_path, weights_path):
    """Reads a tfjs weights manifest and its single shard exactly like tfjs-core's
    decodeWeights: tensors stored back to back in manifest order; uint8/uint16
    quantised tensors dequantised as float32(q * scale + min) with the product in
    float64. Returns {name: float32 ndarray}."""
    for p, what in ((manifest_path, "weights manifest"), (weights_path, "weights file")):
        if not os.path.exists(p):
            raise ConvertError("%s not found: %s" % (what, p))
        if not os.path.isfile(p):
            raise ConvertError("%s is not a regular file: %s" % (what, p))
    try:
        with open(manifest_path, "r", encoding="utf-8") as f:
            manifest = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise ConvertError("corrupt weights manifest %s: not valid JSON (%s)" % (manifest_path, e))
    if not isinstance(manifest, list) or not manifest or not all(
            isinstance(g, dict) and "weights" in g for g in manifest):
        raise ConvertError("corrupt weights manifest %s: expected a list of groups with 'weights'"
                           % manifest_path)
    specs = [w for g in manifest for w in g["weights"]]
    shards = [p for g in manifest for p in g.get("paths", [])]
    if len(shards) != 1:
        raise ConvertError("weights manifest %s lists %d shards (%s); this converter expects exactly one"
                           % (manifest_path, len(shards), ", ".join(shards)))
    if os.path.basename(weights_path) != os.path.basename(shards[0]):
        print("convert_faceapi.py: note: manifest names shard '%s', using '%s'"
              % (shards[0], weights_path), file=sys.stderr)

    with open(weights_path, "rb") as f:
        data = f.read()

    expected = 0
    for w in specs:
        try:
            n = int(np.prod(w["shape"], dtype=np.int64))
            q = w.get("quantization")
            item = np.dtype(_dtype_of(q["dtype"] if q else w["dtype"])).itemsize
        except (KeyError, TypeError) as e:
            raise ConvertError("corrupt weights manifest %s: bad entry %r (%s)" % (manifest_path, w, e))
        expected += n * item
    if len(data) != expected:
        raise ConvertError(
            "weights file %s has %d bytes but manifest %s describes %d bytes (%s); the file is "
            "truncated or does not belong to this manifest. Delete it and fetch it again "
            "(models/fetch-models.sh)."
            % (weights_path, len(data), manifest_path, expected,
               "truncated" if len(data) < expected else "too long"))

    out = {}
    off = 0
    for w in specs:
        shape = [int(d) for d in w["shape"]]
        n = int(np.prod(shape, dtype=np.int64))
        q = w.get("quantization")
        if q:
            qt = _dtype_of(q["dtype"])
            size = n * np.dtype(qt).itemsize
            raw = np.frombuffer(data, dtype=qt, count=n, offset=off)
            if "scale" not in q or "min" not in q:
                raise ConvertError("corrupt weights manifest %s: quantised tensor %s lacks scale/min"
                                   % (manifest_path, w["name"]))
            val = (raw.astype(np.float64) * float(q["scale"]) + float(q["min"])).astype(np.float32)
        else:
            dt = _dtype_of(w["dtype"])
            size = n * np.dtype(dt).itemsize
            val = np.frombuffer(data, dtype=dt, count=n, offset=off).astype(np.float32)
        off += size
        val = val.reshape(shape)
        if not np.all(np.isfinite(val)):
            raise ConvertError("weights file %s: tensor %s holds non-finite values (corrupt file?)"
                               % (weights_path, w["name"]))
        if w["name"] in out:
            raise ConvertError("corrupt weights manifest %s: tensor %s listed twice"
                               % (manifest_path, w["name"]))
        out[w["name"]] = val
    return out


# ----------------------------------------------------------------------------- graph

class GraphBuilder:
    def __init__(self, weights, manifest_path):
        self.w = weights
        self.manifest_path = manifest_path
        self.nodes = []
        self.inits = []
        self.used = set()
        self.counter = 0

    def _name(self, base):
        self.counter += 1
        return "%s_%d" % (base.replace("/", "_"), self.counter)

    def get(self, name, shape):
        if name not in self.w:
            raise ConvertError("weights manifest %s lacks tensor '%s' (is this the face recognition "
                               "model?)" % (self.manifest_path, name))
        v = self.w[name]
        if list(v.shape) != list(shape):
            raise ConvertError("weights manifest %s: tensor '%s' has shape %s, expected %s"
                               % (self.manifest_path, name, list(v.shape), list(shape)))
        self.used.add(name)
        return v

    def const(self, base, arr):
        name = self._name(base)
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def node(self, op, inputs, base, **attrs):
        out = self._name(base)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv(self, x, prefix, k, cin, cout, stride, pad, relu):
        """tfjs conv2d + bias + scale layer, folded: W' = W*s, b' = b*s + t."""
        f = self.get(prefix + "/conv/filters", [k, k, cin, cout]).astype(np.float64)
        b = self.get(prefix + "/conv/bias", [cout]).astype(np.float64)
        s = self.get(prefix + "/scale/weights", [cout]).astype(np.float64)
        t = self.get(prefix + "/scale/biases", [cout]).astype(np.float64)
        w = np.transpose(f, (3, 2, 0, 1)) * s[:, None, None, None]  # HWIO -> OIHW, scaled
        bias = b * s + t
        wn = self.const(prefix + "/W", np.ascontiguousarray(w.astype(np.float32)))
        bn = self.const(prefix + "/B", bias.astype(np.float32))
        y = self.node("Conv", [x, wn, bn], prefix, kernel_shape=[k, k],
                      strides=[stride, stride], pads=[pad] * 4)
        if relu:
            y = self.node("Relu", [y], "relu")
        return y

    def pad(self, x, pads, base):
        p = self.const(base + "/pads", np.array(pads, dtype=np.int64))
        return self.node("Pad", [x, p], base, mode="constant")

    def residual(self, x, prefix, c):
        y = self.conv(x, prefix + "/conv1", 3, c, c, 1, 1, relu=True)
        y = self.conv(y, prefix + "/conv2", 3, c, c, 1, 1, relu=False)
        return self.node("Relu", [self.node("Add", [y, x], "add")], "relu")

    def residual_down(self, x, prefix, cin, cout, hw_in):
        y = self.conv(x, prefix + "/conv1", 3, cin, cout, 2, 0, relu=True)
        y = self.conv(y, prefix + "/conv2", 3, cout, cout, 1, 1, relu=False)
        conv_hw = (hw_in - 3) // 2 + 1
        pool_hw = hw_in // 2
        pooled = self.node("AveragePool", [x], prefix + "/avgpool", kernel_shape=[2, 2],
                           strides=[2, 2])
        if conv_hw != pool_hw:  # zero row at the bottom, zero column at the right
            d = pool_hw - conv_hw
            y = self.pad(y, [0, 0, 0, 0, 0, 0, d, d], prefix + "/padhw")
        if cin != cout:  # zero channels after the real ones
            pooled = self.pad(pooled, [0, 0, 0, 0, 0, cout - cin, 0, 0], prefix + "/padc")
        return self.node("Relu", [self.node("Add", [pooled, y], "add")], "relu"), pool_hw


def build_model(weights, manifest_path):
    g = GraphBuilder(weights, manifest_path)
    x = g.conv(INPUT_NAME, "conv32_down", 7, 3, 32, 2, 0, relu=True)        # 72x72x32
    x = g.node("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2])  # 35x35
    hw = 35
    for i in (1, 2, 3):
        x = g.residual(x, "conv32_%d" % i, 32)
    x, hw = g.residual_down(x, "conv64_down", 32, 64, hw)                    # 17
    for i in (1, 2, 3):
        x = g.residual(x, "conv64_%d" % i, 64)
    x, hw = g.residual_down(x, "conv128_down", 64, 128, hw)                  # 8
    for i in (1, 2):
        x = g.residual(x, "conv128_%d" % i, 128)
    x, hw = g.residual_down(x, "conv256_down", 128, 256, hw)                 # 4
    for i in (1, 2):
        x = g.residual(x, "conv256_%d" % i, 256)
    x, hw = g.residual_down(x, "conv256_down_out", 256, 256, hw)             # 2
    x = g.node("GlobalAveragePool", [x], "gap")
    x = g.node("Flatten", [x], "flatten", axis=1)
    fc = g.get("fc", [256, EMBED_DIM])
    fcn = g.const("fc/Bt", np.ascontiguousarray(fc.T.astype(np.float32)))  # [128,256]
    g.nodes.append(helper.make_node("Gemm", [x, fcn], [OUTPUT_NAME], name="fc", transB=1))

    unused = sorted(set(weights) - g.used)
    if unused:
        raise ConvertError("weights manifest %s has tensors this converter does not know: %s"
                           % (manifest_path, ", ".join(unused[:5])))

    inp = helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, ["N", 3, CHIP, CHIP])
    out = helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, ["N", EMBED_DIM])
    graph = helper.make_graph(g.nodes, "faceapi_recognition_128d", [inp], [out], g.inits)
    model = helper.make_model(graph, producer_name="gst-facerec convert_faceapi.py",
                              producer_version="1",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    model.doc_string = ("face-api (@vladmandic/face-api@1.7.15) FaceRecognitionNet, 128-d. "
                        "Input RGB [N,3,150,150] = (pixel - (122.782,117.001,104.298)) / 256, "
                        "normalised by the caller; output [N,128], not L2-normalised.")
    onnx.checker.check_model(model)
    return model, len(g.nodes), sum(int(np.prod(i.dims)) for i in g.inits if i.data_type == 1)


def content_digest(path):
    """sha256 of what the graph computes: opset, inputs/outputs, nodes (op, wiring,
    attributes) and initializers (name, dtype, dims, values). Independent of how a
    given onnx/protobuf version lays the file out, so fetch-models.sh can accept a
    conversion that is serialised differently but identical in content."""
    import hashlib
    if not os.path.isfile(path):
        raise ConvertError("model not found: %s" % path)
    try:
        m = onnx.load(path)
    except Exception as e:  # DecodeError and friends
        raise ConvertError("corrupt ONNX file %s: %s" % (path, e))
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
        put("init", t.name, t.data_type, list(t.dims), np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Convert face-api's 128-d recognition net (tfjs weights) to ONNX for OpenCV")
    ap.add_argument("--manifest", help="face_recognition_model-weights_manifest.json")
    ap.add_argument("--weights", help="face_recognition_model.bin")
    ap.add_argument("-o", "--output", help="output .onnx file")
    ap.add_argument("-q", "--quiet", action="store_true")
    ap.add_argument("--digest", metavar="ONNX",
                    help="print the content digest of an ONNX file (graph + weights, independent "
                         "of serialisation) and exit")
    a = ap.parse_args(argv)
    if a.digest:
        try:
            print(content_digest(a.digest))
        except ConvertError as e:
            print("convert_faceapi.py: error: %s" % e, file=sys.stderr)
            return 1
        return 0
    missing = [o for o, v in (("--manifest", a.manifest), ("--weights", a.weights),
                              ("-o", a.output)) if not v]
    if missing:
        ap.error("missing %s" % ", ".join(missing))
    try:
        weights = load_tfjs_weights(a.manifest, a.weights)
        model, nnodes, nparams = build_model(weights, a.manifest)
        data = model.SerializeToString()
        outdir = os.path.dirname(os.path.abspath(a.output))
        if not os.path.isdir(outdir):
            raise ConvertError("output directory does not exist: %s" % outdir)
        tmp = a.output + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, a.output)
    except ConvertError as e:
        print("convert_faceapi.py: error: %s" % e, file=sys.stderr)
        return 1
    except onnx.checker.ValidationError as e:  # pragma: no cover
        print("convert_faceapi.py: error: generated graph fails onnx.checker: %s" % e, file=sys.stderr)
        return 1
    except OSError as e:
        print("convert_faceapi.py: error: %s" % e, file=sys.stderr)
        return 1
    if not a.quiet:
        print("convert_faceapi.py: wrote %s (%d bytes, %d nodes, %d parameters, opset %d)"
              % (a.output, len(data), nnodes, nparams, OPSET))
    return 0


if __name__ == "__main__":
    sys.exit(main())
