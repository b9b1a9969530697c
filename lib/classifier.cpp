// Identity classifier: libsvm C-SVC + distance gate. See facerec/classifier.h.
//
// Person distance: the Euclidean distance (raw embeddings, dlib convention:
// < 0.6 = same person) from the query to the nearest of that person's enrolled
// embeddings, where each person's mean embedding counts as one more enrolled
// embedding (a template; it is recomputed from the stored embeddings on load).
// Measured on the shared LFW data (10 people x 5 enrolment images, 5 test images
// each): nearest-sample distance alone leaves 3/50 true matches at 0.604..0.617
// (one person with varied photos), the mean template brings them to ~0.50..0.53
// while unknown faces stay above ~0.53.
// Measured operating points (gate alone, LFW, 100 faces_unknown as unknowns):
//   10 people x 5 images: t 0.50: 96 % known / 100 % unknown rejected,
//     0.52: 98 / 100, 0.55: 100 / 92 (the first 10 identities; 25 random sets of
//     10: 0.52 -> 98.5 / 98 % on average, 0.55 -> 99.3 / 95 %)
//   87 people x 5 images: t 0.47: 98.2 / 98 %, 0.50: 99.0 / 93 %, 0.55: 99.6 / 67 %
//   (a bigger gallery needs a lower threshold: the automatic choice gives 0.52
//   and 0.465 for these two cases).
//
// Decision rule (classify):
//   1. The SVM (C-SVC, probability estimates) predicts a person P with probability
//      p (-> Match::score). Its input is the L2-normalised embedding.
//      With exactly one person enrolled there is no SVM: P is that person.
//   2. Consistency with the distances: let N be the person with the smallest
//      person distance dN, and dP the person distance of P. If N != P and
//      dN < kConsistencyRatio * dP (ratio 1: N is strictly closer), the candidate
//      becomes N (score = SVM probability of N). This keeps the reported label
//      consistent with the reported distance, and it is more accurate: with few
//      enrolment images per person the SVM is the weaker of the two. Measured with
//      facerec-eval (87 LFW people, K=5, N=20: 875 test faces, 100 unknowns):
//      closed-set top-1 SVM alone 98.6 %, nearest person 99.4 %; the earlier rule
//      (override only when dN passes the gate and dN < 0.8 dP) gave 98.6 %, and
//      97.0 % instead of 97.3 % known faces named at the automatic threshold (the
//      SVM's farther candidate got rejected although N passed the gate). With K=10
//      all rules tie (99.2 %). In effect the candidate is the nearest person; the
//      SVM breaks exact ties and gives the score.
//   3. Gate: if the candidate's distance > distance_threshold, the face is unknown
//      (known=false, label_id -1, label "", candidate_id = the candidate).
//   Gate-only models (one person): score = clamp(1 - d / (2 * threshold), 0, 1),
//   i.e. 0.5 exactly at the threshold.
//
// Threshold choice (TrainOptions::distance_threshold <= 0), from the enrolment data:
//   for every enrolled embedding, the leave-one-out person distance to its own
//   person (nearest other sample or mean of the other samples: "genuine") and the
//   person distance to the nearest other person ("impostor", a pessimistic proxy
//   for an unknown face). t_data minimises the balanced error
//   (genuine > t)/|genuine| + (impostor <= t)/|impostor| over t in [0.45, 0.6] in
//   steps of 0.005; t_data is the middle of the thresholds whose error is within one
//   sample's worth (1/|genuine| + 1/|impostor|) of the minimum. That tolerance makes the
//   choice stable: the error curve is flat and ragged near its minimum, and the exact
//   argmin jumped by up to 0.02 between enrolment splits of the same people.
//   t_data is then shrunk towards the 0.55 prior: t = w * t_data + (1 - w) * 0.55,
//   w = n / (n + 50), n = number of genuine distances (for small galleries the proxies
//   are few and t_data runs low). Too little data (< 4 genuine or < 4 impostor
//   distances): 0.55.
//   Measured on ../shared/testdata (default models; 5 enrolment and up to 20 test
//   images per person, 100 faces_unknown as strangers; the same rules replayed on
//   embeddings dumped once, over random enrolment splits), known faces named /
//   strangers rejected, mean (worst):
//     87 people, 10 enrolment splits: 97.8 (97.0) % / 97.5 (97) %; the exact argmin
//       gave 98.0 (97.4) % / 97.2 (94) %;
//     30 random people x 8: 99.1 (98.3) % / 98.1 (95) %;
//     10 random people x 12: 99.3 (97.6) % / 97.1 (93) %.
//   The two hardest strangers of faces_unknown stay accepted at any usable threshold
//   (person distances 0.39 and 0.43; the second, Kim Hong-gul, comes nearest to Kim
//   Dae-jung, his father), so 97-98 %
//   is the ceiling for strangers at this gallery size with this embedder.
#include "facerec/classifier.h"

#include <libsvm/svm.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>

#include <opencv2/core/persistence.hpp>

namespace facerec {

namespace {

constexpr const char* kFormat = "gst-facerec-model";
constexpr int kVersion = 1;
constexpr float kConsistencyRatio = 1.0f;
constexpr float kMinAutoThreshold = 0.45f;
constexpr float kMaxAutoThreshold = 0.60f;
constexpr float kDefaultThreshold = 0.55f;
constexpr size_t kMinGenuine = 4;
constexpr size_t kMinImpostor = 4;
constexpr double kPriorWeight = 50.0;  // genuine distances worth as much as the 0.55 prior

void svm_silent(const char*) {}

struct SvmModelDeleter {
  void operator()(svm_model* m) const {
    if (m) svm_free_and_destroy_model(&m);
  }
};
using SvmModelPtr = std::unique_ptr<svm_model, SvmModelDeleter>;

float l2_distance(const float* a, const float* b, int n) {
  double s = 0.0;
  for (int i = 0; i < n; ++i) {
    const double d = double(a[i]) - double(b[i]);
    s += d * d;
  }
  return float(std::sqrt(s));
}

// Fills nodes (dim + 1 entries) from e, L2-normalised when normalize is set.
void to_nodes(const float* e, int dim, bool normalize, svm_node* nodes) {
  double norm = 1.0;
  if (normalize) {
    double s = 0.0;
    for (int i = 0; i < dim; ++i) s += double(e[i]) * double(e[i]);
    norm = s > 0.0 ? std::sqrt(s) : 1.0;
  }
  for (int i = 0; i < dim; ++i) {
    nodes[i].index = i + 1;
    nodes[i].value = double(e[i]) / norm;
  }
  nodes[dim].index = -1;
  nodes[dim].value = 0.0;
}

// svm_save_model writes support vectors with "%.8g". Training on values already
// rounded that way makes a freshly trained model decide bit-identically to the
// same model saved and loaded again.
double svm_file_precision(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 8);
  double out = v;
  std::from_chars(buf, r.ptr, out);
  return out;
}

// Per-person mean of the rows of samples (double accumulation: the same floats
// after train() and after load()).
cv::Mat person_means(const cv::Mat& samples, const std::vector<int>& ids, int nlabels) {
  cv::Mat acc = cv::Mat::zeros(nlabels, samples.cols, CV_64F);
  std::vector<int> count(size_t(nlabels), 0);
  for (int i = 0; i < samples.rows; ++i) {
    const int k = ids[size_t(i)];
    const float* src = samples.ptr<float>(i);
    double* dst = acc.ptr<double>(k);
    for (int j = 0; j < samples.cols; ++j) dst[j] += double(src[j]);
    ++count[size_t(k)];
  }
  cv::Mat out(nlabels, samples.cols, CV_32F);
  for (int k = 0; k < nlabels; ++k)
    for (int j = 0; j < samples.cols; ++j)
      out.at<float>(k, j) = count[size_t(k)] ? float(acc.at<double>(k, j) / count[size_t(k)]) : 0.f;
  return out;
}

// Person distances of q: min(nearest sample, mean template) per label.
std::vector<float> person_distances(const float* q, const cv::Mat& samples, const std::vector<int>& ids,
                                    const cv::Mat& means) {
  std::vector<float> d(size_t(means.rows), std::numeric_limits<float>::infinity());
  for (int i = 0; i < samples.rows; ++i) {
    float& n = d[size_t(ids[size_t(i)])];
    n = std::min(n, l2_distance(q, samples.ptr<float>(i), samples.cols));
  }
  for (int k = 0; k < means.rows; ++k)
    if (std::isfinite(d[size_t(k)])) d[size_t(k)] = std::min(d[size_t(k)], l2_distance(q, means.ptr<float>(k), means.cols));
  return d;
}

std::string svm_path_for(const std::string& model_path, const std::string& svm_file) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(model_path).parent_path();
  return (dir / svm_file).string();
}

}  // namespace

struct Classifier::Impl {
  std::vector<std::string> labels;
  std::string embedder_id;
  int dim = 0;
  float threshold = kDefaultThreshold;
  std::string kernel = "linear";
  double C = 10.0;
  double gamma = 0.0;
  bool l2_input = true;          // SVM input L2-normalised
  cv::Mat samples;               // n x dim CV_32F, raw embeddings
  std::vector<int> sample_labels;
  cv::Mat means;                 // labels x dim CV_32F, per-person mean (template)

  // libsvm: a model from svm_train points into the problem's nodes, so those are
  // kept here for the model's lifetime (Impl never moves: it lives behind a pointer).
  std::vector<svm_node> train_nodes;
  std::vector<svm_node*> train_x;
  std::vector<double> train_y;
  SvmModelPtr svm;
  std::vector<int> svm_labels;   // libsvm class order -> our label id

  void compute_means() {
    means = person_means(samples, sample_labels, int(labels.size()));
  }

  void init_svm_labels() {
    svm_labels.assign(size_t(svm_get_nr_class(svm.get())), -1);
    svm_get_labels(svm.get(), svm_labels.data());
  }
};

Classifier::Classifier() : impl_(std::make_unique<Impl>()) {}
Classifier::~Classifier() = default;
Classifier::Classifier(Classifier&&) noexcept = default;
Classifier& Classifier::operator=(Classifier&&) noexcept = default;

float choose_distance_threshold(const std::vector<Embedding>& samples,
                                const std::vector<int>& label_ids, bool* from_data) {
  if (from_data) *from_data = false;
  if (samples.empty() || samples.size() != label_ids.size()) return kDefaultThreshold;
  const int dim = int(samples.front().size());
  int nlabels = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (int(samples[i].size()) != dim || label_ids[i] < 0) return kDefaultThreshold;
    nlabels = std::max(nlabels, label_ids[i] + 1);
  }
  cv::Mat all(int(samples.size()), dim, CV_32F);
  for (size_t i = 0; i < samples.size(); ++i)
    std::copy(samples[i].begin(), samples[i].end(), all.ptr<float>(int(i)));
  const cv::Mat means = person_means(all, label_ids, nlabels);
  std::vector<int> count(size_t(nlabels), 0);
  for (int id : label_ids) ++count[size_t(id)];

  std::vector<float> genuine, impostor;
  for (int i = 0; i < all.rows; ++i) {
    const float* q = all.ptr<float>(i);
    const int own = label_ids[size_t(i)];
    std::vector<float> d = person_distances(q, all, label_ids, means);
    // Impostor: nearest other person.
    float other = std::numeric_limits<float>::infinity();
    for (int k = 0; k < nlabels; ++k)
      if (k != own && count[size_t(k)] > 0) other = std::min(other, d[size_t(k)]);
    if (std::isfinite(other)) impostor.push_back(other);
    // Genuine, leaving sample i out: nearest other own sample, or the mean of the others.
    const int n_own = count[size_t(own)];
    if (n_own < 2) continue;
    float same = std::numeric_limits<float>::infinity();
    std::vector<double> loo(size_t(dim), 0.0);
    for (int j = 0; j < all.rows; ++j) {
      if (j == i || label_ids[size_t(j)] != own) continue;
      same = std::min(same, l2_distance(q, all.ptr<float>(j), dim));
      const float* r = all.ptr<float>(j);
      for (int c = 0; c < dim; ++c) loo[size_t(c)] += double(r[c]);
    }
    double s2 = 0.0;
    for (int c = 0; c < dim; ++c) {
      const double v = double(q[c]) - loo[size_t(c)] / double(n_own - 1);
      s2 += v * v;
    }
    genuine.push_back(std::min(same, float(std::sqrt(s2))));
  }
  if (genuine.size() < kMinGenuine || impostor.size() < kMinImpostor) return kDefaultThreshold;
  if (from_data) *from_data = true;
  const int steps = int(std::lround((kMaxAutoThreshold - kMinAutoThreshold) / 0.005f));
  std::vector<double> err(size_t(steps + 1));
  for (int k = 0; k <= steps; ++k) {
    const float t = kMinAutoThreshold + 0.005f * float(k);
    const auto fr = std::count_if(genuine.begin(), genuine.end(), [t](float d) { return d > t; });
    const auto fa = std::count_if(impostor.begin(), impostor.end(), [t](float d) { return d <= t; });
    err[size_t(k)] = double(fr) / double(genuine.size()) + double(fa) / double(impostor.size());
  }
  // Every threshold within one sample's worth of the minimum counts as best.
  const double tol = 1.0 / double(genuine.size()) + 1.0 / double(impostor.size());
  const double best = *std::min_element(err.begin(), err.end());
  int best_lo = -1, best_hi = -1;
  for (int k = 0; k <= steps; ++k)
    if (err[size_t(k)] <= best + tol + 1e-12) {
      if (best_lo < 0) best_lo = k;
      best_hi = k;
    }
  const double t_data = kMinAutoThreshold + 0.005 * double(best_lo + best_hi) / 2.0;
  const double w = double(genuine.size()) / (double(genuine.size()) + kPriorWeight);
  const double t = w * t_data + (1.0 - w) * double(kDefaultThreshold);
  return float(std::clamp(t, double(kMinAutoThreshold), double(kMaxAutoThreshold)));
}

Classifier Classifier::train(const std::vector<Embedding>& samples,
                             const std::vector<int>& label_ids,
                             const std::vector<std::string>& labels,
                             const std::string& embedder_id, const TrainOptions& opts) {
  if (labels.empty()) throw Error("", "cannot train a classifier without people: enrol at least one person");
  if (samples.empty()) throw Error("", "cannot train a classifier without embeddings: enrol at least one image");
  if (samples.size() != label_ids.size())
    throw Error("", "training data: " + std::to_string(samples.size()) + " embeddings but " +
                        std::to_string(label_ids.size()) + " label ids");
  if (opts.kernel != "linear" && opts.kernel != "rbf")
    throw Error("", "unknown kernel '" + opts.kernel + "': use linear or rbf");
  if (!(opts.C > 0.0)) throw Error("", "SVM C must be > 0");
  const int dim = int(samples.front().size());
  if (dim <= 0) throw Error("", "training data: empty embedding");
  std::vector<int> count(labels.size(), 0);
  for (size_t i = 0; i < samples.size(); ++i) {
    if (int(samples[i].size()) != dim)
      throw Error("", "training data: embedding " + std::to_string(i) + " has " +
                          std::to_string(samples[i].size()) + " values, expected " + std::to_string(dim));
    if (label_ids[i] < 0 || size_t(label_ids[i]) >= labels.size())
      throw Error("", "training data: label id " + std::to_string(label_ids[i]) + " out of range (" +
                          std::to_string(labels.size()) + " labels)");
    for (float v : samples[i])
      if (!std::isfinite(v)) throw Error("", "training data: embedding " + std::to_string(i) + " is not finite");
    ++count[size_t(label_ids[i])];
  }
  for (size_t k = 0; k < labels.size(); ++k)
    if (count[k] == 0)
      throw Error("", "person '" + labels[k] + "' has no embedding: leave them out or add images");

  Classifier c;
  Impl& m = *c.impl_;
  m.labels = labels;
  m.embedder_id = embedder_id;
  m.dim = dim;
  m.kernel = opts.kernel;
  m.C = opts.C;
  m.gamma = opts.gamma > 0.0 ? opts.gamma : 1.0 / dim;
  m.l2_input = true;
  m.samples.create(int(samples.size()), dim, CV_32F);
  for (size_t i = 0; i < samples.size(); ++i)
    std::copy(samples[i].begin(), samples[i].end(), m.samples.ptr<float>(int(i)));
  m.sample_labels = label_ids;
  m.compute_means();
  m.threshold = opts.distance_threshold > 0.f ? opts.distance_threshold
                                              : choose_distance_threshold(samples, label_ids, nullptr);

  if (labels.size() >= 2) {
    const size_t n = samples.size();
    m.train_nodes.resize(n * size_t(dim + 1));
    m.train_x.resize(n);
    m.train_y.resize(n);
    for (size_t i = 0; i < n; ++i) {
      svm_node* row = &m.train_nodes[i * size_t(dim + 1)];
      to_nodes(samples[i].data(), dim, m.l2_input, row);
      for (int j = 0; j < dim; ++j) row[j].value = svm_file_precision(row[j].value);
      m.train_x[i] = row;
      m.train_y[i] = double(label_ids[i]);
    }
    svm_problem prob{};
    prob.l = int(n);
    prob.y = m.train_y.data();
    prob.x = m.train_x.data();
    svm_parameter param{};
    param.svm_type = C_SVC;
    param.kernel_type = opts.kernel == "rbf" ? RBF : LINEAR;
    param.degree = 3;
    param.gamma = m.gamma;
    param.coef0 = 0.0;
    param.cache_size = 100;
    param.eps = 1e-3;
    param.C = opts.C;
    param.nr_weight = 0;
    param.weight_label = nullptr;
    param.weight = nullptr;
    param.nu = 0.5;
    param.p = 0.1;
    param.shrinking = 1;
    param.probability = 1;
    if (const char* err = svm_check_parameter(&prob, &param))
      throw Error("", std::string("libsvm rejected the parameters: ") + err);
    svm_set_print_string_function(&svm_silent);
    // libsvm's probability calibration shuffles with rand(): seed it so that the
    // same data always gives the same model.
    std::srand(1);
    m.svm.reset(svm_train(&prob, &param));
    if (!m.svm) throw Error("", "libsvm failed to train the classifier");
    m.init_svm_labels();
  }
  return c;
}

void Classifier::save(const std::string& path) const {
  namespace fs = std::filesystem;
  const Impl& m = *impl_;
  if (m.dim <= 0) throw Error(path, "cannot save an untrained classifier: train it first");
  const std::string svm_file = m.svm ? fs::path(path).filename().string() + ".svm" : std::string();
  {
    std::error_code ec;
    const fs::path dir = fs::path(path).parent_path();
    if (!dir.empty() && !fs::is_directory(dir, ec))
      throw Error(path, "cannot write the model: folder " + dir.string() + " does not exist (create it first)");
  }
  // Both files are written under temporary names and renamed into place, the
  // .svm first: a reader (facerecognize watch=true) never sees half a file, and
  // an interrupted save leaves the previous model intact.
  const std::string tmp = path + ".tmp";
  const std::string svm_tmp = path + ".svm.tmp";
  auto discard = [&] {
    std::error_code ec;
    fs::remove(tmp, ec);
    fs::remove(svm_tmp, ec);
  };
  try {
    cv::FileStorage fs(tmp, cv::FileStorage::WRITE | cv::FileStorage::FORMAT_JSON);
    if (!fs.isOpened())
      throw Error(path, "cannot write the model: check that the folder exists and is writable");
    fs << "format" << kFormat;
    fs << "version" << kVersion;
    fs << "embedder_id" << m.embedder_id;
    fs << "dim" << m.dim;
    fs << "labels" << "[";
    for (const auto& l : m.labels) fs << l;
    fs << "]";
    fs << "distance_threshold" << double(m.threshold);
    fs << "kernel" << m.kernel;
    fs << "C" << m.C;
    fs << "gamma" << m.gamma;
    fs << "svm_input" << (m.l2_input ? "l2" : "raw");
    fs << "svm_file" << svm_file;
    fs << "gate" << "nearest enrolled embedding or person mean, raw embeddings";
    fs << "label_ids" << "[";
    for (int id : m.sample_labels) fs << id;
    fs << "]";
    fs << "embeddings" << m.samples;
    fs.release();
  } catch (const cv::Exception& e) {
    discard();
    throw Error(path, std::string("cannot write the model: ") + e.what());
  } catch (...) {
    discard();
    throw;
  }
  std::error_code ec;
  if (m.svm) {
    const std::string sp = svm_path_for(path, svm_file);
    if (svm_save_model(svm_tmp.c_str(), m.svm.get()) != 0) {
      discard();
      throw Error(sp, "cannot write the SVM file: check that the folder is writable");
    }
    fs::rename(svm_tmp, sp, ec);
    if (ec) {
      discard();
      throw Error(sp, "cannot write the SVM file: " + ec.message());
    }
  } else {
    // A stale .svm from an earlier multi-person model would only confuse people.
    fs::remove(path + ".svm", ec);
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    discard();
    throw Error(path, "cannot write the model: " + ec.message());
  }
}

Classifier Classifier::load(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec))
    throw Error(path, "model file not found: train one with facerec-train DATASET -o MODEL");
  if (!fs::is_regular_file(path, ec)) throw Error(path, "model is not a regular file: give the MODEL file");
  const std::string retrain = ": retrain with facerec-train";
  Classifier c;
  Impl& m = *c.impl_;
  std::string svm_file;
  try {
    cv::FileStorage fs(path, cv::FileStorage::READ | cv::FileStorage::FORMAT_JSON);
    if (!fs.isOpened()) throw Error(path, "cannot read the model (not a gst-facerec model JSON file?)" + retrain);
    std::string format;
    if (fs["format"].isString()) fs["format"] >> format;
    if (format != kFormat)
      throw Error(path, "not a gst-facerec model (format field missing or wrong)" + retrain);
    int version = 0;
    fs["version"] >> version;
    if (version != kVersion)
      throw Error(path, "unsupported model version " + std::to_string(version) + " (expected " +
                            std::to_string(kVersion) + ")" + retrain);
    fs["embedder_id"] >> m.embedder_id;
    fs["dim"] >> m.dim;
    const cv::FileNode labels = fs["labels"];
    if (!labels.isSeq() || labels.size() == 0) throw Error(path, "model has no labels" + retrain);
    for (const auto& l : labels) m.labels.push_back(std::string(l));
    double t = 0.0;
    fs["distance_threshold"] >> t;
    m.threshold = float(t);
    fs["kernel"] >> m.kernel;
    fs["C"] >> m.C;
    fs["gamma"] >> m.gamma;
    std::string svm_input;
    fs["svm_input"] >> svm_input;
    m.l2_input = svm_input != "raw";
    fs["svm_file"] >> svm_file;
    const cv::FileNode ids = fs["label_ids"];
    if (ids.isSeq())
      for (const auto& id : ids) m.sample_labels.push_back(int(id));
    fs["embeddings"] >> m.samples;
  } catch (const cv::Exception& e) {
    throw Error(path, std::string("cannot parse the model (not a gst-facerec model JSON file?): ") +
                          e.what() + retrain);
  }
  if (m.dim <= 0) throw Error(path, "model has no valid embedding dimension" + retrain);
  if (!(m.threshold > 0.f)) throw Error(path, "model has no valid distance_threshold" + retrain);
  if (m.samples.empty() || m.samples.type() != CV_32F)
    throw Error(path, "model holds no enrolled embeddings" + retrain);
  if (m.samples.cols != m.dim)
    throw Error(path, "embedding dimension mismatch: embeddings have " + std::to_string(m.samples.cols) +
                          " values, dim says " + std::to_string(m.dim) + retrain);
  if (size_t(m.samples.rows) != m.sample_labels.size())
    throw Error(path, "model has " + std::to_string(m.samples.rows) + " embeddings but " +
                          std::to_string(m.sample_labels.size()) + " label ids" + retrain);
  for (int id : m.sample_labels)
    if (id < 0 || size_t(id) >= m.labels.size())
      throw Error(path, "model has a label id out of range" + retrain);
  if (!m.samples.isContinuous()) m.samples = m.samples.clone();
  for (size_t k = 0; k < m.labels.size(); ++k)
    if (std::find(m.sample_labels.begin(), m.sample_labels.end(), int(k)) == m.sample_labels.end())
      throw Error(path, "person '" + m.labels[k] + "' has no enrolled embedding" + retrain);
  m.compute_means();

  if (svm_file.empty()) {
    if (m.labels.size() != 1)
      throw Error(path, "model has " + std::to_string(m.labels.size()) +
                            " people but no SVM file" + retrain);
    return c;
  }
  const std::string sp = svm_path_for(path, svm_file);
  if (!fs::is_regular_file(sp, ec))
    throw Error(sp, "SVM file missing (it belongs next to " + path + ")" + retrain);
  {
    // libsvm prints its own complaints to stderr: check the header first.
    std::ifstream in(sp);
    std::string first;
    in >> first;
    if (first != "svm_type") throw Error(sp, "cannot read the SVM file (not a libsvm model)" + retrain);
  }
  m.svm.reset(svm_load_model(sp.c_str()));
  if (!m.svm) throw Error(sp, "cannot read the SVM file (not a libsvm model?)" + retrain);
  if (svm_get_svm_type(m.svm.get()) != C_SVC)
    throw Error(sp, "SVM file is not a C-SVC model" + retrain);
  const int nr = svm_get_nr_class(m.svm.get());
  if (size_t(nr) != m.labels.size())
    throw Error(sp, "mismatched SVM and labels: the SVM has " + std::to_string(nr) + " classes, the model " +
                        std::to_string(m.labels.size()) + " labels" + retrain);
  m.init_svm_labels();
  std::vector<bool> seen(m.labels.size(), false);
  for (int l : m.svm_labels) {
    if (l < 0 || size_t(l) >= m.labels.size() || seen[size_t(l)])
      throw Error(sp, "mismatched SVM and labels: SVM class " + std::to_string(l) + " is not a label id" + retrain);
    seen[size_t(l)] = true;
  }
  // The SVM must not use feature indices beyond dim (a model for another embedder).
  const svm_model* sm = m.svm.get();
  for (int i = 0; i < sm->l; ++i)
    for (const svm_node* p = sm->SV[i]; p->index != -1; ++p)
      if (p->index > m.dim)
        throw Error(sp, "embedding dimension mismatch: the SVM uses feature " + std::to_string(p->index) +
                            " but dim is " + std::to_string(m.dim) + retrain);
  return c;
}

Match Classifier::classify(const Embedding& e) const {
  const Impl& m = *impl_;
  if (m.dim <= 0) throw Error("", "classifier has no model: load or train one first");
  if (int(e.size()) != m.dim)
    throw Error("", "embedding has " + std::to_string(e.size()) + " values but the model expects " +
                        std::to_string(m.dim) + ": use the embedder the model was trained with (" +
                        m.embedder_id + ")");
  const size_t nlab = m.labels.size();
  // Person distances (raw embeddings, Euclidean; nearest sample or mean template).
  const std::vector<float> nearest = person_distances(e.data(), m.samples, m.sample_labels, m.means);
  const int nn = int(std::min_element(nearest.begin(), nearest.end()) - nearest.begin());

  Match r;
  int cand = 0;
  std::vector<double> prob(nlab, 0.0);  // by label id
  bool have_prob = false;
  if (m.svm) {
    std::vector<svm_node> nodes(size_t(m.dim + 1));
    to_nodes(e.data(), m.dim, m.l2_input, nodes.data());
    if (svm_check_probability_model(m.svm.get())) {
      std::vector<double> p(m.svm_labels.size(), 0.0);
      cand = int(svm_predict_probability(m.svm.get(), nodes.data(), p.data()));
      for (size_t k = 0; k < p.size(); ++k) prob[size_t(m.svm_labels[k])] = p[k];
      have_prob = true;
    } else {
      cand = int(svm_predict(m.svm.get(), nodes.data()));
    }
    if (cand < 0 || size_t(cand) >= nlab) cand = nn;  // cannot happen with a checked model
    // Consistency with the nearest neighbour (see the top of this file).
    if (nn != cand && nearest[size_t(nn)] < kConsistencyRatio * nearest[size_t(cand)])
      cand = nn;
  }
  const float d = nearest[size_t(cand)];
  r.candidate_id = cand;
  r.distance = d;
  if (m.svm)
    r.score = have_prob ? float(prob[size_t(cand)]) : 1.f;
  else
    r.score = std::clamp(1.f - d / (2.f * m.threshold), 0.f, 1.f);
  if (d <= m.threshold) {
    r.known = true;
    r.label_id = cand;
    r.label = m.labels[size_t(cand)];
  }
  return r;
}

const std::vector<std::string>& Classifier::labels() const { return impl_->labels; }
const std::string& Classifier::embedder_id() const { return impl_->embedder_id; }
int Classifier::dim() const { return impl_->dim; }
float Classifier::distance_threshold() const { return impl_->threshold; }
void Classifier::set_distance_threshold(float t) {
  if (!(t > 0.f)) throw Error("", "distance threshold must be > 0");
  impl_->threshold = t;
}

}  // namespace facerec
