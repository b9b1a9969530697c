// Shared by the fuzz harnesses (fuzz/README.md): the contract they check is that a
// parser given any bytes returns, or throws facerec::Error; any other exception, a
// crash, a sanitizer report or a broken round trip is a finding (abort()).
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "facerec/types.h"

namespace fuzz {

[[noreturn]] inline void finding(const std::string& what) {
  std::fprintf(stderr, "FUZZ FINDING: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// Runs fn; facerec::Error is an accepted answer, anything else thrown is a finding.
template <typename Fn>
void expect_ok_or_error(Fn&& fn) {
  try {
    fn();
  } catch (const facerec::Error&) {
  } catch (const std::exception& e) {
    finding(std::string("exception that is not a facerec::Error: ") + e.what());
  }
}

// A private folder in memory (/dev/shm when there is one) for the harnesses that read
// files, removed at exit.
const std::string& scratch_dir();

// Writes bytes to scratch_dir()/name and returns the path.
std::string write_scratch(const std::string& name, const char* data, size_t size);

}  // namespace fuzz
