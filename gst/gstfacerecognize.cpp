// gst-facerec: facerecognize, embeds the faces found upstream and names them.
//
// For every "face" ROI meta (from facedetect-dnn) the face is aligned and
// embedded (all faces of a frame in one batch); a GstFaceRecEmbeddingMeta is
// attached, and with a trained `model` a "recognition" param (see facemeta.h).
//
// Events (element messages, `events`=TRUE; each also pushed downstream as a custom
// event with the same structure, for facepublish): "face-appeared" the first frame a
// person is named, "face-left" once they have not been named for
// `leave-timeout` ms of running (playback) time, and at EOS / flush for
// everyone still present; "unknown-face" at most once per `unknown-interval`
// ms (without tracking, unknown people cannot be told apart, so this is a rate,
// not one message per person). `unknown-crops-dir` saves a padded crop of such
// faces (the box with context, so that facerec-train can detect it again).
//
// Models: `model` may be set while playing (loaded on the caller's thread,
// swapped in between frames). With `watch`=TRUE the streaming thread stats
// MODEL and MODEL.svm at most once a second (wall clock); a change is handed
// to the element's worker thread, which waits for the files to settle, loads
// them and swaps the model in. A broken file: warning, the old model stays.
// The worker thread also writes the unknown crops (JPEG), so no file I/O
// beyond the stat() happens on the streaming thread.
//
// Example:
//   gst-launch-1.0 filesrc location=clip.mp4 ! decodebin ! videoconvert !
//       facedetect-dnn ! facerecognize model=people.yml ! videoconvert !
//       facerec-overlay ! autovideosink
//
// Faces whose ROI lost its landmarks (videoscale drops ROI params in 1.22) or came
// from another detector get them from the landmark net (`landmarks-model`).
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include <glib/gstdio.h>
#include <opencv2/imgcodecs.hpp>

#include <gst/gst.h>
#include <gst/video/gstvideofilter.h>
#include <gst/video/video.h>

#include "elements.h"
#include "facemeta.h"
#include "facerec/aligner.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/landmarks.h"
#include "facerec/models.h"
#include "videoframe.h"

GST_DEBUG_CATEGORY_STATIC(gst_facerec_recognize_debug);
#define GST_CAT_DEFAULT gst_facerec_recognize_debug

namespace {

constexpr double kDefaultUnknownThreshold = 0.0;
constexpr gboolean kDefaultWatch = FALSE;
constexpr gboolean kDefaultEvents = TRUE;
constexpr guint kDefaultLeaveTimeout = 1000;     // ms
constexpr guint kDefaultUnknownInterval = 1000;  // ms
constexpr gint kDefaultMaxUnknownCrops = 100;
constexpr gint64 kWatchPeriodUs = G_USEC_PER_SEC;  // stat the model at most once a second
constexpr size_t kMaxPendingCrops = 8;             // worker queue bound; more are dropped

// Properties, read and written under GST_OBJECT_LOCK.
struct Settings {
  std::string model;
  std::string embedder;
  std::string landmarks_model;
  double unknown_threshold = kDefaultUnknownThreshold;
  bool watch = kDefaultWatch;
  bool events = kDefaultEvents;
  guint leave_timeout_ms = kDefaultLeaveTimeout;
  guint unknown_interval_ms = kDefaultUnknownInterval;
  std::string unknown_crops_dir;
  gint max_unknown_crops = kDefaultMaxUnknownCrops;
};

// What stat() says about one file; compared to notice a rewrite.
struct FileSig {
  bool exists = false;
  gint64 size = 0;
  gint64 mtime_ns = 0;
  gint64 ctime_ns = 0;
  guint64 ino = 0;
  bool operator==(const FileSig& o) const {
    return exists == o.exists && size == o.size && mtime_ns == o.mtime_ns &&
           ctime_ns == o.ctime_ns && ino == o.ino;
  }
};

// MODEL and MODEL.svm.
struct ModelSig {
  FileSig model, svm;
  bool operator==(const ModelSig& o) const { return model == o.model && svm == o.svm; }
  bool operator!=(const ModelSig& o) const { return !(*this == o); }
};

FileSig stat_file(const std::string& path) {
  FileSig f;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return f;
  f.exists = true;
  f.size = static_cast<gint64>(st.st_size);
  f.mtime_ns = static_cast<gint64>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  f.ctime_ns = static_cast<gint64>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
  f.ino = static_cast<guint64>(st.st_ino);
  return f;
}

ModelSig stat_model(const std::string& path) { return {stat_file(path), stat_file(path + ".svm")}; }

// The classifier currently in use. Swapped as a whole when `model` changes
// while running; guarded by Private::classifier_lock.
struct LoadedModel {
  facerec::Classifier classifier;
  std::string path;
  float model_threshold = 0.f;  // the gate stored in the file
  ModelSig sig;                 // the files as they were just before loading
};

// One person currently in view (events).
struct Presence {
  gint label_id = -1;
  GstClockTime first_pts = GST_CLOCK_TIME_NONE, last_pts = GST_CLOCK_TIME_NONE;
  GstClockTime first_stream = GST_CLOCK_TIME_NONE, last_stream = GST_CLOCK_TIME_NONE;
  GstClockTime last_track = 0;  // tracking clock (see FrameTimes)
  guint64 frames = 0;
};

// Times of one buffer. `track` is the clock events are timed on: the running
// time when the buffer has a PTS in a TIME segment, else the monotonic wall
// clock since start().
struct FrameTimes {
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  GstClockTime running = GST_CLOCK_TIME_NONE;
  GstClockTime stream = GST_CLOCK_TIME_NONE;
  GstClockTime track = 0;
};

// One classified face of a frame.
struct FaceResult {
  gint roi_id = 0;
  cv::Rect box;
  facerec::Match match;
};

// A crop for the worker to write.
struct CropJob {
  std::string dir;
  std::string name;
  gint max_files = 0;
  cv::Mat image;
};

// Streaming state: built in start(), dropped in stop(). Touched only by the
// streaming thread (transform and serialized events) once started.
struct State {
  std::unique_ptr<facerec::Embedder> embedder;
  std::string embedder_id;
  // For face ROIs that arrive without landmarks; null: mean face placed in the box.
  std::unique_ptr<facerec::LandmarkNet> landmarks;
  gint64 start_us = 0;  // monotonic
  // events
  std::map<std::string, Presence> present;
  bool have_unknown = false;
  GstClockTime last_unknown_track = 0;
  // watch
  gint64 last_watch_check_us = 0;
};

// Worker thread: model reloads for `watch` and unknown-crop writes. Started in
// start(), joined in stop().
struct Worker {
  std::thread thread;
  std::mutex lock;
  std::condition_variable cond;
  bool quit = false;                   // lock
  bool reload_requested = false;       // lock
  std::string reload_path;             // lock
  std::deque<CropJob> crops;           // lock
  std::map<std::string, gint> crop_counts;  // worker thread only: files per directory
  bool crop_warned = false;            // worker thread only
};

struct Private {
  Settings settings;  // GST_OBJECT_LOCK
  std::unique_ptr<State> state;  // streaming thread, start/stop
  // Guards `model` (the pointer). Held briefly by
  // the streaming thread while classifying a frame and by a model swap; never
  // while loading a file.
  std::mutex classifier_lock;
  std::shared_ptr<LoadedModel> model;
  // Serialises reloads triggered from set_property, and start/stop against them.
  std::mutex reload_lock;
  bool started = false;  // reload_lock
  // `watch`: a reload is queued or running (set by the streaming thread, cleared
  // by the worker), and the files of a model that failed to load (classifier_lock),
  // so that a broken file is reported once, not every second.
  std::atomic<bool> reload_pending{false};
  ModelSig bad_sig;
  std::string bad_path;
  std::unique_ptr<Worker> worker;  // created in start, joined and dropped in stop
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

enum {
  PROP_0,
  PROP_MODEL,
  PROP_EMBEDDER,
  PROP_LANDMARKS_MODEL,
  PROP_UNKNOWN_THRESHOLD,
  PROP_WATCH,
  PROP_EVENTS,
  PROP_LEAVE_TIMEOUT,
  PROP_UNKNOWN_INTERVAL,
  PROP_UNKNOWN_CROPS_DIR,
  PROP_MAX_UNKNOWN_CROPS
};

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
    lm->sig = stat_model(path);  // before loading: a rewrite during the load is noticed later
    lm->classifier = facerec::Classifier::load(path);
    lm->path = path;
    lm->model_threshold = lm->classifier.default_threshold();
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
      GST_FACEREC_POST_ERROR(self, "recognition model (facerec-train output)", err, gstfacerec::FileKind::TrainedModel);
    }
  }
  return nullptr;
}

static void post_model_reloaded(GstFaceRecRecognize* self, const LoadedModel& lm,
                                const char* reason) {
  GstStructure* s = gst_structure_new(
      "facerecognize-model-reloaded", "path", G_TYPE_STRING, lm.path.c_str(), "reason",
      G_TYPE_STRING, reason, "people", G_TYPE_UINT, static_cast<guint>(lm.classifier.labels().size()),
      nullptr);
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

// Loads a model and swaps it in between frames: loads outside any streaming
// lock, swaps under classifier_lock. `watched` == nullptr: the `model` property
// was set while running (caller's thread); reloaded when the path or the files
// changed. Otherwise the worker thread noticed that the files of the model in
// use (*watched) changed. A model that does not load: warning, the old one stays.
static void reload_model(GstFaceRecRecognize* self, const std::string* watched) {
  Private* p = self->priv;
  std::lock_guard<std::mutex> reload(p->reload_lock);
  if (!p->started || !p->state) return;  // start() will load it
  std::string path;
  if (watched) {
    path = *watched;
  } else {
    GST_OBJECT_LOCK(self);
    path = p->settings.model;
    GST_OBJECT_UNLOCK(self);
  }
  const ModelSig sig = path.empty() ? ModelSig{} : stat_model(path);
  {
    std::lock_guard<std::mutex> lk(p->classifier_lock);
    const std::string current = p->model ? p->model->path : std::string();
    if (current == path && (path.empty() || p->model->sig == sig)) return;  // nothing new
    if (watched && (!p->model || p->model->path != path)) return;  // `model` changed meanwhile
    if (watched && p->bad_path == path && p->bad_sig == sig) return;  // already reported
  }
  std::shared_ptr<LoadedModel> lm;
  if (!path.empty()) {
    lm = load_model(self, path, p->state->embedder_id, true);
    if (!lm) {
      std::lock_guard<std::mutex> lk(p->classifier_lock);
      p->bad_path = path;
      p->bad_sig = sig;
      return;
    }
  }
  {
    std::lock_guard<std::mutex> lk(p->classifier_lock);
    p->model = lm;
  }
  GST_INFO_OBJECT(self, "switched to model \"%s\" (%s)", path.c_str(),
                  watched ? "files changed" : "property");
  if (lm) post_model_reloaded(self, *lm, watched ? "watch" : "property");
}

// Worker: writes one unknown-face crop. At most job.max_files "unknown-*.jpg"
// files in the folder (files already there count; 0: no limit).
static void write_crop(GstFaceRecRecognize* self, Worker* w, const CropJob& job) {
  namespace fs = std::filesystem;
  auto it = w->crop_counts.find(job.dir);
  if (it == w->crop_counts.end()) {
    std::error_code ec;
    fs::create_directories(job.dir, ec);
    gint n = 0;
    fs::directory_iterator d(job.dir, ec), end;
    for (; !ec && d != end; d.increment(ec)) {
      const std::string name = d->path().filename().string();
      if (name.rfind("unknown-", 0) == 0 && name.size() > 4 &&
          name.compare(name.size() - 4, 4, ".jpg") == 0)
        ++n;
    }
    it = w->crop_counts.emplace(job.dir, n).first;
  }
  if (job.max_files > 0 && it->second >= job.max_files) {
    GST_LOG_OBJECT(self, "%s already holds %d unknown crops (max-unknown-crops), not saving more",
                   job.dir.c_str(), it->second);
    return;
  }
  std::vector<uchar> jpeg;
  bool encoded = false;
  try {
    encoded = cv::imencode(".jpg", job.image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 92});
  } catch (const cv::Exception&) {
    encoded = false;
  }
  const std::string path = (fs::path(job.dir) / job.name).string();
  GError* err = nullptr;
  // g_file_set_contents writes a temporary file and renames it: readers never see half a JPEG
  if (!encoded || !g_file_set_contents(path.c_str(), reinterpret_cast<const gchar*>(jpeg.data()),
                                       static_cast<gssize>(jpeg.size()), &err)) {
    if (!w->crop_warned) {
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                          ("Could not save the unknown-face crop \"%s\": %s", path.c_str(),
                           err ? err->message : "JPEG encoding failed"),
                          ("check that unknown-crops-dir is a writable folder"));
    }
    w->crop_warned = true;
    g_clear_error(&err);
    return;
  }
  ++it->second;
  GST_DEBUG_OBJECT(self, "saved unknown crop %s", path.c_str());
  gst_element_post_message(
      GST_ELEMENT(self),
      gst_message_new_element(GST_OBJECT(self),
                              gst_structure_new("facerecognize-unknown-crop", "location",
                                                G_TYPE_STRING, path.c_str(), nullptr)));
}

// The worker thread: crop writes and `watch` reloads, until stop().
static void worker_main(GstFaceRecRecognize* self, Worker* w) {
  Private* p = self->priv;
  std::unique_lock<std::mutex> lk(w->lock);
  for (;;) {
    w->cond.wait(lk, [w] { return w->quit || w->reload_requested || !w->crops.empty(); });
    if (!w->crops.empty()) {  // pending crops are written even when quitting
      CropJob job = std::move(w->crops.front());
      w->crops.pop_front();
      lk.unlock();
      write_crop(self, w, job);
      lk.lock();
      continue;
    }
    if (w->quit) break;
    if (w->reload_requested) {
      w->reload_requested = false;
      const std::string path = w->reload_path;
      // Let the files settle (a writer may still be busy, MODEL and MODEL.svm
      // are written one after the other): unchanged for 200 ms, at most ~4 s.
      lk.unlock();
      ModelSig sig = stat_model(path);
      lk.lock();
      for (int i = 0; i < 20 && !w->quit; ++i) {
        w->cond.wait_for(lk, std::chrono::milliseconds(200), [w] { return w->quit; });
        if (w->quit) break;
        lk.unlock();
        const ModelSig now = stat_model(path);
        lk.lock();
        if (now == sig) break;
        sig = now;
      }
      if (!w->quit) {
        lk.unlock();
        reload_model(self, &path);
        lk.lock();
      }
      p->reload_pending = false;
    }
  }
}

// Streaming thread, `watch`: at most once a second, stat MODEL and MODEL.svm;
// when they changed, hand the reload to the worker.
static void check_model_files(GstFaceRecRecognize* self, State* st) {
  Private* p = self->priv;
  const gint64 now = g_get_monotonic_time();
  if (st->last_watch_check_us != 0 && now - st->last_watch_check_us < kWatchPeriodUs) return;
  st->last_watch_check_us = now;
  if (p->reload_pending || !p->worker) return;
  std::string path, bad_path;
  ModelSig loaded, bad;
  {
    std::lock_guard<std::mutex> lk(p->classifier_lock);
    if (!p->model) return;
    path = p->model->path;
    loaded = p->model->sig;
    bad_path = p->bad_path;
    bad = p->bad_sig;
  }
  const ModelSig sig = stat_model(path);
  if (sig == loaded || (bad_path == path && sig == bad)) return;
  GST_INFO_OBJECT(self, "model files of %s changed, reloading", path.c_str());
  p->reload_pending = true;
  {
    std::lock_guard<std::mutex> lk(p->worker->lock);
    p->worker->reload_requested = true;
    p->worker->reload_path = path;
  }
  p->worker->cond.notify_one();
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
    case PROP_LANDMARKS_MODEL: {
      const gchar* v = g_value_get_string(value);
      s.landmarks_model = v ? v : "";
      break;
    }
    case PROP_UNKNOWN_THRESHOLD: s.unknown_threshold = g_value_get_double(value); break;
    case PROP_WATCH: s.watch = g_value_get_boolean(value); break;
    case PROP_EVENTS: s.events = g_value_get_boolean(value); break;
    case PROP_LEAVE_TIMEOUT: s.leave_timeout_ms = g_value_get_uint(value); break;
    case PROP_UNKNOWN_INTERVAL: s.unknown_interval_ms = g_value_get_uint(value); break;
    case PROP_UNKNOWN_CROPS_DIR: {
      const gchar* v = g_value_get_string(value);
      s.unknown_crops_dir = v ? v : "";
      break;
    }
    case PROP_MAX_UNKNOWN_CROPS: s.max_unknown_crops = g_value_get_int(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
  if (model_changed) reload_model(self, nullptr);
}

static void gst_facerec_recognize_get_property(GObject* object, guint prop_id, GValue* value,
                                            GParamSpec* pspec) {
  GstFaceRecRecognize* self = GST_FACEREC_RECOGNIZE(object);
  const Settings& s = self->priv->settings;
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_MODEL: g_value_set_string(value, s.model.c_str()); break;
    case PROP_EMBEDDER: g_value_set_string(value, s.embedder.c_str()); break;
    case PROP_LANDMARKS_MODEL: g_value_set_string(value, s.landmarks_model.c_str()); break;
    case PROP_UNKNOWN_THRESHOLD: g_value_set_double(value, s.unknown_threshold); break;
    case PROP_WATCH: g_value_set_boolean(value, s.watch); break;
    case PROP_EVENTS: g_value_set_boolean(value, s.events); break;
    case PROP_LEAVE_TIMEOUT: g_value_set_uint(value, s.leave_timeout_ms); break;
    case PROP_UNKNOWN_INTERVAL: g_value_set_uint(value, s.unknown_interval_ms); break;
    case PROP_UNKNOWN_CROPS_DIR: g_value_set_string(value, s.unknown_crops_dir.c_str()); break;
    case PROP_MAX_UNKNOWN_CROPS: g_value_set_int(value, s.max_unknown_crops); break;
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
  if (!GST_FACEREC_LOAD_OR_POST(self, "face embedder model", emb_file, [&] {
        state->embedder = facerec::create_embedder(emb_file);
        state->embedder_id = state->embedder->spec().id;
      }))
    return FALSE;
  GST_INFO_OBJECT(self, "embedder %s (%s), %d-d", state->embedder_id.c_str(),
                  state->embedder->path().c_str(), state->embedder->spec().dim);
  // Landmark net for faces without landmarks: a named file must load; the default is
  // optional (only needed when the ROIs lost their params).
  if (!s.landmarks_model.empty() || !facerec::find_model(facerec::defaults::kLandmarks).empty()) {
    const std::string lm_file = s.landmarks_model.empty() ? facerec::defaults::kLandmarks : s.landmarks_model;
    if (!GST_FACEREC_LOAD_OR_POST(self, "landmarks model", lm_file,
                                  [&] { state->landmarks = std::make_unique<facerec::LandmarkNet>(lm_file); }))
      return FALSE;
  } else {
    GST_WARNING_OBJECT(self, "%s not found on the model path: faces that arrive without landmarks "
                       "are aligned on the mean face placed in their box", facerec::defaults::kLandmarks);
  }

  std::shared_ptr<LoadedModel> lm;
  if (!s.model.empty()) {
    lm = load_model(self, s.model, state->embedder_id, false);
    if (!lm) return FALSE;
  }
  {
    std::lock_guard<std::mutex> lk(p->classifier_lock);
    p->model = std::move(lm);
    p->bad_path.clear();
    p->bad_sig = ModelSig{};
  }
  state->start_us = g_get_monotonic_time();
  p->state = std::move(state);
  p->reload_pending = false;
  p->worker = std::make_unique<Worker>();
  p->worker->thread = std::thread(worker_main, self, p->worker.get());
  p->started = true;
  return TRUE;
}

static gboolean gst_facerec_recognize_stop(GstBaseTransform* trans) {
  GstFaceRecRecognize* self = GST_FACEREC_RECOGNIZE(trans);
  Private* p = self->priv;
  std::unique_ptr<Worker> worker;
  {
    std::lock_guard<std::mutex> reload(p->reload_lock);
    p->started = false;  // from now on the worker's reloads do nothing
    worker = std::move(p->worker);
  }
  if (worker) {  // writes the crops still queued, then exits
    {
      std::lock_guard<std::mutex> lk(worker->lock);
      worker->quit = true;
    }
    worker->cond.notify_all();
    if (worker->thread.joinable()) worker->thread.join();
  }
  std::lock_guard<std::mutex> reload(p->reload_lock);
  {
    std::lock_guard<std::mutex> lk(p->classifier_lock);
    p->model.reset();
  }
  p->state.reset();
  p->reload_pending = false;
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

// Embeds and classifies the faces of one frame. Fills `results` (one per
// classified face) and `bgr` (the frame, for the unknown crops).
static void recognize_frame(GstFaceRecRecognize* self, State* st, GstVideoFrame* frame,
                            double override_threshold, std::vector<FaceResult>& results,
                            cv::Mat& bgr) {
  Private* p = self->priv;
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
    rois.push_back(roi);
    faces.push_back(f);
  }
  if (faces.empty()) return;

  bgr = gstfacerec::frame_to_bgr(frame);
  if (bgr.empty()) return;

  // Faces without landmarks (e.g. after videoscale, which drops the params): the
  // landmark net on their box; its refinement pass makes the points nearly what the
  // detector's own box gives (lib/landmarks.cpp). Without the net: the mean face.
  for (facerec::Face& f : faces) {
    if (f.has_landmarks) continue;
    if (st->landmarks) {
      try {
        st->landmarks->apply(bgr, f);
      } catch (const std::exception& e) {
        GST_WARNING_OBJECT(self, "landmark net failed: %s", e.what());
      }
    }
    if (!f.has_landmarks) {
      f.landmarks = facerec::landmarks_from_box(f.box);
      f.has_landmarks = true;
    }
  }

  std::vector<facerec::Embedding> embs;
  try {
    embs = st->embedder->embed_faces(bgr, faces);  // one batch
  } catch (const std::exception& e) {
    GST_WARNING_OBJECT(self, "embedding failed on a %dx%d frame: %s", fw, fh, e.what());
    return;
  }
  if (embs.size() != faces.size()) {
    GST_WARNING_OBJECT(self, "embedder returned %zu vectors for %zu faces", embs.size(),
                       faces.size());
    return;
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

  std::lock_guard<std::mutex> lk(p->classifier_lock);
  if (!p->model) return;
  const facerec::Classifier& cls = p->model->classifier;
  const float gate = override_threshold > 0.0 ? static_cast<float>(override_threshold)
                                              : p->model->model_threshold;
  for (size_t i = 0; i < rois.size(); ++i) {
    facerec::Match match;
    try {
      match = cls.classify(embs[i], gate);
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
    FaceResult r;
    r.roi_id = rois[i]->id;
    r.box = cv::Rect(static_cast<int>(faces[i].box.x), static_cast<int>(faces[i].box.y),
                     static_cast<int>(faces[i].box.width), static_cast<int>(faces[i].box.height));
    r.match = match;
    results.push_back(std::move(r));
    GST_LOG_OBJECT(self, "face %d: %s score %.3f distance %.3f", rois[i]->id,
                   match.known ? match.label.c_str() : "unknown", static_cast<double>(match.score),
                   static_cast<double>(match.distance));
  }
}


static GValue* box_value(GValue* v, const cv::Rect& box) {
  gst_value_array_init(v, 4);
  for (int x : {box.x, box.y, box.width, box.height}) {
    GValue iv = G_VALUE_INIT;
    g_value_init(&iv, G_TYPE_INT);
    g_value_set_int(&iv, x);
    gst_value_array_append_and_take_value(v, &iv);
  }
  return v;
}

static void post_event(GstFaceRecRecognize* self, GstStructure* s) {
  // The same structure also goes downstream, in stream order, as a custom serialized
  // event: elements cannot read the bus, and facepublish forwards these to MQTT.
  gst_pad_push_event(GST_BASE_TRANSFORM_SRC_PAD(self),
                     gst_event_new_custom(GST_EVENT_CUSTOM_DOWNSTREAM, gst_structure_copy(s)));
  gst_element_post_message(GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

static void post_face_left(GstFaceRecRecognize* self, const std::string& label, const Presence& pr,
                           const char* reason) {
  GST_DEBUG_OBJECT(self, "%s left (%s), %" G_GUINT64_FORMAT " frames", label.c_str(), reason,
                   pr.frames);
  post_event(self, gst_structure_new("face-left", "label", G_TYPE_STRING, label.c_str(), "label-id",
                                     G_TYPE_INT, pr.label_id, "first-seen", G_TYPE_UINT64,
                                     pr.first_pts, "last-seen", G_TYPE_UINT64, pr.last_pts,
                                     "first-seen-stream-time", G_TYPE_UINT64, pr.first_stream,
                                     "last-seen-stream-time", G_TYPE_UINT64, pr.last_stream,
                                     "frames", G_TYPE_UINT64, pr.frames, "reason", G_TYPE_STRING,
                                     reason, nullptr));
}

// Everyone still present leaves (EOS, flush).
static void flush_presence(GstFaceRecRecognize* self, State* st, const char* reason) {
  GST_OBJECT_LOCK(self);
  const bool events = self->priv->settings.events;
  GST_OBJECT_UNLOCK(self);
  if (events)
    for (const auto& [label, pr] : st->present) post_face_left(self, label, pr, reason);
  st->present.clear();
  st->have_unknown = false;
}

struct EventSettings {
  bool events = true;
  GstClockTime leave_timeout = 0, unknown_interval = 0;
  std::string crops_dir;
  gint max_crops = 0;
};

// Appearances, departures and unknown faces of one frame (streaming thread).
static void update_events(GstFaceRecRecognize* self, State* st, const FrameTimes& t,
                          const std::vector<FaceResult>& results, const cv::Mat& bgr,
                          const EventSettings& es) {
  // the best face per person; the largest unknown face
  std::map<std::string, const FaceResult*> seen;
  const FaceResult* unknown = nullptr;
  guint n_unknown = 0;
  for (const FaceResult& r : results) {
    if (r.match.known) {
      const FaceResult*& best = seen[r.match.label];
      if (!best || r.match.score > best->match.score) best = &r;
    } else {
      ++n_unknown;
      if (!unknown || r.box.area() > unknown->box.area()) unknown = &r;
    }
  }
  for (const auto& [label, r] : seen) {
    auto it = st->present.find(label);
    if (it == st->present.end()) {
      Presence pr;
      pr.label_id = r->match.label_id;
      pr.first_pts = t.pts;
      pr.first_stream = t.stream;
      it = st->present.emplace(label, pr).first;
      GST_DEBUG_OBJECT(self, "%s appeared at %" GST_TIME_FORMAT, label.c_str(),
                       GST_TIME_ARGS(t.stream));
      if (es.events) {
        GstStructure* s = gst_structure_new(
            "face-appeared", "label", G_TYPE_STRING, label.c_str(), "label-id", G_TYPE_INT,
            r->match.label_id, "score", G_TYPE_DOUBLE, static_cast<double>(r->match.score),
            "distance", G_TYPE_DOUBLE, static_cast<double>(r->match.distance), "timestamp",
            G_TYPE_UINT64, t.pts, "running-time", G_TYPE_UINT64, t.running, "stream-time",
            G_TYPE_UINT64, t.stream, "roi-id", G_TYPE_INT, r->roi_id, nullptr);
        GValue box = G_VALUE_INIT;
        gst_structure_take_value(s, "box", box_value(&box, r->box));
        post_event(self, s);
      }
    }
    Presence& pr = it->second;
    pr.label_id = r->match.label_id;
    pr.last_pts = t.pts;
    pr.last_stream = t.stream;
    pr.last_track = t.track;
    ++pr.frames;
  }
  for (auto it = st->present.begin(); it != st->present.end();) {
    const GstClockTime last = it->second.last_track;
    if (seen.count(it->first) == 0 && t.track > last && t.track - last > es.leave_timeout) {
      if (es.events) post_face_left(self, it->first, it->second, "timeout");
      it = st->present.erase(it);
    } else {
      ++it;
    }
  }
  if (unknown == nullptr) return;
  // Rate-limited: without tracking, one unknown person cannot be told from another.
  const bool due = !st->have_unknown || t.track < st->last_unknown_track ||
                   t.track - st->last_unknown_track >= es.unknown_interval;
  if (!due) return;
  st->have_unknown = true;
  st->last_unknown_track = t.track;
  if (es.events) {
    GstStructure* s = gst_structure_new(
        "unknown-face", "distance", G_TYPE_DOUBLE, static_cast<double>(unknown->match.distance),
        "score", G_TYPE_DOUBLE, static_cast<double>(unknown->match.score), "timestamp",
        G_TYPE_UINT64, t.pts, "running-time", G_TYPE_UINT64, t.running, "stream-time",
        G_TYPE_UINT64, t.stream, "roi-id", G_TYPE_INT, unknown->roi_id, "unknown-faces",
        G_TYPE_UINT, n_unknown, nullptr);
    GValue box = G_VALUE_INIT;
    gst_structure_take_value(s, "box", box_value(&box, unknown->box));
    post_event(self, s);
  }
  Worker* w = self->priv->worker.get();
  if (es.crops_dir.empty() || bgr.empty() || w == nullptr) return;
  // The box with half its size of context on every side: facerec-train detects
  // the face again, and the detector needs some context around it.
  const cv::Rect& b = unknown->box;
  const int pad = std::max(b.width, b.height) / 2;
  const cv::Rect crop =
      cv::Rect(b.x - pad, b.y - pad, b.width + 2 * pad, b.height + 2 * pad) & cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (crop.width < 2 || crop.height < 2) return;
  CropJob job;
  job.dir = es.crops_dir;
  job.max_files = es.max_crops;
  job.image = bgr(crop).clone();
  // unknown-<wall clock UTC>-st<stream time>.jpg: unique, sortable, and tied to the stream
  GDateTime* now = g_date_time_new_now_utc();
  gchar* wall = g_date_time_format(now, "%Y%m%dT%H%M%S");
  const GstClockTime ts = GST_CLOCK_TIME_IS_VALID(t.stream) ? t.stream : t.track;
  gchar* name = g_strdup_printf("unknown-%s.%06dZ-st%" G_GUINT64_FORMAT ".%03u.jpg", wall,
                                g_date_time_get_microsecond(now), ts / GST_SECOND,
                                static_cast<guint>((ts % GST_SECOND) / GST_MSECOND));
  job.name = name;
  g_free(name);
  g_free(wall);
  g_date_time_unref(now);
  {
    std::lock_guard<std::mutex> lk(w->lock);
    if (w->crops.size() >= kMaxPendingCrops) {
      GST_DEBUG_OBJECT(self, "crop writer busy, dropping an unknown crop");
      return;
    }
    w->crops.push_back(std::move(job));
  }
  w->cond.notify_one();
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
  EventSettings es;
  GST_OBJECT_LOCK(self);
  const double override_threshold = p->settings.unknown_threshold;
  const bool watch = p->settings.watch;
  es.events = p->settings.events;
  es.leave_timeout = static_cast<GstClockTime>(p->settings.leave_timeout_ms) * GST_MSECOND;
  es.unknown_interval = static_cast<GstClockTime>(p->settings.unknown_interval_ms) * GST_MSECOND;
  es.crops_dir = p->settings.unknown_crops_dir;
  es.max_crops = p->settings.max_unknown_crops;
  GST_OBJECT_UNLOCK(self);

  if (watch) check_model_files(self, st);

  FrameTimes t;
  t.pts = GST_BUFFER_PTS(frame->buffer);
  const GstSegment* seg = &GST_BASE_TRANSFORM(self)->segment;
  if (GST_CLOCK_TIME_IS_VALID(t.pts) && seg->format == GST_FORMAT_TIME) {
    t.running = gst_segment_to_running_time(seg, GST_FORMAT_TIME, t.pts);
    t.stream = gst_segment_to_stream_time(seg, GST_FORMAT_TIME, t.pts);
  }
  t.track = GST_CLOCK_TIME_IS_VALID(t.running)
                ? t.running
                : static_cast<GstClockTime>(g_get_monotonic_time() - st->start_us) * GST_USECOND;

  std::vector<FaceResult> results;
  cv::Mat bgr;
  recognize_frame(self, st, frame, override_threshold, results, bgr);
  update_events(self, st, t, results, bgr, es);
  return GST_FLOW_OK;
}

static gboolean gst_facerec_recognize_sink_event(GstBaseTransform* trans, GstEvent* event) {
  GstFaceRecRecognize* self = GST_FACEREC_RECOGNIZE(trans);
  State* st = self->priv->state.get();
  if (st != nullptr) {
    // serialized (EOS) or sent while streaming is stopped (FLUSH_STOP): no race
    // with the transform
    if (GST_EVENT_TYPE(event) == GST_EVENT_EOS) flush_presence(self, st, "eos");
    else if (GST_EVENT_TYPE(event) == GST_EVENT_FLUSH_STOP) flush_presence(self, st, "flush");
  }
  return GST_BASE_TRANSFORM_CLASS(gst_facerec_recognize_parent_class)->sink_event(trans, event);
}

static GstFlowReturn gst_facerec_recognize_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  return gstfacerec::transform_ip_read_only(trans, buf, gst_facerec_recognize_transform_frame_ip);
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
      gobject_class, PROP_LANDMARKS_MODEL,
      g_param_spec_string("landmarks-model", "Landmarks model",
                          "Landmark network for face ROIs that arrive without landmarks (after "
                          "videoscale, which drops ROI params, or from other detectors); a bare "
                          "name is searched on $FACEREC_MODEL_PATH. Empty: the default "
                          "(fr_landmark.onnx) when it is found, else the mean face placed in the "
                          "box (less accurate alignment)",
                          "", static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_READY)));
  g_object_class_install_property(
      gobject_class, PROP_UNKNOWN_THRESHOLD,
      g_param_spec_double("unknown-threshold", "Unknown threshold",
                          "Distance gate: a face farther than this from every enrolled "
                          "embedding of the predicted person is unknown. 0: use the value "
                          "stored in the model",
                          0.0, 100.0, kDefaultUnknownThreshold,
                          static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING)));

  const auto playing = static_cast<GParamFlags>(flags | GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_WATCH,
      g_param_spec_boolean("watch", "Watch model",
                           "Reload the model when its files (MODEL, MODEL.svm) are rewritten: "
                           "checked at most once a second, loaded on a worker thread once the "
                           "files have settled, swapped in between frames. A broken file: "
                           "warning, the previous model stays. Posts "
                           "\"facerecognize-model-reloaded\" on success",
                           kDefaultWatch, playing));
  g_object_class_install_property(
      gobject_class, PROP_EVENTS,
      g_param_spec_boolean("events", "Events",
                           "Post element messages \"face-appeared\", \"face-left\" and "
                           "\"unknown-face\" (see the README, Events)",
                           kDefaultEvents, playing));
  g_object_class_install_property(
      gobject_class, PROP_LEAVE_TIMEOUT,
      g_param_spec_uint("leave-timeout", "Leave timeout",
                        "Milliseconds of stream (running) time a person must go unnamed "
                        "before \"face-left\" is posted",
                        0, G_MAXUINT, kDefaultLeaveTimeout, playing));
  g_object_class_install_property(
      gobject_class, PROP_UNKNOWN_INTERVAL,
      g_param_spec_uint("unknown-interval", "Unknown interval",
                        "At most one \"unknown-face\" message (and one saved crop) per this many "
                        "milliseconds of stream (running) time: unknown people are not tracked, "
                        "so they cannot be told apart",
                        0, G_MAXUINT, kDefaultUnknownInterval, playing));
  g_object_class_install_property(
      gobject_class, PROP_UNKNOWN_CROPS_DIR,
      g_param_spec_string("unknown-crops-dir", "Unknown crops folder",
                          "Save a crop of unknown faces (the box with half its size of context "
                          "on each side, JPEG, so that facerec-train can enrol it) into this "
                          "folder (created if missing), named unknown-<UTC time>-st<stream "
                          "time>.jpg, rate-limited by unknown-interval and written by a worker "
                          "thread. Empty: off",
                          "", playing));
  g_object_class_install_property(
      gobject_class, PROP_MAX_UNKNOWN_CROPS,
      g_param_spec_int("max-unknown-crops", "Maximum unknown crops",
                       "Stop saving crops once unknown-crops-dir holds this many unknown-*.jpg "
                       "files (those already there count). 0: no limit",
                       0, G_MAXINT, kDefaultMaxUnknownCrops, playing));

  gstfacerec::add_filter_pad_templates(element_class, GST_VIDEO_CAPS_MAKE("{ " GST_FACEREC_ANALYSIS_FORMATS " }"));

  gst_element_class_set_static_metadata(
      element_class, "Face recognizer (OpenCV DNN)", "Filter/Analyzer/Video",
      "Embeds the faces found by facedetect-dnn (GstFaceRecEmbeddingMeta) and, with a trained "
      "model, names them (\"recognition\" param of the face ROI)",
      "gst-facerec developers <gst-facerec@example.org>");

  trans_class->start = GST_DEBUG_FUNCPTR(gst_facerec_recognize_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_facerec_recognize_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_facerec_recognize_sink_event);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR(gst_facerec_recognize_transform_frame_ip);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_facerec_recognize_transform_ip);
}
