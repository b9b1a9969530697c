// libsvm C-SVC wrapper: training, prediction, consistency checks and the text
// writer. The parser is in svm_parse.cpp. See facerec/svm.h.
#include "facerec/svm.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <set>

#include "facerec/types.h"

namespace facerec {

namespace {

void svm_silent(const char*) {}

struct TrainedDeleter {
  void operator()(svm_model* m) const {
    if (m) svm_free_and_destroy_model(&m);
  }
};

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

// printf("%.<precision>g", v): std::to_chars with a precision is specified to
// format like printf in the "C" locale, whatever the process locale is.
void append_g(std::string& out, double v, int precision) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, precision);
  out.append(buf, r.ptr);
}

bool all_finite(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [](double d) { return std::isfinite(d); });
}

}  // namespace

struct SvmModel::Impl {
  SvmModelData d;
  std::vector<double> coef_by_class;  // libsvm's layout: (nr_class - 1) rows of total_sv
  std::vector<double*> coef_rows;
  std::vector<svm_node*> sv;
  svm_model m{};
};

SvmModel::SvmModel(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SvmModel::~SvmModel() = default;
SvmModel::SvmModel(SvmModel&&) noexcept = default;
SvmModel& SvmModel::operator=(SvmModel&&) noexcept = default;

SvmModel SvmModel::from_data(SvmModelData d, int max_index, const std::string& path, const std::string& fix) {
  auto bad = [&](const std::string& why) { return Error(path, why + (fix.empty() ? "" : "; " + fix)); };
  if (d.kernel_type != LINEAR && d.kernel_type != RBF)
    throw bad("unsupported SVM kernel (facerec-train writes linear or rbf)");
  if (!std::isfinite(d.gamma) || (d.kernel_type == RBF && !(d.gamma > 0.0)))
    throw bad("SVM gamma must be a finite number" + std::string(d.kernel_type == RBF ? " > 0" : ""));
  if (d.nr_class < 2 || d.nr_class > kSvmMaxClasses)
    throw bad("SVM nr_class " + std::to_string(d.nr_class) + " out of range (2.." +
              std::to_string(kSvmMaxClasses) + ")");
  const size_t k = size_t(d.nr_class);
  const size_t pairs = k * (k - 1) / 2;
  if (d.label.size() != k) throw bad("SVM has " + std::to_string(d.label.size()) + " labels for " +
                                     std::to_string(k) + " classes");
  if (std::set<int>(d.label.begin(), d.label.end()).size() != k) throw bad("SVM class labels are not distinct");
  if (d.nr_sv.size() != k) throw bad("SVM has " + std::to_string(d.nr_sv.size()) + " nr_sv counts for " +
                                     std::to_string(k) + " classes");
  std::int64_t total = 0;
  for (int n : d.nr_sv) {
    if (n < 0) throw bad("SVM has a negative support vector count");
    total += n;
  }
  if (total < 1 || total > std::numeric_limits<int>::max()) throw bad("SVM has no support vector");
  if (d.rho.size() != pairs) throw bad("SVM has " + std::to_string(d.rho.size()) + " rho values, " +
                                       std::to_string(k) + " classes need " + std::to_string(pairs));
  if (!all_finite(d.rho)) throw bad("SVM rho is not finite");
  if (d.probA.size() != d.probB.size() || (!d.probA.empty() && d.probA.size() != pairs))
    throw bad("SVM probA/probB counts do not match nr_class " + std::to_string(k));
  if (!all_finite(d.probA) || !all_finite(d.probB)) throw bad("SVM probA/probB is not finite");
  if (d.coef.size() != size_t(total) * (k - 1)) throw bad("SVM coefficient count does not match total_sv");
  if (!all_finite(d.coef)) throw bad("SVM coefficient is not finite");
  if (max_index < 1) throw bad("SVM feature dimension must be >= 1");

  auto impl = std::make_unique<Impl>();
  Impl& s = *impl;
  s.sv.reserve(size_t(total));
  int last = 0;
  for (size_t i = 0; i < d.nodes.size(); ++i) {
    const svm_node& n = d.nodes[i];
    if (n.index == -1) {
      if (s.sv.size() == size_t(total)) throw bad("SVM has more support vectors than total_sv");
      s.sv.push_back(nullptr);  // set below, once d.nodes no longer moves
      last = 0;
      continue;
    }
    if (n.index <= last || n.index > max_index)
      throw bad("SVM feature index " + std::to_string(n.index) + " out of order or beyond the dimension " +
                std::to_string(max_index));
    if (!std::isfinite(n.value)) throw bad("SVM feature value is not finite");
    last = n.index;
  }
  if (s.sv.size() != size_t(total) || (!d.nodes.empty() && d.nodes.back().index != -1))
    throw bad("SVM has " + std::to_string(s.sv.size()) + " complete support vectors, total_sv says " +
              std::to_string(total));

  s.d = std::move(d);
  const SvmModelData& v = s.d;
  const size_t l = size_t(total);
  for (size_t i = 0, at = 0; i < l; ++i) {
    s.sv[i] = const_cast<svm_node*>(&v.nodes[at]);
    while (v.nodes[at].index != -1) ++at;
    ++at;
  }
  s.coef_by_class.resize((k - 1) * l);
  for (size_t i = 0; i < l; ++i)
    for (size_t j = 0; j + 1 < k; ++j) s.coef_by_class[j * l + i] = v.coef[i * (k - 1) + j];
  for (size_t j = 0; j + 1 < k; ++j) s.coef_rows.push_back(&s.coef_by_class[j * l]);

  // libsvm takes non-const pointers but only reads through them when predicting;
  // nothing here is ever handed to svm_free_* (free_sv 0: the arrays are ours).
  svm_model& m = s.m;
  m.param.svm_type = C_SVC;
  m.param.kernel_type = v.kernel_type;
  m.param.gamma = v.gamma;
  m.nr_class = v.nr_class;
  m.l = int(l);
  m.SV = s.sv.data();
  m.sv_coef = s.coef_rows.data();
  m.rho = const_cast<double*>(v.rho.data());
  m.probA = v.probA.empty() ? nullptr : const_cast<double*>(v.probA.data());
  m.probB = v.probB.empty() ? nullptr : const_cast<double*>(v.probB.data());
  m.sv_indices = nullptr;
  m.label = const_cast<int*>(v.label.data());
  m.nSV = const_cast<int*>(v.nr_sv.data());
  m.free_sv = 0;
  return SvmModel(std::move(impl));
}

SvmModel SvmModel::train(const std::vector<std::vector<double>>& x, const std::vector<int>& y,
                         const SvmParams& params) {
  if (x.empty() || x.size() != y.size()) throw Error("", "SVM training: no samples, or not one label per sample");
  const size_t dim = x.front().size();
  if (dim == 0 || dim > size_t(std::numeric_limits<int>::max() - 1)) throw Error("", "SVM training: empty samples");
  if (params.kernel != "linear" && params.kernel != "rbf")
    throw Error("", "unknown kernel '" + params.kernel + "': use linear or rbf");
  if (!(params.C > 0.0) || !std::isfinite(params.C)) throw Error("", "SVM C must be > 0");
  if (params.kernel == "rbf" && !(params.gamma > 0.0 && std::isfinite(params.gamma)))
    throw Error("", "SVM gamma must be > 0 for the rbf kernel");
  const size_t n = x.size();
  std::vector<svm_node> nodes(n * (dim + 1));
  std::vector<svm_node*> rows(n);
  std::vector<double> labels(n);
  for (size_t i = 0; i < n; ++i) {
    if (x[i].size() != dim) throw Error("", "SVM training: samples of different lengths");
    if (y[i] < 0) throw Error("", "SVM training: negative class label");
    svm_node* row = &nodes[i * (dim + 1)];
    for (size_t j = 0; j < dim; ++j) {
      if (!std::isfinite(x[i][j])) throw Error("", "SVM training: sample " + std::to_string(i) + " is not finite");
      row[j].index = int(j + 1);
      row[j].value = svm_file_precision(x[i][j]);
    }
    row[dim].index = -1;
    row[dim].value = 0.0;
    rows[i] = row;
    labels[i] = double(y[i]);
  }
  svm_problem prob{};
  prob.l = int(n);
  prob.y = labels.data();
  prob.x = rows.data();
  svm_parameter param{};
  param.svm_type = C_SVC;
  param.kernel_type = params.kernel == "rbf" ? RBF : LINEAR;
  param.degree = 3;
  param.gamma = params.gamma;
  param.coef0 = 0.0;
  param.cache_size = 100;
  param.eps = 1e-3;
  param.C = params.C;
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
  std::unique_ptr<svm_model, TrainedDeleter> t(svm_train(&prob, &param));
  if (!t) throw Error("", "libsvm failed to train the classifier");
  if (t->nr_class < 2) throw Error("", "SVM training needs at least two classes");

  // Copied into arrays of our own (the trained model points into `nodes`).
  SvmModelData d;
  d.kernel_type = param.kernel_type;
  d.gamma = param.gamma;
  d.nr_class = t->nr_class;
  const size_t k = size_t(t->nr_class), pairs = k * (k - 1) / 2, l = size_t(t->l);
  d.label.assign(t->label, t->label + k);
  d.nr_sv.assign(t->nSV, t->nSV + k);
  d.rho.assign(t->rho, t->rho + pairs);
  if (t->probA && t->probB) {
    d.probA.assign(t->probA, t->probA + pairs);
    d.probB.assign(t->probB, t->probB + pairs);
  }
  d.coef.resize(l * (k - 1));
  for (size_t i = 0; i < l; ++i) {
    for (size_t j = 0; j + 1 < k; ++j) d.coef[i * (k - 1) + j] = t->sv_coef[j][i];
    for (const svm_node* p = t->SV[i]; p->index != -1; ++p) d.nodes.push_back(*p);
    d.nodes.push_back(svm_node{-1, 0.0});
  }
  return from_data(std::move(d), int(dim), "", "");
}

std::string SvmModel::to_text() const {
  const SvmModelData& d = impl_->d;
  const size_t k = size_t(d.nr_class), pairs = k * (k - 1) / 2;
  std::string out;
  out.reserve(d.nodes.size() * 16 + d.coef.size() * 24 + 256);
  out += "svm_type c_svc\n";
  out += d.kernel_type == RBF ? "kernel_type rbf\n" : "kernel_type linear\n";
  if (d.kernel_type == RBF) {
    out += "gamma ";
    append_g(out, d.gamma, 17);
    out += "\n";
  }
  out += "nr_class " + std::to_string(k) + "\n";
  out += "total_sv " + std::to_string(total_sv()) + "\n";
  auto doubles = [&](const char* key, const std::vector<double>& v) {
    out += key;
    for (size_t i = 0; i < pairs; ++i) {
      out += ' ';
      append_g(out, v[i], 17);
    }
    out += "\n";
  };
  auto ints = [&](const char* key, const std::vector<int>& v) {
    out += key;
    for (int x : v) out += " " + std::to_string(x);
    out += "\n";
  };
  doubles("rho", d.rho);
  ints("label", d.label);
  if (!d.probA.empty()) {
    doubles("probA", d.probA);
    doubles("probB", d.probB);
  }
  ints("nr_sv", d.nr_sv);
  out += "SV\n";
  size_t at = 0;
  for (int i = 0; i < total_sv(); ++i) {
    for (size_t j = 0; j + 1 < k; ++j) {
      append_g(out, d.coef[size_t(i) * (k - 1) + j], 17);
      out += ' ';
    }
    for (; d.nodes[at].index != -1; ++at) {
      out += std::to_string(d.nodes[at].index);
      out += ':';
      append_g(out, d.nodes[at].value, 8);
      out += ' ';
    }
    ++at;
    out += '\n';
  }
  return out;
}

const SvmModelData& SvmModel::data() const { return impl_->d; }
int SvmModel::nr_class() const { return impl_->d.nr_class; }
int SvmModel::total_sv() const { return impl_->m.l; }
bool SvmModel::has_probability() const { return !impl_->d.probA.empty(); }
const svm_model& SvmModel::raw() const { return impl_->m; }

int SvmModel::predict(const std::vector<double>& x, std::vector<double>* prob) const {
  std::vector<svm_node> nodes(x.size() + 1);
  for (size_t i = 0; i < x.size(); ++i) nodes[i] = svm_node{int(i + 1), x[i]};
  nodes[x.size()] = svm_node{-1, 0.0};
  if (prob && has_probability()) {
    prob->assign(size_t(nr_class()), 0.0);
    return int(svm_predict_probability(&impl_->m, nodes.data(), prob->data()));
  }
  return int(svm_predict(&impl_->m, nodes.data()));
}

}  // namespace facerec
