// Default detector: faceplugin fr_detect.onnx (UltraFace RFB-320) + the 68-point landmark net.
#include <algorithm>
#include <cstdio>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "detail.h"
#include "facerec/landmarks.h"
#include "facerec/models.h"
#include "facerec/net_registry.h"

namespace facerec {

namespace {

const cv::Size kInput(320, 240);  // the network's fixed input

class UltraFaceDetector final : public detail::DetectorBase {
 public:
  explicit UltraFaceDetector(const DetectorConfig& cfg) : DetectorBase(cfg) {
    path_ = resolve_model(cfg.model.empty() ? std::string(defaults::kDetector) : cfg.model);
    net_ = acquire_net(path_);
    // A loadable network that is not UltraFace (the landmark net or an embedder given as
    // the model) fails here, naming the file, instead of finding no face on every frame.
    run(cv::Mat(std::vector<int>{1, 3, kInput.height, kInput.width}, CV_32F, cv::Scalar(0)));
    landmarks_ = std::make_unique<LandmarkNet>(cfg.landmarks, cfg.refine_landmarks);
  }

  std::vector<Face> detect(const cv::Mat& input) override {
    if (input.empty()) return {};
    cv::Mat bgr = detail::to_bgr8(input);
    std::vector<Face> faces = boxes(bgr);
    const float below = cfg_.mirror_check_below;
    if (std::any_of(faces.begin(), faces.end(), [below](const Face& f) { return f.confidence < below; })) {
      cv::flip(bgr, mirror_, 1);
      detail::apply_mirror_check(faces, boxes(mirror_), bgr.cols, below);
    }
    faces = detail::finish_faces(std::move(faces), bgr.size(), cfg_);
    for (Face& f : faces) landmarks_->apply(bgr, f);
    return faces;
  }

  DetectorType type() const override { return DetectorType::UltraFace; }
  std::string describe() const override {
    char check[48] = "";
    if (cfg_.mirror_check_below > 0.f)
      std::snprintf(check, sizeof check, " + mirror check under %.2f", double(cfg_.mirror_check_below));
    return std::string("ultraface ") + path_ +
           (cfg_.refine_landmarks ? " + landmarks" : " + landmarks (box pass only)") + check;
  }

 private:
  // The net's faces in bgr after NMS: boxes and scores, no landmarks.
  std::vector<Face> boxes(const cv::Mat& bgr) {
    std::vector<Face> faces;
    const float W = static_cast<float>(bgr.cols), H = static_cast<float>(bgr.rows);
    detail::blob_from_bgr(bgr, kInput, 1.0 / 128.0, cv::Scalar(127, 127, 127), true, resized_, blob_);
    const std::vector<cv::Mat> outs = run(blob_);
    const int n = outs[0].size[1];
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
    return faces;
  }

  // The net on one blob: scores [1,N,2] and boxes [1,N,4], or an Error naming the file.
  std::vector<cv::Mat> run(const cv::Mat& blob) {
    static const char* kExpected =
        "the UltraFace detector (fr_detect.onnx) has outputs \"scores\" [1,N,2] and \"boxes\" "
        "[1,N,4] for a 1x3x240x320 input";
    std::vector<cv::Mat> outs;
    try {
      net_->with([&](cv::dnn::Net& net) {  // shared net: copy the outputs out of it
        net.setInput(blob);
        net.forward(outs, std::vector<cv::String>{"scores", "boxes"});
        for (cv::Mat& o : outs) o = o.clone();
      });
    } catch (const cv::Exception& e) {
      throw Error(path_, std::string("not an UltraFace face detector, or a corrupt file: ") +
                             kExpected + "; give that model (" + network_file_fix(path_) + ") or set the "
                             "model type of this file. OpenCV said: " + e.what());
    }
    const bool ok = outs.size() == 2 && outs[0].dims == 3 && outs[1].dims == 3 &&
                    outs[0].size[0] == 1 && outs[1].size[0] == 1 &&
                    outs[0].size[2] == 2 && outs[1].size[2] == 4 &&
                    outs[0].size[1] == outs[1].size[1] && outs[0].type() == CV_32F &&
                    outs[1].type() == CV_32F;
    if (!ok)
      throw Error(path_, std::string("not an UltraFace face detector: ") + kExpected + ", this "
                             "network gives " + (outs.size() == 2 ? detail::shape_string(outs[0]) +
                             " and " + detail::shape_string(outs[1]) : std::string("other outputs")) +
                             ": wrong model file");
    return outs;
  }

  std::string path_;
  std::shared_ptr<SharedNet> net_;
  std::unique_ptr<LandmarkNet> landmarks_;
  cv::Mat mirror_;  // the mirror image, for the mirror check (kept: no allocation per frame)
  cv::Mat resized_, blob_;  // reused from one detection to the next
};

}  // namespace

namespace detail {
std::unique_ptr<Detector> make_ultraface_detector(const DetectorConfig& cfg) {
  return std::make_unique<UltraFaceDetector>(cfg);
}
}  // namespace detail

}  // namespace facerec
