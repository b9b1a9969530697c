// The detector-type table, the factory, and the helpers the backends share.
#include "facerec/detector.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include <opencv2/imgproc.hpp>

#include "detail.h"
#include "facerec/models.h"

namespace facerec {

const std::vector<DetectorTypeInfo>& detector_types() {
  static const std::vector<DetectorTypeInfo> table = {
      {DetectorType::Auto, "auto", "", "Decided from the model file names",
       "the files of one of the other types", nullptr, false, "", "", nullptr},
      {DetectorType::UltraFace, "ultraface", "",
       "UltraFace RFB-320 (fr_detect.onnx) + 68-point landmark net",
       "fr_detect.onnx (the default) and a landmark net", defaults::kDetector, false, "", "",
       detail::make_ultraface_detector},
      {DetectorType::YuNet, "yunet", "", "YuNet (face_detection_yunet_*.onnx)",
       "a model file (face_detection_yunet_2022mar.onnx)", nullptr, false, "", "yunet",
       detail::make_yunet_detector},
      {DetectorType::Res10Ssd, "res10-ssd", "res10,ssd",
       "res10 300x300 SSD (Caffe .caffemodel + deploy.prototxt, or TF .pb + .pbtxt)",
       "a model file (.caffemodel or .pb) and its config (deploy.prototxt or .pbtxt)", nullptr,
       true, ".caffemodel,.prototxt,.pb,.pbtxt", "", detail::make_ssd_detector},
  };
  return table;
}

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

std::vector<std::string> split(const char* list) {
  std::vector<std::string> out;
  std::stringstream ss(list ? list : "");
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

const DetectorTypeInfo& default_type() {
  for (const DetectorTypeInfo& t : detector_types())
    if (t.default_model) return t;
  throw Error("", "no detector type has a default model");  // the table is broken
}

}  // namespace

const DetectorTypeInfo& detector_type_info(DetectorType t) {
  for (const DetectorTypeInfo& i : detector_types())
    if (i.type == t) return i;
  throw Error("", "unknown detector type " + std::to_string(static_cast<int>(t)));
}

const char* to_string(DetectorType t) {
  for (const DetectorTypeInfo& i : detector_types())
    if (i.type == t) return i.nick;
  return "unknown";
}

DetectorType detector_type_from_string(const std::string& s) {
  const std::string l = lower(s);
  if (l.empty()) return DetectorType::Auto;
  std::string known;
  for (const DetectorTypeInfo& i : detector_types()) {
    if (l == i.nick) return i.type;
    for (const std::string& a : split(i.aliases))
      if (l == a) return i.type;
    known += std::string(known.empty() ? "" : ", ") + i.nick;
  }
  throw Error("", "unknown detector type '" + s + "': use one of " + known);
}

// Auto: a file suffix decides first (the SSD formats), then a name in the model file,
// else the default type.
DetectorType resolve_detector_type(const DetectorConfig& cfg) {
  if (cfg.type != DetectorType::Auto) return cfg.type;
  if (cfg.model.empty()) return default_type().type;
  for (const DetectorTypeInfo& t : detector_types())
    for (const std::string& suf : split(t.suffixes))
      for (const std::string& f : {cfg.model, cfg.config})
        if (ends_with(lower(f), suf)) return t.type;
  const std::string base = lower(basename_of(cfg.model));
  for (const DetectorTypeInfo& t : detector_types())
    if (*t.name_hint && base.find(t.name_hint) != std::string::npos) return t.type;
  return default_type().type;
}

std::unique_ptr<Detector> create_detector(const DetectorConfig& cfg_in) {
  DetectorConfig cfg = cfg_in;
  cfg.type = resolve_detector_type(cfg_in);
  const DetectorTypeInfo& t = detector_type_info(cfg.type);
  if (!t.make) throw Error("", std::string("no backend for detector type ") + t.nick);
  if (cfg.model.empty() && !t.default_model)
    throw Error("", std::string("the ") + t.nick + " detector needs " + t.files + ": set " +
                        (t.needs_config ? "model and config" : "the model"));
  return t.make(cfg);
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

int apply_mirror_check(std::vector<Face>& faces, const std::vector<Face>& mirrored, int width, float below) {
  std::vector<cv::Rect2f> back;  // the mirror faces' boxes in the image's pixels
  for (const Face& m : mirrored)
    back.emplace_back(static_cast<float>(width) - m.box.x - m.box.width, m.box.y, m.box.width, m.box.height);
  const std::vector<Face> before = faces;
  int changed = 0;
  for (size_t i = 0; i < faces.size(); ++i) {
    if (before[i].confidence >= below) continue;
    int best = -1;
    float best_iou = kMirrorMatchIou;
    for (size_t j = 0; j < back.size(); ++j) {
      const float o = iou(before[i].box, back[j]);
      if (mirrored[j].confidence > before[i].confidence && o >= best_iou) {
        best = int(j);
        best_iou = o;
      }
    }
    if (best < 0) continue;
    bool other = false;  // the mirror face is another face's rather than this one's
    for (size_t k = 0; k < before.size() && !other; ++k)
      other = k != i && iou(before[k].box, back[size_t(best)]) > best_iou;
    if (other) continue;
    faces[i].box = back[size_t(best)];
    faces[i].confidence = mirrored[size_t(best)].confidence;
    ++changed;
  }
  return changed;
}

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

void blob_from_bgr(const cv::Mat& bgr, cv::Size size, double scale, const cv::Scalar& mean, bool swap_rb,
                   cv::Mat& resized, cv::Mat& blob) {
  CV_Assert(bgr.type() == CV_8UC3 && size.width > 0 && size.height > 0);
  const cv::Mat* src = &bgr;
  if (bgr.size() != size) {
    cv::resize(bgr, resized, size, 0, 0, cv::INTER_LINEAR);  // blobFromImage's interpolation
    src = &resized;
  }
  const int sz[] = {1, 3, size.height, size.width};
  blob.create(4, sz, CV_32F);  // no allocation when the size stays
  const size_t plane = static_cast<size_t>(size.width) * size.height;
  float* out[3];
  float off[3];
  const float k = static_cast<float>(scale);
  for (int c = 0; c < 3; ++c) {  // out plane c reads image channel `from`
    const int from = swap_rb ? 2 - c : c;
    out[from] = blob.ptr<float>() + plane * c;
    off[from] = static_cast<float>(mean[c]);
  }
  for (int y = 0; y < size.height; ++y) {
    const uchar* p = src->ptr<uchar>(y);
    const size_t row = static_cast<size_t>(y) * size.width;
    float* o0 = out[0] + row;
    float* o1 = out[1] + row;
    float* o2 = out[2] + row;
    for (int x = 0; x < size.width; ++x, p += 3) {
      o0[x] = (p[0] - off[0]) * k;
      o1[x] = (p[1] - off[1]) * k;
      o2[x] = (p[2] - off[2]) * k;
    }
  }
}

}  // namespace detail

}  // namespace facerec
