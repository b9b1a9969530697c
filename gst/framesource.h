// gst-facerec: facerec::FrameSource over a mapped GstVideoFrame: lib/ asks for a
// region or a scaled copy and only that much of the frame is converted.
#pragma once

#include <gst/video/video.h>

#include "facerec/frame_source.h"
#include "videoframe.h"

namespace gstfacerec {

// 8-bit BGR of `rect` of the frame (clipped to it; empty when nothing is left), for
// every analysis format: only the region's pixels are read and converted (YUV
// regions start on even coordinates where the chroma needs it).
cv::Mat frame_region_bgr(const GstVideoFrame* frame, const cv::Rect& rect);

// 8-bit gray of the frame scaled to `size` for the formats with a luma plane (I420, NV12,
// GRAY8: has_luma_plane()), without colour conversion: at the frame's size a view of the
// mapped plane (valid while the frame is mapped), else resized into `scratch.gray` (valid
// until the next call with that scratch). Empty for other formats.
cv::Mat frame_to_gray_scaled(const GstVideoFrame* frame, cv::Size size, ScaleScratch& scratch);

// TRUE for the formats whose first plane is the gray image (I420, NV12, GRAY8).
inline bool has_luma_plane(GstVideoFormat fmt) {
  return fmt == GST_VIDEO_FORMAT_I420 || fmt == GST_VIDEO_FORMAT_NV12 || fmt == GST_VIDEO_FORMAT_GRAY8;
}

class VideoFrameSource final : public facerec::FrameSource {
 public:
  // frame: mapped for the lifetime of this object; scratch: reused between frames.
  VideoFrameSource(const GstVideoFrame* frame, ScaleScratch& scratch) : frame_(frame), scratch_(scratch) {}
  cv::Size size() const override {
    return {GST_VIDEO_FRAME_WIDTH(frame_), GST_VIDEO_FRAME_HEIGHT(frame_)};
  }
  cv::Mat bgr_region(const cv::Rect& rect) override { return frame_region_bgr(frame_, rect); }
  cv::Mat bgr_scaled(const cv::Size& s) override {
    if (s != bgr_.size() || bgr_.empty()) bgr_ = frame_to_bgr_scaled(frame_, s, scratch_);
    return bgr_;
  }
  // The luma plane (frame_to_gray_scaled()) where the format has one; else the gray of the
  // BGR copy, which is made once per frame even when the detector asked for it too.
  cv::Mat gray_scaled(const cv::Size& s) override {
    if (has_luma_plane(GST_VIDEO_FRAME_FORMAT(frame_))) return frame_to_gray_scaled(frame_, s, scratch_);
    const cv::Mat bgr = bgr_scaled(s);
    if (bgr.empty()) return {};
    cv::cvtColor(bgr, scratch_.gray, cv::COLOR_BGR2GRAY);
    return scratch_.gray;
  }

 private:
  const GstVideoFrame* frame_;
  ScaleScratch& scratch_;
  cv::Mat bgr_;  // this frame's bgr_scaled(), kept for gray_scaled()
};

}  // namespace gstfacerec
