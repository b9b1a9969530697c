// Helpers shared by the element tests: buffers from images, face ROIs of a buffer.
#pragma once

#include <algorithm>
#include <vector>

#include <gst/video/video.h>
#include <opencv2/core.hpp>

#include "common.h"
#include "facemeta.h"

namespace testutil {

// A BGR video buffer holding a copy of `bgr` (default strides).
inline GstBuffer* bgr_buffer(const cv::Mat& bgr) {
  GstVideoInfo info;
  gst_video_info_set_format(&info, GST_VIDEO_FORMAT_BGR, static_cast<guint>(bgr.cols),
                            static_cast<guint>(bgr.rows));
  GstBuffer* buf = gst_buffer_new_allocate(nullptr, info.size, nullptr);
  GstVideoFrame f;
  fail_unless(gst_video_frame_map(&f, &info, buf, GST_MAP_WRITE));
  auto* dst = static_cast<guint8*>(GST_VIDEO_FRAME_PLANE_DATA(&f, 0));
  const int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0);
  for (int y = 0; y < bgr.rows; ++y)
    std::copy(bgr.ptr<guint8>(y), bgr.ptr<guint8>(y) + bgr.cols * 3, dst + y * stride);
  gst_video_frame_unmap(&f);
  return buf;
}

// The buffer's face ROIs ("face" roi_type), in meta order.
inline std::vector<GstVideoRegionOfInterestMeta*> face_rois(GstBuffer* buf) {
  std::vector<GstVideoRegionOfInterestMeta*> out;
  gpointer it = nullptr;
  GstMeta* m;
  while ((m = gst_buffer_iterate_meta_filtered(buf, &it, GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    auto* roi = reinterpret_cast<GstVideoRegionOfInterestMeta*>(m);
    if (gst_facerec_roi_is_face(roi)) out.push_back(roi);
  }
  return out;
}

inline cv::Rect roi_rect(const GstVideoRegionOfInterestMeta* r) {
  return cv::Rect(static_cast<int>(r->x), static_cast<int>(r->y), static_cast<int>(r->w),
                  static_cast<int>(r->h));
}

}  // namespace testutil
