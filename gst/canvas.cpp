// gst-facerec: drawing on mapped frames (see canvas.h).
#include "canvas.h"

#include <algorithm>
#include <cmath>

namespace gstfacerec {

namespace {

guint8 clamp_u8(double v) { return static_cast<guint8>(std::clamp(std::lround(v), 0L, 255L)); }

}  // namespace

CompValues colour_values(const GstVideoInfo* info, guint rgb) {
  const double r = (rgb >> 16) & 0xFF, g = (rgb >> 8) & 0xFF, b = rgb & 0xFF;
  CompValues v;
  v.fill(255);
  if (GST_VIDEO_INFO_IS_RGB(info)) {
    v[GST_VIDEO_COMP_R] = static_cast<guint8>(r);
    v[GST_VIDEO_COMP_G] = static_cast<guint8>(g);
    v[GST_VIDEO_COMP_B] = static_cast<guint8>(b);
    return v;
  }
  // Y'CbCr with the caps' matrix (BT.601 when unknown) and range.
  gdouble kr = 0.299, kb = 0.114;
  if (!gst_video_color_matrix_get_Kr_Kb(info->colorimetry.matrix, &kr, &kb)) {
    kr = 0.299;
    kb = 0.114;
  }
  const double kg = 1.0 - kr - kb;
  const double ey = (kr * r + kg * g + kb * b) / 255.0;
  const double pb = (b / 255.0 - ey) / (2.0 * (1.0 - kb));
  const double pr = (r / 255.0 - ey) / (2.0 * (1.0 - kr));
  const bool full = info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
  v[GST_VIDEO_COMP_Y] = clamp_u8(full ? 255.0 * ey : 16.0 + 219.0 * ey);
  v[GST_VIDEO_COMP_U] = clamp_u8(128.0 + (full ? 255.0 : 224.0) * pb);
  v[GST_VIDEO_COMP_V] = clamp_u8(128.0 + (full ? 255.0 : 224.0) * pr);
  return v;
}

}  // namespace gstfacerec
