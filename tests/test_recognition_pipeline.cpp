// Acceptance test, per embedder: a model trained with the library (as facerec-train
// does) on 5 images each of 10 LFW identities names 5 other images of each through
// facedetect-dnn ! facerecognize, and rejects the 100 strangers of faces_unknown.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>

#include <opencv2/imgcodecs.hpp>

#include "common.h"
#include "gsttest.h"
#include "train.h"
#include "facemeta.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/enrolment.h"
#include "facerec/models.h"

namespace {

constexpr int kIdentities = 10;
constexpr int kTrainPerId = 5;
constexpr int kTestPerId = 5;
constexpr int kUnknown = 100;

struct Split {
  std::vector<std::string> labels;
  std::vector<std::vector<std::string>> train, test;  // per label
};

// The first 10 identities (sorted) with >= 10 images; images sorted.
Split make_split() {
  Split s;
  for (auto& [person, images] : facerec::list_dataset(testutil::testdata("faces"))) {
    if (images.size() < static_cast<size_t>(kTrainPerId + kTestPerId)) continue;
    std::sort(images.begin(), images.end());
    s.labels.push_back(person);
    s.train.emplace_back(images.begin(), images.begin() + kTrainPerId);
    s.test.emplace_back(images.begin() + kTrainPerId, images.begin() + kTrainPerId + kTestPerId);
    if (static_cast<int>(s.labels.size()) == kIdentities) break;
  }
  fail_unless_equals_int(s.labels.size(), kIdentities);
  return s;
}

struct Training {
  std::vector<facerec::Embedding> samples;
  std::vector<int> ids;
  std::vector<std::string> labels;
  std::string embedder_id;
};

// Enrols the training images exactly as facerec-train does: default detector, the
// embedder (id; empty: the default), the largest face of each image.
Training enrol(const Split& s, const std::string& embedder = "") {
  Training t;
  t.labels = s.labels;
  testutil::Nets nets(embedder.empty() ? std::string(facerec::defaults::kEmbedder) : embedder);
  t.embedder_id = nets.emb->spec().id;
  for (size_t l = 0; l < s.labels.size(); ++l) {
    for (const std::string& path : s.train[l]) {
      const auto e = nets.embed(path);
      if (!e) {
        g_print("  enrolment: no face in %s, skipped\n", path.c_str());
        continue;
      }
      t.samples.push_back(*e);
      t.ids.push_back(static_cast<int>(l));
    }
  }
  return t;
}

std::string temp_dir() {
  gchar* dir = g_dir_make_tmp("facerec-pipeline-XXXXXX", nullptr);
  fail_unless(dir != nullptr);
  std::string d(dir);
  g_free(dir);
  return d;
}

using testutil::bgr_buffer;

struct Outcome {
  bool face = false;
  bool recognised = false;  // has "recognition" params
  std::string label;        // empty when unknown
  double score = 0, distance = 0;
};

// Pushes one image; reads the recognition of its largest face.
Outcome run_image(GstHarness* h, const std::string& path) {
  cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
  fail_if(img.empty(), "cannot read %s", path.c_str());
  gchar* caps = g_strdup_printf("video/x-raw,format=BGR,width=%d,height=%d,framerate=1/1", img.cols,
                                img.rows);
  gst_harness_set_src_caps_str(h, caps);
  g_free(caps);
  fail_unless_equals_int(gst_harness_push(h, bgr_buffer(img)), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  fail_unless(out != nullptr);
  Outcome o;
  GstVideoRegionOfInterestMeta* best = nullptr;
  gpointer it = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(out, &it)) {
    if (!best || roi->w * roi->h > best->w * best->h) best = roi;
  }
  if (best) {
    o.face = true;
    const gchar* label = nullptr;
    gint id = -1;
    o.recognised = gst_facerec_roi_get_recognition(best, &label, &id, &o.score, &o.distance);
    if (label) o.label = label;
    fail_unless(gst_buffer_get_facerec_embedding_meta(out, best->id) != nullptr);
  }
  gst_buffer_unref(out);
  return o;
}

std::vector<std::string> unknown_images() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(testutil::testdata("faces_unknown"))) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".jpg" || ext == ".png" || ext == ".jpeg"))
      files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.size() > static_cast<size_t>(kUnknown)) files.resize(kUnknown);
  return files;
}

// Trained once per embedder for all tests of this binary (id; empty: the default).
const std::string& trained_model(const std::string& embedder = "") {
  static std::map<std::string, std::string> paths;
  std::string& path = paths[embedder];
  if (path.empty()) {
    const Split s = make_split();
    const Training t = enrol(s, embedder);
    g_print("enrolled %zu images of %zu people (embedder %s)\n", t.samples.size(), t.labels.size(),
            t.embedder_id.c_str());
    facerec::Classifier clf =
        facerec::Classifier::train(t.samples, t.ids, t.labels, t.embedder_id);
    path = temp_dir() + "/people.yml";
    clf.save(path);
    g_print("model %s: unknown gate %.3f\n", path.c_str(),
            static_cast<double>(clf.default_threshold()));
  }
  return path;
}

// The embedders compared (README, "How accurate it is"), with targets for this subset (50
// known faces, 100 strangers). Every embedder misses the same two known faces here
// (Anna_Kournikova_0007/0010: rejected as unknown, just beyond the gate), so the known
// target is 96 % (48 of 50) for all; issue 12's 99 % stranger target holds for both
// fr_feature embedders (measured 100 of 100), with no known face named as someone else.
// dlib (faceapi-resnet-128) measured 99 of 100 strangers here (97 % on the whole set).
// `set_property`: whether the element is told the embedder, or left to pick it (no
// property: the embedder the model records).
struct EmbedderCase {
  const char* id;
  bool set_property;
  double known, unknown;  // per cent: known faces named correctly, strangers rejected
  int max_wrong;          // known faces named as someone else
};
const EmbedderCase kEmbedderCases[] = {
    {"faceplugin-feature-128", false, 96.0, 99.0, 0},
    {"faceplugin-feature-512", true, 96.0, 99.0, 0},
    {"faceapi-resnet-128", false, 96.0, 95.0, 0},
};

}  // namespace

GST_START_TEST(test_known_and_unknown) {
  const EmbedderCase& c = kEmbedderCases[__i__];
  if (!testutil::require_model(facerec::embedder_spec_for(c.id).file)) return;
  const std::string model = trained_model(c.id);
  const Split s = make_split();
  const std::string desc = std::string("facedetect-dnn ! facerecognize model=") + model +
                           (c.set_property ? std::string(" embedder=") + c.id : std::string());
  g_print("---- %s: %s\n", c.id, desc.c_str());
  GstHarness* h = gst_harness_new_parse(desc.c_str());
  GstElement* rec = gst_harness_find_element(h, "facerecognize");

  int total = 0, correct = 0, wrong = 0;
  for (size_t l = 0; l < s.labels.size(); ++l) {
    for (const std::string& path : s.test[l]) {
      const Outcome o = run_image(h, path);
      ++total;
      const bool ok = o.face && o.recognised && o.label == s.labels[l];
      correct += ok ? 1 : 0;
      wrong += o.recognised && !o.label.empty() && o.label != s.labels[l] ? 1 : 0;
      if (!ok)
        g_print("  MISS %s: %s (score %.2f, distance %.3f)\n",
                std::filesystem::path(path).filename().c_str(),
                !o.face ? "no face" : o.label.empty() ? "unknown" : o.label.c_str(), o.score,
                o.distance);
    }
  }
  const double known_rate = 100.0 * correct / total;
  g_print("%s: known: %d/%d correct (%.1f%%), %d named as someone else\n", c.id, correct, total, known_rate, wrong);

  int utotal = 0, unknown = 0;
  for (const std::string& path : unknown_images()) {
    const Outcome o = run_image(h, path);
    ++utotal;
    const bool ok = o.face && o.recognised && o.label.empty();
    unknown += ok ? 1 : 0;
    if (!ok)
      g_print("  FALSE ACCEPT %s: %s (score %.2f, distance %.3f)\n",
              std::filesystem::path(path).filename().c_str(),
              !o.face ? "no face" : o.label.c_str(), o.score, o.distance);
  }
  const double unknown_rate = 100.0 * unknown / utotal;
  g_print("%s: unknown: %d/%d rejected (%.1f%%)\n", c.id, unknown, utotal, unknown_rate);
  // The element ran the embedder the model was trained with.
  gchar* prop = nullptr;
  g_object_get(rec, "embedder", &prop, nullptr);
  const std::string prop_value = prop ? prop : "";
  g_free(prop);
  gst_object_unref(rec);
  gst_harness_teardown(h);
  std::filesystem::remove_all(std::filesystem::path(model).parent_path());

  fail_unless_equals_string(prop_value.c_str(), c.set_property ? c.id : "");
  fail_unless_equals_int(total, kIdentities * kTestPerId);
  fail_unless_equals_int(utotal, kUnknown);
  fail_unless(known_rate >= c.known, "%s: only %.1f%% of the known faces named correctly", c.id, known_rate);
  fail_unless(wrong <= c.max_wrong, "%s: %d known faces named as someone else", c.id, wrong);
  fail_unless(unknown_rate >= c.unknown, "%s: only %.1f%% of the unknown faces rejected", c.id, unknown_rate);
}
GST_END_TEST;

// `model` set on a running element: swapped in between frames.
GST_START_TEST(test_model_change_while_playing) {
  const std::string model = trained_model();
  const Split s = make_split();
  GstHarness* h = gst_harness_new_parse("facedetect-dnn ! facerecognize name=rec");
  GstElement* rec = gst_harness_find_element(h, "facerecognize");
  fail_unless(rec != nullptr);
  Outcome o = run_image(h, s.test[0][0]);
  fail_unless(o.face && !o.recognised);  // no model yet: embeddings only
  g_object_set(rec, "model", model.c_str(), nullptr);
  o = run_image(h, s.test[0][0]);
  fail_unless(o.face && o.recognised);
  g_print("after setting the model while playing: %s\n", o.label.empty() ? "unknown" : o.label.c_str());
  // a broken model while playing: warning, the previous model stays
  g_object_set(rec, "model", "/nonexistent/other.yml", nullptr);
  o = run_image(h, s.test[0][0]);
  fail_unless(o.face && o.recognised);
  // back to embeddings only
  g_object_set(rec, "model", "", nullptr);
  o = run_image(h, s.test[0][0]);
  fail_unless(o.face && !o.recognised);
  gst_object_unref(rec);
  gst_harness_teardown(h);
  std::filesystem::remove_all(std::filesystem::path(model).parent_path());
}
GST_END_TEST;

// A model trained for another embedder must not start.
GST_START_TEST(test_embedder_mismatch) {
  const Split s = make_split();
  // a few embeddings are enough: the id is what matters
  const Training t = enrol(Split{{s.labels[0], s.labels[1]},
                                 {s.train[0], s.train[1]},
                                 {s.test[0], s.test[1]}});
  const std::string fake_id = "fake-embedder-128";
  facerec::Classifier clf = facerec::Classifier::train(t.samples, t.ids, t.labels, fake_id);
  const std::string path = temp_dir() + "/fake.yml";
  clf.save(path);

  // the message itself (not only its debug text) names the model and both embedders
  const std::string full =
      testutil::start_error_text("videotestsrc num-buffers=1 ! facerecognize model=" + path + " ! fakesink");
  const std::string text = full.substr(0, full.find(" | "));
  fail_unless(text.find(path) != std::string::npos);
  fail_unless(text.find(fake_id) != std::string::npos);
  fail_unless(text.find(t.embedder_id) != std::string::npos);
  std::filesystem::remove_all(std::filesystem::path(path).parent_path());
}
GST_END_TEST;

// A model trained with one real embedder, run with another set explicitly: the element
// refuses to start, naming the model and both embedders.
GST_START_TEST(test_embedder_mismatch_real) {
  if (!testutil::require_model("fr_feature_128d.onnx") || !testutil::require_model("faceapi_recognition_128d.onnx"))
    return;
  const std::string model = trained_model("faceplugin-feature-128");
  const std::string full = testutil::start_error_text(
      "videotestsrc num-buffers=1 ! facerecognize embedder=faceapi-resnet-128 model=" + model + " ! fakesink");
  const std::string text = full.substr(0, full.find(" | "));
  std::filesystem::remove_all(std::filesystem::path(model).parent_path());
  fail_unless(testutil::contains(text, model), "%s", text.c_str());
  fail_unless(testutil::contains(text, "trained with the embedder \"faceplugin-feature-128\""), "%s", text.c_str());
  fail_unless(testutil::contains(text, "this element uses \"faceapi-resnet-128\""), "%s", text.c_str());
}
GST_END_TEST;

static Suite* recognition_pipeline_suite(void) {
  Suite* s = suite_create("facerec-recognition-pipeline");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 900);
  suite_add_tcase(s, tc);
  tcase_add_loop_test(tc, test_known_and_unknown, 0, int(sizeof kEmbedderCases / sizeof kEmbedderCases[0]));
  tcase_add_test(tc, test_embedder_mismatch_real);
  tcase_add_test(tc, test_model_change_while_playing);
  tcase_add_test(tc, test_embedder_mismatch);
  return s;
}

GST_CHECK_MAIN(recognition_pipeline);
