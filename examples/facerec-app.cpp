// facerec-app: a C++ application built on the gst-facerec plugin.
//
//   facerec-app [--model MODEL] [--duration SEC] [--verbose] INPUT
//
// Shows how an application
//  * builds the pipeline element by element with the GStreamer API
//      uridecodebin -> videoconvert -> facedetect-dnn -> queue -> facerecognize -> fakesink
//    (uridecodebin's pad is linked when it appears),
//  * reads names and embeddings from the buffers through the public header
//    <gst/facerec/facemeta.h>, in a pad probe,
//  * reacts to the element messages that facerecognize posts on the bus
//    (structures "face-appeared", "face-left", "unknown-face"): prints
//      APPEARED <name> at <t>   LEFT <name> at <t>   UNKNOWN at <t>
//  * stops after SEC seconds of stream time by sending EOS from a pad probe
//    (no seek: a seek with a stop position does not suit every source/muxer),
//  * prints a summary per person (frames seen, first and last time, mean
//    distance) and the mean norm of the embeddings.
// GStreamer objects are held by std::unique_ptr with gst_object_unref (and
// gst_message_unref, g_free, ...) deleters: no manual unref, no new/delete.
//
// Exit status: 0 on success, 1 on an error (missing file, missing plugin or
// model, pipeline error), 2 on bad usage.
//
// Build against the installed plugin:
//   c++ -std=c++17 facerec-app.cpp -o facerec-app
//       $(pkg-config --cflags --libs gstfacerec-1.0 gstreamer-video-1.0)   (one line)
#include <gst/gst.h>
#include <gst/video/video.h>
#ifdef FACEREC_UNINSTALLED
#include "facemeta.h"  // the source tree's gst/facemeta.h
#else
#include <gst/facerec/facemeta.h>
#endif

#include <clocale>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace {

constexpr const char* kProg = "facerec-app";

// ---- RAII -------------------------------------------------------------------

struct GstObjectDeleter {
  void operator()(gpointer p) const {
    if (p) gst_object_unref(p);
  }
};
struct MiniObjectDeleter {
  void operator()(GstMessage* p) const {
    if (p) gst_message_unref(p);
  }
  void operator()(GstCaps* p) const {
    if (p) gst_caps_unref(p);
  }
};
struct GFreeDeleter {
  void operator()(gpointer p) const { g_free(p); }
};
struct GErrorDeleter {
  void operator()(GError* e) const {
    if (e) g_error_free(e);
  }
};
struct GOptionContextDeleter {
  void operator()(GOptionContext* c) const {
    if (c) g_option_context_free(c);
  }
};

using ElementPtr = std::unique_ptr<GstElement, GstObjectDeleter>;
using PadPtr = std::unique_ptr<GstPad, GstObjectDeleter>;
using BusPtr = std::unique_ptr<GstBus, GstObjectDeleter>;
using MessagePtr = std::unique_ptr<GstMessage, MiniObjectDeleter>;
using CapsPtr = std::unique_ptr<GstCaps, MiniObjectDeleter>;
using CharPtr = std::unique_ptr<gchar, GFreeDeleter>;
using ErrorPtr = std::unique_ptr<GError, GErrorDeleter>;
using OptionContextPtr = std::unique_ptr<GOptionContext, GOptionContextDeleter>;

// The element, ref-sunk: the caller owns one full reference.
ElementPtr make_element(const char* factory) {
  GstElement* e = gst_element_factory_make(factory, nullptr);
  if (!e) {
    std::fprintf(stderr, "%s: GStreamer element '%s' is missing.\n", kProg, factory);
    if (g_str_has_prefix(factory, "face"))
      std::fprintf(stderr, "  Is the facerec plugin on GST_PLUGIN_PATH?\n");
    return nullptr;
  }
  return ElementPtr(GST_ELEMENT(gst_object_ref_sink(e)));
}

std::string format_time(GstClockTime t) {
  if (!GST_CLOCK_TIME_IS_VALID(t)) return "?";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", static_cast<double>(t) / GST_SECOND);
  return buf;
}

// ---- what the pad probes see ------------------------------------------------

struct Person {
  guint64 frames = 0;
  GstClockTime first = GST_CLOCK_TIME_NONE, last = GST_CLOCK_TIME_NONE;
  double distance_sum = 0;
  guint64 faces = 0;  // faces summed into distance_sum
};

struct Results {
  std::mutex lock;
  std::map<std::string, Person> people;  // "" holds the unknown faces
  guint64 frames = 0, faces = 0, recognised = 0;
  guint64 embeddings = 0;
  double norm_sum = 0;
  GstClockTime last_time = GST_CLOCK_TIME_NONE;  // stream time of the last frame seen
  GstSegment segment;
  bool verbose = false;
};

// Stream time of a buffer in the segment last seen on the pad.
GstClockTime stream_time(const GstSegment& seg, GstBuffer* buf) {
  if (!GST_BUFFER_PTS_IS_VALID(buf)) return GST_CLOCK_TIME_NONE;
  if (seg.format != GST_FORMAT_TIME) return GST_BUFFER_PTS(buf);
  return gst_segment_to_stream_time(&seg, GST_FORMAT_TIME, GST_BUFFER_PTS(buf));
}

// After facerecognize: reads the faces of every frame through the public API.
GstPadProbeReturn read_faces(GstPad*, GstPadProbeInfo* info, gpointer user_data) {
  auto* r = static_cast<Results*>(user_data);
  std::lock_guard<std::mutex> guard(r->lock);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(ev) == GST_EVENT_SEGMENT) gst_event_copy_segment(ev, &r->segment);
    return GST_PAD_PROBE_OK;
  }
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  const GstClockTime t = stream_time(r->segment, buf);
  r->frames++;
  r->last_time = t;

  std::set<std::string> in_frame;
  std::string line;
  gpointer state = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(buf, &state)) {
    r->faces++;

    if (GstFaceRecEmbeddingMeta* emb = gst_buffer_get_facerec_embedding_meta(buf, roi->id)) {
      double sq = 0;
      for (guint i = 0; i < emb->dim; ++i) sq += static_cast<double>(emb->data[i]) * emb->data[i];
      r->norm_sum += std::sqrt(sq);
      r->embeddings++;
    }

    const gchar* label = nullptr;
    gint label_id = -1;
    gdouble score = 0, distance = 0;
    if (!gst_facerec_roi_get_recognition(roi, &label, &label_id, &score, &distance)) {
      if (r->verbose) line += " (not recognised)";
      continue;
    }
    r->recognised++;
    const std::string name = label ? label : "";
    Person& p = r->people[name];
    if (in_frame.insert(name).second) {
      p.frames++;
      if (!GST_CLOCK_TIME_IS_VALID(p.first)) p.first = t;
      p.last = t;
    }
    p.distance_sum += distance;
    p.faces++;
    if (r->verbose) {
      char buf_[96];
      std::snprintf(buf_, sizeof buf_, " %s (%.2f, %.3f)", label ? label : "unknown", score, distance);
      line += buf_;
    }
  }
  if (r->verbose)
    std::printf("frame %s:%s\n", format_time(t).c_str(), line.empty() ? " no face" : line.c_str());
  return GST_PAD_PROBE_OK;
}

// Before the detector: ends the stream once a buffer reaches the limit.
struct Limit {
  GstClockTime limit = GST_CLOCK_TIME_NONE;
  bool done = false;
  GstSegment segment;
};

GstPadProbeReturn stop_at_limit(GstPad* pad, GstPadProbeInfo* info, gpointer user_data) {
  auto* l = static_cast<Limit*>(user_data);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
    if (GST_EVENT_TYPE(ev) == GST_EVENT_SEGMENT) gst_event_copy_segment(ev, &l->segment);
    // (our own EOS passes here too; upstream's later events meet an EOS pad)
    return GST_PAD_PROBE_OK;
  }
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!l->done) {
    const GstClockTime t = stream_time(l->segment, buf);
    if (!GST_CLOCK_TIME_IS_VALID(t) || t < l->limit) return GST_PAD_PROBE_OK;
    l->done = true;
    // Sent into this pad from its own streaming thread: the rest of the
    // pipeline drains and the sink posts EOS.
    gst_pad_send_event(pad, gst_event_new_eos());
  }
  // This buffer and any later one are not wanted: answer EOS, so that the
  // decoder and the demuxer stop instead of decoding the rest of the file.
  gst_buffer_unref(buf);
  GST_PAD_PROBE_INFO_FLOW_RETURN(info) = GST_FLOW_EOS;
  return GST_PAD_PROBE_HANDLED;
}

// ---- uridecodebin's pads -------------------------------------------------------

struct Linker {
  GstElement* pipeline;  // not owned
  GstElement* entry;     // not owned: videoconvert
  bool linked = false;
};

void on_pad_added(GstElement*, GstPad* pad, gpointer user_data) {
  auto* lk = static_cast<Linker*>(user_data);
  CapsPtr caps(gst_pad_get_current_caps(pad));
  if (!caps) caps.reset(gst_pad_query_caps(pad, nullptr));
  const gchar* media = gst_structure_get_name(gst_caps_get_structure(caps.get(), 0));
  if (g_str_has_prefix(media, "video/") && !lk->linked) {
    PadPtr sink(gst_element_get_static_pad(lk->entry, "sink"));
    lk->linked = gst_pad_link(pad, sink.get()) == GST_PAD_LINK_OK;
    return;
  }
  // Other streams (audio, ...) go to a fakesink, so that they do not stop the
  // demuxer with not-linked.
  ElementPtr sink = make_element("fakesink");
  if (!sink) return;
  g_object_set(sink.get(), "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(GST_BIN(lk->pipeline), sink.get());
  gst_element_sync_state_with_parent(sink.get());
  PadPtr sinkpad(gst_element_get_static_pad(sink.get(), "sink"));
  gst_pad_link(pad, sinkpad.get());
}

// ---- the events on the bus ----------------------------------------------------

// The time an event refers to: a clock-time field of the message if it has
// one, otherwise the stream time of the frame last seen after facerecognize.
GstClockTime event_time(const GstStructure* s, Results& r) {
  for (const char* field : {"stream-time", "timestamp", "pts", "time", "running-time"}) {
    GstClockTime t;
    if (gst_structure_get_clock_time(s, field, &t)) return t;
    gdouble secs;
    if (gst_structure_get_double(s, field, &secs)) return static_cast<GstClockTime>(secs * GST_SECOND);
  }
  std::lock_guard<std::mutex> guard(r.lock);
  return r.last_time;
}

const char* event_label(const GstStructure* s) {
  for (const char* field : {"label", "name", "person"})
    if (const gchar* v = gst_structure_get_string(s, field)) return v;
  return nullptr;
}

// Returns true for the facerec events (printed).
bool handle_element_message(GstMessage* msg, Results& r) {
  const GstStructure* s = gst_message_get_structure(msg);
  if (!s) return false;
  if (gst_structure_has_name(s, "face-appeared")) {
    const char* label = event_label(s);
    std::printf("APPEARED %s at %s\n", label ? label : "unknown", format_time(event_time(s, r)).c_str());
  } else if (gst_structure_has_name(s, "face-left")) {
    const char* label = event_label(s);
    std::printf("LEFT %s at %s\n", label ? label : "unknown", format_time(event_time(s, r)).c_str());
  } else if (gst_structure_has_name(s, "unknown-face")) {
    std::printf("UNKNOWN at %s\n", format_time(event_time(s, r)).c_str());
  } else {
    return false;
  }
  std::fflush(stdout);
  return true;
}

// Prints an error message.
void print_error(GstMessage* msg, const char* input) {
  GError* e = nullptr;
  gchar* d = nullptr;
  gst_message_parse_error(msg, &e, &d);
  ErrorPtr err(e);
  CharPtr dbg(d);
  std::fprintf(stderr, "%s: %s: error from %s: %s\n", kProg, input, GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
               err->message);
  if (dbg) std::fprintf(stderr, "  (%s)\n", dbg.get());
}

void print_summary(Results& r) {
  std::lock_guard<std::mutex> guard(r.lock);
  std::printf("SUMMARY %" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT " faces\n", r.frames, r.faces);
  for (const auto& [name, p] : r.people) {
    std::printf("  %-28s %5" G_GUINT64_FORMAT " frames  first %s  last %s  mean distance %.3f\n",
                name.empty() ? "(unknown)" : name.c_str(), p.frames, format_time(p.first).c_str(),
                format_time(p.last).c_str(), p.faces ? p.distance_sum / static_cast<double>(p.faces) : 0.0);
  }
  if (r.faces > 0 && r.recognised == 0) std::printf("  (no model: faces were not named)\n");
  if (r.embeddings > 0)
    std::printf("mean embedding norm %.4f over %" G_GUINT64_FORMAT " embeddings\n",
                r.norm_sum / static_cast<double>(r.embeddings), r.embeddings);
  else
    std::printf("mean embedding norm: no embedding\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::setlocale(LC_ALL, "");      // messages in the user's charset
  std::setlocale(LC_NUMERIC, "C");  // but "0.5", whatever the locale
  gchar* model_arg = nullptr;
  gdouble duration = 0;
  gboolean verbose = FALSE;
  GOptionEntry entries[] = {
      {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model_arg,
       "Model trained with facerec-train (without it faces are not named)", "MODEL"},
      {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "Stop after SEC seconds of stream time (0: all)",
       "SEC"},
      {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print the faces of every frame", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  OptionContextPtr ctx(g_option_context_new("INPUT - name the faces of a video or image"));
  g_option_context_add_main_entries(ctx.get(), entries, nullptr);
  g_option_context_add_group(ctx.get(), gst_init_get_option_group());
  GError* perr = nullptr;
  if (!g_option_context_parse(ctx.get(), &argc, &argv, &perr)) {
    ErrorPtr err(perr);
    std::fprintf(stderr, "%s: %s\n", kProg, err->message);
    return 2;
  }
  CharPtr model(model_arg);
  if (argc != 2 || duration < 0) {
    CharPtr help(g_option_context_get_help(ctx.get(), TRUE, nullptr));
    std::fprintf(stderr, "%s", help.get());
    return 2;
  }
  const char* input = argv[1];
  if (!g_file_test(input, G_FILE_TEST_IS_REGULAR)) {
    std::fprintf(stderr, "%s: %s: no such file\n", kProg, input);
    return 1;
  }
  if (model && !g_file_test(model.get(), G_FILE_TEST_IS_REGULAR)) {
    std::fprintf(stderr, "%s: %s: no such model file (train one with facerec-train)\n", kProg, model.get());
    return 1;
  }

  ElementPtr pipeline(GST_ELEMENT(gst_object_ref_sink(gst_pipeline_new("facerec-app"))));
  ElementPtr src = make_element("uridecodebin");
  ElementPtr convert = make_element("videoconvert");
  ElementPtr detect = make_element("facedetect-dnn");
  ElementPtr queue = make_element("queue");
  ElementPtr recognize = make_element("facerecognize");
  ElementPtr sink = make_element("fakesink");
  if (!src || !convert || !detect || !queue || !recognize || !sink) return 1;

  CharPtr uri(gst_filename_to_uri(input, nullptr));
  g_object_set(src.get(), "uri", uri.get(), nullptr);
  if (model) g_object_set(recognize.get(), "model", model.get(), nullptr);
  // The events may be optional in the element: switch them on where they are.
  if (GParamSpec* ps = g_object_class_find_property(G_OBJECT_GET_CLASS(recognize.get()), "events");
      ps && G_PARAM_SPEC_VALUE_TYPE(ps) == G_TYPE_BOOLEAN)
    g_object_set(recognize.get(), "events", TRUE, nullptr);
  g_object_set(sink.get(), "sync", FALSE, nullptr);

  gst_bin_add_many(GST_BIN(pipeline.get()), src.get(), convert.get(), detect.get(), queue.get(),
                   recognize.get(), sink.get(), nullptr);
  if (!gst_element_link_many(convert.get(), detect.get(), queue.get(), recognize.get(), sink.get(), nullptr)) {
    std::fprintf(stderr, "%s: could not link the pipeline\n", kProg);
    return 1;
  }
  Linker linker{pipeline.get(), convert.get()};
  g_signal_connect(src.get(), "pad-added", G_CALLBACK(on_pad_added), &linker);

  Results results;
  results.verbose = verbose;
  gst_segment_init(&results.segment, GST_FORMAT_TIME);
  {
    PadPtr pad(gst_element_get_static_pad(recognize.get(), "src"));
    gst_pad_add_probe(pad.get(),
                      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                      read_faces, &results, nullptr);
  }
  Limit limit;
  gst_segment_init(&limit.segment, GST_FORMAT_TIME);
  if (duration > 0) {
    limit.limit = static_cast<GstClockTime>(duration * GST_SECOND);
    PadPtr pad(gst_element_get_static_pad(convert.get(), "sink"));
    gst_pad_add_probe(pad.get(),
                      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
                      stop_at_limit, &limit, nullptr);
  }

  BusPtr bus(gst_element_get_bus(pipeline.get()));
  bool ok = true;
  guint events = 0;
  if (gst_element_set_state(pipeline.get(), GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    // the element that failed (a model it cannot load, ...) has posted why
    MessagePtr msg(gst_bus_timed_pop_filtered(bus.get(), GST_SECOND, GST_MESSAGE_ERROR));
    if (msg)
      print_error(msg.get(), input);
    else
      std::fprintf(stderr, "%s: %s: the pipeline does not start\n", kProg, input);
    gst_element_set_state(pipeline.get(), GST_STATE_NULL);
    return 1;
  }
  for (;;) {
    MessagePtr msg(gst_bus_timed_pop_filtered(
        bus.get(), GST_CLOCK_TIME_NONE,
        static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS | GST_MESSAGE_ELEMENT |
                                    GST_MESSAGE_WARNING)));
    if (!msg) break;
    if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_ERROR) {
      print_error(msg.get(), input);
      ok = false;
      break;
    }
    if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_WARNING) {
      GError* e = nullptr;
      gst_message_parse_warning(msg.get(), &e, nullptr);
      ErrorPtr err(e);
      std::fprintf(stderr, "%s: warning from %s: %s\n", kProg, GST_OBJECT_NAME(GST_MESSAGE_SRC(msg.get())),
                   err->message);
      continue;
    }
    if (GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_EOS) break;
    if (handle_element_message(msg.get(), results)) events++;
  }
  // Element messages still queued (posted after the EOS message) are events
  // too; read them before the pipeline's NULL state flushes the bus.
  while (MessagePtr msg{gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ELEMENT)})
    if (ok && handle_element_message(msg.get(), results)) events++;
  gst_element_set_state(pipeline.get(), GST_STATE_NULL);
  if (!ok) return 1;
  if (!linker.linked) {
    std::fprintf(stderr, "%s: %s: no video stream\n", kProg, input);
    return 1;
  }
  print_summary(results);
  std::printf("%u events\n", events);
  return 0;
}
