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

cv::Mat frame_to_bgr(const GstVideoFrame* frame, ScaleScratch* scratch) {
  const GstVideoFormat fmt = GST_VIDEO_FRAME_FORMAT(frame);
  const int w = GST_VIDEO_FRAME_WIDTH(frame);
  const int h = GST_VIDEO_FRAME_HEIGHT(frame);
  if (w <= 0 || h <= 0) return {};

  // With scratch the conversion and its work buffer (YUY2's padded copy, the 4:2:0 planes)
  // live in it; a crop of an odd size is then a view instead of a copy.
  cv::Mat local_bgr, local_work;
  cv::Mat& bgr = scratch ? scratch->bgr : local_bgr;
  cv::Mat& work = scratch ? scratch->small : local_work;
  const auto crop = [&](int cw, int ch) {
    if (cw == w && ch == h) return bgr;
    return scratch ? bgr(cv::Rect(0, 0, w, h)) : cv::Mat(bgr(cv::Rect(0, 0, w, h)).clone());
  };
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
      work.create(h, w2, CV_8UC2);
      copy_plane_padded(src, stride, std::min(row_bytes, stride), h, 4, work);
      cv::cvtColor(work, bgr, cv::COLOR_YUV2BGR_YUY2);
      return crop(w2, h);
    }
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_NV12: {
      // Copy the planes into one contiguous buffer of even size (last row and
      // column replicated), convert, crop back.
      const int w2 = w + (w & 1), h2 = h + (h & 1);
      const int cw = GST_VIDEO_FRAME_COMP_WIDTH(frame, 1);
      const int ch = GST_VIDEO_FRAME_COMP_HEIGHT(frame, 1);
      if (cw <= 0 || ch <= 0) return {};
      cv::Mat& yuv = work;
      yuv.create(h2 * 3 / 2, w2, CV_8UC1);
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
      return crop(w2, h2);
    }
    default:
      return {};
  }
}

namespace {

// Packed RGB family: resized from the mapped memory, B, G, R picked at the small size.
cv::Mat scaled_packed_rgb(const GstVideoFrame* frame, cv::Size size, ScaleScratch& s) {
  const cv::Mat src = wrap_packed_rgb(frame);
  if (src.empty()) return {};
  cv::resize(src, s.small, size, 0, 0, cv::INTER_AREA);
  const GstVideoFormat fmt = GST_VIDEO_FRAME_FORMAT(frame);
  if (fmt == GST_VIDEO_FORMAT_BGR) return s.small;
  if (fmt == GST_VIDEO_FORMAT_RGB) {
    cv::cvtColor(s.small, s.bgr, cv::COLOR_RGB2BGR);
    return s.bgr;
  }
  const GstVideoFormatInfo* fi = frame->info.finfo;  // byte offsets inside the 4-byte pixel
  const int r = static_cast<int>(GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_R));
  const int g = static_cast<int>(GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_G));
  const int b = static_cast<int>(GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_B));
  s.bgr.create(s.small.rows, s.small.cols, CV_8UC3);
  const int from_to[] = {b, 0, g, 1, r, 2};
  cv::mixChannels(&s.small, 1, &s.bgr, 1, from_to, 3);
  return s.bgr;
}

// OpenCV's 4:2:0 converters want even sizes: an odd small size gets one more column / row,
// cropped after the conversion. Only that cropped pixel depends on it; it is filled anyway
// (a copy of its neighbour) so that the converter never reads undefined memory.
void pad_odd(cv::Mat m, int cols, int rows) {
  if (cols < m.cols)
    m(cv::Rect(cols - 1, 0, 1, rows)).copyTo(m(cv::Rect(cols, 0, 1, rows)));
  if (rows < m.rows) m.row(rows - 1).copyTo(m.row(rows));
}

// I420 / NV12: luma and chroma planes resized separately into one contiguous 4:2:0 image of
// even size, converted, cropped. The chroma planes cover the frame's (even) width: for an
// odd small width they are half a pixel wider than the luma, which detection never notices.
cv::Mat scaled_yuv420(const GstVideoFrame* frame, cv::Size size, ScaleScratch& s) {
  const bool i420 = GST_VIDEO_FRAME_FORMAT(frame) == GST_VIDEO_FORMAT_I420;
  const int w = GST_VIDEO_FRAME_WIDTH(frame), h = GST_VIDEO_FRAME_HEIGHT(frame);
  const int cw = GST_VIDEO_FRAME_COMP_WIDTH(frame, 1), ch = GST_VIDEO_FRAME_COMP_HEIGHT(frame, 1);
  const int pw = size.width, ph = size.height;
  const int w2 = pw + (pw & 1), h2 = ph + (ph & 1);
  const cv::Mat y_src = wrap_plane(frame, 0, CV_8UC1, w, h);
  if (y_src.empty() || cw <= 0 || ch <= 0) return {};
  s.small.create(h2 * 3 / 2, w2, CV_8UC1);
  cv::Mat y_dst = s.small.rowRange(0, h2);
  cv::Mat y_roi = y_dst(cv::Rect(0, 0, pw, ph));
  cv::resize(y_src, y_roi, size, 0, 0, cv::INTER_AREA);  // same size and type: written in place
  pad_odd(y_dst, pw, ph);
  const cv::Size csize(w2 / 2, h2 / 2);
  guint8* chroma = s.small.ptr<guint8>(h2);
  if (i420) {
    for (guint p = 1; p <= 2; ++p) {  // U then V, each contiguous after the luma
      const cv::Mat c_src = wrap_plane(frame, p, CV_8UC1, cw, ch);
      if (c_src.empty()) return {};
      cv::Mat c_dst(csize, CV_8UC1, chroma + static_cast<size_t>(p - 1) * csize.area());
      cv::resize(c_src, c_dst, csize, 0, 0, cv::INTER_AREA);
    }
  } else {
    const cv::Mat c_src = wrap_plane(frame, 1, CV_8UC2, cw, ch);
    if (c_src.empty()) return {};
    cv::Mat c_dst(csize, CV_8UC2, chroma);
    cv::resize(c_src, c_dst, csize, 0, 0, cv::INTER_AREA);
  }
  cv::cvtColor(s.small, s.bgr, i420 ? cv::COLOR_YUV2BGR_I420 : cv::COLOR_YUV2BGR_NV12);
  return (w2 == pw && h2 == ph) ? s.bgr : s.bgr(cv::Rect(0, 0, pw, ph));
}

// YUY2 (Y0 U Y1 V): the luma is taken out of the packed pixels and resized; the chroma is
// resized from a 4-channel view of the macro-pixels (channels 1 and 3). Both are packed into
// a small YUY2 image, converted there. (Resizing a 2-channel view of the pixels instead of
// extracting the luma first is slower: OpenCV's area resize has no vector code for 2
// channels; resizing the macro-pixels to the small width in pixels is slower where that
// is not an integer factor, 1920 -> 640 from 960.)
cv::Mat scaled_yuy2(const GstVideoFrame* frame, cv::Size size, ScaleScratch& s) {
  const int w = GST_VIDEO_FRAME_WIDTH(frame), h = GST_VIDEO_FRAME_HEIGHT(frame);
  const int pw = size.width, ph = size.height, w2 = pw + (pw & 1);
  const cv::Mat pixels = wrap_plane(frame, 0, CV_8UC2, w, h);
  const cv::Mat macro = wrap_plane(frame, 0, CV_8UC4, (w + 1) / 2, h);
  if (pixels.empty() || macro.empty()) return {};
  cv::extractChannel(pixels, s.luma, 0);
  cv::resize(s.luma, s.luma_small, size, 0, 0, cv::INTER_AREA);
  cv::resize(macro, s.chroma, cv::Size(w2 / 2, ph), 0, 0, cv::INTER_AREA);
  s.small.create(ph, w2, CV_8UC2);
  for (int y = 0; y < ph; ++y) {
    const guint8* l = s.luma_small.ptr<guint8>(y);
    const guint8* c = s.chroma.ptr<guint8>(y);
    guint8* d = s.small.ptr<guint8>(y);
    for (int x = 0; x < w2; ++x) {
      d[2 * x] = l[std::min(x, pw - 1)];
      d[2 * x + 1] = c[4 * (x / 2) + ((x & 1) ? 3 : 1)];
    }
  }
  cv::cvtColor(s.small, s.bgr, cv::COLOR_YUV2BGR_YUY2);
  return w2 == pw ? s.bgr : s.bgr(cv::Rect(0, 0, pw, ph));
}

}  // namespace

cv::Mat frame_to_bgr_scaled(const GstVideoFrame* frame, cv::Size size, ScaleScratch& scratch) {
  const int w = GST_VIDEO_FRAME_WIDTH(frame), h = GST_VIDEO_FRAME_HEIGHT(frame);
  if (w <= 0 || h <= 0 || size.width <= 0 || size.height <= 0) return {};
  if (size.width >= w && size.height >= h) return frame_to_bgr(frame, &scratch);
  switch (GST_VIDEO_FRAME_FORMAT(frame)) {
    case GST_VIDEO_FORMAT_GRAY8: {
      const cv::Mat src = wrap_plane(frame, 0, CV_8UC1, w, h);
      if (src.empty()) return {};
      cv::resize(src, scratch.small, size, 0, 0, cv::INTER_AREA);
      cv::cvtColor(scratch.small, scratch.bgr, cv::COLOR_GRAY2BGR);
      return scratch.bgr;
    }
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_NV12:
      return scaled_yuv420(frame, size, scratch);
    case GST_VIDEO_FORMAT_YUY2:
      return scaled_yuy2(frame, size, scratch);
    default:
      return scaled_packed_rgb(frame, size, scratch);
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
