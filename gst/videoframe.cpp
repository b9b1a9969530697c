// gst-facerec: mapped GstVideoFrame <-> cv::Mat helpers.
#include "videoframe.h"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace gstfacerec {

namespace {

int elem_size(int cv_type) { return static_cast<int>(CV_ELEM_SIZE(cv_type)); }

// Copies a `cols` x `rows` byte plane (rows of `row_bytes` valid bytes read from
// `src` with `stride`) into dst (rows_out x cols_out bytes), replicating the last
// column/row where dst is larger (odd sizes padded to even).
void copy_plane_padded(const guint8* src, int stride, int src_row_bytes, int src_rows,
                       int elem, cv::Mat& dst) {
  const int dst_row_bytes = dst.cols * static_cast<int>(dst.elemSize());
  for (int y = 0; y < dst.rows; ++y) {
    const int sy = std::min(y, src_rows - 1);
    const guint8* s = src + static_cast<size_t>(sy) * stride;
    guint8* d = dst.ptr<guint8>(y);
    const int n = std::min(src_row_bytes, dst_row_bytes);
    std::copy(s, s + n, d);
    // replicate the last element into the padding
    for (int x = n; x + elem <= dst_row_bytes; x += elem)
      std::copy(s + n - elem, s + n, d + x);
  }
}

}  // namespace

bool is_analysis_format(GstVideoFormat fmt) {
  switch (fmt) {
    case GST_VIDEO_FORMAT_BGR:
    case GST_VIDEO_FORMAT_RGB:
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_BGRA:
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_RGBA:
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_ARGB:
    case GST_VIDEO_FORMAT_xBGR:
    case GST_VIDEO_FORMAT_ABGR:
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_NV12:
    case GST_VIDEO_FORMAT_YUY2:
    case GST_VIDEO_FORMAT_GRAY8:
      return true;
    default:
      return false;
  }
}

cv::Mat wrap_plane(const GstVideoFrame* frame, guint plane, int cv_type, int cols, int rows) {
  if (plane >= GST_VIDEO_FRAME_N_PLANES(frame) || cols <= 0 || rows <= 0) return {};
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(frame, plane);
  auto* data = static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(frame, plane));
  if (data == nullptr || stride < cols * elem_size(cv_type)) return {};
  // gst_video_frame_map() has checked that the mapping holds every plane as
  // described by the frame's info (offsets, strides, heights), so rows x stride
  // stays inside the mapped memory.
  return cv::Mat(rows, cols, cv_type, data, static_cast<size_t>(stride));
}

cv::Mat frame_to_bgr(const GstVideoFrame* frame) {
  const GstVideoFormat fmt = GST_VIDEO_FRAME_FORMAT(frame);
  const int w = GST_VIDEO_FRAME_WIDTH(frame);
  const int h = GST_VIDEO_FRAME_HEIGHT(frame);
  if (w <= 0 || h <= 0) return {};

  cv::Mat bgr;
  switch (fmt) {
    case GST_VIDEO_FORMAT_BGR:
      return wrap_plane(frame, 0, CV_8UC3, w, h);
    case GST_VIDEO_FORMAT_RGB: {
      cv::Mat m = wrap_plane(frame, 0, CV_8UC3, w, h);
      if (m.empty()) return {};
      cv::cvtColor(m, bgr, cv::COLOR_RGB2BGR);
      return bgr;
    }
    case GST_VIDEO_FORMAT_BGRx:
    case GST_VIDEO_FORMAT_BGRA:
    case GST_VIDEO_FORMAT_RGBx:
    case GST_VIDEO_FORMAT_RGBA:
    case GST_VIDEO_FORMAT_xRGB:
    case GST_VIDEO_FORMAT_ARGB:
    case GST_VIDEO_FORMAT_xBGR:
    case GST_VIDEO_FORMAT_ABGR: {
      cv::Mat m = wrap_plane(frame, 0, CV_8UC4, w, h);
      if (m.empty()) return {};
      // byte offsets of R, G, B inside the 4-byte pixel
      const GstVideoFormatInfo* fi = frame->info.finfo;
      const int r = static_cast<int>(GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_R));
      const int g = static_cast<int>(GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_G));
      const int b = static_cast<int>(GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_B));
      bgr.create(h, w, CV_8UC3);
      const int from_to[] = {b, 0, g, 1, r, 2};
      cv::mixChannels(&m, 1, &bgr, 1, from_to, 3);
      return bgr;
    }
    case GST_VIDEO_FORMAT_GRAY8: {
      cv::Mat m = wrap_plane(frame, 0, CV_8UC1, w, h);
      if (m.empty()) return {};
      cv::cvtColor(m, bgr, cv::COLOR_GRAY2BGR);
      return bgr;
    }
    case GST_VIDEO_FORMAT_YUY2: {
      // OpenCV wants an even width: pad with the last macro-pixel's data.
      const int w2 = w + (w & 1);
      const int row_bytes = GST_ROUND_UP_2(w) * 2;  // whole macro-pixels
      const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(frame, 0);
      if (wrap_plane(frame, 0, CV_8UC1, std::min(row_bytes, stride), h).empty()) return {};
      const auto* src = static_cast<const guint8*>(GST_VIDEO_FRAME_PLANE_DATA(frame, 0));
      cv::Mat packed(h, w2, CV_8UC2);
      copy_plane_padded(src, stride, std::min(row_bytes, stride), h, 4, packed);
      cv::cvtColor(packed, bgr, cv::COLOR_YUV2BGR_YUY2);
      return w2 == w ? bgr : bgr(cv::Rect(0, 0, w, h)).clone();
    }
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_NV12: {
      // Copy the planes into one contiguous buffer of even size (last row and
      // column replicated), convert, crop back.
      const int w2 = w + (w & 1), h2 = h + (h & 1);
      const int cw = GST_VIDEO_FRAME_COMP_WIDTH(frame, 1);
      const int ch = GST_VIDEO_FRAME_COMP_HEIGHT(frame, 1);
      if (cw <= 0 || ch <= 0) return {};
      cv::Mat yuv(h2 * 3 / 2, w2, CV_8UC1);
      cv::Mat y_dst = yuv.rowRange(0, h2);
      cv::Mat y_src = wrap_plane(frame, 0, CV_8UC1, w, h);
      if (y_src.empty()) return {};
      copy_plane_padded(y_src.data, static_cast<int>(y_src.step), w, h, 1, y_dst);
      if (fmt == GST_VIDEO_FORMAT_I420) {
        // U then V, each h2/2 rows of w2/2 bytes, contiguous
        for (guint p = 1; p <= 2; ++p) {
          cv::Mat c_src = wrap_plane(frame, p, CV_8UC1, cw, ch);
          if (c_src.empty()) return {};
          guint8* start = yuv.ptr<guint8>(h2) + static_cast<size_t>(p - 1) * (w2 / 2) * (h2 / 2);
          cv::Mat c_dst(h2 / 2, w2 / 2, CV_8UC1, start);
          copy_plane_padded(c_src.data, static_cast<int>(c_src.step), cw, ch, 1, c_dst);
        }
        cv::cvtColor(yuv, bgr, cv::COLOR_YUV2BGR_I420);
      } else {
        cv::Mat c_src = wrap_plane(frame, 1, CV_8UC2, cw, ch);
        if (c_src.empty()) return {};
        cv::Mat c_dst(h2 / 2, w2 / 2, CV_8UC2, yuv.ptr<guint8>(h2));
        copy_plane_padded(c_src.data, static_cast<int>(c_src.step), cw * 2, ch, 2, c_dst);
        cv::cvtColor(yuv, bgr, cv::COLOR_YUV2BGR_NV12);
      }
      return (w2 == w && h2 == h) ? bgr : bgr(cv::Rect(0, 0, w, h)).clone();
    }
    default:
      return {};
  }
}

cv::Mat wrap_packed_rgb(const GstVideoFrame* frame) {
  const GstVideoFormatInfo* fi = frame->info.finfo;
  if (!GST_VIDEO_FORMAT_INFO_IS_RGB(fi) || GST_VIDEO_FORMAT_INFO_N_PLANES(fi) != 1 ||
      GST_VIDEO_FORMAT_INFO_BITS(fi) != 8)
    return {};
  const int pstride = GST_VIDEO_FORMAT_INFO_PSTRIDE(fi, 0);
  if (pstride != 3 && pstride != 4) return {};
  return wrap_plane(frame, 0, pstride == 3 ? CV_8UC3 : CV_8UC4, GST_VIDEO_FRAME_WIDTH(frame),
                    GST_VIDEO_FRAME_HEIGHT(frame));
}

cv::Scalar colour_for_format(GstVideoFormat fmt, double b, double g, double r) {
  const GstVideoFormatInfo* fi = gst_video_format_get_info(fmt);
  cv::Scalar s(255, 255, 255, 255);
  if (fi == nullptr || !GST_VIDEO_FORMAT_INFO_IS_RGB(fi)) return cv::Scalar(b, g, r, 255);
  s[GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_R) & 3] = r;
  s[GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_G) & 3] = g;
  s[GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_B) & 3] = b;
  return s;  // the remaining slot (alpha or padding) stays 255
}

}  // namespace gstfacerec
