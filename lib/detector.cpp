// Detector factory, type names and the shared NMS helper.
#include "facerec/detector.h"

#include <algorithm>
#include <cctype>

#include <opencv2/imgproc.hpp>

#include "facerec/models.h"

namespace facerec {

// Backend factories (detector_ultraface.cpp, detector_yunet.cpp, detector_ssd.cpp).
namespace detail {
std::unique_ptr<Detector> make_ultraface_detector(const DetectorConfig& cfg);
std::unique_ptr<Detector> make_yunet_detector(const DetectorConfig& cfg);
std::unique_ptr<Detector> make_ssd_detector(const DetectorConfig& cfg);
}  // namespace detail

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string basename_of(const std::string& p) {
  auto pos = p.find_last_of('/');
  return pos == std::string::npos ? p : p.substr(pos + 1);
}

DetectorType guess_type(const DetectorConfig& cfg) {
  if (cfg.model.empty()) return DetectorType::UltraFace;
  for (const std::string& f : {cfg.model, cfg.config}) {
    const std::string l = lower(f);
    if (ends_with(l, ".caffemodel") || ends_with(l, ".prototxt") || ends_with(l, ".pb") ||
        ends_with(l, ".pbtxt"))
      return DetectorType::Res10Ssd;
  }
  if (lower(basename_of(cfg.model)).find("yunet") != std::string::npos) return DetectorType::YuNet;
  return DetectorType::UltraFace;
}

}  // namespace

const char* to_string(DetectorType t) {
  switch (t) {
    case DetectorType::Auto: return "auto";
    case DetectorType::UltraFace: return "ultraface";
    case DetectorType::YuNet: return "yunet";
    case DetectorType::Res10Ssd: return "res10-ssd";
  }
  return "unknown";
}

DetectorType detector_type_from_string(const std::string& s) {
  const std::string l = lower(s);
  if (l == "auto" || l.empty()) return DetectorType::Auto;
  if (l == "ultraface") return DetectorType::UltraFace;
  if (l == "yunet") return DetectorType::YuNet;
  if (l == "res10-ssd" || l == "res10" || l == "ssd") return DetectorType::Res10Ssd;
  throw Error("", "unknown detector type '" + s +
                      "': use one of auto, ultraface, yunet, res10-ssd");
}

std::unique_ptr<Detector> create_detector(const DetectorConfig& cfg_in) {
  DetectorConfig cfg = cfg_in;
  if (cfg.type == DetectorType::Auto) cfg.type = guess_type(cfg);
  switch (cfg.type) {
    case DetectorType::YuNet:
      if (cfg.model.empty())
        throw Error("", "the YuNet detector needs a model file "
                        "(face_detection_yunet_2022mar.onnx): set the model");
      return detail::make_yunet_detector(cfg);
    case DetectorType::Res10Ssd:
      if (cfg.model.empty())
        throw Error("", "the res10 SSD detector needs a model file (.caffemodel or .pb) and its "
                        "config (deploy.prototxt or .pbtxt): set model and config");
      return detail::make_ssd_detector(cfg);
    case DetectorType::UltraFace:
    case DetectorType::Auto:
    default:
      return detail::make_ultraface_detector(cfg);
  }
}

float iou(const cv::Rect2f& a, const cv::Rect2f& b) {
  const float inter = (a & b).area();
  const float uni = a.area() + b.area() - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

std::vector<Face> non_max_suppression(std::vector<Face> faces, float iou_threshold) {
  std::stable_sort(faces.begin(), faces.end(),
                   [](const Face& a, const Face& b) { return a.confidence > b.confidence; });
  std::vector<Face> kept;
  kept.reserve(faces.size());
  for (const Face& f : faces) {
    bool suppressed = false;
    for (const Face& k : kept) {
      if (iou(f.box, k.box) > iou_threshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push_back(f);
  }
  return kept;
}

namespace detail {

// Clip to the image, drop degenerate / too small boxes, sort, cap. Shared by the backends.
std::vector<Face> finish_faces(std::vector<Face> faces, const cv::Size& img,
                               const DetectorConfig& cfg) {
  const cv::Rect2f bounds(0.f, 0.f, static_cast<float>(img.width), static_cast<float>(img.height));
  std::vector<Face> out;
  out.reserve(faces.size());
  for (Face& f : faces) {
    f.box &= bounds;
    if (f.box.width < 1.f || f.box.height < 1.f) continue;
    if (cfg.min_face_size > 0 &&
        std::min(f.box.width, f.box.height) < static_cast<float>(cfg.min_face_size))
      continue;
    out.push_back(f);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Face& a, const Face& b) { return a.confidence > b.confidence; });
  if (cfg.max_faces > 0 && out.size() > static_cast<size_t>(cfg.max_faces))
    out.resize(static_cast<size_t>(cfg.max_faces));
  return out;
}

// Makes the input 8-bit, 3-channel BGR (accepts gray and BGRA too).
cv::Mat to_bgr8(const cv::Mat& img) {
  if (img.empty()) return img;
  cv::Mat m = img;
  if (m.depth() != CV_8U) {
    cv::Mat t;
    m.convertTo(t, CV_8U);
    m = t;
  }
  if (m.channels() == 3) return m;
  cv::Mat out;
  if (m.channels() == 1)
    cv::cvtColor(m, out, cv::COLOR_GRAY2BGR);
  else if (m.channels() == 4)
    cv::cvtColor(m, out, cv::COLOR_BGRA2BGR);
  else
    throw Error("", "detector input must be an 8-bit BGR image (got " +
                        std::to_string(m.channels()) + " channels)");
  return out;
}

}  // namespace detail

}  // namespace facerec
