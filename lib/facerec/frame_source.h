// FrameSource: the pixels of one video frame, converted on demand.
//
// A decoder hands out I420 or NV12; converting a whole 1080p frame to BGR costs
// more than detecting on a small copy of it. lib/ therefore never asks for more
// than it needs: a scaled copy for the detector and the optical flow, the
// regions around the faces it embeds. The element implements this over the
// mapped GstVideoFrame (gst/framesource.h); MatFrameSource serves tools and tests.
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

namespace facerec {

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  virtual cv::Size size() const = 0;
  // 8-bit BGR of `rect` (frame pixels, clipped to the frame; empty if nothing is left).
  virtual cv::Mat bgr_region(const cv::Rect& rect) = 0;
  // 8-bit BGR of the whole frame scaled to `size` (INTER_AREA when shrinking).
  // The scaled images may point into the source's buffers or the frame itself: valid while
  // the source lives and until its next call; clone() what is kept.
  virtual cv::Mat bgr_scaled(const cv::Size& size) = 0;
  // 8-bit gray of the whole frame scaled to `size`.
  virtual cv::Mat gray_scaled(const cv::Size& size) = 0;
};

// A FrameSource over an 8-bit BGR image.
class MatFrameSource : public FrameSource {
 public:
  explicit MatFrameSource(cv::Mat bgr) : bgr_(std::move(bgr)) {}
  cv::Size size() const override { return bgr_.size(); }
  cv::Mat bgr_region(const cv::Rect& rect) override {
    const cv::Rect r = rect & cv::Rect(0, 0, bgr_.cols, bgr_.rows);
    return r.empty() ? cv::Mat() : bgr_(r);
  }
  cv::Mat bgr_scaled(const cv::Size& size) override {
    if (size == bgr_.size()) return bgr_;
    cv::Mat out;
    cv::resize(bgr_, out, size, 0, 0, cv::INTER_AREA);
    return out;
  }
  cv::Mat gray_scaled(const cv::Size& size) override {
    cv::Mat g;
    cv::cvtColor(bgr_scaled(size), g, cv::COLOR_BGR2GRAY);
    return g;
  }

 private:
  cv::Mat bgr_;
};

}  // namespace facerec
