// res10 300x300 SSD face detector (Caffe or TensorFlow) + the 68-point landmark net.
#include <opencv2/dnn.hpp>

#include "detail.h"
#include "facerec/landmarks.h"
#include "facerec/models.h"
#include "facerec/net_registry.h"

namespace facerec {

namespace {

bool has_suffix(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

// What the res10 SSD gives: [1,1,N,7] rows of (image, label, confidence, x1, y1, x2, y2).
bool is_ssd_output(const cv::Mat& out) {
  return out.dims == 4 && out.size[0] == 1 && out.size[1] == 1 && out.size[3] == 7 &&
         out.type() == CV_32F;
}

// One copy of the network for the shared registry. Caffe and TF importers accept some
// broken weight files and only fail on the first run: run once now so that a bad file is
// reported when the detector is created. A loadable network of another kind (another
// detector given as the model) runs, but would find no face on any frame: refuse it here,
// naming the file.
cv::dnn::Net load_checked(const std::string& model, const std::string& config) {
  cv::dnn::Net net = detail::read_dnn(model, config);
  cv::Mat out;
  try {
    net.setInput(cv::Mat(std::vector<int>{1, 3, 300, 300}, CV_32F, cv::Scalar(0)));
    out = net.forward();
  } catch (const cv::Exception& e) {
    throw Error(model, std::string("the res10 SSD weights cannot be used with config ") + config +
                           " (corrupt or incomplete file, or config of another model): re-download both "
                           "files. OpenCV said: " + e.what());
  }
  if (!is_ssd_output(out))
    throw Error(model, "not a res10 SSD face detector: it gives " + detail::shape_string(out) +
                           " for a 1x3x300x300 input, the res10 SSD gives [1,1,N,7]: wrong model file (or "
                           "set the model type of this file)");
  return net;
}

class SsdDetector final : public detail::DetectorBase {
 public:
  explicit SsdDetector(const DetectorConfig& cfg) : DetectorBase(cfg) {
    std::string model = cfg.model, config = cfg.config;
    // Accept the two files in either field order.
    if (has_suffix(model, ".prototxt") || has_suffix(model, ".pbtxt")) std::swap(model, config);
    if (model.empty())
      throw Error(config, "the res10 SSD needs its weights (.caffemodel or .pb) as the model file");
    if (config.empty())
      throw Error(model, "the res10 SSD needs its config file (deploy.prototxt for .caffemodel, "
                         "opencv_face_detector.pbtxt for .pb): set the config");
    // Missing weights name the weights file: resolve (and check) it first.
    path_ = resolve_model(model);
    config_ = resolve_model(config);
    net_ = acquire_shared<cv::dnn::Net>("res10-ssd", path_, config_, {}, load_checked);
    landmarks_ = std::make_unique<LandmarkNet>(cfg.landmarks, cfg.refine_landmarks);
  }

  std::vector<Face> detect(const cv::Mat& input) override {
    std::vector<Face> faces;
    if (input.empty()) return faces;
    cv::Mat bgr = detail::to_bgr8(input);
    const float W = static_cast<float>(bgr.cols), H = static_cast<float>(bgr.rows);
    cv::Mat blob = cv::dnn::blobFromImage(bgr, 1.0, cv::Size(300, 300), cv::Scalar(104, 177, 123),
                                          false, false, CV_32F);
    cv::Mat out;
    try {
      out = net_->with([&blob](cv::dnn::Net& net) {  // shared net: copy the output out of it
        net.setInput(blob);
        return net.forward().clone();
      });
    } catch (const cv::Exception& e) {
      throw Error(path_, std::string("res10 SSD failed to run (weights missing from the model, "
                                     "corrupt file, or wrong config ") + config_ +
                             "; re-download both files): " + e.what());
    }
    if (!is_ssd_output(out))
      throw Error(path_, "unexpected res10 SSD output (expected [1,1,N,7]): wrong model/config");
    const int n = out.size[2];
    const float* d = out.ptr<float>();
    for (int i = 0; i < n; ++i) {
      const float* r = d + 7 * i;
      const float conf = r[2];
      if (conf < cfg_.confidence_threshold) continue;
      const float x1 = r[3] * W, y1 = r[4] * H, x2 = r[5] * W, y2 = r[6] * H;
      if (x2 <= x1 || y2 <= y1) continue;
      Face f;
      f.box = cv::Rect2f(x1, y1, x2 - x1, y2 - y1);
      f.confidence = conf;
      faces.push_back(f);
    }
    faces = non_max_suppression(std::move(faces), cfg_.nms_threshold);
    faces = detail::finish_faces(std::move(faces), bgr.size(), cfg_);
    for (Face& f : faces) landmarks_->apply(bgr, f);
    return faces;
  }

  DetectorType type() const override { return DetectorType::Res10Ssd; }
  std::string describe() const override {
    return std::string("res10-ssd ") + path_ + " (config " + config_ + ")" +
           (cfg_.refine_landmarks ? " + landmarks" : " + landmarks (box pass only)");
  }

 private:
  std::string path_, config_;
  std::shared_ptr<SharedNet> net_;
  std::unique_ptr<LandmarkNet> landmarks_;
};

}  // namespace

namespace detail {
std::unique_ptr<Detector> make_ssd_detector(const DetectorConfig& cfg) {
  return std::make_unique<SsdDetector>(cfg);
}
}  // namespace detail

}  // namespace facerec
