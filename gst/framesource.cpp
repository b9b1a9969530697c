// gst-facerec: regions and scaled copies of a mapped frame (see framesource.h).
#include "framesource.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace gstfacerec {

cv::Mat frame_region_bgr(const GstVideoFrame* frame, const cv::Rect& rect) {
  const int w = GST_VIDEO_FRAME_WIDTH(frame), h = GST_VIDEO_FRAME_HEIGHT(frame);
  const cv::Rect r = rect & cv::Rect(0, 0, w, h);
  if (r.empty()) return {};
  if (r == cv::Rect(0, 0, w, h)) return frame_to_bgr(frame);
  const GstVideoFormatInfo* fi = frame->info.finfo;
  // Start on a position every plane can address: a multiple of the coarsest
  // subsampling (even for I420, NV12, YUY2).
  int xs = 0, ys = 0;
  for (guint c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS(fi); ++c) {
    xs = std::max<int>(xs, GST_VIDEO_FORMAT_INFO_W_SUB(fi, c));
    ys = std::max<int>(ys, GST_VIDEO_FORMAT_INFO_H_SUB(fi, c));
  }
  const int x0 = r.x & ~((1 << xs) - 1), y0 = r.y & ~((1 << ys) - 1);
  // A view of the frame that starts at (x0, y0): same strides, planes moved, smaller
  // size; frame_to_bgr() converts it (and pads odd sizes) as it would a whole frame.
  GstVideoFrame sub = *frame;
  sub.info.width = r.x + r.width - x0;
  sub.info.height = r.y + r.height - y0;
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES(frame); ++p) {
    for (guint c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS(fi); ++c) {
      if (GST_VIDEO_FORMAT_INFO_PLANE(fi, c) != p) continue;
      const int px = x0 >> GST_VIDEO_FORMAT_INFO_W_SUB(fi, c);
      const int py = y0 >> GST_VIDEO_FORMAT_INFO_H_SUB(fi, c);
      sub.data[p] = static_cast<guint8*>(frame->data[p]) + static_cast<size_t>(py) * GST_VIDEO_FRAME_PLANE_STRIDE(frame, p) +
                    static_cast<size_t>(px) * GST_VIDEO_FORMAT_INFO_PSTRIDE(fi, c);
      break;
    }
  }
  cv::Mat bgr = frame_to_bgr(&sub);
  if (bgr.empty()) return {};
  const cv::Rect inner(r.x - x0, r.y - y0, r.width, r.height);
  return inner == cv::Rect(0, 0, bgr.cols, bgr.rows) ? bgr : bgr(inner);
}

cv::Mat frame_to_gray_scaled(const GstVideoFrame* frame, cv::Size size, ScaleScratch& scratch) {
  switch (GST_VIDEO_FRAME_FORMAT(frame)) {
    case GST_VIDEO_FORMAT_I420:  // has_luma_plane()
    case GST_VIDEO_FORMAT_NV12:
    case GST_VIDEO_FORMAT_GRAY8: {
      const cv::Mat y = wrap_plane(frame, 0, CV_8UC1, GST_VIDEO_FRAME_WIDTH(frame), GST_VIDEO_FRAME_HEIGHT(frame));
      if (y.empty()) return {};
      if (y.size() == size) return y;  // the luma plane itself: no copy, no conversion
      cv::resize(y, scratch.gray, size, 0, 0, cv::INTER_AREA);
      return scratch.gray;
    }
    default:
      return {};  // no luma plane: VideoFrameSource::gray_scaled() converts its BGR copy
  }
}

}  // namespace gstfacerec
