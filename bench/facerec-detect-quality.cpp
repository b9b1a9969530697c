// facerec-detect-quality: detection quality and speed of the face detector backends on the
// shared test data. A benchmark run by hand (see bench/README.md), not a test: it prints
// PASS/FAIL against the targets but exits 0 whenever it could run.
//
//   facerec-detect-quality [--testdata DIR] [--backends ultraface,yunet,res10-ssd]
//                          [--yunet FILE] [--ssd-model FILE --ssd-config FILE]
//                          [--limit N] [--sweep none|default|all]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "facerec/detector.h"
#include "facerec/types.h"

namespace fs = std::filesystem;
using facerec::Face;

namespace {

// ---- targets -----------------------------------------------------------------------------
constexpr double kLfwTargetPct = 99.5;   // YuNet and the default detector: main face found
constexpr double kFalsePer100Max = 1.0;  // every backend: detections beyond people_visible
// A detection is the LFW main face when it contains the image centre and its width and
// height are within these fractions of the image side (LFW faces are ~100 px of 250).
constexpr double kMainMinRel = 0.15;
constexpr double kMainMaxRel = 0.95;
// Sweep thresholds (the sweep detector runs at the lowest one and filters).
const std::vector<float> kSweep = {0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};

struct Options {
  std::string testdata;
  std::vector<std::string> backends = {"ultraface", "yunet", "res10-ssd"};
  std::string yunet, ssd_model, ssd_config;
  long limit = 0;  // 0: everything
  std::string sweep = "default";  // none | default (ultraface only) | all
};

void usage(FILE* f) {
  std::fprintf(f,
      "usage: facerec-detect-quality [--testdata DIR] [--backends ultraface,yunet,res10-ssd]\n"
      "                              [--yunet FILE] [--ssd-model FILE --ssd-config FILE]\n"
      "                              [--limit N] [--sweep none|default|all]\n"
      "  --testdata DIR  test data (default $FACEREC_TESTDATA, else ../shared/testdata)\n"
      "  --backends LIST comma-separated: ultraface (the default detector), yunet, res10-ssd\n"
      "  --yunet FILE    default <testdata>/../models/face_detection_yunet_2022mar.onnx\n"
      "  --ssd-model F   default <testdata>/../models/opencv_face_detector_uint8.pb\n"
      "  --ssd-config F  default <testdata>/../models/opencv_face_detector.pbtxt\n"
      "  --limit N       at most N LFW images (evenly spread) and N frames per clip\n"
      "  --sweep WHICH   LFW confidence-threshold / input-shape sweep: none, default (the\n"
      "                  default detector, ultraface, only; the default) or all backends\n"
      "  --no-sweep      same as --sweep none\n"
      "Default models are found through $FACEREC_MODEL_PATH and the build's model dir.\n");
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream is(s);
  while (std::getline(is, cur, sep))
    if (!cur.empty()) out.push_back(cur);
  return out;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double now_ms() {
  using namespace std::chrono;
  return duration<double, std::milli>(steady_clock::now().time_since_epoch()).count();
}

const char* pass_fail(bool ok) { return ok ? "PASS" : "FAIL"; }

// ---- CSV (video_labels.csv: quoted fields may hold commas) ---------------------------------
std::vector<std::string> parse_csv_line(const std::string& line) {
  std::vector<std::string> f;
  std::string cur;
  bool q = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (q) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        q = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      q = true;
    } else if (c == ',') {
      f.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  f.push_back(cur);
  return f;
}

std::map<std::string, int> read_video_labels(const std::string& path) {
  std::map<std::string, int> m;
  std::ifstream in(path);
  std::string line;
  bool header = true;
  int file_col = 0, people_col = 1;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto f = parse_csv_line(line);
    if (header) {
      for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "file") file_col = static_cast<int>(i);
        if (f[i] == "people_visible") people_col = static_cast<int>(i);
      }
      header = false;
      continue;
    }
    if (static_cast<int>(f.size()) <= std::max(file_col, people_col)) continue;
    try {
      m[f[file_col]] = std::stoi(f[people_col]);
    } catch (...) {
    }
  }
  return m;
}

// ---- backends ------------------------------------------------------------------------------
struct Backend {
  std::string name;
  facerec::DetectorConfig cfg;
};

bool make_config(const std::string& name, const Options& o, facerec::DetectorConfig& cfg) {
  cfg = facerec::DetectorConfig{};
  if (name == "ultraface" || name == "default") {
    cfg.type = facerec::DetectorType::UltraFace;  // default model (fr_detect.onnx)
  } else if (name == "yunet") {
    cfg.type = facerec::DetectorType::YuNet;
    cfg.model = o.yunet;
  } else if (name == "res10-ssd" || name == "res10" || name == "ssd") {
    cfg.type = facerec::DetectorType::Res10Ssd;
    cfg.model = o.ssd_model;
    cfg.config = o.ssd_config;
  } else {
    return false;
  }
  return true;
}

std::string canonical_name(const std::string& n) {
  if (n == "default") return "ultraface";
  if (n == "res10" || n == "ssd") return "res10-ssd";
  return n;
}

// ---- LFW -----------------------------------------------------------------------------------
struct LfwImage {
  std::string name;  // Identity/Identity_NNNN.jpg
  cv::Mat img;
};

struct Det {
  cv::Rect2f box;
  float conf;
};

struct LfwStats {
  long images = 0, found = 0, extras = 0, with_extras = 0;
  std::vector<double> main_w;     // main-face box widths (px)
  std::vector<double> main_conf;  // main-face confidences
  std::vector<std::string> missed;
  double pct() const { return images ? 100.0 * found / images : 0.0; }
};

// Detections of every image, with boxes in the original image's pixels.
// pad43: pad the (square) image left/right to 4:3 first so that a 320x240 input is not
// stretched; the boxes are shifted back.
std::vector<std::vector<Det>> run_lfw(facerec::Detector& det, const std::vector<LfwImage>& imgs,
                                      bool pad43) {
  std::vector<std::vector<Det>> all;
  all.reserve(imgs.size());
  for (const auto& im : imgs) {
    cv::Mat in = im.img;
    float dx = 0.f;
    if (pad43) {
      const int target_w = (im.img.rows * 4 + 2) / 3;
      const int pad = std::max(0, target_w - im.img.cols);
      const int left = pad / 2;
      cv::copyMakeBorder(im.img, in, 0, 0, left, pad - left, cv::BORDER_CONSTANT,
                         cv::Scalar::all(0));
      dx = static_cast<float>(left);
    }
    std::vector<Det> d;
    for (const Face& f : det.detect(in)) {
      cv::Rect2f b = f.box;
      b.x -= dx;
      b &= cv::Rect2f(0.f, 0.f, static_cast<float>(im.img.cols), static_cast<float>(im.img.rows));
      d.push_back({b, f.confidence});
    }
    all.push_back(std::move(d));
  }
  return all;
}

LfwStats lfw_stats(const std::vector<std::vector<Det>>& all, const std::vector<LfwImage>& imgs,
                   float thr) {
  LfwStats s;
  for (size_t i = 0; i < all.size(); ++i) {
    const cv::Mat& img = imgs[i].img;
    const float side = static_cast<float>(std::min(img.cols, img.rows));
    const cv::Point2f c(img.cols * 0.5f, img.rows * 0.5f);
    int n = 0, main = -1;
    for (size_t k = 0; k < all[i].size(); ++k) {
      const Det& d = all[i][k];
      if (d.conf < thr) continue;
      ++n;
      const cv::Rect2f& b = d.box;
      const bool contains = c.x >= b.x && c.x <= b.x + b.width && c.y >= b.y && c.y <= b.y + b.height;
      const bool plausible = std::min(b.width, b.height) >= kMainMinRel * side &&
                             std::max(b.width, b.height) <= kMainMaxRel * side;
      if (contains && plausible && (main < 0 || d.conf > all[i][main].conf))
        main = static_cast<int>(k);
    }
    ++s.images;
    if (main >= 0) {
      ++s.found;
      s.main_w.push_back(all[i][main].box.width);
      s.main_conf.push_back(all[i][main].conf);
    } else {
      s.missed.push_back(imgs[i].name);
    }
    const int extra = n - (main >= 0 ? 1 : 0);
    s.extras += extra;
    if (extra > 0) ++s.with_extras;
  }
  return s;
}

std::vector<LfwImage> load_lfw(const std::string& dir, long limit) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& id : fs::directory_iterator(dir, ec)) {
    if (!id.is_directory()) continue;
    for (const auto& f : fs::directory_iterator(id.path())) {
      const std::string ext = f.path().extension().string();
      if (f.is_regular_file() && (ext == ".jpg" || ext == ".jpeg" || ext == ".png"))
        files.push_back(f.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  if (limit > 0 && static_cast<size_t>(limit) < files.size()) {
    std::vector<std::string> sub;
    const double step = static_cast<double>(files.size()) / static_cast<double>(limit);
    for (long i = 0; i < limit; ++i) sub.push_back(files[static_cast<size_t>(i * step)]);
    files.swap(sub);
  }
  std::vector<LfwImage> out;
  for (const auto& f : files) {
    cv::Mat m = cv::imread(f, cv::IMREAD_COLOR);
    if (m.empty()) {
      std::fprintf(stderr, "warning: cannot read %s, skipped\n", f.c_str());
      continue;
    }
    fs::path p(f);
    out.push_back({p.parent_path().filename().string() + "/" + p.filename().string(), m});
  }
  return out;
}

// ---- video ---------------------------------------------------------------------------------
struct Clip {
  std::string name;
  int people = -1;  // from video_labels.csv; -1 unknown
  std::vector<cv::Mat> frames;
};

struct ClipStats {
  long frames = 0, faces = 0, differ = 0, beyond = 0, missing = 0;
  std::vector<double> ms;
};

std::vector<Clip> load_clips(const std::string& dir, long limit) {
  const auto labels = read_video_labels(dir + "/video_labels.csv");
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& f : fs::directory_iterator(dir, ec))
    if (f.is_regular_file() && f.path().extension() == ".mp4") files.push_back(f.path().string());
  std::sort(files.begin(), files.end());
  std::vector<Clip> clips;
  for (const auto& f : files) {
    Clip c;
    c.name = fs::path(f).filename().string();
    auto it = labels.find(c.name);
    if (it != labels.end()) c.people = it->second;
    cv::VideoCapture cap(f);
    if (!cap.isOpened()) {
      std::fprintf(stderr, "warning: cannot open %s (no FFmpeg backend?), skipped\n", f.c_str());
      continue;
    }
    cv::Mat fr;
    while (cap.read(fr)) {
      if (fr.empty()) break;
      c.frames.push_back(fr.clone());
      if (limit > 0 && static_cast<long>(c.frames.size()) >= limit) break;
    }
    if (c.frames.empty()) {
      std::fprintf(stderr, "warning: no frame decoded from %s, skipped\n", f.c_str());
      continue;
    }
    clips.push_back(std::move(c));
  }
  return clips;
}

// ---- speed ---------------------------------------------------------------------------------
double time_at(facerec::Detector& det, const cv::Mat& src, cv::Size size) {
  cv::Mat img;
  cv::resize(src, img, size, 0, 0, cv::INTER_LINEAR);
  for (int i = 0; i < 3; ++i) det.detect(img);  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    const double t0 = now_ms();
    det.detect(img);
    ms.push_back(now_ms() - t0);
  }
  return median(ms);
}

struct Summary {
  std::string name;
  bool ok = false;
  double lfw_pct = -1, fd100 = -1, miss100 = -1, video_ms = -1, ms360 = -1, ms720 = -1;
  bool lfw_target = false;
};

// 1, 5 and 15 min load averages (the machine may be shared: timings are only comparable
// within one run).
std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  double a = 0, b = 0, c = 0;
  if (!(in >> a >> b >> c)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f %.2f %.2f", a, b, c);
  return buf;
}

std::string ratio(double v, double base) {
  if (v < 0 || base <= 0) return "n/a";
  char b[64];
  std::snprintf(b, sizeof b, "%.2fx", v / base);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* v = std::getenv("FACEREC_TESTDATA"); v && *v) o.testdata = v;
  else o.testdata = "../shared/testdata";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i], val;
    const auto eq = a.find('=');
    bool has_eq = false;
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      val = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_eq = true;
    }
    auto need = [&](std::string& dst) {
      if (has_eq) { dst = val; return true; }
      if (i + 1 >= argc) {
        std::fprintf(stderr, "facerec-detect-quality: %s needs a value\n", a.c_str());
        return false;
      }
      dst = argv[++i];
      return true;
    };
    std::string tmp;
    if (a == "-h" || a == "--help") { usage(stdout); return 0; }
    else if (a == "--testdata") { if (!need(o.testdata)) return 2; }
    else if (a == "--yunet") { if (!need(o.yunet)) return 2; }
    else if (a == "--ssd-model") { if (!need(o.ssd_model)) return 2; }
    else if (a == "--ssd-config") { if (!need(o.ssd_config)) return 2; }
    else if (a == "--backends") { if (!need(tmp)) return 2; o.backends = split(tmp, ','); }
    else if (a == "--limit") {
      if (!need(tmp)) return 2;
      char* end = nullptr;
      o.limit = std::strtol(tmp.c_str(), &end, 10);
      if (!end || *end || o.limit < 0) {
        std::fprintf(stderr, "facerec-detect-quality: --limit needs a number >= 0\n");
        return 2;
      }
    }
    else if (a == "--no-sweep") { o.sweep = "none"; }
    else if (a == "--sweep") {
      if (!need(o.sweep)) return 2;
      if (o.sweep != "none" && o.sweep != "default" && o.sweep != "all") {
        std::fprintf(stderr, "facerec-detect-quality: --sweep takes none, default or all\n");
        return 2;
      }
    }
    else {
      std::fprintf(stderr, "facerec-detect-quality: unknown argument '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    }
  }
  const std::string models = o.testdata + "/../models";
  if (o.yunet.empty()) o.yunet = models + "/face_detection_yunet_2022mar.onnx";
  if (o.ssd_model.empty()) o.ssd_model = models + "/opencv_face_detector_uint8.pb";
  if (o.ssd_config.empty()) o.ssd_config = models + "/opencv_face_detector.pbtxt";
  for (auto& b : o.backends) {
    b = canonical_name(b);
    facerec::DetectorConfig c;
    if (!make_config(b, o, c)) {
      std::fprintf(stderr, "facerec-detect-quality: unknown backend '%s' "
                           "(use ultraface, yunet, res10-ssd)\n", b.c_str());
      return 2;
    }
  }
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);

  const std::string faces_dir = o.testdata + "/faces", video_dir = o.testdata + "/video";
  if (!fs::is_directory(faces_dir) || !fs::is_directory(video_dir)) {
    std::fprintf(stderr, "facerec-detect-quality: no test data in '%s' (needs faces/ and video/): "
                         "pass --testdata DIR or set FACEREC_TESTDATA\n", o.testdata.c_str());
    return 1;
  }

  {
    char date[64];
    const std::time_t t = std::time(nullptr);
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", std::gmtime(&t));
    std::printf("facerec-detect-quality  %s\n", date);
    std::printf("machine: %u hardware threads, OpenCV %s, cv::getNumThreads()=%d (default)\n",
                std::thread::hardware_concurrency(), CV_VERSION, cv::getNumThreads());
    std::printf("test data: %s\n", o.testdata.c_str());
    std::printf("load average at start: %s\n", loadavg().c_str());
  }

  const double t_load = now_ms();
  const auto lfw = load_lfw(faces_dir, o.limit);
  const auto clips = load_clips(video_dir, o.limit);
  long total_frames = 0;
  for (const auto& c : clips) total_frames += static_cast<long>(c.frames.size());
  std::printf("loaded %zu LFW images, %zu clips (%ld frames) in %.1f s\n", lfw.size(), clips.size(),
              total_frames, (now_ms() - t_load) / 1000.0);
  if (lfw.empty() || clips.empty()) {
    std::fprintf(stderr, "facerec-detect-quality: no LFW image or no decodable clip found\n");
    return 1;
  }
  // Timing image: a real frame (middle of the first clip), resized to each size.
  const cv::Mat timing_src = clips.front().frames[clips.front().frames.size() / 2];
  std::printf("timing image: frame %zu of %s (%dx%d), resized; 3 warm-up runs, median of 20\n",
              clips.front().frames.size() / 2, clips.front().name.c_str(), timing_src.cols,
              timing_src.rows);
  std::printf("main face (LFW): a detection containing the image centre, width and height "
              "%.0f%%..%.0f%% of the side\n\n", kMainMinRel * 100, kMainMaxRel * 100);

  std::vector<Summary> sums;
  bool load_failed = false;
  for (const auto& name : o.backends) {
    Summary sm;
    sm.name = name;
    facerec::DetectorConfig cfg;
    make_config(name, o, cfg);
    std::unique_ptr<facerec::Detector> det;
    try {
      det = facerec::create_detector(cfg);
    } catch (const std::exception& e) {
      std::printf("== %s: cannot load: %s\n\n", name.c_str(), e.what());
      load_failed = true;
      sums.push_back(sm);
      continue;
    }
    std::printf("== %s (%s), confidence threshold %.2f, NMS %.2f\n", name.c_str(),
                det->describe().c_str(), cfg.confidence_threshold, cfg.nms_threshold);
    try {
      // LFW
      double t0 = now_ms();
      const auto lfw_dets = run_lfw(*det, lfw, false);
      const double lfw_s = (now_ms() - t0) / 1000.0;
      const LfwStats ls = lfw_stats(lfw_dets, lfw, 0.f);
      sm.lfw_pct = ls.pct();
      sm.lfw_target = (name == "ultraface" || name == "yunet");
      std::printf("LFW faces/ (%ld images, %.1f s)\n", ls.images, lfw_s);
      std::printf("  main face found      %ld/%ld = %.2f%%", ls.found, ls.images, ls.pct());
      if (sm.lfw_target)
        std::printf("   target >= %.1f%%: %s\n", kLfwTargetPct, pass_fail(ls.pct() >= kLfwTargetPct));
      else
        std::printf("   (no target for this backend)\n");
      std::printf("  extra detections     %ld (%.3f per image), images with extras %ld\n", ls.extras,
                  ls.images ? static_cast<double>(ls.extras) / ls.images : 0.0, ls.with_extras);
      if (!ls.main_w.empty()) {
        auto w = ls.main_w;
        std::sort(w.begin(), w.end());
        std::printf("  main box width px    min %.0f  median %.0f  max %.0f\n", w.front(),
                    median(w), w.back());
        auto c = ls.main_conf;
        std::sort(c.begin(), c.end());
        std::printf("  main face confidence min %.3f  1st percentile %.3f  median %.3f\n",
                    c.front(), c[c.size() / 100], median(c));
      }
      if (!ls.missed.empty()) {
        std::printf("  missed:");
        for (size_t k = 0; k < ls.missed.size() && k < 12; ++k)
          std::printf(" %s", ls.missed[k].c_str());
        if (ls.missed.size() > 12) std::printf(" ... (%zu more)", ls.missed.size() - 12);
        std::printf("\n");
      }

      // Video
      std::printf("clips (video_labels.csv people_visible as the expected face count)\n");
      std::printf("  %-58s %6s %4s %6s %7s %7s %7s %7s\n", "clip", "frames", "exp", "faces/f",
                  "differ", "FD/100", "miss/100", "ms med");
      ClipStats tot;
      for (const auto& c : clips) {
        ClipStats cs;
        for (const auto& fr : c.frames) {
          const double a = now_ms();
          const auto faces = det->detect(fr);
          const double ms = now_ms() - a;
          cs.ms.push_back(ms);
          tot.ms.push_back(ms);
          const long n = static_cast<long>(faces.size());
          ++cs.frames;
          cs.faces += n;
          if (c.people >= 0) {
            if (n != c.people) ++cs.differ;
            cs.beyond += std::max(0L, n - c.people);
            cs.missing += std::max(0L, static_cast<long>(c.people) - n);
          }
        }
        tot.frames += cs.frames;
        tot.faces += cs.faces;
        tot.differ += cs.differ;
        tot.beyond += cs.beyond;
        tot.missing += cs.missing;
        std::printf("  %-58s %6ld %4d %6.2f %7ld %7.2f %7.2f %7.2f\n", c.name.c_str(), cs.frames,
                    c.people, static_cast<double>(cs.faces) / cs.frames, cs.differ,
                    100.0 * cs.beyond / cs.frames, 100.0 * cs.missing / cs.frames, median(cs.ms));
      }
      sm.fd100 = 100.0 * tot.beyond / tot.frames;
      sm.miss100 = 100.0 * tot.missing / tot.frames;
      sm.video_ms = median(tot.ms);
      std::printf("  %-58s %6ld %4s %6.2f %7ld %7.2f %7.2f %7.2f\n", "all clips", tot.frames, "",
                  static_cast<double>(tot.faces) / tot.frames, tot.differ, sm.fd100, sm.miss100,
                  sm.video_ms);
      std::printf("  false detections per 100 frames %.2f   target <= %.1f: %s\n", sm.fd100,
                  kFalsePer100Max, pass_fail(sm.fd100 <= kFalsePer100Max));

      // Speed
      sm.ms360 = time_at(*det, timing_src, cv::Size(640, 360));
      sm.ms720 = time_at(*det, timing_src, cv::Size(1280, 720));
      std::printf("speed: %.2f ms/frame at 640x360, %.2f ms/frame at 1280x720\n", sm.ms360,
                  sm.ms720);

      // Sweep: rate vs confidence threshold (and, for the 320x240 UltraFace input, with the
      // square image padded to 4:3 so that it is not stretched).
      if (o.sweep == "all" || (o.sweep == "default" && name == "ultraface")) {
        facerec::DetectorConfig lo = cfg;
        lo.confidence_threshold = kSweep.front();
        auto sdet = facerec::create_detector(lo);
        struct Variant { const char* label; bool pad; };
        std::vector<Variant> vars = {{"as is", false}};
        if (name == "ultraface") vars.push_back({"padded to 4:3", true});
        std::printf("LFW sweep (detector at threshold %.2f, filtered; main found %% / extras "
                    "per image)\n", kSweep.front());
        std::printf("  %-14s", "input");
        for (float t : kSweep) std::printf("   thr %.2f      ", t);
        std::printf("\n");
        for (const auto& v : vars) {
          const auto dets = run_lfw(*sdet, lfw, v.pad);
          std::printf("  %-14s", v.label);
          for (float t : kSweep) {
            const LfwStats s = lfw_stats(dets, lfw, t);
            std::printf("  %6.2f%% / %.3f", s.pct(),
                        s.images ? static_cast<double>(s.extras) / s.images : 0.0);
          }
          std::printf("\n");
          for (float t : kSweep) {
            const LfwStats s = lfw_stats(dets, lfw, t);
            if (s.missed.empty()) continue;
            std::printf("    missed at %.2f (%zu):", t, s.missed.size());
            for (size_t k = 0; k < s.missed.size() && k < 8; ++k)
              std::printf(" %s", s.missed[k].c_str());
            if (s.missed.size() > 8) std::printf(" ...");
            std::printf("\n");
          }
        }
      }
      sm.ok = true;
    } catch (const std::exception& e) {
      std::printf("== %s: failed while running: %s\n", name.c_str(), e.what());
      load_failed = true;
    }
    std::printf("\n");
    sums.push_back(sm);
  }

  // Baseline: res10 SSD speed measured in this run (loaded just for timing if not requested).
  double base_video = -1, base360 = -1, base720 = -1;
  for (const auto& s : sums)
    if (s.name == "res10-ssd" && s.ok) {
      base_video = s.video_ms;
      base360 = s.ms360;
      base720 = s.ms720;
    }
  if (base360 < 0) {
    facerec::DetectorConfig c;
    make_config("res10-ssd", o, c);
    try {
      auto d = facerec::create_detector(c);
      base360 = time_at(*d, timing_src, cv::Size(640, 360));
      base720 = time_at(*d, timing_src, cv::Size(1280, 720));
      std::printf("baseline res10-ssd (timing only): %.2f ms at 640x360, %.2f ms at 1280x720\n\n",
                  base360, base720);
    } catch (const std::exception& e) {
      std::printf("baseline res10-ssd unavailable (%s): no ratios\n\n", e.what());
    }
  }

  std::printf("== summary (ratios: ms/frame relative to res10-ssd in this run)\n");
  std::printf("  %-10s %9s %6s %7s %6s %8s %8s %8s %8s %9s %8s %9s\n", "backend", "LFW found",
              "target", "FD/100", "target", "miss/100", "clip ms", "ratio", "640x360", "ratio",
              "1280x720", "ratio");
  for (const auto& s : sums) {
    if (!s.ok) {
      std::printf("  %-10s (did not run)\n", s.name.c_str());
      continue;
    }
    std::printf("  %-10s %8.2f%% %6s %7.2f %6s %8.2f %8.2f %8s %8.2f %9s %8.2f %9s\n",
                s.name.c_str(), s.lfw_pct,
                s.lfw_target ? pass_fail(s.lfw_pct >= kLfwTargetPct) : "-", s.fd100,
                pass_fail(s.fd100 <= kFalsePer100Max), s.miss100, s.video_ms,
                ratio(s.video_ms, base_video).c_str(), s.ms360, ratio(s.ms360, base360).c_str(),
                s.ms720, ratio(s.ms720, base720).c_str());
  }
  std::printf("load average at end: %s\n", loadavg().c_str());
  std::printf("targets: LFW main face >= %.1f%% (ultraface = default detector, yunet); "
              "false detections <= %.1f per 100 frames (all clips)\n", kLfwTargetPct,
              kFalsePer100Max);
  return load_failed ? 1 : 0;
}
