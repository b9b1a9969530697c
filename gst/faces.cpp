// gst-facerec: ROI <-> lib face conversion (see faces.h).
#include "faces.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace gstfacerec {

namespace {

// 5 points as the meta's 10 values (x0,y0..x4,y4).
template <class P>
void to_values(const std::array<P, facerec::kNumLandmarks>& pts, gdouble out[2 * GST_FACEREC_NUM_LANDMARKS]) {
  for (int i = 0; i < facerec::kNumLandmarks; ++i) {
    out[2 * i] = static_cast<double>(pts[size_t(i)].x);
    out[2 * i + 1] = static_cast<double>(pts[size_t(i)].y);
  }
}

// The meta's 10 values as 5 points, if every value is a number within `limit` of the frame's
// origin (ROIs may come from other elements: an infinite or huge value would overflow the
// float alignment maths). false leaves `out` unspecified.
bool from_values(const gdouble v[2 * GST_FACEREC_NUM_LANDMARKS], double limit, facerec::Landmarks& out) {
  for (int i = 0; i < 2 * facerec::kNumLandmarks; ++i)
    if (!std::isfinite(v[i]) || std::fabs(v[i]) > limit) return false;
  for (int i = 0; i < facerec::kNumLandmarks; ++i)
    out[size_t(i)] = cv::Point2f(static_cast<float>(v[2 * i]), static_cast<float>(v[2 * i + 1]));
  return true;
}

}  // namespace

std::optional<facerec::Face> face_from_roi(const GstVideoRegionOfInterestMeta* roi, int fw, int fh) {
  // clip to the frame (ROIs may come from elsewhere)
  const gint64 x0 = std::min<gint64>(roi->x, fw), y0 = std::min<gint64>(roi->y, fh);
  const gint64 x1 = std::min<gint64>(static_cast<gint64>(roi->x) + roi->w, fw);
  const gint64 y1 = std::min<gint64>(static_cast<gint64>(roi->y) + roi->h, fh);
  if (x1 - x0 < 2 || y1 - y0 < 2) return std::nullopt;
  facerec::Face f;
  f.box = cv::Rect2f(static_cast<float>(x0), static_cast<float>(y0), static_cast<float>(x1 - x0),
                     static_cast<float>(y1 - y0));
  gdouble conf = 0.0, lm[2 * GST_FACEREC_NUM_LANDMARKS];
  auto* r = const_cast<GstVideoRegionOfInterestMeta*>(roi);
  // points may lie outside the frame (a face at its edge), not several frames away
  const double limit = 4.0 * std::max(fw, fh);
  if (gst_facerec_roi_get_detection(r, &conf, lm)) {
    f.confidence = static_cast<float>(conf);
    f.has_landmarks = from_values(lm, limit, f.landmarks);
    f.has_coarse_landmarks =
        f.has_landmarks && gst_facerec_roi_get_coarse_landmarks(r, lm) && from_values(lm, limit, f.coarse_landmarks);
  } else if (gst_facerec_roi_get_detection(r, &conf, nullptr)) {
    f.confidence = static_cast<float>(conf);
  }
  return f;
}

GstVideoRegionOfInterestMeta* add_face(GstBuffer* buf, const cv::Rect& box, const facerec::Face& face,
                                       bool fresh) {
  gdouble lm[2 * GST_FACEREC_NUM_LANDMARKS];
  to_values(face.landmarks, lm);
  GstVideoRegionOfInterestMeta* roi = gst_buffer_add_facerec_face(
      buf, static_cast<guint>(box.x), static_cast<guint>(box.y), static_cast<guint>(box.width),
      static_cast<guint>(box.height), static_cast<double>(face.confidence), face.has_landmarks ? lm : nullptr, fresh);
  if (roi != nullptr && face.has_landmarks && face.has_coarse_landmarks) {
    to_values(face.coarse_landmarks, lm);
    gst_facerec_roi_set_coarse_landmarks(roi, lm);
  }
  return roi;
}

GstVideoRegionOfInterestMeta* add_face(GstBuffer* buf, const facerec::FrameFace& f, bool fresh) {
  gdouble lm[2 * GST_FACEREC_NUM_LANDMARKS];
  to_values(f.landmarks, lm);
  GstVideoRegionOfInterestMeta* roi = gst_buffer_add_facerec_face(
      buf, static_cast<guint>(f.box.x), static_cast<guint>(f.box.y), static_cast<guint>(f.box.width),
      static_cast<guint>(f.box.height), f.confidence, lm, fresh);
  if (roi != nullptr && f.has_coarse_landmarks) {
    to_values(f.coarse_landmarks, lm);
    gst_facerec_roi_set_coarse_landmarks(roi, lm);
  }
  if (roi != nullptr && f.track.id != 0) {
    auto t = [](int64_t v) { return v < 0 ? GST_CLOCK_TIME_NONE : static_cast<GstClockTime>(v); };
    gst_facerec_roi_set_tracking(roi, f.track.id, t(f.track.first_time), t(f.track.last_time),
                                 static_cast<guint>(std::max(0, f.track.age)));
  }
  return roi;
}

RoiFaces collect_faces(GstBuffer* buf, int fw, int fh, int max_faces) {
  RoiFaces r;
  for_each_face(buf, [&](GstVideoRegionOfInterestMeta* roi) {
    ++r.total;
    auto f = face_from_roi(roi, fw, fh);
    if (!f || (max_faces > 0 && r.faces.size() >= static_cast<size_t>(max_faces))) return;
    facerec::FaceInput in;
    in.face = *f;
    guint64 id = 0;
    if (gst_facerec_roi_get_tracking(roi, &id, nullptr, nullptr, nullptr)) in.track_id = static_cast<int64_t>(id);
    // boxes without detection params come from elsewhere (another detector, videoscale)
    in.detected = gst_facerec_roi_detection_is_fresh(roi) || !gst_facerec_roi_get_detection(roi, nullptr, nullptr);
    r.rois.push_back(roi);
    r.faces.push_back(in);
  });
  return r;
}

std::optional<facerec::FaceObservation> write_result(GstBuffer* buf, GstVideoRegionOfInterestMeta* roi,
                                                     const facerec::FaceInput& in, const facerec::FaceOutput& o,
                                                     const std::string& embedder_id) {
  if (o.embedding != nullptr)
    gst_buffer_set_facerec_embedding_meta(buf, roi->id, embedder_id.c_str(), o.embedding->data(),
                                          static_cast<guint>(o.embedding->size()));
  if (!o.classified) return std::nullopt;
  const facerec::Match& m = o.match;
  gst_facerec_roi_set_recognition_full(roi, m.known ? m.label.c_str() : nullptr, m.label_id, m.score, m.distance,
                                       o.fresh);
  facerec::FaceObservation ob;
  ob.track_id = in.track_id;
  ob.known = m.known;
  ob.label = m.label;
  ob.label_id = m.label_id;
  ob.score = m.score;
  ob.distance = m.distance;
  ob.box = roi_box(roi);
  ob.roi_id = roi->id;
  return ob;
}

void set_recognition(GstVideoRegionOfInterestMeta* roi, const facerec::Match& m) {
  gst_facerec_roi_set_recognition(roi, m.known ? m.label.c_str() : nullptr, m.known ? m.label_id : -1,
                                  static_cast<double>(m.score), static_cast<double>(m.distance));
}

}  // namespace gstfacerec
