// Helpers shared by the element tests: buffers from images, face ROIs of a buffer.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include <gst/video/video.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "common.h"
#include "facemeta.h"

namespace testutil {

// Caps for a raw video format at 25 fps.
inline std::string caps_string(GstVideoFormat fmt, int w, int h) {
  return std::string("video/x-raw,format=") + gst_video_format_to_string(fmt) +
         ",width=" + std::to_string(w) + ",height=" + std::to_string(h) + ",framerate=25/1";
}

// Copies `rows` rows of `row_bytes` from src (step) to a plane of the frame.
inline void copy_rows(const uint8_t* src, size_t step, int rows, int row_bytes, GstVideoFrame* f,
               guint plane) {
  auto* dst = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(f, plane));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(f, plane);
  for (int y = 0; y < rows; ++y) std::copy(src + y * step, src + y * step + row_bytes, dst + y * stride);
}

// A buffer of `fmt` (GStreamer layout, strides) holding the BGR image: BGR, RGBA,
// GRAY8, I420, NV12, YUY2, or any packed RGB format.
// I420 / NV12 need even sizes here.
inline GstBuffer* make_buffer(const cv::Mat& bgr, GstVideoFormat fmt) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, fmt, static_cast<guint>(bgr.cols), static_cast<guint>(bgr.rows));
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, info.size, nullptr);
  GstVideoFrame f;
  fail_unless(gst_video_frame_map(&f, &info, buf, GST_MAP_WRITE));
  const int w = bgr.cols, h = bgr.rows;
  cv::Mat m;
  switch (fmt) {
    case GST_VIDEO_FORMAT_BGR: copy_rows(bgr.data, bgr.step, h, w * 3, &f, 0); break;
    case GST_VIDEO_FORMAT_RGBA:
      cv::cvtColor(bgr, m, cv::COLOR_BGR2RGBA);
      copy_rows(m.data, m.step, h, w * 4, &f, 0);
      break;
    case GST_VIDEO_FORMAT_GRAY8:
      cv::cvtColor(bgr, m, cv::COLOR_BGR2GRAY);
      copy_rows(m.data, m.step, h, w, &f, 0);
      break;
    case GST_VIDEO_FORMAT_I420:
    case GST_VIDEO_FORMAT_NV12: {
      fail_unless(w % 2 == 0 && h % 2 == 0);
      cv::cvtColor(bgr, m, cv::COLOR_BGR2YUV_I420);  // Y, then U, then V, contiguous
      copy_rows(m.data, w, h, w, &f, 0);
      const uint8_t* u = m.data + w * h;
      const uint8_t* v = u + (w / 2) * (h / 2);
      if (fmt == GST_VIDEO_FORMAT_I420) {
        copy_rows(u, w / 2, h / 2, w / 2, &f, 1);
        copy_rows(v, w / 2, h / 2, w / 2, &f, 2);
      } else {
        std::vector<uint8_t> uv(static_cast<size_t>(w) * (h / 2));
        for (int i = 0; i < (w / 2) * (h / 2); ++i) {
          uv[2 * i] = u[i];
          uv[2 * i + 1] = v[i];
        }
        copy_rows(uv.data(), w, h / 2, w, &f, 1);
      }
      break;
    }
    case GST_VIDEO_FORMAT_YUY2: {
      fail_unless(w % 2 == 0 && h % 2 == 0);
      cv::cvtColor(bgr, m, cv::COLOR_BGR2YUV_I420);  // same coefficients as the decoder
      const uint8_t* Y = m.data;
      const uint8_t* U = Y + w * h;
      const uint8_t* V = U + (w / 2) * (h / 2);
      std::vector<uint8_t> row(static_cast<size_t>(w) * 2);
      auto* dst = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0));
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; x += 2) {
          row[2 * x] = Y[y * w + x];
          row[2 * x + 1] = U[(y / 2) * (w / 2) + x / 2];
          row[2 * x + 2] = Y[y * w + x + 1];
          row[2 * x + 3] = V[(y / 2) * (w / 2) + x / 2];
        }
        std::copy(row.begin(), row.end(), dst + y * GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0));
      }
      break;
    }
    default: {
      // packed RGB family: place B, G, R at this format's byte offsets
      const GstVideoFormatInfo* fi = gst_video_format_get_info(fmt);
      fail_unless(GST_VIDEO_FORMAT_INFO_IS_RGB(fi) && GST_VIDEO_FORMAT_INFO_N_PLANES(fi) == 1);
      const int ps = GST_VIDEO_FORMAT_INFO_PSTRIDE(fi, 0);
      const int ro = GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_R);
      const int go = GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_G);
      const int bo = GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_B);
      auto* dst = static_cast<uint8_t*>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0));
      for (int y = 0; y < h; ++y) {
        uint8_t* d = dst + y * GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0);
        for (int x = 0; x < w; ++x) {
          const cv::Vec3b p = bgr.at<cv::Vec3b>(y, x);
          uint8_t* q = d + x * ps;
          if (ps == 4) std::fill(q, q + 4, 255);
          q[bo] = p[0];
          q[go] = p[1];
          q[ro] = p[2];
        }
      }
    }
  }
  gst_video_frame_unmap(&f);
  return buf;
}

// A BGR video buffer holding a copy of `bgr` (default strides).
inline GstBuffer* bgr_buffer(const cv::Mat& bgr) { return make_buffer(bgr, GST_VIDEO_FORMAT_BGR); }

// The buffer's face ROIs ("face" roi_type), in meta order.
inline std::vector<GstVideoRegionOfInterestMeta*> face_rois(GstBuffer* buf) {
  std::vector<GstVideoRegionOfInterestMeta*> out;
  gpointer it = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(buf, &it)) out.push_back(roi);
  return out;
}

inline cv::Rect roi_rect(const GstVideoRegionOfInterestMeta* r) {
  return cv::Rect(static_cast<int>(r->x), static_cast<int>(r->y), static_cast<int>(r->w),
                  static_cast<int>(r->h));
}

// Runs the gst-launch style `desc` to PAUSED, expects the state change to fail with an
// ERROR message, and returns its text and debug string ("MESSAGE | DEBUG"); `domain`, if
// given, receives the error's domain.
inline std::string start_error_text(const std::string& desc, GQuark* domain = nullptr) {
  GError* err = nullptr;
  GstElement* pipe = gst_parse_launch(desc.c_str(), &err);
  fail_unless(pipe != nullptr, "parse: %s", err ? err->message : "?");
  g_clear_error(&err);
  GstBus* bus = gst_element_get_bus(pipe);
  fail_unless_equals_int(gst_element_set_state(pipe, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, 5 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless(msg != nullptr, "no ERROR message for %s", desc.c_str());
  GError* gerr = nullptr;
  gchar* dbg = nullptr;
  gst_message_parse_error(msg, &gerr, &dbg);
  const std::string text = std::string(gerr->message) + " | " + (dbg ? dbg : "");
  g_print("  %s\n    -> %s\n", desc.c_str(), gerr->message);
  if (domain) *domain = gerr->domain;
  g_error_free(gerr);
  g_free(dbg);
  gst_message_unref(msg);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipe);
  return text;
}

// Runs the gst-launch style `desc` to PAUSED; expects the state change to fail with a
// RESOURCE error whose message or debug text names `needle` (usually the file).
inline void expect_start_error(const std::string& desc, const std::string& needle) {
  GQuark domain = 0;
  const std::string text = start_error_text(desc, &domain);
  fail_unless(text.find(needle) != std::string::npos, "error '%s' does not name '%s'", text.c_str(),
              needle.c_str());
  fail_unless(domain == GST_RESOURCE_ERROR, "not a RESOURCE error: %s", text.c_str());
}

}  // namespace testutil
