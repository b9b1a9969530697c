// gst-facerec: C++ helpers between the metadata layer (facemeta.h) and lib/'s values.
// Elements read and write face ROIs only through these and facemeta.h.
#pragma once

#include <optional>

#include <gst/video/video.h>
#include <opencv2/core.hpp>

#include "facemeta.h"
#include "facerec/frame_detector.h"
#include "facerec/types.h"

namespace gstfacerec {

// Calls fn(GstVideoRegionOfInterestMeta*) for every face ROI of buf, in meta order.
template <typename Fn>
void for_each_face(GstBuffer* buf, Fn&& fn) {
  gpointer state = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(buf, &state)) fn(roi);
}

// The face of a face ROI as lib/ sees it: the box clipped to the frame (nullopt when
// less than 2x2 pixels of it lie inside), confidence and landmarks from its
// "detection" params (has_landmarks only when all 10 values are finite).
std::optional<facerec::Face> face_from_roi(const GstVideoRegionOfInterestMeta* roi, int frame_width,
                                           int frame_height);

// Attaches a face ROI: `box` in frame pixels (already clipped), face.confidence and
// face.landmarks (frame pixels) as its "detection" params.
GstVideoRegionOfInterestMeta* add_face(GstBuffer* buf, const cv::Rect& box, const facerec::Face& face,
                                       bool fresh);

// Attaches a detector's face (frame pixels) with its "detection" params and, when it
// belongs to a track, its "tracking" params (times are PTS, -1 unknown).
GstVideoRegionOfInterestMeta* add_face(GstBuffer* buf, const facerec::FrameFace& face, bool fresh);

// Sets the "recognition" params of a face ROI from a classification.
void set_recognition(GstVideoRegionOfInterestMeta* roi, const facerec::Match& match);

// The ROI box as an integer rectangle (no clipping).
inline cv::Rect roi_box(const GstVideoRegionOfInterestMeta* roi) {
  return cv::Rect(static_cast<int>(roi->x), static_cast<int>(roi->y), static_cast<int>(roi->w),
                  static_cast<int>(roi->h));
}

}  // namespace gstfacerec
