// Helpers shared by the tests: where test data and models are.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <utility>

#include <sys/wait.h>

#include <gst/check/gstcheck.h>

#include "facerec/models.h"

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

inline bool contains(const std::string& s, const std::string& sub) { return s.find(sub) != std::string::npos; }

// ---- what a test needs: a failure under CI, a printed skip elsewhere ----
// Under CI ($CI set: CI starts from a clean clone and runs scripts/test.sh, which
// installs the packages and fetches the models) everything a test needs must be
// there, so a missing model, data file, plugin or tool FAILS the test, naming it and
// the fix. On a developer's machine the test (or the part of it that needs the
// thing) is skipped instead, with "SKIP: <what> (<fix>)" printed.

inline bool under_ci() { return std::getenv("CI") != nullptr; }

// True when `present`; else fails under CI, or prints the skip and returns false:
//   if (!testutil::require(ok, "what is missing", "how to get it")) return;
inline bool require(bool present, const std::string& what, const std::string& fix) {
  if (present) return true;
  fail_if(under_ci(), "%s: %s (CI is set: nothing may be skipped)", what.c_str(), fix.c_str());
  g_print("SKIP: %s: %s\n", what.c_str(), fix.c_str());
  return false;
}

// For main(), outside any test (check's fail macros cannot be used there): prints
// FAIL (under CI, returns 1) or SKIP (returns 77, meson's "skipped"), with the fix.
inline int missing_outside_test(const std::string& what, const std::string& fix) {
  std::printf("%s: %s: %s\n", under_ci() ? "FAIL" : "SKIP", what.c_str(), fix.c_str());
  return under_ci() ? 1 : 77;
}

// One row of the README's "What was tried" table, which scripts/what-was-tried.sh
// regenerates from the test logs: a class of bad input or fault, how many cases the
// test ran, and what happened to them. Call it after the checks: a test that fails
// stops before it, so a row in the log is a result that held.
inline void tried(const std::string& what, size_t cases, const std::string& result) {
  g_print("TRIED\t%s\t%zu\t%s\n", what.c_str(), cases, result.c_str());
}

// The models staged with the test data (YuNet, res10 TF/Caffe, the reference face-api
// conversion; see reference_models()).
inline std::string reference_model(const std::string& file) { return reference_models() + "/" + file; }

// A model: a file name looked up on the model path ($FACEREC_MODEL_PATH, meson sets it
// to models/data) or an explicit path (the reference models). Sets *path when found.
inline bool require_model(const std::string& name_or_path, std::string* path = nullptr) {
  const std::string found = facerec::find_model(name_or_path);
  if (path) *path = found;
  const bool explicit_path = name_or_path.find('/') != std::string::npos;
  const bool reference = explicit_path && name_or_path.rfind(reference_models() + "/", 0) == 0;
  std::string what = "model " + name_or_path + " not found";
  if (!explicit_path) {
    what += " on the model path (";
    for (const auto& d : facerec::model_search_dirs()) what += " " + d;
    what += " )";
  }
  return require(!found.empty(), what,
                 reference ? "the reference models come with the shared test data: copy them into " +
                                 reference_models() + " or set FACEREC_REFERENCE_MODELS to their folder"
                           : "run bash models/fetch-models.sh (or bash scripts/setup.sh)");
}

// Files or folders of the test data (relative to testdata()), e.g. before symlinking
// them into a folder for a tool (a dangling link would test another error path).
inline bool require_data(std::initializer_list<std::string> rels) {
  for (const std::string& rel : rels) {
    const std::string p = testdata(rel);
    if (!require(g_file_test(p.c_str(), G_FILE_TEST_EXISTS), "test data " + p + " not found",
                 "set FACEREC_TESTDATA to the shared test data folder (faces/, images/, video/)"))
      return false;
  }
  return true;
}
inline bool require_data(const std::string& rel) { return require_data({rel}); }

// A GStreamer element from another plugin package (jpegdec, videoscale, ...).
inline bool require_element(const std::string& factory) {
  GstElementFactory* f = gst_element_factory_find(factory.c_str());
  if (f) gst_object_unref(f);
  return require(f != nullptr, "GStreamer element " + factory + " not installed",
                 "bash scripts/install-deps.sh (Debian's gstreamer1.0-plugins-base/-good)");
}

// Runs a shell command; returns (exit status, stdout+stderr).
inline std::pair<int, std::string> run_command(const std::string& cmd) {
  std::string out;
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  fail_unless(f != nullptr, "popen failed: %s", cmd.c_str());
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  const int st = pclose(f);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

// Single-quotes s for the shell.
inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

}  // namespace testutil

// ---- shared helpers (lib-level: files, identities, temp folders) ----
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sys/wait.h>
#include <utility>
#include <vector>

#include <opencv2/imgcodecs.hpp>

namespace testutil {

// The .jpg/.png files of a folder, sorted.
inline std::vector<std::string> sorted_images(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".jpg" || ext == ".png")) v.push_back(e.path().string());
  }
  std::sort(v.begin(), v.end());
  return v;
}

// The first n identities (sorted by name) of testdata/faces with >= min_images images.
inline std::vector<std::string> pick_identities(int n, int min_images = 10) {
  std::vector<std::string> all;
  for (const auto& e : std::filesystem::directory_iterator(testdata("faces")))
    if (e.is_directory()) all.push_back(e.path().filename().string());
  std::sort(all.begin(), all.end());
  std::vector<std::string> out;
  for (const auto& name : all) {
    if (int(sorted_images(testdata("faces/" + name)).size()) >= min_images) out.push_back(name);
    if (int(out.size()) == n) break;
  }
  return out;
}

// A temporary folder, removed with its contents at scope exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    gchar* p = g_dir_make_tmp("facerec-test-XXXXXX", nullptr);
    fail_unless(p != nullptr, "cannot create a temporary folder");
    path = p;
    g_free(p);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& rel) const { return (path / rel).string(); }
};

// A test image (path relative to the test data), 8-bit BGR; fails the test if unreadable.
inline cv::Mat load_image(const std::string& rel) {
  cv::Mat img = cv::imread(testdata(rel), cv::IMREAD_COLOR);
  fail_if(img.empty(), "cannot read %s", testdata(rel).c_str());
  return img;
}

}  // namespace testutil
