// gst-facerec: facedetect-dnn, detects faces and attaches them as ROI metas
// ("face", with "detection" and, with tracking, "tracking" params: facemeta.h);
// pixels pass through untouched. The work is lib/'s: FrameDetector (processing
// size, mapping back, inference-interval) with TrackFaces (track ids, optical
// flow between detector runs) as its carrier. Flushes, seeks, stream starts, caps
// and detector changes make the next frame a detection frame. Thresholds changed
// while playing go to the loaded detector; a new model file or type is loaded on
// the thread that sets it and swapped in before the next frame. `updates`: a
// "facedetect-dnn" element message (gst/events.h), like gst-plugins-bad's facedetect.
//
// Example:
//   gst-launch-1.0 -m v4l2src ! facedetect-dnn ! facerec-overlay ! videoconvert ! autovideosink
#include <algorithm>
#include <atomic>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include "analyzer.h"
#include "elements.h"
#include "faces.h"
#include "facerec/detector.h"
#include "facerec/detector_loader.h"
#include "facerec/face_tracking.h"
#include "facerec/frame_detector.h"
#include "events.h"
#include "framesource.h"
#include "videoframe.h"

GST_DEBUG_CATEGORY_STATIC(gst_face_detect_dnn_debug);
#define GST_CAT_DEFAULT gst_face_detect_dnn_debug

namespace {

constexpr double kDefaultConfidence = 0.6;
constexpr double kDefaultNms = 0.4;
constexpr gint kDefaultMinFaceSize = 0;
constexpr gint kDefaultMaxFaces = 0;
constexpr gint kDefaultProcessingWidth = 640;  // bench/README.md: 1080p without a full-size conversion
constexpr gint kDefaultProcessingHeight = 0;
constexpr gint kDefaultInferenceInterval = 3;  // bench/README.md (facerec-tracking-quality)
constexpr gboolean kDefaultTracking = TRUE;
constexpr const char* kWhat = "face detector model";

enum class Updates : gint { EveryFrame = 0, OnChange = 1, FacesPresent = 2, None = 3 };
constexpr Updates kDefaultUpdates = Updates::OnChange;

// Properties, read and written under GST_OBJECT_LOCK. The streaming thread
// takes one copy per frame.
struct Settings {
  std::string model;
  std::string config;
  facerec::DetectorType model_type = facerec::DetectorType::Auto;
  double confidence_threshold = kDefaultConfidence;
  double nms_threshold = kDefaultNms;
  gint min_face_size = kDefaultMinFaceSize;
  gint max_faces = kDefaultMaxFaces;
  gint processing_width = kDefaultProcessingWidth;
  gint processing_height = kDefaultProcessingHeight;
  gint inference_interval = kDefaultInferenceInterval;
  bool tracking = kDefaultTracking;
  Updates updates = kDefaultUpdates;

  // What loading a detector needs: the files and the type (thresholds are set per frame).
  facerec::DetectorConfig files(const std::string& landmarks) const {
    facerec::DetectorConfig c;
    c.type = model_type;
    c.model = model;
    c.config = config;
    c.landmarks = landmarks;
    return c;
  }
  facerec::FrameDetectorSettings frame() const {
    facerec::FrameDetectorSettings f;
    f.processing_width = processing_width;
    f.processing_height = processing_height;
    f.inference_interval = inference_interval;
    f.confidence_threshold = static_cast<float>(confidence_threshold);
    f.nms_threshold = static_cast<float>(nms_threshold);
    f.min_face_size = min_face_size;
    f.max_faces = max_faces;
    return f;
  }
};

struct Private {
  Settings settings;  // GST_OBJECT_LOCK
  // streaming (built in start(), dropped in stop(), which never run concurrently with it)
  std::unique_ptr<facerec::FrameDetector> detector;
  bool tracking = false;  // the detector's carrier tracks
  gstfacerec::ScaleScratch scratch;
  size_t prev_count = 0;  // updates=on-change: the face count of the previous frame
  std::atomic<bool> reset_pending{false};  // set by events / caps, consumed by the next frame
  // model files / type set while started: loaded by the setting thread, taken by the next frame
  facerec::DetectorLoader loader;
};

}  // namespace

struct GstFaceDetectDnn {
  GstFaceRecAnalyzer parent;
  gstfacerec::InstancePrivate<Private> priv;
};

struct GstFaceDetectDnnClass {
  GstFaceRecAnalyzerClass parent_class;
};

enum {
  PROP_0,
  PROP_MODEL,
  PROP_CONFIG,
  PROP_MODEL_TYPE,
  PROP_CONFIDENCE_THRESHOLD,
  PROP_NMS_THRESHOLD,
  PROP_MIN_FACE_SIZE,
  PROP_MAX_FACES,
  PROP_PROCESSING_WIDTH,
  PROP_PROCESSING_HEIGHT,
  PROP_INFERENCE_INTERVAL,
  PROP_TRACKING,
  PROP_UPDATES,
};

#define GST_FACE_DETECT_DNN(obj) (reinterpret_cast<GstFaceDetectDnn*>(obj))
#define GST_TYPE_FACEREC_DETECT_DNN_MODEL_TYPE (gst_facerec_detect_dnn_model_type_get_type())
#define GST_TYPE_FACEREC_DETECT_DNN_UPDATES (gst_facerec_detect_dnn_updates_get_type())

G_DEFINE_TYPE(GstFaceDetectDnn, gst_face_detect_dnn, GST_TYPE_FACEREC_ANALYZER)

GType gst_facerec_detect_dnn_get_type(void) { return gst_face_detect_dnn_get_type(); }

// model-type: one value per row of the lib's detector-type table (value = DetectorType).
GType gst_facerec_detect_dnn_model_type_get_type(void) {
  static GType type = 0;
  if (g_once_init_enter(&type)) {
    const auto& table = facerec::detector_types();
    // Registered types live as long as the process: so does this array.
    GEnumValue* values = g_new0(GEnumValue, table.size() + 1);
    for (size_t i = 0; i < table.size(); ++i)
      values[i] = {static_cast<gint>(table[i].type), table[i].description, table[i].nick};
    GType t = g_enum_register_static("GstFaceRecDetectDnnModelType", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

GType gst_facerec_detect_dnn_updates_get_type(void) {
  static GType type = 0;
  static const GEnumValue values[] = {
      {static_cast<gint>(Updates::EveryFrame), "Post a message for every frame", "every-frame"},
      {static_cast<gint>(Updates::OnChange),
       "Post a message when the number of faces changes (including to and from none)",
       "on-change"},
      {static_cast<gint>(Updates::FacesPresent), "Post a message for every frame with a face",
       "faces-present"},
      {static_cast<gint>(Updates::None), "Post no messages", "none"},
      {0, nullptr, nullptr}};
  if (g_once_init_enter(&type)) {
    GType t = g_enum_register_static("GstFaceRecDetectDnnUpdates", values);
    g_once_init_leave(&type, t);
  }
  return type;
}

static void set_string(GValue const* value, std::string& out) {
  const gchar* s = g_value_get_string(value);
  out = s ? s : "";
}

static Settings current_settings(GstFaceDetectDnn* self) {
  GST_OBJECT_LOCK(self);
  Settings s = self->priv->settings;
  GST_OBJECT_UNLOCK(self);
  return s;
}

static void gst_facerec_detect_dnn_set_property(GObject* object, guint prop_id, const GValue* value,
                                             GParamSpec* pspec) {
  GstFaceDetectDnn* self = GST_FACE_DETECT_DNN(object);
  Settings& s = self->priv->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL: set_string(value, s.model); break;
    case PROP_CONFIG: set_string(value, s.config); break;
    case PROP_MODEL_TYPE:
      s.model_type = static_cast<facerec::DetectorType>(g_value_get_enum(value));
      break;
    case PROP_CONFIDENCE_THRESHOLD: s.confidence_threshold = g_value_get_double(value); break;
    case PROP_NMS_THRESHOLD: s.nms_threshold = g_value_get_double(value); break;
    case PROP_MIN_FACE_SIZE: s.min_face_size = g_value_get_int(value); break;
    case PROP_MAX_FACES: s.max_faces = g_value_get_int(value); break;
    case PROP_PROCESSING_WIDTH: s.processing_width = g_value_get_int(value); break;
    case PROP_PROCESSING_HEIGHT: s.processing_height = g_value_get_int(value); break;
    case PROP_INFERENCE_INTERVAL: s.inference_interval = g_value_get_int(value); break;
    case PROP_TRACKING: s.tracking = g_value_get_boolean(value); break;
    case PROP_UPDATES: s.updates = static_cast<Updates>(g_value_get_enum(value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// Runs after g_object_set() has set all its properties, so that model, config and
// model-type set in one call load once, together. A changed file or type is loaded here,
// on the caller's thread (while started; start() loads otherwise).
static void gst_facerec_detect_dnn_dispatch_properties_changed(GObject* object, guint n,
                                                               GParamSpec** pspecs) {
  for (guint i = 0; i < n; ++i) {
    const std::string name = g_param_spec_get_name(pspecs[i]);
    if (name == "model" || name == "config" || name == "model-type" || name == "landmarks-model") {
      GstFaceDetectDnn* self = GST_FACE_DETECT_DNN(object);
      self->priv->loader.update(
          current_settings(self).files(gstfacerec::landmarks_model(GST_FACEREC_ANALYZER(object))));
      break;
    }
  }
  G_OBJECT_CLASS(gst_face_detect_dnn_parent_class)->dispatch_properties_changed(object, n, pspecs);
}

static void gst_facerec_detect_dnn_get_property(GObject* object, guint prop_id, GValue* value,
                                             GParamSpec* pspec) {
  GstFaceDetectDnn* self = GST_FACE_DETECT_DNN(object);
  const Settings& s = self->priv->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL: g_value_set_string(value, s.model.c_str()); break;
    case PROP_CONFIG: g_value_set_string(value, s.config.c_str()); break;
    case PROP_MODEL_TYPE: g_value_set_enum(value, static_cast<gint>(s.model_type)); break;
    case PROP_CONFIDENCE_THRESHOLD: g_value_set_double(value, s.confidence_threshold); break;
    case PROP_NMS_THRESHOLD: g_value_set_double(value, s.nms_threshold); break;
    case PROP_MIN_FACE_SIZE: g_value_set_int(value, s.min_face_size); break;
    case PROP_MAX_FACES: g_value_set_int(value, s.max_faces); break;
    case PROP_PROCESSING_WIDTH: g_value_set_int(value, s.processing_width); break;
    case PROP_PROCESSING_HEIGHT: g_value_set_int(value, s.processing_height); break;
    case PROP_INFERENCE_INTERVAL: g_value_set_int(value, s.inference_interval); break;
    case PROP_TRACKING: g_value_set_boolean(value, s.tracking); break;
    case PROP_UPDATES: g_value_set_enum(value, static_cast<gint>(s.updates)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

// The carrier of the frames between detector runs: tracking, or the faces held.
static std::unique_ptr<facerec::FaceCarrier> make_carrier(bool tracking) {
  if (!tracking) return nullptr;  // FrameDetector's default: HoldFaces
  return std::make_unique<facerec::TrackFaces>();
}

static gboolean start_models(GstFaceRecAnalyzer* analyzer) {
  GstFaceDetectDnn* self = GST_FACE_DETECT_DNN(analyzer);
  Private* p = &*self->priv;
  const Settings s = current_settings(self);
  const std::string file = s.model.empty() ? std::string("(default detector)") : s.model;
  std::unique_ptr<facerec::Detector> det;
  if (!GST_FACEREC_LOAD_OR_POST(self, kWhat, file,
                                [&] { det = p->loader.start(s.files(gstfacerec::landmarks_model(analyzer))); }))
    return FALSE;
  GST_INFO_OBJECT(self, "loaded detector %s (%s)", facerec::to_string(det->type()), det->describe().c_str());
  p->detector = std::make_unique<facerec::FrameDetector>(std::move(det), s.frame(), make_carrier(s.tracking));
  p->tracking = s.tracking;
  p->prev_count = 0;
  p->reset_pending = false;
  return TRUE;
}

static void stop_models(GstFaceRecAnalyzer* analyzer) {
  Private* p = &*GST_FACE_DETECT_DNN(analyzer)->priv;
  p->loader.stop();
  p->detector.reset();
}

// A new size (or format): nothing detected on the old caps is re-attached.
// (filter->in_info still holds the previous caps here.)
static gboolean set_info(GstVideoFilter* filter, GstCaps*, GstVideoInfo* in_info, GstCaps*, GstVideoInfo*) {
  if (!filter->negotiated || !gst_video_info_is_equal(&filter->in_info, in_info))
    GST_FACE_DETECT_DNN(filter)->priv->reset_pending = true;
  return TRUE;
}

// Flushes, new segments (seeks) and new streams restart inference-interval, the
// tracks and the on-change count. A new stream also learns that a face detector
// is upstream (facerecognize warns when there is none).
static gboolean sink_event(GstBaseTransform* trans, GstEvent* event) {
  const GstEventType type = GST_EVENT_TYPE(event);
  if (type == GST_EVENT_FLUSH_STOP || type == GST_EVENT_SEGMENT || type == GST_EVENT_STREAM_START)
    GST_FACE_DETECT_DNN(trans)->priv->reset_pending = true;
  const gboolean ret = GST_BASE_TRANSFORM_CLASS(gst_face_detect_dnn_parent_class)->sink_event(trans, event);
  if (type == GST_EVENT_STREAM_START) gstfacerec::announce_detector(trans);
  return ret;
}

// A detector loaded by set_property replaces the running one here, between frames.
// FALSE (error posted) when the newest load failed.
static bool take_new_detector(GstFaceDetectDnn* self, facerec::FrameDetector& fd) {
  try {
    if (auto det = self->priv->loader.take()) {
      GST_INFO_OBJECT(self, "now using detector %s (%s)", facerec::to_string(det->type()),
                      det->describe().c_str());
      fd.set_detector(std::move(det));
    }
    return true;
  } catch (const facerec::Error& e) {
    GST_FACEREC_POST_ERROR(self, kWhat, e, gstfacerec::FileKind::Network);
    return false;
  }
}

static GstFlowReturn analyze(GstFaceRecAnalyzer* analyzer, GstVideoFrame* frame) {
  GstFaceDetectDnn* self = GST_FACE_DETECT_DNN(analyzer);
  Private* p = &*self->priv;
  facerec::FrameDetector* fd = p->detector.get();
  if (p->reset_pending.exchange(false)) {
    fd->reset();
    p->prev_count = 0;
  }
  if (!take_new_detector(self, *fd)) return GST_FLOW_ERROR;
  const Settings s = current_settings(self);
  fd->set_settings(s.frame());
  if (s.tracking != p->tracking) {
    fd->set_carrier(make_carrier(s.tracking));
    p->tracking = s.tracking;
  }

  const cv::Size size(GST_VIDEO_FRAME_WIDTH(frame), GST_VIDEO_FRAME_HEIGHT(frame));
  const cv::Size processed = fd->processing_size(size);
  // The detector asks the frame for what it needs: a BGR copy at the processing size where it
  // runs, the tracker a gray one on every frame, which for I420 / NV12 is the luma plane (no
  // conversion between runs; bench/README.md, "Where the time goes").
  gstfacerec::VideoFrameSource source(frame, p->scratch);
  facerec::FrameFaces result;
  try {
    const GstClockTime pts = GST_BUFFER_PTS(frame->buffer);
    result = fd->process(source, GST_CLOCK_TIME_IS_VALID(pts) ? static_cast<int64_t>(pts) : -1);
  } catch (const std::exception& e) {
    // Odd input (e.g. a 1x1 frame) must not stop the stream: a run that found nothing.
    GST_WARNING_OBJECT(self, "detection failed on a %dx%d frame (%dx%d processed): %s",
                       size.width, size.height, processed.width, processed.height, e.what());
  }
  if (result.fresh)
    GST_LOG_OBJECT(self, "%zu face(s) on a %dx%d frame, detected at %dx%d", result.faces.size(),
                   size.width, size.height, processed.width, processed.height);
  for (const facerec::FrameFace& f : result.faces) gstfacerec::add_face(frame->buffer, f, result.fresh);

  const size_t count = result.faces.size();
  bool post = false;
  switch (s.updates) {
    case Updates::EveryFrame: post = true; break;
    case Updates::OnChange: post = count != p->prev_count; break;
    case Updates::FacesPresent: post = count > 0; break;
    case Updates::None: post = false; break;
  }
  p->prev_count = count;
  if (post) {
    const gstfacerec::FrameTimes t = gstfacerec::frame_times(GST_BASE_TRANSFORM(self), frame->buffer);
    gst_element_post_message(GST_ELEMENT(self),
                             gst_message_new_element(GST_OBJECT(self), gstfacerec::faces_message(
                                 t, GST_BUFFER_DURATION(frame->buffer), result.faces)));
  }
  return GST_FLOW_OK;
}

static void gst_face_detect_dnn_init(GstFaceDetectDnn* self) { self->priv.construct(); }

static void finalize(GObject* object) {
  GST_FACE_DETECT_DNN(object)->priv.destroy();
  G_OBJECT_CLASS(gst_face_detect_dnn_parent_class)->finalize(object);
}

static void gst_face_detect_dnn_class_init(GstFaceDetectDnnClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  GstVideoFilterClass* filter_class = GST_VIDEO_FILTER_CLASS(klass);
  GstFaceRecAnalyzerClass* analyzer_class = reinterpret_cast<GstFaceRecAnalyzerClass*>(klass);

  GST_DEBUG_CATEGORY_INIT(gst_face_detect_dnn_debug, "facedetect-dnn", 0,
                          "Face detection with OpenCV DNN");

  gobject_class->set_property = gst_facerec_detect_dnn_set_property;
  gobject_class->get_property = gst_facerec_detect_dnn_get_property;
  gobject_class->finalize = finalize;
  gobject_class->dispatch_properties_changed = gst_facerec_detect_dnn_dispatch_properties_changed;

  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                              GST_PARAM_MUTABLE_PLAYING);
  auto install = [gobject_class](guint id, GParamSpec* spec) { g_object_class_install_property(gobject_class, id, spec); };
  install(PROP_MODEL, g_param_spec_string("model", "Model",
                          "Detector weights file (.onnx, .pb, .caffemodel); a bare name is "
                          "a file in the current directory, else searched on $FACEREC_MODEL_PATH "
                          "and the installed model dir. "
                          "Empty: the default detector (fr_detect.onnx)",
                          "", flags));
  install(PROP_CONFIG, g_param_spec_string("config", "Config",
                          "Second file for res10 SSD: deploy.prototxt (Caffe) or .pbtxt (TF). "
                          "Empty: not needed / found next to the model",
                          "", flags));
  install(PROP_MODEL_TYPE, g_param_spec_enum("model-type", "Model type",
                        "Detector network type; auto decides from the file names",
                        GST_TYPE_FACEREC_DETECT_DNN_MODEL_TYPE,
                        static_cast<gint>(facerec::DetectorType::Auto), flags));
  install(PROP_CONFIDENCE_THRESHOLD, g_param_spec_double("confidence-threshold", "Confidence threshold",
                          "Faces scored below this are dropped", 0.0, 1.0, kDefaultConfidence,
                          flags));
  install(PROP_NMS_THRESHOLD, g_param_spec_double("nms-threshold", "NMS threshold",
                          "Non-maximum suppression: boxes overlapping a better one by more "
                          "than this IoU are dropped",
                          0.0, 1.0, kDefaultNms, flags));
  install(PROP_MIN_FACE_SIZE, g_param_spec_int("min-face-size", "Minimum face size",
                       "Faces smaller than this (pixels, either side) are dropped; 0: keep all",
                       0, G_MAXINT, kDefaultMinFaceSize, flags));
  install(PROP_MAX_FACES, g_param_spec_int("max-faces", "Maximum faces",
                       "Keep at most this many faces per frame (the most confident); "
                       "0: unlimited",
                       0, G_MAXINT, kDefaultMaxFaces, flags));
  install(PROP_PROCESSING_WIDTH, g_param_spec_int("processing-width", "Processing width",
                       "Detect on the frame scaled down (aspect kept, never enlarged) to fit "
                       "within processing-width x processing-height; boxes and landmarks are "
                       "mapped back to frame pixels. 0: no width limit (both 0: detect at the "
                       "frame's size)",
                       0, G_MAXINT, kDefaultProcessingWidth, flags));
  install(PROP_PROCESSING_HEIGHT, g_param_spec_int("processing-height", "Processing height",
                       "Height limit of the image the detector sees (see processing-width). "
                       "0: no height limit",
                       0, G_MAXINT, kDefaultProcessingHeight, flags));
  install(PROP_INFERENCE_INTERVAL, g_param_spec_int("inference-interval", "Inference interval",
                       "Run the detector on every Nth frame; on the frames in between the last "
                       "faces follow the picture (optical flow; with tracking=false they stay "
                       "where they were), with fresh=FALSE in their \"detection\" params. "
                       "Restarts after flushes, seeks, new streams and caps changes",
                       1, G_MAXINT, kDefaultInferenceInterval, flags));
  install(PROP_TRACKING, g_param_spec_boolean("tracking", "Tracking",
                           "Give every face a \"tracking\" param whose id follows the face from "
                           "frame to frame (through short misses), so that facerecognize names "
                           "each track once instead of every face on every frame; between "
                           "detector runs the faces follow the picture",
                           kDefaultTracking, flags));
  install(PROP_UPDATES, g_param_spec_enum("updates", "Updates",
                        "When to post a \"facedetect-dnn\" element message listing the faces "
                        "(timestamp, stream-time, running-time, duration, faces)",
                        GST_TYPE_FACEREC_DETECT_DNN_UPDATES, static_cast<gint>(kDefaultUpdates),
                        flags));

  gst_element_class_set_static_metadata(
      element_class, "Face detector (OpenCV DNN)", "Filter/Analyzer/Video",
      "Detects faces and attaches each as a region-of-interest meta (\"face\") with its "
      "confidence and 5 landmarks, and posts \"facedetect-dnn\" element messages; pixels "
      "pass through unchanged",
      GST_FACEREC_AUTHOR);

  trans_class->sink_event = GST_DEBUG_FUNCPTR(sink_event);
  filter_class->set_info = GST_DEBUG_FUNCPTR(set_info);
  analyzer_class->start_models = start_models;
  analyzer_class->stop_models = stop_models;
  analyzer_class->analyze = analyze;

  gst_type_mark_as_plugin_api(GST_TYPE_FACEREC_DETECT_DNN_MODEL_TYPE, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_FACEREC_DETECT_DNN_UPDATES, static_cast<GstPluginAPIFlags>(0));
}
