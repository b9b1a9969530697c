// Model file I/O: see facerec/model_file.h.
#include "facerec/model_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <opencv2/core/persistence.hpp>

#include "facerec/safe_io.h"
#include "facerec/types.h"

namespace facerec {

namespace {

namespace fs = std::filesystem;

constexpr const char* kFormat = "gst-facerec-model";
constexpr int kVersion = 1;
const std::string kRetrain = "retrain with facerec-train";
// The SVM text of a model with L support vectors of D values is ~L * D * 16 bytes:
// 1 GiB holds 100,000 x 512-d support vectors.
constexpr std::size_t kMaxSvmBytes = std::size_t(1) << 30;

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

bool exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

// Reads the JSON fields with their types checked; every problem names the file.
class JsonModel {
 public:
  JsonModel(const std::string& path, const std::string& text)
      : path_(path), fs_(text, cv::FileStorage::READ | cv::FileStorage::MEMORY | cv::FileStorage::FORMAT_JSON) {}
  bool opened() const { return fs_.isOpened(); }

  Error bad(const std::string& why) const { return Error(path_, why + ": " + kRetrain); }

  cv::FileNode node(const char* key) const { return fs_[key]; }
  bool has(const char* key) const {
    const cv::FileNode n = fs_[key];
    return !n.empty() && !n.isNone();
  }
  std::string str(const char* key) const {
    const cv::FileNode n = fs_[key];
    if (!n.isString()) throw bad(std::string("'") + key + "' must be a string");
    return std::string(n);
  }
  int integer(const char* key, int lo, int hi) const {
    const cv::FileNode n = fs_[key];
    if (!n.isInt()) throw bad(std::string("'") + key + "' must be an integer");
    const int v = int(n);
    if (v < lo || v > hi)
      throw bad(std::string("'") + key + "' " + std::to_string(v) + " out of range (" + std::to_string(lo) + ".." +
                std::to_string(hi) + ")");
    return v;
  }
  // A finite number; lo < v <= hi (strictly above lo when lo_open).
  double number(const char* key, double lo, double hi, bool lo_open) const {
    const cv::FileNode n = fs_[key];
    if (!n.isInt() && !n.isReal()) throw bad(std::string("'") + key + "' must be a number");
    const double v = n.real();
    if (!std::isfinite(v) || (lo_open ? !(v > lo) : !(v >= lo)) || !(v <= hi))
      throw bad(std::string("'") + key + "' must be a finite number " + (lo_open ? "> " : ">= ") + short_number(lo) +
                " and <= " + short_number(hi));
    return v;
  }

 private:
  const std::string& path_;
  cv::FileStorage fs_;
};

void read_embeddings(const JsonModel& j, ModelContents& m) {
  const cv::FileNode e = j.node("embeddings");
  if (!e.isMap()) throw j.bad("model holds no enrolled embeddings");
  const cv::FileNode type = e["type_id"], rows = e["rows"], cols = e["cols"], dt = e["dt"], data = e["data"];
  if (!type.isString() || std::string(type) != "opencv-matrix" || !rows.isInt() || !cols.isInt() ||
      !dt.isString() || std::string(dt) != "f" || !data.isSeq())
    throw j.bad("'embeddings' is not a float matrix (opencv-matrix, dt \"f\")");
  const int r = int(rows), c = int(cols);
  if (r < 1) throw j.bad("model holds no enrolled embeddings");
  if (c != m.dim)
    throw j.bad("embedding dimension mismatch: embeddings have " + std::to_string(c) + " values, dim says " +
                std::to_string(m.dim));
  if (size_t(r) != m.sample_labels.size())
    throw j.bad("model has " + std::to_string(r) + " embeddings but " + std::to_string(m.sample_labels.size()) +
                " label ids");
  if (data.size() != size_t(r) * size_t(c))
    throw j.bad("'embeddings' holds " + std::to_string(data.size()) + " values, rows x cols = " +
                std::to_string(size_t(r) * size_t(c)));
  m.samples.create(r, c, CV_32F);
  float* out = m.samples.ptr<float>(0);
  size_t i = 0;
  for (const cv::FileNode v : data) {
    if (!v.isReal() && !v.isInt()) throw j.bad("an embedding value is not a number");
    const double d = v.real();
    // float range: a larger value would turn into infinity
    if (!std::isfinite(d) || std::abs(d) > 1e30)
      throw j.bad("embedding " + std::to_string(i / size_t(c)) + " is not finite (NaN or infinite values)");
    out[i++] = float(d);
  }
}

}  // namespace

ModelContents read_model_files(const std::string& path) {
  if (!exists(path)) throw Error(path, "model file not found: train one with facerec-train DATASET -o MODEL");
  const std::string text = read_json_file(path, "give a model written by facerec-train, or " + kRetrain);
  if (text.empty()) throw Error(path, "model file is empty (an interrupted copy?): copy it again, or " + kRetrain);
  ModelContents m;
  std::string svm_file;
  try {
    const JsonModel j(path, text);
    if (!j.opened()) throw j.bad("cannot read the model (not a gst-facerec model JSON file?)");
    if (!j.node("format").isString() || j.str("format") != kFormat)
      throw j.bad("not a gst-facerec model (format field missing or wrong)");
    if (!j.node("version").isInt() || int(j.node("version")) != kVersion)
      throw j.bad("unsupported model version (expected " + std::to_string(kVersion) + ")");
    m.embedder_id = j.str("embedder_id");
    if (!is_valid_utf8(m.embedder_id)) throw j.bad("'embedder_id' is not valid UTF-8");
    m.dim = j.integer("dim", 1, kMaxEmbeddingDim);
    const cv::FileNode labels = j.node("labels");
    if (!labels.isSeq() || labels.size() == 0) throw j.bad("model has no labels");
    if (labels.size() > size_t(kSvmMaxClasses))
      throw j.bad("model has more than " + std::to_string(kSvmMaxClasses) + " labels");
    for (const cv::FileNode l : labels) {
      if (!l.isString()) throw j.bad("label " + std::to_string(m.labels.size()) + " is not a string");
      std::string name(l);
      if (name.empty()) throw j.bad("label " + std::to_string(m.labels.size()) + " is empty");
      if (!is_valid_utf8(name)) throw j.bad("label \"" + printable(name) + "\" is not valid UTF-8");
      m.labels.push_back(std::move(name));
    }
    m.threshold = float(j.number("distance_threshold", 0.0, double(kMaxDistanceThreshold), true));
    if (j.has("kernel")) {
      m.kernel = j.str("kernel");
      if (m.kernel != "linear" && m.kernel != "rbf") throw j.bad("'kernel' must be linear or rbf");
    }
    if (j.has("C")) m.C = j.number("C", 0.0, 1e30, true);
    if (j.has("gamma")) m.gamma = j.number("gamma", 0.0, 1e30, false);
    if (j.has("svm_input")) {
      const std::string in = j.str("svm_input");
      if (in != "l2" && in != "raw") throw j.bad("'svm_input' must be l2 or raw");
      m.l2_input = in != "raw";
    }
    if (j.has("svm_file")) svm_file = j.str("svm_file");
    if (svm_file.find('/') != std::string::npos || svm_file == "." || svm_file == ".." ||
        svm_file.find('\0') != std::string::npos)
      throw j.bad("'svm_file' must be a file name in the model's folder");
    const cv::FileNode ids = j.node("label_ids");
    if (!ids.isSeq()) throw j.bad("model has no label_ids");
    for (const cv::FileNode id : ids) {
      if (!id.isInt()) throw j.bad("a label id is not an integer");
      const int v = int(id);
      if (v < 0 || size_t(v) >= m.labels.size()) throw j.bad("model has a label id out of range");
      m.sample_labels.push_back(v);
    }
    read_embeddings(j, m);
  } catch (const cv::Exception& e) {
    throw Error(path, std::string("cannot parse the model (not a gst-facerec model JSON file?): ") + e.what() +
                          ": " + kRetrain);
  }
  for (size_t k = 0; k < m.labels.size(); ++k)
    if (std::find(m.sample_labels.begin(), m.sample_labels.end(), int(k)) == m.sample_labels.end())
      throw Error(path, "person '" + m.labels[k] + "' has no enrolled embedding: " + kRetrain);

  if (svm_file.empty()) {
    if (m.labels.size() != 1)
      throw Error(path, "model has " + std::to_string(m.labels.size()) + " people but no SVM file: " + kRetrain);
    return m;
  }
  // MODEL.svm first (the pair renamed or copied together), then the stored name.
  const fs::path p(path);
  const std::string own = path + ".svm";
  const std::string stored = (p.parent_path() / svm_file).string();
  std::string sp = own;
  if (!exists(own)) {
    if (stored != own && exists(stored)) {
      sp = stored;
    } else {
      const std::string own_name = p.filename().string() + ".svm";
      throw Error(own, "SVM file missing: a model is two files, " + p.filename().string() + " and " + own_name +
                           " (looked for " + own + (stored != own ? " and " + stored : std::string()) +
                           "); rename/copy the model's .svm file next to it as " + own_name +
                           " (e.g. MODEL.svm next to MODEL), or " + kRetrain);
    }
  }
  const std::string fix = kRetrain + ", or copy " + fs::path(sp).filename().string() +
                          " again together with " + p.filename().string();
  const std::string svm_text = read_file_bounded(sp, kMaxSvmBytes, fix);
  auto svm = std::make_shared<SvmModel>(SvmModel::parse(svm_text, m.dim, sp, fix));
  const SvmModelData& d = svm->data();
  if (size_t(d.nr_class) != m.labels.size())
    throw Error(sp, "mismatched SVM and labels: the SVM has " + std::to_string(d.nr_class) + " classes, the model " +
                        std::to_string(m.labels.size()) + " labels (" + path + "); " + fix);
  for (int l : d.label)
    if (l < 0 || size_t(l) >= m.labels.size())  // distinct: checked by the parser
      throw Error(sp, "mismatched SVM and labels: SVM class " + std::to_string(l) + " is not a label id of " + path +
                          "; " + fix);
  m.svm = std::move(svm);
  return m;
}

void write_model_files(const std::string& path, const ModelContents& m) {
  if (m.dim <= 0) throw Error(path, "cannot save an untrained classifier: train it first");
  const std::string svm_file = m.svm ? fs::path(path).filename().string() + ".svm" : std::string();
  std::string json;
  try {
    cv::FileStorage f(".json", cv::FileStorage::WRITE | cv::FileStorage::MEMORY | cv::FileStorage::FORMAT_JSON);
    if (!f.isOpened()) throw Error(path, "cannot write the model: OpenCV could not start the JSON writer");
    f << "format" << kFormat;
    f << "version" << kVersion;
    f << "embedder_id" << m.embedder_id;
    f << "dim" << m.dim;
    f << "labels" << "[";
    for (const auto& l : m.labels) f << l;
    f << "]";
    f << "distance_threshold" << double(m.threshold);
    f << "kernel" << m.kernel;
    f << "C" << m.C;
    f << "gamma" << m.gamma;
    f << "svm_input" << (m.l2_input ? "l2" : "raw");
    f << "svm_file" << svm_file;
    f << "gate" << "nearest enrolled embedding or person mean, raw embeddings";
    f << "label_ids" << "[";
    for (int id : m.sample_labels) f << id;
    f << "]";
    f << "embeddings" << m.samples;
    json = f.releaseAndGetString();
  } catch (const cv::Exception& e) {
    throw Error(path, std::string("cannot write the model: ") + e.what());
  }
  // Both written (and both targets checked) before either is renamed into place;
  // the .svm goes first so that a reader of MODEL finds its SVM.
  StagedFile model(path, json);
  if (m.svm) {
    StagedFile svm(path + ".svm", m.svm->to_text());
    svm.commit();
  } else {
    // A stale .svm from an earlier multi-person model would only confuse people.
    struct stat st {};
    if (::lstat((path + ".svm").c_str(), &st) == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
      ::unlink((path + ".svm").c_str());
  }
  model.commit();
}

}  // namespace facerec
