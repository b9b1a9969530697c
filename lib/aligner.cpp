// 5-point similarity alignment onto the embedders' chip templates.
#include "facerec/aligner.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

namespace facerec {

ChipTemplate dlib_150_template() {
  // dlib-style 150x150 chip with padding 0.25, derived from dlib's mean face shape
  // (models/SOURCES.md; the alignment used when checking the face-api conversion).
  return {"dlib_150",
          cv::Size(150, 150),
          {cv::Point2f(47.55f, 46.60f), cv::Point2f(100.48f, 46.60f), cv::Point2f(74.01f, 76.56f),
           cv::Point2f(50.41f, 103.02f), cv::Point2f(97.61f, 103.02f)}};
}

ChipTemplate openface_96_template() {
  // OpenFace (align_dlib.py) normalises its 68-point mean-face TEMPLATE to [0,1] per axis
  // (MINMAX_TEMPLATE = (T - min) / (max - min)) and maps INNER_EYES_AND_BOTTOM_LIP (points
  // 39, 42, 57) with an affine onto imgDim * MINMAX_TEMPLATE, imgDim = 96. Those three land at
  // (34.92,17.08) (59.42,16.59) (48.02,72.06). Our 5 points are taken from the SAME scaled
  // template: eye centres = mean of points 36-41 / 42-47, nose tip = 30, mouth corners = 48 / 54:
  // a least-squares similarity onto them places the face where OpenFace's 3-point affine does
  // (up to OpenFace's slight non-uniform scaling).
  return {"openface_96",
          cv::Size(96, 96),
          {cv::Point2f(26.6276f, 16.0593f), cv::Point2f(67.7903f, 15.2640f),
           cv::Point2f(47.2410f, 40.5223f), cv::Point2f(29.4826f, 61.6176f),
           cv::Point2f(66.7597f, 60.8777f)}};
}

ChipTemplate arcface_112_template() {
  // insightface's standard 112x112 ArcFace reference points.
  return {"arcface_112",
          cv::Size(112, 112),
          {cv::Point2f(38.2946f, 51.6963f), cv::Point2f(73.5318f, 51.5014f),
           cv::Point2f(56.0252f, 71.7366f), cv::Point2f(41.5493f, 92.3655f),
           cv::Point2f(70.7299f, 92.2041f)}};
}

cv::Mat similarity_transform(const Landmarks& from, const Landmarks& to) {
  // Closed-form least squares for x' = a*x - b*y + tx, y' = b*x + a*y + ty (Umeyama without
  // the reflection case; deterministic). Centre both sets, then
  //   a = sum(p.q) / sum|p|^2,  b = sum(p x q) / sum|p|^2.
  double mfx = 0, mfy = 0, mtx = 0, mty = 0;
  for (int i = 0; i < kNumLandmarks; ++i) {
    mfx += from[i].x; mfy += from[i].y;
    mtx += to[i].x;   mty += to[i].y;
  }
  mfx /= kNumLandmarks; mfy /= kNumLandmarks; mtx /= kNumLandmarks; mty /= kNumLandmarks;
  double sxx = 0, dot = 0, cross = 0;
  for (int i = 0; i < kNumLandmarks; ++i) {
    const double px = from[i].x - mfx, py = from[i].y - mfy;
    const double qx = to[i].x - mtx, qy = to[i].y - mty;
    sxx += px * px + py * py;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
  }
  double a = 1.0, b = 0.0;
  if (sxx > 1e-12) {
    a = dot / sxx;
    b = cross / sxx;
  }
  cv::Mat m(2, 3, CV_64F);
  m.at<double>(0, 0) = a;  m.at<double>(0, 1) = -b; m.at<double>(0, 2) = mtx - (a * mfx - b * mfy);
  m.at<double>(1, 0) = b;  m.at<double>(1, 1) = a;  m.at<double>(1, 2) = mty - (b * mfx + a * mfy);
  return m;
}

Landmarks landmarks_from_box(const cv::Rect2f& box) {
  // Mean-face placement inside a detector box, as fractions of the box (x, y): eyes at
  // 29% / 71% across and 40% down, nose tip at the centre 58% down, mouth corners at
  // 31% / 69% across and 75% down. Measured: the mean of the landmark net's 5 points relative
  // to UltraFace boxes on 160 LFW faces (40 people x 4) was (0.282,0.404) (0.702,0.395)
  // (0.502,0.579) (0.318,0.749) (0.699,0.744); symmetrised here. Only a fallback for faces
  // that arrive without landmarks (other detectors' boxes may be framed differently).
  static const float fx[kNumLandmarks] = {0.29f, 0.71f, 0.50f, 0.31f, 0.69f};
  static const float fy[kNumLandmarks] = {0.40f, 0.40f, 0.58f, 0.75f, 0.75f};
  Landmarks l{};
  for (int i = 0; i < kNumLandmarks; ++i)
    l[i] = cv::Point2f(box.x + fx[i] * box.width, box.y + fy[i] * box.height);
  return l;
}

cv::Mat align_face(const cv::Mat& bgr, const Face& face, const ChipTemplate& tmpl) {
  const Landmarks src = face.has_landmarks ? face.landmarks : landmarks_from_box(face.box);
  const cv::Mat m = similarity_transform(src, tmpl.points);
  cv::Mat chip;
  if (bgr.empty()) return cv::Mat::zeros(tmpl.size, CV_8UC3);
  cv::warpAffine(bgr, chip, m, tmpl.size, cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  return chip;
}

cv::Rect align_source_rect(const Face& face, const ChipTemplate& tmpl) {
  const Landmarks src = face.has_landmarks ? face.landmarks : landmarks_from_box(face.box);
  cv::Mat inv;
  cv::invertAffineTransform(similarity_transform(src, tmpl.points), inv);
  const float w = static_cast<float>(tmpl.size.width), h = static_cast<float>(tmpl.size.height);
  std::vector<cv::Point2f> corners{{0.f, 0.f}, {w, 0.f}, {0.f, h}, {w, h}}, mapped;
  cv::transform(corners, mapped, inv);
  const cv::Rect r = cv::boundingRect(mapped);
  return cv::Rect(r.x - 2, r.y - 2, r.width + 4, r.height + 4);
}

}  // namespace facerec
