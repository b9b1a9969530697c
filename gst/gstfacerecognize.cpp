// gst-facerec: facerecognize, embeds the faces found upstream and names them.
//
// For every "face" ROI meta (from facedetect-dnn) the face is aligned and
// embedded (all faces of a frame in one batch); a GstFaceRecEmbeddingMeta is
// attached, and with a trained `model` a "recognition" param (see facemeta.h).
//
// Example:
//   gst-launch-1.0 filesrc location=clip.mp4 ! decodebin ! videoconvert !
//       facedetect-dnn ! facerecognize model=people.yml ! videoconvert !
//       faceoverlay ! autovideosink
#include <cmath>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include "elements.h"
#include "facemeta.h"
#include "facerec/aligner.h"
#include "facerec/classifier.h"
#include "facerec/embedder.h"
#include "facerec/models.h"
#include "videoframe.h"

GST_DEBUG_CATEGORY_STATIC(gst_facerec_recognize_debug);
#define GST_CAT_DEFAULT gst_facerec_recognize_debug

namespace {

constexpr double kDefaultUnknownThreshold = 0.0;

// Properties, read and written under GST_OBJECT_LOCK.
struct Settings {
  std::string model;
  std::string embedder;
  double unknown_threshold = kDefaultUnknownThreshold;
};

// The classifier currently in use. Swapped as a whole when `model` changes
// while running; guarded by Private::classifier_lock.
struct LoadedModel {
  facerec::Classifier classifier;
  std::string path;
  float model_threshold = 0.f;  // the gate stored in the file
};

// Streaming state: built in start(), dropped in stop().
struct State {
  std::unique_ptr<facerec::Embedder> embedder;
  std::string embedder_id;
};

struct Private {
  Settings settings;  // GST_OBJECT_LOCK
  std::unique_ptr<State> state;  // streaming thread, start/stop
  // Guards `model` (the pointer and the classifier's threshold). Held briefly by
  // the streaming thread while classifying a frame and by a model swap; never
  // while loading a file.
  std::mutex classifier_lock;
  std::shared_ptr<LoadedModel> model;
  // Serialises reloads triggered from set_property, and start/stop against them.
  std::mutex reload_lock;
  bool started = false;  // reload_lock
};

}  // namespace

struct GstFaceRecRecognize {
  GstVideoFilter parent;
  Private* priv;  // placement-constructed in priv_storage, see init/finalize
  alignas(Private) unsigned char priv_storage[sizeof(Private)];
};

struct GstFaceRecRecognizeClass {
  GstVideoFilterClass parent_class;
};

enum { PROP_0, PROP_MODEL, PROP_EMBEDDER, PROP_UNKNOWN_THRESHOLD };

#define GST_TYPE_FACEREC_RECOGNIZE (gst_facerec_recognize_get_type())
#define GST_FACEREC_RECOGNIZE(obj) \
  (G_TYPE_CHECK_INSTANCE_CAST((obj), GST_TYPE_FACEREC_RECOGNIZE, GstFaceRecRecognize))

G_DEFINE_TYPE(GstFaceRecRecognize, gst_facerec_recognize, GST_TYPE_VIDEO_FILTER)

// Loads a trained model and checks it against the embedder. Posts an error
// (or a warning when `warn_only`, for reloads while playing) and returns nullptr
// on failure.
static std::shared_ptr<LoadedModel> load_model(GstFaceRecRecognize* self, const std::string& path,
                                               const std::string& embedder_id, bool warn_only) {
  try {
    auto lm = std::make_shared<LoadedModel>();
    lm->classifier = facerec::Classifier::load(path);
    lm->path = path;
    lm->model_threshold = lm->classifier.distance_threshold();
    if (lm->classifier.embedder_id() != embedder_id) {
      const std::string msg = "the model was trained with the embedder \"" +
                              lm->classifier.embedder_id() + "\" but this element uses \"" +
                              embedder_id +
                              "\"; set the `embedder` property to the model's embedder or "
                              "retrain the model with facerec-train for this embedder";
      if (warn_only) {
        GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                            ("Model \"%s\" does not match the embedder, keeping the previous "
                             "model: %s",
                             path.c_str(), msg.c_str()),
                            (nullptr));
      } else {
        GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
                          ("Model \"%s\" does not match the embedder: %s", path.c_str(),
                           msg.c_str()),
                          (nullptr));
      }
      return nullptr;
    }
    GST_INFO_OBJECT(self, "loaded model %s: %zu people, gate %.3f", path.c_str(),
                    lm->classifier.labels().size(), static_cast<double>(lm->model_threshold));
    return lm;
  } catch (const std::exception& e) {
    const auto* fe = dynamic_cast<const facerec::Error*>(&e);
    const facerec::Error err = fe ? *fe : facerec::Error(path, e.what());
    if (warn_only) {
      GST_ELEMENT_WARNING(self, RESOURCE, OPEN_READ,
                          ("Could not load the recognition model \"%s\", keeping the previous "
                           "model: %s",
                           path.c_str(), err.what()),
                          (nullptr));
    } else {
      GST_FACEREC_POST_ERROR(self, "recognition model (facerec-train output)", err);
    }
  }
  return nullptr;
}

// `model` set while running: load outside any streaming lock, swap under one.
static void reload_model(GstFaceRecRecognize* self) {
  Private* p = self->priv;
  std::lock_guard<std::mutex> reload(p->reload_lock);
  if (!p->started || !p->state) return;  // start() will load it
  GST_OBJECT_LOCK(self);
  const std::string path = p->settings.model;
  GST_OBJECT_UNLOCK(self);
  {
    std::lock_guard<std::mutex> lk(p->classifier_lock);
    if ((p->model ? p->model->path : std::string()) == path) return;
  }
  std::shared_ptr<LoadedModel> lm;
  if (!path.empty()) {
    lm = load_model(self, path, p->state->embedder_id, true);
    if (!lm) return;
  }
  std::lock_guard<std::mutex> lk(p->classifier_lock);
  p->model = std::move(lm);
  GST_INFO_OBJECT(self, "switched to model \"%s\"", path.c_str());
}

static void gst_facerec_recognize_set_property(GObject* object, guint prop_id, const GValue* value,
                                            GParamSpec* pspec) {
  GstFaceRecRecognize* self = GST_FACEREC_RECOGNIZE(object);
  Settings& s = self->priv->settings;
  bool model_changed = false;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL: {
      const gchar* v = g_value_get_string(value);
      s.model = v ? v : "";
      model_changed = true;
      break;
    }
    case PROP_EMBEDDER: {
      const gchar* v = g_value_get_string(value);
      s.embedder = v ? v : "";
      break;
    }
    case PROP_UNKNOWN_THRESHOLD: s.unknown_threshold = g_value_get_double(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
  if (model_changed) reload_model(self);
}

static void gst_facerec_recognize_get_property(GObject* object, guint prop_id, GValue* value,
                                            GParamSpec* pspec) {
  GstFaceRecRecognize* self = GST_FACEREC_RECOGNIZE(object);
  const Settings& s = self->priv->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL: g_value_set_string(value, s.model.c_str()); break;
    case PROP_EMBEDDER: g_value_set_string(value, s.embedder.c_str()); break;
    case PROP_UNKNOWN_THRESHOLD: g_value_set_double(value, s.unknown_threshold); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_facerec_recognize_start(GstBaseTransform* trans) {
  GstFaceRecRecognize* self = GST_FACEREC_RECOGNIZE(trans);
  Private* p = self->priv;
  std::lock_guard<std::mutex> reload(p->reload_lock);

  GST_OBJECT_LOCK(self);
  const Settings s = p->settings;
  GST_OBJECT_UNLOCK(self);

  auto state = std::make_unique<State>();
  const std::string emb_file = s.embedder.empty() ? facerec::defaults::kEmbedder : s.embedder;
  try {
    state->embedder = facerec::create_embedder(emb_file);
    state->embedder_id = state->embedder->spec().id;
  } catch (const facerec::Error& e) {
    GST_FACEREC_POST_ERROR(self, "face embedder model", e);
    return FALSE;
  } catch (const std::exception& e) {
    GST_FACEREC_POST_ERROR(self, "face embedder model", facerec::Error(emb_file, e.what()));
    return FALSE;
  }
  GST_INFO_OBJECT(self, "embedder %s (%s), %d-d", state->embedder_id.c_str(),
                  state->embedder->path().c_str(), state->embedder->spec().dim);

  std::shared_ptr<LoadedModel> lm;
  if (!s.model.empty()) {
    lm = load_model(self, s.model, state->embedder_id, false);
    if (!lm) return FALSE;
  }
  {
    std::lock_guard<std::mutex> lk(p->classifier_lock);
    p->model = std::move(lm);
  }
  p->state = std::move(state);
  p->started = true;
  return TRUE;
}

static gboolean gst_facerec_recognize_stop(GstBaseTransform* trans) {
  GstFaceRecRecognize* self = GST_FACEREC_RECOGNIZE(trans);
  Private* p = self->priv;
  std::lock_guard<std::mutex> reload(p->reload_lock);
  p->started = false;
  {
    std::lock_guard<std::mutex> lk(p->classifier_lock);
    p->model.reset();
  }
  p->state.reset();
  return TRUE;
}

// Replaces (or adds) the param structure named like `s` on the ROI.
static void set_roi_param(GstVideoRegionOfInterestMeta* roi, GstStructure* s) {
  for (GList* l = roi->params; l != nullptr; l = l->next) {
    auto* old = static_cast<GstStructure*>(l->data);
    if (gst_structure_has_name(old, gst_structure_get_name(s))) {
      gst_structure_free(old);
      l->data = s;
      return;
    }
  }
  gst_video_region_of_interest_meta_add_param(roi, s);
}

static GstFlowReturn gst_facerec_recognize_transform_frame_ip(GstVideoFilter* filter,
                                                           GstVideoFrame* frame) {
  GstFaceRecRecognize* self = GST_FACEREC_RECOGNIZE(filter);
  Private* p = self->priv;
  State* st = p->state.get();
  if (st == nullptr) {
    GST_ELEMENT_ERROR(self, CORE, STATE_CHANGE, ("Embedder not loaded"),
                      ("transform called before start()"));
    return GST_FLOW_ERROR;
  }
  GstBuffer* buf = frame->buffer;
  const int fw = GST_VIDEO_FRAME_WIDTH(frame), fh = GST_VIDEO_FRAME_HEIGHT(frame);

  // The face ROIs with a usable box.
  std::vector<GstVideoRegionOfInterestMeta*> rois;
  std::vector<facerec::Face> faces;
  gpointer iter = nullptr;
  GstMeta* m;
  while ((m = gst_buffer_iterate_meta_filtered(buf, &iter,
                                               GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    auto* roi = reinterpret_cast<GstVideoRegionOfInterestMeta*>(m);
    if (!gst_facerec_roi_is_face(roi)) continue;
    // clip to the frame (ROIs may come from elsewhere)
    const gint64 x0 = std::min<gint64>(roi->x, fw), y0 = std::min<gint64>(roi->y, fh);
    const gint64 x1 = std::min<gint64>(static_cast<gint64>(roi->x) + roi->w, fw);
    const gint64 y1 = std::min<gint64>(static_cast<gint64>(roi->y) + roi->h, fh);
    if (x1 - x0 < 2 || y1 - y0 < 2) {
      GST_LOG_OBJECT(self, "face ROI %d too small or outside the frame, skipped", roi->id);
      continue;
    }
    facerec::Face f;
    f.box = cv::Rect2f(static_cast<float>(x0), static_cast<float>(y0),
                       static_cast<float>(x1 - x0), static_cast<float>(y1 - y0));
    gdouble conf = 0.0, lm[10];
    if (gst_facerec_roi_get_detection(roi, &conf, lm)) {
      bool finite = true;
      for (int i = 0; i < facerec::kNumLandmarks; ++i) {
        f.landmarks[i] = cv::Point2f(static_cast<float>(lm[2 * i]), static_cast<float>(lm[2 * i + 1]));
        finite = finite && std::isfinite(lm[2 * i]) && std::isfinite(lm[2 * i + 1]);
      }
      f.has_landmarks = finite;
      f.confidence = static_cast<float>(conf);
    }
    if (!f.has_landmarks) {
      // e.g. after videoscale, which drops the params
      f.landmarks = facerec::landmarks_from_box(f.box);
      f.has_landmarks = true;
    }
    rois.push_back(roi);
    faces.push_back(f);
  }
  if (faces.empty()) return GST_FLOW_OK;

  cv::Mat bgr = gstfacerec::frame_to_bgr(frame);
  if (bgr.empty()) return GST_FLOW_OK;

  std::vector<facerec::Embedding> embs;
  try {
    embs = st->embedder->embed_faces(bgr, faces);  // one batch
  } catch (const std::exception& e) {
    GST_WARNING_OBJECT(self, "embedding failed on a %dx%d frame: %s", fw, fh, e.what());
    return GST_FLOW_OK;
  }
  if (embs.size() != faces.size()) {
    GST_WARNING_OBJECT(self, "embedder returned %zu vectors for %zu faces", embs.size(),
                       faces.size());
    return GST_FLOW_OK;
  }

  for (size_t i = 0; i < rois.size(); ++i) {
    const facerec::Embedding& e = embs[i];
    GstFaceRecEmbeddingMeta* em = gst_buffer_get_facerec_embedding_meta(buf, rois[i]->id);
    if (em != nullptr) {  // a second facerecognize: replace
      g_free(em->data);
      g_free(em->embedder_id);
      em->data = static_cast<gfloat*>(g_memdup2(e.data(), sizeof(float) * e.size()));
      em->dim = static_cast<guint>(e.size());
      em->embedder_id = g_strdup(st->embedder_id.c_str());
    } else {
      gst_buffer_add_facerec_embedding_meta(buf, rois[i]->id, st->embedder_id.c_str(), e.data(),
                                            static_cast<guint>(e.size()));
    }
  }

  GST_OBJECT_LOCK(self);
  const double override_threshold = p->settings.unknown_threshold;
  GST_OBJECT_UNLOCK(self);

  std::lock_guard<std::mutex> lk(p->classifier_lock);
  if (!p->model) return GST_FLOW_OK;
  facerec::Classifier& cls = p->model->classifier;
  const float gate = override_threshold > 0.0 ? static_cast<float>(override_threshold)
                                              : p->model->model_threshold;
  if (cls.distance_threshold() != gate) cls.set_distance_threshold(gate);
  for (size_t i = 0; i < rois.size(); ++i) {
    facerec::Match match;
    try {
      match = cls.classify(embs[i]);
    } catch (const std::exception& ex) {
      GST_WARNING_OBJECT(self, "classification failed: %s", ex.what());
      continue;
    }
    GstStructure* s = gst_structure_new(
        GST_FACEREC_RECOGNITION, "label-id", G_TYPE_INT, match.known ? match.label_id : -1,
        "known", G_TYPE_BOOLEAN, match.known ? TRUE : FALSE, "score", G_TYPE_DOUBLE,
        static_cast<double>(match.score), "distance", G_TYPE_DOUBLE,
        static_cast<double>(match.distance), nullptr);
    if (match.known) gst_structure_set(s, "label", G_TYPE_STRING, match.label.c_str(), nullptr);
    set_roi_param(rois[i], s);
    GST_LOG_OBJECT(self, "face %d: %s score %.3f distance %.3f", rois[i]->id,
                   match.known ? match.label.c_str() : "unknown", static_cast<double>(match.score),
                   static_cast<double>(match.distance));
  }
  return GST_FLOW_OK;
}

// Like GstVideoFilter's transform_ip but maps the frame read-only: this element
// never writes pixels, and a read-write map would copy shared memory.
static GstFlowReturn gst_facerec_recognize_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
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
  GstFlowReturn ret = gst_facerec_recognize_transform_frame_ip(filter, &frame);
  gst_video_frame_unmap(&frame);
  return ret;
}

static void gst_facerec_recognize_init(GstFaceRecRecognize* self) {
  // GObject allocates the instance; construct the C++ part in place.
  self->priv = new (self->priv_storage) Private();
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_facerec_recognize_finalize(GObject* object) {
  GstFaceRecRecognize* self = GST_FACEREC_RECOGNIZE(object);
  self->priv->~Private();
  self->priv = nullptr;
  G_OBJECT_CLASS(gst_facerec_recognize_parent_class)->finalize(object);
}

static void gst_facerec_recognize_class_init(GstFaceRecRecognizeClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  GstVideoFilterClass* filter_class = GST_VIDEO_FILTER_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_facerec_recognize_debug, "facerecognize", 0,
                          "Face recognition (embedding + classifier)");

  gobject_class->set_property = gst_facerec_recognize_set_property;
  gobject_class->get_property = gst_facerec_recognize_get_property;
  gobject_class->finalize = gst_facerec_recognize_finalize;

  const auto flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      gobject_class, PROP_MODEL,
      g_param_spec_string("model", "Model",
                          "Trained model file written by facerec-train. Empty: only attach "
                          "embeddings. May be changed while playing (loaded, then swapped in "
                          "between frames)",
                          "",
                          static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING)));
  g_object_class_install_property(
      gobject_class, PROP_EMBEDDER,
      g_param_spec_string("embedder", "Embedder",
                          "Embedding network (.onnx or .t7); a bare name is searched on "
                          "$FACEREC_MODEL_PATH. Empty: the default 128-d embedder "
                          "(faceapi_recognition_128d.onnx)",
                          "", static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_UNKNOWN_THRESHOLD,
      g_param_spec_double("unknown-threshold", "Unknown threshold",
                          "Distance gate: a face farther than this from every enrolled "
                          "embedding of the predicted person is unknown. 0: use the value "
                          "stored in the model",
                          0.0, 100.0, kDefaultUnknownThreshold,
                          static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING)));

  GstCaps* caps = gst_caps_from_string(GST_VIDEO_CAPS_MAKE("{ " GST_FACEREC_ANALYSIS_FORMATS " }"));
  gst_element_class_add_pad_template(element_class,
                                     gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(element_class,
                                     gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);

  gst_element_class_set_static_metadata(
      element_class, "Face recognizer (OpenCV DNN)", "Filter/Analyzer/Video",
      "Embeds the faces found by facedetect-dnn (GstFaceRecEmbeddingMeta) and, with a trained "
      "model, names them (\"recognition\" param of the face ROI)",
      "gst-facerec developers <gst-facerec@example.org>");

  trans_class->start = GST_DEBUG_FUNCPTR(gst_facerec_recognize_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_facerec_recognize_stop);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_facerec_recognize_transform_frame_ip);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_facerec_recognize_transform_ip);
}
