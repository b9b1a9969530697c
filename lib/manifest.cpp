// models/manifest.json parsed into typed model descriptions (cv::FileStorage, JSON).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "detail.h"
#include "facerec/models.h"
#include "facerec/safe_io.h"

namespace facerec {

namespace {

constexpr int kMaxSide = 1 << 16;  // pixels, input and chip sizes
constexpr int kMaxDim = 1 << 16;   // embedding length
constexpr int kMaxThresholdSteps = 10000;  // embedding.threshold_search grid points
// The manifest is ~10 KB; a file of megabytes is not one.
constexpr std::size_t kMaxManifestBytes = std::size_t(1) << 20;

std::string basename_of(const std::string& p) {
  const auto pos = p.find_last_of('/');
  return pos == std::string::npos ? p : p.substr(pos + 1);
}

// Reads fields of one JSON object, turning every problem into an Error that names
// the manifest, the entry and the field.
class Fields {
 public:
  // cv::FileNode::operator[] asserts (throws) on anything but an object: checked here
  // (found by fuzz/fuzz_manifest.cpp).
  Fields(const cv::FileNode& node, std::string origin, std::string where)
      : node_(node), origin_(std::move(origin)), where_(std::move(where)) {
    if (!node_.isMap()) fail("", "expected an object {...}");
  }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(origin_, where_ + (key.empty() ? "" : ", field \"" + key + "\"") + ": " + what +
                             " (fix models/manifest.json and rebuild)");
  }
  bool has(const std::string& key) const {
    const cv::FileNode n = node_[key];
    return !n.empty() && !n.isNone();
  }
  cv::FileNode get(const std::string& key) const {
    if (!has(key)) fail(key, "missing");
    return node_[key];
  }
  std::string str(const std::string& key) const {
    cv::FileNode n = get(key);
    if (!n.isString()) fail(key, "expected a string");
    return n.string();
  }
  std::string str_or(const std::string& key, const std::string& fallback) const {
    return has(key) ? str(key) : fallback;
  }
  double num(const std::string& key) const { return number(get(key), key); }
  bool flag_or(const std::string& key, bool fallback) const {
    if (!has(key)) return fallback;
    cv::FileNode n = get(key);  // JSON true/false reads as the integer 1/0
    if (!n.isInt() || (static_cast<int>(n) != 0 && static_cast<int>(n) != 1)) fail(key, "expected true or false");
    return static_cast<int>(n) == 1;
  }
  double number(const cv::FileNode& n, const std::string& key) const {
    if (!n.isInt() && !n.isReal()) fail(key, "expected a number");
    const double v = static_cast<double>(n);
    if (!std::isfinite(v)) fail(key, "expected a finite number");  // 1e999 reads as infinity
    return v;
  }
  std::vector<double> numbers(const cv::FileNode& n, const std::string& key) const {
    if (!n.isSeq()) fail(key, "expected a list of numbers");
    std::vector<double> v;
    for (const auto& e : n) v.push_back(number(e, key));
    return v;
  }
  cv::Size size(const cv::FileNode& n, const std::string& key) const {
    const std::vector<double> v = numbers(n, key);
    // Bounded before the conversion to int (a larger double is undefined behaviour).
    if (v.size() != 2 || !(v[0] >= 1 && v[0] <= kMaxSide) || !(v[1] >= 1 && v[1] <= kMaxSide))
      fail(key, "expected [width, height] in pixels, each 1.." + std::to_string(kMaxSide));
    return cv::Size(static_cast<int>(v[0]), static_cast<int>(v[1]));
  }

 private:
  cv::FileNode node_;
  std::string origin_, where_;
};

ChipTemplate parse_chip(const cv::FileNode& n, const std::string& name, const std::string& origin) {
  const Fields f(n, origin, "chip template \"" + name + "\"");
  ChipTemplate t;
  t.name = name;
  t.size = f.size(f.get("size"), "size");
  const cv::FileNode pts = f.get("points");
  if (!pts.isSeq() || static_cast<int>(pts.size()) != kNumLandmarks)
    f.fail("points", "expected 5 [x, y] points (eyes, nose tip, mouth corners; image-left first)");
  int i = 0;
  for (const auto& p : pts) {
    const std::vector<double> xy = f.numbers(p, "points");
    if (xy.size() != 2) f.fail("points", "expected 5 [x, y] points");
    if (xy[0] < 0 || xy[1] < 0 || xy[0] > t.size.width || xy[1] > t.size.height)
      f.fail("points", "point " + std::to_string(i) + " lies outside the chip");
    t.points[static_cast<size_t>(i++)] = cv::Point2f(static_cast<float>(xy[0]), static_cast<float>(xy[1]));
  }
  return t;
}

InputSpec parse_input(const Fields& model, const std::string& origin, const std::string& where) {
  InputSpec in;
  if (!model.has("input")) return in;
  const Fields f(model.get("input"), origin, where + ", \"input\"");
  if (f.has("size") && f.get("size").isSeq()) in.size = f.size(f.get("size"), "size");
  in.channel_order = f.str_or("channel_order", "");
  if (f.has("mean")) {
    const std::vector<double> m = f.numbers(f.get("mean"), "mean");
    if (m.empty() || m.size() > 4) f.fail("mean", "expected 1 to 4 values");
    for (size_t c = 0; c < m.size(); ++c) in.mean[static_cast<int>(c)] = m[c];
  }
  if (f.has("scale")) in.scale = f.num("scale");
  return in;
}

void parse_embedding(ModelInfo& info, const Fields& model, const Manifest& m,
                     const std::string& origin, const std::string& where) {
  const Fields f(model.get("embedding"), origin, where + ", \"embedding\"");
  const double dim = f.num("dim");
  if (!(dim >= 1 && dim <= kMaxDim) || dim != std::floor(dim))
    f.fail("dim", "expected an integer 1.." + std::to_string(kMaxDim));
  info.embedding.dim = static_cast<int>(dim);
  info.embedding.l2_normalize = f.flag_or("l2_normalize", false);
  info.embedding.runner = f.str_or("runner", "opencv-dnn");
  info.embedding.flip_average = f.flag_or("flip_average", false);
  if (f.has("threshold_search")) {
    // Every field optional: ThresholdSearch's defaults (measured for dlib's raw 128-d
    // embeddings) fill the rest. Checked here so that a bad entry fails the build's tests
    // rather than the first training.
    const Fields t(f.get("threshold_search"), origin, where + ", \"embedding.threshold_search\"");
    ThresholdSearch& ts = info.embedding.threshold_search;
    // Distances, bounded before the conversion to float (a larger double is undefined
    // behaviour); the grid has at most kMaxThresholdSteps points (a tiny step from a
    // fuzzed manifest must not hang the first training).
    auto distance = [&t](const char* key, float fallback) {
      if (!t.has(key)) return fallback;
      const double v = t.num(key);
      if (!(v > 0.0 && v <= 100.0)) t.fail(key, "expected a distance in (0, 100]");
      return float(v);
    };
    ts.min = distance("min", ts.min);
    ts.max = distance("max", ts.max);
    ts.prior = distance("prior", ts.prior);
    if (t.has("step")) ts.step = t.num("step");
    if (t.has("prior_weight")) ts.prior_weight = t.num("prior_weight");
    if (!(ts.max > ts.min)) t.fail("max", "need min < max");
    if (!(ts.step > 0.0) || ts.step > double(ts.max - ts.min) ||
        double(ts.max - ts.min) / ts.step > kMaxThresholdSteps)
      t.fail("step", "need (max - min) / " + std::to_string(kMaxThresholdSteps) + " <= step <= max - min");
    if (!(ts.prior >= ts.min && ts.prior <= ts.max)) t.fail("prior", "must lie within min..max");
    if (!(ts.prior_weight >= 0.0 && ts.prior_weight <= 1e6)) t.fail("prior_weight", "expected 0..1e6");
  }
  const std::string chip = f.str("chip");
  const ChipTemplate* t = m.chip_template(chip);
  if (!t) f.fail("chip", "unknown template \"" + chip + "\"; chip_templates has " + m.chip_template_names());
  info.embedding.chip = *t;
  // The chip is the network's input: the two must agree.
  const Fields in(model.get("input"), origin, where + ", \"input\"");
  if (info.input.size != t->size)
    in.fail("size", "an embedder's input size must equal its chip template's size " +
                        std::to_string(t->size.width) + "x" + std::to_string(t->size.height));
  if (info.input.channel_order != "RGB" && info.input.channel_order != "BGR")
    in.fail("channel_order", "an embedder takes \"RGB\" or \"BGR\"");
  if (!in.has("mean")) in.fail("mean", "missing");
  if (!(info.input.scale > 0)) in.fail("scale", "must be positive");
}

}  // namespace

const ModelFile& ModelInfo::weights() const {
  for (const auto& f : files)
    if (f.role == "weights") return f;
  throw Error("", "model '" + id + "' has no weights file in the manifest");
}

const ModelFile* ModelInfo::config() const {
  for (const auto& f : files)
    if (f.role == "config") return &f;
  return nullptr;
}

Manifest Manifest::parse(const std::string& json, const std::string& origin) {
  const std::string fix = "fix models/manifest.json and rebuild";
  if (json.size() > kMaxManifestBytes)
    throw Error(origin, "manifest of " + std::to_string(json.size()) + " bytes, at most " +
                            std::to_string(kMaxManifestBytes) + ": not a manifest; " + fix);
  // Before OpenCV's recursive JSON reader sees it (deep nesting overflows its stack).
  check_json_nesting(json, origin, JsonLimits{}.max_depth, fix);
  cv::FileStorage fs;
  try {
    fs.open(json, cv::FileStorage::READ | cv::FileStorage::MEMORY | cv::FileStorage::FORMAT_JSON);
  } catch (const cv::Exception& e) {
    const std::string why = e.what();
    throw Error(origin, "not a valid JSON manifest" +
                            std::string(why.find("'null'") != std::string::npos
                                            ? " (OpenCV's reader has no null: leave unknown fields out)"
                                            : "") +
                            ": " + why);
  }
  if (!fs.isOpened()) throw Error(origin, "not a valid JSON manifest");
  // Any other OpenCV exception from reading the tree is a malformed manifest too.
  try {
    const Fields top(fs.root(), origin, "manifest");
    if (top.num("schema") != 1) top.fail("schema", "this library reads schema 1");

    Manifest m;
    if (top.has("chip_templates")) {
      const cv::FileNode chips = top.get("chip_templates");
      if (!chips.isMap()) top.fail("chip_templates", "expected an object of templates");
      for (const auto& name : chips.keys()) m.chips_.push_back(parse_chip(chips[name], name, origin));
    }
    const cv::FileNode models = top.get("models");
    if (!models.isSeq()) top.fail("models", "expected a list");
    int index = 0;
    for (const auto& node : models) {
      const std::string where0 = "models[" + std::to_string(index++) + "]";
      ModelInfo info;
      info.id = Fields(node, origin, where0).str("id");
      const std::string where = "model \"" + info.id + "\"";
      const Fields f(node, origin, where);
      if (m.find(info.id)) f.fail("id", "used twice");
      info.role = f.str("role");
      info.format = f.str("format");
      info.is_default = f.flag_or("default", false);
      const cv::FileNode files = f.get("files");
      if (!files.isSeq() || files.size() == 0) f.fail("files", "expected a non-empty list");
      for (const auto& fn : files) {
        const Fields ff(fn, origin, where + ", a file");
        ModelFile mf;
        mf.name = ff.str("name");
        // A bare file name: it is looked up on the model path by that name (fuzzer finding:
        // "a/b.onnx" parsed, then find_by_file never found it).
        const auto bare = [](const std::string& n) {
          return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos;
        };
        if (!bare(mf.name)) ff.fail("name", "expected a file name without '/'");
        mf.role = ff.str_or("role", "weights");
        if (mf.role != "weights" && mf.role != "config") ff.fail("role", "expected \"weights\" or \"config\"");
        mf.sha256 = ff.str_or("sha256", "");
        if (ff.has("aliases"))
          for (const auto& a : ff.get("aliases")) {
            if (!a.isString() || !bare(a.string())) ff.fail("aliases", "expected file names without '/'");
            mf.aliases.push_back(a.string());
          }
        info.files.push_back(std::move(mf));
      }
      if (std::none_of(info.files.begin(), info.files.end(), [](const ModelFile& x) { return x.role == "weights"; }))
        f.fail("files", "no weights file (every file is a config)");
      info.input = parse_input(f, origin, where);
      if (info.role == "embedder") parse_embedding(info, f, m, origin, where);
      m.models_.push_back(std::move(info));
    }
    return m;
  } catch (const cv::Exception& e) {
    throw Error(origin, std::string("malformed manifest: ") + e.what() + " (" + fix + ")");
  }
}

const ModelInfo* Manifest::find(const std::string& id) const {
  for (const auto& m : models_)
    if (m.id == id) return &m;
  return nullptr;
}

const ModelInfo* Manifest::find_by_file(const std::string& name_or_path) const {
  const std::string base = basename_of(name_or_path);
  for (const auto& m : models_)
    for (const auto& f : m.files) {
      if (f.name == base) return &m;
      for (const auto& a : f.aliases)
        if (a == base) return &m;
    }
  return nullptr;
}

const ChipTemplate* Manifest::chip_template(const std::string& name) const {
  for (const auto& t : chips_)
    if (t.name == name) return &t;
  return nullptr;
}

std::string Manifest::describe_ids(const std::string& role) const {
  std::string s;
  for (const auto& m : models_) {
    if (m.role != role) continue;
    if (!s.empty()) s += ", ";
    s += m.id + " (" + m.weights().name + ")";
  }
  return s;
}

std::string Manifest::chip_template_names() const {
  std::string s;
  for (const auto& t : chips_) s += (s.empty() ? "" : ", ") + t.name;
  return s.empty() ? std::string("none") : s;
}

const Manifest& builtin_manifest() {
  // Parsed once; a manifest that does not parse fails the build's unit tests, and here
  // throws the same Error on every call (a static initialised by a throwing lambda is
  // retried).
  static const Manifest m = Manifest::parse(
      std::string(detail::kBuiltinManifest, detail::kBuiltinManifestSize),
      "models/manifest.json (built into the library)");
  return m;
}

}  // namespace facerec
