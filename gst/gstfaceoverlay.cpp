// gst-facerec: facerec-overlay, draws the face ROIs, their names and scores.
//
// Per face ROI ("face" GstVideoRegionOfInterestMeta):
//   - known faces ("recognition" params with a label): box in `known-color`, label
//     "name (score)" (score only with show-score=true);
//   - unknown faces ("recognition" params, no label): box in `unknown-color`, label
//     "unknown";
//   - faces that did not go through facerecognize (or whose params were dropped by
//     a videoconvert/videoscale): box in `detected-color`, no label;
//   - draw-landmarks=true: the 5 landmarks of the "detection" params as dots in
//     `landmark-color`.
// The box is drawn on the inner side of the ROI (the ROI's own pixels), the label
// as text on a filled bar of the box colour (black or white text, whichever reads
// better), above, below or inside the box (`label-position`).
//
// Sizes: line-width=0 and font-scale=0 (the defaults) scale with the frame
// height: line width max(2, round(height / 360)) pixels (2 up to 720p, 3 at
// 1080p, 6 at 2160p); font scale max(0.4, height / 1000) of OpenCV's Hershey
// simplex font (capital letters about 9 pixels high at 240 lines, 23 at 1080).
// Names are drawn with OpenCV's Hershey font: ASCII only, other characters
// show as '?'.
//
// Formats: draws in place on packed RGB (BGR, RGB, BGRx, RGBx, BGRA, RGBA, xRGB,
// xBGR, ARGB, ABGR) and on 8-bit YUV (I420, YV12, NV12, NV21, Y42B, Y444, YUY2,
// UYVY): colours are converted to Y'CbCr with the caps' colorimetry (matrix and
// range) and drawn on each component at its own resolution (luma at full size,
// chroma subsampled), so no videoconvert is needed around the overlay.
//
// Example:
//   ... ! facedetect-dnn ! facerecognize model=people.model !
//       facerec-overlay draw-landmarks=true ! x264enc ! ...
#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include <opencv2/imgproc.hpp>

#include "elements.h"
#include "canvas.h"
#include "facemeta.h"
#include "videoframe.h"

GST_DEBUG_CATEGORY_STATIC(gst_facerec_overlay_debug);
#define GST_CAT_DEFAULT gst_facerec_overlay_debug

using gstfacerec::Canvas;
using gstfacerec::colour_values;
using gstfacerec::CompValues;

namespace {
constexpr gboolean kDefaultDrawLandmarks = FALSE;
constexpr gint kDefaultLineWidth = 0;        // auto
constexpr double kDefaultFontScale = 0.0;    // auto
constexpr gboolean kDefaultShowScore = TRUE;
constexpr gboolean kDefaultShowTrackId = FALSE;
constexpr guint kDefaultKnownColor = 0x00FF00;
constexpr guint kDefaultUnknownColor = 0xFF0000;
constexpr guint kDefaultDetectedColor = 0xFFFF00;
constexpr guint kDefaultLandmarkColor = 0x00FFFF;
constexpr gint kDefaultLabelPosition = GST_FACEREC_LABEL_POSITION_ABOVE;

// Properties, read and written under GST_OBJECT_LOCK (plain values).
struct Settings {
  gboolean draw_landmarks;
  gint line_width;
  double font_scale;
  gboolean show_score;
  gboolean show_track_id;
  guint known_color, unknown_color, detected_color, landmark_color;
  gint label_position;
};

// Auto sizes (documented above and in the property blurbs).
int auto_line_width(int height) {
  return std::max(2, static_cast<int>(std::lround(height / 360.0)));
}
double auto_font_scale(int height) { return std::max(0.4, height / 1000.0); }

// Black or white, whichever reads better on `rgb`.
guint text_colour_for(guint rgb) {
  const double r = (rgb >> 16) & 0xFF, g = (rgb >> 8) & 0xFF, b = rgb & 0xFF;
  return 0.299 * r + 0.587 * g + 0.114 * b > 140.0 ? 0x000000 : 0xFFFFFF;
}

// The label bar of a face: above / below / inside the box, kept in the frame.
cv::Rect label_bar(const cv::Rect& box, cv::Size bar, int position, int fw, int fh) {
  int y;
  switch (position) {
    case GST_FACEREC_LABEL_POSITION_BELOW:
      y = box.y + box.height;
      if (y + bar.height > fh) y = box.y + box.height - bar.height;  // inside the bottom
      break;
    case GST_FACEREC_LABEL_POSITION_INSIDE:
      y = box.y;
      break;
    case GST_FACEREC_LABEL_POSITION_ABOVE:
    default:
      y = box.y - bar.height;
      if (y < 0) y = box.y;  // no room above: inside the top
      break;
  }
  y = std::max(0, std::min(y, fh - bar.height));
  const int x = std::max(0, std::min(box.x, fw - bar.width));
  return cv::Rect(x, y, bar.width, bar.height);
}

}  // namespace

GType gst_facerec_label_position_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {GST_FACEREC_LABEL_POSITION_ABOVE, "Above the box (inside its top when there is no room)",
       "above"},
      {GST_FACEREC_LABEL_POSITION_BELOW,
       "Below the box (inside its bottom when there is no room)", "below"},
      {GST_FACEREC_LABEL_POSITION_INSIDE, "Inside the top of the box", "inside"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstFaceRecLabelPosition", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

struct GstFaceRecOverlay {
  GstVideoFilter parent;
  Settings settings;
};

struct GstFaceRecOverlayClass {
  GstVideoFilterClass parent_class;
};

enum {
  PROP_0,
  PROP_DRAW_LANDMARKS,
  PROP_LINE_WIDTH,
  PROP_FONT_SCALE,
  PROP_SHOW_SCORE,
  PROP_SHOW_TRACK_ID,
  PROP_KNOWN_COLOR,
  PROP_UNKNOWN_COLOR,
  PROP_DETECTED_COLOR,
  PROP_LANDMARK_COLOR,
  PROP_LABEL_POSITION,
};

#define GST_TYPE_FACEREC_OVERLAY (gst_facerec_overlay_get_type())
#define GST_FACEREC_OVERLAY(obj) \
  (G_TYPE_CHECK_INSTANCE_CAST((obj), GST_TYPE_FACEREC_OVERLAY, GstFaceRecOverlay))

G_DEFINE_TYPE(GstFaceRecOverlay, gst_facerec_overlay, GST_TYPE_VIDEO_FILTER)

static void gst_facerec_overlay_set_property(GObject* object, guint prop_id, const GValue* value,
                                          GParamSpec* pspec) {
  GstFaceRecOverlay* self = GST_FACEREC_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  Settings& s = self->settings;
  switch (prop_id) {
    case PROP_DRAW_LANDMARKS: s.draw_landmarks = g_value_get_boolean(value); break;
    case PROP_LINE_WIDTH: s.line_width = g_value_get_int(value); break;
    case PROP_FONT_SCALE: s.font_scale = g_value_get_double(value); break;
    case PROP_SHOW_SCORE: s.show_score = g_value_get_boolean(value); break;
    case PROP_SHOW_TRACK_ID: s.show_track_id = g_value_get_boolean(value); break;
    case PROP_KNOWN_COLOR: s.known_color = g_value_get_uint(value); break;
    case PROP_UNKNOWN_COLOR: s.unknown_color = g_value_get_uint(value); break;
    case PROP_DETECTED_COLOR: s.detected_color = g_value_get_uint(value); break;
    case PROP_LANDMARK_COLOR: s.landmark_color = g_value_get_uint(value); break;
    case PROP_LABEL_POSITION: s.label_position = g_value_get_enum(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_facerec_overlay_get_property(GObject* object, guint prop_id, GValue* value,
                                          GParamSpec* pspec) {
  GstFaceRecOverlay* self = GST_FACEREC_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  const Settings& s = self->settings;
  switch (prop_id) {
    case PROP_DRAW_LANDMARKS: g_value_set_boolean(value, s.draw_landmarks); break;
    case PROP_LINE_WIDTH: g_value_set_int(value, s.line_width); break;
    case PROP_FONT_SCALE: g_value_set_double(value, s.font_scale); break;
    case PROP_SHOW_SCORE: g_value_set_boolean(value, s.show_score); break;
    case PROP_SHOW_TRACK_ID: g_value_set_boolean(value, s.show_track_id); break;
    case PROP_KNOWN_COLOR: g_value_set_uint(value, s.known_color); break;
    case PROP_UNKNOWN_COLOR: g_value_set_uint(value, s.unknown_color); break;
    case PROP_DETECTED_COLOR: g_value_set_uint(value, s.detected_color); break;
    case PROP_LANDMARK_COLOR: g_value_set_uint(value, s.landmark_color); break;
    case PROP_LABEL_POSITION: g_value_set_enum(value, s.label_position); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static GstFlowReturn gst_facerec_overlay_transform_frame_ip(GstVideoFilter* filter,
                                                         GstVideoFrame* frame) {
  GstFaceRecOverlay* self = GST_FACEREC_OVERLAY(filter);
  GST_OBJECT_LOCK(self);
  const Settings s = self->settings;
  GST_OBJECT_UNLOCK(self);

  Canvas canvas(frame);
  const int fw = canvas.width(), fh = canvas.height();
  if (fw <= 0 || fh <= 0) return GST_FLOW_OK;
  const GstVideoInfo* info = &frame->info;
  const int line = s.line_width > 0 ? s.line_width : auto_line_width(fh);
  const double font_scale = s.font_scale > 0.0 ? s.font_scale : auto_font_scale(fh);
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const int thickness = std::max(1, static_cast<int>(std::lround(font_scale * 1.6)));
  const int pad = std::max(2, static_cast<int>(std::lround(font_scale * 4.0)));

  gpointer iter = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(frame->buffer, &iter)) {
    // keep the numbers in int range; everything is clipped to the frame
    const int x = static_cast<int>(std::min<guint>(roi->x, G_MAXINT / 4));
    const int y = static_cast<int>(std::min<guint>(roi->y, G_MAXINT / 4));
    const int w = static_cast<int>(std::min<guint>(roi->w, G_MAXINT / 4));
    const int h = static_cast<int>(std::min<guint>(roi->h, G_MAXINT / 4));
    const cv::Rect box(x, y, std::max(1, w), std::max(1, h));

    const gchar* label = nullptr;
    gint label_id = -1;
    gdouble score = 0.0, distance = 0.0;
    guint rgb = s.detected_color;
    std::string text;
    if (gst_facerec_roi_get_recognition(roi, &label, &label_id, &score, &distance)) {
      if (label != nullptr) {
        rgb = s.known_color;
        text = label;
        if (s.show_score) {
          gchar buf[32];
          g_snprintf(buf, sizeof buf, " (%.2f)", score);
          text += buf;
        }
      } else {
        rgb = s.unknown_color;
        text = "unknown";
      }
    }
    guint64 track = 0;
    if (s.show_track_id && gst_facerec_roi_get_tracking(roi, &track, nullptr, nullptr, nullptr))
      text += (text.empty() ? "#" : " #") + std::to_string(track);
    const CompValues colour = colour_values(info, rgb);
    canvas.outline(box, line, colour);

    if (s.draw_landmarks) {
      gdouble lm[2 * GST_FACEREC_NUM_LANDMARKS];
      if (gst_facerec_roi_get_detection(roi, nullptr, lm)) {
        const CompValues lc = colour_values(info, s.landmark_color);
        const int r = std::max(1, line);
        cv::Mat dot(2 * r + 3, 2 * r + 3, CV_8UC1);
        for (int i = 0; i < GST_FACEREC_NUM_LANDMARKS; ++i) {
          if (!std::isfinite(lm[2 * i]) || !std::isfinite(lm[2 * i + 1])) continue;
          const double lx = std::clamp(lm[2 * i], -1e6, 1e6);
          const double ly = std::clamp(lm[2 * i + 1], -1e6, 1e6);
          const cv::Point c(static_cast<int>(std::lround(lx)), static_cast<int>(std::lround(ly)));
          dot.setTo(0);
          cv::circle(dot, cv::Point(r + 1, r + 1), r, cv::Scalar(255), cv::FILLED, cv::LINE_8);
          canvas.blend(dot, c - cv::Point(r + 1, r + 1), lc);
        }
      }
    }

    if (!text.empty()) {
      int baseline = 0;
      const cv::Size ts = cv::getTextSize(text, font, font_scale, thickness, &baseline);
      const cv::Size bar_size(ts.width + 2 * pad, ts.height + baseline + 2 * pad);
      const cv::Rect bar = label_bar(box, bar_size, s.label_position, fw, fh);
      canvas.fill(bar, colour);
      // the glyphs as a coverage mask over the visible part of the bar
      const cv::Rect visible = bar & cv::Rect(0, 0, fw, fh);
      if (!visible.empty()) {
        cv::Mat mask = cv::Mat::zeros(visible.size(), CV_8UC1);
        const cv::Point org(bar.x + pad - visible.x, bar.y + pad + ts.height - visible.y);
        cv::putText(mask, text, org, font, font_scale, cv::Scalar(255), thickness, cv::LINE_AA);
        canvas.blend(mask, visible.tl(), colour_values(info, text_colour_for(rgb)));
      }
    }
  }
  return GST_FLOW_OK;
}

static void gst_facerec_overlay_init(GstFaceRecOverlay* self) {
  Settings& s = self->settings;
  s.draw_landmarks = kDefaultDrawLandmarks;
  s.line_width = kDefaultLineWidth;
  s.font_scale = kDefaultFontScale;
  s.show_score = kDefaultShowScore;
  s.show_track_id = kDefaultShowTrackId;
  s.known_color = kDefaultKnownColor;
  s.unknown_color = kDefaultUnknownColor;
  s.detected_color = kDefaultDetectedColor;
  s.landmark_color = kDefaultLandmarkColor;
  s.label_position = kDefaultLabelPosition;
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
  gstfacerec::explain_unsupported_caps(GST_ELEMENT(self));
}

static void gst_facerec_overlay_class_init(GstFaceRecOverlayClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstVideoFilterClass* filter_class = GST_VIDEO_FILTER_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_facerec_overlay_debug, "faceoverlay", 0, "Face box overlay");

  gobject_class->set_property = gst_facerec_overlay_set_property;
  gobject_class->get_property = gst_facerec_overlay_get_property;

  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_DRAW_LANDMARKS,
      g_param_spec_boolean("draw-landmarks", "Draw landmarks",
                           "Draw the 5 landmarks (eyes, nose, mouth corners) of each face as dots "
                           "in landmark-color",
                           kDefaultDrawLandmarks, flags));
  g_object_class_install_property(
      gobject_class, PROP_LINE_WIDTH,
      g_param_spec_int("line-width", "Line width",
                       "Width of the box lines in pixels, drawn inside the face box; 0: "
                       "automatic, max(2, frame height / 360)",
                       0, 50, kDefaultLineWidth, flags));
  g_object_class_install_property(
      gobject_class, PROP_FONT_SCALE,
      g_param_spec_double("font-scale", "Font scale",
                          "Scale of the label font (OpenCV Hershey simplex; 1.0: capitals about "
                          "22 pixels high); 0: automatic, max(0.4, frame height / 1000)",
                          0.0, 10.0, kDefaultFontScale, flags));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_SCORE,
      g_param_spec_boolean("show-score", "Show score",
                           "Append the classifier score to the names of known faces: "
                           "\"name (0.87)\"",
                           kDefaultShowScore, flags));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_TRACK_ID,
      g_param_spec_boolean("show-track-id", "Show track id",
                           "Append the face's track id (its \"tracking\" param, from "
                           "facedetect-dnn's tracking) to the label: \"name (0.87) #3\", "
                           "\"unknown #5\", \"#7\" for a face not recognised",
                           kDefaultShowTrackId, flags));
  g_object_class_install_property(
      gobject_class, PROP_KNOWN_COLOR,
      g_param_spec_uint("known-color", "Known colour",
                        "Colour of the box and label of recognised faces, 0xRRGGBB", 0, 0xFFFFFF,
                        kDefaultKnownColor, flags));
  g_object_class_install_property(
      gobject_class, PROP_UNKNOWN_COLOR,
      g_param_spec_uint("unknown-color", "Unknown colour",
                        "Colour of the box and \"unknown\" label of faces facerecognize could not "
                        "name, 0xRRGGBB",
                        0, 0xFFFFFF, kDefaultUnknownColor, flags));
  g_object_class_install_property(
      gobject_class, PROP_DETECTED_COLOR,
      g_param_spec_uint("detected-color", "Detected-only colour",
                        "Colour of the box of faces that were detected but not recognised (no "
                        "facerecognize, no model, or params dropped upstream), 0xRRGGBB; no label",
                        0, 0xFFFFFF, kDefaultDetectedColor, flags));
  g_object_class_install_property(
      gobject_class, PROP_LANDMARK_COLOR,
      g_param_spec_uint("landmark-color", "Landmark colour",
                        "Colour of the landmark dots (draw-landmarks=true), 0xRRGGBB", 0, 0xFFFFFF,
                        kDefaultLandmarkColor, flags));
  g_object_class_install_property(
      gobject_class, PROP_LABEL_POSITION,
      g_param_spec_enum("label-position", "Label position",
                        "Where the label (text on a bar of the box colour) goes",
                        GST_FACEREC_TYPE_LABEL_POSITION, kDefaultLabelPosition, flags));
  gst_type_mark_as_plugin_api(GST_FACEREC_TYPE_LABEL_POSITION, static_cast<GstPluginAPIFlags>(0));

  gstfacerec::add_filter_pad_templates(element_class, GST_VIDEO_CAPS_MAKE(
      "{ " GST_FACEREC_PACKED_RGB_FORMATS ", " GST_FACEREC_OVERLAY_YUV_FORMATS " }"));

  gst_element_class_set_static_metadata(
      element_class, "Face overlay", "Filter/Effect/Video",
      "Draws the face boxes, names and scores found by facedetect-dnn / facerecognize, in place "
      "on RGB or YUV frames: known faces in known-color with the name, unknown in unknown-color, "
      "faces not recognised in detected-color",
      GST_FACEREC_AUTHOR);

  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_facerec_overlay_transform_frame_ip);
}
