// facerec::FrameDetector with a fake Detector (no models): processing size, faces mapped
// to frame pixels and clipped, min-face-size then max-faces, the inference interval and
// its reset rules, run-time settings reaching the detector, the FaceCarrier plug-in point;
// and the detector-type table. Synthetic inputs, exact expected outputs.
#include <cmath>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "facerec/aligner.h"
#include "facerec/detector.h"
#include "facerec/detector_loader.h"
#include "facerec/frame_detector.h"

// after the standard and OpenCV headers: gstcheck.h defines macros that clash with <iostream>
#include <gst/check/gstcheck.h>

using facerec::Face;
using facerec::FrameDetector;
using facerec::FrameDetectorSettings;
using facerec::FrameFace;

namespace {

// What the fake saw, shared with the test after the FrameDetector took the fake over.
struct FakeLog {
  int detect_calls = 0;
  cv::Size last_input;
  int last_channels = 0;
  float confidence = -1.f, nms = -1.f;
  int min_face_size = -1, max_faces = -1;
  int threshold_calls = 0;
};

// Returns `faces` (image pixels) on every detect(); throws when `fail` is set.
class FakeDetector final : public facerec::Detector {
 public:
  FakeDetector(std::shared_ptr<FakeLog> log, std::vector<Face> faces)
      : log_(std::move(log)), faces_(std::move(faces)) {}
  std::vector<Face> detect(const cv::Mat& bgr) override {
    ++log_->detect_calls;
    log_->last_input = bgr.size();
    log_->last_channels = bgr.channels();
    if (fail) throw std::runtime_error("fake failure");
    return faces_;
  }
  void set_thresholds(float c, float n) override {
    log_->confidence = c;
    log_->nms = n;
    ++log_->threshold_calls;
  }
  void set_face_limits(int min_size, int max_faces) override {
    log_->min_face_size = min_size;
    log_->max_faces = max_faces;
  }
  facerec::DetectorType type() const override { return facerec::DetectorType::UltraFace; }
  std::string describe() const override { return "fake"; }
  bool fail = false;

 private:
  std::shared_ptr<FakeLog> log_;
  std::vector<Face> faces_;
};

Face face(float x, float y, float w, float h, float conf, bool with_landmarks = true) {
  Face f;
  f.box = cv::Rect2f(x, y, w, h);
  f.confidence = conf;
  if (with_landmarks) {
    for (int i = 0; i < facerec::kNumLandmarks; ++i)
      f.landmarks[size_t(i)] = cv::Point2f(x + 1.5f * float(i), y + 2.25f * float(i));
    f.has_landmarks = true;
  }
  return f;
}

cv::Mat image(cv::Size s) { return cv::Mat(s, CV_8UC3, cv::Scalar::all(0)); }

}  // namespace

GST_START_TEST(test_processing_size) {
  struct Case {
    cv::Size frame;
    int w, h;
    cv::Size expected;
  };
  const Case cases[] = {
      {{1920, 1080}, 0, 0, {1920, 1080}},      // no limit
      {{1920, 1080}, 640, 0, {640, 360}},      // width only
      {{1920, 1080}, 0, 180, {320, 180}},      // height only
      {{1920, 1080}, 640, 640, {640, 360}},    // fit within: width decides
      {{1080, 1920}, 640, 640, {360, 640}},    // portrait: height decides
      {{640, 360}, 1920, 1080, {640, 360}},    // never enlarged
      {{333, 401}, 100, 0, {100, 120}},        // 401 * 100/333 = 120.42
      {{333, 187}, 101, 0, {101, 57}},         // 187 * 101/333 = 56.72
      {{5, 1}, 2, 0, {2, 1}},                  // height 0.4 rounds to 0: at least 1
      {{3, 1000}, 0, 10, {1, 10}},             // width 0.03: at least 1
      {{1, 1}, 1, 1, {1, 1}},
  };
  for (const Case& c : cases) {
    const cv::Size got = FrameDetector::processing_size(c.frame, c.w, c.h);
    fail_unless(got == c.expected, "%dx%d within %dx%d: %dx%d, expected %dx%d", c.frame.width,
                c.frame.height, c.w, c.h, got.width, got.height, c.expected.width,
                c.expected.height);
  }
  // through the settings
  FrameDetectorSettings s;
  s.processing_width = 640;
  FrameDetector fd(std::make_unique<FakeDetector>(std::make_shared<FakeLog>(), std::vector<Face>{}), s);
  fail_unless(fd.processing_size({1280, 720}) == cv::Size(640, 360));
}
GST_END_TEST;

GST_START_TEST(test_clip_box) {
  const cv::Size frame(333, 187);
  cv::Rect r;
  fail_unless(FrameDetector::clip_box({10.2f, 5.9f, 20.f, 30.f}, frame, r));
  fail_unless(r == cv::Rect(10, 5, 21, 31), "%d,%d %dx%d", r.x, r.y, r.width, r.height);  // floor / ceil
  fail_unless(FrameDetector::clip_box({-3.5f, -2.f, 10.f, 10.f}, frame, r));
  fail_unless(r == cv::Rect(0, 0, 7, 8));  // x1 = ceil(6.5) = 7, y1 = 8
  fail_unless(FrameDetector::clip_box({320.5f, 180.f, 50.f, 50.f}, frame, r));
  fail_unless(r == cv::Rect(320, 180, 13, 7));  // cut at the right and bottom edges
  fail_unless(FrameDetector::clip_box({332.9f, 186.9f, 0.05f, 0.05f}, frame, r));
  fail_unless(r == cv::Rect(332, 186, 1, 1));  // the last pixel
  fail_if(FrameDetector::clip_box({333.f, 10.f, 5.f, 5.f}, frame, r));    // right of the frame
  fail_if(FrameDetector::clip_box({10.f, -20.f, 5.f, 20.f}, frame, r));   // above it
  fail_if(FrameDetector::clip_box({NAN, 10.f, 5.f, 5.f}, frame, r));
  fail_if(FrameDetector::clip_box({10.f, 10.f, INFINITY, 5.f}, frame, r));
}
GST_END_TEST;

// 100x56 image of a 333x187 frame: sx = 3.33, sy = 3.339285714...
GST_START_TEST(test_to_frame_mapping) {
  const cv::Size img(100, 56), frame(333, 187);
  const double sx = 3.33, sy = 187.0 / 56.0;
  const std::vector<Face> faces = {
      face(10.f, 5.5f, 20.f, 30.f, 0.9f),          // inside
      face(-3.f, -2.f, 10.f, 10.f, 0.8f),          // over the top-left corner
      face(95.f, 50.f, 10.f, 10.f, 0.7f, false),   // over the bottom-right corner, no landmarks
      face(120.f, 10.f, 5.f, 5.f, 0.6f),           // outside: dropped
  };
  const auto out = FrameDetector::to_frame(faces, img, frame, 0, 0);
  fail_unless_equals_int(out.size(), 3);
  // 10*3.33 = 33.3, 5.5*sy = 18.37, x1 = 30*3.33 = 99.9, y1 = 35.5*sy = 118.54
  fail_unless(out[0].box == cv::Rect(33, 18, 67, 101), "%d,%d %dx%d", out[0].box.x, out[0].box.y,
              out[0].box.width, out[0].box.height);
  // x1 = 7*3.33 = 23.31, y1 = 8*sy = 26.71
  fail_unless(out[1].box == cv::Rect(0, 0, 24, 27));
  // x0 = 316.35, y0 = 166.96; cut at 333 x 187
  fail_unless(out[2].box == cv::Rect(316, 166, 17, 21));
  fail_unless(out[0].confidence == double(0.9f) && out[2].confidence == double(0.7f));
  // landmarks scaled (not clipped), in frame pixels
  for (int i = 0; i < facerec::kNumLandmarks; ++i) {
    const cv::Point2f p = faces[0].landmarks[size_t(i)];
    fail_unless(std::abs(out[0].landmarks[size_t(i)].x - p.x * sx) < 1e-9);
    fail_unless(std::abs(out[0].landmarks[size_t(i)].y - p.y * sy) < 1e-9);
    const cv::Point2f q = faces[1].landmarks[size_t(i)];
    fail_unless(std::abs(out[1].landmarks[size_t(i)].x - q.x * sx) < 1e-9);
  }
  // no landmarks from the detector: placed from the (unclipped) box, then scaled
  const facerec::Landmarks guess = facerec::landmarks_from_box(faces[2].box);
  for (int i = 0; i < facerec::kNumLandmarks; ++i) {
    fail_unless(std::abs(out[2].landmarks[size_t(i)].x - guess[size_t(i)].x * sx) < 1e-9);
    fail_unless(std::abs(out[2].landmarks[size_t(i)].y - guess[size_t(i)].y * sy) < 1e-9);
  }
  // same size: boxes only made integer
  const auto same = FrameDetector::to_frame({face(1.5f, 2.5f, 3.f, 4.f, 0.5f)}, frame, frame, 0, 0);
  fail_unless(same.size() == 1 && same[0].box == cv::Rect(1, 2, 4, 5));
  // an empty image gives nothing
  fail_unless(FrameDetector::to_frame(faces, cv::Size(), frame, 0, 0).empty());
}
GST_END_TEST;

// min-face-size is applied in frame pixels, before max-faces; output by decreasing confidence
GST_START_TEST(test_min_face_then_max_faces) {
  const cv::Size img(100, 50), frame(400, 200);  // scale 4
  // unsorted on purpose; widths in frame pixels: 40, 120, 160, 200, 80
  const std::vector<Face> faces = {face(0, 0, 10, 10, 0.5f), face(10, 0, 30, 30, 0.7f),
                                   face(50, 0, 40, 40, 0.6f), face(0, 0, 50, 45, 0.4f),
                                   face(60, 20, 20, 20, 0.95f)};
  auto conf = [](const std::vector<FrameFace>& v) {
    std::vector<float> c;
    for (const auto& f : v) c.push_back(float(f.confidence));
    return c;
  };
  // all, sorted
  fail_unless(conf(FrameDetector::to_frame(faces, img, frame, 0, 0)) ==
              std::vector<float>({0.95f, 0.7f, 0.6f, 0.5f, 0.4f}));
  // max only: the most confident two
  fail_unless(conf(FrameDetector::to_frame(faces, img, frame, 0, 2)) ==
              std::vector<float>({0.95f, 0.7f}));
  // min 100 frame pixels (25 image pixels): the 0.95 face (80) goes, then the cap keeps two
  fail_unless(conf(FrameDetector::to_frame(faces, img, frame, 100, 2)) ==
              std::vector<float>({0.7f, 0.6f}));
  // min 170: only the 200x180 face
  fail_unless(conf(FrameDetector::to_frame(faces, img, frame, 170, 0)) == std::vector<float>({0.4f}));
  // min-face-size compares the clipped integer box: a 40x40 face cut to 40x20 by the edge
  const auto cut = FrameDetector::to_frame({face(0, 45, 10, 10, 0.5f)}, img, frame, 30, 0);
  fail_unless(cut.empty());
}
GST_END_TEST;

GST_START_TEST(test_interval_sequence) {
  auto log = std::make_shared<FakeLog>();
  FrameDetectorSettings s;
  s.inference_interval = 3;
  s.processing_width = 100;
  FrameDetector fd(std::make_unique<FakeDetector>(log, std::vector<Face>{face(10, 10, 20, 20, 0.9f)}), s);
  const cv::Size frame(400, 200);
  const cv::Size psize = fd.processing_size(frame);
  fail_unless(psize == cv::Size(100, 50));
  std::string seq;
  std::vector<FrameFace> first;
  for (int i = 0; i < 8; ++i) {
    const bool due = fd.due(frame);
    fail_unless(fd.needs_image(frame) == due);  // HoldFaces needs no image between runs
    const auto r = fd.process(due ? image(psize) : cv::Mat(), frame);
    fail_unless(r.fresh == due);
    fail_unless_equals_int(r.faces.size(), 1);
    if (i == 0) first = r.faces;
    fail_unless(r.faces[0].box == first[0].box && r.faces[0].confidence == first[0].confidence);
    for (int k = 0; k < facerec::kNumLandmarks; ++k)
      fail_unless(r.faces[0].landmarks[size_t(k)] == first[0].landmarks[size_t(k)]);
    seq += due ? 'D' : '.';
  }
  fail_unless(seq == "D..D..D.", "sequence %s", seq.c_str());
  fail_unless_equals_int(log->detect_calls, 3);
  fail_unless(log->last_input == psize);
  fail_unless(first[0].box == cv::Rect(40, 40, 80, 80));

  // interval 1: every frame
  s.inference_interval = 1;
  fd.set_settings(s);
  fail_unless(fd.due(frame));
  fd.process(image(psize), frame);
  fail_unless(fd.due(frame));
  // values < 1 count as 1
  s.inference_interval = 0;
  fd.set_settings(s);
  fd.process(image(psize), frame);
  fail_unless(fd.due(frame));

  // lowered while running: takes effect on the next frame
  s.inference_interval = 100;
  fd.set_settings(s);
  fd.process(image(psize), frame);
  fail_if(fd.due(frame));
  fd.process(cv::Mat(), frame);
  s.inference_interval = 2;
  fd.set_settings(s);  // 1 frame since the run: the next is the 2nd
  fail_unless(fd.due(frame));
}
GST_END_TEST;

GST_START_TEST(test_interval_resets) {
  auto log = std::make_shared<FakeLog>();
  FrameDetectorSettings s;
  s.inference_interval = 5;
  FrameDetector fd(std::make_unique<FakeDetector>(log, std::vector<Face>{face(1, 1, 10, 10, 0.9f)}), s);
  const cv::Size a(64, 48), b(32, 24);
  auto run = [&](cv::Size sz) { return fd.process(fd.needs_image(sz) ? image(sz) : cv::Mat(), sz); };
  fail_unless(run(a).fresh);
  fail_if(run(a).fresh);
  // reset (flush, seek, new stream, caps): the next frame is a run
  fd.reset();
  fail_unless(fd.due(a));
  fail_unless(run(a).fresh);
  fail_if(run(a).fresh);
  // a new frame size is a run, and nothing of the old size is carried onto it
  fail_unless(fd.due(b));
  const auto rb = run(b);
  fail_unless(rb.fresh && rb.faces.size() == 1 && rb.faces[0].box == cv::Rect(1, 1, 10, 10));
  fail_if(run(b).fresh);
  // and back to the first size: a run again
  fail_unless(run(a).fresh);
  fail_if(run(a).fresh);
  // settings the answer depends on: a run at once, and they reach the detector
  const int calls = log->threshold_calls;
  s.confidence_threshold = 0.75f;
  fd.set_settings(s);
  fail_unless(log->confidence == 0.75f && log->nms == s.nms_threshold);
  fail_unless_equals_int(log->threshold_calls, calls + 1);
  fail_unless(run(a).fresh);
  fail_if(run(a).fresh);
  s.nms_threshold = 0.2f;
  fd.set_settings(s);
  fail_unless(log->nms == 0.2f);
  fail_unless(run(a).fresh);
  s.max_faces = 3;
  fd.set_settings(s);
  fail_unless(log->min_face_size == 0 && log->max_faces == 3);  // no size filter: the detector caps
  fail_unless(run(a).fresh);
  s.min_face_size = 20;
  fd.set_settings(s);
  fail_unless(log->min_face_size == 0 && log->max_faces == 0);  // size filter first: no cap in the detector
  fail_unless(run(a).fresh);
  fail_unless(run(a).faces.empty());  // carried: the 10 px face fell under min-face-size
  // settings that change no answer: no run forced, nothing sent to the detector
  const int calls2 = log->threshold_calls;
  s.processing_width = 16;
  s.inference_interval = 4;
  fd.set_settings(s);
  fail_unless_equals_int(log->threshold_calls, calls2);
  fail_if(fd.due(a));
  // the same settings again: nothing
  fd.set_settings(s);
  fail_if(fd.due(a));
}
GST_END_TEST;

GST_START_TEST(test_detector_swap_and_failure) {
  auto log1 = std::make_shared<FakeLog>();
  auto log2 = std::make_shared<FakeLog>();
  FrameDetectorSettings s;
  s.inference_interval = 10;
  s.confidence_threshold = 0.3f;
  s.max_faces = 2;
  FrameDetector fd(std::make_unique<FakeDetector>(log1, std::vector<Face>{face(1, 1, 10, 10, 0.9f)}), s);
  fail_unless(log1->confidence == 0.3f && log1->max_faces == 2);  // settings applied at construction
  const cv::Size a(64, 48);
  fail_unless_equals_int(fd.process(image(a), a).faces.size(), 1);
  fd.process(cv::Mat(), a);
  // a swapped-in detector gets the settings and runs on the next frame
  auto next = std::make_unique<FakeDetector>(log2, std::vector<Face>{});
  FakeDetector* raw = next.get();
  fd.set_detector(std::move(next));
  fail_unless(log2->confidence == 0.3f && log2->max_faces == 2);
  fail_unless(fd.due(a));
  auto r = fd.process(image(a), a);
  fail_unless(r.fresh && r.faces.empty());
  fail_unless_equals_int(log2->detect_calls, 1);
  fail_unless_equals_int(log1->detect_calls, 1);
  // a failing run throws, counts as a run that found nothing, and the interval goes on
  fd.reset();
  raw->fail = true;
  bool thrown = false;
  try {
    fd.process(image(a), a);
  } catch (const std::runtime_error&) {
    thrown = true;
  }
  fail_unless(thrown);
  fail_if(fd.due(a));
  r = fd.process(cv::Mat(), a);
  fail_unless(!r.fresh && r.faces.empty());
  fail_unless_equals_int(log2->detect_calls, 2);
}
GST_END_TEST;

// The plug-in point for tracking: a carrier that moves the faces between runs and wants
// the image gets it, on every frame.
class ShiftCarrier final : public facerec::FaceCarrier {
 public:
  bool needs_image() const override { return true; }
  void detected(std::vector<FrameFace>& faces, const cv::Mat& img, cv::Size, int64_t) override {
    faces_ = faces;
    fail_if(img.empty());
  }
  std::vector<FrameFace> between(const cv::Mat& img, cv::Size, int64_t) override {
    fail_if(img.empty(), "the carrier asked for the image");
    for (auto& f : faces_) f.box.x += 1;
    return faces_;
  }
  void reset() override { faces_.clear(); ++resets; }
  int resets = 0;

 private:
  std::vector<FrameFace> faces_;
};

GST_START_TEST(test_carrier) {
  auto carrier = std::make_unique<ShiftCarrier>();
  ShiftCarrier* c = carrier.get();
  FrameDetectorSettings s;
  s.inference_interval = 3;
  FrameDetector fd(std::make_unique<FakeDetector>(std::make_shared<FakeLog>(),
                                                  std::vector<Face>{face(10, 10, 10, 10, 0.9f)}),
                   s, std::move(carrier));
  const cv::Size a(64, 48);
  std::vector<int> xs;
  for (int i = 0; i < 4; ++i) {
    fail_unless(fd.needs_image(a));
    const auto r = fd.process(image(a), a);
    xs.push_back(r.faces[0].box.x);
    fail_unless(r.fresh == (i % 3 == 0));
  }
  fail_unless(xs == std::vector<int>({10, 11, 12, 10}));
  fd.reset();
  fail_unless_equals_int(c->resets, 1);
}
GST_END_TEST;

// Which image goes where: the detector always gets the BGR image; a carrier that needs the
// pixels gets the gray image on every frame when the caller gives one (the element's luma
// plane), else the BGR image; between runs the BGR image may then be left out.
class ChannelsCarrier final : public facerec::FaceCarrier {
 public:
  bool needs_image() const override { return true; }
  void detected(std::vector<FrameFace>& faces, const cv::Mat& img, cv::Size, int64_t) override {
    seen.push_back(img.channels());
    faces_ = faces;
  }
  std::vector<FrameFace> between(const cv::Mat& img, cv::Size, int64_t) override {
    seen.push_back(img.empty() ? 0 : img.channels());
    return faces_;
  }
  void reset() override {}
  std::vector<int> seen;  // channels of the image each call got (0: none)

 private:
  std::vector<FrameFace> faces_;
};

// A FrameSource that counts what it is asked for (the element's is gst/framesource.h).
class CountingSource final : public facerec::FrameSource {
 public:
  explicit CountingSource(cv::Size s) : size_(s) {}
  cv::Size size() const override { return size_; }
  cv::Mat bgr_region(const cv::Rect&) override { return {}; }
  cv::Mat bgr_scaled(const cv::Size& s) override {
    ++bgr_calls;
    asked = s;
    return cv::Mat(s, CV_8UC3, cv::Scalar::all(0));
  }
  cv::Mat gray_scaled(const cv::Size& s) override {
    ++gray_calls;
    return give_gray ? cv::Mat(s, CV_8UC1, cv::Scalar(0)) : cv::Mat();
  }
  int bgr_calls = 0, gray_calls = 0;
  cv::Size asked;
  bool give_gray = true;

 private:
  cv::Size size_;
};

GST_START_TEST(test_carrier_gets_gray) {
  const cv::Size frame(1280, 720), psize(640, 360);
  FrameDetectorSettings s;
  s.inference_interval = 2;
  s.processing_width = 640;
  {
    // through a FrameSource: BGR (at the processing size) only on detector runs, gray on
    // every frame, and the carrier gets the gray one
    auto log = std::make_shared<FakeLog>();
    auto carrier = std::make_unique<ChannelsCarrier>();
    ChannelsCarrier* c = carrier.get();
    FrameDetector fd(std::make_unique<FakeDetector>(log, std::vector<Face>{face(10, 10, 10, 10, 0.9f)}), s,
                     std::move(carrier));
    CountingSource src(frame);
    for (int i = 0; i < 4; ++i) {
      const auto r = fd.process(src, i);
      fail_unless(r.fresh == (i % 2 == 0));
      fail_unless_equals_int(r.faces.size(), 1);
    }
    fail_unless_equals_int(log->detect_calls, 2);
    fail_unless_equals_int(log->last_channels, 3);
    fail_unless_equals_int(src.bgr_calls, 2);
    fail_unless(src.asked == psize);
    fail_unless_equals_int(src.gray_calls, 4);
    fail_unless(c->seen == std::vector<int>({1, 1, 1, 1}), "the carrier did not get the gray image");
    // a source that cannot give the gray image: the frame is not analysed, nothing moves on
    src.give_gray = false;
    const auto r = fd.process(src, 4);
    fail_unless(r.faces.empty() && !r.fresh);
    fail_unless_equals_int(log->detect_calls, 2);
  }
  {
    // without a carrier that follows pixels, no gray is asked for
    FrameDetector plain(std::make_unique<FakeDetector>(std::make_shared<FakeLog>(), std::vector<Face>{}), s);
    CountingSource src(frame);
    for (int i = 0; i < 4; ++i) plain.process(src, i);
    fail_unless_equals_int(src.bgr_calls, 2);
    fail_unless_equals_int(src.gray_calls, 0);
  }
  {
    // the cv::Mat form without gray: the carrier gets the BGR image
    auto carrier = std::make_unique<ChannelsCarrier>();
    ChannelsCarrier* c = carrier.get();
    FrameDetector fd(std::make_unique<FakeDetector>(std::make_shared<FakeLog>(), std::vector<Face>{}), s,
                     std::move(carrier));
    for (int i = 0; i < 3; ++i) fd.process(image(psize), frame, i);
    fail_unless(c->seen == std::vector<int>({3, 3, 3}), "without gray the carrier gets the BGR image");
  }
}
GST_END_TEST;

// The detector-type table is the one source of the names.
GST_START_TEST(test_type_table) {
  const auto& table = facerec::detector_types();
  fail_unless(table.size() >= 4 && table[0].type == facerec::DetectorType::Auto);
  for (const auto& t : table) {
    fail_unless_equals_string(facerec::to_string(t.type), t.nick);
    fail_unless(facerec::detector_type_from_string(t.nick) == t.type);
    fail_unless(&facerec::detector_type_info(t.type) == &t);
    fail_unless(t.description && *t.description && t.files && *t.files);
    fail_unless((t.make == nullptr) == (t.type == facerec::DetectorType::Auto));
  }
  fail_unless(facerec::detector_type_from_string("RES10") == facerec::DetectorType::Res10Ssd);
  fail_unless(facerec::detector_type_from_string("ssd") == facerec::DetectorType::Res10Ssd);
  fail_unless(facerec::detector_type_from_string("") == facerec::DetectorType::Auto);
  try {
    facerec::detector_type_from_string("nonsense");
    fail("no error for an unknown type");
  } catch (const facerec::Error& e) {
    fail_unless(std::string(e.what()).find("auto, ultraface, yunet, res10-ssd") != std::string::npos,
                "%s", e.what());
  }
  // auto: suffixes first, then the name, else the default type
  auto pick = [](const std::string& model, const std::string& config) {
    facerec::DetectorConfig c;
    c.model = model;
    c.config = config;
    return facerec::resolve_detector_type(c);
  };
  using T = facerec::DetectorType;
  fail_unless(pick("", "") == T::UltraFace);
  fail_unless(pick("mine.onnx", "") == T::UltraFace);
  fail_unless(pick("/m/face_detection_yunet_2022mar.onnx", "") == T::YuNet);
  fail_unless(pick("/yunet/dir/model.onnx", "") == T::UltraFace);  // the file name counts
  fail_unless(pick("res10.caffemodel", "deploy.prototxt") == T::Res10Ssd);
  fail_unless(pick("x.PB", "") == T::Res10Ssd);
  fail_unless(pick("yunet_export.pb", "") == T::Res10Ssd);  // the format decides first
  fail_unless(pick("weights.bin", "net.pbtxt") == T::Res10Ssd);
  facerec::DetectorConfig c;
  c.type = T::YuNet;
  c.model = "x.pb";
  fail_unless(facerec::resolve_detector_type(c) == T::YuNet);  // an explicit type wins
  // a type that needs a model says which files
  c = facerec::DetectorConfig();
  c.type = T::Res10Ssd;
  try {
    facerec::create_detector(c);
    fail("no error without a model");
  } catch (const facerec::Error& e) {
    fail_unless(std::string(e.what()).find("set model and config") != std::string::npos, "%s", e.what());
  }
}
GST_END_TEST;

// DetectorLoader: loads on the thread that asks, only while started and only for other
// files; the streaming side takes the newest detector or the newest load's error.
GST_START_TEST(test_loader) {
  struct Call {
    std::string model;
    std::thread::id thread;
  };
  auto calls = std::make_shared<std::vector<Call>>();
  facerec::DetectorLoader loader([calls](const facerec::DetectorConfig& c) {
    calls->push_back({c.model, std::this_thread::get_id()});
    if (c.model.find("bad") != std::string::npos) throw facerec::Error(c.model, "cannot load");
    if (c.model.find("odd") != std::string::npos) throw std::runtime_error("not a facerec::Error");
    return std::unique_ptr<facerec::Detector>(
        std::make_unique<FakeDetector>(std::make_shared<FakeLog>(), std::vector<Face>{}));
  });
  facerec::DetectorConfig a, b, bad;
  a.model = "a.onnx";
  b.model = "b.onnx";
  bad.model = "bad.onnx";
  loader.update(b);  // not started: nothing loads
  fail_unless(calls->empty() && loader.take() == nullptr);
  try {
    loader.start(bad);
    fail("start() of a bad file did not throw");
  } catch (const facerec::Error& e) {
    fail_unless(e.file() == "bad.onnx");
  }
  loader.update(b);  // a failed start leaves it stopped
  fail_unless_equals_int(calls->size(), 1);
  fail_unless(loader.start(a) != nullptr);
  fail_unless(loader.take() == nullptr);  // what start() returned is not handed out again
  // thresholds, limits: the same files, nothing loads
  facerec::DetectorConfig a2 = a;
  a2.confidence_threshold = 0.9f;
  a2.max_faces = 3;
  loader.update(a2);
  fail_unless_equals_int(calls->size(), 2);
  // other files: loaded on the caller's thread, taken once
  std::thread([&] { loader.update(b); }).join();
  fail_unless_equals_int(calls->size(), 3);
  fail_unless(calls->back().model == "b.onnx" && calls->back().thread != std::this_thread::get_id());
  fail_unless(loader.take() != nullptr);
  fail_unless(loader.take() == nullptr);
  loader.update(b);  // unchanged
  fail_unless_equals_int(calls->size(), 3);
  // another type with the same file is another detector
  facerec::DetectorConfig b_yunet = b;
  b_yunet.type = facerec::DetectorType::YuNet;
  loader.update(b_yunet);
  fail_unless_equals_int(calls->size(), 4);
  // a failed load: its error on every take() until a load succeeds
  loader.update(bad);
  for (int i = 0; i < 2; ++i) {
    try {
      loader.take();
      fail("no error after a failed load");
    } catch (const facerec::Error& e) {
      fail_unless(e.file() == "bad.onnx");
    }
  }
  facerec::DetectorConfig odd;
  odd.model = "odd.onnx";
  loader.update(odd);  // any exception becomes an Error naming the model
  try {
    loader.take();
    fail("no error after a failed load");
  } catch (const facerec::Error& e) {
    fail_unless(e.file() == "odd.onnx" && std::string(e.what()).find("not a facerec::Error") != std::string::npos);
  }
  loader.update(a);  // a good load clears the error; the newest of two loads wins
  loader.update(b);
  fail_unless(loader.take() != nullptr);
  fail_unless(loader.take() == nullptr);
  // stop drops what was not taken; nothing loads until the next start
  loader.update(a);
  loader.stop();
  fail_unless(loader.take() == nullptr);
  const size_t n = calls->size();
  loader.update(b);
  fail_unless_equals_int(calls->size(), n);
  // take() does not wait for a load in progress (it would hang here if it did)
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> entered;
  facerec::DetectorLoader slow([&](const facerec::DetectorConfig& c) {
    if (c.model == "slow.onnx") {
      entered.set_value();
      released.wait();
    }
    return std::unique_ptr<facerec::Detector>(
        std::make_unique<FakeDetector>(std::make_shared<FakeLog>(), std::vector<Face>{}));
  });
  slow.start(a);
  facerec::DetectorConfig sl;
  sl.model = "slow.onnx";
  std::thread loading([&] { slow.update(sl); });
  entered.get_future().wait();
  fail_unless(slow.take() == nullptr);  // returns while the load is blocked
  release.set_value();
  loading.join();
  fail_unless(slow.take() != nullptr);
}
GST_END_TEST;

static Suite* frame_detector_suite(void) {
  Suite* s = suite_create("frame_detector");
  TCase* tc = tcase_create("general");
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_processing_size);
  tcase_add_test(tc, test_clip_box);
  tcase_add_test(tc, test_to_frame_mapping);
  tcase_add_test(tc, test_min_face_then_max_faces);
  tcase_add_test(tc, test_interval_sequence);
  tcase_add_test(tc, test_interval_resets);
  tcase_add_test(tc, test_detector_swap_and_failure);
  tcase_add_test(tc, test_carrier);
  tcase_add_test(tc, test_carrier_gets_gray);
  tcase_add_test(tc, test_type_table);
  tcase_add_test(tc, test_loader);
  return s;
}

GST_CHECK_MAIN(frame_detector);
