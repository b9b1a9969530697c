// gst-facerec: facedetect-dnn, detects faces and attaches them as ROI metas.
//
// Pixels pass through untouched; per face a GstVideoRegionOfInterestMeta
// ("face") with a "detection" param (see facemeta.h) is added.
//
// processing-width / processing-height: detect on a copy of the frame scaled
// down to fit within that size (aspect kept, never scaled up); boxes and
// landmarks are mapped back to frame pixels.
//
// inference-interval=N: the detector runs on every Nth frame; the frames in
// between carry the last faces (same boxes, landmarks, confidence) with
// "fresh" = FALSE. Flushes, seeks (new segments), stream starts, caps changes
// and detector changes make the next frame a detection frame.
//
// updates: like gst-plugins-bad's facedetect, an element message
//   facedetect-dnn, timestamp=(guint64), stream-time=(guint64),
//       running-time=(guint64), duration=(guint64),
//       faces=(GstValueList){ face, x=(uint), y=(uint), width=(uint),
//                             height=(uint), confidence=(double); ... }
// is posted on every frame, when the face count changes (default), on frames
// with faces, or never.
//
// Example:
//   gst-launch-1.0 -m v4l2src ! videoconvert ! facedetect-dnn processing-width=640 !
//       videoconvert ! facerec-overlay ! autovideosink
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include <opencv2/imgproc.hpp>

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
constexpr gint kDefaultProcessingWidth = 0;
constexpr gint kDefaultProcessingHeight = 0;
constexpr gint kDefaultInferenceInterval = 1;
constexpr const char* kMessageName = "facedetect-dnn";

enum class ModelType : gint { Auto = 0, UltraFace = 1, YuNet = 2, Res10Ssd = 3 };
enum class Updates : gint { EveryFrame = 0, OnChange = 1, FacesPresent = 2, None = 3 };
constexpr Updates kDefaultUpdates = Updates::OnChange;

// Properties, read and written under GST_OBJECT_LOCK. The streaming thread
// takes one copy per frame.
struct Settings {
  std::string model;
  std::string config;
  ModelType model_type = ModelType::Auto;
  std::string landmarks_model;
  double confidence_threshold = kDefaultConfidence;
  double nms_threshold = kDefaultNms;
  gint min_face_size = kDefaultMinFaceSize;
  gint max_faces = kDefaultMaxFaces;
  gint processing_width = kDefaultProcessingWidth;
  gint processing_height = kDefaultProcessingHeight;
  gint inference_interval = kDefaultInferenceInterval;
  Updates updates = kDefaultUpdates;

  // min-face-size is in frame pixels, so the element applies it (and then
  // max-faces) after mapping the faces back to the frame. The detector caps
  // the count itself only where no size filter follows (saves landmark runs).
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
    c.min_face_size = 0;
    c.max_faces = min_face_size > 0 ? 0 : max_faces;
    return c;
  }
};

bool same_config(const facerec::DetectorConfig& a, const facerec::DetectorConfig& b) {
  return a.type == b.type && a.model == b.model && a.config == b.config &&
         a.landmarks == b.landmarks && a.confidence_threshold == b.confidence_threshold &&
         a.nms_threshold == b.nms_threshold && a.min_face_size == b.min_face_size &&
         a.max_faces == b.max_faces;
}

// A face in frame pixels, as attached to the buffer.
struct FrameFace {
  cv::Rect box;                                              // clipped to the frame
  double confidence = 0.0;
  std::array<double, 2 * facerec::kNumLandmarks> landmarks{};  // x0,y0..x4,y4
};

// Streaming state: built in start(), dropped in stop(). Only touched by the
// streaming thread (and start/stop, which never run concurrently with it).
struct State {
  std::unique_ptr<facerec::Detector> detector;
  facerec::DetectorConfig config;  // what `detector` was built from
  cv::Mat scaled;                  // resize target, reused between frames
  cv::Mat scaled_bgr;              // its BGR conversion where the format needs one
  // inference-interval: the faces of the last detection and the frame size they belong to
  std::vector<FrameFace> last;
  int last_width = 0, last_height = 0;
  bool have_last = false;
  gint64 frames_since = 0;  // frames since the last detection
  // updates=on-change: the face count of the previous frame
  size_t prev_count = 0;

  void reset() {
    last.clear();
    last_width = last_height = 0;
    have_last = false;
    frames_since = 0;
    prev_count = 0;
  }
};

struct Private {
  Settings settings;                       // GST_OBJECT_LOCK
  std::unique_ptr<State> state;            // streaming
  std::atomic<bool> reset_pending{false};  // set by events / caps, consumed by the next frame
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

enum {
  PROP_0,
  PROP_MODEL,
  PROP_CONFIG,
  PROP_MODEL_TYPE,
  PROP_LANDMARKS_MODEL,
  PROP_CONFIDENCE_THRESHOLD,
  PROP_NMS_THRESHOLD,
  PROP_MIN_FACE_SIZE,
  PROP_MAX_FACES,
  PROP_PROCESSING_WIDTH,
  PROP_PROCESSING_HEIGHT,
  PROP_INFERENCE_INTERVAL,
  PROP_UPDATES,
};

#define GST_TYPE_FACEREC_DETECT_DNN (gst_facerec_detect_dnn_get_type())
#define GST_FACEREC_DETECT_DNN(obj) \
  (G_TYPE_CHECK_INSTANCE_CAST((obj), GST_TYPE_FACEREC_DETECT_DNN, GstFaceRecDetectDnn))
#define GST_TYPE_FACEREC_DETECT_DNN_MODEL_TYPE (gst_facerec_detect_dnn_model_type_get_type())
#define GST_TYPE_FACEREC_DETECT_DNN_UPDATES (gst_facerec_detect_dnn_updates_get_type())

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
    case PROP_PROCESSING_WIDTH: s.processing_width = g_value_get_int(value); break;
    case PROP_PROCESSING_HEIGHT: s.processing_height = g_value_get_int(value); break;
    case PROP_INFERENCE_INTERVAL: s.inference_interval = g_value_get_int(value); break;
    case PROP_UPDATES: s.updates = static_cast<Updates>(g_value_get_enum(value)); break;
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
    case PROP_PROCESSING_WIDTH: g_value_set_int(value, s.processing_width); break;
    case PROP_PROCESSING_HEIGHT: g_value_set_int(value, s.processing_height); break;
    case PROP_INFERENCE_INTERVAL: g_value_set_int(value, s.inference_interval); break;
    case PROP_UPDATES: g_value_set_enum(value, static_cast<gint>(s.updates)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static Settings current_settings(GstFaceRecDetectDnn* self) {
  GST_OBJECT_LOCK(self);
  Settings s = self->priv->settings;
  GST_OBJECT_UNLOCK(self);
  return s;
}

// Builds a detector; posts the error and returns nullptr on failure.
static std::unique_ptr<facerec::Detector> load_detector(GstFaceRecDetectDnn* self,
                                                        const facerec::DetectorConfig& c) {
  std::unique_ptr<facerec::Detector> det;
  const std::string file = c.model.empty() ? std::string("(default detector)") : c.model;
  if (!GST_FACEREC_LOAD_OR_POST(self, "face detector model", file, [&] { det = facerec::create_detector(c); }))
    return nullptr;
  GST_INFO_OBJECT(self, "loaded detector %s (%s)", facerec::to_string(det->type()), det->describe().c_str());
  return det;
}

static gboolean gst_facerec_detect_dnn_start(GstBaseTransform* trans) {
  GstFaceRecDetectDnn* self = GST_FACEREC_DETECT_DNN(trans);
  const facerec::DetectorConfig c = current_settings(self).to_config();
  auto det = load_detector(self, c);
  if (!det) return FALSE;
  auto state = std::make_unique<State>();
  state->detector = std::move(det);
  state->config = c;
  self->priv->state = std::move(state);
  self->priv->reset_pending = false;
  return TRUE;
}

static gboolean gst_facerec_detect_dnn_stop(GstBaseTransform* trans) {
  GstFaceRecDetectDnn* self = GST_FACEREC_DETECT_DNN(trans);
  self->priv->state.reset();
  return TRUE;
}

// A new size (or format): nothing detected on the old caps is re-attached.
// (filter->in_info still holds the previous caps here.)
static gboolean gst_facerec_detect_dnn_set_info(GstVideoFilter* filter, GstCaps*,
                                                GstVideoInfo* in_info, GstCaps*, GstVideoInfo*) {
  if (!filter->negotiated || !gst_video_info_is_equal(&filter->in_info, in_info))
    GST_FACEREC_DETECT_DNN(filter)->priv->reset_pending = true;
  return TRUE;
}

// Flushes, new segments (seeks) and new streams restart inference-interval and
// the on-change count.
static gboolean gst_facerec_detect_dnn_sink_event(GstBaseTransform* trans, GstEvent* event) {
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_FLUSH_STOP:
    case GST_EVENT_SEGMENT:
    case GST_EVENT_STREAM_START:
      GST_FACEREC_DETECT_DNN(trans)->priv->reset_pending = true;
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS(gst_facerec_detect_dnn_parent_class)->sink_event(trans, event);
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

static GstStructure* detection_structure(const FrameFace& f, bool fresh) {
  GValue arr = G_VALUE_INIT;
  gst_value_array_init(&arr, static_cast<guint>(f.landmarks.size()));
  for (double c : f.landmarks) {
    GValue v = G_VALUE_INIT;
    g_value_init(&v, G_TYPE_DOUBLE);
    g_value_set_double(&v, c);
    gst_value_array_append_and_take_value(&arr, &v);
  }
  GstStructure* s = gst_structure_new(GST_FACEREC_DETECTION, "confidence", G_TYPE_DOUBLE,
                                      f.confidence, "fresh", G_TYPE_BOOLEAN, fresh ? TRUE : FALSE,
                                      nullptr);
  gst_structure_take_value(s, "landmarks", &arr);
  return s;
}

// The size the detector sees: the frame fitted within processing-width x
// processing-height (0: that side unconstrained), aspect kept, never enlarged.
static cv::Size processing_size(int fw, int fh, gint pw, gint ph) {
  double scale = 1.0;
  if (pw > 0) scale = std::min(scale, static_cast<double>(pw) / fw);
  if (ph > 0) scale = std::min(scale, static_cast<double>(ph) / fh);
  if (scale >= 1.0) return {fw, fh};
  return {std::max(1, static_cast<int>(std::lround(fw * scale))),
          std::max(1, static_cast<int>(std::lround(fh * scale)))};
}

// The frame scaled to `size`, as 8-bit BGR. Packed RGB and GRAY8 frames are
// resized straight from the mapped memory and converted at the small size; YUV
// frames are converted first (the one full-size copy the conversion needs).
static cv::Mat scaled_bgr(const GstVideoFrame* frame, const cv::Size& size, State* st) {
  const GstVideoFormat fmt = GST_VIDEO_FRAME_FORMAT(frame);
  const GstVideoFormatInfo* fi = frame->info.finfo;
  cv::Mat src;
  bool packed_rgb = false;
  if (fmt == GST_VIDEO_FORMAT_GRAY8) {
    src = gstfacerec::wrap_plane(frame, 0, CV_8UC1, GST_VIDEO_FRAME_WIDTH(frame),
                                 GST_VIDEO_FRAME_HEIGHT(frame));
  } else if (GST_VIDEO_FORMAT_INFO_IS_RGB(fi)) {
    src = gstfacerec::wrap_packed_rgb(frame);
    packed_rgb = true;
  } else {
    src = gstfacerec::frame_to_bgr(frame);
  }
  if (src.empty()) return {};
  cv::resize(src, st->scaled, size, 0, 0, cv::INTER_AREA);
  if (fmt == GST_VIDEO_FORMAT_GRAY8) {
    cv::cvtColor(st->scaled, st->scaled_bgr, cv::COLOR_GRAY2BGR);
    return st->scaled_bgr;
  }
  if (!packed_rgb || fmt == GST_VIDEO_FORMAT_BGR) return st->scaled;
  if (fmt == GST_VIDEO_FORMAT_RGB) {
    cv::cvtColor(st->scaled, st->scaled_bgr, cv::COLOR_RGB2BGR);
    return st->scaled_bgr;
  }
  // 4-byte formats: pick B, G, R at this format's byte offsets
  const int r = static_cast<int>(GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_R));
  const int g = static_cast<int>(GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_G));
  const int b = static_cast<int>(GST_VIDEO_FORMAT_INFO_POFFSET(fi, GST_VIDEO_COMP_B));
  st->scaled_bgr.create(st->scaled.rows, st->scaled.cols, CV_8UC3);
  const int from_to[] = {b, 0, g, 1, r, 2};
  cv::mixChannels(&st->scaled, 1, &st->scaled_bgr, 1, from_to, 3);
  return st->scaled_bgr;
}

// Runs the detector on the frame (scaled as the settings ask) and returns the
// faces in frame pixels, filtered by min-face-size and capped by max-faces.
// FALSE when the frame cannot be analysed (format, size).
static bool detect_frame(GstFaceRecDetectDnn* self, State* st, const Settings& s,
                         const GstVideoFrame* frame, std::vector<FrameFace>& out) {
  out.clear();
  const int fw = GST_VIDEO_FRAME_WIDTH(frame), fh = GST_VIDEO_FRAME_HEIGHT(frame);
  const cv::Size psize = processing_size(fw, fh, s.processing_width, s.processing_height);
  const cv::Mat bgr = psize == cv::Size(fw, fh) ? gstfacerec::frame_to_bgr(frame)
                                                : scaled_bgr(frame, psize, st);
  if (bgr.empty()) {
    GST_LOG_OBJECT(self, "frame %dx%d not analysed", fw, fh);
    return false;
  }
  std::vector<facerec::Face> faces;
  try {
    faces = st->detector->detect(bgr);
  } catch (const std::exception& e) {
    // Odd input (e.g. a 1x1 frame) must not stop the stream.
    GST_WARNING_OBJECT(self, "detection failed on a %dx%d frame (%dx%d processed): %s", fw, fh,
                       bgr.cols, bgr.rows, e.what());
    return true;
  }
  const double sx = static_cast<double>(fw) / bgr.cols, sy = static_cast<double>(fh) / bgr.rows;
  for (const facerec::Face& f : faces) {  // sorted by decreasing confidence
    const cv::Rect2f box(static_cast<float>(f.box.x * sx), static_cast<float>(f.box.y * sy),
                         static_cast<float>(f.box.width * sx),
                         static_cast<float>(f.box.height * sy));
    FrameFace ff;
    if (!clip_box(box, fw, fh, ff.box)) continue;
    if (s.min_face_size > 0 && std::min(ff.box.width, ff.box.height) < s.min_face_size) continue;
    ff.confidence = static_cast<double>(f.confidence);
    const facerec::Landmarks lm = f.has_landmarks ? f.landmarks : facerec::landmarks_from_box(f.box);
    for (size_t i = 0; i < lm.size() && 2 * i + 1 < ff.landmarks.size(); ++i) {
      ff.landmarks[2 * i] = static_cast<double>(lm[i].x) * sx;
      ff.landmarks[2 * i + 1] = static_cast<double>(lm[i].y) * sy;
    }
    out.push_back(ff);
    if (s.max_faces > 0 && out.size() >= static_cast<size_t>(s.max_faces)) break;
  }
  GST_LOG_OBJECT(self, "%zu face(s) on a %dx%d frame, detected at %dx%d", out.size(), fw, fh,
                 bgr.cols, bgr.rows);
  return true;
}

static void attach_faces(GstFaceRecDetectDnn* self, GstBuffer* buf,
                         const std::vector<FrameFace>& faces, bool fresh) {
  gint next_id = max_roi_id(buf) + 1;
  for (const FrameFace& f : faces) {
    const cv::Rect& r = f.box;
    GstVideoRegionOfInterestMeta* roi = gst_buffer_add_video_region_of_interest_meta(
        buf, GST_FACEREC_ROI_TYPE, static_cast<guint>(r.x), static_cast<guint>(r.y),
        static_cast<guint>(r.width), static_cast<guint>(r.height));
    if (roi == nullptr) continue;
    roi->id = next_id++;
    gst_video_region_of_interest_meta_add_param(roi, detection_structure(f, fresh));
    GST_LOG_OBJECT(self, "face %d: %dx%d at %d,%d conf %.3f%s", roi->id, r.width, r.height, r.x,
                   r.y, f.confidence, fresh ? "" : " (carried over)");
  }
}

static void post_faces_message(GstFaceRecDetectDnn* self, GstBuffer* buf,
                               const std::vector<FrameFace>& faces) {
  const GstSegment& seg = GST_BASE_TRANSFORM(self)->segment;
  const GstClockTime ts = GST_BUFFER_PTS(buf);
  GstClockTime stream_time = GST_CLOCK_TIME_NONE, running_time = GST_CLOCK_TIME_NONE;
  if (GST_CLOCK_TIME_IS_VALID(ts) && seg.format == GST_FORMAT_TIME) {
    stream_time = gst_segment_to_stream_time(&seg, GST_FORMAT_TIME, ts);
    running_time = gst_segment_to_running_time(&seg, GST_FORMAT_TIME, ts);
  }
  GstStructure* s = gst_structure_new(
      kMessageName, "timestamp", G_TYPE_UINT64, static_cast<guint64>(ts), "stream-time",
      G_TYPE_UINT64, static_cast<guint64>(stream_time), "running-time", G_TYPE_UINT64,
      static_cast<guint64>(running_time), "duration", G_TYPE_UINT64,
      static_cast<guint64>(GST_BUFFER_DURATION(buf)), nullptr);
  GValue list = G_VALUE_INIT;
  g_value_init(&list, GST_TYPE_LIST);
  for (const FrameFace& f : faces) {
    GstStructure* fs = gst_structure_new(
        "face", "x", G_TYPE_UINT, static_cast<guint>(f.box.x), "y", G_TYPE_UINT,
        static_cast<guint>(f.box.y), "width", G_TYPE_UINT, static_cast<guint>(f.box.width),
        "height", G_TYPE_UINT, static_cast<guint>(f.box.height), "confidence", G_TYPE_DOUBLE,
        f.confidence, nullptr);
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_STRUCTURE);
    gst_value_set_structure(&v, fs);
    gst_structure_free(fs);
    gst_value_list_append_and_take_value(&list, &v);
  }
  gst_structure_take_value(s, "faces", &list);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
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
  if (self->priv->reset_pending.exchange(false)) st->reset();

  const Settings s = current_settings(self);
  // Properties changed while playing: rebuild the detector between frames.
  const facerec::DetectorConfig c = s.to_config();
  if (!same_config(c, st->config)) {
    auto det = load_detector(self, c);
    if (!det) return GST_FLOW_ERROR;
    st->detector = std::move(det);
    st->config = c;
    st->have_last = false;  // detect with the new settings right away
  }

  const int fw = GST_VIDEO_FRAME_WIDTH(frame), fh = GST_VIDEO_FRAME_HEIGHT(frame);
  const bool detect = !st->have_last || st->last_width != fw || st->last_height != fh ||
                      st->frames_since + 1 >= static_cast<gint64>(s.inference_interval);
  if (detect) {
    std::vector<FrameFace> faces;
    if (!detect_frame(self, st, s, frame, faces)) return GST_FLOW_OK;
    st->last = std::move(faces);
    st->last_width = fw;
    st->last_height = fh;
    st->have_last = true;
    st->frames_since = 0;
  } else {
    ++st->frames_since;
  }
  attach_faces(self, frame->buffer, st->last, detect);

  const size_t count = st->last.size();
  bool post = false;
  switch (s.updates) {
    case Updates::EveryFrame: post = true; break;
    case Updates::OnChange: post = count != st->prev_count; break;
    case Updates::FacesPresent: post = count > 0; break;
    case Updates::None: post = false; break;
  }
  st->prev_count = count;
  if (post) post_faces_message(self, frame->buffer, st->last);
  return GST_FLOW_OK;
}

static GstFlowReturn gst_facerec_detect_dnn_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  return gstfacerec::transform_ip_read_only(trans, buf, gst_facerec_detect_dnn_transform_frame_ip);
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
  g_object_class_install_property(
      gobject_class, PROP_PROCESSING_WIDTH,
      g_param_spec_int("processing-width", "Processing width",
                       "Detect on the frame scaled down (aspect kept, never enlarged) to fit "
                       "within processing-width x processing-height; boxes and landmarks are "
                       "mapped back to frame pixels. 0: no width limit (both 0: detect at the "
                       "frame's size)",
                       0, G_MAXINT, kDefaultProcessingWidth, flags));
  g_object_class_install_property(
      gobject_class, PROP_PROCESSING_HEIGHT,
      g_param_spec_int("processing-height", "Processing height",
                       "Height limit of the image the detector sees (see processing-width). "
                       "0: no height limit",
                       0, G_MAXINT, kDefaultProcessingHeight, flags));
  g_object_class_install_property(
      gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_int("inference-interval", "Inference interval",
                       "Run the detector on every Nth frame; the frames in between carry the "
                       "last faces with fresh=FALSE in their \"detection\" params. Restarts "
                       "after flushes, seeks, new streams and caps changes",
                       1, G_MAXINT, kDefaultInferenceInterval, flags));
  g_object_class_install_property(
      gobject_class, PROP_UPDATES,
      g_param_spec_enum("updates", "Updates",
                        "When to post a \"facedetect-dnn\" element message listing the faces "
                        "(timestamp, stream-time, running-time, duration, faces)",
                        GST_TYPE_FACEREC_DETECT_DNN_UPDATES, static_cast<gint>(kDefaultUpdates),
                        flags));

  gstfacerec::add_filter_pad_templates(element_class, GST_VIDEO_CAPS_MAKE("{ " GST_FACEREC_ANALYSIS_FORMATS " }"));

  gst_element_class_set_static_metadata(
      element_class, "Face detector (OpenCV DNN)", "Filter/Analyzer/Video",
      "Detects faces and attaches each as a region-of-interest meta (\"face\") with its "
      "confidence and 5 landmarks, and posts \"facedetect-dnn\" element messages; pixels "
      "pass through unchanged",
      "gst-facerec developers <gst-facerec@example.org>");

  trans_class->start = GST_DEBUG_FUNCPTR(gst_facerec_detect_dnn_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_facerec_detect_dnn_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_facerec_detect_dnn_sink_event);
  filter_class->set_info = GST_DEBUG_FUNCPTR(gst_facerec_detect_dnn_set_info);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_facerec_detect_dnn_transform_frame_ip);
  // after GstVideoFilter's class_init: read-only mapping (see above)
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_facerec_detect_dnn_transform_ip);

  gst_type_mark_as_plugin_api(GST_TYPE_FACEREC_DETECT_DNN_MODEL_TYPE, static_cast<GstPluginAPIFlags>(0));
  gst_type_mark_as_plugin_api(GST_TYPE_FACEREC_DETECT_DNN_UPDATES, static_cast<GstPluginAPIFlags>(0));
}
