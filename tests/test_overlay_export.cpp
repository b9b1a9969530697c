// GstHarness tests of facerec-overlay (drawing on RGB and YUV frames, colours,
// properties, sizes) and faceexport (JSON Lines validated against
// docs/faceexport.schema.json, append, embeddings, whole lines per buffer,
// source, errors), on real images and real models.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common.h"
#include "gsttest.h"
#include "jsonschema.h"
#include "train.h"
#include "facemeta.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/enrolment.h"
#include "facerec/models.h"

namespace {

constexpr const char* kOverlay = "facerec-overlay";

// ---------------------------------------------------------------------------
// frames

// Every format the overlay accepts.
const GstVideoFormat kOverlayFormats[] = {
    GST_VIDEO_FORMAT_BGR,  GST_VIDEO_FORMAT_RGB,  GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_RGBx,
    GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
    GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_YV12,
    GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_NV21, GST_VIDEO_FORMAT_Y42B, GST_VIDEO_FORMAT_Y444,
    GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_UYVY};

GstVideoInfo make_info(GstVideoFormat fmt, int w, int h) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, fmt, static_cast<guint>(w), static_cast<guint>(h));
  info.fps_n = 25;
  info.fps_d = 1;
  return info;
}

void set_caps(GstHarness* h, const GstVideoInfo& info) {
  GstCaps* caps = gst_video_info_to_caps(&info);
  gst_harness_set_src_caps(h, caps);
}

// Converts between two mapped frames with GStreamer's converter (no dithering).
void convert_frame(GstVideoFrame* src, GstVideoFrame* dst) {
  // no dithering, no chroma filtering: the samples as they are in the planes
  GstStructure* cfg = gst_structure_new(
      "cfg", GST_VIDEO_CONVERTER_OPT_DITHER_METHOD, GST_TYPE_VIDEO_DITHER_METHOD,
      GST_VIDEO_DITHER_NONE, GST_VIDEO_CONVERTER_OPT_CHROMA_MODE, GST_TYPE_VIDEO_CHROMA_MODE,
      GST_VIDEO_CHROMA_MODE_NONE, nullptr);
  GstVideoConverter* conv = gst_video_converter_new(&src->info, &dst->info, cfg);
  fail_unless(conv != nullptr);
  gst_video_converter_frame(conv, src, dst);
  gst_video_converter_free(conv);
}

// A buffer of `info`'s format holding the BGR image (same size).
GstBuffer* make_buffer(const cv::Mat& bgr, const GstVideoInfo& info) {
  fail_unless(bgr.cols == GST_VIDEO_INFO_WIDTH(&info) && bgr.rows == GST_VIDEO_INFO_HEIGHT(&info));
  GstVideoInfo src_info = make_info(GST_VIDEO_FORMAT_BGR, bgr.cols, bgr.rows);
  GstBuffer* src = gst_buffer_new_allocate(nullptr, src_info.size, nullptr);
  GstVideoFrame sf, df;
  fail_unless(gst_video_frame_map(&sf, &src_info, src, GST_MAP_WRITE));
  for (int y = 0; y < bgr.rows; ++y)
    std::memcpy(static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&sf, 0)) +
                    y * GST_VIDEO_FRAME_PLANE_STRIDE(&sf, 0),
                bgr.ptr(y), static_cast<size_t>(bgr.cols) * 3);
  GstBuffer* dst = gst_buffer_new_allocate(nullptr, info.size, nullptr);
  gst_buffer_memset(dst, 0, 0, info.size);
  fail_unless(gst_video_frame_map(&df, &info, dst, GST_MAP_WRITE));
  convert_frame(&sf, &df);
  gst_video_frame_unmap(&df);
  gst_video_frame_unmap(&sf);
  gst_buffer_unref(src);
  return dst;
}

// The buffer (of `info`'s format) as a BGR image.
cv::Mat to_bgr(GstBuffer* buf, const GstVideoInfo& info) {
  const int w = GST_VIDEO_INFO_WIDTH(&info), h = GST_VIDEO_INFO_HEIGHT(&info);
  GstVideoInfo bgr_info = make_info(GST_VIDEO_FORMAT_BGR, w, h);
  GstBuffer* out = gst_buffer_new_allocate(nullptr, bgr_info.size, nullptr);
  GstVideoFrame sf, df;
  fail_unless(gst_video_frame_map(&sf, &info, buf, GST_MAP_READ));
  fail_unless(gst_video_frame_map(&df, &bgr_info, out, GST_MAP_WRITE));
  convert_frame(&sf, &df);
  cv::Mat m(h, w, CV_8UC3);
  for (int y = 0; y < h; ++y)
    std::memcpy(m.ptr(y),
                static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&df, 0)) +
                    y * GST_VIDEO_FRAME_PLANE_STRIDE(&df, 0),
                static_cast<size_t>(w) * 3);
  gst_video_frame_unmap(&df);
  gst_video_frame_unmap(&sf);
  gst_buffer_unref(out);
  return m;
}

using testutil::load_image;

cv::Mat load_resized(const std::string& rel, int w, int h) {
  cv::Mat out;
  cv::resize(load_image(rel), out, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  return out;
}

// A face ROI with "detection" params (landmarks spread inside the box) and, when
// `recognised`, "recognition" params (known when label != nullptr).
GstVideoRegionOfInterestMeta* add_face(GstBuffer* buf, int id, cv::Rect r, bool detection,
                                       bool recognised, const char* label) {
  GstVideoRegionOfInterestMeta* roi;
  if (detection) {
    const double fx[5] = {0.3, 0.7, 0.5, 0.35, 0.65}, fy[5] = {0.35, 0.35, 0.55, 0.75, 0.75};
    double lm[10];
    for (int i = 0; i < 10; ++i) lm[i] = i % 2 ? r.y + fy[i / 2] * r.height : r.x + fx[i / 2] * r.width;
    roi = gst_buffer_add_facerec_face(buf, static_cast<guint>(r.x), static_cast<guint>(r.y),
                                      static_cast<guint>(r.width), static_cast<guint>(r.height), 0.875, lm, TRUE);
  } else {  // a box-only ROI, as videoscale or another detector leaves it
    roi = gst_buffer_add_video_region_of_interest_meta(buf, GST_FACEREC_ROI_TYPE, static_cast<guint>(r.x),
                                                       static_cast<guint>(r.y), static_cast<guint>(r.width),
                                                       static_cast<guint>(r.height));
  }
  roi->id = id;
  if (recognised) gst_facerec_roi_set_recognition(roi, label, 0, 0.5, 0.3);
  return roi;
}

using testutil::face_rois;

using testutil::roi_rect;

bool greenish(const cv::Vec3b& p) { return p[1] >= 170 && p[2] <= 90 && p[0] <= 90; }
bool reddish(const cv::Vec3b& p) { return p[2] >= 170 && p[1] <= 90 && p[0] <= 90; }
std::string px_str(const cv::Vec3b& p) {
  return "(B " + std::to_string(p[0]) + ", G " + std::to_string(p[1]) + ", R " +
         std::to_string(p[2]) + ")";
}

// Every sample of every component of `out` whose pixels all lie outside the
// `allowed` region equals the one of `in`. Returns the number of differences and
// counts the changed samples inside in `changed_inside`.
int changes_outside(GstBuffer* in, GstBuffer* out, const GstVideoInfo& info,
                    const std::function<bool(int, int)>& allowed, int* changed_inside) {
  GstVideoFrame a, b;
  fail_unless(gst_video_frame_map(&a, &info, in, GST_MAP_READ));
  fail_unless(gst_video_frame_map(&b, &info, out, GST_MAP_READ));
  const int W = GST_VIDEO_INFO_WIDTH(&info), H = GST_VIDEO_INFO_HEIGHT(&info);
  int bad = 0, inside = 0;
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS(&a); ++c) {
    const int ws = GST_VIDEO_FORMAT_INFO_W_SUB(info.finfo, c);
    const int hs = GST_VIDEO_FORMAT_INFO_H_SUB(info.finfo, c);
    const auto* pa = static_cast<const guint8*>(GST_VIDEO_FRAME_COMP_DATA(&a, c));
    const auto* pb = static_cast<const guint8*>(GST_VIDEO_FRAME_COMP_DATA(&b, c));
    const int stride = GST_VIDEO_FRAME_COMP_STRIDE(&a, c);
    const int ps = GST_VIDEO_FRAME_COMP_PSTRIDE(&a, c);
    for (int y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT(&a, c); ++y)
      for (int x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH(&a, c); ++x) {
        const size_t o = static_cast<size_t>(y) * stride + static_cast<size_t>(x) * ps;
        if (pa[o] == pb[o]) continue;
        bool any_allowed = false;
        for (int py = y << hs; py < std::min(H, (y + 1) << hs); ++py)
          for (int px = x << ws; px < std::min(W, (x + 1) << ws); ++px)
            any_allowed = any_allowed || allowed(px, py);
        if (any_allowed) {
          ++inside;
        } else if (++bad <= 5) {
          g_print("    %s: component %u sample %d,%d changed %d -> %d\n",
                  gst_video_format_to_string(GST_VIDEO_INFO_FORMAT(&info)), c, x, y, pa[o], pb[o]);
        }
      }
  }
  gst_video_frame_unmap(&b);
  gst_video_frame_unmap(&a);
  if (changed_inside) *changed_inside = inside;
  return bad;
}

GstBuffer* push_pull(GstHarness* h, GstBuffer* in) {
  fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  fail_unless(out != nullptr);
  return out;
}

// ---------------------------------------------------------------------------
// a small model trained with the library, as facerec-train does

struct TrainedModel {
  std::string path;
  std::vector<std::string> labels;
  std::vector<std::string> test_images;  // one per label, not enrolled
};

TrainedModel& model_slot() {
  static TrainedModel tm;
  return tm;
}

// Trained on first use (per test process), removed by drop_trained_model().
const TrainedModel& trained_model() {
  TrainedModel& tm = model_slot();
  if (!tm.path.empty()) return tm;
  constexpr int kPeople = 3, kTrain = 5;
  testutil::Nets nets;
  std::vector<facerec::Embedding> samples;
  std::vector<int> ids;
  for (auto& [person, images] : facerec::list_dataset(testutil::testdata("faces"))) {
    if (images.size() < static_cast<size_t>(kTrain + 1)) continue;
    std::sort(images.begin(), images.end());
    const int id = static_cast<int>(tm.labels.size());
    tm.labels.push_back(person);
    tm.test_images.push_back(images[kTrain]);
    for (int i = 0; i < kTrain; ++i) {
      const auto e = nets.embed(images[i]);
      if (!e) continue;
      samples.push_back(*e);
      ids.push_back(id);
    }
    if (static_cast<int>(tm.labels.size()) == kPeople) break;
  }
  fail_unless_equals_int(tm.labels.size(), kPeople);
  facerec::Classifier clf = facerec::Classifier::train(samples, ids, tm.labels, nets.emb->spec().id);
  gchar* dir = g_dir_make_tmp("facerec-ovx-model-XXXXXX", nullptr);
  fail_unless(dir != nullptr);
  tm.path = std::string(dir) + "/people.yml";
  g_free(dir);
  clf.save(tm.path);
  g_print("trained %s on %zu embeddings of %d people\n", tm.path.c_str(), samples.size(), kPeople);
  return tm;
}

void drop_trained_model() {
  TrainedModel& tm = model_slot();
  if (tm.path.empty()) return;
  std::filesystem::remove_all(std::filesystem::path(tm.path).parent_path());
  tm = TrainedModel{};
}

// ---------------------------------------------------------------------------
// JSON: json-glib's parser and the schema validator of jsonschema.h

using testutil::assert_valid;
using testutil::Json;
using testutil::schema_errors;

Json parse_json(const std::string& s) { return Json::parse(s); }

std::string read_file(const std::string& path) { return testutil::read_text(path); }

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::string temp_dir() {
  gchar* dir = g_dir_make_tmp("facerec-ovx-XXXXXX", nullptr);
  fail_unless(dir != nullptr);
  std::string d(dir);
  g_free(dir);
  return d;
}

GstBuffer* grey_buffer(const GstVideoInfo& info, GstClockTime pts) {
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, info.size, nullptr);
  gst_buffer_memset(buf, 0, 128, info.size);
  GST_BUFFER_PTS(buf) = pts;
  return buf;
}

using testutil::expect_start_error;

// An exact-size frame of `info` in the middle of a larger block that the test owns:
// kGuard canary bytes before and after it. The GstBuffer wraps the frame's bytes only
// (no copy, no ownership), so an element drawing in place draws on `block`, and
// anything it writes outside the frame lands on the canary. The frame's samples are
// grey (128); every other byte of the frame (row padding, the x of BGRx) keeps the
// canary too.
struct GuardedFrame {
  static constexpr size_t kGuard = 4096;
  std::vector<guint8> block;   // guard, frame, guard
  std::vector<bool> sample;    // per byte of the frame: a component sample?
  GstBuffer* buffer = nullptr;

  explicit GuardedFrame(const GstVideoInfo& info) {
    const size_t size = info.size;
    block.resize(size + 2 * kGuard);
    for (size_t i = 0; i < block.size(); ++i) block[i] = canary(i);
    sample.assign(size, false);
    buffer = gst_buffer_new();
    gst_buffer_append_memory(buffer, gst_memory_new_wrapped(static_cast<GstMemoryFlags>(0), block.data(),
                                                            block.size(), kGuard, size, nullptr, nullptr));
    GstVideoFrame f;
    GstVideoInfo vi = info;
    fail_unless(gst_video_frame_map(&f, &vi, buffer, GST_MAP_WRITE));
    for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS(&f); ++c) {
      auto* base = static_cast<guint8*>(GST_VIDEO_FRAME_COMP_DATA(&f, c));
      for (int y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT(&f, c); ++y)
        for (int x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH(&f, c); ++x) {
          guint8* p = base + static_cast<ptrdiff_t>(y) * GST_VIDEO_FRAME_COMP_STRIDE(&f, c) +
                      static_cast<ptrdiff_t>(x) * GST_VIDEO_FRAME_COMP_PSTRIDE(&f, c);
          const size_t at = static_cast<size_t>(p - block.data());
          fail_unless(at >= kGuard && at < kGuard + size, "sample outside the frame's bytes");
          *p = 128;
          sample[at - kGuard] = true;
        }
    }
    gst_video_frame_unmap(&f);
  }

  static guint8 canary(size_t i) { return static_cast<guint8>(0xA5 ^ (i * 31)); }
  const guint8* frame_data() const { return block.data() + kGuard; }

  // Bytes outside the frame's samples that differ from the canary (the first few are
  // printed); the changed samples are counted in *drawn.
  int damaged(const char* what, int* drawn) const {
    int bad = 0;
    *drawn = 0;
    for (size_t i = 0; i < block.size(); ++i) {
      const bool in_frame = i >= kGuard && i < block.size() - kGuard;
      if (in_frame && sample[i - kGuard]) {
        *drawn += block[i] != 128;
        continue;
      }
      if (block[i] == canary(i)) continue;
      if (++bad <= 3)
        g_print("    %s: byte %ld from the frame's start changed (%s)\n", what,
                static_cast<long>(i) - static_cast<long>(kGuard),
                !in_frame ? (i < kGuard ? "guard before the frame" : "guard after the frame")
                          : "padding inside the frame");
    }
    return bad;
  }
};

}  // namespace

// ---------------------------------------------------------------------------
// facerec-overlay

// Hand-made ROIs on a real image, in every format: the box edge in the right
// colour, everything away from the boxes and labels untouched.
GST_START_TEST(test_overlay_all_formats) {
  const int W = 320, H = 240;
  const cv::Mat img = load_resized("images/messi5.jpg", W, H);
  const cv::Rect known(30, 70, 80, 80), unknown(200, 70, 80, 80);
  const int line = 2;  // automatic width at 240 lines
  auto outline_band = [&](const cv::Rect& b, int x, int y) {
    const cv::Rect outer(b.x - 1, b.y - 1, b.width + 2, b.height + 2);
    const cv::Rect inner(b.x + line + 1, b.y + line + 1, b.width - 2 * line - 2,
                         b.height - 2 * line - 2);
    return outer.contains(cv::Point(x, y)) && !inner.contains(cv::Point(x, y));
  };
  // label bars above the boxes: at most 30 lines high, 140 pixels wide
  auto allowed = [&](int x, int y) {
    for (const cv::Rect& b : {known, unknown}) {
      if (outline_band(b, x, y)) return true;
      if (cv::Rect(b.x - 1, b.y - 30, 140, 31).contains(cv::Point(x, y))) return true;
    }
    return false;
  };
  for (GstVideoFormat fmt : kOverlayFormats) {
    const char* name = gst_video_format_to_string(fmt);
    GstHarness* h = gst_harness_new(kOverlay);
    const GstVideoInfo info = make_info(fmt, W, H);
    set_caps(h, info);
    GstBuffer* in = make_buffer(img, info);
    GstBuffer* ref = gst_buffer_copy_deep(in);
    add_face(in, 1, known, true, true, "Known");
    add_face(in, 2, unknown, true, true, nullptr);
    GstBuffer* out = push_pull(h, in);
    const cv::Mat bgr = to_bgr(out, info);
    // inner side of the left edges, mid height (chroma samples fully on the line)
    const cv::Vec3b k = bgr.at<cv::Vec3b>(known.y + 30, known.x + 0);
    const cv::Vec3b k1 = bgr.at<cv::Vec3b>(known.y + 30, known.x + 1);
    const cv::Vec3b u = bgr.at<cv::Vec3b>(unknown.y + 30, unknown.x + 0);
    const cv::Vec3b u1 = bgr.at<cv::Vec3b>(unknown.y + 30, unknown.x + 1);
    const cv::Vec3b top = bgr.at<cv::Vec3b>(known.y + 1, known.x + 60);
    g_print("%-5s known edge %s unknown edge %s\n", name, px_str(k).c_str(), px_str(u).c_str());
    fail_unless(greenish(k) && greenish(k1) && greenish(top), "%s: known box edge not green: %s",
                name, px_str(k).c_str());
    fail_unless(reddish(u) && reddish(u1), "%s: unknown box edge not red: %s", name,
                px_str(u).c_str());
    int inside = 0;
    const int bad = changes_outside(ref, out, info, allowed, &inside);
    fail_unless_equals_int(bad, 0);
    fail_unless(inside > 0);
    // the labels: some pixels changed above each box
    const cv::Mat before = to_bgr(ref, info);
    for (const cv::Rect& b : {known, unknown}) {
      int label_px = 0;
      for (int y = b.y - 12; y < b.y; ++y)
        for (int x = b.x + 2; x < b.x + 40; ++x)
          label_px += bgr.at<cv::Vec3b>(y, x) != before.at<cv::Vec3b>(y, x);
      fail_unless(label_px > 100, "%s: no label above the box at %d,%d", name, b.x, b.y);
    }
    gst_buffer_unref(ref);
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

// Real models: facedetect-dnn ! facerecognize (a model trained here) ! overlay in
// BGR, RGBA and I420: each face's box in the colour of its recognition.
GST_START_TEST(test_overlay_real_recognition) {
  const TrainedModel& tm = trained_model();
  const std::string unknown_img = testutil::testdata("faces_unknown/AJ_Cook_0001.jpg");
  struct Case {
    std::string file;
    std::string expect;  // expected name of the largest face; "" = whatever
  };
  const Case cases[] = {{tm.test_images[0], tm.labels[0]},
                        {tm.test_images[1], tm.labels[1]},
                        {unknown_img, ""}};
  int green = 0, red = 0;
  for (GstVideoFormat fmt : {GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_I420}) {
    GstHarness* h = gst_harness_new_parse(
        ("facedetect-dnn ! facerecognize model=" + tm.path + " ! " + kOverlay).c_str());
    for (const Case& c : cases) {
      cv::Mat img = cv::imread(c.file, cv::IMREAD_COLOR);
      fail_if(img.empty(), "cannot read %s", c.file.c_str());
      img = img(cv::Rect(0, 0, img.cols & ~1, img.rows & ~1)).clone();
      const GstVideoInfo info = make_info(fmt, img.cols, img.rows);
      set_caps(h, info);
      GstBuffer* out = push_pull(h, make_buffer(img, info));
      const cv::Mat bgr = to_bgr(out, info);
      auto rois = face_rois(out);
      fail_if(rois.empty(), "%s: no face", c.file.c_str());
      GstVideoRegionOfInterestMeta* best = rois[0];
      for (auto* r : rois)
        if (r->w * r->h > best->w * best->h) best = r;
      for (auto* r : rois) {
        const gchar* label = nullptr;
        fail_unless(gst_facerec_roi_get_recognition(r, &label, nullptr, nullptr, nullptr));
        const cv::Rect b = roi_rect(r);
        const cv::Vec3b p = bgr.at<cv::Vec3b>(b.y + b.height / 2, b.x);
        g_print("%s %s: face %d,%d %dx%d %s, edge %s\n", gst_video_format_to_string(fmt),
                std::filesystem::path(c.file).filename().c_str(), b.x, b.y, b.width, b.height,
                label ? label : "unknown", px_str(p).c_str());
        if (label) {
          fail_unless(greenish(p), "known face box not green: %s", px_str(p).c_str());
          ++green;
        } else {
          fail_unless(reddish(p), "unknown face box not red: %s", px_str(p).c_str());
          ++red;
        }
        if (r == best && !c.expect.empty())
          fail_unless(label != nullptr && c.expect == label, "%s named %s, expected %s",
                      c.file.c_str(), label ? label : "unknown", c.expect.c_str());
      }
      gst_buffer_unref(out);
    }
    gst_harness_teardown(h);
  }
  g_print("green boxes %d, red boxes %d\n", green, red);
  drop_trained_model();
  fail_unless(green >= 6);
}
GST_END_TEST;

// Tiny and odd frames, boxes partly or fully outside, all options: no crash, and
// not one byte written outside the frame's samples: each frame is exact-size inside
// a canary block (GuardedFrame), and after the overlay drew on it in place the
// guards before and after it and the padding inside it must be intact.
GST_START_TEST(test_overlay_odd_sizes) {
  const cv::Size sizes[] = {{1, 1}, {2, 2}, {3, 3}, {5, 1}, {1, 5}, {33, 17}, {17, 33}, {7, 240}};
  int runs = 0, damaged_runs = 0, drawn_runs = 0;
  for (GstVideoFormat fmt : kOverlayFormats) {
    GstHarness* h = gst_harness_new(kOverlay);
    for (const char* pos : {"above", "below", "inside"}) {
      gst_util_set_object_arg(G_OBJECT(h->element), "label-position", pos);
      g_object_set(h->element, "draw-landmarks", TRUE, nullptr);
      for (const cv::Size& s : sizes) {
        const GstVideoInfo info = make_info(fmt, s.width, s.height);
        set_caps(h, info);
        GuardedFrame frame(info);
        GstBuffer* in = frame.buffer;
        add_face(in, 1, cv::Rect(0, 0, 1, 1), true, true, "A very long name for a tiny frame");
        add_face(in, 2, cv::Rect(0, 0, s.width, s.height), true, true, nullptr);
        add_face(in, 3, cv::Rect(s.width - 1, s.height - 1, 50, 50), true, true, "B");
        add_face(in, 4, cv::Rect(s.width + 10, s.height + 10, 5, 5), true, false, nullptr);
        add_face(in, 5, cv::Rect(s.width / 2, s.height / 2, 1000000, 3), true, true, "C");
        GstBuffer* out = push_pull(h, in);
        // drawn in place: on the guarded block, not on a copy
        GstMapInfo map;
        fail_unless(gst_buffer_map(out, &map, GST_MAP_READ));
        const bool in_place = map.data == frame.frame_data() && map.size == info.size;
        gst_buffer_unmap(out, &map);
        gst_buffer_unref(out);
        fail_unless(in_place, "%s %dx%d: the overlay did not draw in place", gst_video_format_to_string(fmt),
                    s.width, s.height);
        char what[96];
        g_snprintf(what, sizeof what, "%s %dx%d label %s", gst_video_format_to_string(fmt), s.width, s.height,
                   pos);
        int drawn = 0;
        if (frame.damaged(what, &drawn) > 0) ++damaged_runs;
        drawn_runs += drawn > 0;
        ++runs;
      }
    }
    gst_harness_teardown(h);
  }
  g_print("%d odd-size frames drawn (%d with changed samples), %d wrote outside the frame\n", runs, drawn_runs,
          damaged_runs);
  fail_unless_equals_int(damaged_runs, 0);
  fail_unless_equals_int(drawn_runs, runs);  // every frame got a box: the check saw real drawing
}
GST_END_TEST;

// Label height (bar of the known colour above the box) and line width at 320x240
// and 1920x1080, with the automatic sizes; real detection at both sizes.
GST_START_TEST(test_overlay_frame_sizes) {
  int bar_h[2] = {0, 0};
  const cv::Size sizes[2] = {{320, 240}, {1920, 1080}};
  for (int i = 0; i < 2; ++i) {
    const int W = sizes[i].width, H = sizes[i].height;
    const cv::Mat img = load_resized("images/227943776_1.jpg", W, H);
    for (GstVideoFormat fmt : {GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_I420}) {
      const GstVideoInfo info = make_info(fmt, W, H);
      // real detection: a yellow (detected-only) box around the face
      GstHarness* hd = gst_harness_new_parse((std::string("facedetect-dnn ! ") + kOverlay).c_str());
      set_caps(hd, info);
      GstBuffer* out = push_pull(hd, make_buffer(img, info));
      auto rois = face_rois(out);
      fail_if(rois.empty(), "%dx%d: no face detected", W, H);
      const cv::Mat det = to_bgr(out, info);
      const cv::Rect b = roi_rect(rois[0]);
      const cv::Vec3b p = det.at<cv::Vec3b>(b.y + b.height / 2, b.x);
      fail_unless(p[1] >= 170 && p[2] >= 170 && p[0] <= 90, "%dx%d %s: detected box not yellow %s",
                  W, H, gst_video_format_to_string(fmt), px_str(p).c_str());
      gst_buffer_unref(out);
      gst_harness_teardown(hd);

      // hand-made known face, label measured
      GstHarness* h = gst_harness_new(kOverlay);
      set_caps(h, info);
      GstBuffer* in = make_buffer(img, info);
      const cv::Rect box(W / 4, H / 3, W / 4, H / 3);
      add_face(in, 1, box, true, true, "Franck");
      out = push_pull(h, in);
      const cv::Mat bgr = to_bgr(out, info);
      int n = 0;
      for (int y = box.y - 1; y >= 0 && greenish(bgr.at<cv::Vec3b>(y, box.x + 1)); --y) ++n;
      int lw = 0;
      for (int x = box.x; x < box.x + 20 && greenish(bgr.at<cv::Vec3b>(box.y + box.height / 2, x)); ++x)
        ++lw;
      g_print("%dx%d %s: label bar %d px high, line %d px\n", W, H, gst_video_format_to_string(fmt),
              n, lw);
      if (fmt == GST_VIDEO_FORMAT_BGR) {
        bar_h[i] = n;
        fail_unless_equals_int(lw, i == 0 ? 2 : 3);
      }
      fail_unless(n >= 12, "label bar only %d px high", n);
      gst_buffer_unref(out);
      gst_harness_teardown(h);
    }
  }
  fail_unless(bar_h[1] >= 2 * bar_h[0], "1080p label (%d px) not scaled from 240p (%d px)", bar_h[1],
              bar_h[0]);
}
GST_END_TEST;

GST_START_TEST(test_overlay_properties) {
  GstElement* e = gst_element_factory_make(kOverlay, nullptr);
  fail_unless(e != nullptr);
  guint kc = 0, uc = 0, dc = 0;
  gint lw = -1, pos = -1;
  gdouble fs = -1;
  gboolean score = FALSE, lm = TRUE, track = TRUE;
  g_object_get(e, "known-color", &kc, "unknown-color", &uc, "detected-color", &dc, "line-width", &lw,
               "font-scale", &fs, "label-position", &pos, "show-score", &score, "draw-landmarks",
               &lm, "show-track-id", &track, nullptr);
  // the README's documented defaults (its element table; test_documented_defaults parses it)
  fail_unless(kc == 0x00FF00 && uc == 0xFF0000 && dc == 0xFFFF00);
  fail_unless(lw == 0 && fs == 0.0 && pos == 0 && score && !lm && !track);
  gst_object_unref(e);

  const int W = 200, H = 150;
  const cv::Rect box(60, 50, 80, 80);
  auto run = [&](GstVideoFormat fmt, const std::vector<std::pair<const char*, const char*>>& props,
                 const char* label, bool recognised) {
    GstHarness* h = gst_harness_new(kOverlay);
    for (const auto& [k, v] : props) gst_util_set_object_arg(G_OBJECT(h->element), k, v);
    const GstVideoInfo info = make_info(fmt, W, H);
    set_caps(h, info);
    GstBuffer* in = grey_buffer(info, 0);
    auto* roi = add_face(in, 1, box, true, recognised, label);
    gst_facerec_roi_set_tracking(roi, 12345, 0, 0, 0);
    GstBuffer* out = push_pull(h, in);
    cv::Mat bgr = to_bgr(out, info);
    gst_buffer_unref(out);
    gst_harness_teardown(h);
    return bgr;
  };
  auto is = [](const cv::Vec3b& p, guint rgb) {
    return p[2] == ((rgb >> 16) & 0xFF) && p[1] == ((rgb >> 8) & 0xFF) && p[0] == (rgb & 0xFF);
  };
  auto count_colour = [&](const cv::Mat& m, cv::Rect r, guint rgb) {
    int n = 0;
    r &= cv::Rect(0, 0, m.cols, m.rows);
    for (int y = r.y; y < r.y + r.height; ++y)
      for (int x = r.x; x < r.x + r.width; ++x) n += is(m.at<cv::Vec3b>(y, x), rgb);
    return n;
  };
  // colours, in the channel order of each packed format
  for (GstVideoFormat fmt : {GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_xRGB}) {
    cv::Mat m = run(fmt, {{"known-color", "0x123456"}}, "Ann", true);
    fail_unless(is(m.at<cv::Vec3b>(box.y + 40, box.x), 0x123456), "%s known-color",
                gst_video_format_to_string(fmt));
    m = run(fmt, {{"unknown-color", "0xA0B0C0"}}, nullptr, true);
    fail_unless(is(m.at<cv::Vec3b>(box.y + 40, box.x), 0xA0B0C0), "unknown-color");
    m = run(fmt, {{"detected-color", "0x0000FF"}}, nullptr, false);
    fail_unless(is(m.at<cv::Vec3b>(box.y + 40, box.x), 0x0000FF), "detected-color");
  }
  // line-width: drawn inside the box
  cv::Mat m = run(GST_VIDEO_FORMAT_BGR, {{"line-width", "5"}}, "Ann", true);
  fail_unless(is(m.at<cv::Vec3b>(box.y + 40, box.x + 4), 0x00FF00));
  fail_unless(is(m.at<cv::Vec3b>(box.y + 40, box.x + 5), 0x808080));
  fail_unless(is(m.at<cv::Vec3b>(box.y + 40, box.x - 1), 0x808080));
  // label positions
  const cv::Rect above(box.x + 5, box.y - 10, 30, 10), below(box.x + 5, box.y + box.height, 30, 10),
      inside(box.x + 5, box.y + 2, 30, 16);
  m = run(GST_VIDEO_FORMAT_BGR, {}, "Ann", true);
  fail_unless(count_colour(m, above, 0x00FF00) > 100 && count_colour(m, below, 0x00FF00) == 0);
  m = run(GST_VIDEO_FORMAT_BGR, {{"label-position", "below"}}, "Ann", true);
  fail_unless(count_colour(m, below, 0x00FF00) > 100 && count_colour(m, above, 0x00FF00) == 0);
  m = run(GST_VIDEO_FORMAT_BGR, {{"label-position", "inside"}}, "Ann", true);
  fail_unless(count_colour(m, inside, 0x00FF00) > 100 && count_colour(m, above, 0x00FF00) == 0);
  // show-score: a longer label
  const cv::Rect row(0, box.y - 6, W, 3);
  const int with = count_colour(run(GST_VIDEO_FORMAT_BGR, {}, "Ann", true), row, 0x00FF00);
  const int without =
      count_colour(run(GST_VIDEO_FORMAT_BGR, {{"show-score", "false"}}, "Ann", true), row, 0x00FF00);
  g_print("label bar pixels with score %d, without %d\n", with, without);
  fail_unless(with > without + 40);
  // show-track-id: " #12345" makes the label longer; off by default
  const int with_id =
      count_colour(run(GST_VIDEO_FORMAT_BGR, {{"show-track-id", "true"}}, "Ann", true), row, 0x00FF00);
  g_print("label bar pixels with the track id %d\n", with_id);
  fail_unless(with_id > with + 60);
  // font-scale
  const int big =
      count_colour(run(GST_VIDEO_FORMAT_BGR, {{"font-scale", "1.0"}}, "Ann", true), cv::Rect(0, 0, W, box.y), 0x00FF00);
  fail_unless(big > 2 * count_colour(run(GST_VIDEO_FORMAT_BGR, {}, "Ann", true), cv::Rect(0, 0, W, box.y), 0x00FF00));
  // landmarks: the nose (0.5, 0.55 of the box) in landmark-color
  for (GstVideoFormat fmt : {GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_I420}) {
    m = run(fmt, {{"draw-landmarks", "true"}, {"landmark-color", "0x0000FF"}}, "Ann", true);
    const cv::Vec3b nose = m.at<cv::Vec3b>(box.y + 44, box.x + 40);
    fail_unless(nose[0] >= 170 && nose[1] <= 90 && nose[2] <= 90, "%s: landmark not blue %s",
                gst_video_format_to_string(fmt), px_str(nose).c_str());
    m = run(fmt, {{"landmark-color", "0x0000FF"}}, "Ann", true);
    fail_unless(m.at<cv::Vec3b>(box.y + 44, box.x + 40)[0] < 170, "landmarks drawn by default");
  }
}
GST_END_TEST;

// ---------------------------------------------------------------------------
// faceexport

// The validator itself rejects what the schema forbids.
GST_START_TEST(test_export_validator) {
  const std::string good =
      "{\"frame\": 0, \"pts\": null, \"source\": null, \"width\": 64, \"height\": 48, \"faces\": "
      "[{\"box\": {\"x\": 1, \"y\": 2, \"width\": 3, \"height\": 4}, \"box_normalized\": {\"x\": "
      "0.1, \"y\": 0.2, \"width\": 0.3, \"height\": 0.4}, \"confidence\": 0.5, \"landmarks\": "
      "[[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]], \"name\": \"A\\u00e9\", \"label_id\": 0, "
      "\"score\": 0.9, \"distance\": 0.3, \"track_id\": 7}]}";
  assert_valid(good);
  const std::pair<std::string, std::string> bad[] = {
      {"\"frame\": 0,", "\"frame\": \"0\","},
      {"\"frame\": 0,", "\"frame\": 0.5,"},
      {"\"frame\": 0,", ""},
      {"\"width\": 64", "\"width\": 64, \"extra\": 1"},
      {"\"confidence\": 0.5", "\"confidence\": 1.5"},
      {"\"x\": 0.1", "\"x\": -0.1"},
      {"[[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]", "[[1, 2], [3, 4], [5, 6], [7, 8]]"},
      {"[9, 10]", "[9, 10, 11]"},
      {"\"name\": \"A\\u00e9\"", "\"name\": 3"},
      {"\"track_id\": 7", "\"track_id\": [7]"},
      {"\"label_id\": 0", "\"label_id\": -2"},
      {"\"score\": 0.9, ", ""},
      {"\"faces\": [", "\"faces\": [1, "},
      {"{\"frame\"", "{{\"frame\""},
  };
  for (const auto& [from, to] : bad) {
    std::string line = good;
    const size_t p = line.find(from);
    fail_unless(p != std::string::npos, "test bug: %s", from.c_str());
    line.replace(p, from.size(), to);
    const auto errors = schema_errors(line);
    fail_if(errors.empty(), "validator accepted %s", line.c_str());
    g_print("rejected (%s -> %s): %s\n", from.c_str(), to.c_str(), errors[0].c_str());
  }
  // every property of the schema is documented
  testutil::assert_documented(testutil::schema("faceexport.schema.json"));
}
GST_END_TEST;

// Real models, embeddings=true: every line matches the schema, 128 floats per face,
// names as recognised; hand-made ROIs cover the null / tracking branches.
GST_START_TEST(test_export_schema_real) {
  const TrainedModel& tm = trained_model();
  const std::string dir = temp_dir();
  for (bool embeddings : {true, false}) {
    const std::string path = dir + (embeddings ? "/emb.jsonl" : "/plain.jsonl");
    GstHarness* h = gst_harness_new_parse(
        ("facedetect-dnn ! facerecognize model=" + tm.path + " ! faceexport location=" + path +
         (embeddings ? " embeddings=true" : ""))
            .c_str());
    GstClockTime pts = 0;
    for (const std::string& file :
         {tm.test_images[0], tm.test_images[2], testutil::testdata("images/messi5.jpg")}) {
      cv::Mat img = cv::imread(file, cv::IMREAD_COLOR);
      fail_if(img.empty());
      const GstVideoInfo info = make_info(GST_VIDEO_FORMAT_BGR, img.cols, img.rows);
      set_caps(h, info);
      GstBuffer* in = make_buffer(img, info);
      GST_BUFFER_PTS(in) = pts;
      pts += 40 * GST_MSECOND;
      gst_buffer_unref(push_pull(h, in));
    }
    gst_harness_teardown(h);

    const auto lines = read_lines(path);
    fail_unless_equals_int(lines.size(), 3);
    int faces = 0, named = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
      assert_valid(lines[i]);
      const Json o = parse_json(lines[i]);
      fail_unless_equals_int(static_cast<int>(o.at("frame").num()), static_cast<int>(i));
      for (const Json& f : o.at("faces").items()) {
        ++faces;
        if (embeddings) {
          fail_unless_equals_int(f.at("embedding").size(), 128);
        } else {
          fail_unless(!f.get("embedding"));
        }
        if (f.at("name").type() == Json::String) ++named;
      }
    }
    // the first two images: their person named (largest face)
    for (int i = 0; i < 2; ++i) {
      const Json o = parse_json(lines[static_cast<size_t>(i)]);
      const std::string want = tm.labels[i == 0 ? 0 : 2];
      fail_unless(lines[static_cast<size_t>(i)].find("\"name\":\"" + want + "\"") != std::string::npos,
                  "line %d does not name %s: %s", i, want.c_str(), lines[static_cast<size_t>(i)].c_str());
      fail_unless(o.at("pts").num() == i * 40.0 * GST_MSECOND);
      fail_unless(o.at("width").num() > 0);
    }
    g_print("%s: %zu lines, %d faces, %d named\n", path.c_str(), lines.size(), faces, named);
    fail_unless(named >= 2);
  }
  drop_trained_model();
  std::filesystem::remove_all(dir);
}
GST_END_TEST;

// Hand-made ROIs: tracking ids, no params, unknown, a box past the frame edge,
// no PTS, embeddings=true without embedding meta.
GST_START_TEST(test_export_handmade) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/hand.jsonl";
  GstHarness* h = gst_harness_new_parse(("faceexport embeddings=true location=" + path).c_str());
  const GstVideoInfo info = make_info(GST_VIDEO_FORMAT_BGR, 64, 48);
  set_caps(h, info);
  GstBuffer* in = grey_buffer(info, GST_CLOCK_TIME_NONE);
  auto* r1 = add_face(in, 101, cv::Rect(1, 2, 10, 12), true, true, "Zoë \"Q\"\\Tab\t");
  gst_video_region_of_interest_meta_add_param(
      r1, gst_structure_new("tracking", "id", G_TYPE_UINT64, G_GUINT64_CONSTANT(9000000000), nullptr));
  auto* r2 = add_face(in, 102, cv::Rect(40, 30, 40, 40), false, false, nullptr);
  gst_video_region_of_interest_meta_add_param(
      r2, gst_structure_new("object_id", "id", G_TYPE_STRING, "car-7", nullptr));
  add_face(in, 103, cv::Rect(5, 5, 8, 8), true, true, nullptr);
  const float emb[4] = {0.25f, -1.5f, 3.0e-8f, 1.0f / 3.0f};
  gst_buffer_add_facerec_embedding_meta(in, 103, "test", emb, 4);
  gst_buffer_unref(push_pull(h, in));
  gst_harness_teardown(h);
  const auto lines = read_lines(path);
  fail_unless_equals_int(lines.size(), 1);
  g_print("%s\n", lines[0].c_str());
  assert_valid(lines[0]);
  const Json last = parse_json(lines[0]);
  fail_unless(last.at("pts").is_null());
  fail_unless(last.at("source").is_null());
  fail_unless(last.at("width").num() == 64 && last.at("height").num() == 48);
  const auto lf = last.at("faces").items();
  fail_unless_equals_int(lf.size(), 3);
  const Json f1 = lf[0];
  const Json f2 = lf[1];
  const Json f3 = lf[2];
  fail_unless(f1.at("name").str() == "Zoë \"Q\"\\Tab\t");
  fail_unless(lines[0].find("\"name\":\"Zo") != std::string::npos);  // UTF-8 as is
  fail_unless(f1.at("track_id").num() == 9e9 && f1.at("label_id").num() == 0);
  fail_unless(f1.at("landmarks").size() == 5 && f1.at("confidence").num() == 0.875);
  fail_unless(f1.at("embedding").is_null());
  fail_unless(std::fabs(f1.at("box_normalized").at("x").num() - 1.0 / 64) < 1e-5);
  fail_unless(f2.at("track_id").str() == "car-7");
  fail_unless(f2.at("confidence").is_null() && f2.at("landmarks").is_null());
  fail_unless(f2.at("score").is_null() && f2.at("distance").is_null() &&
              f2.at("label_id").is_null() && f2.at("name").is_null());
  // clipped: 40..64 of 64 wide, 30..48 of 48 high
  fail_unless(std::fabs(f2.at("box_normalized").at("width").num() - 24.0 / 64) < 1e-5);
  fail_unless(std::fabs(f2.at("box_normalized").at("height").num() - 18.0 / 48) < 1e-5);
  fail_unless(f2.at("box").at("width").num() == 40);
  fail_unless(f3.at("name").is_null() && f3.at("label_id").num() == -1 &&
              f3.at("track_id").is_null());
  // floats round-trip
  const Json e = f3.at("embedding");
  fail_unless_equals_int(e.size(), 4);
  for (int i = 0; i < 4; ++i) fail_unless(static_cast<float>(e[static_cast<size_t>(i)].num()) == emb[i]);
  std::filesystem::remove_all(dir);
}
GST_END_TEST;

// Each buffer's line is in the file, whole, as soon as the buffer has passed
// (read while the element is still PLAYING).
GST_START_TEST(test_export_line_per_buffer) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/live.jsonl";
  GstHarness* h = gst_harness_new_parse(("faceexport location=" + path).c_str());
  const GstVideoInfo info = make_info(GST_VIDEO_FORMAT_GRAY8, 64, 48);
  set_caps(h, info);
  for (int i = 0; i < 5; ++i) {
    GstBuffer* in = grey_buffer(info, i * 40 * GST_MSECOND);
    for (int j = 0; j < i; ++j) add_face(in, j + 1, cv::Rect(j * 5, j * 4, 10, 10), true, j % 2, "P");
    gst_buffer_unref(push_pull(h, in));
    const std::string text = read_file(path);
    fail_unless(!text.empty() && text.back() == '\n', "after buffer %d: no whole line", i);
    const auto lines = read_lines(path);
    fail_unless_equals_int(lines.size(), i + 1);
    assert_valid(lines.back());
    fail_unless_equals_int(parse_json(lines.back()).at("faces").size(), i);
    fail_unless(lines.back().rfind("{\"frame\":" + std::to_string(i) + ",", 0) == 0);  // field order
  }
  gst_harness_teardown(h);
  std::filesystem::remove_all(dir);
}
GST_END_TEST;

// append=false truncates, append=true continues; "frame" restarts at 0 per run.
GST_START_TEST(test_export_append) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/runs.jsonl";
  auto run = [&](int buffers, bool append, const char* source) {
    // properties that take effect at start: set before the harness starts it
    GstElement* e = gst_element_factory_make("faceexport", nullptr);
    fail_unless(e != nullptr);
    g_object_set(e, "location", path.c_str(), "append", append, "source", source, nullptr);
    GstHarness* h = gst_harness_new_with_element(e, "sink", "src");
    gst_object_unref(e);
    const GstVideoInfo info = make_info(GST_VIDEO_FORMAT_GRAY8, 32, 24);
    set_caps(h, info);
    for (int i = 0; i < buffers; ++i) {
      GstBuffer* in = grey_buffer(info, i * GST_SECOND);
      add_face(in, 1, cv::Rect(1, 1, 8, 8), true, true, "Franck");
      gst_buffer_unref(push_pull(h, in));
    }
    gst_harness_teardown(h);
  };
  run(2, false, "run-1");
  fail_unless_equals_int(read_lines(path).size(), 2);
  run(3, true, "run-2");
  auto lines = read_lines(path);
  fail_unless_equals_int(lines.size(), 5);
  const int frames[] = {0, 1, 0, 1, 2};
  const char* sources[] = {"run-1", "run-1", "run-2", "run-2", "run-2"};
  for (size_t i = 0; i < lines.size(); ++i) {
    assert_valid(lines[i]);
    const Json o = parse_json(lines[i]);
    fail_unless_equals_int(static_cast<int>(o.at("frame").num()), frames[i]);
    fail_unless(o.at("source").str() == sources[i]);
    fail_unless(o.at("faces")[0].at("name").str() == "Franck");
  }
  run(1, false, nullptr);
  lines = read_lines(path);
  fail_unless_equals_int(lines.size(), 1);
  fail_unless(parse_json(lines[0]).at("source").is_null());
  std::filesystem::remove_all(dir);
}
GST_END_TEST;

// "source" is the upstream URI when the property is not set.
GST_START_TEST(test_export_source_uri) {
  const std::string dir = temp_dir();
  const std::string path = dir + "/uri.jsonl";
  const std::string image = testutil::testdata("images/messi5.jpg");
  if (!testutil::require_element("jpegdec")) return;
  const std::string desc = "filesrc location=\"" + image +
                           "\" ! jpegdec ! videoconvert ! faceexport location=\"" + path +
                           "\" ! fakesink";
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(desc.c_str(), &err);
  fail_unless(pipe != nullptr, "%s", err ? err->message : "");
  gst_element_set_state(pipe, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipe);
  GstMessage* msg = gst_bus_timed_pop_filtered(
      bus, 30 * GST_SECOND, static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(msg != nullptr && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS);
  gst_message_unref(msg);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipe);
  const auto lines = read_lines(path);
  fail_unless_equals_int(lines.size(), 1);
  assert_valid(lines[0]);
  gchar* uri = gst_filename_to_uri(image.c_str(), nullptr);
  g_print("%s\n", lines[0].c_str());
  fail_unless(parse_json(lines[0]).at("source").str() == uri, "source is not %s", uri);
  g_free(uri);
  std::filesystem::remove_all(dir);
}
GST_END_TEST;

GST_START_TEST(test_export_errors) {
  const std::string bad = "/nonexistent/dir/faces.jsonl";
  expect_start_error("videotestsrc num-buffers=1 ! faceexport location=" + bad + " ! fakesink", bad);
  expect_start_error(
      "videotestsrc num-buffers=1 ! faceexport append=true location=" + bad + " ! fakesink", bad);
  const std::string dir = temp_dir();
  expect_start_error("videotestsrc num-buffers=1 ! faceexport location=" + dir + " ! fakesink", dir);
  std::filesystem::remove_all(dir);
  expect_start_error("videotestsrc num-buffers=1 ! faceexport ! fakesink", "location");
  // a write that fails while streaming: ERROR naming the file, flow error
  if (testutil::require(g_file_test("/dev/full", G_FILE_TEST_EXISTS), "/dev/full does not exist",
                        "the test needs Linux's always-full device (mknod -m 666 /dev/full c 1 7)")) {
    GstHarness* h = gst_harness_new_parse("faceexport location=/dev/full");
    const GstVideoInfo info = make_info(GST_VIDEO_FORMAT_GRAY8, 16, 16);
    GstBus* bus = gst_bus_new();
    gst_element_set_bus(h->element, bus);
    set_caps(h, info);
    fail_unless_equals_int(gst_harness_push(h, grey_buffer(info, 0)), GST_FLOW_ERROR);
    bool named = false;
    for (GstMessage* msg; (msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR));) {
      GError* gerr = nullptr;
      gst_message_parse_error(msg, &gerr, nullptr);
      g_print("  error message: %s\n", gerr->message);
      named = named || std::strstr(gerr->message, "/dev/full") != nullptr;
      g_error_free(gerr);
      gst_message_unref(msg);
    }
    gst_bus_set_flushing(bus, TRUE);  // its messages hold the bin that holds the bus
    gst_object_unref(bus);
    gst_harness_teardown(h);
    fail_unless(named, "no ERROR naming /dev/full");
  }
}
GST_END_TEST;

static Suite* overlay_export_suite(void) {
  Suite* s = suite_create("facerec-overlay-export");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 600);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_overlay_all_formats);
  tcase_add_test(tc, test_overlay_real_recognition);
  tcase_add_test(tc, test_overlay_odd_sizes);
  tcase_add_test(tc, test_overlay_frame_sizes);
  tcase_add_test(tc, test_overlay_properties);
  tcase_add_test(tc, test_export_validator);
  tcase_add_test(tc, test_export_schema_real);
  tcase_add_test(tc, test_export_handmade);
  tcase_add_test(tc, test_export_line_per_buffer);
  tcase_add_test(tc, test_export_append);
  tcase_add_test(tc, test_export_source_uri);
  tcase_add_test(tc, test_export_errors);
  return s;
}

GST_CHECK_MAIN(overlay_export);
