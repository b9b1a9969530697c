// gst-facerec: facedetect-dnn, detects faces and attaches them as ROI metas.
//
// Pixels pass through untouched; per face a GstVideoRegionOfInterestMeta
// ("face") with a "detection" param (see facemeta.h) is added.
//
// Example:
//   gst-launch-1.0 v4l2src ! videoconvert ! facedetect-dnn ! videoconvert !
//       faceoverlay ! autovideosink
#include <algorithm>
#include <cmath>
#include <memory>
#include <new>
#include <string>

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include "elements.h"
#include "facemeta.h"
#include "facerec/aligner.h"
#include "facerec/detector.h"
#include "videoframe.h"

GST_DEBUG_CATEGORY_STATIC(gst_facerec_detect_dnn_debug);
#define GST_CAT_DEFAULT gst_facerec_detect_dnn_debug

namespace {

constexpr double kDefaultConfidence = 0.6;
constexpr double kDefaultNms = 0.4;
constexpr gint kDefaultMinFaceSize = 0;
constexpr gint kDefaultMaxFaces = 0;

enum class ModelType : gint { Auto = 0, UltraFace = 1, YuNet = 2, Res10Ssd = 3 };

// Properties, read and written under GST_OBJECT_LOCK.
struct Settings {
  std::string model;
  std::string config;
  ModelType model_type = ModelType::Auto;
  std::string landmarks_model;
  double confidence_threshold = kDefaultConfidence;
  double nms_threshold = kDefaultNms;
  gint min_face_size = kDefaultMinFaceSize;
  gint max_faces = kDefaultMaxFaces;

  facerec::DetectorConfig to_config() const {
    facerec::DetectorConfig c;
    switch (model_type) {
      case ModelType::Auto: c.type = facerec::DetectorType::Auto; break;
      case ModelType::UltraFace: c.type = facerec::DetectorType::UltraFace; break;
      case ModelType::YuNet: c.type = facerec::DetectorType::YuNet; break;
      case ModelType::Res10Ssd: c.type = facerec::DetectorType::Res10Ssd; break;
    }
    c.model = model;
    c.config = config;
    c.landmarks = landmarks_model;
    c.confidence_threshold = static_cast<float>(confidence_threshold);
    c.nms_threshold = static_cast<float>(nms_threshold);
    c.min_face_size = min_face_size;
    c.max_faces = max_faces;
    return c;
  }
};

bool same_config(const facerec::DetectorConfig& a, const facerec::DetectorConfig& b) {
  return a.type == b.type && a.model == b.model && a.config == b.config &&
         a.landmarks == b.landmarks && a.confidence_threshold == b.confidence_threshold &&
         a.nms_threshold == b.nms_threshold && a.min_face_size == b.min_face_size &&
         a.max_faces == b.max_faces && a.threads == b.threads;
}

// Streaming state: built in start(), dropped in stop(). Only touched by the
// streaming thread (and start/stop, which never run concurrently with it).
struct State {
  std::unique_ptr<facerec::Detector> detector;
  facerec::DetectorConfig config;  // what `detector` was built from
};

struct Private {
  Settings settings;             // GST_OBJECT_LOCK
  std::unique_ptr<State> state;  // streaming
};

}  // namespace

struct GstFaceRecDetectDnn {
  GstVideoFilter parent;
  Private* priv;  // placement-constructed in priv_storage, see init/finalize
  alignas(Private) unsigned char priv_storage[sizeof(Private)];
};

struct GstFaceRecDetectDnnClass {
  GstVideoFilterClass parent_class;
};

enum { PROP_0, PROP_MODEL, PROP_CONFIG, PROP_MODEL_TYPE, PROP_LANDMARKS_MODEL,
       PROP_CONFIDENCE_THRESHOLD, PROP_NMS_THRESHOLD, PROP_MIN_FACE_SIZE, PROP_MAX_FACES };

#define GST_TYPE_FACEREC_DETECT_DNN (gst_facerec_detect_dnn_get_type())
#define GST_FACEREC_DETECT_DNN(obj) \
  (G_TYPE_CHECK_INSTANCE_CAST((obj), GST_TYPE_FACEREC_DETECT_DNN, GstFaceRecDetectDnn))
#define GST_TYPE_FACEREC_DETECT_DNN_MODEL_TYPE (gst_facerec_detect_dnn_model_type_get_type())

G_DEFINE_TYPE(GstFaceRecDetectDnn, gst_facerec_detect_dnn, GST_TYPE_VIDEO_FILTER)

GType gst_facerec_detect_dnn_model_type_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(ModelType::Auto), "Decided from the model file names", "auto"},
      {static_cast<gint>(ModelType::UltraFace),
       "UltraFace RFB-320 (fr_detect.onnx) + 68-point landmark net", "ultraface"},
      {static_cast<gint>(ModelType::YuNet), "YuNet (face_detection_yunet_*.onnx)", "yunet"},
      {static_cast<gint>(ModelType::Res10Ssd),
       "res10 300x300 SSD (Caffe .caffemodel + deploy.prototxt, or TF .pb + .pbtxt)",
       "res10-ssd"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstFaceRecDetectDnnModelType", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

static void set_string(GValue const* value, std::string& out) {
  const gchar* s = g_value_get_string(value);
  out = s ? s : "";
}

static void gst_facerec_detect_dnn_set_property(GObject* object, guint prop_id, const GValue* value,
                                             GParamSpec* pspec) {
  GstFaceRecDetectDnn* self = GST_FACEREC_DETECT_DNN(object);
  Settings& s = self->priv->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL: set_string(value, s.model); break;
    case PROP_CONFIG: set_string(value, s.config); break;
    case PROP_MODEL_TYPE: s.model_type = static_cast<ModelType>(g_value_get_enum(value)); break;
    case PROP_LANDMARKS_MODEL: set_string(value, s.landmarks_model); break;
    case PROP_CONFIDENCE_THRESHOLD: s.confidence_threshold = g_value_get_double(value); break;
    case PROP_NMS_THRESHOLD: s.nms_threshold = g_value_get_double(value); break;
    case PROP_MIN_FACE_SIZE: s.min_face_size = g_value_get_int(value); break;
    case PROP_MAX_FACES: s.max_faces = g_value_get_int(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_facerec_detect_dnn_get_property(GObject* object, guint prop_id, GValue* value,
                                             GParamSpec* pspec) {
  GstFaceRecDetectDnn* self = GST_FACEREC_DETECT_DNN(object);
  const Settings& s = self->priv->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL: g_value_set_string(value, s.model.c_str()); break;
    case PROP_CONFIG: g_value_set_string(value, s.config.c_str()); break;
    case PROP_MODEL_TYPE: g_value_set_enum(value, static_cast<gint>(s.model_type)); break;
    case PROP_LANDMARKS_MODEL: g_value_set_string(value, s.landmarks_model.c_str()); break;
    case PROP_CONFIDENCE_THRESHOLD: g_value_set_double(value, s.confidence_threshold); break;
    case PROP_NMS_THRESHOLD: g_value_set_double(value, s.nms_threshold); break;
    case PROP_MIN_FACE_SIZE: g_value_set_int(value, s.min_face_size); break;
    case PROP_MAX_FACES: g_value_set_int(value, s.max_faces); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static facerec::DetectorConfig current_config(GstFaceRecDetectDnn* self) {
  GST_OBJECT_LOCK(self);
  facerec::DetectorConfig c = self->priv->settings.to_config();
  GST_OBJECT_UNLOCK(self);
  return c;
}

// Builds a detector; posts the error and returns nullptr on failure.
static std::unique_ptr<facerec::Detector> load_detector(GstFaceRecDetectDnn* self,
                                                        const facerec::DetectorConfig& c) {
  try {
    auto det = facerec::create_detector(c);
    GST_INFO_OBJECT(self, "loaded detector %s (%s)", facerec::to_string(det->type()),
                    det->describe().c_str());
    return det;
  } catch (const facerec::Error& e) {
    GST_FACEREC_POST_ERROR(self, "face detector model", e);
  } catch (const std::exception& e) {
    const std::string file = c.model.empty() ? std::string("(default detector)") : c.model;
    GST_FACEREC_POST_ERROR(self, "face detector model", facerec::Error(file, e.what()));
  }
  return nullptr;
}

static gboolean gst_facerec_detect_dnn_start(GstBaseTransform* trans) {
  GstFaceRecDetectDnn* self = GST_FACEREC_DETECT_DNN(trans);
  const facerec::DetectorConfig c = current_config(self);
  auto det = load_detector(self, c);
  if (!det) return FALSE;
  auto state = std::make_unique<State>();
  state->detector = std::move(det);
  state->config = c;
  self->priv->state = std::move(state);
  return TRUE;
}

static gboolean gst_facerec_detect_dnn_stop(GstBaseTransform* trans) {
  GstFaceRecDetectDnn* self = GST_FACEREC_DETECT_DNN(trans);
  self->priv->state.reset();
  return TRUE;
}

// Integer box clipped to the frame, w,h >= 1. FALSE if it lies outside.
static bool clip_box(const cv::Rect2f& b, int fw, int fh, cv::Rect& out) {
  if (!std::isfinite(b.x) || !std::isfinite(b.y) || !std::isfinite(b.width) ||
      !std::isfinite(b.height))
    return false;
  const double x0 = std::max(0.0, std::floor(static_cast<double>(b.x)));
  const double y0 = std::max(0.0, std::floor(static_cast<double>(b.y)));
  const double x1 = std::min(static_cast<double>(fw), std::ceil(static_cast<double>(b.x + b.width)));
  const double y1 = std::min(static_cast<double>(fh), std::ceil(static_cast<double>(b.y + b.height)));
  if (x0 >= fw || y0 >= fh || x1 <= 0 || y1 <= 0) return false;
  out.x = static_cast<int>(x0);
  out.y = static_cast<int>(y0);
  out.width = std::max(1, static_cast<int>(x1 - x0));
  out.height = std::max(1, static_cast<int>(y1 - y0));
  out.width = std::min(out.width, fw - out.x);
  out.height = std::min(out.height, fh - out.y);
  return out.width >= 1 && out.height >= 1;
}

static gint max_roi_id(GstBuffer* buf) {
  gint max_id = 0;
  gpointer iter = nullptr;
  GstMeta* m;
  while ((m = gst_buffer_iterate_meta_filtered(buf, &iter,
                                               GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    max_id = std::max(max_id, reinterpret_cast<GstVideoRegionOfInterestMeta*>(m)->id);
  }
  return max_id;
}

static GstStructure* detection_structure(const facerec::Face& f) {
  facerec::Landmarks lm = f.landmarks;
  if (!f.has_landmarks) lm = facerec::landmarks_from_box(f.box);
  GValue arr = G_VALUE_INIT;
  gst_value_array_init(&arr, 2 * facerec::kNumLandmarks);
  for (const cv::Point2f& p : lm) {
    for (float c : {p.x, p.y}) {
      GValue v = G_VALUE_INIT;
      g_value_init(&v, G_TYPE_DOUBLE);
      g_value_set_double(&v, static_cast<double>(c));
      gst_value_array_append_and_take_value(&arr, &v);
    }
  }
  GstStructure* s = gst_structure_new(GST_FACEREC_DETECTION, "confidence", G_TYPE_DOUBLE,
                                      static_cast<double>(f.confidence), "fresh", G_TYPE_BOOLEAN,
                                      TRUE, nullptr);
  gst_structure_take_value(s, "landmarks", &arr);
  return s;
}

static GstFlowReturn gst_facerec_detect_dnn_transform_frame_ip(GstVideoFilter* filter,
                                                            GstVideoFrame* frame) {
  GstFaceRecDetectDnn* self = GST_FACEREC_DETECT_DNN(filter);
  State* st = self->priv->state.get();
  if (st == nullptr) {
    GST_ELEMENT_ERROR(self, CORE, STATE_CHANGE, ("Detector not loaded"),
                      ("transform called before start()"));
    return GST_FLOW_ERROR;
  }

  // Properties changed while playing: rebuild the detector between frames.
  const facerec::DetectorConfig c = current_config(self);
  if (!same_config(c, st->config)) {
    auto det = load_detector(self, c);
    if (!det) return GST_FLOW_ERROR;
    st->detector = std::move(det);
    st->config = c;
  }

  const int fw = GST_VIDEO_FRAME_WIDTH(frame), fh = GST_VIDEO_FRAME_HEIGHT(frame);
  cv::Mat bgr = gstfacerec::frame_to_bgr(frame);
  if (bgr.empty()) {
    GST_LOG_OBJECT(self, "frame %dx%d not analysed", fw, fh);
    return GST_FLOW_OK;
  }

  std::vector<facerec::Face> faces;
  try {
    faces = st->detector->detect(bgr);
  } catch (const std::exception& e) {
    // Odd input (e.g. a 1x1 frame) must not stop the stream.
    GST_WARNING_OBJECT(self, "detection failed on a %dx%d frame: %s", fw, fh, e.what());
    return GST_FLOW_OK;
  }

  GstBuffer* buf = frame->buffer;
  gint next_id = max_roi_id(buf) + 1;
  for (const facerec::Face& f : faces) {
    cv::Rect r;
    if (!clip_box(f.box, fw, fh, r)) continue;
    GstVideoRegionOfInterestMeta* roi = gst_buffer_add_video_region_of_interest_meta(
        buf, GST_FACEREC_ROI_TYPE, static_cast<guint>(r.x), static_cast<guint>(r.y),
        static_cast<guint>(r.width), static_cast<guint>(r.height));
    if (roi == nullptr) continue;
    roi->id = next_id++;
    gst_video_region_of_interest_meta_add_param(roi, detection_structure(f));
    GST_LOG_OBJECT(self, "face %d: %dx%d at %d,%d conf %.3f", roi->id, r.width, r.height, r.x,
                   r.y, static_cast<double>(f.confidence));
  }
  return GST_FLOW_OK;
}

// Like GstVideoFilter's transform_ip but maps the frame read-only: this element
// never writes pixels, and a read-write map would copy shared memory.
static GstFlowReturn gst_facerec_detect_dnn_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  GstVideoFilter* filter = GST_VIDEO_FILTER(trans);
  if (!filter->negotiated) {
    GST_ELEMENT_ERROR(trans, CORE, NOT_IMPLEMENTED, (nullptr), ("unknown format"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  GstVideoFrame frame;
  // NO_REF: the frame must not hold a second ref, or buf would not be writable
  // (metas are added to it).
  if (!gst_video_frame_map(&frame, &filter->in_info, buf,
                           static_cast<GstMapFlags>(GST_MAP_READ | GST_VIDEO_FRAME_MAP_FLAG_NO_REF))) {
    GST_ELEMENT_ERROR(trans, CORE, FAILED, ("invalid video buffer received"), (nullptr));
    return GST_FLOW_ERROR;
  }
  GstFlowReturn ret = gst_facerec_detect_dnn_transform_frame_ip(filter, &frame);
  gst_video_frame_unmap(&frame);
  return ret;
}

static void gst_facerec_detect_dnn_init(GstFaceRecDetectDnn* self) {
  // GObject allocates the instance; construct the C++ part in place.
  self->priv = new (self->priv_storage) Private();
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_facerec_detect_dnn_finalize(GObject* object) {
  GstFaceRecDetectDnn* self = GST_FACEREC_DETECT_DNN(object);
  self->priv->~Private();
  self->priv = nullptr;
  G_OBJECT_CLASS(gst_facerec_detect_dnn_parent_class)->finalize(object);
}

static void gst_facerec_detect_dnn_class_init(GstFaceRecDetectDnnClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  GstVideoFilterClass* filter_class = GST_VIDEO_FILTER_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_facerec_detect_dnn_debug, "facedetect-dnn", 0,
                          "Face detection with OpenCV DNN");

  gobject_class->set_property = gst_facerec_detect_dnn_set_property;
  gobject_class->get_property = gst_facerec_detect_dnn_get_property;
  gobject_class->finalize = gst_facerec_detect_dnn_finalize;

  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model",
                          "Detector weights file (.onnx, .pb, .caffemodel); a bare name is "
                          "searched on $FACEREC_MODEL_PATH and the installed model dir. "
                          "Empty: the default detector (fr_detect.onnx)",
                          "", flags));
  g_object_class_install_property(
      gobject_class, PROP_CONFIG,
      g_param_spec_string("config", "Config",
                          "Second file for res10 SSD: deploy.prototxt (Caffe) or .pbtxt (TF). "
                          "Empty: not needed / found next to the model",
                          "", flags));
  g_object_class_install_property(
      gobject_class, PROP_MODEL_TYPE,
      g_param_spec_enum("model-type", "Model type",
                        "Detector network type; auto decides from the file names",
                        GST_TYPE_FACEREC_DETECT_DNN_MODEL_TYPE,
                        static_cast<gint>(ModelType::Auto), flags));
  g_object_class_install_property(
      gobject_class, PROP_LANDMARKS_MODEL,
      g_param_spec_string("landmarks-model", "Landmarks model",
                          "Landmark network for detectors without landmarks (UltraFace, SSD). "
                          "Empty: the default (fr_landmark.onnx)",
                          "", flags));
  g_object_class_install_property(
      gobject_class, PROP_CONFIDENCE_THRESHOLD,
      g_param_spec_double("confidence-threshold", "Confidence threshold",
                          "Faces scored below this are dropped", 0.0, 1.0, kDefaultConfidence,
                          flags));
  g_object_class_install_property(
      gobject_class, PROP_NMS_THRESHOLD,
      g_param_spec_double("nms-threshold", "NMS threshold",
                          "Non-maximum suppression: boxes overlapping a better one by more "
                          "than this IoU are dropped",
                          0.0, 1.0, kDefaultNms, flags));
  g_object_class_install_property(
      gobject_class, PROP_MIN_FACE_SIZE,
      g_param_spec_int("min-face-size", "Minimum face size",
                       "Faces smaller than this (pixels, either side) are dropped; 0: keep all",
                       0, G_MAXINT, kDefaultMinFaceSize, flags));
  g_object_class_install_property(
      gobject_class, PROP_MAX_FACES,
      g_param_spec_int("max-faces", "Maximum faces",
                       "Keep at most this many faces per frame (the most confident); "
                       "0: unlimited",
                       0, G_MAXINT, kDefaultMaxFaces, flags));

  GstCaps* caps = gst_caps_from_string(GST_VIDEO_CAPS_MAKE("{ " GST_FACEREC_ANALYSIS_FORMATS " }"));
  gst_element_class_add_pad_template(element_class,
                                     gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(element_class,
                                     gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);

  gst_element_class_set_static_metadata(
      element_class, "Face detector (OpenCV DNN)", "Filter/Analyzer/Video",
      "Detects faces and attaches each as a region-of-interest meta (\"face\") with its "
      "confidence and 5 landmarks; pixels pass through unchanged",
      "gst-facerec developers <gst-facerec@example.org>");

  trans_class->start = GST_DEBUG_FUNCPTR(gst_facerec_detect_dnn_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_facerec_detect_dnn_stop);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_facerec_detect_dnn_transform_frame_ip);
  // after GstVideoFilter's class_init: read-only mapping (see above)
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_facerec_detect_dnn_transform_ip);

  gst_type_mark_as_plugin_api(GST_TYPE_FACEREC_DETECT_DNN_MODEL_TYPE, static_cast<GstPluginAPIFlags>(0));
}
