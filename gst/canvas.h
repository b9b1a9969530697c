// gst-facerec: drawing on a mapped video frame of any 8-bit format, packed RGB or
// planar/packed YUV, in place (facerec-overlay): filled rectangles, outlines and
// coverage masks (text, dots) blended in, in frame pixel coordinates; subsampled
// chroma gets the mean coverage of the pixels it covers.
#pragma once

#include <array>

#include <gst/video/video.h>
#include <opencv2/core.hpp>

namespace gstfacerec {

// A colour as the values of the frame's components (R, G, B, A for RGB formats;
// Y, U, V, A for YUV formats), indexed like GstVideoFormatInfo components.
using CompValues = std::array<guint8, GST_VIDEO_MAX_COMPONENTS>;

// `rgb` (0xRRGGBB) as component values for the frame's format (Y'CbCr with the
// caps' matrix, BT.601 when unknown, and range).
CompValues colour_values(const GstVideoInfo* info, guint rgb);

// One 8-bit component of a mapped frame, at its own (possibly subsampled) size.
struct Component {
  guint8* data;  // first sample of the component
  int stride;    // bytes per row
  int pstride;   // bytes between samples of a row
  int wsub, hsub;  // log2 subsampling
  int width, height;
  int slot;  // colour slot: the component index (R,G,B,A or Y,U,V,A)
};

// Draws on every component of a frame, in frame (luma) pixel coordinates.
class Canvas {
 public:
  explicit Canvas(GstVideoFrame* frame) {
    const GstVideoFormatInfo* fi = frame->info.finfo;
    width_ = GST_VIDEO_FRAME_WIDTH(frame);
    height_ = GST_VIDEO_FRAME_HEIGHT(frame);
    for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS(frame); ++c) {
      Component k;
      k.data = static_cast<guint8*>(GST_VIDEO_FRAME_COMP_DATA(frame, c));
      k.stride = GST_VIDEO_FRAME_COMP_STRIDE(frame, c);
      k.pstride = GST_VIDEO_FRAME_COMP_PSTRIDE(frame, c);
      k.wsub = GST_VIDEO_FORMAT_INFO_W_SUB(fi, c);
      k.hsub = GST_VIDEO_FORMAT_INFO_H_SUB(fi, c);
      k.width = GST_VIDEO_FRAME_COMP_WIDTH(frame, c);
      k.height = GST_VIDEO_FRAME_COMP_HEIGHT(frame, c);
      k.slot = static_cast<int>(c);
      if (k.data == nullptr || k.width <= 0 || k.height <= 0) continue;
      comps_[n_++] = k;
    }
  }

  int width() const { return width_; }
  int height() const { return height_; }

  // Solid rectangle (clipped to the frame). A subsampled sample gets the colour
  // when any of the pixels it covers is inside the rectangle.
  void fill(cv::Rect r, const CompValues& colour) {
    r &= cv::Rect(0, 0, width_, height_);
    if (r.empty()) return;
    for (int i = 0; i < n_; ++i) {
      const Component& k = comps_[i];
      const guint8 val = colour[k.slot];
      const int x0 = r.x >> k.wsub, x1 = std::min(k.width, ((r.x + r.width - 1) >> k.wsub) + 1);
      const int y0 = r.y >> k.hsub, y1 = std::min(k.height, ((r.y + r.height - 1) >> k.hsub) + 1);
      for (int y = y0; y < y1; ++y) {
        guint8* p = k.data + static_cast<size_t>(y) * k.stride + static_cast<size_t>(x0) * k.pstride;
        for (int x = x0; x < x1; ++x, p += k.pstride) *p = val;
      }
    }
  }

  // Blends `colour` through an 8-bit coverage mask whose (0,0) is at `origin` in
  // frame pixels. A subsampled sample gets the mean coverage of its pixels.
  void blend(const cv::Mat& mask, cv::Point origin, const CompValues& colour) {
    const cv::Rect r = cv::Rect(origin, mask.size()) & cv::Rect(0, 0, width_, height_);
    if (r.empty()) return;
    for (int i = 0; i < n_; ++i) {
      const Component& k = comps_[i];
      const int val = colour[k.slot];
      const int x0 = r.x >> k.wsub, x1 = std::min(k.width, ((r.x + r.width - 1) >> k.wsub) + 1);
      const int y0 = r.y >> k.hsub, y1 = std::min(k.height, ((r.y + r.height - 1) >> k.hsub) + 1);
      for (int y = y0; y < y1; ++y) {
        guint8* p = k.data + static_cast<size_t>(y) * k.stride + static_cast<size_t>(x0) * k.pstride;
        for (int x = x0; x < x1; ++x, p += k.pstride) {
          // the frame pixels this sample covers, inside the frame
          const int px0 = x << k.wsub, px1 = std::min(width_, (x + 1) << k.wsub);
          const int py0 = y << k.hsub, py1 = std::min(height_, (y + 1) << k.hsub);
          int sum = 0;
          for (int py = py0; py < py1; ++py) {
            const int my = py - origin.y;
            if (my < 0 || my >= mask.rows) continue;
            const guint8* mrow = mask.ptr<guint8>(my);
            for (int px = px0; px < px1; ++px) {
              const int mx = px - origin.x;
              if (mx >= 0 && mx < mask.cols) sum += mrow[mx];
            }
          }
          const int n = (px1 - px0) * (py1 - py0);
          if (n <= 0 || sum == 0) continue;
          const int a = (sum + n / 2) / n;
          *p = static_cast<guint8>((*p * (255 - a) + val * a + 127) / 255);
        }
      }
    }
  }

  // Outline of `box` drawn on its inner side, `t` pixels wide.
  void outline(const cv::Rect& box, int t, const CompValues& colour) {
    const int tx = std::min(t, std::max(1, (box.width + 1) / 2));
    const int ty = std::min(t, std::max(1, (box.height + 1) / 2));
    fill(cv::Rect(box.x, box.y, box.width, ty), colour);
    fill(cv::Rect(box.x, box.y + box.height - ty, box.width, ty), colour);
    fill(cv::Rect(box.x, box.y, tx, box.height), colour);
    fill(cv::Rect(box.x + box.width - tx, box.y, tx, box.height), colour);
  }

 private:
  int width_ = 0, height_ = 0;
  std::array<Component, GST_VIDEO_MAX_COMPONENTS> comps_{};
  int n_ = 0;
};

}  // namespace gstfacerec
