// Command-line helpers shared by the C++ tools (facerec-train, facerec-eval):
// option parsing with usage errors (exit 2) and one place that turns exceptions
// into a message and exit status 1.
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
