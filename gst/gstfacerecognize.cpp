// gst-facerec: facerecognize, embeds the faces found upstream and names them.
//
// For every face ROI (from facedetect-dnn) the face is aligned and embedded (all
// faces of a frame in one batch); a GstFaceRecEmbeddingMeta is attached and, with
// a trained `model`, a "recognition" param (see facemeta.h). The per-frame work is
// lib/frame_recognizer.h; this file is the GStreamer shell around it.
//
// Tracked faces (a "tracking" param: facedetect-dnn adds one by default) are
// recognised per track, not per frame: embedded when the track is new, every
// `reclassify-interval` frames, or when its face got markedly bigger, more
// frontal or surer; the name is a vote over the track's recent classifications,
// carried on the frames in between ("recognition" fresh=FALSE; the embedding meta
// holds the track's latest embedding). Untracked faces are embedded every frame.
//
// Events (element messages, `events`=TRUE; rules in lib/presence.h):
// "face-appeared", "face-left" (leave-timeout, EOS, flush) and "unknown-face"
// (rate-limited by unknown-interval, and once per unknown track). With tracking
// they are per track and carry "track-id". `unknown-crops-dir` saves a padded
// crop of those faces on a worker thread (lib/crop_writer.h).
//
// Models: `model` may be set while playing (loaded on the caller's thread,
// swapped in between frames). With `watch`=TRUE the files are stat'ed at most
// once a second and reloaded on a worker thread once they settled
// (lib/model_watcher.h); a broken file: one warning, the old model stays. A new
// model or gate classifies the tracks' stored embeddings again.
//
// Example:
//   gst-launch-1.0 filesrc location=clip.mp4 ! decodebin ! facedetect-dnn ! queue !
//       facerecognize model=people.model ! facerec-overlay ! videoconvert ! autovideosink
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <gst/video/video.h>

#include "analyzer.h"
#include "elements.h"
#include "faces.h"
#include "facerec/classifier.h"
#include "facerec/crop_writer.h"
#include "facerec/embedder.h"
#include "facerec/frame_recognizer.h"
#include "facerec/model_watcher.h"
#include "facerec/models.h"
#include "facerec/presence.h"
#include "events.h"
#include "framesource.h"

GST_DEBUG_CATEGORY_STATIC(gst_face_recognize_debug);
#define GST_CAT_DEFAULT gst_face_recognize_debug

namespace {

constexpr double kDefaultUnknownThreshold = 0.0;
constexpr gboolean kDefaultWatch = FALSE;
constexpr gboolean kDefaultEvents = TRUE;
constexpr guint kDefaultLeaveTimeout = 1000;     // ms
constexpr guint kDefaultUnknownInterval = 1000;  // ms
constexpr gint kDefaultMaxUnknownCrops = 100;
constexpr gint kDefaultReclassifyInterval = 10;  // frames (bench/README.md)
constexpr gint kDefaultMaxFaces = 64;
constexpr guint64 kNoDetectorFrames = 100;  // frames without a face ROI or a detector before warning

// Properties, read and written under GST_OBJECT_LOCK.
struct Settings {
  std::string model, embedder, unknown_crops_dir;
  double unknown_threshold = kDefaultUnknownThreshold;
  bool watch = kDefaultWatch, events = kDefaultEvents;
  guint leave_timeout_ms = kDefaultLeaveTimeout, unknown_interval_ms = kDefaultUnknownInterval;
  gint max_unknown_crops = kDefaultMaxUnknownCrops;
  gint reclassify_interval = kDefaultReclassifyInterval;
  gint max_faces = kDefaultMaxFaces;
};

// A trained model made for another embedder.
class EmbedderMismatch : public facerec::Error {
 public:
  using facerec::Error::Error;
};

using Model = facerec::Classifier;  // immutable: shared by threads without locks

// Streaming state: built in start(), dropped in stop(); streaming thread only.
struct State {
  std::unique_ptr<facerec::FrameRecognizer> recognizer;
  facerec::Presence presence;
  gstfacerec::ScaleScratch scratch;
  gint64 start_us = 0;
  guint64 frames = 0;
  bool saw_face = false, warned_no_detector = false, warned_max_faces = false;
};

struct Private {
  Settings settings;             // GST_OBJECT_LOCK
  std::unique_ptr<State> state;  // streaming thread, start/stop
  std::mutex lock;               // start/stop against set_property: the two below
  std::unique_ptr<facerec::ModelWatcher<Model>> watcher;
  std::unique_ptr<facerec::CropWriter> crops;
};

}  // namespace

struct GstFaceRecognize {
  GstFaceRecAnalyzer parent;
  gstfacerec::InstancePrivate<Private> priv;
};

struct GstFaceRecognizeClass {
  GstFaceRecAnalyzerClass parent_class;
};

enum {
  PROP_0,
  PROP_MODEL,
  PROP_EMBEDDER,
  PROP_UNKNOWN_THRESHOLD,
  PROP_WATCH,
  PROP_EVENTS,
  PROP_LEAVE_TIMEOUT,
  PROP_UNKNOWN_INTERVAL,
  PROP_UNKNOWN_CROPS_DIR,
  PROP_MAX_UNKNOWN_CROPS,
  PROP_RECLASSIFY_INTERVAL,
  PROP_MAX_FACES,
};

#define GST_FACE_RECOGNIZE(obj) (reinterpret_cast<GstFaceRecognize*>(obj))

G_DEFINE_TYPE(GstFaceRecognize, gst_face_recognize, GST_TYPE_FACEREC_ANALYZER)

GType gst_facerec_recognize_get_type(void) { return gst_face_recognize_get_type(); }

static void post(GstFaceRecognize* self, GstStructure* s) {
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

// What the model watcher calls to load a model (start, property, watch).
static std::shared_ptr<const Model> load_model(const std::string& path, const std::string& embedder_id, int dim) {
  auto m = std::make_shared<const Model>(facerec::Classifier::load(path));
  if (m->embedder_id() != embedder_id)
    throw EmbedderMismatch(path, "the model was trained with the embedder \"" + m->embedder_id() +
                                     "\" but this element uses \"" + embedder_id +
                                     "\"; set the `embedder` property to the model's embedder or retrain "
                                     "the model with facerec-train for this embedder");
  // An edited model naming the right embedder with another length would fail on every
  // face once swapped in: refused here, the previous model stays.
  if (m->dim() != dim)
    throw EmbedderMismatch(path, "the model holds " + std::to_string(m->dim()) + "-d embeddings but \"" +
                                     embedder_id + "\" makes " + std::to_string(dim) +
                                     "-d ones: retrain the model with facerec-train");
  return m;
}

static void model_failed(GstFaceRecognize* self, const std::string& path, const std::exception& e) {
  if (dynamic_cast<const EmbedderMismatch*>(&e))
    GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
                        ("Model \"%s\" does not match the embedder, keeping the previous model: %s",
                         path.c_str(), e.what()),
                        (nullptr));
  else
    GST_ELEMENT_WARNING(self, RESOURCE, OPEN_READ,
                        ("Could not load the recognition model \"%s\", keeping the previous model: %s",
                         path.c_str(), e.what()),
                        ("a model is made by facerec-train; write it elsewhere and rename it over "
                         "MODEL and MODEL.svm"));
}

static gboolean start_models(GstFaceRecAnalyzer* analyzer) {
  GstFaceRecognize* self = GST_FACE_RECOGNIZE(analyzer);
  Private* p = &*self->priv;
  GST_OBJECT_LOCK(self);
  const Settings s = p->settings;
  GST_OBJECT_UNLOCK(self);
  auto st = std::make_unique<State>();
  // No embedder set: the one the model was trained with (facerec-train records it), so a
  // model made before the default changed (faceapi-resnet-128 until issue 12) still runs;
  // without a model, or for a model that names no known embedder, the default. A model
  // that cannot be read fails below, in watcher->reset(), with its own message.
  std::string emb_file = s.embedder.empty() ? facerec::defaults::kEmbedder : s.embedder;
  if (s.embedder.empty() && !s.model.empty()) {
    try {
      const std::string model_emb = facerec::Classifier::load(s.model).embedder_id();
      const facerec::ModelInfo* info = facerec::builtin_manifest().find(model_emb);
      if (info && info->role == "embedder") emb_file = model_emb;
    } catch (const std::exception&) {
    }
  }
  std::shared_ptr<facerec::Embedder> embedder;
  if (!GST_FACEREC_LOAD_OR_POST(self, "face embedder model", emb_file, [&] { embedder = facerec::create_embedder(emb_file); }))
    return FALSE;
  const std::string id = embedder->spec().id;
  GST_INFO_OBJECT(self, "embedder %s (%s), %d-d", id.c_str(), embedder->path().c_str(), embedder->spec().dim);
  st->recognizer = std::make_unique<facerec::FrameRecognizer>(embedder);
  if (!gstfacerec::load_landmarks(analyzer)) return FALSE;
  auto watcher = std::make_unique<facerec::ModelWatcher<Model>>(
      [id, dim = embedder->spec().dim](const std::string& path) { return load_model(path, id, dim); },
      [self](const std::string& path, const std::shared_ptr<const Model>& m, facerec::ModelSource src) {
        GST_INFO_OBJECT(self, "switched to model \"%s\" (%s)", path.c_str(), facerec::source_name(src));
        post(self, gst_structure_new("facerecognize-model-reloaded", "path", G_TYPE_STRING, path.c_str(), "reason",
                                     G_TYPE_STRING, facerec::source_name(src), "people", G_TYPE_UINT,
                                     static_cast<guint>(m ? m->labels().size() : 0), nullptr));
      },
      [self](const std::string& path, const std::exception& e, facerec::ModelSource) { model_failed(self, path, e); });
  try {
    watcher->reset(s.model);
  } catch (const EmbedderMismatch& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("Model \"%s\" does not match the embedder: %s", s.model.c_str(), e.what()),
                      (nullptr));
    return FALSE;
  } catch (const std::exception& e) {
    const auto* fe = dynamic_cast<const facerec::Error*>(&e);
    GST_FACEREC_POST_ERROR(self, "recognition model (facerec-train output)", fe ? *fe : facerec::Error(s.model, e.what()),
                           gstfacerec::FileKind::TrainedModel);
    return FALSE;
  }
  auto crops = std::make_unique<facerec::CropWriter>(
      [self](const std::string& path) {
        post(self, gst_structure_new("facerecognize-unknown-crop", "location", G_TYPE_STRING, path.c_str(), nullptr));
      },
      [self](const std::string& path, const std::string& reason) {
        GST_ELEMENT_WARNING(self, RESOURCE, WRITE, ("Could not save the unknown-face crop \"%s\": %s", path.c_str(),
                                                    reason.c_str()),
                            ("check that unknown-crops-dir is a writable folder"));
      });
  st->start_us = g_get_monotonic_time();
  std::lock_guard<std::mutex> lk(p->lock);
  p->watcher = std::move(watcher);
  p->crops = std::move(crops);
  p->state = std::move(st);
  return TRUE;
}

static void stop_models(GstFaceRecAnalyzer* analyzer) {
  Private* p = &*GST_FACE_RECOGNIZE(analyzer)->priv;
  std::unique_ptr<facerec::ModelWatcher<Model>> watcher;
  std::unique_ptr<facerec::CropWriter> crops;
  {
    std::lock_guard<std::mutex> lk(p->lock);
    watcher = std::move(p->watcher);
    crops = std::move(p->crops);
  }
  watcher.reset();
  crops.reset();  // writes the crops still queued
  p->state.reset();
  gstfacerec::drop_landmarks(analyzer);
}

// Times events are taken on: the running time, else a monotonic clock since start().
static guint64 event_clock(const gstfacerec::FrameTimes& t, const State* st) {
  return GST_CLOCK_TIME_IS_VALID(t.running) ? t.running
                                            : static_cast<guint64>(g_get_monotonic_time() - st->start_us) * GST_USECOND;
}

// Posts the events (unless `events` is off) and queues the unknown-face crops.
static void post_events(GstFaceRecognize* self, const std::vector<facerec::PresenceEvent>& events, const Settings& s,
                        facerec::FrameSource* frame) {
  Private* p = &*self->priv;
  for (const facerec::PresenceEvent& ev : events) {
    if (s.events) {
      GstStructure* msg = gstfacerec::presence_message(ev);
      // The same structure goes downstream too, in stream order (elements cannot read
      // the bus; facepublish forwards these).
      gst_pad_push_event(GST_BASE_TRANSFORM_SRC_PAD(self),
                         gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, gst_structure_copy(msg)));
      post(self, msg);
    }
    if (ev.type != facerec::PresenceEvent::Type::Unknown || s.unknown_crops_dir.empty() || frame == nullptr) continue;
    const cv::Rect r = facerec::unknown_crop_rect(ev.box, frame->size());
    if (r.empty()) continue;
    const guint64 at = ev.times.stream != facerec::kNoTime ? ev.times.stream : 0;
    p->crops->write(s.unknown_crops_dir, facerec::unknown_crop_name(std::chrono::system_clock::now(), at),
                    frame->bgr_region(r).clone(), s.max_unknown_crops);
  }
}

static GstFlowReturn analyze(GstFaceRecAnalyzer* analyzer, GstVideoFrame* frame) {
  GstFaceRecognize* self = GST_FACE_RECOGNIZE(analyzer);
  Private* p = &*self->priv;
  State* st = p->state.get();
  GST_OBJECT_LOCK(self);
  const Settings s = p->settings;
  GST_OBJECT_UNLOCK(self);
  if (s.watch) p->watcher->poll();
  const std::shared_ptr<const Model> model = p->watcher->current();

  const int fw = GST_VIDEO_FRAME_WIDTH(frame), fh = GST_VIDEO_FRAME_HEIGHT(frame);
  const gstfacerec::RoiFaces in = gstfacerec::collect_faces(frame->buffer, fw, fh, s.max_faces);
  const size_t all = in.total;
  if (s.max_faces > 0 && all > static_cast<size_t>(s.max_faces) && !st->warned_max_faces) {
    st->warned_max_faces = true;
    GST_ELEMENT_WARNING(self, STREAM, FAILED, ("%zu faces on one frame: only the first %d are recognised", all, s.max_faces),
                        ("raise max-faces (at a cost in time and memory per frame), or set max-faces on "
                         "facedetect-dnn"));
  }
  st->saw_face = st->saw_face || all > 0;
  if (++st->frames == kNoDetectorFrames && !st->saw_face && !st->warned_no_detector &&
      !gstfacerec::has_detector_upstream(GST_BASE_TRANSFORM_SINK_PAD(self))) {
    st->warned_no_detector = true;
    GST_ELEMENT_WARNING(self, STREAM, FAILED,
                        ("No face has reached facerecognize in %" G_GUINT64_FORMAT " frames and no face detector is "
                         "upstream", kNoDetectorFrames),
                        ("put facedetect-dnn before facerecognize: ... ! facedetect-dnn ! queue ! facerecognize ! ..."));
  }

  gstfacerec::VideoFrameSource src(frame, st->scratch);
  facerec::RecognitionSettings rs;
  rs.gate = static_cast<float>(s.unknown_threshold);
  rs.reclassify_interval = s.reclassify_interval;
  const std::shared_ptr<facerec::LandmarkNet> landmarks = gstfacerec::landmarks(analyzer);
  std::vector<facerec::FaceOutput> out;
  try {
    out = st->recognizer->process(src, in.faces, model, rs, landmarks.get());
  } catch (const std::exception& e) {
    GST_WARNING_OBJECT(self, "recognition failed on a %dx%d frame: %s", fw, fh, e.what());
    return GST_FLOW_OK;
  }

  const std::string& emb_id = st->recognizer->embedder().spec().id;
  std::vector<facerec::FaceObservation> seen;
  for (size_t i = 0; i < out.size(); ++i)
    if (auto ob = gstfacerec::write_result(frame->buffer, in.rois[i], in.faces[i], out[i], emb_id)) seen.push_back(*ob);
  const gstfacerec::FrameTimes t = gstfacerec::frame_times(GST_BASE_TRANSFORM(self), frame->buffer);
  facerec::PresenceSettings ps;
  ps.leave_timeout_ns = static_cast<std::uint64_t>(s.leave_timeout_ms) * GST_MSECOND;
  ps.unknown_interval_ns = static_cast<std::uint64_t>(s.unknown_interval_ms) * GST_MSECOND;
  post_events(self, st->presence.update(event_clock(t, st), {t.pts, t.running, t.stream}, seen, ps), s, &src);
  return GST_FLOW_OK;
}

// EOS and flushes: everyone present leaves (before the EOS goes on; after the
// FLUSH_STOP, so that downstream is no longer flushing); a flush (seek) also
// forgets the tracks.
static void flush_presence(GstFaceRecognize* self, facerec::PresenceEvent::Reason reason) {
  State* st = self->priv->state.get();
  if (st == nullptr) return;  // serialized (EOS) or sent while streaming is stopped (FLUSH_STOP)
  GST_OBJECT_LOCK(self);
  const Settings s = self->priv->settings;
  GST_OBJECT_UNLOCK(self);
  post_events(self, st->presence.flush(reason), s, nullptr);
  if (reason == facerec::PresenceEvent::Reason::Flush) st->recognizer->reset();
}

static gboolean sink_event(GstBaseTransform* trans, GstEvent* event) {
  GstFaceRecognize* self = GST_FACE_RECOGNIZE(trans);
  const GstEventType type = GST_EVENT_TYPE(event);
  if (type == GST_EVENT_EOS) flush_presence(self, facerec::PresenceEvent::Reason::Eos);
  const gboolean ret = GST_BASE_TRANSFORM_CLASS(gst_face_recognize_parent_class)->sink_event(trans, event);
  if (type == GST_EVENT_FLUSH_STOP) flush_presence(self, facerec::PresenceEvent::Reason::Flush);
  return ret;
}

static void set_property(GObject* object, guint prop_id, const GValue* value, GParamSpec* pspec) {
  GstFaceRecognize* self = GST_FACE_RECOGNIZE(object);
  Private* p = &*self->priv;
  Settings& s = p->settings;
  auto str = [value] { const gchar* v = g_value_get_string(value); return std::string(v ? v : ""); };
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL: s.model = str(); break;
    case PROP_EMBEDDER: s.embedder = str(); break;
    case PROP_UNKNOWN_THRESHOLD: s.unknown_threshold = g_value_get_double(value); break;
    case PROP_WATCH: s.watch = g_value_get_boolean(value); break;
    case PROP_EVENTS: s.events = g_value_get_boolean(value); break;
    case PROP_LEAVE_TIMEOUT: s.leave_timeout_ms = g_value_get_uint(value); break;
    case PROP_UNKNOWN_INTERVAL: s.unknown_interval_ms = g_value_get_uint(value); break;
    case PROP_UNKNOWN_CROPS_DIR: s.unknown_crops_dir = str(); break;
    case PROP_MAX_UNKNOWN_CROPS: s.max_unknown_crops = g_value_get_int(value); break;
    case PROP_RECLASSIFY_INTERVAL: s.reclassify_interval = g_value_get_int(value); break;
    case PROP_MAX_FACES: s.max_faces = g_value_get_int(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  const std::string model = s.model;
  GST_OBJECT_UNLOCK(self);
  if (prop_id != PROP_MODEL) return;
  std::lock_guard<std::mutex> lk(p->lock);
  if (p->watcher) p->watcher->load_now(model);  // started: load here, swap between frames
}

static void get_property(GObject* object, guint prop_id, GValue* value, GParamSpec* pspec) {
  GstFaceRecognize* self = GST_FACE_RECOGNIZE(object);
  const Settings& s = self->priv->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL: g_value_set_string(value, s.model.c_str()); break;
    case PROP_EMBEDDER: g_value_set_string(value, s.embedder.c_str()); break;
    case PROP_UNKNOWN_THRESHOLD: g_value_set_double(value, s.unknown_threshold); break;
    case PROP_WATCH: g_value_set_boolean(value, s.watch); break;
    case PROP_EVENTS: g_value_set_boolean(value, s.events); break;
    case PROP_LEAVE_TIMEOUT: g_value_set_uint(value, s.leave_timeout_ms); break;
    case PROP_UNKNOWN_INTERVAL: g_value_set_uint(value, s.unknown_interval_ms); break;
    case PROP_UNKNOWN_CROPS_DIR: g_value_set_string(value, s.unknown_crops_dir.c_str()); break;
    case PROP_MAX_UNKNOWN_CROPS: g_value_set_int(value, s.max_unknown_crops); break;
    case PROP_RECLASSIFY_INTERVAL: g_value_set_int(value, s.reclassify_interval); break;
    case PROP_MAX_FACES: g_value_set_int(value, s.max_faces); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_face_recognize_init(GstFaceRecognize* self) { self->priv.construct(); }

static void finalize(GObject* object) {
  GST_FACE_RECOGNIZE(object)->priv.destroy();
  G_OBJECT_CLASS(gst_face_recognize_parent_class)->finalize(object);
}

static void gst_face_recognize_class_init(GstFaceRecognizeClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstFaceRecAnalyzerClass* analyzer_class = reinterpret_cast<GstFaceRecAnalyzerClass*>(klass);
  GST_DEBUG_CATEGORY_INIT(gst_face_recognize_debug, "facerecognize", 0, "Face recognition (embedding + classifier)");
  gobject_class->set_property = set_property;
  gobject_class->get_property = get_property;
  gobject_class->finalize = finalize;

  const auto ready = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto playing = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING);
  auto install = [gobject_class](guint id, GParamSpec* spec) { g_object_class_install_property(gobject_class, id, spec); };
  install(PROP_MODEL, g_param_spec_string("model", "Model",
                                          "Trained model file written by facerec-train. Empty: only attach embeddings. "
                                          "May be changed while playing (loaded, then swapped in between frames)",
                                          "", playing));
  // Built once from the manifest; lives as long as the process (G_PARAM_STATIC_STRINGS).
  static const std::string embedder_blurb =
      std::string("Embedding network: an id of the model manifest or a model file (.onnx or .t7; a bare name: "
                  "the current directory, then $FACEREC_MODEL_PATH). Empty: the embedder the model was trained with "
                  "(facerec-train records it), without a model the default (") +
      facerec::defaults::kEmbedder +
      "). Set explicitly, the model must have been trained with it, else the element refuses to start, naming "
      "both. Embedders:\n" +
      facerec::describe_embedders("    ");
  install(PROP_EMBEDDER, g_param_spec_string("embedder", "Embedder", embedder_blurb.c_str(), "", ready));
  install(PROP_UNKNOWN_THRESHOLD,
          g_param_spec_double("unknown-threshold", "Unknown threshold",
                              "Distance gate: a face farther than this from every enrolled embedding of the predicted "
                              "person is unknown. 0: use the value stored in the model",
                              0.0, 100.0, kDefaultUnknownThreshold, playing));
  install(PROP_WATCH, g_param_spec_boolean("watch", "Watch model",
                                           "Reload the model when its files (MODEL, MODEL.svm) are rewritten: checked "
                                           "at most once a second, loaded on a worker thread once the files have "
                                           "settled, swapped in between frames. A broken file: warning, the previous "
                                           "model stays. Posts \"facerecognize-model-reloaded\" on success",
                                           kDefaultWatch, playing));
  install(PROP_EVENTS, g_param_spec_boolean("events", "Events",
                                            "Post element messages \"face-appeared\", \"face-left\" and "
                                            "\"unknown-face\" (see the README, Events)",
                                            kDefaultEvents, playing));
  install(PROP_LEAVE_TIMEOUT, g_param_spec_uint("leave-timeout", "Leave timeout",
                                                "Milliseconds of stream (running) time a person (or, with tracking, a "
                                                "track) must go unnamed before \"face-left\" is posted",
                                                0, G_MAXUINT, kDefaultLeaveTimeout, playing));
  install(PROP_UNKNOWN_INTERVAL,
          g_param_spec_uint("unknown-interval", "Unknown interval",
                            "At most one \"unknown-face\" message (and one saved crop) per this many milliseconds of "
                            "stream (running) time. With tracking, each unknown track is also reported only once",
                            0, G_MAXUINT, kDefaultUnknownInterval, playing));
  install(PROP_UNKNOWN_CROPS_DIR,
          g_param_spec_string("unknown-crops-dir", "Unknown crops folder",
                              "Save a crop of unknown faces (the box with half its size of context on each side, JPEG, "
                              "so that facerec-train can enrol it) into this folder (created if missing), named "
                              "unknown-<UTC time>-st<stream time>.jpg, one per \"unknown-face\" message, written by a "
                              "worker thread. Empty: off",
                              "", playing));
  install(PROP_MAX_UNKNOWN_CROPS,
          g_param_spec_int("max-unknown-crops", "Maximum unknown crops",
                           "Stop saving crops once unknown-crops-dir holds this many unknown-*.jpg files (those "
                           "already there count). 0: no limit",
                           0, G_MAXINT, kDefaultMaxUnknownCrops, playing));
  install(PROP_RECLASSIFY_INTERVAL,
          g_param_spec_int("reclassify-interval", "Reclassify interval",
                           "Tracked faces: embed a track again every this many frames (and when its face gets "
                           "markedly bigger, more frontal or surer); in between the track keeps its name "
                           "(\"recognition\" fresh=FALSE). 1: every frame; 0: only when new or better. Untracked "
                           "faces are embedded on every frame",
                           0, G_MAXINT, kDefaultReclassifyInterval, playing));
  install(PROP_MAX_FACES, g_param_spec_int("max-faces", "Maximum faces",
                                           "Recognise at most this many faces per frame (the first face ROIs); the "
                                           "others pass without a name (a warning says so once). Bounds the time and "
                                           "memory one frame can take. 0: no limit",
                                           0, G_MAXINT, kDefaultMaxFaces, playing));

  gst_element_class_set_static_metadata(
      GST_ELEMENT_CLASS(klass), "Face recognizer (OpenCV DNN)", "Filter/Analyzer/Video",
      "Embeds the faces found by facedetect-dnn (GstFaceRecEmbeddingMeta) and, with a trained model, names them "
      "(\"recognition\" param of the face ROI), per track when the faces are tracked",
      GST_FACEREC_AUTHOR);
  GST_BASE_TRANSFORM_CLASS(klass)->sink_event = GST_DEBUG_FUNCPTR(sink_event);
  analyzer_class->start_models = start_models;
  analyzer_class->stop_models = stop_models;
  analyzer_class->analyze = analyze;
}
