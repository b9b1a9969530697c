// Helpers shared by the tests: where test data and models are.
#pragma once

#include <cstdlib>
#include <string>

#include <gst/check/gstcheck.h>

namespace testutil {

// $FACEREC_TESTDATA, else $FACEREC_TESTDATA_DEFAULT (set by meson), else ../shared/testdata.
inline std::string testdata() {
  if (const char* v = std::getenv("FACEREC_TESTDATA"); v && *v) return v;
  if (const char* v = std::getenv("FACEREC_TESTDATA_DEFAULT"); v && *v) return v;
  return "../shared/testdata";
}

inline std::string testdata(const std::string& rel) { return testdata() + "/" + rel; }

// The models staged in ../shared/models (next to the test data): YuNet, res10 TF,
// and the reference 128-d conversion. $FACEREC_REFERENCE_MODELS overrides.
inline std::string reference_models() {
  if (const char* v = std::getenv("FACEREC_REFERENCE_MODELS"); v && *v) return v;
  return testdata() + "/../models";
}

inline std::string source_root() {
  const char* v = std::getenv("FACEREC_SOURCE_ROOT");
  return v ? v : ".";
}

inline std::string build_root() {
  const char* v = std::getenv("FACEREC_BUILD_ROOT");
  return v ? v : ".";
}

}  // namespace testutil
