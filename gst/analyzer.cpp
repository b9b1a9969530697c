// gst-facerec: GstFaceRecAnalyzer (see analyzer.h).
#include "analyzer.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "elements.h"
#include "facerec/landmarks.h"
#include "facerec/models.h"
#include "videoframe.h"

GST_DEBUG_CATEGORY_STATIC(gst_facerec_analyzer_debug);
#define GST_CAT_DEFAULT gst_facerec_analyzer_debug

enum { PROP_0, PROP_LANDMARKS_MODEL };

G_DEFINE_ABSTRACT_TYPE(GstFaceRecAnalyzer, gst_facerec_analyzer, GST_TYPE_VIDEO_FILTER)

namespace gstfacerec {

// Loads the net `landmarks-model` names (default when unset); nullptr when the
// default is absent. Posts the error and throws when a file does not load.
static std::shared_ptr<facerec::LandmarkNet> load_net(GstFaceRecAnalyzer* self) {
  std::string file = landmarks_model(self);
  std::shared_ptr<facerec::LandmarkNet> net;
  if (file.empty()) {
    if (facerec::find_model(facerec::defaults::kLandmarks).empty()) {
      GST_WARNING_OBJECT(self, "%s not found on the model path: faces that arrive without landmarks are "
                         "aligned on the mean face placed in their box", facerec::defaults::kLandmarks);
      return net;
    }
    file = facerec::defaults::kLandmarks;
  }
  if (!GST_FACEREC_LOAD_OR_POST(self, "landmarks model", file, [&] { net = std::make_shared<facerec::LandmarkNet>(file); }))
    throw facerec::Error(file, "not loaded");
  return net;
}

bool load_landmarks(GstFaceRecAnalyzer* self) {
  try {
    auto net = load_net(self);
    std::lock_guard<std::mutex> lk(self->priv->lock);
    self->priv->net = std::move(net);
    self->priv->loaded = true;
    return true;
  } catch (const facerec::Error&) {
    return false;  // posted
  }
}

std::shared_ptr<facerec::LandmarkNet> landmarks(GstFaceRecAnalyzer* self) {
  std::lock_guard<std::mutex> lk(self->priv->lock);
  return self->priv->net;
}

void drop_landmarks(GstFaceRecAnalyzer* self) {
  std::lock_guard<std::mutex> lk(self->priv->lock);
  self->priv->net.reset();
  self->priv->loaded = false;
}

// `landmarks-model` changed: a loaded net is replaced (caller's thread).
static void reload_landmarks(GstFaceRecAnalyzer* self) {
  {
    std::lock_guard<std::mutex> lk(self->priv->lock);
    if (!self->priv->loaded) return;
  }
  try {
    auto net = load_net(self);
    std::lock_guard<std::mutex> lk(self->priv->lock);
    if (self->priv->loaded) self->priv->net = std::move(net);
  } catch (const facerec::Error&) {
    // posted; the previous net stays
  }
}

std::string landmarks_model(GstFaceRecAnalyzer* self) {
  GST_OBJECT_LOCK(self);
  std::string s = self->landmarks_model ? self->landmarks_model : "";
  GST_OBJECT_UNLOCK(self);
  return s;
}

FrameTimes frame_times(GstBaseTransform* trans, GstBuffer* buf) {
  FrameTimes t;
  t.pts = GST_BUFFER_PTS(buf);
  const GstSegment* seg = &trans->segment;
  if (GST_CLOCK_TIME_IS_VALID(t.pts) && seg->format == GST_FORMAT_TIME) {
    t.running = gst_segment_to_running_time(seg, GST_FORMAT_TIME, t.pts);
    t.stream = gst_segment_to_stream_time(seg, GST_FORMAT_TIME, t.pts);
  }
  return t;
}

void announce_detector(GstBaseTransform* trans) {
  GstStructure* s = gst_structure_new("facerec-detector", "element", G_TYPE_STRING, GST_OBJECT_NAME(trans), nullptr);
  gst_pad_push_event(GST_BASE_TRANSFORM_SRC_PAD(trans), gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, s));
}

bool has_detector_upstream(GstPad* sinkpad) {
  for (guint i = 0;; ++i) {
    GstEvent* ev = gst_pad_get_sticky_event(sinkpad, GST_EVENT_CUSTOM_DOWNSTREAM_STICKY, i);
    if (ev == nullptr) return false;
    const bool found = gst_event_has_name(ev, "facerec-detector");
    gst_event_unref(ev);
    if (found) return true;
  }
}

}  // namespace gstfacerec

static void gst_facerec_analyzer_set_property(GObject* object, guint prop_id, const GValue* value,
                                              GParamSpec* pspec) {
  GstFaceRecAnalyzer* self = GST_FACEREC_ANALYZER(object);
  switch (prop_id) {
    case PROP_LANDMARKS_MODEL: {
      const gchar* v = g_value_get_string(value);
      GST_OBJECT_LOCK(self);
      g_free(self->landmarks_model);
      self->landmarks_model = g_strdup(v ? v : "");
      GST_OBJECT_UNLOCK(self);
      gstfacerec::reload_landmarks(self);
      break;
    }
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
}

static void gst_facerec_analyzer_get_property(GObject* object, guint prop_id, GValue* value,
                                              GParamSpec* pspec) {
  GstFaceRecAnalyzer* self = GST_FACEREC_ANALYZER(object);
  switch (prop_id) {
    case PROP_LANDMARKS_MODEL:
      GST_OBJECT_LOCK(self);
      g_value_set_string(value, self->landmarks_model);
      GST_OBJECT_UNLOCK(self);
      break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
}

static gboolean gst_facerec_analyzer_start(GstBaseTransform* trans) {
  GstFaceRecAnalyzer* self = GST_FACEREC_ANALYZER(trans);
  GstFaceRecAnalyzerClass* klass = GST_FACEREC_ANALYZER_GET_CLASS(self);
  return klass->start_models ? klass->start_models(self) : TRUE;
}

static gboolean gst_facerec_analyzer_stop(GstBaseTransform* trans) {
  GstFaceRecAnalyzer* self = GST_FACEREC_ANALYZER(trans);
  GstFaceRecAnalyzerClass* klass = GST_FACEREC_ANALYZER_GET_CLASS(self);
  if (klass->stop_models) klass->stop_models(self);
#ifdef __GLIBC__
  // Hands the free pages of every malloc arena back to the system. A stopped stream leaves
  // its frames and the networks' per-frame buffers free in its threads' arenas (glibc's
  // mmap threshold rises to the 3 MB of a 1080p frame after the first one is freed, so
  // they are not mmapped), and a process that starts new pipelines after old ones grew by
  // that much per stream: 1080p, 7 clips in turn, 2 streams: 392 MB peak without, 266 MB
  // with a trim after each clip (bench/README.md, facerec-pipeline-speed). Takes ~1 ms.
  malloc_trim(0);
#endif
  return TRUE;
}

// Like GstVideoFilter's transform_ip, but maps the frame read-only (a read-write
// map would copy shared memory) and without a second ref (metas are added to buf,
// which must stay writable).
static GstFlowReturn gst_facerec_analyzer_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  GstVideoFilter* filter = GST_VIDEO_FILTER(trans);
  GstFaceRecAnalyzer* self = GST_FACEREC_ANALYZER(trans);
  if (!filter->negotiated) {
    GST_ELEMENT_ERROR(trans, CORE, NOT_IMPLEMENTED, (nullptr), ("unknown format"));
    return GST_FLOW_NOT_NEGOTIATED;
  }
  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &filter->in_info, buf,
                           static_cast<GstMapFlags>(GST_MAP_READ | GST_VIDEO_FRAME_MAP_FLAG_NO_REF))) {
    GST_ELEMENT_ERROR(trans, CORE, FAILED, ("invalid video buffer received"), (nullptr));
    return GST_FLOW_ERROR;
  }
  GstFaceRecAnalyzerClass* klass = GST_FACEREC_ANALYZER_GET_CLASS(self);
  const GstFlowReturn ret = klass->analyze ? klass->analyze(self, &frame) : GST_FLOW_OK;
  gst_video_frame_unmap(&frame);
  return ret;
}

static void gst_facerec_analyzer_init(GstFaceRecAnalyzer* self) {
  self->landmarks_model = g_strdup("");
  self->priv.construct();
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
  gstfacerec::explain_unsupported_caps(GST_ELEMENT(self));
}

static void gst_facerec_analyzer_finalize(GObject* object) {
  GstFaceRecAnalyzer* self = GST_FACEREC_ANALYZER(object);
  g_free(self->landmarks_model);
  self->landmarks_model = nullptr;
  self->priv.destroy();
  G_OBJECT_CLASS(gst_facerec_analyzer_parent_class)->finalize(object);
}

static void gst_facerec_analyzer_class_init(GstFaceRecAnalyzerClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_facerec_analyzer_debug, "facerecanalyzer", 0,
                          "gst-facerec analysing elements (shared base)");

  gobject_class->set_property = gst_facerec_analyzer_set_property;
  gobject_class->get_property = gst_facerec_analyzer_get_property;
  gobject_class->finalize = gst_facerec_analyzer_finalize;

  g_object_class_install_property(
      gobject_class, PROP_LANDMARKS_MODEL,
      g_param_spec_string(
          "landmarks-model", "Landmarks model",
          "68-point landmark network (a bare name: the current directory, then $FACEREC_MODEL_PATH). "
          "facedetect-dnn runs it for detectors without landmarks (UltraFace, SSD); "
          "facerecognize for face ROIs that arrive without landmarks (after videoscale, which "
          "drops ROI params, or from other detectors), and without it places the mean face in "
          "the box (less accurate alignment). Empty: the default (fr_landmark.onnx). Takes "
          "effect between frames when changed while playing",
          "",
          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                   GST_PARAM_MUTABLE_PLAYING)));

  gstfacerec::add_filter_pad_templates(element_class,
                                       GST_VIDEO_CAPS_MAKE("{ " GST_FACEREC_ANALYSIS_FORMATS " }"));

  trans_class->start = GST_DEBUG_FUNCPTR(gst_facerec_analyzer_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_facerec_analyzer_stop);
  // after GstVideoFilter's class_init: the read-only mapping above
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_facerec_analyzer_transform_ip);
  gst_type_mark_as_plugin_api(GST_TYPE_FACEREC_ANALYZER, static_cast<GstPluginAPIFlags>(0));
}
