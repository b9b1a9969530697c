// gst-facerec: faceexport, writes the faces of every buffer as JSON Lines.
//
// One line (one JSON object) per buffer, schema in docs/faceexport.schema.json,
// built and written by json-glib (faceresult_json.h, shared with facepublish):
//   {"frame":0,"pts":0,"source":"file:///in.mp4","width":640,"height":480,
//    "faces":[{"box":{"x":10,"y":20,"width":64,"height":64},
//              "box_normalized":{"x":0.015625,"y":0.041666666666666664,"width":0.1,
//                                "height":0.13333333333333333},
//              "confidence":0.98,"landmarks":[[30.5,40.0],...5 points],
//              "name":"Ann","label_id":0,"score":0.91,"distance":0.41,
//              "track_id":null}]}
//  - "frame": 0-based count of the buffers written in this run (restarts at 0
//    every time the element starts, also with append=true);
//  - "pts": buffer PTS in nanoseconds, null when unknown;
//  - "source": the `source` property, else the upstream URI (URI query, else a
//    "location" tag), else null;
//  - "width"/"height": from the caps (null only if the caps lack them);
//  - per face: "box" in pixels as in the ROI meta; "box_normalized" that box
//    clipped to the frame, divided by width/height (null without a frame size);
//    "confidence" and "landmarks" (5 [x, y] in pixels) from the "detection"
//    params, null without them; "name" null when unknown or not recognised;
//    "label_id" (-1 when unknown), "score", "distance" from the "recognition"
//    params, null when the face was not recognised; "track_id" the `id` of a
//    "tracking" or "object_id" params structure, else null; "embedding" (only
//    with embeddings=true) the GstFaceRecEmbeddingMeta floats, null without one.
// Every line is written with one write(2) call, so the file always ends with a
// whole line, even if the pipeline is killed.
//
// Example:
//   ... ! facedetect-dnn ! facerecognize model=people.model !
//       faceexport location=faces.jsonl ! fakesink
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <new>
#include <string>

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>

#include "elements.h"
#include "faceresult_json.h"

GST_DEBUG_CATEGORY_STATIC(gst_facerec_export_debug);
#define GST_CAT_DEFAULT gst_facerec_export_debug

namespace {

constexpr gboolean kDefaultAppend = FALSE;
constexpr gboolean kDefaultEmbeddings = FALSE;

// Properties, under GST_OBJECT_LOCK.
struct Settings {
  std::string location;
  bool append = kDefaultAppend;
  bool embeddings = kDefaultEmbeddings;
  bool has_source = false;  // `source` set (non-NULL)
  std::string source;
};

// Streaming state: built in start(), dropped (file closed) in stop().
struct State {
  int fd = -1;
  std::string path;
  guint64 frame = 0;
  int width = 0, height = 0;  // from the caps, 0 when unknown
  gstfacerec::StreamSource source;
  JsonGenerator* gen = json_generator_new();
  GString* line = g_string_sized_new(4096);  // reused: one allocation per run
  ~State() {
    if (fd >= 0) close(fd);
    g_object_unref(gen);
    g_string_free(line, TRUE);
  }
};

struct Private {
  Settings settings;
  std::unique_ptr<State> state;
};

// Writes all of `data` (one write(2) for a regular file); false on error.
bool write_all(int fd, const GString* data) {
  size_t done = 0;
  while (done < data->len) {
    const ssize_t n = write(fd, data->str + done, data->len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) {
      errno = EIO;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

struct GstFaceExport {
  GstBaseTransform parent;
  gstfacerec::InstancePrivate<Private> priv;
};

struct GstFaceExportClass {
  GstBaseTransformClass parent_class;
};

enum { PROP_0, PROP_LOCATION, PROP_APPEND, PROP_SOURCE, PROP_EMBEDDINGS };

#define GST_TYPE_FACEREC_EXPORT (gst_facerec_export_get_type())
#define GST_FACEREC_EXPORT(obj) \
  (G_TYPE_CHECK_INSTANCE_CAST((obj), GST_TYPE_FACEREC_EXPORT, GstFaceExport))

G_DEFINE_TYPE(GstFaceExport, gst_facerec_export, GST_TYPE_BASE_TRANSFORM)

static void gst_facerec_export_set_property(GObject* object, guint prop_id, const GValue* value,
                                         GParamSpec* pspec) {
  GstFaceExport* self = GST_FACEREC_EXPORT(object);
  GST_OBJECT_LOCK(self);
  Settings& s = self->priv->settings;
  switch (prop_id) {
    case PROP_LOCATION: {
      const gchar* v = g_value_get_string(value);
      s.location = v ? v : "";
      break;
    }
    case PROP_APPEND: s.append = g_value_get_boolean(value); break;
    case PROP_SOURCE: {
      const gchar* v = g_value_get_string(value);
      s.has_source = v != nullptr;
      s.source = v ? v : "";
      break;
    }
    case PROP_EMBEDDINGS: s.embeddings = g_value_get_boolean(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_facerec_export_get_property(GObject* object, guint prop_id, GValue* value,
                                         GParamSpec* pspec) {
  GstFaceExport* self = GST_FACEREC_EXPORT(object);
  GST_OBJECT_LOCK(self);
  const Settings& s = self->priv->settings;
  switch (prop_id) {
    case PROP_LOCATION: g_value_set_string(value, s.location.c_str()); break;
    case PROP_APPEND: g_value_set_boolean(value, s.append); break;
    case PROP_SOURCE: g_value_set_string(value, s.has_source ? s.source.c_str() : nullptr); break;
    case PROP_EMBEDDINGS: g_value_set_boolean(value, s.embeddings); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_facerec_export_start(GstBaseTransform* trans) {
  GstFaceExport* self = GST_FACEREC_EXPORT(trans);
  GST_OBJECT_LOCK(self);
  const std::string location = self->priv->settings.location;
  const bool append = self->priv->settings.append;
  GST_OBJECT_UNLOCK(self);

  if (location.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No file name specified for writing: set \"location\"."),
                      ("set the `location` property to the JSON Lines file to write"));
    return FALSE;
  }
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC);
  const int fd = g_open(location.c_str(), flags, 0666);
  if (fd < 0) {
    const int err = errno;
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE,
                      ("Could not open file \"%s\" for %s: %s.", location.c_str(),
                       append ? "appending" : "writing", g_strerror(err)),
                      ("check that the directory exists and is writable, or change "
                       "`location`"));
    return FALSE;
  }
  auto state = std::make_unique<State>();
  state->fd = fd;
  state->path = location;
  self->priv->state = std::move(state);
  GST_INFO_OBJECT(self, "writing JSON Lines to %s (%s)", location.c_str(),
                  append ? "append" : "truncate");
  return TRUE;
}

static gboolean gst_facerec_export_stop(GstBaseTransform* trans) {
  GstFaceExport* self = GST_FACEREC_EXPORT(trans);
  self->priv->state.reset();  // closes the file
  return TRUE;
}

static gboolean gst_facerec_export_set_caps(GstBaseTransform* trans, GstCaps* incaps,
                                         GstCaps* outcaps) {
  GstFaceExport* self = GST_FACEREC_EXPORT(trans);
  State* st = self->priv->state.get();
  if (st != nullptr) {
    const GstStructure* s = gst_caps_get_structure(incaps, 0);
    gint w = 0, h = 0;
    st->width = gst_structure_get_int(s, "width", &w) && w > 0 ? w : 0;
    st->height = gst_structure_get_int(s, "height", &h) && h > 0 ? h : 0;
  }
  (void)outcaps;
  return TRUE;
}

static gboolean gst_facerec_export_sink_event(GstBaseTransform* trans, GstEvent* event) {
  GstFaceExport* self = GST_FACEREC_EXPORT(trans);
  State* st = self->priv->state.get();
  if (st != nullptr) st->source.on_event(event);
  return GST_BASE_TRANSFORM_CLASS(gst_facerec_export_parent_class)->sink_event(trans, event);
}

static GstFlowReturn gst_facerec_export_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  GstFaceExport* self = GST_FACEREC_EXPORT(trans);
  State* st = self->priv->state.get();
  if (st == nullptr || st->fd < 0) {
    GST_ELEMENT_ERROR(self, CORE, STATE_CHANGE, ("Output file not open"),
                      ("transform called before start()"));
    return GST_FLOW_ERROR;
  }
  GST_OBJECT_LOCK(self);
  const bool embeddings = self->priv->settings.embeddings;
  const bool has_source = self->priv->settings.has_source;
  const std::string source = self->priv->settings.source;
  GST_OBJECT_UNLOCK(self);

  gstfacerec::ResultContext ctx;
  ctx.frame = st->frame;
  ctx.source = st->source.resolve(GST_ELEMENT(self), GST_BASE_TRANSFORM_SINK_PAD(self),
                                  has_source ? source.c_str() : nullptr);
  ctx.width = st->width;
  ctx.height = st->height;
  ctx.embeddings = embeddings;
  g_string_truncate(st->line, 0);
  gstfacerec::write_json(st->gen, gstfacerec::face_result_node(buf, ctx).get(), st->line, true);
  if (!write_all(st->fd, st->line)) {
    const int err = errno;
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE,
                      ("Could not write to file \"%s\": %s.", st->path.c_str(), g_strerror(err)),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  st->frame++;
  return GST_FLOW_OK;
}

static void gst_facerec_export_init(GstFaceExport* self) {
  self->priv.construct();
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_facerec_export_finalize(GObject* object) {
  GstFaceExport* self = GST_FACEREC_EXPORT(object);
  self->priv.destroy();
  G_OBJECT_CLASS(gst_facerec_export_parent_class)->finalize(object);
}

static void gst_facerec_export_class_init(GstFaceExportClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_facerec_export_debug, "faceexport", 0, "Face metadata export");

  gobject_class->set_property = gst_facerec_export_set_property;
  gobject_class->get_property = gst_facerec_export_get_property;
  gobject_class->finalize = gst_facerec_export_finalize;

  const auto ready_flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                    GST_PARAM_MUTABLE_READY);
  const auto playing_flags = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                      GST_PARAM_MUTABLE_PLAYING);
  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location",
                          "JSON Lines file to write, one object per buffer (required; schema: "
                          "docs/faceexport.schema.json). Takes effect when the element starts",
                          "", ready_flags));
  g_object_class_install_property(
      gobject_class, PROP_APPEND,
      g_param_spec_boolean("append", "Append",
                           "Append to the file instead of truncating it. \"frame\" still counts "
                           "from 0 in each run (use \"source\"/\"pts\" to tell runs apart). Takes "
                           "effect when the element starts",
                           kDefaultAppend, ready_flags));
  g_object_class_install_property(
      gobject_class, PROP_SOURCE,
      g_param_spec_string("source", "Source",
                          "Value of the \"source\" field of every line; NULL (default): the "
                          "upstream URI (URI query, else a location tag), null in the file when "
                          "there is none",
                          nullptr, playing_flags));
  g_object_class_install_property(
      gobject_class, PROP_EMBEDDINGS,
      g_param_spec_boolean("embeddings", "Embeddings",
                           "Add each face's embedding (the GstFaceRecEmbeddingMeta floats from "
                           "facerecognize, null without one) as \"embedding\"",
                           kDefaultEmbeddings, playing_flags));

  gstfacerec::add_filter_pad_templates(element_class, "video/x-raw(ANY)");

  gst_element_class_set_static_metadata(
      element_class, "Face metadata export", "Filter/Analyzer/Video",
      "Writes the faces of each buffer (box, confidence, landmarks, name, score, distance, track "
      "id, optionally the embedding) as JSON Lines; buffers pass through unchanged",
      GST_FACEREC_AUTHOR);

  trans_class->start = GST_DEBUG_FUNCPTR(gst_facerec_export_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_facerec_export_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR(gst_facerec_export_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_facerec_export_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_facerec_export_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;
}
