// The worker units: TaskThread, ModelWatcher (stat, settle, load on a worker,
// report a broken file once) and CropWriter (bounded queue, folder cap, atomic
// JPEG files). Real files in a temporary folder; the "model" is a small text
// format with its own loader, so no model, no classifier, no pipeline.
// Nothing here asserts on time: waits are for events, and a wait that does not
// end fails by the test case timeout.
#include <algorithm>
#include <atomic>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

#include <opencv2/imgcodecs.hpp>

// before common.h: gstcheck's fail() macro breaks <ios>
#include "facerec/crop_writer.h"
#include "facerec/model_watcher.h"
#include "facerec/task_thread.h"
#include "facerec/types.h"

#include "common.h"

namespace fs = std::filesystem;
using testutil::TempDir;

// Strings compared by value (the check macro for strings keeps pointers into temporaries).
#define EXPECT_STR(got, want)                                                             \
  do {                                                                                    \
    const std::string g_ = (got), w_ = (want);                                            \
    fail_unless(g_ == w_, "%s is \"%s\", not \"%s\"", #got, g_.c_str(), w_.c_str()); \
  } while (0)

namespace {

// ---- the test "model": MODEL holds "model <v> <padding>", MODEL.svm "svm <v>\n...END\n" ----

struct TextModel {
  int version = 0;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw facerec::Error(path, "cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Throws facerec::Error naming the file for a missing, partial or mismatched pair.
std::shared_ptr<const TextModel> load_text_model(const std::string& path) {
  std::istringstream m(read_all(path));
  std::string word;
  int v = -1;
  if (!(m >> word >> v) || word != "model") throw facerec::Error(path, "not a model file");
  const std::string svm = read_all(path + ".svm");
  std::istringstream s(svm);
  int sv = -2;
  if (!(s >> word >> sv) || word != "svm" || sv != v)
    throw facerec::Error(path + ".svm", "does not match the model file");
  if (svm.size() < 4 || svm.compare(svm.size() - 4, 4, "END\n") != 0)
    throw facerec::Error(path + ".svm", "truncated");
  auto tm = std::make_shared<TextModel>();
  tm->version = v;
  return tm;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  fail_unless(out.good(), "cannot write %s", path.c_str());
}

// Writes version v (a different size for every version, so the signature
// changes even within one file-system timestamp tick) next to `path`, then
// renames it in, .svm first (as facerec-train does).
void write_model(const std::string& path, int v, bool complete = true) {
  const std::string pad(static_cast<size_t>(v), '.');
  write_file(path + ".svm.new", "svm " + std::to_string(v) + "\n" + pad + (complete ? "END\n" : ""));
  write_file(path + ".new", "model " + std::to_string(v) + " " + pad + "\n");
  fs::rename(path + ".svm.new", path + ".svm");
  fs::rename(path + ".new", path);
}

// Records the watcher's callbacks.
struct Calls {
  std::mutex lock;
  int loads = 0;
  std::vector<std::string> reloaded;  // "path source version"
  std::vector<std::string> failed;    // "path source: what"
  facerec::ModelWatcher<TextModel>::Loader loader() {
    return [this](const std::string& p) {
      {
        std::lock_guard<std::mutex> lk(lock);
        ++loads;
      }
      return load_text_model(p);
    };
  }
  facerec::ModelWatcher<TextModel>::Reloaded on_reloaded() {
    return [this](const std::string& p, const std::shared_ptr<const TextModel>& m, facerec::ModelSource s) {
      std::lock_guard<std::mutex> lk(lock);
      reloaded.push_back(p + " " + facerec::source_name(s) + " " + std::to_string(m->version));
    };
  }
  facerec::ModelWatcherCore::Failed on_failed() {
    return [this](const std::string& p, const std::exception& e, facerec::ModelSource s) {
      std::lock_guard<std::mutex> lk(lock);
      failed.push_back(p + " " + facerec::source_name(s) + ": " + e.what());
    };
  }
  int n_loads() {
    std::lock_guard<std::mutex> lk(lock);
    return loads;
  }
};

using Watcher = facerec::ModelWatcher<TextModel>;

// The current model's version; -1 without one.
int version(const Watcher& w) {
  const auto m = w.current();
  return m ? m->version : -1;
}

// A watcher on a fake clock (milliseconds set by the test); short settle.
struct WatchFixture {
  TempDir tmp;
  std::string path = tmp / "people.model";
  Calls calls;
  std::atomic<std::int64_t> now_ms{0};
  facerec::WatchOptions options() {
    facerec::WatchOptions o;
    o.settle = std::chrono::milliseconds(20);
    o.clock = [this] { return now_ms.load() * 1000000; };
    return o;
  }
  std::unique_ptr<Watcher> make(facerec::WatchOptions o) {
    return std::make_unique<Watcher>(calls.loader(), calls.on_reloaded(), calls.on_failed(), std::move(o));
  }
  std::unique_ptr<Watcher> make() { return make(options()); }
  // poll() at `ms` on the fake clock
  bool poll_at(Watcher& w, std::int64_t ms) {
    now_ms = ms;
    return w.poll();
  }
};

}  // namespace

// Queued tasks run in order; the bound drops; stop() interrupts a sleep and
// still runs what was queued.
GST_START_TEST(test_task_thread) {
  std::vector<int> ran;
  std::mutex lock;
  std::promise<void> started, release;
  std::shared_future<void> released = release.get_future().share();
  {
    facerec::TaskThread t;
    auto record = [&](int i) { return [&, i] { std::lock_guard<std::mutex> lk(lock); ran.push_back(i); }; };
    fail_unless(t.post([&] { started.set_value(); released.wait(); }));
    started.get_future().wait();  // task 0 is running: the queue is empty
    for (int i = 1; i <= 3; ++i) fail_unless(t.post(record(i), 3), "task %d", i);
    fail_if(t.post(record(99), 3), "a fourth waiting task is dropped");
    release.set_value();
    t.wait_idle();
    {
      std::lock_guard<std::mutex> lk(lock);
      fail_unless(ran == std::vector<int>({1, 2, 3}));
    }
    // A task asleep for an hour: stop() wakes it, then runs the tasks behind it.
    std::promise<void> asleep;
    fail_unless(t.post([&] {
      asleep.set_value();
      const bool full = t.sleep_for(std::chrono::hours(1));
      std::lock_guard<std::mutex> lk(lock);
      ran.push_back(full ? -1 : 4);
    }));
    asleep.get_future().wait();
    fail_unless(t.post(record(5)));
    fail_unless(t.post(record(6)));
  }  // destructor: stop + join
  fail_unless(ran == std::vector<int>({1, 2, 3, 4, 5, 6}), "ran %zu tasks", ran.size());
}
GST_END_TEST;

// A rewritten model: noticed by poll() at most once a second (fake clock),
// loaded once after settling, swapped in.
GST_START_TEST(test_watch_reload) {
  WatchFixture f;
  write_model(f.path, 1);
  auto w = f.make();
  w->reset(f.path);
  fail_unless_equals_int(version(*w), 1);
  EXPECT_STR(w->current_path(), f.path);
  fail_if(f.poll_at(*w, 0), "unchanged files");
  fail_unless_equals_int(w->poll_stats(), 1);
  write_model(f.path, 2);
  fail_if(f.poll_at(*w, 999), "within a second of the last check");
  fail_unless_equals_int(w->poll_stats(), 1);  // no stat either
  fail_unless(f.poll_at(*w, 1000), "a second later the change is seen");
  fail_unless_equals_int(w->poll_stats(), 2);
  w->wait_idle();
  fail_unless_equals_int(version(*w), 2);
  fail_unless_equals_int(int(f.calls.reloaded.size()), 1);
  EXPECT_STR(f.calls.reloaded[0], f.path + " watch 2");
  fail_unless_equals_int(f.calls.n_loads(), 2);
  fail_if(f.poll_at(*w, 2000), "the new files are the current model's");
  fail_unless(f.calls.failed.empty());
}
GST_END_TEST;

// A writer still writing (the .svm growing between the settle checks) is waited
// for: one load, of the complete files.
GST_START_TEST(test_watch_waits_for_writer) {
  WatchFixture f;
  write_model(f.path, 1);
  facerec::WatchOptions o = f.options();
  std::vector<int> rounds;
  o.on_settle_round = [&](int round) {  // worker thread, before each settle wait
    rounds.push_back(round);
    if (round < 4) {
      std::ofstream(f.path + ".svm", std::ios::app) << (round < 3 ? "more data\n" : "END\n");
    }
  };
  auto w = f.make(std::move(o));
  w->reset(f.path);
  write_model(f.path, 2, false);  // the .svm is not finished yet
  fail_unless(f.poll_at(*w, 0));
  w->wait_idle();
  fail_unless(rounds == std::vector<int>({0, 1, 2, 3, 4}), "%zu settle rounds", rounds.size());
  fail_unless(f.calls.failed.empty(), "loaded a half-written file: %s",
              f.calls.failed.empty() ? "" : f.calls.failed[0].c_str());
  fail_unless_equals_int(f.calls.n_loads(), 2);
  fail_unless_equals_int(version(*w), 2);
}
GST_END_TEST;

// A broken file: reported once (not every second), the old model stays; the
// fixed file then loads.
GST_START_TEST(test_watch_broken_file) {
  WatchFixture f;
  write_model(f.path, 1);
  auto w = f.make();
  w->reset(f.path);
  write_file(f.path + ".svm", "svm 7\nEND\n");  // does not match MODEL's version
  fail_unless(f.poll_at(*w, 0));
  w->wait_idle();
  fail_unless_equals_int(int(f.calls.failed.size()), 1);
  fail_unless(testutil::contains(f.calls.failed[0], f.path + ".svm: does not match"), "%s",
              f.calls.failed[0].c_str());
  fail_unless(testutil::contains(f.calls.failed[0], " watch: "));
  fail_unless_equals_int(version(*w), 1);
  for (int s = 1; s <= 3; ++s) {
    fail_if(f.poll_at(*w, s * 1000), "the broken files are not retried");
    fail_unless_equals_int(w->poll_stats(), 1 + s);  // but still checked
  }
  w->wait_idle();
  fail_unless_equals_int(int(f.calls.failed.size()), 1);
  fail_unless_equals_int(f.calls.n_loads(), 2);
  write_model(f.path, 3);
  fail_unless(f.poll_at(*w, 4000));
  w->wait_idle();
  fail_unless_equals_int(version(*w), 3);
  fail_unless_equals_int(int(f.calls.reloaded.size()), 1);
  fail_unless_equals_int(int(f.calls.failed.size()), 1);
}
GST_END_TEST;

// load_now (the `model` property while playing), reset (start) and clear (stop).
GST_START_TEST(test_watch_load_now) {
  WatchFixture f;
  const std::string other = f.tmp / "other.model";
  write_model(f.path, 1);
  write_model(other, 5);
  auto w = f.make();
  // reset: throws the loader's error, naming the file; nothing current
  try {
    w->reset(f.tmp / "missing.model");
    fail("reset of a missing file did not throw");
  } catch (const facerec::Error& e) {
    EXPECT_STR(e.file(), f.tmp / "missing.model");
  }
  fail_unless(w->current() == nullptr);
  fail_if(f.poll_at(*w, 0), "no model, nothing to watch");
  fail_unless_equals_int(w->poll_stats(), 0);
  w->reset(f.path);
  const std::shared_ptr<const TextModel> v1 = w->current();
  fail_unless(w->load_now(f.path) == facerec::LoadResult::Unchanged);
  fail_unless(w->load_now(other) == facerec::LoadResult::Loaded);
  fail_unless_equals_int(version(*w), 5);
  fail_unless_equals_int(v1->version, 1);  // holders keep the old object
  fail_unless(w->load_now(f.tmp / "missing.model") == facerec::LoadResult::Failed);
  fail_unless_equals_int(version(*w), 5);
  fail_unless(w->load_now("") == facerec::LoadResult::Cleared);
  fail_unless(w->current() == nullptr);
  fail_unless(w->load_now(f.path) == facerec::LoadResult::Loaded);
  w->clear();
  fail_unless(w->current() == nullptr);
  fail_unless_equals_int(int(f.calls.reloaded.size()), 2);
  EXPECT_STR(f.calls.reloaded[0], other + " property 5");
  fail_unless_equals_int(int(f.calls.failed.size()), 1);
  fail_unless(testutil::contains(f.calls.failed[0], "missing.model property: "), "%s",
              f.calls.failed[0].c_str());
}
GST_END_TEST;

// Shutdown while the worker waits for the files to settle returns at once: the
// settle wait is an hour, so a destructor that waited for it would hit the
// test case timeout. The half-settled files are not loaded.
GST_START_TEST(test_watch_shutdown_during_settle) {
  WatchFixture f;
  write_model(f.path, 1);
  facerec::WatchOptions o = f.options();
  o.settle = std::chrono::hours(1);
  std::promise<void> settling;
  o.on_settle_round = [&](int round) {
    if (round == 0) settling.set_value();
  };
  auto w = f.make(std::move(o));
  w->reset(f.path);
  write_model(f.path, 2);
  fail_unless(f.poll_at(*w, 0));
  settling.get_future().wait();
  fail_unless(w->busy());
  w.reset();
  fail_unless_equals_int(f.calls.n_loads(), 1);
  fail_unless(f.calls.reloaded.empty());
}
GST_END_TEST;

// ---- CropWriter ----

cv::Mat test_crop(int w, int h) {
  cv::Mat m(h, w, CV_8UC3);
  cv::randu(m, 0, 255);
  return m;
}

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& e : fs::directory_iterator(dir)) v.push_back(e.path().filename().string());
  std::sort(v.begin(), v.end());
  return v;
}

struct CropCalls {
  std::mutex lock;
  std::vector<std::string> saved, failed;
  facerec::CropWriter::Saved on_saved(std::function<void()> extra = {}) {
    return [this, extra](const std::string& p) {
      {
        std::lock_guard<std::mutex> lk(lock);
        saved.push_back(p);
      }
      if (extra) extra();
    };
  }
  facerec::CropWriter::Failed on_failed() {
    return [this](const std::string& p, const std::string& why) {
      std::lock_guard<std::mutex> lk(lock);
      failed.push_back(p + ": " + why);
    };
  }
};

// The geometry and the name of a crop.
GST_START_TEST(test_crop_helpers) {
  const cv::Size frame(640, 480);
  fail_unless(facerec::unknown_crop_rect({100, 100, 40, 60}, frame) == cv::Rect(70, 70, 100, 120));
  fail_unless(facerec::unknown_crop_rect({0, 0, 40, 40}, frame) == cv::Rect(0, 0, 60, 60));
  fail_unless(facerec::unknown_crop_rect({620, 460, 40, 40}, frame) == cv::Rect(600, 440, 40, 40));
  fail_unless(facerec::unknown_crop_rect({700, 10, 10, 10}, frame).empty(), "outside the frame");
  fail_unless(facerec::unknown_crop_rect({639, 0, 1, 1}, frame).empty(), "1 pixel wide");
  const auto wall = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)) +
                    std::chrono::microseconds(123456);
  EXPECT_STR(facerec::unknown_crop_name(wall, 65432100000ULL),
             "unknown-20231114T221320.123456Z-st65.432.jpg");
  EXPECT_STR(facerec::unknown_crop_name(wall + std::chrono::microseconds(1), 999999999),
             "unknown-20231114T221320.123457Z-st0.999.jpg");
  fail_unless(facerec::is_unknown_crop_name("unknown-x.jpg"));
  fail_if(facerec::is_unknown_crop_name("unknown-x.png"));
  fail_if(facerec::is_unknown_crop_name("other.jpg"));
  fail_if(facerec::is_unknown_crop_name(".unknown-x.jpg.tmp-abc123"));
}
GST_END_TEST;

// The folder cap counts the unknown-*.jpg files already there (once); the
// files are complete JPEGs and no temporary file is left.
GST_START_TEST(test_crop_cap) {
  TempDir tmp;
  const std::string dir = tmp / "crops/sub";
  fs::create_directories(dir);
  for (const char* n : {"unknown-a.jpg", "unknown-b.jpg", "other.jpg", "unknown-c.png"})
    write_file(dir + "/" + n, "x");
  const mode_t umask_now = ::umask(0);  // read it (no writer thread yet)
  ::umask(umask_now);
  CropCalls calls;
  {
    facerec::CropWriter w(calls.on_saved(), calls.on_failed());
    for (int i = 0; i < 5; ++i)
      fail_unless(w.write(dir, "unknown-" + std::to_string(i) + ".jpg", test_crop(40 + i, 30), 5));
    w.wait_idle();
    fail_unless_equals_int(int(w.capped()), 2);
    fail_unless_equals_int(int(w.dropped()), 0);
    // a new folder has its own count; 0: no limit
    for (int i = 0; i < 6; ++i)
      fail_unless(w.write(tmp / "new", "unknown-" + std::to_string(i) + ".jpg", test_crop(8, 8), 0));
  }  // the destructor writes what is still queued
  fail_unless(calls.failed.empty());
  fail_unless_equals_int(int(calls.saved.size()), 9);
  fail_unless(names_in(dir) == std::vector<std::string>({"other.jpg", "unknown-0.jpg", "unknown-1.jpg",
                                                          "unknown-2.jpg", "unknown-a.jpg",
                                                          "unknown-b.jpg", "unknown-c.png"}));
  fail_unless_equals_int(int(names_in(tmp / "new").size()), 6);
  for (int i = 0; i < 3; ++i) {
    const cv::Mat img = cv::imread(dir + "/unknown-" + std::to_string(i) + ".jpg");
    fail_unless(img.cols == 40 + i && img.rows == 30, "crop %d is %dx%d", i, img.cols, img.rows);
  }
  // readable like any file the user makes (g_file_set_contents' 0666 less the umask)
  const auto perms = fs::status(dir + "/unknown-0.jpg").permissions();
  fail_unless_equals_int(int(perms) & 0777, 0666 & ~int(umask_now));
}
GST_END_TEST;

// Readers never see half a JPEG: a thread reads every unknown-*.jpg as soon as
// it is listed while large crops are being written; each must be byte for byte
// the encoder's output. (A writer that writes in place fails this most runs; a
// correct one never does.)
GST_START_TEST(test_crop_atomic) {
  TempDir tmp;
  const std::string dir = tmp / "crops";
  fs::create_directories(dir);
  constexpr int kCrops = 8;
  std::vector<std::vector<uchar>> expected(kCrops);
  std::vector<cv::Mat> crops;
  for (int i = 0; i < kCrops; ++i) {
    crops.push_back(test_crop(900, 900));  // noise: ~1.5 MB of JPEG each
    cv::imencode(".jpg", crops.back(), expected[i], {cv::IMWRITE_JPEG_QUALITY, 92});
  }
  std::atomic<bool> done{false};
  std::vector<std::string> bad;
  std::vector<bool> checked(kCrops, false);
  std::thread reader([&] {
    for (;;) {
      const bool last_pass = done;
      for (const auto& e : fs::directory_iterator(dir)) {
        const std::string n = e.path().filename().string();
        if (!facerec::is_unknown_crop_name(n)) continue;
        const int i = std::stoi(n.substr(8));  // unknown-<i>.jpg
        if (checked[i]) continue;
        const std::string bytes = read_all(e.path().string());
        checked[i] = true;
        if (bytes.size() != expected[i].size() ||
            !std::equal(bytes.begin(), bytes.end(), expected[i].begin(),
                        [](char a, uchar b) { return static_cast<uchar>(a) == b; }))
          bad.push_back(n + " (" + std::to_string(bytes.size()) + " of " +
                        std::to_string(expected[i].size()) + " bytes)");
      }
      if (last_pass) break;
    }
  });
  {
    facerec::CropWriter w;
    for (int i = 0; i < kCrops; ++i)
      fail_unless(w.write(dir, "unknown-" + std::to_string(i) + ".jpg", crops[i], 0));
    w.wait_idle();
  }
  done = true;
  reader.join();
  fail_unless(bad.empty(), "a reader saw a partial file: %s", bad.empty() ? "" : bad[0].c_str());
  fail_unless(std::all_of(checked.begin(), checked.end(), [](bool b) { return b; }));
  fail_unless_equals_int(int(names_in(dir).size()), kCrops);  // no temporary file left
}
GST_END_TEST;

// More than 8 crops waiting: the rest are dropped and counted.
GST_START_TEST(test_crop_queue_bound) {
  TempDir tmp;
  CropCalls calls;
  std::promise<void> first_saved, release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> n{0};
  facerec::CropWriter w(calls.on_saved([&] {
                          if (n++ == 0) {  // hold the worker inside the first crop
                            first_saved.set_value();
                            released.wait();
                          }
                        }),
                        calls.on_failed());
  fail_unless(w.write(tmp.path.string(), "unknown-first.jpg", test_crop(8, 8), 0));
  first_saved.get_future().wait();
  for (int i = 0; i < 8; ++i)
    fail_unless(w.write(tmp.path.string(), "unknown-" + std::to_string(i) + ".jpg", test_crop(8, 8), 0),
                "%d", i);
  fail_if(w.write(tmp.path.string(), "unknown-8.jpg", test_crop(8, 8), 0), "the ninth waiting crop");
  fail_if(w.write(tmp.path.string(), "unknown-9.jpg", test_crop(8, 8), 0));
  fail_unless_equals_int(int(w.dropped()), 2);
  release.set_value();
  w.wait_idle();
  fail_unless_equals_int(int(calls.saved.size()), 9);
  fail_unless_equals_int(int(names_in(tmp.path.string()).size()), 9);
}
GST_END_TEST;

// A folder that cannot be created: one failure callback naming the file, every
// failure counted, nothing saved.
GST_START_TEST(test_crop_unwritable) {
  TempDir tmp;
  write_file(tmp / "afile", "x");
  const std::string dir = tmp / "afile/crops";  // under a regular file: fails even as root
  CropCalls calls;
  facerec::CropWriter w(calls.on_saved(), calls.on_failed());
  for (int i = 0; i < 3; ++i) w.write(dir, "unknown-" + std::to_string(i) + ".jpg", test_crop(8, 8), 0);
  w.write(tmp / "ok", "unknown-empty.jpg", cv::Mat(), 0);  // nothing to encode
  w.wait_idle();
  fail_unless_equals_int(int(w.failures()), 4);
  fail_unless_equals_int(int(calls.failed.size()), 1);
  fail_unless(testutil::contains(calls.failed[0], dir + "/unknown-0.jpg: "), "%s", calls.failed[0].c_str());
  fail_unless(testutil::contains(calls.failed[0], "Not a directory"), "%s", calls.failed[0].c_str());
  fail_unless(calls.saved.empty());
  fail_unless(names_in(tmp / "ok").empty());
}
GST_END_TEST;

static Suite* workers_suite(void) {
  Suite* s = suite_create("workers");
  TCase* tc = tcase_create("general");
  // Nothing here should take more than a second or two; a shutdown that waits
  // for the hour-long settle fails by this timeout.
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_task_thread);
  tcase_add_test(tc, test_watch_reload);
  tcase_add_test(tc, test_watch_waits_for_writer);
  tcase_add_test(tc, test_watch_broken_file);
  tcase_add_test(tc, test_watch_load_now);
  tcase_add_test(tc, test_watch_shutdown_during_settle);
  tcase_add_test(tc, test_crop_helpers);
  tcase_add_test(tc, test_crop_cap);
  tcase_add_test(tc, test_crop_atomic);
  tcase_add_test(tc, test_crop_queue_bound);
  tcase_add_test(tc, test_crop_unwritable);
  return s;
}

GST_CHECK_MAIN(workers);
