// gst-facerec: faceexport, writes the faces of every buffer as JSON Lines.
//
// One line per buffer:
//   {"frame": 0, "pts": 0, "faces": [{"box": {"x": 10, "y": 20, "width": 64,
//    "height": 64}, "confidence": 0.98, "name": "Ann", "score": 0.91}]}
// "pts" is in nanoseconds (null when unknown); "confidence" is null for faces
// without detection params, "name" null for unknown or unrecognised faces,
// "score" null for unrecognised faces.
//
// Example:
//   ... ! facedetect-dnn ! facerecognize model=people.yml !
//       faceexport location=faces.jsonl ! fakesink
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

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};

// Properties, under GST_OBJECT_LOCK.
struct Settings {
  std::string location;
};

// Streaming state: built in start(), dropped (file closed) in stop().
struct State {
  std::unique_ptr<std::FILE, FileCloser> file;
  std::string path;
  guint64 frame = 0;
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

void append_json_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(buf, sizeof buf, "%.6g", v);  // locale independent
  out += buf;
}

}  // namespace

struct GstFaceRecExport {
  GstBaseTransform parent;
  Private* priv;  // placement-constructed in priv_storage, see init/finalize
  alignas(Private) unsigned char priv_storage[sizeof(Private)];
};

struct GstFaceRecExportClass {
  GstBaseTransformClass parent_class;
};

enum { PROP_0, PROP_LOCATION };

#define GST_TYPE_FACEREC_EXPORT (gst_facerec_export_get_type())
#define GST_FACEREC_EXPORT(obj) \
  (G_TYPE_CHECK_INSTANCE_CAST((obj), GST_TYPE_FACEREC_EXPORT, GstFaceRecExport))

G_DEFINE_TYPE(GstFaceRecExport, gst_facerec_export, GST_TYPE_BASE_TRANSFORM)

static void gst_facerec_export_set_property(GObject* object, guint prop_id, const GValue* value,
                                         GParamSpec* pspec) {
  GstFaceRecExport* self = GST_FACEREC_EXPORT(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_LOCATION: {
      const gchar* v = g_value_get_string(value);
      self->priv->settings.location = v ? v : "";
      break;
    }
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_facerec_export_get_property(GObject* object, guint prop_id, GValue* value,
                                         GParamSpec* pspec) {
  GstFaceRecExport* self = GST_FACEREC_EXPORT(object);
  GST_OBJECT_LOCK(self);
  switch (prop_id) {
    case PROP_LOCATION: g_value_set_string(value, self->priv->settings.location.c_str()); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static gboolean gst_facerec_export_start(GstBaseTransform* trans) {
  GstFaceRecExport* self = GST_FACEREC_EXPORT(trans);
  GST_OBJECT_LOCK(self);
  const std::string location = self->priv->settings.location;
  GST_OBJECT_UNLOCK(self);

  if (location.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("No file name specified for writing."),
                      ("set the `location` property to the JSON Lines file to write"));
    return FALSE;
  }
  std::unique_ptr<std::FILE, FileCloser> f(g_fopen(location.c_str(), "wb"));
  if (!f) {
    const int err = errno;
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE,
                      ("Could not open file \"%s\" for writing: %s.", location.c_str(),
                       g_strerror(err)),
                      ("check that the directory exists and is writable, or change "
                       "`location`"));
    return FALSE;
  }
  auto state = std::make_unique<State>();
  state->file = std::move(f);
  state->path = location;
  self->priv->state = std::move(state);
  return TRUE;
}

static gboolean gst_facerec_export_stop(GstBaseTransform* trans) {
  GstFaceRecExport* self = GST_FACEREC_EXPORT(trans);
  self->priv->state.reset();  // closes the file
  return TRUE;
}

static GstFlowReturn gst_facerec_export_transform_ip(GstBaseTransform* trans, GstBuffer* buf) {
  GstFaceRecExport* self = GST_FACEREC_EXPORT(trans);
  State* st = self->priv->state.get();
  if (st == nullptr || !st->file) {
    GST_ELEMENT_ERROR(self, CORE, STATE_CHANGE, ("Output file not open"),
                      ("transform called before start()"));
    return GST_FLOW_ERROR;
  }

  std::string line;
  line.reserve(256);
  line += "{\"frame\": ";
  line += std::to_string(st->frame);
  line += ", \"pts\": ";
  if (GST_BUFFER_PTS_IS_VALID(buf))
    line += std::to_string(GST_BUFFER_PTS(buf));
  else
    line += "null";
  line += ", \"faces\": [";

  bool first = true;
  gpointer iter = nullptr;
  GstMeta* m;
  while ((m = gst_buffer_iterate_meta_filtered(buf, &iter,
                                               GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    auto* roi = reinterpret_cast<GstVideoRegionOfInterestMeta*>(m);
    if (!gst_facerec_roi_is_face(roi)) continue;
    if (!first) line += ", ";
    first = false;
    line += "{\"box\": {\"x\": " + std::to_string(roi->x) + ", \"y\": " + std::to_string(roi->y) +
            ", \"width\": " + std::to_string(roi->w) + ", \"height\": " + std::to_string(roi->h) +
            "}, \"confidence\": ";
    gdouble conf = 0.0;
    if (gst_facerec_roi_get_detection(roi, &conf, nullptr))
      append_json_double(line, conf);
    else
      line += "null";
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
    line += ", \"score\": ";
    if (recognised)
      append_json_double(line, score);
    else
      line += "null";
    line += "}";
  }
  line += "]}\n";

  if (std::fwrite(line.data(), 1, line.size(), st->file.get()) != line.size() ||
      std::fflush(st->file.get()) != 0) {
    const int err = errno;
    GST_ELEMENT_ERROR(self, RESOURCE, WRITE,
                      ("Could not write to file \"%s\": %s.", st->path.c_str(), g_strerror(err)),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  st->frame++;
  return GST_FLOW_OK;
}

static void gst_facerec_export_init(GstFaceRecExport* self) {
  // GObject allocates the instance; construct the C++ part in place.
  self->priv = new (self->priv_storage) Private();
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
  gst_base_transform_set_in_place(GST_BASE_TRANSFORM(self), TRUE);
}

static void gst_facerec_export_finalize(GObject* object) {
  GstFaceRecExport* self = GST_FACEREC_EXPORT(object);
  self->priv->~Private();
  self->priv = nullptr;
  G_OBJECT_CLASS(gst_facerec_export_parent_class)->finalize(object);
}

static void gst_facerec_export_class_init(GstFaceRecExportClass* klass) {
  GObjectClass* gobject_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseTransformClass* trans_class = GST_BASE_TRANSFORM_CLASS(klass);

  GST_DEBUG_CATEGORY_INIT(gst_facerec_export_debug, "faceexport", 0, "Face metadata export");

  gobject_class->set_property = gst_facerec_export_set_property;
  gobject_class->get_property = gst_facerec_export_get_property;
  gobject_class->finalize = gst_facerec_export_finalize;

  g_object_class_install_property(
      gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location",
                          "JSON Lines file to write (one object per buffer; required). Takes "
                          "effect when the element starts",
                          "",
                          static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                                   GST_PARAM_MUTABLE_READY)));

  GstCaps* caps = gst_caps_from_string("video/x-raw(ANY)");
  gst_element_class_add_pad_template(element_class,
                                     gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(element_class,
                                     gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);

  gst_element_class_set_static_metadata(
      element_class, "Face metadata export", "Filter/Analyzer/Video",
      "Writes the faces of each buffer (box, confidence, name, score) as JSON Lines; buffers "
      "pass through unchanged",
      "gst-facerec developers <gst-facerec@example.org>");

  trans_class->start = GST_DEBUG_FUNCPTR(gst_facerec_export_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_facerec_export_stop);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_facerec_export_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;
}
