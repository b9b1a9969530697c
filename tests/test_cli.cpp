// What the command-line tools and scripts say when something is missing: every tool
// names the required option it did not get; facerec-train lists the files it could
// not use before saying there is nothing to train; fetch-models.sh says in one line
// which optional models are absent and fails loudly only for a default one.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common.h"

namespace fs = std::filesystem;
using testutil::contains;
using testutil::quote;
using testutil::run_command;
using testutil::TempDir;

namespace {

std::string tool(const std::string& name) { return quote(testutil::build_root() + "/tools/" + name); }

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

}  // namespace

GST_START_TEST(test_missing_options_are_named) {
  TempDir tmp;
  fs::create_directories(tmp / "dir");
  const std::string dir = quote(tmp / "dir");
  struct Case {
    std::string tool, args, message;
  } cases[] = {
      {"facerec-train", "", "missing DATASET"},
      {"facerec-train", dir, "missing -o MODEL"},
      {"facerec-eval", "", "missing DATASET"},
      {"facerec-eval", dir, "missing --unknowns DIR"},
      {"facerec-annotate", "", "missing INPUT"},
      {"facerec-annotate", "in.mp4", "missing -o OUTPUT"},
      {"facerec-annotate", "-o out.mp4", "missing INPUT"},
      {"facerec-annotate", "a.mp4 b.mp4 -o out.mp4", "unexpected argument 'b.mp4'"},
      {"facerec-annotate", "in.mp4 -o out.mp4 --summary-image who.jpg", "--summary-image needs a .png"},
      {"facerec-batch", "", "missing INPUT_DIR"},
      {"facerec-batch", dir, "missing -m MODEL"},
      {"facerec-batch", dir + " -m m.model", "missing -o OUTPUT_DIR"},
      {"facerec-batch", "-m m.model -o out", "missing INPUT_DIR"},
      {"facerec-batch", dir + " -m m.model -o out -j 0", "-j needs at least 1"},
      {"facerec-batch", dir + " -m m.model -o out --no-wait", "--no-wait, --array-size and --partition go with --slurm"},
  };
  std::string wrong;  // every case runs, so that a failure names all that regressed
  for (const auto& c : cases) {
    auto [rc, out] = run_command(tool(c.tool) + " " + c.args);
    const bool ok = rc == 2 && contains(out, c.tool + ": " + c.message) &&
                    contains(out, "Try '" + c.tool + " --help'") && lines(out).size() == 2;
    if (!ok) wrong += "\n  " + c.tool + " " + c.args + " -> " + std::to_string(rc) + ": " + out;
  }
  fail_unless(wrong.empty(), "missing options not named:%s", wrong.c_str());
}
GST_END_TEST;

// A dataset of files that are not usable images: each is listed with its reason
// before the error that refers to them; files that are not images at all are named.
GST_START_TEST(test_train_lists_what_it_skipped) {
  TempDir tmp;
  fs::create_directories(tmp / "ds/alice");
  fs::create_directories(tmp / "ds/bob");
  std::ofstream(tmp / "ds/alice/a.jpg") << "this is text, not a JPEG\n";
  std::ofstream(tmp / "ds/bob/b.png") << "\x89PNG truncated";
  auto [rc, out] = run_command(tool("facerec-train") + " " + quote(tmp / "ds") + " -o " + quote(tmp / "m.model"));
  g_print("%s\n", out.c_str());
  fail_unless_equals_int(rc, 1);
  const size_t a = out.find(tmp / "ds/alice/a.jpg: unreadable image"), b = out.find(tmp / "ds/bob/b.png: "),
               err = out.find("error: " + tmp / "ds: no usable image");
  fail_unless(a != std::string::npos && b != std::string::npos, "skipped images not listed");
  fail_unless(err != std::string::npos && contains(out, "see the skipped files above"), "no error");
  fail_unless(a < err && b < err, "the list comes after the error that refers to it");
  fail_if(fs::exists(tmp / "m.model"));

  fs::create_directories(tmp / "ds2/carol");
  std::ofstream(tmp / "ds2/carol/notes.txt") << "x";
  std::ofstream(tmp / "ds2/carol/photo.heic") << "x";
  std::tie(rc, out) = run_command(tool("facerec-train") + " " + quote(tmp / "ds2") + " -o " + quote(tmp / "m.model"));
  g_print("%s\n", out.c_str());
  fail_unless_equals_int(rc, 1);
  fail_unless(contains(out, "carol/notes.txt") && contains(out, "carol/photo.heic") && contains(out, "2 file(s)"),
              "%s", out.c_str());
}
GST_END_TEST;

// fetch-models.sh with the default models present and no way to download the optional
// ones (a curl that always fails): success, and one line naming the absent ones, no
// alarm. With a default model missing and no npm: an ERROR and a non-zero exit.
GST_START_TEST(test_fetch_models_messages) {
  TempDir tmp;
  const std::string models = std::getenv("FACEREC_MODEL_PATH") ? std::getenv("FACEREC_MODEL_PATH") : "models/data";
  const std::string script = quote(testutil::source_root() + "/models/fetch-models.sh");
  fs::create_directories(tmp / "bin");
  {
    std::ofstream curl(tmp / "bin/curl");
    curl << "#!/bin/sh\nexit 6  # could not resolve host\n";
  }
  fs::permissions(tmp / "bin/curl", fs::perms::owner_all);
  fs::create_directories(tmp / "dest");
  for (const char* f : {"fr_detect.onnx", "fr_landmark.onnx", "faceapi_recognition_128d.onnx", "fr_feature.onnx",
                        "fr_feature_128d.onnx"}) {
    fail_unless(fs::is_regular_file(models + "/" + f), "%s/%s missing", models.c_str(), f);
    fs::create_symlink(fs::absolute(models + "/" + f), tmp / ("dest/" + std::string(f)));
  }
  auto [rc, out] = run_command("PATH=" + quote(tmp / "bin") + ":$PATH FACEREC_MODEL_CACHE=" + quote(tmp / "cache") +
                               " bash " + script + " " + quote(tmp / "dest"));
  g_print("%s\n", out.c_str());
  fail_unless_equals_int(rc, 0);
  int absent_lines = 0;
  for (const auto& l : lines(out)) {
    fail_if(contains(l, "not downloaded") || contains(l, "ERROR") || contains(l, "warning"), "alarm: %s", l.c_str());
    if (contains(l, "optional models not present")) {
      ++absent_lines;
      for (const char* f : {"deploy.prototxt", "res10_300x300_ssd_iter_140000.caffemodel",
                            "opencv_face_detector_uint8.pb", "opencv_face_detector.pbtxt", "nn4.small2.v1.t7",
                            "face_detection_yunet_2022mar.onnx"})
        fail_unless(contains(l, f), "%s not named", f);
      fail_unless(contains(l, "the default models are complete") && contains(l, "copy them into"));
    }
  }
  fail_unless_equals_int(absent_lines, 1);

  fs::remove(tmp / "dest/fr_detect.onnx");
  std::tie(rc, out) = run_command("PATH=" + quote(tmp / "bin") + ":$PATH FACEREC_MODEL_CACHE=" + quote(tmp / "cache") +
                                  " NPM=false bash " + script + " " + quote(tmp / "dest"));
  g_print("%s\n", out.c_str());
  fail_unless(rc != 0 && contains(out, "ERROR"), "a missing default model must fail loudly");
}
GST_END_TEST;

static Suite* cli_suite() {
  Suite* s = suite_create("cli");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_missing_options_are_named);
  tcase_add_test(tc, test_train_lists_what_it_skipped);
  tcase_add_test(tc, test_fetch_models_messages);
  return s;
}

GST_CHECK_MAIN(cli);
