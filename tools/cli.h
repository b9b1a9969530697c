// Command-line helpers shared by the C++ tools (facerec-train, facerec-eval):
// option parsing with usage errors (exit 2), the options both tools take, and one
// place that turns exceptions into a message and exit status 1.
#pragma once

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include <opencv2/core.hpp>

#include "facerec/types.h"

namespace cli {

// Prints "PROG: MSG" and a hint, exits 2.
[[noreturn]] inline void usage_error(const char* prog, const std::string& msg) {
  std::cerr << prog << ": " << msg << "\n"
            << "Try '" << prog << " --help' for more information.\n";
  std::exit(2);
}

inline double parse_number(const char* prog, const std::string& opt, const std::string& v) {
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || errno != 0 || end == nullptr || *end != '\0' || !std::isfinite(d))
    usage_error(prog, "option " + opt + " needs a number, got '" + v + "'");
  return d;
}

inline int parse_int(const char* prog, const std::string& opt, const std::string& v, long lo, long hi) {
  errno = 0;
  char* end = nullptr;
  const long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || errno != 0 || end == nullptr || *end != '\0' || n < lo || n > hi)
    usage_error(prog, "option " + opt + " needs a whole number in " + std::to_string(lo) + ".." +
                          std::to_string(hi) + ", got '" + v + "'");
  return int(n);
}

// Walks argv one argument at a time; options take their value as "--opt value" or
// "--opt=value". Usage errors (missing value) exit 2 through usage_error.
class ArgReader {
 public:
  ArgReader(const char* prog, int argc, char** argv) : prog_(prog), argc_(argc), argv_(argv) {}
  // Advances to the next argument; false after the last.
  bool next() {
    if (++i_ >= argc_) return false;
    arg_ = argv_[i_];
    opt_ = arg_;
    has_inline_ = false;
    if (arg_.rfind("--", 0) == 0) {
      const auto eq = arg_.find('=');
      if (eq != std::string::npos) {
        opt_ = arg_.substr(0, eq);
        inline_ = arg_.substr(eq + 1);
        has_inline_ = true;
      }
    }
    return true;
  }
  const std::string& arg() const { return arg_; }  // as given
  const std::string& opt() const { return opt_; }  // the option name, without "=value"
  bool is_option() const { return arg_.size() > 1 && arg_[0] == '-'; }
  // The current option's value: after '=' or the next argument.
  std::string value() {
    if (has_inline_) return inline_;
    if (i_ + 1 >= argc_) usage_error(prog_, "option " + opt_ + " needs a value");
    return argv_[++i_];
  }
  double number() { return parse_number(prog_, opt_, value()); }
  int whole(long lo, long hi) { return parse_int(prog_, opt_, value(), lo, hi); }

 private:
  const char* prog_;
  int argc_;
  char** argv_;
  int i_ = 0;
  std::string arg_, opt_, inline_;
  bool has_inline_ = false;
};

// The options facerec-train and facerec-eval share: networks, SVM, gate, cache, quiet.
struct ModelOptions {
  std::string detector;
  std::string embedder;
  std::string kernel = "linear";
  double C = 10.0;
  double threshold = 0.0;  // <= 0: chosen from the enrolment data
  std::string cache;
  bool no_cache = false;
  bool quiet = false;
};

// Takes r's current option when it is one of ModelOptions; false when it is not.
inline bool parse_model_option(const char* prog, ArgReader& r, ModelOptions& o) {
  const std::string& opt = r.opt();
  if (opt == "--detector") {
    o.detector = r.value();
  } else if (opt == "--embedder") {
    o.embedder = r.value();
  } else if (opt == "--kernel") {
    o.kernel = r.value();
    if (o.kernel != "linear" && o.kernel != "rbf")
      usage_error(prog, "--kernel must be linear or rbf, got '" + o.kernel + "'");
  } else if (opt == "--C" || opt == "-C") {
    o.C = r.number();
    if (!(o.C > 0.0)) usage_error(prog, "--C must be > 0");
  } else if (opt == "--threshold") {
    o.threshold = r.number();
    if (!(o.threshold > 0.0)) usage_error(prog, "--threshold must be > 0");
  } else if (opt == "--cache") {
    o.cache = r.value();
    if (o.cache.empty()) usage_error(prog, "--cache needs a file name");
  } else if (opt == "--no-cache") {
    o.no_cache = true;
  } else if (opt == "-q" || opt == "--quiet") {
    o.quiet = true;
  } else {
    return false;
  }
  return true;
}

// Runs fn(); errors become "PROG: error: ..." on stderr and exit status 1.
template <typename Fn>
int run_main(const char* prog, Fn&& fn) {
  try {
    return fn();
  } catch (const facerec::Error& e) {
    std::cerr << prog << ": error: " << e.what() << "\n";
  } catch (const cv::Exception& e) {
    std::cerr << prog << ": error (OpenCV): " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << prog << ": error: " << e.what() << "\n";
  }
  return 1;
}

}  // namespace cli
