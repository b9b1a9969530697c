// 68-point landmark net (faceplugin fr_landmark.onnx) reduced to the 5 alignment points.
#include <algorithm>
#include <cmath>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "facerec/aligner.h"
#include "facerec/detector.h"
#include "facerec/models.h"

namespace facerec {

namespace detail {
cv::dnn::Net read_dnn(const std::string& model, const std::string& config);
}

struct LandmarkNet::Impl {
  std::string path;
  cv::dnn::Net net;
  std::vector<cv::Point2f> points68;
};

LandmarkNet::LandmarkNet(const std::string& path) : impl_(std::make_unique<Impl>()) {
  impl_->path = resolve_model(path.empty() ? std::string(defaults::kLandmarks) : path);
  impl_->net = detail::read_dnn(impl_->path, "");
}

LandmarkNet::~LandmarkNet() = default;

const std::vector<cv::Point2f>& LandmarkNet::last_points68() const { return impl_->points68; }

void LandmarkNet::apply(const cv::Mat& bgr, Face& face) {
  impl_->points68.clear();
  // The original JS crops the detector box (clamped to the image) and resizes it to 64x64.
  // Kept as is: on 160 LFW faces (40 people x 4, UltraFace boxes) square crops of the box's
  // longer side x1.0/1.1/1.2 gave no better landmarks (mean error vs YuNet's points 0.089-0.096
  // inter-ocular distance, box crop 0.090) and no better recognition (faceapi-128 same/different
  // mean L2 ratio 0.558-0.569 vs 0.555 for the box crop; 1-NN 98.1-99.4% vs 99.4%).
  const cv::Rect img_rect(0, 0, bgr.cols, bgr.rows);
  cv::Rect crop(static_cast<int>(std::floor(face.box.x)), static_cast<int>(std::floor(face.box.y)),
                static_cast<int>(std::ceil(face.box.width)),
                static_cast<int>(std::ceil(face.box.height)));
  crop &= img_rect;
  if (crop.width < 2 || crop.height < 2) {
    // Too small for the net: place the mean face in the box.
    face.landmarks = landmarks_from_box(face.box);
    face.has_landmarks = true;
    return;
  }
  cv::Mat patch, gray;
  cv::resize(bgr(crop), patch, cv::Size(64, 64));
  if (patch.channels() == 3)
    cv::cvtColor(patch, gray, cv::COLOR_BGR2GRAY);
  else if (patch.channels() == 4)
    cv::cvtColor(patch, gray, cv::COLOR_BGRA2GRAY);
  else
    gray = patch;
  cv::Mat blob = cv::dnn::blobFromImage(gray, 1.0 / 256.0, cv::Size(64, 64), cv::Scalar(), false,
                                        false, CV_32F);
  cv::Mat out;
  try {
    impl_->net.setInput(blob);
    out = impl_->net.forward();
  } catch (const cv::Exception& e) {
    throw Error(impl_->path, std::string("landmark net failed to run (wrong or corrupt model; "
                                         "re-download it with models/fetch-models.sh): ") +
                                 e.what());
  }
  if (out.total() < 136)
    throw Error(impl_->path, "landmark net output has " + std::to_string(out.total()) +
                                 " values, expected 136 (68 points): wrong model file");
  const float* p = out.ptr<float>();
  impl_->points68.resize(68);
  for (int i = 0; i < 68; ++i)
    impl_->points68[i] = cv::Point2f(p[2 * i] * crop.width + crop.x, p[2 * i + 1] * crop.height + crop.y);
  const auto& q = impl_->points68;
  auto mean = [&q](int a, int b) {
    cv::Point2f s(0.f, 0.f);
    for (int i = a; i <= b; ++i) s += q[i];
    return s * (1.f / static_cast<float>(b - a + 1));
  };
  // iBUG 68 order: 36-41 the subject's right eye (image left), 42-47 the subject's left eye,
  // 30 nose tip, 48 the subject's right mouth corner (image left), 54 the other corner.
  face.landmarks[0] = mean(36, 41);
  face.landmarks[1] = mean(42, 47);
  face.landmarks[2] = q[30];
  face.landmarks[3] = q[48];
  face.landmarks[4] = q[54];
  face.has_landmarks = true;
}

}  // namespace facerec
