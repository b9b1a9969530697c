// gst-facerec: mapped GstVideoFrame <-> cv::Mat helpers shared by the elements.
#pragma once

#include <gst/video/video.h>

#include <opencv2/core.hpp>

namespace gstfacerec {

// Raw formats the analysing elements accept (caps string list, without braces).
#define GST_FACEREC_ANALYSIS_FORMATS \
  "BGR, RGB, BGRx, BGRA, RGBx, RGBA, xRGB, ARGB, xBGR, ABGR, I420, NV12, YUY2, GRAY8"
// Packed RGB-family formats faceoverlay draws on.
#define GST_FACEREC_PACKED_RGB_FORMATS \
  "BGR, RGB, BGRx, RGBx, BGRA, RGBA, xRGB, xBGR, ARGB, ABGR"

// TRUE if frame_to_bgr() handles the format.
bool is_analysis_format(GstVideoFormat fmt);

// Wraps one plane of a mapped frame (no copy): `cols` x `rows` elements of
// `cv_type`, using the plane stride. Returns an empty Mat if the plane is
// smaller than asked for.
cv::Mat wrap_plane(const GstVideoFrame* frame, guint plane, int cv_type, int cols, int rows);

// The frame as an 8-bit BGR image: a zero-copy view for BGR, a conversion
// otherwise. Never reads outside the mapped planes; handles odd sizes.
// Returns an empty Mat for unsupported formats or empty frames.
cv::Mat frame_to_bgr(const GstVideoFrame* frame);

// A packed RGB-family frame wrapped as CV_8UC3 / CV_8UC4 (no copy), or empty.
cv::Mat wrap_packed_rgb(const GstVideoFrame* frame);

// A colour given as (b, g, r) laid out in the byte order of a packed RGB-family
// format (alpha, where present, set to 255), for drawing on wrap_packed_rgb().
cv::Scalar colour_for_format(GstVideoFormat fmt, double b, double g, double r);

}  // namespace gstfacerec
