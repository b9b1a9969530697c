// gst-facerec: faceexport, writes the faces of every buffer as JSON Lines.
//
// One line (one JSON object) per buffer, schema in docs/faceexport.schema.json:
//   {"frame": 0, "pts": 0, "source": "file:///in.mp4", "width": 640, "height": 480,
//    "faces": [{"box": {"x": 10, "y": 20, "width": 64, "height": 64},
//               "box_normalized": {"x": 0.015625, "y": 0.0416667, "width": 0.1,
//                                  "height": 0.133333},
//               "confidence": 0.98, "landmarks": [[30.5, 40], ...5 points],
//               "name": "Ann", "label_id": 0, "score": 0.91, "distance": 0.41,
//               "track_id": null}]}
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

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include <glib/gstdio.h>

#include "elements.h"
#include "facemeta.h"

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
  bool source_looked_up = false;  // URI query done for the current stream
  std::string upstream_uri;       // from the URI query
  std::string tag_location;       // from a "location" tag
  ~State() {
    if (fd >= 0) close(fd);
  }
};

struct Private {
  Settings settings;
  std::unique_ptr<State> state;
};

void append_json_string(std::string& out, const char* s) {
  out += '"';
  for (const unsigned char* p = reinterpret_cast<const unsigned char*>(s); *p; ++p) {
    const unsigned char c = *p;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through
        }
    }
  }
  out += '"';
}

// A JSON number ("%.6g", locale independent), null when not finite.
void append_json_double(std::string& out, double v, const char* fmt = "%.6g") {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(buf, sizeof buf, fmt, v);
  out += buf;
}

// The "id" of a "tracking" / "object_id" params structure as JSON, or "null".
std::string track_id_json(GstVideoRegionOfInterestMeta* roi) {
  for (const char* name : {"tracking", "object_id"}) {
    GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, name);
    if (s == nullptr) continue;
    const GValue* v = gst_structure_get_value(s, "id");
    if (v == nullptr) continue;
    if (G_VALUE_HOLDS_INT(v)) return std::to_string(g_value_get_int(v));
    if (G_VALUE_HOLDS_UINT(v)) return std::to_string(g_value_get_uint(v));
    if (G_VALUE_HOLDS_INT64(v)) return std::to_string(g_value_get_int64(v));
    if (G_VALUE_HOLDS_UINT64(v)) return std::to_string(g_value_get_uint64(v));
    if (G_VALUE_HOLDS_STRING(v) && g_value_get_string(v) != nullptr) {
      std::string out;
      append_json_string(out, g_value_get_string(v));
      return out;
    }
  }
  return "null";
}

// {"x": .., "y": .., "width": .., "height": ..} of the box clipped to the frame,
// divided by the frame size.
void append_box_normalized(std::string& out, const GstVideoRegionOfInterestMeta* roi, int fw,
                           int fh) {
  if (fw <= 0 || fh <= 0) {
    out += "null";
    return;
  }
  const double x0 = std::min<double>(roi->x, fw), y0 = std::min<double>(roi->y, fh);
  const double x1 = std::min<double>(static_cast<double>(roi->x) + roi->w, fw);
  const double y1 = std::min<double>(static_cast<double>(roi->y) + roi->h, fh);
  out += "{\"x\": ";
  append_json_double(out, x0 / fw);
  out += ", \"y\": ";
  append_json_double(out, y0 / fh);
  out += ", \"width\": ";
  append_json_double(out, (x1 - x0) / fw);
  out += ", \"height\": ";
  append_json_double(out, (y1 - y0) / fh);
  out += "}";
}

// Writes all of `data` (one write(2) for a regular file); false on error.
bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd, data.data() + done, data.size() - done);
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
  Private* priv;  // placement-constructed in priv_storage, see init/finalize
  alignas(Private) unsigned char priv_storage[sizeof(Private)];
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
  if (st != nullptr) {
    switch (GST_EVENT_TYPE(event)) {
      case GST_EVENT_STREAM_START:
        // a new stream may come from elsewhere: look the URI up again
        st->source_looked_up = false;
        st->upstream_uri.clear();
        st->tag_location.clear();
        break;
      case GST_EVENT_TAG: {
        GstTagList* tags = nullptr;
        gst_event_parse_tag(event, &tags);
        gchar* loc = nullptr;
        if (tags && gst_tag_list_get_string(tags, GST_TAG_LOCATION, &loc) && loc) {
          st->tag_location = loc;
        }
        g_free(loc);
        break;
      }
      default: break;
    }
  }
  return GST_BASE_TRANSFORM_CLASS(gst_facerec_export_parent_class)->sink_event(trans, event);
}

// The "source" value of a line: property, upstream URI, location tag, or null.
static std::string source_json(GstFaceExport* self, State* st) {
  GST_OBJECT_LOCK(self);
  const bool has = self->priv->settings.has_source;
  const std::string prop = self->priv->settings.source;
  GST_OBJECT_UNLOCK(self);
  std::string out;
  if (has) {
    append_json_string(out, prop.c_str());
    return out;
  }
  if (!st->source_looked_up) {
    st->source_looked_up = true;
    GstQuery* q = gst_query_new_uri();
    if (gst_pad_peer_query(GST_BASE_TRANSFORM_SINK_PAD(self), q)) {
      gchar* uri = nullptr;
      gst_query_parse_uri(q, &uri);
      if (uri) st->upstream_uri = uri;
      g_free(uri);
    }
    gst_query_unref(q);
    GST_DEBUG_OBJECT(self, "upstream URI: '%s'", st->upstream_uri.c_str());
  }
  if (!st->upstream_uri.empty())
    append_json_string(out, st->upstream_uri.c_str());
  else if (!st->tag_location.empty())
    append_json_string(out, st->tag_location.c_str());
  else
    out = "null";
  return out;
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
  GST_OBJECT_UNLOCK(self);

  std::string line;
  line.reserve(embeddings ? 2048 : 512);
  line += "{\"frame\": ";
  line += std::to_string(st->frame);
  line += ", \"pts\": ";
  if (GST_BUFFER_PTS_IS_VALID(buf))
    line += std::to_string(GST_BUFFER_PTS(buf));
  else
    line += "null";
  line += ", \"source\": " + source_json(self, st);
  line += ", \"width\": " + (st->width > 0 ? std::to_string(st->width) : std::string("null"));
  line += ", \"height\": " + (st->height > 0 ? std::to_string(st->height) : std::string("null"));
  line += ", \"faces\": [";

  bool first = true;
  gpointer iter = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(buf, &iter)) {
    if (!first) line += ", ";
    first = false;
    line += "{\"box\": {\"x\": " + std::to_string(roi->x) + ", \"y\": " + std::to_string(roi->y) +
            ", \"width\": " + std::to_string(roi->w) + ", \"height\": " + std::to_string(roi->h) +
            "}, \"box_normalized\": ";
    append_box_normalized(line, roi, st->width, st->height);

    gdouble conf = 0.0;
    gdouble lm[2 * GST_FACEREC_NUM_LANDMARKS];
    const bool detected = gst_facerec_roi_get_detection(roi, &conf, lm);
    line += ", \"confidence\": ";
    if (detected)
      append_json_double(line, conf);
    else
      line += "null";
    line += ", \"landmarks\": ";
    bool lm_ok = detected;
    for (int i = 0; lm_ok && i < 2 * GST_FACEREC_NUM_LANDMARKS; ++i) lm_ok = std::isfinite(lm[i]);
    if (lm_ok) {
      line += "[";
      for (int i = 0; i < GST_FACEREC_NUM_LANDMARKS; ++i) {
        line += i ? ", [" : "[";
        append_json_double(line, lm[2 * i], "%.2f");
        line += ", ";
        append_json_double(line, lm[2 * i + 1], "%.2f");
        line += "]";
      }
      line += "]";
    } else {
      line += "null";
    }

    const gchar* label = nullptr;
    gint label_id = -1;
    gdouble score = 0.0, distance = 0.0;
    const bool recognised =
        gst_facerec_roi_get_recognition(roi, &label, &label_id, &score, &distance);
    line += ", \"name\": ";
    if (recognised && label != nullptr)
      append_json_string(line, label);
    else
      line += "null";
    line += ", \"label_id\": ";
    line += recognised ? std::to_string(label_id) : std::string("null");
    line += ", \"score\": ";
    if (recognised)
      append_json_double(line, score);
    else
      line += "null";
    line += ", \"distance\": ";
    if (recognised)
      append_json_double(line, distance);
    else
      line += "null";
    line += ", \"track_id\": " + track_id_json(roi);
    if (embeddings) {
      line += ", \"embedding\": ";
      GstFaceRecEmbeddingMeta* em = gst_buffer_get_facerec_embedding_meta(buf, roi->id);
      if (em != nullptr && em->data != nullptr) {
        line += "[";
        for (guint i = 0; i < em->dim; ++i) {
          if (i) line += ", ";
          // 9 significant digits: the float round-trips
          append_json_double(line, static_cast<double>(em->data[i]), "%.9g");
        }
        line += "]";
      } else {
        line += "null";
      }
    }
    line += "}";
  }
  line += "]}\n";

  if (!write_all(st->fd, line)) {
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
  // GObject allocates the instance; construct the C++ part in place.
  self->priv = new (self->priv_storage) Private();
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_facerec_export_finalize(GObject* object) {
  GstFaceExport* self = GST_FACEREC_EXPORT(object);
  self->priv->~Private();
  self->priv = nullptr;
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
