// gst-facerec: faceoverlay, draws the face ROIs and their names.
//
// Known faces: green box and "name (score)"; unknown faces: red box and
// "unknown"; faces that were not through facerecognize: yellow box only.
//
// Example:
//   ... ! facedetect-dnn ! facerecognize model=people.yml ! videoconvert !
//       faceoverlay draw-landmarks=true ! videoconvert ! autovideosink
#include <algorithm>
#include <cmath>
#include <string>

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include <opencv2/imgproc.hpp>

#include "elements.h"
#include "facemeta.h"
#include "videoframe.h"

GST_DEBUG_CATEGORY_STATIC(gst_facerec_overlay_debug);
#define GST_CAT_DEFAULT gst_facerec_overlay_debug

namespace {
constexpr gboolean kDefaultDrawLandmarks = FALSE;
constexpr gint kDefaultLineWidth = 2;
constexpr double kDefaultFontScale = 0.6;
constexpr gboolean kDefaultShowScore = TRUE;

// Properties, read and written under GST_OBJECT_LOCK (plain values: no C++
// state is needed by this element).
struct Settings {
  gboolean draw_landmarks;
  gint line_width;
  double font_scale;
  gboolean show_score;
};
}  // namespace

struct GstFaceRecOverlay {
  GstVideoFilter parent;
  Settings settings;
};

struct GstFaceRecOverlayClass {
  GstVideoFilterClass parent_class;
};

enum { PROP_0, PROP_DRAW_LANDMARKS, PROP_LINE_WIDTH, PROP_FONT_SCALE, PROP_SHOW_SCORE };

#define GST_TYPE_FACEREC_OVERLAY (gst_facerec_overlay_get_type())
#define GST_FACEREC_OVERLAY(obj) \
  (G_TYPE_CHECK_INSTANCE_CAST((obj), GST_TYPE_FACEREC_OVERLAY, GstFaceRecOverlay))

G_DEFINE_TYPE(GstFaceRecOverlay, gst_facerec_overlay, GST_TYPE_VIDEO_FILTER)

static void gst_facerec_overlay_set_property(GObject* object, guint prop_id, const GValue* value,
                                          GParamSpec* pspec) {
  GstFaceRecOverlay* self = GST_FACEREC_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_DRAW_LANDMARKS: self->settings.draw_landmarks = g_value_get_boolean(value); break;
    case PROP_LINE_WIDTH: self->settings.line_width = g_value_get_int(value); break;
    case PROP_FONT_SCALE: self->settings.font_scale = g_value_get_double(value); break;
    case PROP_SHOW_SCORE: self->settings.show_score = g_value_get_boolean(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_facerec_overlay_get_property(GObject* object, guint prop_id, GValue* value,
                                          GParamSpec* pspec) {
  GstFaceRecOverlay* self = GST_FACEREC_OVERLAY(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_DRAW_LANDMARKS: g_value_set_boolean(value, self->settings.draw_landmarks); break;
    case PROP_LINE_WIDTH: g_value_set_int(value, self->settings.line_width); break;
    case PROP_FONT_SCALE: g_value_set_double(value, self->settings.font_scale); break;
    case PROP_SHOW_SCORE: g_value_set_boolean(value, self->settings.show_score); break;
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

  cv::Mat img = gstfacerec::wrap_packed_rgb(frame);
  if (img.empty()) return GST_FLOW_OK;
  const GstVideoFormat fmt = GST_VIDEO_FRAME_FORMAT(frame);
  const cv::Scalar green = gstfacerec::colour_for_format(fmt, 0, 255, 0);
  const cv::Scalar red = gstfacerec::colour_for_format(fmt, 0, 0, 255);
  const cv::Scalar yellow = gstfacerec::colour_for_format(fmt, 0, 255, 255);
  const cv::Scalar cyan = gstfacerec::colour_for_format(fmt, 255, 255, 0);
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const int thickness = std::max(1, s.line_width / 2);

  gpointer iter = nullptr;
  GstMeta* m;
  while ((m = gst_buffer_iterate_meta_filtered(frame->buffer, &iter,
                                               GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    auto* roi = reinterpret_cast<GstVideoRegionOfInterestMeta*>(m);
    if (!gst_facerec_roi_is_face(roi)) continue;
    // OpenCV clips drawing to the image; keep the numbers in int range.
    const int x = static_cast<int>(std::min<guint>(roi->x, G_MAXINT / 2));
    const int y = static_cast<int>(std::min<guint>(roi->y, G_MAXINT / 2));
    const int w = static_cast<int>(std::min<guint>(roi->w, G_MAXINT / 4));
    const int h = static_cast<int>(std::min<guint>(roi->h, G_MAXINT / 4));
    const cv::Rect box(x, y, std::max(1, w), std::max(1, h));

    const gchar* label = nullptr;
    gint label_id = -1;
    gdouble score = 0.0, distance = 0.0;
    cv::Scalar colour = yellow;
    std::string text;
    if (gst_facerec_roi_get_recognition(roi, &label, &label_id, &score, &distance)) {
      if (label != nullptr) {
        colour = green;
        text = label;
        if (s.show_score) {
          gchar buf[32];
          g_snprintf(buf, sizeof buf, " (%.2f)", score);
          text += buf;
        }
      } else {
        colour = red;
        text = "unknown";
      }
    }
    cv::rectangle(img, box, colour, s.line_width, cv::LINE_8);

    if (s.draw_landmarks) {
      gdouble lm[10];
      if (gst_facerec_roi_get_detection(roi, nullptr, lm)) {
        for (int i = 0; i < GST_FACEREC_NUM_LANDMARKS; ++i) {
          if (!std::isfinite(lm[2 * i]) || !std::isfinite(lm[2 * i + 1])) continue;
          const cv::Point c(static_cast<int>(std::lround(std::clamp(lm[2 * i], -1e6, 1e6))),
                            static_cast<int>(std::lround(std::clamp(lm[2 * i + 1], -1e6, 1e6))));
          cv::circle(img, c, std::max(1, s.line_width), cyan, cv::FILLED, cv::LINE_8);
        }
      }
    }

    if (!text.empty()) {
      int baseline = 0;
      const cv::Size ts = cv::getTextSize(text, font, s.font_scale, thickness, &baseline);
      // above the box, or inside its top when there is no room above
      int ty = box.y - 4;
      if (ty - ts.height < 0) ty = box.y + ts.height + 4;
      // keep the label inside the frame horizontally where it fits
      const int tx = std::max(0, std::min(box.x, img.cols - ts.width));
      const cv::Point org(tx, ty);
      cv::rectangle(img, cv::Point(org.x, org.y - ts.height - 2),
                    cv::Point(org.x + ts.width, org.y + baseline), colour, cv::FILLED);
      cv::putText(img, text, org, font, s.font_scale,
                  gstfacerec::colour_for_format(fmt, 0, 0, 0), thickness, cv::LINE_AA);
    }
  }
  return GST_FLOW_OK;
}

static void gst_facerec_overlay_init(GstFaceRecOverlay* self) {
  self->settings.draw_landmarks = kDefaultDrawLandmarks;
  self->settings.line_width = kDefaultLineWidth;
  self->settings.font_scale = kDefaultFontScale;
  self->settings.show_score = kDefaultShowScore;
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
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
                           "Draw the 5 landmarks (eyes, nose, mouth corners) of each face",
                           kDefaultDrawLandmarks, flags));
  g_object_class_install_property(
      gobject_class, PROP_LINE_WIDTH,
      g_param_spec_int("line-width", "Line width", "Width of the box lines in pixels", 1, 20,
                       kDefaultLineWidth, flags));
  g_object_class_install_property(
      gobject_class, PROP_FONT_SCALE,
      g_param_spec_double("font-scale", "Font scale", "Scale of the label font", 0.1, 10.0,
                          kDefaultFontScale, flags));
  g_object_class_install_property(
      gobject_class, PROP_SHOW_SCORE,
      g_param_spec_boolean("show-score", "Show score",
                           "Append the classifier score to the names of known faces",
                           kDefaultShowScore, flags));

  GstCaps* caps =
      gst_caps_from_string(GST_VIDEO_CAPS_MAKE("{ " GST_FACEREC_PACKED_RGB_FORMATS " }"));
  gst_element_class_add_pad_template(element_class,
                                     gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(element_class,
                                     gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);

  gst_element_class_set_static_metadata(
      element_class, "Face overlay", "Filter/Effect/Video",
      "Draws the face boxes and names found by facedetect-dnn / facerecognize: green with the "
      "name for known faces, red \"unknown\", yellow for faces not recognised",
      "gst-facerec developers <gst-facerec@example.org>");

  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_facerec_overlay_transform_frame_ip);
}
