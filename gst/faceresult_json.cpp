// gst-facerec: the plugin's JSON through json-glib (see faceresult_json.h).
#include "faceresult_json.h"

#include <algorithm>
#include <cmath>

#include "facemeta.h"

namespace gstfacerec {

namespace {

// A double as valid JSON. json-glib 1.6 writes "%.17g" and appends ".0" when there
// is no '.', so non-finite values would be "inf.0" and integral ones from 1e17 up
// "1e+17.0": null for the former, an integer for the latter (at that size a double
// has no fraction), null beyond the int64 range.
JsonNode* double_node(double v) {
  JsonNode* n = json_node_alloc();
  if (!std::isfinite(v) || std::fabs(v) >= 9.2e18) return json_node_init_null(n);
  if (std::fabs(v) >= 1e15) return json_node_init_int(n, static_cast<gint64>(std::llround(v)));
  return json_node_init_double(n, v);
}

void set_double_or_null(JsonObject* o, const char* name, double v) {
  json_object_set_member(o, name, double_node(v));
}

void add_double_or_null(JsonArray* a, double v) { json_array_add_element(a, double_node(v)); }

// The track id: facedetect-dnn's "tracking" params (facemeta.h), else the "id" of another
// tracker's "tracking" / "object_id" params structure (any integer or string type), or null.
void set_track_id(JsonObject* o, GstVideoRegionOfInterestMeta* roi) {
  guint64 id = 0;
  if (gst_facerec_roi_get_tracking(roi, &id, nullptr, nullptr, nullptr) && id <= G_MAXINT64)
    return json_object_set_int_member(o, "track_id", static_cast<gint64>(id));
  for (const char* name : {"tracking", "object_id"}) {
    GstStructure* s = gst_video_region_of_interest_meta_get_param(roi, name);
    const GValue* v = s ? gst_structure_get_value(s, "id") : nullptr;
    if (v == nullptr) continue;
    if (G_VALUE_HOLDS_INT(v)) return json_object_set_int_member(o, "track_id", g_value_get_int(v));
    if (G_VALUE_HOLDS_UINT(v)) return json_object_set_int_member(o, "track_id", g_value_get_uint(v));
    if (G_VALUE_HOLDS_INT64(v)) return json_object_set_int_member(o, "track_id", g_value_get_int64(v));
    if (G_VALUE_HOLDS_UINT64(v) && g_value_get_uint64(v) <= G_MAXINT64)
      return json_object_set_int_member(o, "track_id", static_cast<gint64>(g_value_get_uint64(v)));
    if (G_VALUE_HOLDS_STRING(v) && g_value_get_string(v) != nullptr)
      return json_object_set_string_member(o, "track_id", g_value_get_string(v));
  }
  json_object_set_null_member(o, "track_id");
}

// {"x", "y", "width", "height"} of the box clipped to the frame, divided by the
// frame size; null without a frame size.
void set_box_normalized(JsonObject* o, const GstVideoRegionOfInterestMeta* roi, int fw, int fh) {
  if (fw <= 0 || fh <= 0) return json_object_set_null_member(o, "box_normalized");
  const double x0 = std::min<double>(roi->x, fw), y0 = std::min<double>(roi->y, fh);
  const double x1 = std::min<double>(static_cast<double>(roi->x) + roi->w, fw);
  const double y1 = std::min<double>(static_cast<double>(roi->y) + roi->h, fh);
  JsonObject* b = json_object_new();
  set_double_or_null(b, "x", x0 / fw);
  set_double_or_null(b, "y", y0 / fh);
  set_double_or_null(b, "width", (x1 - x0) / fw);
  set_double_or_null(b, "height", (y1 - y0) / fh);
  json_object_set_object_member(o, "box_normalized", b);
}

JsonObject* face_object(GstBuffer* buf, GstVideoRegionOfInterestMeta* roi, const ResultContext& ctx) {
  JsonObject* f = json_object_new();
  JsonObject* box = json_object_new();
  json_object_set_int_member(box, "x", roi->x);
  json_object_set_int_member(box, "y", roi->y);
  json_object_set_int_member(box, "width", roi->w);
  json_object_set_int_member(box, "height", roi->h);
  json_object_set_object_member(f, "box", box);
  set_box_normalized(f, roi, ctx.width, ctx.height);

  gdouble conf = 0.0, lm[2 * GST_FACEREC_NUM_LANDMARKS];
  const bool detected = gst_facerec_roi_get_detection(roi, &conf, lm);
  if (detected)
    set_double_or_null(f, "confidence", conf);
  else
    json_object_set_null_member(f, "confidence");
  bool lm_ok = detected;
  for (int i = 0; lm_ok && i < 2 * GST_FACEREC_NUM_LANDMARKS; ++i) lm_ok = std::isfinite(lm[i]);
  if (lm_ok) {
    JsonArray* points = json_array_sized_new(GST_FACEREC_NUM_LANDMARKS);
    for (int i = 0; i < GST_FACEREC_NUM_LANDMARKS; ++i) {
      JsonArray* p = json_array_sized_new(2);
      add_double_or_null(p, lm[2 * i]);
      add_double_or_null(p, lm[2 * i + 1]);
      json_array_add_array_element(points, p);
    }
    json_object_set_array_member(f, "landmarks", points);
  } else {
    json_object_set_null_member(f, "landmarks");
  }

  const gchar* label = nullptr;
  gint label_id = -1;
  gdouble score = 0.0, distance = 0.0;
  const bool recognised = gst_facerec_roi_get_recognition(roi, &label, &label_id, &score, &distance);
  if (recognised && label != nullptr)
    json_object_set_string_member(f, "name", label);
  else
    json_object_set_null_member(f, "name");
  if (recognised) {
    json_object_set_int_member(f, "label_id", label_id);
    set_double_or_null(f, "score", score);
    set_double_or_null(f, "distance", distance);
  } else {
    for (const char* k : {"label_id", "score", "distance"}) json_object_set_null_member(f, k);
  }
  set_track_id(f, roi);
  if (ctx.embeddings) {
    GstFaceRecEmbeddingMeta* em = gst_buffer_get_facerec_embedding_meta(buf, roi->id);
    if (em != nullptr && em->data != nullptr) {
      JsonArray* e = json_array_sized_new(em->dim);
      // floats widened to double: 17 digits, exact round trip
      for (guint i = 0; i < em->dim; ++i) add_double_or_null(e, static_cast<double>(em->data[i]));
      json_object_set_array_member(f, "embedding", e);
    } else {
      json_object_set_null_member(f, "embedding");
    }
  }
  return f;
}

JsonNode* value_node(const GValue* v);

JsonArray* array_of(const GValue* v, bool is_list) {
  const guint n = is_list ? gst_value_list_get_size(v) : gst_value_array_get_size(v);
  JsonArray* a = json_array_sized_new(n);
  for (guint i = 0; i < n; ++i)
    json_array_add_element(a, value_node(is_list ? gst_value_list_get_value(v, i)
                                                 : gst_value_array_get_value(v, i)));
  return a;
}

gboolean add_field(GQuark field, const GValue* v, gpointer data) {
  std::string name = g_quark_to_string(field);
  std::replace(name.begin(), name.end(), '-', '_');
  json_object_set_member(static_cast<JsonObject*>(data), name.c_str(), value_node(v));
  return TRUE;
}

// A GValue of an event structure as JSON.
JsonNode* value_node(const GValue* v) {
  const GType t = G_VALUE_TYPE(v);
  if (t == G_TYPE_DOUBLE || t == G_TYPE_FLOAT)
    return double_node(t == G_TYPE_DOUBLE ? g_value_get_double(v) : g_value_get_float(v));
  JsonNode* n = json_node_alloc();
  if (t == G_TYPE_STRING) {
    const gchar* s = g_value_get_string(v);
    return s ? json_node_init_string(n, s) : json_node_init_null(n);
  }
  if (t == G_TYPE_BOOLEAN) return json_node_init_boolean(n, g_value_get_boolean(v));
  if (t == G_TYPE_INT) return json_node_init_int(n, g_value_get_int(v));
  if (t == G_TYPE_UINT) return json_node_init_int(n, g_value_get_uint(v));
  if (t == G_TYPE_INT64) return json_node_init_int(n, g_value_get_int64(v));
  if (t == G_TYPE_UINT64) {
    // G_MAXUINT64 is GST_CLOCK_TIME_NONE in every time field
    const guint64 u = g_value_get_uint64(v);
    return u <= G_MAXINT64 ? json_node_init_int(n, static_cast<gint64>(u)) : json_node_init_null(n);
  }
  if (t == GST_TYPE_ARRAY || t == GST_TYPE_LIST) {
    JsonArray* a = array_of(v, t == GST_TYPE_LIST);
    json_node_init_array(n, a);
    json_array_unref(a);
    return n;
  }
  if (t == GST_TYPE_STRUCTURE) {
    JsonObject* o = json_object_new();
    gst_structure_foreach(gst_value_get_structure(v), add_field, o);
    json_node_init_object(n, o);
    json_object_unref(o);
    return n;
  }
  gchar* s = gst_value_serialize(v);  // anything else: GStreamer's text form
  json_node_init_string(n, s ? s : "");
  g_free(s);
  return n;
}

}  // namespace

JsonNodePtr face_result_node(GstBuffer* buf, const ResultContext& ctx) {
  JsonObject* o = json_object_new();
  json_object_set_int_member(o, "frame", static_cast<gint64>(ctx.frame));
  if (GST_BUFFER_PTS_IS_VALID(buf))
    json_object_set_int_member(o, "pts", static_cast<gint64>(GST_BUFFER_PTS(buf)));
  else
    json_object_set_null_member(o, "pts");
  if (ctx.source)
    json_object_set_string_member(o, "source", ctx.source);
  else
    json_object_set_null_member(o, "source");
  for (const auto& [name, v] : {std::pair<const char*, int>{"width", ctx.width}, {"height", ctx.height}}) {
    if (v > 0)
      json_object_set_int_member(o, name, v);
    else
      json_object_set_null_member(o, name);
  }
  JsonArray* faces = json_array_new();
  gpointer it = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(buf, &it))
    json_array_add_object_element(faces, face_object(buf, roi, ctx));
  json_object_set_array_member(o, "faces", faces);
  JsonNode* n = json_node_init_object(json_node_alloc(), o);
  json_object_unref(o);
  return JsonNodePtr(n);
}

bool is_face_event(const GstStructure* s) {
  return gst_structure_has_name(s, "face-appeared") || gst_structure_has_name(s, "face-left") ||
         gst_structure_has_name(s, "unknown-face");
}

JsonNodePtr face_event_node(const GstStructure* s, const char* source) {
  JsonObject* o = json_object_new();
  json_object_set_string_member(o, "event", gst_structure_get_name(s));
  if (source)
    json_object_set_string_member(o, "source", source);
  else
    json_object_set_null_member(o, "source");
  gst_structure_foreach(s, add_field, o);
  JsonNode* n = json_node_init_object(json_node_alloc(), o);
  json_object_unref(o);
  return JsonNodePtr(n);
}

void write_json(JsonGenerator* gen, JsonNode* node, GString* out, bool newline) {
  json_generator_set_root(gen, node);
  json_generator_to_gstring(gen, out);
  if (newline) g_string_append_c(out, '\n');
}

std::string to_json(JsonNode* node) {
  JsonGenerator* gen = json_generator_new();
  GString* s = g_string_sized_new(512);
  write_json(gen, node, s, false);
  std::string out(s->str, s->len);
  g_string_free(s, TRUE);
  g_object_unref(gen);
  return out;
}

void StreamSource::on_event(GstEvent* event) {
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_STREAM_START:
      reset();  // a new stream may come from elsewhere: look the URI up again
      break;
    case GST_EVENT_TAG: {
      GstTagList* tags = nullptr;
      gst_event_parse_tag(event, &tags);
      gchar* loc = nullptr;
      if (tags && gst_tag_list_get_string(tags, GST_TAG_LOCATION, &loc) && loc) tag_location_ = loc;
      g_free(loc);
      break;
    }
    default: break;
  }
}

void StreamSource::reset() {
  looked_up_ = false;
  last_ = nullptr;
  uri_.clear();
  tag_location_.clear();
}

const char* StreamSource::resolve(GstElement* element, GstPad* sinkpad, const char* property) {
  from_property_ = property != nullptr;
  last_ = resolve_uncached(element, sinkpad, property);
  return last_;
}

std::string StreamSource::topic_name() const {
  if (last_ == nullptr) return "";
  if (from_property_ || last_ != uri_.c_str()) return last_;
  std::string name;
  if (GUri* uri = g_uri_parse(last_, G_URI_FLAGS_NONE, nullptr)) {
    const std::string path = g_uri_get_path(uri);
    const size_t end = path.find_last_not_of('/');
    if (end != std::string::npos) {
      const size_t slash = path.find_last_of('/', end);
      name = path.substr(slash == std::string::npos ? 0 : slash + 1, end - (slash == std::string::npos ? 0 : slash + 1) + 1);
    }
    if (name.empty() && g_uri_get_host(uri)) name = g_uri_get_host(uri);
    g_uri_unref(uri);
  }
  return name.empty() ? last_ : name;
}

const char* StreamSource::resolve_uncached(GstElement* element, GstPad* sinkpad, const char* property) {
  if (property) {
    value_ = property;
    return value_.c_str();
  }
  if (!looked_up_) {
    looked_up_ = true;
    GstQuery* q = gst_query_new_uri();
    if (gst_pad_peer_query(sinkpad, q)) {
      gchar* uri = nullptr;
      gst_query_parse_uri(q, &uri);
      if (uri) uri_ = uri;
      g_free(uri);
    }
    gst_query_unref(q);
    GST_DEBUG_OBJECT(element, "upstream URI: '%s'", uri_.c_str());
  }
  if (!uri_.empty()) return uri_.c_str();
  if (!tag_location_.empty()) return tag_location_.c_str();
  return nullptr;
}

}  // namespace gstfacerec
