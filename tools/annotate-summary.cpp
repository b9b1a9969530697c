// facerec-annotate --summary-image: collects the faces of every analysed frame (their
// track, name and box from the facemeta API) into a facerec::SightingCollector and
// draws the contact sheet (lib/contact_sheet). C API in annotate.h.
#include <gst/video/video.h>

#include <exception>
#include <memory>
#include <string>

#include "annotate.h"
#include "facemeta.h"
#include "facerec/contact_sheet.h"
#include "facerec/sightings.h"
#include "videoframe.h"

struct _AnnotateSummary {
  facerec::SightingCollector collector;
  uint64_t frame_index = 0;
};

extern "C" AnnotateSummary* annotate_summary_new(void) { return new AnnotateSummary(); }

extern "C" void annotate_summary_free(AnnotateSummary* s) { delete s; }

namespace {

struct FaceSeen {
  cv::Rect box;
  uint64_t track = 0;
  std::string label;
  bool fresh = false;
};

}  // namespace

extern "C" void annotate_summary_add(AnnotateSummary* s, GstBuffer* buf, GstCaps* caps) {
  const uint64_t index = s->frame_index++;
  const double t = GST_BUFFER_PTS_IS_VALID(buf) ? double(GST_BUFFER_PTS(buf)) / GST_SECOND : 0.0;
  std::vector<FaceSeen> faces;
  bool any_fresh = false;
  gpointer state = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(buf, &state)) {
    FaceSeen f;
    f.box = cv::Rect(int(roi->x), int(roi->y), int(roi->w), int(roi->h));
    guint64 id = 0;
    if (gst_facerec_roi_get_tracking(roi, &id, nullptr, nullptr, nullptr)) f.track = id;
    const gchar* label = nullptr;
    if (gst_facerec_roi_get_recognition(roi, &label, nullptr, nullptr, nullptr) && label) f.label = label;
    f.fresh = gst_facerec_roi_detection_is_fresh(roi);
    any_fresh |= f.fresh;
    faces.push_back(std::move(f));
  }
  if (faces.empty()) return;
  // The frame is converted only when a face on it may give a better crop (a fresh
  // detection); the crop and its score come from the lib.
  cv::Mat bgr;
  GstVideoInfo info;
  GstVideoFrame frame;
  bool mapped = false;
  if (any_fresh && caps && gst_video_info_from_caps(&info, caps) &&
      gstfacerec::is_analysis_format(GST_VIDEO_INFO_FORMAT(&info)) &&
      gst_video_frame_map(&frame, &info, buf, GST_MAP_READ)) {
    mapped = true;
    bgr = gstfacerec::frame_to_bgr(&frame);
  }
  for (const FaceSeen& f : faces) {
    try {
      s->collector.add(index, t, f.track, f.label, f.box, f.fresh, bgr);
    } catch (const std::exception& e) {  // OpenCV out of memory: the counts stay right
      g_printerr("facerec-annotate: warning: summary image: %s\n", e.what());
    }
  }
  if (mapped) gst_video_frame_unmap(&frame);
}

extern "C" gboolean annotate_summary_write(AnnotateSummary* s, const gchar* png, const gchar* data_prefix,
                                           const gchar* title, guint* tiles, guint* people, gchar** error) {
  try {
    const auto sightings = s->collector.sightings();
    facerec::write_contact_sheet(png, sightings, title);
    if (data_prefix) facerec::save_sightings(data_prefix, sightings);
    *tiles = guint(sightings.size());
    *people = 0;
    for (const auto& x : sightings) *people += x.known() ? 1 : 0;
    return TRUE;
  } catch (const std::exception& e) {
    *error = g_strdup(e.what());
    return FALSE;
  }
}
