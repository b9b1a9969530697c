// facerec-tracking-quality: how well faces are placed on the frames between detector runs.
//
// For every shared clip, the default detector runs on every frame: those boxes are the
// reference. Then, for each inference interval N, FrameDetector runs the detector on
// every Nth frame and the frames in between get (a) the last faces held unchanged
// (tracking=false), (b) the tracker's motion model alone, (c) optical flow + the motion
// model (tracking=true, the default). Printed per interval and mode: the mean IoU of each
// reference face with the closest placed box (0 when none), the share of reference faces
// covered at IoU >= 0.5, and the placed boxes that match no reference face. The
// detector's cost per frame (ms, one core) is printed with the ratio to interval 1.
//
//   facerec-tracking-quality [--testdata DIR] [--intervals 1,2,3,4,5,6,8] [--threads N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "facerec/detector.h"
#include "facerec/face_tracking.h"
#include "facerec/frame_detector.h"

namespace fs = std::filesystem;

namespace {

struct Mode {
  const char* name;
  bool tracking;
  bool flow;
  bool scale;
};
const Mode kModes[] = {{"held", false, false, false}, {"motion", true, false, false}, {"flow", true, true, true},
                       {"flow, no scale", true, true, false}};
constexpr int kNumModes = 4;

struct Score {
  double iou_sum = 0;
  long ref = 0, covered = 0, extra = 0, frames = 0, runs = 0;
  double detect_ms = 0;  // detector + carrier time
  void add(const Score& o) {
    iou_sum += o.iou_sum;
    ref += o.ref;
    covered += o.covered;
    extra += o.extra;
    frames += o.frames;
    runs += o.runs;
    detect_ms += o.detect_ms;
  }
};

double iou(const cv::Rect& a, const cv::Rect& b) {
  const double inter = (a & b).area();
  const double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

// Matches placed boxes to reference boxes greedily by IoU.
void score_frame(const std::vector<facerec::FrameFace>& ref, const std::vector<facerec::FrameFace>& got, Score& s) {
  std::vector<bool> used(got.size(), false);
  std::vector<std::pair<double, std::pair<size_t, size_t>>> pairs;
  for (size_t i = 0; i < ref.size(); ++i)
    for (size_t j = 0; j < got.size(); ++j) pairs.push_back({iou(ref[i].box, got[j].box), {i, j}});
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<double> best(ref.size(), 0.0);
  std::vector<bool> done(ref.size(), false);
  for (const auto& p : pairs) {
    const auto [i, j] = p.second;
    if (done[i] || used[j] || p.first <= 0.0) continue;
    done[i] = used[j] = true;
    best[i] = p.first;
  }
  for (double b : best) {
    s.iou_sum += b;
    s.covered += b >= 0.5;
  }
  s.ref += static_cast<long>(ref.size());
  s.extra += static_cast<long>(std::count(used.begin(), used.end(), false));
  s.frames++;
}

std::unique_ptr<facerec::FaceCarrier> carrier(const Mode& m) {
  if (!m.tracking) return nullptr;
  facerec::TrackFacesConfig c;
  c.use_flow = m.flow;
  c.flow.estimate_scale = m.scale;
  return std::make_unique<facerec::TrackFaces>(c);
}

}  // namespace

int main(int argc, char** argv) {
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
  std::string testdata = std::getenv("FACEREC_TESTDATA") ? std::getenv("FACEREC_TESTDATA") : "../shared/testdata";
  std::vector<int> intervals = {1, 2, 3, 4, 5, 6, 8};
  int threads = 1;
  std::string only;  // clips whose name contains this
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--testdata" && i + 1 < argc) testdata = argv[++i];
    else if (a == "--threads" && i + 1 < argc) threads = std::atoi(argv[++i]);
    else if (a == "--clips" && i + 1 < argc) only = argv[++i];
    else if (a == "--intervals" && i + 1 < argc) {
      intervals.clear();
      std::stringstream ss(argv[++i]);
      std::string t;
      while (std::getline(ss, t, ',')) intervals.push_back(std::atoi(t.c_str()));
    } else {
      std::fprintf(stderr, "usage: facerec-tracking-quality [--testdata DIR] [--intervals 1,2,4] [--threads N]\n");
      return 2;
    }
  }
  cv::setNumThreads(threads);
  std::vector<std::string> clips;
  for (const auto& e : fs::directory_iterator(testdata + "/video"))
    if (e.path().extension() == ".mp4" && e.path().filename().string().find(only) != std::string::npos)
      clips.push_back(e.path().string());
  std::sort(clips.begin(), clips.end());
  if (clips.empty()) {
    std::fprintf(stderr, "no .mp4 clips in %s/video\n", testdata.c_str());
    return 1;
  }

  // (interval, mode) -> score over all clips
  std::map<std::pair<int, int>, Score> total;
  for (const std::string& clip : clips) {
    cv::VideoCapture cap(clip);
    if (!cap.isOpened()) {
      std::fprintf(stderr, "cannot open %s\n", clip.c_str());
      return 1;
    }
    facerec::FrameDetector reference(facerec::create_detector({}));
    std::map<std::pair<int, int>, std::unique_ptr<facerec::FrameDetector>> runs;
    std::map<std::pair<int, int>, Score> scores;
    for (int n : intervals)
      for (int m = 0; m < kNumModes; ++m) {
        facerec::FrameDetectorSettings s;
        s.inference_interval = n;
        runs[{n, m}] = std::make_unique<facerec::FrameDetector>(facerec::create_detector({}), s, carrier(kModes[m]));
      }
    cv::Mat frame;
    int64_t index = 0;
    while (cap.read(frame)) {
      const cv::Size size = frame.size();
      const auto ref = reference.process(frame, size, index).faces;
      for (auto& [key, fd] : runs) {
        const auto t0 = std::chrono::steady_clock::now();
        const bool due = fd->due(size);
        const auto got = fd->process(fd->needs_image(size) ? frame : cv::Mat(), size, index).faces;
        Score& s = scores[key];
        s.detect_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        s.runs += due;
        score_frame(ref, got, s);
      }
      ++index;
    }
    std::printf("%s: %ld frames\n", fs::path(clip).filename().c_str(), static_cast<long>(index));
    for (auto& [key, s] : scores) total[key].add(s);
  }

  std::printf("\nAll %zu clips, default detector at the clips' own size, %d OpenCV thread(s):\n\n", clips.size(), threads);
  std::printf("| interval | between runs | mean IoU | faces covered (IoU >= 0.5) | extra boxes | ms/frame | vs interval 1 |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- |\n");
  const double base_ms = total[{intervals.front(), 2}].detect_ms / std::max(1L, total[{intervals.front(), 2}].frames);
  for (int n : intervals)
    for (int m = 0; m < kNumModes; ++m) {
      if (n == 1 && m != 2) continue;  // every frame detected: the modes are the same
      const Score& s = total[{n, m}];
      const double ms = s.detect_ms / std::max(1L, s.frames);
      std::printf("| %d | %s | %.3f | %.1f %% | %ld | %.2f | %.2fx |\n", n, n == 1 ? "-" : kModes[m].name,
                  s.iou_sum / std::max(1L, s.ref), 100.0 * s.covered / std::max(1L, s.ref), s.extra, ms,
                  base_ms / std::max(1e-9, ms));
    }
  return 0;
}
