// Strict parser of libsvm's text model format (see facerec/svm.h). The whole
// file is in memory; every count is checked against what the file really holds
// before anything is sized from it, so a huge or negative count costs nothing.
//
// The format, as svm_save_model writes it (libsvm 3.24):
//   svm_type c_svc
//   kernel_type linear|rbf        (libsvm also knows polynomial, sigmoid, precomputed)
//   gamma G                       (rbf; degree/coef0 for the other kernels)
//   nr_class K
//   total_sv L
//   rho      K(K-1)/2 numbers
//   label    K ints
//   probA    K(K-1)/2 numbers     (probability models)
//   probB    K(K-1)/2 numbers
//   nr_sv    K ints
//   SV
//   L lines: K-1 coefficients, then index:value pairs, each line ended by '\n'
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>

#include "facerec/svm.h"
#include "facerec/types.h"

namespace facerec {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const size_t b = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > b) out.push_back(line.substr(b, i - b));
  }
  return out;
}

bool to_int(std::string_view s, int* v) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool to_double(std::string_view s, double* v) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *v, std::chars_format::general);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(*v);
}

class Parser {
 public:
  Parser(std::string_view text, int max_index, const std::string& path, const std::string& fix)
      : text_(text), max_index_(max_index), path_(path), fix_(fix) {}

  SvmModelData run() {
    header();
    support_vectors();
    return std::move(d_);
  }

 private:
  std::string_view text_;
  int max_index_;
  const std::string& path_;
  const std::string& fix_;
  size_t pos_ = 0;
  size_t line_no_ = 0;
  SvmModelData d_;
  int total_sv_ = 0;

  Error bad(const std::string& why) const {
    return Error(path_, "line " + std::to_string(line_no_) + ": " + why +
                            ": the SVM file is damaged (truncated or edited); " + fix_);
  }

  // The next line without its '\n'; false at the end of the text. *complete:
  // the line ended with '\n'.
  bool next_line(std::string_view* line, bool* complete) {
    if (pos_ >= text_.size()) return false;
    ++line_no_;
    const size_t nl = text_.find('\n', pos_);
    *complete = nl != std::string_view::npos;
    const size_t end = *complete ? nl : text_.size();
    *line = text_.substr(pos_, end - pos_);
    pos_ = *complete ? nl + 1 : text_.size();
    return true;
  }

  int one_int(const std::vector<std::string_view>& t, const char* key) const {
    int v = 0;
    if (t.size() != 2 || !to_int(t[1], &v)) throw bad(std::string("'") + key + "' needs one integer");
    return v;
  }

  double one_double(const std::vector<std::string_view>& t, const char* key) const {
    double v = 0;
    if (t.size() != 2 || !to_double(t[1], &v)) throw bad(std::string("'") + key + "' needs one finite number");
    return v;
  }

  void doubles(const std::vector<std::string_view>& t, size_t n, std::vector<double>* out) const {
    if (t.size() != n + 1)
      throw bad("'" + std::string(t[0]) + "' needs " + std::to_string(n) + " numbers for " +
                std::to_string(d_.nr_class) + " classes, found " + std::to_string(t.size() - 1));
    out->resize(n);
    for (size_t i = 0; i < n; ++i)
      if (!to_double(t[i + 1], &(*out)[i]))
        throw bad("'" + std::string(t[0]) + "': \"" + std::string(t[i + 1]) + "\" is not a finite number");
  }

  void ints(const std::vector<std::string_view>& t, size_t n, std::vector<int>* out) const {
    if (t.size() != n + 1)
      throw bad("'" + std::string(t[0]) + "' needs " + std::to_string(n) + " integers for " +
                std::to_string(d_.nr_class) + " classes, found " + std::to_string(t.size() - 1));
    out->resize(n);
    for (size_t i = 0; i < n; ++i)
      if (!to_int(t[i + 1], &(*out)[i]))
        throw bad("'" + std::string(t[0]) + "': \"" + std::string(t[i + 1]) + "\" is not an integer");
  }

  void header() {
    std::map<std::string, bool, std::less<>> seen;
    std::string_view line;
    bool complete = false;
    for (;;) {
      if (!next_line(&line, &complete)) throw bad("the file ends before the SV section (truncated?)");
      if (!complete) throw bad("the file ends inside the header (truncated?)");
      const auto t = split(line);
      if (t.empty()) continue;
      const std::string_view key = t[0];
      if (seen[std::string(key)]) throw bad("'" + std::string(key) + "' appears twice");
      seen[std::string(key)] = true;
      const size_t k = size_t(std::max(d_.nr_class, 0)), pairs = k * (k - 1) / 2;
      const bool needs_k = key == "rho" || key == "label" || key == "probA" || key == "probB" || key == "nr_sv";
      if (needs_k && k == 0) throw bad("'" + std::string(key) + "' before 'nr_class'");
      if (key == "svm_type") {
        if (t.size() != 2) throw bad("'svm_type' needs one value");
        if (t[1] != "c_svc")
          throw bad("svm_type \"" + std::string(t[1]) + "\" is not c_svc (facerec-train writes C-SVC models)");
      } else if (key == "kernel_type") {
        if (t.size() != 2) throw bad("'kernel_type' needs one value");
        if (t[1] == "linear")
          d_.kernel_type = LINEAR;
        else if (t[1] == "rbf")
          d_.kernel_type = RBF;
        else
          throw bad("kernel_type \"" + std::string(t[1]) + "\" is not supported (facerec-train writes linear or rbf)");
      } else if (key == "gamma") {
        d_.gamma = one_double(t, "gamma");
      } else if (key == "degree") {
        one_int(t, "degree");  // polynomial kernels only: unused here
      } else if (key == "coef0") {
        one_double(t, "coef0");  // polynomial/sigmoid kernels only: unused here
      } else if (key == "nr_class") {
        d_.nr_class = one_int(t, "nr_class");
        if (d_.nr_class < 2 || d_.nr_class > kSvmMaxClasses)
          throw bad("nr_class " + std::to_string(d_.nr_class) + " out of range (2.." +
                    std::to_string(kSvmMaxClasses) + ")");
      } else if (key == "total_sv") {
        total_sv_ = one_int(t, "total_sv");
        if (total_sv_ < 1) throw bad("total_sv " + std::to_string(total_sv_) + ": a model needs support vectors");
      } else if (key == "rho") {
        doubles(t, pairs, &d_.rho);
      } else if (key == "probA") {
        doubles(t, pairs, &d_.probA);
      } else if (key == "probB") {
        doubles(t, pairs, &d_.probB);
      } else if (key == "label") {
        ints(t, k, &d_.label);
      } else if (key == "nr_sv") {
        ints(t, k, &d_.nr_sv);
        std::int64_t sum = 0;
        for (int n : d_.nr_sv) {
          if (n < 0) throw bad("negative nr_sv count " + std::to_string(n));
          sum += n;
        }
        if (seen.count("total_sv") == 0) throw bad("'nr_sv' before 'total_sv'");
        if (sum != total_sv_)
          throw bad("the nr_sv counts add up to " + std::to_string(sum) + ", total_sv says " +
                    std::to_string(total_sv_));
      } else if (key == "SV") {
        if (t.size() != 1) throw bad("'SV' takes no value");
        break;
      } else {
        throw bad("unknown header key '" + std::string(key) + "'");
      }
    }
    for (const char* key : {"svm_type", "kernel_type", "nr_class", "total_sv", "rho", "label", "nr_sv"})
      if (!seen[key]) throw bad(std::string("the header has no '") + key + "'");
    if (d_.kernel_type == RBF && !seen["gamma"]) throw bad("an rbf model needs 'gamma'");
    if (d_.kernel_type == RBF && !(d_.gamma > 0.0)) throw bad("gamma must be > 0");
    if (seen["probA"] != seen["probB"]) throw bad("'probA' and 'probB' come together");
  }

  void support_vectors() {
    const size_t ncoef = size_t(d_.nr_class) - 1;
    std::string_view line;
    bool complete = false;
    for (int i = 0; i < total_sv_; ++i) {
      if (!next_line(&line, &complete))
        throw bad("only " + std::to_string(i) + " of total_sv " + std::to_string(total_sv_) +
                  " support vector lines (truncated?)");
      if (!complete) throw bad("the last support vector line has no end of line (truncated?)");
      const auto t = split(line);
      if (t.size() < ncoef)
        throw bad("a support vector line needs " + std::to_string(ncoef) + " coefficients, found " +
                  std::to_string(t.size()));
      for (size_t j = 0; j < ncoef; ++j) {
        double c = 0;
        if (!to_double(t[j], &c)) throw bad("coefficient \"" + std::string(t[j]) + "\" is not a finite number");
        d_.coef.push_back(c);
      }
      int last = 0;
      for (size_t j = ncoef; j < t.size(); ++j) {
        const size_t colon = t[j].find(':');
        svm_node n{};
        if (colon == std::string_view::npos || !to_int(t[j].substr(0, colon), &n.index) ||
            !to_double(t[j].substr(colon + 1), &n.value))
          throw bad("\"" + std::string(t[j]) + "\" is not index:value with a finite value");
        if (n.index <= last || n.index > max_index_)
          throw bad("feature index " + std::to_string(n.index) + " out of order or beyond the embedding dimension " +
                    std::to_string(max_index_));
        last = n.index;
        d_.nodes.push_back(n);
      }
      d_.nodes.push_back(svm_node{-1, 0.0});
    }
    while (next_line(&line, &complete))
      if (!split(line).empty())
        throw bad("more support vector lines than total_sv " + std::to_string(total_sv_));
  }
};

}  // namespace

SvmModel SvmModel::parse(std::string_view text, int max_index, const std::string& path, const std::string& fix) {
  if (text.find('\0') != std::string_view::npos)
    throw Error(path, "not a libsvm text model (binary data): " + fix);
  SvmModelData d = Parser(text, max_index, path, fix).run();
  return from_data(std::move(d), max_index, path, fix);
}

}  // namespace facerec
