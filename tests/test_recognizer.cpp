// Recognizer unit tests: which tracked faces get embedded when, and the names
// tracks carry (synthetic faces and matches; no models, no pipeline).
#include <vector>

#include "facerec/recognizer.h"

#include <gst/check/gstcheck.h>  // after the C++ headers: it defines fail()

namespace {

facerec::Face face(float x, float y, float w, float nose_dx = 0.f, float conf = 0.9f) {
  facerec::Face f;
  f.box = cv::Rect2f(x, y, w, w);
  f.confidence = conf;
  const float fx[5] = {0.3f, 0.7f, 0.5f, 0.35f, 0.65f}, fy[5] = {0.35f, 0.35f, 0.55f, 0.75f, 0.75f};
  for (int i = 0; i < 5; ++i) f.landmarks[i] = cv::Point2f(x + fx[i] * w, y + fy[i] * w);
  f.landmarks[2].x += nose_dx * w;
  f.has_landmarks = true;
  return f;
}

facerec::TrackedFace tracked(uint64_t id, const facerec::Face& f, bool detected = true) {
  facerec::TrackedFace t;
  t.track_id = id;
  t.face = f;
  t.detected = detected;
  return t;
}

facerec::Match known(int id, float score = 0.5f, float distance = 0.4f) {
  facerec::Match m;
  m.known = true;
  m.label_id = id;
  m.label = "P" + std::to_string(id);
  m.score = score;
  m.distance = distance;
  m.candidate_id = id;
  return m;
}

facerec::Match unknown(float distance = 0.7f) {
  facerec::Match m;
  m.distance = distance;
  m.score = 0.1f;
  m.candidate_id = 0;
  return m;
}

// Runs one frame: plans, records `result` for every planned face, returns the plan.
std::vector<size_t> step(facerec::Recognizer& r, const std::vector<facerec::TrackedFace>& faces,
                         const facerec::Match& result) {
  auto planned = r.plan(faces);
  for (size_t i : planned) r.record(faces[i], facerec::Embedding(4, float(i)), result);
  return planned;
}

}  // namespace

GST_START_TEST(test_frontalness) {
  fail_unless(std::abs(facerec::frontalness(face(0, 0, 100)) - 1.f) < 1e-5f);
  // nose 10 % of the box (a quarter of the eye distance of 40 %) off the midline: 0.5
  fail_unless(std::abs(facerec::frontalness(face(0, 0, 100, 0.1f)) - 0.5f) < 1e-4f);
  fail_unless(facerec::frontalness(face(0, 0, 100, 0.3f)) == 0.f);  // beyond: profile
  facerec::Face none = face(0, 0, 100);
  none.has_landmarks = false;
  fail_unless(facerec::frontalness(none) == 0.f);
}
GST_END_TEST;

// A new track is embedded at once, then every reclassify_interval frames; frames in
// between carry the name with fresh=false.
GST_START_TEST(test_embeds_new_tracks_then_every_interval) {
  facerec::RecognizerConfig cfg;
  cfg.reclassify_interval = 4;
  facerec::Recognizer r(cfg);
  std::vector<int64_t> embedded;
  for (int f = 0; f < 13; ++f) {
    auto planned = step(r, {tracked(7, face(10, 10, 60))}, known(2));
    if (!planned.empty()) embedded.push_back(f);
    const facerec::TrackName* n = r.name(7);
    fail_unless(n != nullptr);
    fail_unless(n->match.known && n->match.label == "P2");
    fail_unless_equals_int(n->fresh, !planned.empty());
  }
  fail_unless(embedded == std::vector<int64_t>({0, 4, 8, 12}), "embedded on %zu frames", embedded.size());
  fail_unless_equals_int(r.name(7)->embeddings, 4);
  fail_unless(r.name(99) == nullptr);
}
GST_END_TEST;

// A due track waits for a detected frame; a track never embedded does not wait.
GST_START_TEST(test_waits_for_a_detected_frame) {
  facerec::RecognizerConfig cfg;
  cfg.reclassify_interval = 2;
  facerec::Recognizer r(cfg);
  fail_unless(step(r, {tracked(1, face(0, 0, 50), false)}, known(0)).size() == 1);  // new: at once
  fail_unless(step(r, {tracked(1, face(0, 0, 50), false)}, known(0)).empty());
  fail_unless(step(r, {tracked(1, face(0, 0, 50), false)}, known(0)).empty());  // due, not detected
  fail_unless(step(r, {tracked(1, face(0, 0, 50), false)}, known(0)).empty());
  fail_unless(step(r, {tracked(1, face(0, 0, 50), true)}, known(0)).size() == 1);
}
GST_END_TEST;

// A markedly better face is embedded early: bigger, more frontal, surer.
GST_START_TEST(test_better_faces_are_embedded_early) {
  facerec::RecognizerConfig cfg;
  cfg.reclassify_interval = 100;
  facerec::Recognizer r(cfg);
  step(r, {tracked(1, face(0, 0, 40, 0.1f, 0.7f))}, known(0));
  fail_unless(step(r, {tracked(1, face(0, 0, 48, 0.1f, 0.7f))}, known(0)).empty());   // 1.2x: not yet
  fail_unless(step(r, {tracked(1, face(0, 0, 50, 0.1f, 0.7f))}, known(0)).size() == 1);  // 1.25x
  fail_unless(step(r, {tracked(1, face(0, 0, 50, 0.07f, 0.7f))}, known(0)).empty());  // +0.15 frontal
  fail_unless(step(r, {tracked(1, face(0, 0, 50, 0.0f, 0.7f))}, known(0)).size() == 1);  // +0.5
  fail_unless(step(r, {tracked(1, face(0, 0, 50, 0.0f, 0.8f))}, known(0)).empty());
  fail_unless(step(r, {tracked(1, face(0, 0, 50, 0.0f, 0.86f))}, known(0)).size() == 1);
}
GST_END_TEST;

// The name is a majority over the last vote_window classifications; a tie is unknown.
GST_START_TEST(test_vote) {
  facerec::RecognizerConfig cfg;
  cfg.reclassify_interval = 1;
  cfg.vote_window = 3;
  facerec::Recognizer r(cfg);
  const auto f = tracked(5, face(0, 0, 50));
  step(r, {f}, known(1, 0.6f, 0.40f));
  fail_unless(r.name(5)->match.label == "P1");
  step(r, {f}, known(2, 0.2f, 0.50f));  // 1 vs 1: unknown
  fail_unless(!r.name(5)->match.known && r.name(5)->match.label_id == -1);
  step(r, {f}, known(1, 0.4f, 0.44f));  // P1 x2, P2 x1
  const facerec::Match& m = r.name(5)->match;
  fail_unless(m.known && m.label_id == 1 && m.label == "P1");
  fail_unless(std::abs(m.score - 0.5f) < 1e-5f && std::abs(m.distance - 0.42f) < 1e-5f);
  step(r, {f}, unknown());  // window: P2, P1, unknown: three-way tie
  fail_unless(!r.name(5)->match.known);
  step(r, {f}, unknown());  // P1, unknown, unknown
  fail_unless(!r.name(5)->match.known && std::abs(r.name(5)->match.distance - 0.7f) < 1e-5f);
}
GST_END_TEST;

// After a model change the stored embeddings are classified again.
GST_START_TEST(test_reclassify_after_model_change) {
  facerec::Recognizer r;
  step(r, {tracked(1, face(0, 0, 50)), tracked(2, face(100, 0, 50))}, unknown());
  fail_unless(!r.name(1)->match.known && !r.name(2)->match.known);
  int calls = 0;
  r.reclassify([&](const facerec::Embedding& e) {
    ++calls;
    return e[0] == 0.f ? known(3) : unknown();  // step() stored the face index as the embedding
  });
  fail_unless_equals_int(calls, 2);
  fail_unless(r.name(1)->match.known && r.name(1)->match.label == "P3");
  fail_unless(!r.name(2)->match.known);
}
GST_END_TEST;

// max_per_frame: new tracks first, then the longest-waiting; the rest wait.
GST_START_TEST(test_max_per_frame) {
  facerec::RecognizerConfig cfg;
  cfg.reclassify_interval = 1;
  cfg.max_per_frame = 2;
  facerec::Recognizer r(cfg);
  std::vector<facerec::TrackedFace> three{tracked(1, face(0, 0, 50)), tracked(2, face(60, 0, 50)),
                                          tracked(3, face(120, 0, 50))};
  fail_unless(step(r, three, known(0)) == std::vector<size_t>({0, 1}));
  fail_unless(step(r, three, known(0)) == std::vector<size_t>({0, 2}));  // 3 is new; 1 and 2 waited 1
  fail_unless(step(r, three, known(0)) == std::vector<size_t>({0, 1}));  // 2 waited 2; 1 and 3 one: 1 comes first
}
GST_END_TEST;

// A track unseen for more than forget_after frames is forgotten.
GST_START_TEST(test_forget) {
  facerec::RecognizerConfig cfg;
  cfg.forget_after = 3;
  facerec::Recognizer r(cfg);
  step(r, {tracked(1, face(0, 0, 50))}, known(0));
  for (int i = 0; i < 3; ++i) step(r, {}, known(0));
  fail_unless(r.name(1) != nullptr);
  step(r, {}, known(0));
  fail_unless(r.name(1) == nullptr);
}
GST_END_TEST;

static Suite* recognizer_suite() {
  Suite* s = suite_create("recognizer");
  TCase* tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_frontalness);
  tcase_add_test(tc, test_embeds_new_tracks_then_every_interval);
  tcase_add_test(tc, test_waits_for_a_detected_frame);
  tcase_add_test(tc, test_better_faces_are_embedded_early);
  tcase_add_test(tc, test_vote);
  tcase_add_test(tc, test_reclassify_after_model_change);
  tcase_add_test(tc, test_max_per_frame);
  tcase_add_test(tc, test_forget);
  return s;
}

GST_CHECK_MAIN(recognizer);
