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

// Buffers frame_to_bgr_scaled() reuses from one frame to the next (one per stream).
struct ScaleScratch {
  cv::Mat small;  // planes or packed pixels at the small size
  cv::Mat chroma;
  cv::Mat luma, luma_small;  // YUY2
  cv::Mat bgr;
  cv::Mat gray;  // frame_to_gray_scaled()
};

// The frame as an 8-bit BGR image: a zero-copy view for BGR, a conversion
// otherwise. Never reads outside the mapped planes; handles odd sizes.
// Returns an empty Mat for unsupported formats or empty frames. With `scratch`, every
// converted format is converted in its buffers: the result points into it, valid until the
// next call with the same scratch to frame_to_bgr(), frame_to_bgr_scaled() or
// frame_to_gray_scaled(). A 640x360 frame is 1 MB of fresh pages per frame otherwise, which
// cost more than the conversion on this project's VM (bench/README.md, "Where the time goes").
cv::Mat frame_to_bgr(const GstVideoFrame* frame, ScaleScratch* scratch = nullptr);

// The frame scaled down to `size` (INTER_AREA), as 8-bit BGR. No full-size copy or colour
// conversion is made: packed RGB and GRAY8 are resized straight from the mapped memory,
// I420 / NV12 / YUY2 have their planes resized to the small size and are converted there.
// size at least the frame's: frame_to_bgr() with `scratch`. The result may point into
// `scratch` (valid until the next call with it, as for frame_to_bgr()) or, for BGR at the
// frame's size, into the mapped frame. Empty for unsupported formats or sizes.
cv::Mat frame_to_bgr_scaled(const GstVideoFrame* frame, cv::Size size, ScaleScratch& scratch);

// A packed RGB-family frame wrapped as CV_8UC3 / CV_8UC4 (no copy), or empty.
cv::Mat wrap_packed_rgb(const GstVideoFrame* frame);

// A colour given as (b, g, r) laid out in the byte order of a packed RGB-family
// format (alpha, where present, set to 255), for drawing on wrap_packed_rgb().
cv::Scalar colour_for_format(GstVideoFormat fmt, double b, double g, double r);

}  // namespace gstfacerec
