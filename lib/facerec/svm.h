// libsvm C-SVC: training, prediction and libsvm's text model format (MODEL.svm).
//
// The svm_model that libsvm's prediction functions read is built here from
// arrays this class owns and checked to be consistent (counts, class labels,
// feature indices, finite numbers); libsvm's own loader, svm_load_model, is never
// used: it reads past the end of a truncated or edited file (SIGSEGV) and accepts
// counts that make svm_predict_values read out of bounds.
#pragma once

#include <libsvm/svm.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace facerec {

struct SvmParams {
  std::string kernel = "linear";  // "linear" or "rbf"
  double C = 10.0;
  double gamma = 0.0;  // rbf: > 0
};

// The numbers of a trained C-SVC, as libsvm's text format lists them.
struct SvmModelData {
  int kernel_type = LINEAR;  // LINEAR or RBF
  double gamma = 0.0;        // RBF: > 0
  int nr_class = 0;          // >= 2
  std::vector<int> label;    // nr_class distinct class labels, libsvm's class order
  std::vector<int> nr_sv;    // support vectors per class, sum = total_sv
  std::vector<double> rho;   // nr_class * (nr_class - 1) / 2
  std::vector<double> probA, probB;  // the same count each, or both empty (no probabilities)
  std::vector<double> coef;  // total_sv rows of nr_class - 1 coefficients, file order
  // Every support vector's features in increasing index order (1-based), each
  // followed by a terminator {-1, 0}: total_sv terminators.
  std::vector<svm_node> nodes;
};

// Most classes a model may have. libsvm computes nr_class * (nr_class - 1) / 2
// in int, and probability estimates allocate nr_class^2 doubles per prediction
// (800 MB at 10,000 classes).
constexpr int kSvmMaxClasses = 10000;

class SvmModel {
 public:
  ~SvmModel();
  SvmModel(SvmModel&&) noexcept;
  SvmModel& operator=(SvmModel&&) noexcept;

  // x[i] (all of the same length > 0) belongs to class y[i] (>= 0, at least two
  // classes). Probability estimates are trained too. Throws Error("", ...).
  static SvmModel train(const std::vector<std::vector<double>>& x, const std::vector<int>& y,
                        const SvmParams& params);

  // Checks every invariant prediction relies on (see SvmModelData; feature indices
  // 1..max_index) and takes the data over. Throws Error(path, message + "; " + fix).
  static SvmModel from_data(SvmModelData data, int max_index, const std::string& path, const std::string& fix);

  // Strict parser of libsvm's text format as svm_save_model writes it: header
  // keys once each, counts consistent, exactly total_sv newline-terminated SV
  // lines (a truncated file is an error), finite numbers, feature indices
  // increasing within 1..max_index. Throws Error(path, "line N: ..." + fix).
  static SvmModel parse(std::string_view text, int max_index, const std::string& path, const std::string& fix);

  // Byte for byte what libsvm's svm_save_model writes for this model (so libsvm's
  // svm-predict reads it), without its process-wide setlocale().
  std::string to_text() const;

  const SvmModelData& data() const;
  int nr_class() const;
  int total_sv() const;
  bool has_probability() const;

  // x: max_index feature values (feature i + 1 = x[i]). Returns the predicted class
  // label; with has_probability() and prob != nullptr, (*prob)[k] = probability of
  // data().label[k].
  int predict(const std::vector<double>& x, std::vector<double>* prob) const;

  // The libsvm view of this model, for libsvm's own functions (valid while *this is).
  const svm_model& raw() const;

 private:
  struct Impl;
  explicit SvmModel(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace facerec
