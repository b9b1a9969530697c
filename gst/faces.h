// gst-facerec: C++ helpers between the metadata layer (facemeta.h) and lib/'s values.
// Elements read and write face ROIs only through these and facemeta.h.
#pragma once

#include <optional>

#include <gst/video/video.h>
#include <opencv2/core.hpp>

#include "facemeta.h"
#include <cstddef>
#include <string>
#include <vector>

#include "facerec/frame_detector.h"
#include "facerec/frame_recognizer.h"
#include "facerec/presence.h"
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
// "detection" params (has_landmarks only when all 10 values are finite and within 4 frame
// sizes of the origin; has_coarse_landmarks likewise for "coarse-landmarks", and only with
// landmarks).
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

// The face ROIs of a buffer as facerecognize's input: the ROI, the face (see
// face_from_roi; ROIs with less than 2x2 pixels in the frame are left out), its track
// id (-1 untracked) and whether its box was detected on this frame. At most
// max_faces (> 0) are taken, in meta order; `total` counts every face ROI.
struct RoiFaces {
  std::vector<GstVideoRegionOfInterestMeta*> rois;
  std::vector<facerec::FaceInput> faces;
  size_t total = 0;
};
RoiFaces collect_faces(GstBuffer* buf, int frame_width, int frame_height, int max_faces);

// Writes a recognition result on its ROI: the embedding meta (when there is one)
// and, when classified, the "recognition" params. Returns the presence observation
// of a classified face (nullopt otherwise).
std::optional<facerec::FaceObservation> write_result(GstBuffer* buf, GstVideoRegionOfInterestMeta* roi,
                                                     const facerec::FaceInput& in, const facerec::FaceOutput& out,
                                                     const std::string& embedder_id);

// The ROI box as an integer rectangle (no clipping).
inline cv::Rect roi_box(const GstVideoRegionOfInterestMeta* roi) {
  return cv::Rect(static_cast<int>(roi->x), static_cast<int>(roi->y), static_cast<int>(roi->w),
                  static_cast<int>(roi->h));
}

}  // namespace gstfacerec
