// facerec-shared-nets: several streams in one process, each with its own detector and
// embedder, with the networks (a) loaded per stream, (b) shared and serialised, (c) shared
// as a pool of 2 copies. Chooses NetSharing's default (lib/facerec/net_registry.h). A
// benchmark run by hand (see bench/README.md), not a test.
//
//   facerec-shared-nets [--clip FILE] [--frames N] [--per-stream F] [--streams LIST] [--repeat R]
//
// Every stream runs what facedetect-dnn ! facerecognize runs per frame: the default
// detector (UltraFace + the 68-point landmark net) on the frame, then the default 128-d
// embedder on all its faces as one batch. Streams are threads; each processes F frames
// of the clip (decoded once, N frames, each stream starting at another frame). Each
// configuration runs in a child process of its own, so that its peak RSS (VmHWM) is its
// own: models, frames, OpenCV's buffers. Reported: frames/s over all streams, networks
// loaded, CPU time (user + system) per frame, peak RSS; frames/s and RSS also as ratios
// to (a) with the same stream count, measured in the same run. Each configuration runs R
// times (order alternating); the best frames/s and CPU ms/frame and the last RSS are
// kept: on a shared machine the best of several short runs is the least disturbed one.
// CPU time includes TBB's workers spinning while they wait for work, so it is higher on
// an idle machine than on a busy one; compare it only within a run.
// Exit status: 0 when it ran, 1 when the clip or a model is missing, 2 on a bad command line.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/models.h"
#include "facerec/net_registry.h"

namespace {

const char* const kModes[] = {"separate", "shared", "pool2"};

double cpu_seconds() {  // user + system time of this process
  rusage u {};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

long status_kb(const char* field) {  // a "VmHWM:"-style line of /proc/self/status, in kB
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::string(field).size());
  return -1;
}

int usage(const char* msg) {
  std::fprintf(stderr, "facerec-shared-nets: %s\nUsage: facerec-shared-nets [--clip FILE] [--frames N] "
                       "[--per-stream F] [--streams LIST] [--repeat R]\n", msg);
  return 2;
}

// One configuration, in this (child) process. Prints "RESULT fps cpu_ms faces loads hwm_kb".
int child(const std::string& mode, int streams, const std::string& clip, int n_frames, int per_stream) {
  if (mode == "separate") facerec::set_net_sharing({false, 1});
  else if (mode == "shared") facerec::set_net_sharing({true, 1});
  else if (mode == "pool2") facerec::set_net_sharing({true, 2});
  else return usage("unknown mode");
  cv::VideoCapture cap(clip);
  std::vector<cv::Mat> frames;
  cv::Mat f;
  while (static_cast<int>(frames.size()) < n_frames && cap.read(f)) frames.push_back(f.clone());
  if (frames.empty()) {
    std::fprintf(stderr, "facerec-shared-nets: cannot read frames of %s\n", clip.c_str());
    return 1;
  }
  struct Stream {
    std::unique_ptr<facerec::Detector> det;
    std::unique_ptr<facerec::Embedder> emb;
  };
  std::vector<Stream> s(static_cast<size_t>(streams));
  try {
    for (auto& st : s) {
      st.det = facerec::create_detector({});
      st.emb = facerec::create_embedder("");
    }
  } catch (const facerec::Error& e) {
    std::fprintf(stderr, "facerec-shared-nets: %s\n", e.what());
    return 1;
  }
  std::atomic<long> faces{0};
  std::mutex m;
  std::condition_variable cv;
  int ready = 0;
  bool go = false;
  auto run = [&](size_t i) {
    const size_t offset = i * frames.size() / s.size();
    auto one = [&](size_t k) {
      const cv::Mat& img = frames[(offset + k) % frames.size()];
      const auto found = s[i].det->detect(img);
      s[i].emb->embed_faces(img, found);
      return static_cast<long>(found.size());
    };
    one(0);  // warm-up: first-run allocations, pool copies
    {
      std::unique_lock<std::mutex> lk(m);
      ++ready;
      cv.notify_all();
      cv.wait(lk, [&] { return go; });
    }
    long n = 0;
    for (int k = 0; k < per_stream; ++k) n += one(static_cast<size_t>(k));
    faces += n;
  };
  std::vector<std::thread> threads;
  for (size_t i = 0; i < s.size(); ++i) threads.emplace_back(run, i);
  std::chrono::steady_clock::time_point t0;
  double cpu0 = 0;
  {
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [&] { return ready == streams; });
    t0 = std::chrono::steady_clock::now();
    cpu0 = cpu_seconds();
    go = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu_ms = 1000.0 * (cpu_seconds() - cpu0) / (streams * per_stream);
  std::printf("RESULT %.3f %.3f %ld %zu %ld\n", streams * per_stream / secs, cpu_ms, faces.load(),
              facerec::net_loads(), status_kb("VmHWM:"));
  return 0;
}

struct Row {
  double fps = 0, cpu_ms = 1e30;
  long faces = 0, loads = 0, hwm_kb = 0;
};

bool run_child(const std::string& self, const std::string& mode, int streams, const std::string& clip,
               int n_frames, int per_stream, Row& row) {
  const std::string cmd = "'" + self + "' --child " + mode + " " + std::to_string(streams) + " '" + clip +
                          "' " + std::to_string(n_frames) + " " + std::to_string(per_stream);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return false;
  char buf[512];
  bool ok = false;
  while (std::fgets(buf, sizeof buf, p)) {
    Row r;
    if (std::sscanf(buf, "RESULT %lf %lf %ld %ld %ld", &r.fps, &r.cpu_ms, &r.faces, &r.loads, &r.hwm_kb) == 5) {
      row.fps = std::max(row.fps, r.fps);
      row.cpu_ms = std::min(row.cpu_ms, r.cpu_ms);
      row.faces = r.faces;
      row.loads = r.loads;
      row.hwm_kb = r.hwm_kb;
      ok = true;
    }
  }
  return pclose(p) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 7 && std::string(argv[1]) == "--child")
    return child(argv[2], std::atoi(argv[3]), argv[4], std::atoi(argv[5]), std::atoi(argv[6]));
  const char* td = std::getenv("FACEREC_TESTDATA");
  std::string clip = std::string(td ? td : "../shared/testdata") +
                     "/video/face-demographics-walking-and-pause.from-preview-gif.mp4";
  int n_frames = 40, per_stream = 12, repeat = 8;
  std::vector<int> stream_counts = {1, 2, 4};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::printf("facerec-shared-nets [--clip FILE] [--frames N (40)] [--per-stream F (12)] "
                  "[--streams LIST (1,2,4)] [--repeat R (8)]\n");
      return 0;
    }
    if (i + 1 >= argc) return usage("missing value");
    const std::string v = argv[++i];
    if (a == "--clip") clip = v;
    else if (a == "--frames") n_frames = std::atoi(v.c_str());
    else if (a == "--per-stream") per_stream = std::atoi(v.c_str());
    else if (a == "--repeat") repeat = std::atoi(v.c_str());
    else if (a == "--streams") {
      stream_counts.clear();
      std::stringstream ss(v);
      std::string item;
      while (std::getline(ss, item, ',')) stream_counts.push_back(std::atoi(item.c_str()));
    } else return usage(("unknown option " + a).c_str());
  }
  if (n_frames < 1 || per_stream < 1 || repeat < 1 || stream_counts.empty() ||
      *std::min_element(stream_counts.begin(), stream_counts.end()) < 1)
    return usage("counts must be >= 1");
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return usage("cannot find my own executable");
  self[len] = 0;

  std::printf("facerec-shared-nets: %s, %d frames decoded, %d frames per stream, best of %d\n", clip.c_str(),
              n_frames, per_stream, repeat);
  std::printf("machine: %u hardware threads, OpenCV %s, cv::getNumThreads()=%d\n",
              std::thread::hardware_concurrency(), CV_VERSION, cv::getNumThreads());
  if (std::ifstream la("/proc/loadavg"); la) {
    std::string l;
    std::getline(la, l);
    std::printf("load average at start: %s\n", l.c_str());
  }
  std::map<std::pair<int, std::string>, Row> rows;
  for (int r = 0; r < repeat; ++r)
    for (int n : stream_counts)
      for (int k = 0; k < 3; ++k) {
        const std::string mode = kModes[r % 2 == 0 ? k : 2 - k];
        if (n == 1 && mode != "separate") continue;  // one stream: the modes are the same
        if (!run_child(self, mode, n, clip, n_frames, per_stream, rows[{n, mode}])) {
          std::fprintf(stderr, "facerec-shared-nets: the %s run with %d streams failed\n", mode.c_str(), n);
          return 1;
        }
      }
  std::printf("\n| streams | networks | frames/s | vs separate | CPU ms/frame | faces | loads "
              "| peak RSS MB | vs separate |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (int n : stream_counts)
    for (const char* mode : kModes) {
      auto it = rows.find({n, mode});
      if (it == rows.end()) continue;
      const Row& base = rows[{n, "separate"}];
      const Row& x = it->second;
      std::printf("| %d | %s | %.1f | %.2f | %.1f | %ld | %ld | %.0f | %.2f |\n", n,
                  n == 1 ? "one stream" : mode, x.fps, x.fps / base.fps, x.cpu_ms, x.faces,
                  x.loads, x.hwm_kb / 1024.0, static_cast<double>(x.hwm_kb) / base.hwm_kb);
    }
  return 0;
}
