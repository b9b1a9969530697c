// YuNet (face_detection_yunet_2022mar.onnx) through cv::FaceDetectorYN: boxes + 5 landmarks.
#include <algorithm>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "facerec/detector.h"
#include "facerec/models.h"
#include "facerec/net_registry.h"

namespace facerec {

namespace detail {
std::vector<Face> finish_faces(std::vector<Face> faces, const cv::Size& img,
                               const DetectorConfig& cfg);
cv::Mat to_bgr8(const cv::Mat& img);
}  // namespace detail

namespace {

// One copy of the detector (for the shared registry). Its input size and thresholds are
// set on every call (detect() below): the copy is shared by detectors of other settings.
cv::Ptr<cv::FaceDetectorYN> load(const std::string& path, const std::string&) {
  cv::Ptr<cv::FaceDetectorYN> yn;
  try {
    yn = cv::FaceDetectorYN::create(path, "", cv::Size(320, 320), 0.9f, 0.3f, 5000);
  } catch (const cv::Exception& e) {
    throw Error(path, std::string("OpenCV cannot load this YuNet model: the file is corrupt or "
                                  "not face_detection_yunet_2022mar.onnx; re-download it. "
                                  "OpenCV said: ") + e.what());
  }
  if (!yn) throw Error(path, "OpenCV could not create the YuNet detector: wrong model file");
  return yn;
}

class YuNetDetector final : public Detector {
 public:
  explicit YuNetDetector(const DetectorConfig& cfg) : cfg_(cfg) {
    path_ = resolve_model(cfg.model);
    check_model_file(path_);
    yn_ = acquire_shared<cv::Ptr<cv::FaceDetectorYN>>("yunet", path_, "", {}, load);
  }

  std::vector<Face> detect(const cv::Mat& input) override {
    std::vector<Face> faces;
    if (input.empty()) return faces;
    cv::Mat bgr = detail::to_bgr8(input);
    // YuNet downsamples by 32: pad tiny images (right/bottom, black) so every feature map is
    // non-empty; boxes stay in the original coordinates and are clipped to it below.
    const cv::Size orig = bgr.size();
    if (bgr.cols < kMinSide || bgr.rows < kMinSide) {
      cv::Mat padded;
      cv::copyMakeBorder(bgr, padded, 0, std::max(0, kMinSide - bgr.rows), 0,
                         std::max(0, kMinSide - bgr.cols), cv::BORDER_CONSTANT, cv::Scalar::all(0));
      bgr = padded;
    }
    cv::Mat out;
    try {
      yn_->with([&](cv::Ptr<cv::FaceDetectorYN>& yn) {  // shared: apply this detector's settings
        if (yn->getInputSize() != bgr.size()) yn->setInputSize(bgr.size());
        yn->setScoreThreshold(cfg_.confidence_threshold);
        yn->setNMSThreshold(cfg_.nms_threshold);
        yn->detect(bgr, out);
        out = out.clone();
      });
    } catch (const cv::Exception& e) {
      throw Error(path_, std::string("YuNet detector failed to run: ") + e.what());
    }
    for (int r = 0; r < out.rows; ++r) {
      const float* v = out.ptr<float>(r);
      Face f;
      f.box = cv::Rect2f(v[0], v[1], v[2], v[3]);
      for (int i = 0; i < kNumLandmarks; ++i) f.landmarks[i] = cv::Point2f(v[4 + 2 * i], v[5 + 2 * i]);
      f.has_landmarks = true;
      f.confidence = v[14];
      faces.push_back(f);
    }
    return detail::finish_faces(std::move(faces), orig, cfg_);
  }

  DetectorType type() const override { return DetectorType::YuNet; }
  std::string describe() const override { return std::string("yunet ") + path_; }

 private:
  static constexpr int kMinSide = 64;
  DetectorConfig cfg_;
  std::string path_;
  std::shared_ptr<SharedModel<cv::Ptr<cv::FaceDetectorYN>>> yn_;
};

}  // namespace

namespace detail {
std::unique_ptr<Detector> make_yunet_detector(const DetectorConfig& cfg) {
  return std::make_unique<YuNetDetector>(cfg);
}
}  // namespace detail

}  // namespace facerec
