// Face embedding networks through OpenCV DNN.
#include "facerec/embedder.h"

#include <cmath>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "detail.h"
#include "facerec/models.h"

namespace facerec {

namespace {

std::string basename_of(const std::string& p) {
  auto pos = p.find_last_of('/');
  return pos == std::string::npos ? p : p.substr(pos + 1);
}

std::string known_ids() {
  std::string s;
  for (const auto& k : known_embedders()) {
    if (!s.empty()) s += ", ";
    s += k.id + " (" + k.file + ")";
  }
  return s;
}

}  // namespace

const std::vector<EmbedderSpec>& known_embedders() {
  static const std::vector<EmbedderSpec> specs = [] {
    std::vector<EmbedderSpec> v;
    EmbedderSpec faceapi;
    faceapi.id = "faceapi-resnet-128";
    faceapi.file = defaults::kEmbedder;  // faceapi_recognition_128d.onnx
    faceapi.format = "onnx";
    faceapi.dim = 128;
    faceapi.chip = dlib_150_template();
    faceapi.mean = cv::Scalar(122.782, 117.001, 104.298);  // RGB order (swap_rb)
    faceapi.scale = 1.0 / 256.0;
    faceapi.swap_rb = true;
    faceapi.l2_normalize = false;
    v.push_back(faceapi);

    EmbedderSpec openface;
    openface.id = "openface-nn4-small2-v1";
    openface.file = "nn4.small2.v1.t7";
    openface.format = "torch";
    openface.dim = 128;
    openface.chip = openface_96_template();
    openface.mean = cv::Scalar(0, 0, 0);
    openface.scale = 1.0 / 255.0;
    openface.swap_rb = true;
    openface.l2_normalize = false;  // the net ends in an L2 normalisation layer
    v.push_back(openface);

    EmbedderSpec fp;
    fp.id = "faceplugin-feature-512";
    fp.file = "fr_feature.onnx";
    fp.format = "onnx";
    fp.dim = 512;
    fp.chip = arcface_112_template();
    fp.mean = cv::Scalar(127, 127, 127);
    fp.scale = 1.0 / 128.0;
    fp.swap_rb = true;
    fp.l2_normalize = true;
    v.push_back(fp);
    return v;
  }();
  return specs;
}

EmbedderSpec embedder_spec_for(const std::string& id_or_file) {
  const std::string base = basename_of(id_or_file);
  for (const auto& k : known_embedders())
    if (k.id == id_or_file || k.file == base) return k;
  // The reference copy of the face-api conversion carries a longer name.
  if (base == "faceapi_face_recognition_128d.onnx") return known_embedders()[0];
  const bool looks_like_file = id_or_file.find('/') != std::string::npos ||
                               id_or_file.find('.') != std::string::npos;
  throw Error(looks_like_file ? id_or_file : std::string(),
              "unknown embedder '" + id_or_file + "': known ids (default files) are " +
                  known_ids() + "; give one of these ids explicitly for a renamed file");
}

struct Embedder::Impl {
  EmbedderSpec spec;
  std::string path;
  cv::dnn::Net net;
};

Embedder::Embedder(const EmbedderSpec& spec) : impl_(std::make_unique<Impl>()) {
  impl_->spec = spec;
  impl_->path = resolve_model(spec.file);
  impl_->net = detail::read_dnn(impl_->path, "");
}

Embedder::~Embedder() = default;

const EmbedderSpec& Embedder::spec() const { return impl_->spec; }
const std::string& Embedder::path() const { return impl_->path; }

cv::Mat Embedder::align(const cv::Mat& bgr, const Face& face) const {
  return align_face(bgr, face, impl_->spec.chip);
}

std::vector<Embedding> Embedder::embed(const std::vector<cv::Mat>& chips) {
  std::vector<Embedding> result;
  if (chips.empty()) return result;
  const EmbedderSpec& s = impl_->spec;
  std::vector<cv::Mat> prepared;
  prepared.reserve(chips.size());
  for (const cv::Mat& c : chips) {
    if (c.empty()) throw Error(impl_->path, "embed() was given an empty chip");
    cv::Mat m = c;
    if (m.channels() == 1) cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
    else if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
    if (m.size() != s.chip.size) cv::resize(m, m, s.chip.size, 0, 0, cv::INTER_LINEAR);
    prepared.push_back(m);
  }
  cv::Mat blob = cv::dnn::blobFromImages(prepared, s.scale, s.chip.size, s.mean, s.swap_rb, false,
                                         CV_32F);
  cv::Mat out;
  try {
    impl_->net.setInput(blob);
    out = impl_->net.forward();
  } catch (const cv::Exception& e) {
    throw Error(impl_->path, std::string("embedding net failed to run (corrupt file or not the '") +
                                 s.id + "' model; re-download it with models/fetch-models.sh): " +
                                 e.what());
  }
  const size_t n = chips.size();
  if (out.total() != n * static_cast<size_t>(s.dim))
    throw Error(impl_->path, "embedding net returned " + std::to_string(out.total()) +
                                 " values for " + std::to_string(n) + " chips, expected " +
                                 std::to_string(s.dim) + " each: wrong model for '" + s.id + "'");
  out = out.reshape(1, static_cast<int>(n));
  result.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const float* p = out.ptr<float>(static_cast<int>(i));
    Embedding e(p, p + s.dim);
    if (s.l2_normalize) {
      double sq = 0;
      for (float v : e) sq += static_cast<double>(v) * v;
      const double norm = std::sqrt(sq);
      if (norm > 1e-12)
        for (float& v : e) v = static_cast<float>(v / norm);
    }
    result.push_back(std::move(e));
  }
  return result;
}

std::vector<Embedding> Embedder::embed_faces(const cv::Mat& bgr, const std::vector<Face>& faces) {
  std::vector<cv::Mat> chips;
  chips.reserve(faces.size());
  for (const Face& f : faces) chips.push_back(align(bgr, f));
  return embed(chips);
}

std::unique_ptr<Embedder> create_embedder(const std::string& model, const std::string& id) {
  const std::string file = model.empty() ? std::string(defaults::kEmbedder) : model;
  EmbedderSpec spec;
  if (!id.empty()) {
    bool found = false;
    for (const auto& k : known_embedders())
      if (k.id == id) {
        spec = k;
        found = true;
      }
    if (!found)
      throw Error(file, "unknown embedder id '" + id + "': known ids are " + known_ids());
  } else {
    spec = embedder_spec_for(file);
  }
  spec.file = file;
  return std::make_unique<Embedder>(spec);
}

}  // namespace facerec
