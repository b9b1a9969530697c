// 68-point landmark net (faceplugin fr_landmark.onnx) reduced to the 5 alignment points.
//
// Two passes. The net was trained on detector boxes, and its points are only as good as
// the box frames the face: a loose box, a box that includes a false-positive margin or a
// tilted head give rough points. Pass 1 runs on the detector box as the original JS does
// (box clamped to the image, resized to 64x64). The refinement pass then fits dlib's mean
// face (points 17-67) to those points with a similarity transform, warps the image so that
// the fitted mean face lands upright where the net sees an average face inside a box crop
// (kScaleX/kOffsetX, kScaleY/kOffsetY below), runs the net again and maps its points back
// through the warp.
//
// What it buys, measured on ../shared/testdata with the default detector and 128-d embedder:
//   - steadiness: boxes shifted by 15 % or grown by 30 % move the 5 points by 0.007-0.026
//     inter-ocular distances instead of 0.031-0.079 (tests/test_detector.cpp), so the chips
//     no longer follow the detector's box jitter;
//   - separation of all 1720 LFW faces (1.5 M pairs): d' 3.936 -> 3.957, false rejections
//     at 0.1 % false accepts 13.7 % -> 13.3 %; facerec-eval (87 people, K=5, N=20): nearest
//     embedding top-1 99.20 -> 99.43 % on average over 4 enrolment splits, known faces named
//     at the automatic threshold 97.3 -> 97.8 %;
//   - agreement with YuNet's own 5 points: unchanged (0.09 inter-ocular distances).
// A second refinement pass gained little more (d' 3.974, 13.1 %) for another net run
// (~2 ms per face on the 2-core test machine, as much as the first pass).
#include <algorithm>
#include <cmath>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "detail.h"
#include "facerec/aligner.h"
#include "facerec/landmarks.h"
#include "facerec/models.h"
#include "facerec/net_registry.h"

namespace facerec {

namespace {

constexpr int kInput = 64;  // the net's input: 64x64 gray, 1/256 scale

// dlib's mean face shape, points 17..67 of the iBUG 68 layout in a unit square (eyebrows,
// nose, eyes, mouth; no jaw line): the table dlib's get_face_chip_details() aligns its
// 150x150 chips with (dlib, Boost Software License 1.0). The dlib_150 chip template of
// aligner.cpp is derived from the same shape.
constexpr int kFirstMeanPoint = 17;
constexpr int kMeanPoints = 68 - kFirstMeanPoint;
const double kMeanX[kMeanPoints] = {
    0.000213256, 0.0752622, 0.18113,  0.29077,  0.393397, 0.586856, 0.689483, 0.799124, 0.904991,
    0.98004,     0.490127,  0.490127, 0.490127, 0.490127, 0.36688,  0.426036, 0.490127, 0.554217,
    0.613373,    0.121737,  0.187122, 0.265825, 0.334606, 0.260918, 0.182743, 0.645647, 0.714428,
    0.793132,    0.858516,  0.79751,  0.719335, 0.254149, 0.340985, 0.428858, 0.490127, 0.551395,
    0.639268,    0.726104,  0.642159, 0.556721, 0.490127, 0.423532, 0.338094, 0.290379, 0.428096,
    0.490127,    0.552157,  0.689874, 0.553364, 0.490127, 0.42689};
const double kMeanY[kMeanPoints] = {
    0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891, 0.0187482, 0.038915,
    0.106454, 0.203352, 0.307009,  0.409805,  0.515625,  0.587326,  0.609345,  0.628106,  0.609345,
    0.587326, 0.216423, 0.178758,  0.179852,  0.231733,  0.245099,  0.244077,  0.231733,  0.179852,
    0.178758, 0.216423, 0.244077,  0.245099,  0.780233,  0.745405,  0.727388,  0.742578,  0.727388,
    0.745405, 0.780233, 0.864805,  0.902192,  0.909281,  0.902192,  0.864805,  0.784792,  0.778746,
    0.785343, 0.778746, 0.784792,  0.824182,  0.831803,  0.824182};

// Where the net puts the mean face inside its (non-square) box crop, in crop units:
// crop_x = kScaleX * mean_x + kOffsetX, crop_y = kScaleY * mean_y + kOffsetY. Fitted to the
// average first-pass output (points 17-67, box-normalised) of 364 single-face LFW images of
// ../shared/testdata/faces with UltraFace boxes; rms residual 0.0075 (x) and 0.0048 (y).
// kScaleX / kScaleY = 1.29: the boxes are that much taller than wide.
constexpr double kScaleX = 0.7960, kOffsetX = 0.1140;
constexpr double kScaleY = 0.6161, kOffsetY = 0.2694;

// Least-squares similarity (a, b, tx, ty): image = [a -b; b a] * mean + t, fitted to the
// mean-face points of pts (68 points, image pixels).
cv::Matx23d fit_mean_face(const std::vector<cv::Point2f>& pts) {
  double mx = 0, my = 0, px = 0, py = 0;
  for (int k = 0; k < kMeanPoints; ++k) {
    mx += kMeanX[k];
    my += kMeanY[k];
    px += pts[size_t(kFirstMeanPoint + k)].x;
    py += pts[size_t(kFirstMeanPoint + k)].y;
  }
  mx /= kMeanPoints; my /= kMeanPoints; px /= kMeanPoints; py /= kMeanPoints;
  double sxx = 0, dot = 0, cross = 0;
  for (int k = 0; k < kMeanPoints; ++k) {
    const double ux = kMeanX[k] - mx, uy = kMeanY[k] - my;
    const double vx = pts[size_t(kFirstMeanPoint + k)].x - px, vy = pts[size_t(kFirstMeanPoint + k)].y - py;
    sxx += ux * ux + uy * uy;
    dot += ux * vx + uy * vy;
    cross += ux * vy - uy * vx;
  }
  const double a = dot / sxx, b = cross / sxx;
  return cv::Matx23d(a, -b, px - (a * mx - b * my), b, a, py - (b * mx + a * my));
}

// The 5 alignment points of 68 (iBUG order): 36-41 the subject's right eye (image left),
// 42-47 the subject's left eye, 30 nose tip, 48 the subject's right mouth corner (image
// left), 54 the other corner.
Landmarks five_points(const std::vector<cv::Point2f>& q) {
  auto mean = [&q](int a, int b) {
    cv::Point2f s(0.f, 0.f);
    for (int i = a; i <= b; ++i) s += q[size_t(i)];
    return s * (1.f / static_cast<float>(b - a + 1));
  };
  return Landmarks{mean(36, 41), mean(42, 47), q[30], q[48], q[54]};
}

}  // namespace

struct LandmarkNet::Impl {
  std::string path;
  std::shared_ptr<SharedNet> net;
  bool refine_points = true;

  // The net on one 64x64 crop: 68 points in crop units (0..1).
  std::vector<cv::Point2f> run(const cv::Mat& patch) {
    cv::Mat gray;
    if (patch.channels() == 3)
      cv::cvtColor(patch, gray, cv::COLOR_BGR2GRAY);
    else if (patch.channels() == 4)
      cv::cvtColor(patch, gray, cv::COLOR_BGRA2GRAY);
    else
      gray = patch;
    cv::Mat blob = cv::dnn::blobFromImage(gray, 1.0 / 256.0, cv::Size(kInput, kInput), cv::Scalar(), false,
                                          false, CV_32F);
    cv::Mat out;
    try {
      out = net->with([&blob](cv::dnn::Net& n) {  // shared net: copy the output out of it
        n.setInput(blob);
        return n.forward().clone();
      });
    } catch (const cv::Exception& e) {
      throw Error(path, std::string("landmark net failed to run: not the 68-point landmark net "
                                    "(fr_landmark.onnx: 64x64 gray in, 136 values out) or a corrupt "
                                    "file; give that model, or " + network_file_fix(path) + ". OpenCV said: ") +
                            e.what());
    }
    if (out.total() < 136)
      throw Error(path, "landmark net output has " + std::to_string(out.total()) +
                            " values, expected 136 (68 points): wrong model file");
    const float* p = out.ptr<float>();
    std::vector<cv::Point2f> n(68);
    for (int i = 0; i < 68; ++i) n[size_t(i)] = cv::Point2f(p[2 * i], p[2 * i + 1]);
    return n;
  }

  // Refinement pass over the 68 points (see the top of this file), in place.
  void refine(const cv::Mat& bgr, std::vector<cv::Point2f>& points68) {
    const cv::Matx23d s = fit_mean_face(points68);
    // Crop pixel (u, v), continuous, 0..64 -> mean-face units -> image.
    const double ax = 1.0 / (kInput * kScaleX), ay = 1.0 / (kInput * kScaleY);
    const double ox = -kOffsetX / kScaleX, oy = -kOffsetY / kScaleY;
    const cv::Matx23d g(s(0, 0) * ax, s(0, 1) * ay, s(0, 0) * ox + s(0, 1) * oy + s(0, 2),
                        s(1, 0) * ax, s(1, 1) * ay, s(1, 0) * ox + s(1, 1) * oy + s(1, 2));
    // warpAffine samples at pixel indices: index = g(u_index + 0.5) - 0.5.
    const cv::Matx23d gi(g(0, 0), g(0, 1), g(0, 2) + 0.5 * (g(0, 0) + g(0, 1)) - 0.5,
                         g(1, 0), g(1, 1), g(1, 2) + 0.5 * (g(1, 0) + g(1, 1)) - 0.5);
    cv::Mat patch;
    cv::warpAffine(bgr, patch, cv::Mat(gi), cv::Size(kInput, kInput), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP,
                   cv::BORDER_REPLICATE);
    const std::vector<cv::Point2f> n = run(patch);
    for (size_t i = 0; i < n.size(); ++i) {
      const double u = n[i].x * kInput, v = n[i].y * kInput;
      points68[i] = cv::Point2f(float(g(0, 0) * u + g(0, 1) * v + g(0, 2)), float(g(1, 0) * u + g(1, 1) * v + g(1, 2)));
    }
  }
};

LandmarkNet::LandmarkNet(const std::string& path, bool refine) : impl_(std::make_unique<Impl>()) {
  impl_->refine_points = refine;
  impl_->path = resolve_model(path.empty() ? std::string(defaults::kLandmarks) : path);
  impl_->net = acquire_net(impl_->path);
  // A loadable network that is not a 68-point landmark net (another model of the
  // package, say) fails here, naming the file, rather than on every face later.
  impl_->run(cv::Mat(kInput, kInput, CV_8UC1, cv::Scalar(128)));
}

LandmarkNet::~LandmarkNet() = default;

void LandmarkNet::apply(const cv::Mat& bgr, Face& face) {
  // Pass 1: the detector box, clamped to the image, resized to 64x64 (as the original JS).
  const cv::Rect img_rect(0, 0, bgr.cols, bgr.rows);
  cv::Rect crop(static_cast<int>(std::floor(face.box.x)), static_cast<int>(std::floor(face.box.y)),
                static_cast<int>(std::ceil(face.box.width)),
                static_cast<int>(std::ceil(face.box.height)));
  crop &= img_rect;
  if (crop.width < 2 || crop.height < 2) {
    // Too small for the net: place the mean face in the box.
    face.landmarks = landmarks_from_box(face.box);
    face.has_landmarks = true;
    face.has_coarse_landmarks = false;
    return;
  }
  cv::Mat patch;
  cv::resize(bgr(crop), patch, cv::Size(kInput, kInput));
  const std::vector<cv::Point2f> n = impl_->run(patch);
  std::vector<cv::Point2f> points68(n.size());
  for (size_t i = 0; i < n.size(); ++i)
    points68[i] = cv::Point2f(n[i].x * float(crop.width) + float(crop.x), n[i].y * float(crop.height) + float(crop.y));
  face.has_coarse_landmarks = false;
  // Pass 2: upright, canonically framed crop around the face found by pass 1. The first
  // pass's points stay with the face: where the passes disagree, its alignment is in doubt.
  if (impl_->refine_points) {
    face.coarse_landmarks = five_points(points68);
    face.has_coarse_landmarks = true;
    impl_->refine(bgr, points68);
  }
  face.landmarks = five_points(points68);
  face.has_landmarks = true;
}

}  // namespace facerec
