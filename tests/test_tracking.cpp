// Tracking through the elements, on real clips: facedetect-dnn gives a face one track id
// from frame to frame and moves its box between detector runs; two people are two tracks,
// named each and announced by one face-appeared each.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "gsttest.h"

#include <gst/check/gstharness.h>

namespace fs = std::filesystem;
using testutil::caps_string;
using testutil::face_rois;
using testutil::make_buffer;
using testutil::roi_rect;

namespace {

// The first `n` frames of a clip, BGR.
std::vector<cv::Mat> read_frames(const std::string& rel, int n) {
  cv::VideoCapture cap(testutil::testdata(rel));
  fail_unless(cap.isOpened(), "cannot open %s", rel.c_str());
  std::vector<cv::Mat> out;
  cv::Mat f;
  while (static_cast<int>(out.size()) < n && cap.read(f)) out.push_back(f.clone());
  fail_unless(!out.empty());
  return out;
}

struct Seen {
  cv::Rect box;
  bool fresh = false;
  guint64 track = 0;
  guint age = 0;
};

// Pushes the frames through facedetect-dnn PROPS (I420, as a decoder gives them, unless
// `fmt` says otherwise) and returns the faces of each frame. For I420 the tracker follows
// the faces on the luma plane, for packed RGB on a gray made from the colours.
std::vector<std::vector<Seen>> detect(const std::vector<cv::Mat>& frames, const std::string& props,
                                      GstVideoFormat fmt = GST_VIDEO_FORMAT_I420) {
  GstHarness* h = gst_harness_new_parse(("facedetect-dnn " + props).c_str());
  gst_harness_set_src_caps_str(h, caps_string(fmt, frames[0].cols & ~1, frames[0].rows & ~1).c_str());
  std::vector<std::vector<Seen>> out;
  for (size_t i = 0; i < frames.size(); ++i) {
    const cv::Mat even = frames[i](cv::Rect(0, 0, frames[i].cols & ~1, frames[i].rows & ~1)).clone();
    GstBuffer* in = make_buffer(even, fmt);
    GST_BUFFER_PTS(in) = i * GST_SECOND / 25;
    fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
    GstBuffer* buf = gst_harness_pull(h);
    std::vector<Seen> faces;
    for (auto* roi : face_rois(buf)) {
      Seen s;
      s.box = roi_rect(roi);
      s.fresh = gst_facerec_roi_detection_is_fresh(roi);
      GstClockTime first = 0, last = 0;
      if (gst_facerec_roi_get_tracking(roi, &s.track, &first, &last, &s.age))
        fail_unless(first <= last && last <= GST_BUFFER_PTS(buf), "frame %zu: first-seen/last-seen", i);
      faces.push_back(s);
    }
    out.push_back(faces);
    gst_buffer_unref(buf);
  }
  gst_harness_teardown(h);
  return out;
}

double iou(const cv::Rect& a, const cv::Rect& b) {
  const double inter = (a & b).area(), uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0;
}

}  // namespace

// cap13: one face, one track id on every frame; with inference-interval=4 the boxes
// of the frames in between move with the face (closer to the per-frame detection than
// the held boxes of tracking=false), and the age counts frames.
GST_START_TEST(test_one_face_one_track_moving_boxes) {
  // frames 100..219 of cap13: the person moves the head around
  std::vector<cv::Mat> frames = read_frames("video/cap13_edit2.mp4", 220);
  frames.erase(frames.begin(), frames.begin() + 100);
  const auto every = detect(frames, "inference-interval=1");
  const auto tracked = detect(frames, "inference-interval=4");
  const auto held = detect(frames, "inference-interval=4 tracking=false");
  std::set<guint64> ids;
  double iou_tracked = 0, iou_held = 0;
  int between = 0, moved = 0;
  for (size_t i = 0; i < frames.size(); ++i) {
    fail_unless_equals_int(tracked[i].size(), 1);
    fail_unless_equals_int(every[i].size(), 1);
    ids.insert(tracked[i][0].track);
    fail_unless_equals_int(tracked[i][0].age, i);  // detected on frame 0, followed since
    fail_unless(held[i][0].track == 0, "tracking=false still tracks");
    fail_unless_equals_int(tracked[i][0].fresh, i % 4 == 0);
    if (i % 4 == 0) continue;
    ++between;
    moved += tracked[i][0].box != tracked[i - i % 4][0].box;
    iou_tracked += iou(tracked[i][0].box, every[i][0].box);
    iou_held += iou(held[i][0].box, every[i][0].box);
  }
  iou_tracked /= between;
  iou_held /= between;
  g_print("1 track id over %zu frames; between detector runs: %d of %d boxes moved, mean IoU with the per-frame "
          "detection %.3f (held: %.3f)\n",
          frames.size(), moved, between, iou_tracked, iou_held);
  fail_unless_equals_int(ids.size(), 1);
  fail_unless(*ids.begin() >= 1);
  fail_unless(moved * 10 >= between * 9, "boxes frozen between detector runs: %d of %d moved", moved, between);
  fail_unless(iou_tracked > 0.9, "followed boxes off the face: mean IoU %.3f", iou_tracked);
}
GST_END_TEST;

// Two people walking towards the camera (12 fps): between detector runs the followed
// boxes stay on the faces far better than held ones (mean IoU with the per-frame
// detection), and each person keeps one track.
GST_START_TEST(test_walking_faces_followed) {
  const std::vector<cv::Mat> frames = read_frames("video/face-demographics-walking.from-preview-gif.mp4", 100);
  const auto every = detect(frames, "inference-interval=1");
  const auto tracked = detect(frames, "inference-interval=4");
  const auto held = detect(frames, "inference-interval=4 tracking=false");
  auto mean_iou = [&](const std::vector<std::vector<Seen>>& got) {
    double sum = 0;
    int n = 0;
    for (size_t i = 0; i < frames.size(); ++i) {
      if (i % 4 == 0) continue;
      for (const Seen& r : every[i]) {
        double best = 0;
        for (const Seen& g : got[i]) best = std::max(best, iou(r.box, g.box));
        sum += best;
        ++n;
      }
    }
    return sum / std::max(1, n);
  };
  const double t = mean_iou(tracked), h = mean_iou(held);
  // the same frames as packed BGR: the element's other path to the tracker's gray image
  const auto tracked_bgr = detect(frames, "inference-interval=4", GST_VIDEO_FORMAT_BGR);
  const double t_bgr = mean_iou(tracked_bgr);
  std::set<guint64> ids, ids_bgr;
  for (const auto& f : tracked)
    for (const Seen& s : f) ids.insert(s.track);
  for (const auto& f : tracked_bgr)
    for (const Seen& s : f) ids_bgr.insert(s.track);
  g_print("walking: %zu frames, %zu track ids, mean IoU between detector runs: followed %.3f (BGR input %.3f), "
          "held %.3f\n",
          frames.size(), ids.size(), t, t_bgr, h);
  fail_unless(t > h + 0.05, "followed boxes (IoU %.3f) not clearly better than held ones (%.3f)", t, h);
  fail_unless(t_bgr > h + 0.05, "BGR input: followed boxes (IoU %.3f) not clearly better than held ones (%.3f)",
              t_bgr, h);
  fail_unless_equals_int(ids.size(), 2);
  fail_unless_equals_int(ids_bgr.size(), 2);
}
GST_END_TEST;

// The female-and-male head-pose clip, with a model trained on the two single-person
// clips (facerec-train, video enrolment): two tracks, each named on its own, one
// face-appeared per track, one face-left each at EOS.
GST_START_TEST(test_two_people_two_tracks) {
  testutil::TempDir dir;
  const std::string video = testutil::testdata("video");
  for (const auto& [name, clip] : std::map<std::string, std::string>{
           {"female", "head-pose-face-detection-female.from-preview-gif.mp4"},
           {"male", "head-pose-face-detection-male.from-preview-gif.mp4"}}) {
    fs::create_directories(dir / ("people/" + name));
    fs::copy_file(video + "/" + clip, dir / ("people/" + name + "/" + clip));
  }
  // one LFW person too, so that the SVM has a stranger to tell them from
  const auto lfw = testutil::sorted_images(testutil::testdata("faces/Ann_Veneman"));
  fs::create_directories(dir / "people/Ann_Veneman");
  for (size_t i = 0; i < 5; ++i) fs::copy_file(lfw[i], dir / ("people/Ann_Veneman/" + fs::path(lfw[i]).filename().string()));
  const std::string model = dir / "two.model";
  const auto [rc, out] = testutil::run_command(std::string(FACEREC_TRAIN_TOOL) + " " + testutil::quote(dir / "people") +
                                               " -o " + testutil::quote(model) + " -q --video-step 2 --video-min-face 40");
  fail_unless(rc == 0, "facerec-train failed: %s", out.c_str());

  const std::string desc = "filesrc location=\"" + video +
                           "/head-pose-face-detection-female-and-male.from-preview-gif.mp4\" ! qtdemux ! h264parse ! "
                           "avdec_h264 ! facedetect-dnn ! facerecognize name=rec model=\"" + model +
                           "\" ! fakesink name=sink sync=false";
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(desc.c_str(), &err);
  fail_unless(pipe != nullptr, "%s", err ? err->message : "?");
  // per track: the names it was given, the x of its box centre
  struct Track {
    std::map<std::string, int> names;
    double x = 0;
    int frames = 0;
  };
  std::map<guint64, Track> tracks;
  int width = 0;
  GstElement* sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  GstPad* pad = gst_element_get_static_pad(sink, "sink");
  struct Ctx {
    std::map<guint64, Track>* tracks;
    int* width;
  } ctx{&tracks, &width};
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad* p, GstPadProbeInfo* info, gpointer d) {
        auto* c = static_cast<Ctx*>(d);
        GstCaps* caps = gst_pad_get_current_caps(p);
        gst_structure_get_int(gst_caps_get_structure(caps, 0), "width", c->width);
        gst_caps_unref(caps);
        for (auto* roi : testutil::face_rois(GST_PAD_PROBE_INFO_BUFFER(info))) {
          guint64 id = 0;
          if (!gst_facerec_roi_get_tracking(roi, &id, nullptr, nullptr, nullptr)) continue;
          const gchar* label = nullptr;
          gst_facerec_roi_get_recognition(roi, &label, nullptr, nullptr, nullptr);
          Track& t = (*c->tracks)[id];
          t.names[label ? label : "unknown"]++;
          t.x += roi->x + roi->w / 2.0;
          t.frames++;
        }
        return GST_PAD_PROBE_OK;
      },
      &ctx, nullptr);
  GstBus* bus = gst_element_get_bus(pipe);
  fail_unless(gst_element_set_state(pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE);
  std::vector<std::string> appeared, left;
  for (bool done = false; !done;) {
    GstMessage* msg = gst_bus_timed_pop(bus, 120 * GST_SECOND);
    fail_unless(msg != nullptr, "timed out");
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) fail("pipeline error");
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) done = true;
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ELEMENT) {
      const GstStructure* s = gst_message_get_structure(msg);
      guint64 id = 0;
      if (gst_structure_has_name(s, "face-appeared") || gst_structure_has_name(s, "face-left")) {
        fail_unless(gst_structure_get_uint64(s, "track-id", &id), "an event without track-id");
        const std::string what = std::string(gst_structure_get_string(s, "label")) + "#" + std::to_string(id);
        (gst_structure_has_name(s, "face-appeared") ? appeared : left).push_back(what);
      }
    }
    gst_message_unref(msg);
  }
  gst_element_set_state(pipe, GST_STATE_NULL);
  // the two people's tracks: those seen on more than a quarter of the frames
  std::vector<std::pair<double, std::string>> people;  // (mean x, the track's majority name)
  for (const auto& [id, t] : tracks) {
    std::string best;
    int n = 0;
    for (const auto& [name, k] : t.names)
      if (k > n) best = name, n = k;
    g_print("track %" G_GUINT64_FORMAT ": %d frames, mean x %.0f, named %s on %d\n", id, t.frames, t.x / t.frames,
            best.c_str(), n);
    if (t.frames > 14) people.push_back({t.x / t.frames, best});
  }
  for (const auto& a : appeared) g_print("face-appeared %s\n", a.c_str());
  std::sort(people.begin(), people.end());
  fail_unless_equals_int(people.size(), 2);
  fail_unless_equals_string(people[0].second.c_str(), "female");  // on the left
  fail_unless_equals_string(people[1].second.c_str(), "male");
  fail_unless(people[0].first < width / 2.0 && people[1].first > width / 2.0);
  std::sort(appeared.begin(), appeared.end());
  std::sort(left.begin(), left.end());
  fail_unless(appeared == left, "every track that appeared leaves at EOS");
  int female = 0, male = 0;
  for (const auto& a : appeared) {
    female += a.rfind("female#", 0) == 0;
    male += a.rfind("male#", 0) == 0;
  }
  fail_unless(female == 1 && male == 1, "%d face-appeared for female, %d for male", female, male);
  gst_object_unref(pad);
  gst_object_unref(sink);
  gst_object_unref(bus);
  gst_object_unref(pipe);
}
GST_END_TEST;

static Suite* tracking_suite() {
  Suite* s = suite_create("tracking");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 600);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_one_face_one_track_moving_boxes);
  tcase_add_test(tc, test_walking_faces_followed);
  tcase_add_test(tc, test_two_people_two_tracks);
  return s;
}

GST_CHECK_MAIN(tracking);
