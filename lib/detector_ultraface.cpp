// Default detector: faceplugin fr_detect.onnx (UltraFace RFB-320) + the 68-point landmark net.
#include <opencv2/dnn.hpp>

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

class UltraFaceDetector final : public Detector {
 public:
  explicit UltraFaceDetector(const DetectorConfig& cfg) : cfg_(cfg) {
    path_ = resolve_model(cfg.model.empty() ? std::string(defaults::kDetector) : cfg.model);
    net_ = acquire_net(path_);
    landmarks_ = std::make_unique<LandmarkNet>(cfg.landmarks);
  }

  std::vector<Face> detect(const cv::Mat& input) override {
    std::vector<Face> faces;
    if (input.empty()) return faces;
    cv::Mat bgr = detail::to_bgr8(input);
    const float W = static_cast<float>(bgr.cols), H = static_cast<float>(bgr.rows);
    cv::Mat blob = cv::dnn::blobFromImage(bgr, 1.0 / 128.0, cv::Size(320, 240),
                                          cv::Scalar(127, 127, 127), true, false, CV_32F);
    std::vector<cv::Mat> outs;
    try {
      net_->with([&](cv::dnn::Net& net) {  // shared net: copy the outputs out of it
        net.setInput(blob);
        net.forward(outs, std::vector<cv::String>{"scores", "boxes"});
        for (cv::Mat& o : outs) o = o.clone();
      });
    } catch (const cv::Exception& e) {
      throw Error(path_, std::string("UltraFace detector failed to run (wrong or corrupt model; "
                                     "re-download it with models/fetch-models.sh): ") + e.what());
    }
    if (outs.size() != 2 || outs[0].total() % 2 != 0 || outs[1].total() != outs[0].total() * 2)
      throw Error(path_, "unexpected UltraFace outputs (expected scores [1,N,2] and boxes "
                         "[1,N,4]): wrong model file");
    const int n = static_cast<int>(outs[0].total() / 2);
    const float* sc = outs[0].ptr<float>();
    const float* bx = outs[1].ptr<float>();
    std::vector<cv::Rect2d> boxes;
    std::vector<float> scores;
    for (int i = 0; i < n; ++i) {
      const float s = sc[2 * i + 1];
      if (s < cfg_.confidence_threshold) continue;
      const float x1 = bx[4 * i] * W, y1 = bx[4 * i + 1] * H;
      const float x2 = bx[4 * i + 2] * W, y2 = bx[4 * i + 3] * H;
      if (x2 <= x1 || y2 <= y1) continue;
      boxes.emplace_back(x1, y1, x2 - x1, y2 - y1);
      scores.push_back(s);
    }
    std::vector<int> keep;
    cv::dnn::NMSBoxes(boxes, scores, cfg_.confidence_threshold, cfg_.nms_threshold, keep);
    for (int k : keep) {
      Face f;
      f.box = cv::Rect2f(static_cast<float>(boxes[k].x), static_cast<float>(boxes[k].y),
                         static_cast<float>(boxes[k].width), static_cast<float>(boxes[k].height));
      f.confidence = scores[k];
      faces.push_back(f);
    }
    faces = detail::finish_faces(std::move(faces), bgr.size(), cfg_);
    for (Face& f : faces) landmarks_->apply(bgr, f);
    return faces;
  }

  DetectorType type() const override { return DetectorType::UltraFace; }
  std::string describe() const override {
    return std::string("ultraface ") + path_ + " + landmarks";
  }

 private:
  DetectorConfig cfg_;
  std::string path_;
  std::shared_ptr<SharedNet> net_;
  std::unique_ptr<LandmarkNet> landmarks_;
};

}  // namespace

namespace detail {
std::unique_ptr<Detector> make_ultraface_detector(const DetectorConfig& cfg) {
  return std::make_unique<UltraFaceDetector>(cfg);
}
}  // namespace detail

}  // namespace facerec
