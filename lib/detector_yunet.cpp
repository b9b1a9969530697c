// YuNet (face_detection_yunet_2022mar.onnx) through cv::FaceDetectorYN: boxes + 5 landmarks.
#include <algorithm>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "detail.h"
#include "facerec/models.h"
#include "facerec/net_registry.h"

namespace facerec {

namespace {

// cv::FaceDetectorYN reads the outputs "loc" [N,14], "conf" [N,2] and "iou" [N,1] without
// checking them. Runs the file once as a plain network on a blank 320x320 input and
// throws an Error naming the file when it is not shaped like that.
void check_yunet_network(const std::string& path) {
  static const char* kExpected =
      "YuNet (face_detection_yunet_2022mar.onnx) has outputs \"loc\" [N,14], \"conf\" [N,2] and "
      "\"iou\" [N,1]";
  cv::dnn::Net net = detail::read_dnn(path, "");
  std::vector<cv::Mat> outs;
  try {
    net.setInput(cv::Mat(std::vector<int>{1, 3, 320, 320}, CV_32F, cv::Scalar(0)));
    net.forward(outs, std::vector<cv::String>{"loc", "conf", "iou"});
  } catch (const cv::Exception& e) {
    throw Error(path, std::string("not a YuNet face detector, or a corrupt file: ") + kExpected +
                          "; give that model or set the model type of this file. OpenCV said: " +
                          e.what());
  }
  const int cols[] = {14, 2, 1};
  bool ok = outs.size() == 3;
  for (size_t i = 0; ok && i < 3; ++i)
    ok = outs[i].dims == 2 && outs[i].size[1] == cols[i] && outs[i].size[0] == outs[0].size[0] &&
         outs[i].type() == CV_32F;
  if (!ok) {
    std::string got;
    for (const cv::Mat& m : outs) got += (got.empty() ? "" : ", ") + detail::shape_string(m);
    throw Error(path, std::string("not a YuNet face detector: ") + kExpected +
                          ", this network gives " + got + ": wrong model file");
  }
}

// One copy of the detector for the shared registry; its input size and thresholds are set
// on every call (detect() below): the copy is shared by detectors of other settings.
cv::Ptr<cv::FaceDetectorYN> load(const std::string& path, const std::string&) {
  check_yunet_network(path);
  cv::Ptr<cv::FaceDetectorYN> yn;
  try {
    yn = cv::FaceDetectorYN::create(path, "", cv::Size(320, 320), 0.6f, 0.4f, 5000);
  } catch (const cv::Exception& e) {
    throw Error(path, std::string("OpenCV cannot load this YuNet model: the file is corrupt or not "
                                  "face_detection_yunet_2022mar.onnx; " + network_file_fix(path) + ". OpenCV said: ") + e.what());
  }
  if (!yn) throw Error(path, "OpenCV could not create the YuNet detector: wrong model file");
  return yn;
}

class YuNetDetector final : public detail::DetectorBase {
 public:
  explicit YuNetDetector(const DetectorConfig& cfg) : DetectorBase(cfg) {
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
        yn->setInputSize(bgr.size());
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
