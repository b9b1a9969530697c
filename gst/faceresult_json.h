// gst-facerec: the JSON the plugin writes, built with json-glib in one place.
//
//  - face_result_node(): the faces of one buffer as the object of
//    docs/faceexport.schema.json (faceexport's lines, facepublish's "results").
//  - face_event_node(): a facerecognize event structure (face-appeared, face-left,
//    unknown-face) as the object of docs/facepublish-event.schema.json.
//  - StreamSource: where the stream comes from ("source" of both).
//
// json-glib writes compact JSON (no spaces) and doubles with 17 significant digits
// ("%.17g", always round-trips; integral doubles get ".0"). Non-finite doubles are
// written as null: json-glib would write "inf.0", which is not JSON.
#pragma once

#include <memory>
#include <string>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

namespace gstfacerec {

struct JsonNodeUnref {
  void operator()(JsonNode* n) const { json_node_unref(n); }
};
using JsonNodePtr = std::unique_ptr<JsonNode, JsonNodeUnref>;

// What a result object needs besides the buffer.
struct ResultContext {
  guint64 frame = 0;               // "frame"
  const char* source = nullptr;    // "source"; nullptr: null
  int width = 0, height = 0;       // "width"/"height"; 0: null
  bool embeddings = false;         // add "embedding" to every face
};

// The faceexport object of `buf`: frame, pts, source, width, height, faces[] (see
// docs/faceexport.schema.json for every field), in the schema's field order.
JsonNodePtr face_result_node(GstBuffer* buf, const ResultContext& ctx);

// The names of the facerecognize events facepublish forwards.
bool is_face_event(const GstStructure* s);

// {"event": <structure name>, "source": <source or null>, <the fields>}: field names
// with '-' written as '_' ("label-id" -> "label_id"), in the structure's order; a
// guint64 of G_MAXUINT64 (GST_CLOCK_TIME_NONE) is null; arrays ("box") are arrays.
JsonNodePtr face_event_node(const GstStructure* s, const char* source);

// `node` as one line of compact JSON; `newline` appends '\n'. `gen` may be reused.
void write_json(JsonGenerator* gen, JsonNode* node, GString* out, bool newline);
std::string to_json(JsonNode* node);

// The "source" of a stream: the element's `source` property when set, else the
// upstream URI (URI query, made once per stream), else a "location" tag, else none.
// Streaming thread only.
class StreamSource {
 public:
  // Call for every sink event (STREAM_START forgets, TAG records a location).
  void on_event(GstEvent* event);
  // The source for the next line; nullptr when none is known. `property` is the
  // element's `source` (nullptr: unset). Valid until the next call.
  const char* resolve(GstElement* element, GstPad* sinkpad, const char* property);
  // The stream's name in MQTT topics, after resolve(): the property as it is, else
  // the last part of the URI's path ("rtsp://cam/live" -> "live", "file:///v/a.mp4"
  // -> "a.mp4"), else the URI's host, else the location tag; "" when none.
  std::string topic_name() const;
  void reset();

 private:
  bool looked_up_ = false, from_property_ = false;
  std::string uri_, tag_location_, value_;
  const char* last_ = nullptr;  // what resolve() returned last
  const char* resolve_uncached(GstElement* element, GstPad* sinkpad, const char* property);
};

}  // namespace gstfacerec
