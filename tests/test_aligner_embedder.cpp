// Alignment (similarity transform, templates) and embedders: same-person chips are closer
// than different people on LFW, batching does not change the result, the 512-d
// fr_feature.onnx runs, bad model names are reported.
//
// Models come from $FACEREC_MODEL_PATH (meson: models/data); YuNet (for a landmark
// comparison) from testutil::reference_models(). A missing model fails under CI and is a
// printed skip elsewhere (testutil::require_model).

// Standard and OpenCV headers first: gstcheck.h defines macros that clash with <iostream>.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/filesystem.hpp>
#include <opencv2/imgcodecs.hpp>

#include "common.h"
#include "facerec/aligner.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/models.h"

using facerec::Embedding;
using facerec::Face;
using facerec::Landmarks;

namespace {

constexpr int kIdentities = 10;
constexpr int kPerIdentity = 3;

// The first kPerIdentity images of the first kIdentities identities (sorted) having that many.
std::vector<std::vector<std::string>> lfw_sets() {
  std::vector<cv::String> dirs;
  cv::utils::fs::glob(testutil::testdata("faces"), "*", dirs, false, true);
  std::sort(dirs.begin(), dirs.end());
  std::vector<std::vector<std::string>> out;
  for (const auto& d : dirs) {
    if (static_cast<int>(out.size()) >= kIdentities) break;
    if (!cv::utils::fs::isDirectory(d)) continue;
    std::vector<cv::String> files;
    cv::utils::fs::glob(d, "*.jpg", files);
    std::sort(files.begin(), files.end());
    if (static_cast<int>(files.size()) < kPerIdentity) continue;
    out.emplace_back(files.begin(), files.begin() + kPerIdentity);
  }
  return out;
}

// The face whose box contains the image centre (LFW: the named person), else the largest.
bool centre_face(const std::vector<Face>& faces, const cv::Size& s, Face& out) {
  const cv::Point2f c(s.width / 2.f, s.height / 2.f);
  const Face* best = nullptr;
  for (const auto& f : faces) {
    if (!f.box.contains(c)) continue;
    if (!best || f.box.area() > best->box.area()) best = &f;
  }
  if (!best) return false;
  out = *best;
  return true;
}

float l2(const Embedding& a, const Embedding& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i] - b[i]) * (a[i] - b[i]);
  return static_cast<float>(std::sqrt(s));
}

// What Embedder::embed_faces() must give for one face, the long way: each alignment
// variant's chip embedded on its own, their sum scaled to the variants' mean length.
// `each` (optional) receives the variants' embeddings.
Embedding variant_mean(facerec::Embedder& emb, const cv::Mat& img, const Face& f,
                       std::vector<Embedding>* each = nullptr) {
  std::vector<cv::Mat> chips;
  for (const auto& l : facerec::alignment_variants(f)) {
    Face x = f;
    x.landmarks = l;
    chips.push_back(emb.align(img, x));
  }
  const std::vector<Embedding> e = emb.embed(chips);
  Embedding sum(e[0].size(), 0.f);
  double length = 0;
  for (const auto& v : e) {
    length += l2(v, Embedding(v.size(), 0.f)) / double(e.size());
    for (size_t k = 0; k < v.size(); ++k) sum[k] += v[k];
  }
  const double n = l2(sum, Embedding(sum.size(), 0.f));
  for (float& x : sum) x = static_cast<float>(x * length / n);
  if (each != nullptr) *each = e;
  return sum;
}

struct Stats {
  double same = 0, diff = 0, accuracy = 0;
};

Stats evaluate(const std::vector<Embedding>& e, const std::vector<int>& label) {
  Stats st;
  int ns = 0, nd = 0, correct = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    float best = 1e30f;
    int best_label = -1;
    for (size_t j = 0; j < e.size(); ++j) {
      if (i == j) continue;
      const float d = l2(e[i], e[j]);
      if (j > i) {
        if (label[i] == label[j]) { st.same += d; ++ns; } else { st.diff += d; ++nd; }
      }
      if (d < best) { best = d; best_label = label[j]; }
    }
    if (best_label == label[i]) ++correct;
  }
  st.same /= std::max(ns, 1);
  st.diff /= std::max(nd, 1);
  st.accuracy = e.empty() ? 0.0 : double(correct) / e.size();
  return st;
}

// Detects the centre face of every image with `det`, embeds with `emb` (one batch per image).
Stats run_recognition(facerec::Detector& det, facerec::Embedder& emb, const char* what) {
  std::vector<Embedding> all;
  std::vector<int> labels;
  auto sets = lfw_sets();
  fail_unless(static_cast<int>(sets.size()) == kIdentities, "need %d LFW identities with %d images",
              kIdentities, kPerIdentity);
  for (int id = 0; id < kIdentities; ++id) {
    for (const auto& file : sets[id]) {
      cv::Mat img = cv::imread(file);
      fail_unless(!img.empty(), "cannot read %s", file.c_str());
      Face f;
      fail_unless(centre_face(det.detect(img), img.size(), f), "no centre face in %s", file.c_str());
      auto e = emb.embed_faces(img, {f});
      fail_unless(e.size() == 1 && static_cast<int>(e[0].size()) == emb.spec().dim);
      all.push_back(e[0]);
      labels.push_back(id);
    }
  }
  Stats st = evaluate(all, labels);
  std::printf("%-44s same-person mean L2 %.3f, different-person mean L2 %.3f, "
              "1-NN leave-one-out accuracy %.1f%% (%d faces)\n",
              what, st.same, st.diff, 100 * st.accuracy, static_cast<int>(all.size()));
  return st;
}

}  // namespace

GST_START_TEST(test_similarity_transform) {
  for (const auto& t : {facerec::dlib_150_template(), facerec::openface_96_template(),
                        facerec::arcface_112_template()}) {
    cv::Mat m = facerec::similarity_transform(t.points, t.points);
    fail_unless(m.rows == 2 && m.cols == 3 && m.type() == CV_64F);
    const double ident[6] = {1, 0, 0, 0, 1, 0};
    for (int i = 0; i < 6; ++i)
      fail_unless(std::fabs(m.at<double>(i / 3, i % 3) - ident[i]) < 1e-9,
                  "%s: identity not recovered", t.name.c_str());
    // Landmark order of the template: image-left eye first, eyes above nose above mouth.
    fail_unless(t.points[0].x < t.points[1].x && t.points[3].x < t.points[4].x);
    fail_unless(t.points[0].y < t.points[2].y && t.points[2].y < t.points[3].y);
    // A known rotation + scale + translation.
    const double ang = 23.0 * CV_PI / 180.0, sc = 1.7, tx = 12.5, ty = -7.25;
    Landmarks moved;
    for (int i = 0; i < facerec::kNumLandmarks; ++i) {
      const double x = t.points[i].x, y = t.points[i].y;
      moved[i] = cv::Point2f(static_cast<float>(sc * (std::cos(ang) * x - std::sin(ang) * y) + tx),
                             static_cast<float>(sc * (std::sin(ang) * x + std::cos(ang) * y) + ty));
    }
    cv::Mat r = facerec::similarity_transform(t.points, moved);
    const double want[6] = {sc * std::cos(ang), -sc * std::sin(ang), tx,
                            sc * std::sin(ang), sc * std::cos(ang), ty};
    for (int i = 0; i < 6; ++i)
      fail_unless(std::fabs(r.at<double>(i / 3, i % 3) - want[i]) < 1e-3,
                  "%s: transform element %d is %f, expected %f", t.name.c_str(), i,
                  r.at<double>(i / 3, i % 3), want[i]);
    // And back: aligning the moved points gives the template.
    cv::Mat inv = facerec::similarity_transform(moved, t.points);
    for (int i = 0; i < facerec::kNumLandmarks; ++i) {
      const double x = inv.at<double>(0, 0) * moved[i].x + inv.at<double>(0, 1) * moved[i].y + inv.at<double>(0, 2);
      const double y = inv.at<double>(1, 0) * moved[i].x + inv.at<double>(1, 1) * moved[i].y + inv.at<double>(1, 2);
      fail_unless(std::fabs(x - t.points[i].x) < 1e-3 && std::fabs(y - t.points[i].y) < 1e-3);
    }
  }
  // Box fallback landmarks are inside the box and ordered.
  Landmarks b = facerec::landmarks_from_box(cv::Rect2f(10, 20, 100, 120));
  for (const auto& p : b) fail_unless(p.x > 10 && p.x < 110 && p.y > 20 && p.y < 140);
  fail_unless(b[0].x < b[1].x && b[0].y < b[2].y && b[2].y < b[3].y);
  // align_face output size and type.
  cv::Mat img(200, 200, CV_8UC3, cv::Scalar(10, 20, 30));
  Face f;
  f.box = cv::Rect2f(50, 50, 100, 100);
  cv::Mat chip = facerec::align_face(img, f, facerec::arcface_112_template());
  fail_unless(chip.size() == cv::Size(112, 112) && chip.type() == CV_8UC3);
}
GST_END_TEST;

GST_START_TEST(test_recognition_faceapi_128) {
  auto det = facerec::create_detector({});
  // The dlib embedder by its id; no name gives the default, faceplugin-feature-128.
  fail_unless(facerec::embedder_spec_for(facerec::defaults::kEmbedder).id == "faceplugin-feature-128");
  auto emb = facerec::create_embedder("faceapi-resnet-128");
  fail_unless(emb->spec().id == "faceapi-resnet-128" && emb->spec().dim == 128);
  std::printf("embedder %s (%s)\n", emb->spec().id.c_str(), emb->path().c_str());
  Stats st = run_recognition(*det, *emb, "ultraface+landmarks / faceapi-resnet-128:");
  fail_unless(st.same < 0.6 && st.diff > 0.6, "same %.3f / different %.3f around 0.6", st.same, st.diff);
  fail_unless(st.accuracy >= 0.9, "1-NN accuracy %.3f < 0.9", st.accuracy);
  // The same embedder with YuNet's own 5 landmarks: another detector's boxes and points
  // must align the faces as well (the templates, not one detector, make the chips).
  const std::string yunet = testutil::reference_model("face_detection_yunet_2022mar.onnx");
  if (!testutil::require_model(yunet)) return;
  facerec::DetectorConfig c;
  c.model = yunet;
  auto ydet = facerec::create_detector(c);
  const Stats ys = run_recognition(*ydet, *emb, "yunet landmarks / faceapi-resnet-128:");
  fail_unless(ys.same < 0.6 && ys.diff > 0.6, "yunet: same %.3f / different %.3f around 0.6", ys.same, ys.diff);
  fail_unless(ys.accuracy >= 0.9, "yunet: 1-NN accuracy %.3f < 0.9", ys.accuracy);
}
GST_END_TEST;

GST_START_TEST(test_batch_equals_single) {
  auto det = facerec::create_detector({});
  auto sets = lfw_sets();
  std::vector<std::string> ids = {"faceapi-resnet-128", "faceplugin-feature-512"};
  for (const auto& id : ids) {
    auto spec = facerec::embedder_spec_for(id);
    if (!testutil::require_model(spec.file)) continue;
    auto embedder = facerec::create_embedder(spec);
    facerec::Embedder& emb = *embedder;
    std::vector<cv::Mat> chips;
    for (int i = 0; i < 6; ++i) {
      cv::Mat img = cv::imread(sets[i][0]);
      Face f;
      fail_unless(centre_face(det->detect(img), img.size(), f));
      chips.push_back(emb.align(img, f));
      fail_unless(chips.back().size() == spec.chip.size);
    }
    fail_unless(emb.embed({}).empty(), "0 chips must give 0 embeddings");
    auto batch = emb.embed(chips);
    fail_unless(batch.size() == chips.size());
    float maxdiff = 0.f;
    for (size_t i = 0; i < chips.size(); ++i) {
      auto one = emb.embed({chips[i]});
      fail_unless(one.size() == 1 && one[0].size() == batch[i].size());
      for (size_t k = 0; k < one[0].size(); ++k)
        maxdiff = std::max(maxdiff, std::fabs(one[0][k] - batch[i][k]));
    }
    std::printf("%s: batch of %zu vs one by one, max abs diff %.3g\n", id.c_str(), chips.size(), maxdiff);
    fail_unless(maxdiff < 1e-4f, "%s: batch differs by %g", id.c_str(), maxdiff);
  }
}
GST_END_TEST;

// Faces whose two landmark passes disagree are embedded under both alignments and their
// midpoint, averaged; the others under their own landmarks only.
GST_START_TEST(test_alignment_variants) {
  // Synthetic: a 100 px box; coarse points 3 px (0.03 widths) off, then 6 px (0.06).
  Face f;
  f.box = cv::Rect2f(50.f, 40.f, 100.f, 120.f);
  f.landmarks = facerec::landmarks_from_box(f.box);
  f.has_landmarks = true;
  fail_unless(facerec::landmark_disagreement(f) == 0.f, "no coarse points: no disagreement");
  fail_unless(facerec::alignment_variants(f).size() == 1);
  f.coarse_landmarks = f.landmarks;
  for (auto& p : f.coarse_landmarks) p += cv::Point2f(3.f, 0.f);
  f.has_coarse_landmarks = true;
  fail_unless(std::fabs(facerec::landmark_disagreement(f) - 0.03f) < 1e-5f, "%g", facerec::landmark_disagreement(f));
  fail_unless(facerec::alignment_variants(f).size() == 1, "0.03 is below kAlignmentDoubt");
  for (auto& p : f.coarse_landmarks) p += cv::Point2f(0.f, 6.f);  // now 0.0671 widths
  auto v = facerec::alignment_variants(f);
  fail_unless(v.size() == 3, "%zu variants", v.size());
  for (int i = 0; i < facerec::kNumLandmarks; ++i) {
    fail_unless(v[0][i] == f.landmarks[i] && v[1][i] == f.coarse_landmarks[i]);
    fail_unless(cv::norm(v[2][i] - (f.landmarks[i] + f.coarse_landmarks[i]) * 0.5f) < 1e-5);
  }

  // Real faces: the default detector keeps its first pass; a frontal LFW face's passes
  // agree, the strong profile of Jacques_Chirac_0006 (one of two that cost top-1 on the
  // evaluation splits, README "How accurate it is") is in doubt (measured 0.052).
  if (!testutil::require_data({"faces/Jacques_Chirac/Jacques_Chirac_0006.jpg"})) return;
  auto spec = facerec::embedder_spec_for(facerec::defaults::kEmbedder);
  if (!testutil::require_model(spec.file)) return;
  auto det = facerec::create_detector({});
  auto emb = facerec::create_embedder(spec);
  auto sets = lfw_sets();
  for (int id = 0; id < kIdentities; ++id) {
    cv::Mat img = cv::imread(sets[id][0]);
    Face c;
    fail_unless(centre_face(det->detect(img), img.size(), c));
    fail_unless(c.has_coarse_landmarks, "the refinement pass keeps the first pass's points");
    fail_unless(facerec::landmark_disagreement(c) < facerec::kAlignmentDoubt, "%s: %g", sets[id][0].c_str(),
                facerec::landmark_disagreement(c));
    const auto one = emb->embed_faces(img, {c}), plain = emb->embed({emb->align(img, c)});
    fail_unless(one.size() == 1 && l2(one[0], plain[0]) < 1e-5f, "one variant: the plain embedding");
  }
  const std::string path = testutil::testdata("faces/Jacques_Chirac/Jacques_Chirac_0006.jpg");
  cv::Mat img = cv::imread(path);
  Face c;
  fail_unless(centre_face(det->detect(img), img.size(), c));
  const float d = facerec::landmark_disagreement(c);
  std::printf("Jacques_Chirac_0006: landmark passes %.3f box widths apart\n", d);
  fail_unless(d > facerec::kAlignmentDoubt, "%g", d);
  std::vector<Embedding> each;
  const Embedding mean = variant_mean(*emb, img, c, &each);
  fail_unless(each.size() == 3, "%zu variants", each.size());
  const auto got = emb->embed_faces(img, {c});
  fail_unless(got.size() == 1 && l2(got[0], mean) < 1e-5f, "embed_faces: the mean of 3 variants (%g)",
              l2(got[0], mean));
  fail_unless(l2(got[0], each[0]) > 1e-3f, "the average differs from the refined chip's embedding");

  // One batch of faces with 3, 1 and 3 variants gives what one call per face gives.
  Face single = c;
  single.has_coarse_landmarks = false;
  const auto batch = emb->embed_faces(img, {c, single, c});
  fail_unless(batch.size() == 3);
  fail_unless(l2(batch[0], got[0]) < 1e-5f && l2(batch[2], got[0]) < 1e-5f, "faces 1 and 3: the 3-variant mean");
  fail_unless(l2(batch[1], emb->embed({emb->align(img, single)})[0]) < 1e-5f, "face 2: its one alignment");

  // An embedder whose vectors are not unit vectors (dlib's): the mean direction at the
  // variants' mean length.
  auto raw_spec = facerec::embedder_spec_for("faceapi-resnet-128");
  if (testutil::require_model(raw_spec.file)) {
    auto raw = facerec::create_embedder(raw_spec);
    const Embedding sum = variant_mean(*raw, img, c);
    const double length = l2(sum, Embedding(sum.size(), 0.f));
    const auto rg = raw->embed_faces(img, {c});
    std::printf("dlib: variant lengths mean %.3f, averaged %.3f\n", length, double(l2(rg[0], Embedding(sum.size(), 0.f))));
    fail_unless(l2(rg[0], sum) < 1e-4f, "dlib average off by %g", double(l2(rg[0], sum)));
  }

  // The box pass alone (refine_landmarks = false) keeps no coarse points.
  facerec::DetectorConfig box_only;
  box_only.refine_landmarks = false;
  auto det1 = facerec::create_detector(box_only);
  fail_unless(centre_face(det1->detect(img), img.size(), c));
  fail_unless(!c.has_coarse_landmarks && facerec::alignment_variants(c).size() == 1);
}
GST_END_TEST;

GST_START_TEST(test_feature_512) {
  auto spec = facerec::embedder_spec_for("fr_feature.onnx");
  fail_unless(spec.id == "faceplugin-feature-512" && spec.dim == 512);
  if (!testutil::require_model(spec.file)) return;
  auto det = facerec::create_detector({});
  auto emb = facerec::create_embedder("fr_feature.onnx");
  fail_unless(emb->spec().dim == 512);
  Stats st = run_recognition(*det, *emb, "ultraface+landmarks / faceplugin-feature-512:");
  // Unit vectors: L2 = sqrt(2 - 2 cos).
  fail_unless(st.same < st.diff, "same-person %.3f not below different-person %.3f", st.same, st.diff);
  fail_unless(st.accuracy >= 0.8, "1-NN accuracy %.3f", st.accuracy);
}
GST_END_TEST;

GST_START_TEST(test_embedder_errors) {
  bool thrown = false;
  try {
    facerec::create_embedder("/tmp/some_unknown_net.onnx");
  } catch (const facerec::Error& e) {
    thrown = true;
    std::string m = e.what();
    std::printf("  unknown -> %s\n", e.what());
    fail_unless(m.find("faceapi-resnet-128") != std::string::npos &&
                m.find("faceplugin-feature-512") != std::string::npos &&
                m.find("openface-nn4-small2-v1") != std::string::npos, "%s", e.what());
  }
  fail_unless(thrown);
  thrown = false;
  try {
    facerec::create_embedder("/tmp/definitely_missing_dir/fr_feature.onnx");
  } catch (const facerec::Error& e) {
    thrown = true;
    fail_unless(std::string(e.what()).find("/tmp/definitely_missing_dir/fr_feature.onnx") != std::string::npos);
  }
  fail_unless(thrown);
  const auto& specs = facerec::known_embedders();
  fail_unless(specs.size() >= 3);
  fail_unless(facerec::embedder_spec_for("nn4.small2.v1.t7").format == "torch");
  fail_unless(facerec::embedder_spec_for("faceapi_face_recognition_128d.onnx").id == "faceapi-resnet-128");
}
GST_END_TEST;

static Suite* aligner_embedder_suite() {
  Suite* s = suite_create("aligner_embedder");
  TCase* tc = tcase_create("aligner_embedder");
  tcase_set_timeout(tc, 600);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_similarity_transform);
  tcase_add_test(tc, test_recognition_faceapi_128);
  tcase_add_test(tc, test_batch_equals_single);
  tcase_add_test(tc, test_alignment_variants);
  tcase_add_test(tc, test_feature_512);
  tcase_add_test(tc, test_embedder_errors);
  return s;
}

int main(int argc, char** argv) {
  gst_check_init(&argc, &argv);
  return gst_check_run_suite(aligner_embedder_suite(), "aligner_embedder", __FILE__);
}
