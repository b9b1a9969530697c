// Every file the project reads besides the model pair (test_model_files): the embedding
// cache, the manifest, the unknown-crops folder, the tools' inputs. Each case ran in a
// child process (tests/isolate.h): a hang, a crash or a runaway allocation is reported.
//
//  cache_not_a_file    a FIFO (load blocked forever), a character device (/dev/zero: read
//                      without end), a 5 GiB sparse file (read whole), a folder: each load
//                      is a warning naming the file, quickly and within 1 GB of memory;
//                      save() refuses to replace a FIFO or a folder (it replaced a FIFO
//                      by a regular file) and leaves it as it was
//  cache_round_trip    a real cache still saves, loads and hits after the change
//  manifest_limits     100,000 nested '[' (SIGSEGV in OpenCV's reader), a 2 MB text,
//                      infinite sizes / dims (1e999: undefined conversion to int, accepted)
//                      and huge ones: each an Error naming the manifest
//  crops_dir_is_file   unknown-crops-dir naming a file: one failure naming the folder (not
//                      a temporary file name), nothing written
//  tool_inputs         facerec-annotate given a folder / a FIFO: "not a regular file", exit 1
//                      (it said "no such file"); facerec-train with a FIFO, a folder, an empty
//                      file, a JPEG of only FF D8 FF D9, random bytes, an empty / random /
//                      audio-only video among its images: exit 0, each one skipped by name
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

// Before gstcheck: CropWriter has a member named like check's fail() macro.
#include "facerec/crop_writer.h"
#include "facerec/embedding_cache.h"
#include "facerec/models.h"
#include "common.h"
#include "isolate.h"

namespace fs = std::filesystem;
using testutil::contains;
using testutil::Isolated;
using testutil::run_isolated;
using testutil::TempDir;

namespace {

void report(const char* what, const Isolated& r) {
  g_print("  %-36s %s: %s\n", what, r.kind_name(), r.text.c_str());
}

// A cache with one entry for `source`, saved at `path`.
void make_cache(const std::string& path, const std::string& source) {
  facerec::EmbeddingCache c(path, "ctx");
  facerec::CacheEntry e;
  e.faces_found = 1;
  e.face_size = 80.f;
  e.used = true;
  e.embedding = facerec::Embedding(128, 0.25f);
  c.store(source, -1, e);
  c.save();
}

std::string cache_load(const std::string& path) {
  facerec::EmbeddingCache c(path, "ctx");
  std::string warning;
  const bool ok = c.load(&warning);
  return (ok ? "loaded: " : "refused: ") + warning;
}

}  // namespace

GST_START_TEST(test_cache_not_a_file) {
  TempDir tmp;
  const std::string fifo = tmp / "fifo.cache", folder = tmp / "folder.cache", huge = tmp / "huge.cache";
  fail_unless(mkfifo(fifo.c_str(), 0600) == 0);
  fs::create_directories(folder);
  {
    const int fd = ::open(huge.c_str(), O_WRONLY | O_CREAT, 0600);
    fail_unless(fd >= 0 && ftruncate(fd, off_t(5) << 30) == 0);
    ::close(fd);
  }
  struct Case {
    const char* name;
    std::string path, needle;
  };
  const Case cases[] = {
      {"FIFO", fifo, "not a regular file"},
      {"character device (/dev/zero)", "/dev/zero", "not a regular file"},
      {"5 GiB file", huge, "too large"},
      {"folder", folder, "not a regular file"},
  };
  int bad = 0;
  for (const auto& c : cases) {
    const Isolated r = run_isolated([&] { return cache_load(c.path); }, 20, 1024);
    report(c.name, r);
    const bool ok = r.kind == Isolated::kReturned && contains(r.text, "refused: ") && contains(r.text, c.path) &&
                    contains(r.text, c.needle);
    bad += ok ? 0 : 1;
  }
  fail_unless_equals_int(bad, 0);
  // save() over what is not a regular file: refused, the target untouched.
  for (const std::string& target : {fifo, folder}) {
    const Isolated r = run_isolated([&] {
      make_cache(target, testutil::testdata("images/messi5.jpg"));
      return std::string("saved");
    });
    report(("save over " + fs::path(target).filename().string()).c_str(), r);
    fail_unless(r.kind == Isolated::kThrew && contains(r.text, target) && contains(r.text, "refusing to replace"),
                "%s", r.text.c_str());
  }
  struct stat st {};
  fail_unless(::lstat(fifo.c_str(), &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO was replaced");
  fail_unless(fs::is_directory(folder) && fs::is_empty(folder));
  testutil::tried("embedding cache that is a FIFO, a device, a folder, 5 GiB; saved over a FIFO or a folder",
                  std::size(cases) + 2, "refused naming the file (no hang, no 5 GiB read); nothing replaced");
}
GST_END_TEST;

GST_START_TEST(test_cache_round_trip) {
  TempDir tmp;
  const std::string path = tmp / "c.cache", src = testutil::testdata("images/messi5.jpg");
  make_cache(path, src);
  facerec::EmbeddingCache c(path, "ctx");
  std::string warning;
  fail_unless(c.load(&warning), "%s", warning.c_str());
  fail_unless_equals_int(int(c.size()), 1);
  const facerec::CacheEntry* e = c.lookup(src, -1);
  fail_unless(e != nullptr && e->used && e->embedding.size() == 128 && e->embedding[5] == 0.25f);
  // No stray temporary next to it.
  int files = 0;
  for (const auto& f : fs::directory_iterator(tmp.path)) files += f.is_regular_file() ? 1 : 0;
  fail_unless_equals_int(files, 1);
}
GST_END_TEST;

GST_START_TEST(test_manifest_limits) {
  const std::string chips = R"({"schema": 1, "chip_templates": {"c": {"size": )";
  const std::string rest = R"(, "points": [[2,3],[8,3],[5,5],[3,8],[7,8]]}}, "models": []})";
  auto embedder = [](const std::string& dim) {
    return R"({"schema": 1, "chip_templates": {"c": {"size": [10, 10], "points": [[2,3],[8,3],[5,5],[3,8],[7,8]]}},
      "models": [{"id": "e", "role": "embedder", "format": "onnx", "files": [{"name": "e.onnx"}],
      "input": {"size": [10, 10], "channel_order": "BGR", "mean": [1, 2, 3], "scale": 0.5},
      "embedding": {"dim": )" + dim + R"(, "chip": "c"}}]})";
  };
  struct Case {
    const char* name;
    std::string json, needle;
  };
  const Case cases[] = {
      {"100,000 nested '['", std::string(100000, '['), "nested more than"},
      {"100,000 nested '{\"a\":'", [] {
         std::string s;
         for (int i = 0; i < 100000; ++i) s += "{\"a\":";
         return s;
       }(), "nested more than"},
      {"2 MB of spaces", "{" + std::string(2 << 20, ' ') + "}", "at most"},
      {"infinite chip size", chips + "[1e999, 10]" + rest, "size"},
      {"huge chip size", chips + "[3e9, 10]" + rest, "size"},
      {"NaN-like chip size", chips + "[-1e999, 10]" + rest, "size"},
      {"infinite dim", embedder("1e999"), "dim"},
      {"huge dim", embedder("1e12"), "dim"},
      {"fractional dim", embedder("4.5"), "dim"},
  };
  int bad = 0;
  for (const auto& c : cases) {
    const Isolated r = run_isolated([&] {
      facerec::Manifest::parse(c.json, "x.json");
      return std::string("accepted");
    });
    report(c.name, r);
    bad += r.kind == Isolated::kThrew && contains(r.text, "x.json") && contains(r.text, c.needle) ? 0 : 1;
  }
  fail_unless_equals_int(bad, 0);
  // The built-in manifest still parses.
  fail_unless(!facerec::builtin_manifest().models().empty());
  testutil::tried("manifest: 100,000-deep nesting, 2 MB, infinite/huge/fractional sizes and dims", std::size(cases),
                  "an error naming the file and the limit; never a crash");
}
GST_END_TEST;

GST_START_TEST(test_crops_dir_is_file) {
  TempDir tmp;
  const std::string file = tmp / "crops";
  std::ofstream(file) << "a file";
  std::vector<std::string> failures, saved;
  {
    facerec::CropWriter w([&](const std::string& p) { saved.push_back(p); },
                          [&](const std::string& p, const std::string& why) { failures.push_back(p + ": " + why); });
    const cv::Mat img(40, 40, CV_8UC3, cv::Scalar(0, 128, 255));
    for (int i = 0; i < 3; ++i) w.write(file, "unknown-" + std::to_string(i) + ".jpg", img, 10);
    w.write(file + "/sub", "unknown-9.jpg", img, 10);
  }
  for (const auto& f : failures) g_print("  %s\n", f.c_str());
  fail_unless(saved.empty());
  fail_unless_equals_int(int(failures.size()), 1);  // reported once
  fail_unless(contains(failures[0], "\"" + file + "\" is not a folder"), "%s", failures[0].c_str());
  fail_if(contains(failures[0], ".tmp"), "%s", failures[0].c_str());
  std::ifstream in(file);
  std::string content;
  std::getline(in, content);
  fail_unless_equals_string(content.c_str(), "a file");
  testutil::tried("crops folder that is a file", 4, "one warning naming it; the file untouched");
}
GST_END_TEST;

GST_START_TEST(test_tool_inputs) {
  TempDir tmp;
  const std::string annotate = testutil::build_root() + "/tools/facerec-annotate";
  const std::string train = testutil::build_root() + "/tools/facerec-train";
  fs::create_directories(tmp / "folder.mp4");
  fail_unless(mkfifo((tmp / "fifo.mp4").c_str(), 0600) == 0);
  for (const char* name : {"folder.mp4", "fifo.mp4"}) {
    const auto [rc, out] = testutil::run_command("timeout 60 " + annotate + " " + testutil::quote(tmp / name) +
                                                 " -o " + testutil::quote(tmp / "out.mp4"));
    g_print("  facerec-annotate %s: exit %d: %s", name, rc, out.c_str());
    fail_unless(rc == 1 && contains(out, "not a regular file"), "exit %d: %s", rc, out.c_str());
  }
  // A dataset of two people with bad files among the good images.
  const auto people = testutil::pick_identities(2);
  for (const auto& p : people) {
    fs::create_directories(tmp / ("ds/" + p));
    const auto imgs = testutil::sorted_images(testutil::testdata("faces/" + p));
    for (int i = 0; i < 3; ++i) fs::copy_file(imgs[size_t(i)], tmp / ("ds/" + p + "/" + fs::path(imgs[size_t(i)]).filename().string()));
  }
  const std::string d = tmp / ("ds/" + people[0]);
  fail_unless(mkfifo((d + "/fifo.jpg").c_str(), 0600) == 0);
  fs::create_directories(d + "/folder.jpg");
  std::ofstream(d + "/empty.jpg");
  std::ofstream(d + "/eoi.jpg", std::ios::binary) << std::string("\xFF\xD8\xFF\xD9");
  std::string junk(5000, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = char((i * 2654435761u) >> 13);
  std::ofstream(d + "/random.png", std::ios::binary) << junk;
  std::ofstream(d + "/empty.mp4");
  std::ofstream(d + "/random.mkv", std::ios::binary) << junk;
  const auto [arc, aout] = testutil::run_command(
      // Without the project's plugin: an ASan build's plugin cannot load into gst-launch.
      "env -u GST_PLUGIN_PATH_1_0 GST_REGISTRY_1_0=" + testutil::quote(tmp / "gst-launch.registry") +
      " gst-launch-1.0 -q audiotestsrc num-buffers=20 ! audioconvert ! avenc_aac ! mp4mux ! filesink location=" +
      testutil::quote(d + "/audio.mp4"));
  fail_unless(arc == 0, "cannot make an audio-only file: %s", aout.c_str());
  const auto [rc, out] = testutil::run_command("timeout 300 " + train + " " + testutil::quote(tmp / "ds") + " -o " +
                                               testutil::quote(tmp / "m.model"));
  g_print("%s", out.c_str());
  fail_unless_equals_int(rc, 0);
  for (const char* skipped : {"empty.jpg", "eoi.jpg", "random.png", "empty.mp4", "random.mkv", "audio.mp4"})
    fail_unless(contains(out, d + "/" + skipped), "%s not reported", skipped);
  fail_unless(fs::is_regular_file(tmp / "m.model") && fs::is_regular_file(tmp / "m.model.svm"));
  testutil::tried("tool inputs: a folder or FIFO as the video; empty, EOI-only, random, audio-only files in a "
                  "dataset",
                  8, "annotate: exit 1 'not a regular file'; train: each bad file listed, the model still made");
}
GST_END_TEST;

static Suite* bad_files_suite(void) {
  Suite* s = suite_create("bad_files");
  TCase* tc = tcase_create("bad_files");
  tcase_set_timeout(tc, 600);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_cache_not_a_file);
  tcase_add_test(tc, test_cache_round_trip);
  tcase_add_test(tc, test_manifest_limits);
  tcase_add_test(tc, test_crops_dir_is_file);
  tcase_add_test(tc, test_tool_inputs);
  return s;
}

GST_CHECK_MAIN(bad_files);
