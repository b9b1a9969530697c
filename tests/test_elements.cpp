// GstHarness tests for the four elements of the facerec plugin, on real images
// and the real default models.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gst/check/gstcheck.h>
#include <gst/check/gstharness.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "common.h"
#include "gsttest.h"
#include "facemeta.h"
#include "facerec/aligner.h"
#include "facerec/embedder.h"
#include "facerec/models.h"

namespace {

constexpr const char* kOverlay = "facerec-overlay";  // "faceoverlay" is gst-plugins-bad's

struct KnownFace {
  const char* file;
  cv::Point centre;  // roughly the nose, checked to lie inside the detected box
};
const KnownFace kImages[] = {
    {"images/227943776_1.jpg", {220, 185}},
    {"images/230501201_1.jpg", {330, 410}},
    {"images/messi5.jpg", {240, 110}},
};

using testutil::caps_string;

using testutil::copy_rows;

using testutil::make_buffer;

using testutil::load_image;

using testutil::face_rois;

using testutil::roi_rect;

// The face ROI whose box contains p, or nullptr.
GstVideoRegionOfInterestMeta* face_at(GstBuffer* buf, cv::Point p) {
  for (auto* r : face_rois(buf))
    if (roi_rect(r).contains(p)) return r;
  return nullptr;
}

double iou(const cv::Rect& a, const cv::Rect& b) {
  const double inter = (a & b).area();
  const double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

GstBuffer* push_pull(GstHarness* h, const cv::Mat& bgr, GstVideoFormat fmt) {
  gst_harness_set_src_caps_str(h, caps_string(fmt, bgr.cols, bgr.rows).c_str());
  GstBuffer* in = make_buffer(bgr, fmt);
  GST_BUFFER_PTS(in) = 0;
  fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  fail_unless(out != nullptr);
  return out;
}

using testutil::expect_start_error;

std::string temp_path(const char* name) {
  gchar* dir = g_dir_make_tmp("facerec-elements-XXXXXX", nullptr);
  fail_unless(dir != nullptr);
  std::string p = std::string(dir) + "/" + name;
  g_free(dir);
  return p;
}

void remove_temp(const std::string& path) {
  g_unlink(path.c_str());
  gchar* dir = g_path_get_dirname(path.c_str());
  g_rmdir(dir);
  g_free(dir);
}

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

size_t count_of(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

GstVideoRegionOfInterestMeta* add_face(GstBuffer* buf, int id, cv::Rect r, bool detection,
                                       const char* label, bool known) {
  GstVideoRegionOfInterestMeta* roi;
  if (detection) {
    double lm[10];
    for (int i = 0; i < 10; ++i) lm[i] = (i % 2 ? r.y + r.height / 2.0 : r.x + r.width / 2.0) + i;
    roi = gst_buffer_add_facerec_face(buf, r.x, r.y, r.width, r.height, 0.875, lm, TRUE);
  } else {  // a box-only ROI, as videoscale or another detector leaves it
    roi = gst_buffer_add_video_region_of_interest_meta(buf, GST_FACEREC_ROI_TYPE, r.x, r.y, r.width, r.height);
  }
  roi->id = id;
  if (label != nullptr || !known) gst_facerec_roi_set_recognition(roi, known ? label : nullptr, 0, 0.5, 0.3);
  return roi;
}

}  // namespace

// ---------------------------------------------------------------------------
// facedetect-dnn

GST_START_TEST(test_detect_real_images) {
  GstHarness* h = gst_harness_new("facedetect-dnn");
  for (const KnownFace& k : kImages) {
    cv::Mat img = load_image(k.file);
    GstBuffer* out = push_pull(h, img, GST_VIDEO_FORMAT_BGR);
    GstVideoRegionOfInterestMeta* roi = face_at(out, k.centre);
    fail_unless(roi != nullptr, "%s: no face box contains (%d,%d)", k.file, k.centre.x, k.centre.y);
    g_print("%s: %zu face(s); face at %u,%u %ux%u id %d\n", k.file, face_rois(out).size(), roi->x,
            roi->y, roi->w, roi->h, roi->id);
    fail_unless(roi->id >= 1);
    fail_unless(roi->x + roi->w <= static_cast<guint>(img.cols));
    fail_unless(roi->y + roi->h <= static_cast<guint>(img.rows));
    GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, GST_FACEREC_DETECTION);
    fail_unless(s != nullptr);
    double conf = 0;
    fail_unless(gst_structure_get_double(s, "confidence", &conf));
    fail_unless(conf > 0.5 && conf <= 1.0, "confidence %f", conf);
    gboolean fresh = FALSE;
    fail_unless(gst_structure_get_boolean(s, "fresh", &fresh) && fresh);
    const GValue* lm = gst_structure_get_value(s, "landmarks");
    fail_unless(lm != nullptr && GST_VALUE_HOLDS_ARRAY(lm));
    fail_unless_equals_int(gst_value_array_get_size(lm), 10);
    for (guint i = 0; i < 10; ++i)
      fail_unless(G_VALUE_HOLDS_DOUBLE(gst_value_array_get_value(lm, i)));
    // through the public helper: eyes inside the box, left eye left of right eye
    double c2 = 0, pts[10];
    fail_unless(gst_facerec_roi_get_detection(roi, &c2, pts));
    fail_unless(c2 == conf);
    fail_unless(pts[0] < pts[2]);
    fail_unless(roi_rect(roi).contains(cv::Point(static_cast<int>(pts[0]), static_cast<int>(pts[1]))));
    fail_unless(roi_rect(roi).contains(cv::Point(static_cast<int>(pts[4]), static_cast<int>(pts[5]))));
    // unique ids
    auto rois = face_rois(out);
    for (size_t i = 0; i < rois.size(); ++i)
      for (size_t j = i + 1; j < rois.size(); ++j) fail_if(rois[i]->id == rois[j]->id);
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_detect_formats) {
  GstHarness* h = gst_harness_new("facedetect-dnn");
  for (int i = 0; i < 2; ++i) {  // the two big frontal faces (even sizes)
    const KnownFace& k = kImages[i];
    cv::Mat img = load_image(k.file);
    GstBuffer* ref = push_pull(h, img, GST_VIDEO_FORMAT_BGR);
    GstVideoRegionOfInterestMeta* rr = face_at(ref, k.centre);
    fail_unless(rr != nullptr);
    const cv::Rect ref_box = roi_rect(rr);
    for (GstVideoFormat fmt :
         {GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_GRAY8,
          GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_xRGB,
          GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_ARGB}) {
      GstBuffer* out = push_pull(h, img, fmt);
      GstVideoRegionOfInterestMeta* r = face_at(out, k.centre);
      fail_unless(r != nullptr, "%s as %s: no face", k.file, gst_video_format_to_string(fmt));
      const double v = iou(roi_rect(r), ref_box);
      g_print("%s as %s: IoU with BGR %.3f\n", k.file, gst_video_format_to_string(fmt), v);
      fail_unless(v >= 0.7, "%s as %s: IoU %.3f", k.file, gst_video_format_to_string(fmt), v);
      gst_buffer_unref(out);
    }
    gst_buffer_unref(ref);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_detect_odd_sizes) {
  GstHarness* h = gst_harness_new("facedetect-dnn");
  const cv::Size sizes[] = {{1, 1}, {2, 2}, {3, 3}, {33, 17}, {17, 33}, {5, 1}};
  const GstVideoFormat fmts[] = {GST_VIDEO_FORMAT_BGR,  GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12,
                                 GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_xRGB,
                                 GST_VIDEO_FORMAT_GRAY8, GST_VIDEO_FORMAT_RGB};
  for (const cv::Size& s : sizes) {
    for (GstVideoFormat fmt : fmts) {
      gst_harness_set_src_caps_str(h, caps_string(fmt, s.width, s.height).c_str());
      GstVideoInfo info;
      gst_video_info_set_format(&info, fmt, s.width, s.height);
      GstBuffer* in = gst_buffer_new_allocate(nullptr, info.size, nullptr);
      GstMapInfo map;
      gst_buffer_map(in, &map, GST_MAP_WRITE);
      for (gsize i = 0; i < map.size; ++i) map.data[i] = static_cast<guint8>(i * 37 + 11);
      gst_buffer_unmap(in, &map);
      fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
      GstBuffer* out = gst_harness_pull(h);
      fail_unless(out != nullptr);
      for (auto* r : face_rois(out)) {  // whatever it found must lie inside
        fail_unless(r->w >= 1 && r->h >= 1);
        fail_unless(r->x + r->w <= static_cast<guint>(s.width));
        fail_unless(r->y + r->h <= static_cast<guint>(s.height));
      }
      gst_buffer_unref(out);
    }
  }
  // a real face at an odd size, as I420: still found
  cv::Mat img = load_image(kImages[0].file);
  cv::Mat odd = img(cv::Rect(0, 0, 433, 431)).clone();
  gst_harness_set_src_caps_str(h, caps_string(GST_VIDEO_FORMAT_I420, odd.cols, odd.rows).c_str());
  {
    GstVideoInfo info;
    gst_video_info_set_format(&info, GST_VIDEO_FORMAT_I420, odd.cols, odd.rows);
    // build the planes from an even-size conversion, cropped
    cv::Mat even;
    cv::copyMakeBorder(odd, even, 0, 1, 0, 1, cv::BORDER_REPLICATE);
    cv::Mat yuv;
    cv::cvtColor(even, yuv, cv::COLOR_BGR2YUV_I420);
    GstBuffer* in = gst_buffer_new_allocate(nullptr, info.size, nullptr);
    GstVideoFrame f;
    fail_unless(gst_video_frame_map(&f, &info, in, GST_MAP_WRITE));
    const int W = even.cols, H = even.rows;
    copy_rows(yuv.data, W, odd.rows, odd.cols, &f, 0);
    copy_rows(yuv.data + W * H, W / 2, H / 2, W / 2, &f, 1);
    copy_rows(yuv.data + W * H + (W / 2) * (H / 2), W / 2, H / 2, W / 2, &f, 2);
    gst_video_frame_unmap(&f);
    fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(h);
    fail_unless(face_at(out, kImages[0].centre) != nullptr, "no face in the odd-size I420 frame");
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_detect_ids_above_existing) {
  GstHarness* h = gst_harness_new("facedetect-dnn");
  cv::Mat img = load_image(kImages[0].file);
  gst_harness_set_src_caps_str(h, caps_string(GST_VIDEO_FORMAT_BGR, img.cols, img.rows).c_str());
  GstBuffer* in = make_buffer(img, GST_VIDEO_FORMAT_BGR);
  auto* other = gst_buffer_add_video_region_of_interest_meta(in, "car", 0, 0, 10, 10);
  other->id = 41;
  fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  auto rois = face_rois(out);
  fail_unless(!rois.empty());
  for (auto* r : rois) fail_unless(r->id > 41, "id %d", r->id);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_detect_missing_model) {
  const std::string missing = "/nonexistent/dir/no_such_detector.onnx";
  expect_start_error("videotestsrc num-buffers=1 ! facedetect-dnn model=" + missing + " ! fakesink",
                     missing);
}
GST_END_TEST;

GST_START_TEST(test_detect_corrupt_model) {
  const std::string path = temp_path("corrupt_detector.onnx");
  {
    std::ofstream f(path, std::ios::binary);
    for (int i = 0; i < 4096; ++i) f.put(static_cast<char>((i * 7919) & 0xff));
  }
  expect_start_error("videotestsrc num-buffers=1 ! facedetect-dnn model=" + path + " ! fakesink",
                     path);
  remove_temp(path);
}
GST_END_TEST;

GST_START_TEST(test_detect_properties) {
  GstElement* e = gst_element_factory_make("facedetect-dnn", nullptr);
  fail_unless(e != nullptr);
  gdouble conf = 0, nms = 0;
  gint min_size = -1, max_faces = -1;
  gchar* model = nullptr;
  g_object_get(e, "confidence-threshold", &conf, "nms-threshold", &nms, "min-face-size", &min_size,
               "max-faces", &max_faces, "model", &model, nullptr);
  // the README's documented defaults (its element table; test_documented_defaults parses it)
  fail_unless(conf == 0.6 && nms == 0.4 && min_size == 0 && max_faces == 0);
  fail_unless(model != nullptr && model[0] == '\0');
  g_free(model);
  gst_util_set_object_arg(G_OBJECT(e), "model-type", "yunet");
  gint type = -1;
  g_object_get(e, "model-type", &type, nullptr);
  fail_unless_equals_int(type, 2);
  gst_object_unref(e);
}
GST_END_TEST;

// max-faces / confidence changed while running take effect on the next frame
GST_START_TEST(test_detect_property_change_while_playing) {
  GstHarness* h = gst_harness_new("facedetect-dnn");
  cv::Mat img = load_image(kImages[0].file);
  GstBuffer* out = push_pull(h, img, GST_VIDEO_FORMAT_BGR);
  fail_unless(!face_rois(out).empty());
  gst_buffer_unref(out);
  g_object_set(h->element, "confidence-threshold", 1.0, nullptr);
  out = push_pull(h, img, GST_VIDEO_FORMAT_BGR);
  for (auto* r : face_rois(out)) {
    double c = 0;
    fail_unless(gst_facerec_roi_get_detection(r, &c, nullptr));
    fail_unless(c >= 1.0 - 1e-6, "face with confidence %f above threshold 1", c);
  }
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

// ---------------------------------------------------------------------------
// facerecognize

GST_START_TEST(test_recognize_embeddings) {
  GstHarness* h = gst_harness_new_parse("facedetect-dnn ! facerecognize");
  for (int i = 0; i < 2; ++i) {
    cv::Mat img = load_image(kImages[i].file);
    GstBuffer* out = push_pull(h, img, GST_VIDEO_FORMAT_BGR);
    auto rois = face_rois(out);
    fail_unless(!rois.empty());
    for (auto* r : rois) {
      GstFaceRecEmbeddingMeta* em = gst_buffer_get_facerec_embedding_meta(out, r->id);
      fail_unless(em != nullptr, "no embedding for face %d", r->id);
      fail_unless_equals_int(em->dim, 128);
      fail_unless(em->embedder_id != nullptr && em->embedder_id[0] != '\0');
      double norm = 0;
      for (guint j = 0; j < em->dim; ++j) norm += em->data[j] * em->data[j];
      // The default embedder (faceplugin-feature-128) is L2-normalised (manifest
      // "l2_normalize"); its raw outputs have norms of about 2.5-3.7, so a lost
      // normalisation leaves this range.
      fail_unless(std::fabs(std::sqrt(norm) - 1.0) < 1e-4, "embedding norm %.6f", std::sqrt(norm));
      fail_unless_equals_string(em->embedder_id, "faceplugin-feature-128");
      // no model: no recognition params
      fail_if(gst_facerec_roi_get_recognition(r, nullptr, nullptr, nullptr, nullptr));
      g_print("%s: face %d embedding %s dim %u\n", kImages[i].file, r->id, em->embedder_id, em->dim);
    }
    gst_buffer_unref(out);
  }
  gst_harness_teardown(h);
}
GST_END_TEST;

// The face of a ROI with both sets of landmarks, as facerecognize reads it.
facerec::Face face_with_coarse(GstVideoRegionOfInterestMeta* r) {
  double lm[10], coarse[10], conf = 0;
  fail_unless(gst_facerec_roi_get_detection(r, &conf, lm));
  fail_unless(gst_facerec_roi_get_coarse_landmarks(r, coarse), "no coarse-landmarks in the detection params");
  facerec::Face f;
  f.box = cv::Rect2f(roi_rect(r));
  for (int i = 0; i < facerec::kNumLandmarks; ++i) {
    f.landmarks[i] = cv::Point2f(float(lm[2 * i]), float(lm[2 * i + 1]));
    f.coarse_landmarks[i] = cv::Point2f(float(coarse[2 * i]), float(coarse[2 * i + 1]));
  }
  f.has_landmarks = f.has_coarse_landmarks = true;
  return f;
}

// facedetect-dnn passes the landmark net's first pass on as "coarse-landmarks", mapped
// to frame pixels like the landmarks (here the detector sees the frame at 0.8x) and moved
// with them between detector runs; facerecognize embeds a face whose passes disagree (the
// profile LFW Jacques_Chirac_0006) under both alignments, exactly as the library does for
// facerec-train and facerec-eval (Embedder::embed_faces).
GST_START_TEST(test_recognize_alignment_variants) {
  const std::string file = "faces/Jacques_Chirac/Jacques_Chirac_0006.jpg";
  if (!testutil::require_data({file})) return;
  GstHarness* h = gst_harness_new_parse("facedetect-dnn processing-width=200 inference-interval=2 ! facerecognize");
  cv::Mat img = load_image(file);
  GstBuffer* out = push_pull(h, img, GST_VIDEO_FORMAT_BGR);
  GstVideoRegionOfInterestMeta* r = face_at(out, cv::Point(img.cols / 2, img.rows / 2));
  fail_unless(r != nullptr, "no face at the centre of %s", file.c_str());
  const facerec::Face f = face_with_coarse(r);
  const float d1 = facerec::landmark_disagreement(f);
  fail_unless(d1 > facerec::kAlignmentDoubt && d1 < 0.15f, "passes %.3f box widths apart", d1);
  GstFaceRecEmbeddingMeta* em = gst_buffer_get_facerec_embedding_meta(out, r->id);
  fail_unless(em != nullptr && em->dim == 128);
  auto emb = facerec::create_embedder(facerec::defaults::kEmbedder);
  const facerec::Embedding lib = emb->embed_faces(img, {f})[0];
  const facerec::Embedding single = emb->embed({emb->align(img, f)})[0];
  double d_lib = 0, d_single = 0;
  for (guint j = 0; j < em->dim; ++j) {
    d_lib += (em->data[j] - lib[j]) * (em->data[j] - lib[j]);
    d_single += (em->data[j] - single[j]) * (em->data[j] - single[j]);
  }
  g_print("%s: element vs library %.2g, vs one alignment %.3f\n", file.c_str(), std::sqrt(d_lib), std::sqrt(d_single));
  fail_unless(std::sqrt(d_lib) < 1e-4, "element embedding differs from the library's by %g", std::sqrt(d_lib));
  fail_unless(std::sqrt(d_single) > 1e-3, "the element embedded one alignment only");
  // The meta layer refuses a ROI without detection params.
  double lm[10] = {0};
  GstVideoRegionOfInterestMeta* bare =
      gst_buffer_add_video_region_of_interest_meta(out, GST_FACEREC_ROI_TYPE, 1, 1, 10, 10);
  fail_if(gst_facerec_roi_set_coarse_landmarks(bare, lm));
  fail_if(gst_facerec_roi_get_coarse_landmarks(bare, lm));
  gst_buffer_unref(out);

  // The next frame (no detector run), the picture moved 12 px right: both sets follow it.
  cv::Mat moved;
  cv::warpAffine(img, moved, cv::Matx23d(1, 0, 12, 0, 1, 0), img.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  GstBuffer* in = testutil::make_buffer(moved, GST_VIDEO_FORMAT_BGR);
  GST_BUFFER_PTS(in) = GST_SECOND / 25;
  fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
  out = gst_harness_pull(h);
  r = face_at(out, cv::Point(img.cols / 2 + 12, img.rows / 2));
  fail_unless(r != nullptr && !gst_facerec_roi_detection_is_fresh(r), "the face carried to the next frame");
  const facerec::Face g = face_with_coarse(r);
  const float d2 = facerec::landmark_disagreement(g);
  g_print("carried 12 px: landmarks moved %.1f px, coarse %.1f px; passes %.3f then %.3f box widths apart\n",
          double(g.landmarks[2].x - f.landmarks[2].x), double(g.coarse_landmarks[2].x - f.coarse_landmarks[2].x),
          double(d1), double(d2));
  for (int i = 0; i < facerec::kNumLandmarks; ++i) {
    const cv::Point2f dl = g.landmarks[i] - f.landmarks[i], dc = g.coarse_landmarks[i] - f.coarse_landmarks[i];
    fail_unless(std::fabs(dl.x - 12.f) < 1.5f && cv::norm(dc - dl) < 0.5, "point %d: landmarks moved (%.1f, %.1f), coarse (%.1f, %.1f)",
                i, double(dl.x), double(dl.y), double(dc.x), double(dc.y));
  }
  fail_unless(std::fabs(d2 - d1) < 0.005f, "passes %.3f apart after the move, %.3f before", d2, d1);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

// Landmarks from another element that are numbers but absurd (1e30: past float range) are
// not used: the face is embedded as if it had none, like a box-only ROI (facerecognize
// runs the landmark net on it). Absurd coarse-landmarks next to good landmarks are ignored.
GST_START_TEST(test_recognize_absurd_landmarks) {
  GstHarness* h = gst_harness_new("facerecognize");
  cv::Mat img = load_image(kImages[0].file);
  gst_harness_set_src_caps_str(h, caps_string(GST_VIDEO_FORMAT_BGR, img.cols, img.rows).c_str());
  const cv::Rect box(146, 79, 148, 210);
  auto embedding = [&](int kind) {
    GstBuffer* in = make_buffer(img, GST_VIDEO_FORMAT_BGR);
    double lm[10], far[10];
    for (int i = 0; i < 10; ++i) far[i] = 1e30;
    // the mean face in the box: plausible landmarks
    const facerec::Landmarks m = facerec::landmarks_from_box(cv::Rect2f(box));
    for (int i = 0; i < 5; ++i) {
      lm[2 * i] = m[size_t(i)].x;
      lm[2 * i + 1] = m[size_t(i)].y;
    }
    GstVideoRegionOfInterestMeta* roi = nullptr;
    if (kind == 0)
      roi = gst_buffer_add_video_region_of_interest_meta(in, GST_FACEREC_ROI_TYPE, box.x, box.y, box.width, box.height);
    else
      roi = gst_buffer_add_facerec_face(in, box.x, box.y, box.width, box.height, 0.9, kind == 1 ? far : lm, TRUE);
    roi->id = 1;
    if (kind == 3) fail_unless(gst_facerec_roi_set_coarse_landmarks(roi, far));
    fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(h);
    GstFaceRecEmbeddingMeta* em = gst_buffer_get_facerec_embedding_meta(out, 1);
    fail_unless(em != nullptr && em->dim == 128, "kind %d: no embedding", kind);
    std::vector<float> e(em->data, em->data + em->dim);
    for (float v : e) fail_unless(std::isfinite(v), "kind %d: embedding not finite", kind);
    gst_buffer_unref(out);
    return e;
  };
  auto dist = [](const std::vector<float>& a, const std::vector<float>& b) {
    double d = 0;
    for (size_t k = 0; k < a.size(); ++k) d += (a[k] - b[k]) * (a[k] - b[k]);
    return std::sqrt(d);
  };
  const auto box_only = embedding(0), absurd = embedding(1), good = embedding(2), absurd_coarse = embedding(3);
  g_print("absurd landmarks vs box only %.2g, absurd coarse vs none %.2g\n", dist(absurd, box_only), dist(absurd_coarse, good));
  fail_unless(dist(absurd, box_only) < 1e-5, "absurd landmarks were used");
  fail_unless(dist(absurd_coarse, good) < 1e-5, "absurd coarse-landmarks were used");
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_recognize_without_params) {
  // ROIs as videoscale leaves them: box only, no "detection" params
  GstHarness* h = gst_harness_new("facerecognize");
  cv::Mat img = load_image(kImages[0].file);
  gst_harness_set_src_caps_str(h, caps_string(GST_VIDEO_FORMAT_BGR, img.cols, img.rows).c_str());
  GstBuffer* in = make_buffer(img, GST_VIDEO_FORMAT_BGR);
  add_face(in, 1, cv::Rect(146, 79, 148, 210), false, nullptr, true);
  add_face(in, 2, cv::Rect(430, 430, 50, 50), false, nullptr, true);   // mostly outside
  add_face(in, 3, cv::Rect(0, 0, 1, 1), false, nullptr, true);         // degenerate
  add_face(in, 4, cv::Rect(100, 100, 60, 60), true, nullptr, true);    // with params
  fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  GstFaceRecEmbeddingMeta* em = gst_buffer_get_facerec_embedding_meta(out, 1);
  fail_unless(em != nullptr);
  fail_unless_equals_int(em->dim, 128);
  fail_unless(gst_buffer_get_facerec_embedding_meta(out, 4) != nullptr);
  gst_buffer_unref(out);
  // a frame without any face passes untouched
  gst_harness_set_src_caps_str(h, caps_string(GST_VIDEO_FORMAT_BGR, 3, 3).c_str());
  in = gst_buffer_new_allocate(nullptr, 3 * 4 * 3, nullptr);
  gst_buffer_memset(in, 0, 0, 36);
  add_face(in, 7, cv::Rect(0, 0, 3, 3), false, nullptr, true);
  fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
  out = gst_harness_pull(h);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

GST_START_TEST(test_recognize_missing_model) {
  const std::string missing = "/nonexistent/people_model.yml";
  expect_start_error("videotestsrc num-buffers=1 ! facerecognize model=" + missing + " ! fakesink",
                     missing);
  expect_start_error(
      "videotestsrc num-buffers=1 ! facerecognize embedder=/nonexistent/emb.onnx ! fakesink",
      "/nonexistent/emb.onnx");
  expect_start_error(
      "videotestsrc num-buffers=1 ! facerecognize landmarks-model=/nonexistent/lm.onnx ! fakesink",
      "/nonexistent/lm.onnx");
  // A real network that is not a landmark net (the embedder): refused at start.
  const std::string not_landmarks = facerec::find_model(facerec::defaults::kEmbedder);
  fail_if(not_landmarks.empty(), "%s not on the model path", facerec::defaults::kEmbedder);
  expect_start_error("videotestsrc num-buffers=1 ! facerecognize landmarks-model=" + not_landmarks + " ! fakesink",
                     not_landmarks + ": landmark net failed to run: not the 68-point landmark net");
}
GST_END_TEST;

GST_START_TEST(test_embedding_meta_copy) {
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, 16, nullptr);
  const float data[4] = {1.f, 2.f, 3.f, 4.f};
  GstFaceRecEmbeddingMeta* m = gst_buffer_add_facerec_embedding_meta(buf, 5, "test-emb", data, 4);
  fail_unless(m != nullptr && m->dim == 4 && m->roi_id == 5);
  fail_unless(gst_buffer_get_facerec_embedding_meta(buf, 6) == nullptr);
  GstBuffer* copy = gst_buffer_copy(buf);
  GstFaceRecEmbeddingMeta* c = gst_buffer_get_facerec_embedding_meta(copy, 5);
  fail_unless(c != nullptr && c != m);
  fail_unless_equals_string(c->embedder_id, "test-emb");
  fail_unless(c->dim == 4 && c->data[3] == 4.f && c->data != m->data);
  gst_buffer_unref(copy);
  gst_buffer_unref(buf);
}
GST_END_TEST;

// the embedding survives videoconvert + videoscale (ROI params do not in 1.22)
GST_START_TEST(test_embedding_survives_scaling) {
  GstHarness* h = gst_harness_new_parse(
      "facedetect-dnn ! facerecognize ! videoconvert ! videoscale ! "
      "capsfilter caps=\"video/x-raw,format=BGRx,width=217,height=217\"");
  cv::Mat img = load_image(kImages[0].file);
  GstBuffer* out = push_pull(h, img, GST_VIDEO_FORMAT_BGR);
  auto rois = face_rois(out);
  fail_unless_equals_int(rois.size(), 1);
  fail_unless(roi_rect(rois[0]).contains(kImages[0].centre / 2), "ROI not rescaled");
  GstFaceRecEmbeddingMeta* em = gst_buffer_get_facerec_embedding_meta(out, rois[0]->id);
  fail_unless(em != nullptr, "embedding lost through videoconvert/videoscale");
  fail_unless_equals_int(em->dim, 128);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

// ---------------------------------------------------------------------------
// overlay

GST_START_TEST(test_overlay_draws) {
  for (GstVideoFormat fmt : {GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_RGBx, GST_VIDEO_FORMAT_BGR,
                             GST_VIDEO_FORMAT_ARGB}) {
    GstHarness* h = gst_harness_new(kOverlay);
    const int W = 160, H = 120;
    gst_harness_set_src_caps_str(h, caps_string(fmt, W, H).c_str());
    GstVideoInfo info;
    gst_video_info_set_format(&info, fmt, W, H);
    GstBuffer* in = gst_buffer_new_allocate(nullptr, info.size, nullptr);
    gst_buffer_memset(in, 0, 128, info.size);
    const cv::Rect box(40, 40, 40, 40);
    add_face(in, 1, box, true, nullptr, false);  // unknown: red
    fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
    GstBuffer* out = gst_harness_pull(h);
    GstVideoFrame f;
    fail_unless(gst_video_frame_map(&f, &info, out, GST_MAP_READ));
    auto px = [&](int x, int y) {
      return static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0)) +
             y * GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0) + x * GST_VIDEO_FRAME_COMP_PSTRIDE(&f, 0);
    };
    const int roff = GST_VIDEO_FRAME_COMP_POFFSET(&f, GST_VIDEO_COMP_R);
    const int goff = GST_VIDEO_FRAME_COMP_POFFSET(&f, GST_VIDEO_COMP_G);
    const int boff = GST_VIDEO_FRAME_COMP_POFFSET(&f, GST_VIDEO_COMP_B);
    // left edge of the box, mid height: red in this format's order
    const guint8* p = px(box.x, box.y + box.height / 2);
    fail_unless(p[roff] == 255 && p[goff] == 0 && p[boff] == 0, "%s: edge pixel %d,%d,%d",
                gst_video_format_to_string(fmt), p[roff], p[goff], p[boff]);
    // far away: untouched
    for (cv::Point q : {cv::Point(150, 110), cv::Point(5, 115), cv::Point(60, 60)}) {
      const guint8* u = px(q.x, q.y);
      fail_unless(u[roff] == 128 && u[goff] == 128 && u[boff] == 128, "%s: pixel %d,%d changed",
                  gst_video_format_to_string(fmt), q.x, q.y);
    }
    gst_video_frame_unmap(&f);
    gst_buffer_unref(out);
    gst_harness_teardown(h);
  }
}
GST_END_TEST;

GST_START_TEST(test_overlay_colours) {
  GstHarness* h = gst_harness_new(kOverlay);
  const int W = 200, H = 100;
  gst_harness_set_src_caps_str(h, caps_string(GST_VIDEO_FORMAT_BGR, W, H).c_str());
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_BGR, W, H);
  GstBuffer* in = gst_buffer_new_allocate(nullptr, info.size, nullptr);
  gst_buffer_memset(in, 0, 128, info.size);
  add_face(in, 1, cv::Rect(10, 40, 40, 40), true, "Ann \"A\" Smith", true);  // known: green
  add_face(in, 2, cv::Rect(80, 40, 40, 40), true, nullptr, true);  // not recognised: yellow
  fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  GstMapInfo map;
  gst_buffer_map(out, &map, GST_MAP_READ);
  const int stride = GST_VIDEO_INFO_PLANE_STRIDE(&info, 0);
  auto bgr = [&](int x, int y) { return map.data + y * stride + x * 3; };
  const guint8* g = bgr(10, 60);
  fail_unless(g[0] == 0 && g[1] == 255 && g[2] == 0, "known box not green");
  const guint8* yl = bgr(80, 60);
  fail_unless(yl[0] == 0 && yl[1] == 255 && yl[2] == 255, "unrecognised box not yellow");
  // label drawn above the known box (some pixel between y=20..38 over x=10..50 changed)
  bool changed = false;
  for (int y = 20; y < 39 && !changed; ++y)
    for (int x = 12; x < 48 && !changed; ++x) changed = bgr(x, y)[0] != 128;
  fail_unless(changed, "no label drawn");
  gst_buffer_unmap(out, &map);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
}
GST_END_TEST;

// ---------------------------------------------------------------------------
// faceexport

GST_START_TEST(test_export_jsonl) {
  const std::string path = temp_path("faces.jsonl");
  GstHarness* h = gst_harness_new_parse(("faceexport location=" + path).c_str());
  gst_harness_set_src_caps_str(h, caps_string(GST_VIDEO_FORMAT_GRAY8, 64, 48).c_str());
  const int counts[] = {0, 1, 3, 2};
  for (int i = 0; i < 4; ++i) {
    GstBuffer* in = gst_buffer_new_allocate(nullptr, 64 * 48, nullptr);
    GST_BUFFER_PTS(in) = i == 3 ? GST_CLOCK_TIME_NONE : i * 40 * GST_MSECOND;
    for (int j = 0; j < counts[i]; ++j) {
      const bool known = j == 0;
      add_face(in, j + 1, cv::Rect(j * 10, j * 5, 10 + j, 12), j != 2,
               known ? "Zoë \"Q\"\\Tab\t" : nullptr, known || j == 1);
    }
    fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
    gst_buffer_unref(gst_harness_pull(h));
  }
  gst_harness_teardown(h);  // stop(): file closed

  const auto lines = read_lines(path);
  fail_unless_equals_int(lines.size(), 4);
  for (int i = 0; i < 4; ++i) {
    g_print("%s\n", lines[i].c_str());
    fail_unless(lines[i].rfind("{\"frame\":" + std::to_string(i) + ",", 0) == 0);
    fail_unless_equals_int(count_of(lines[i], "\"box\""), counts[i]);
  }
  // json-glib's compact form
  fail_unless(lines[1].find("\"pts\":40000000,") != std::string::npos);
  fail_unless(lines[3].find("\"pts\":null") != std::string::npos);
  fail_unless(lines[2].find("\"name\":\"Zoë \\\"Q\\\"\\\\Tab\\t\"") != std::string::npos);
  fail_unless(lines[2].find("\"confidence\":null") != std::string::npos);  // face 3: no params
  fail_unless(lines[2].find("\"score\":null") != std::string::npos);

  // Full JSON parsing and validation against docs/faceexport.schema.json: test_overlay_export.
  remove_temp(path);
}
GST_END_TEST;

GST_START_TEST(test_export_unwritable) {
  const std::string bad = "/nonexistent/dir/faces.jsonl";
  expect_start_error("videotestsrc num-buffers=1 ! faceexport location=" + bad + " ! fakesink",
                     bad);
  expect_start_error("videotestsrc num-buffers=1 ! faceexport ! fakesink", "location");
}
GST_END_TEST;

// the whole chain in one pipeline, with a real image
GST_START_TEST(test_chain) {
  const std::string path = temp_path("chain.jsonl");
  GstHarness* h = gst_harness_new_parse(
      ("facedetect-dnn ! facerecognize ! faceexport location=" + path + " ! " + kOverlay).c_str());
  cv::Mat img = load_image(kImages[0].file);
  cv::Mat bgra;
  cv::cvtColor(img, bgra, cv::COLOR_BGR2BGRA);
  gst_harness_set_src_caps_str(h, caps_string(GST_VIDEO_FORMAT_BGRx, img.cols, img.rows).c_str());
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_BGRx, img.cols, img.rows);
  GstBuffer* in = gst_buffer_new_allocate(nullptr, info.size, nullptr);
  GstVideoFrame f;
  fail_unless(gst_video_frame_map(&f, &info, in, GST_MAP_WRITE));
  copy_rows(bgra.data, bgra.step, img.rows, img.cols * 4, &f, 0);
  gst_video_frame_unmap(&f);
  fail_unless_equals_int(gst_harness_push(h, in), GST_FLOW_OK);
  GstBuffer* out = gst_harness_pull(h);
  fail_unless(face_at(out, kImages[0].centre) != nullptr);
  gst_buffer_unref(out);
  gst_harness_teardown(h);
  const auto lines = read_lines(path);
  fail_unless_equals_int(lines.size(), 1);
  fail_unless(count_of(lines[0], "\"box\"") >= 1);
  remove_temp(path);
}
GST_END_TEST;

static Suite* facerec_elements_suite(void) {
  Suite* s = suite_create("facerec-elements");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 600);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_detect_properties);
  tcase_add_test(tc, test_detect_real_images);
  tcase_add_test(tc, test_detect_formats);
  tcase_add_test(tc, test_detect_odd_sizes);
  tcase_add_test(tc, test_detect_ids_above_existing);
  tcase_add_test(tc, test_detect_property_change_while_playing);
  tcase_add_test(tc, test_detect_missing_model);
  tcase_add_test(tc, test_detect_corrupt_model);
  tcase_add_test(tc, test_recognize_embeddings);
  tcase_add_test(tc, test_recognize_alignment_variants);
  tcase_add_test(tc, test_recognize_absurd_landmarks);
  tcase_add_test(tc, test_recognize_without_params);
  tcase_add_test(tc, test_recognize_missing_model);
  tcase_add_test(tc, test_embedding_meta_copy);
  tcase_add_test(tc, test_embedding_survives_scaling);
  tcase_add_test(tc, test_overlay_draws);
  tcase_add_test(tc, test_overlay_colours);
  tcase_add_test(tc, test_export_jsonl);
  tcase_add_test(tc, test_export_unwritable);
  tcase_add_test(tc, test_chain);
  return s;
}

GST_CHECK_MAIN(facerec_elements);
