// 5-point similarity alignment onto the embedders' chip templates.
#include "facerec/aligner.h"

#include <cmath>

#include <opencv2/imgproc.hpp>

#include "facerec/models.h"

namespace facerec {

ChipTemplate chip_template(const std::string& name) {
  const Manifest& m = builtin_manifest();
  if (const ChipTemplate* t = m.chip_template(name)) return *t;
  throw Error("", "unknown chip template '" + name + "': models/manifest.json has " +
                      m.chip_template_names());
}

// The templates' points and their derivations are in models/manifest.json.
ChipTemplate dlib_150_template() { return chip_template("dlib_150"); }
ChipTemplate openface_96_template() { return chip_template("openface_96"); }
ChipTemplate arcface_112_template() { return chip_template("arcface_112"); }

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

float landmark_disagreement(const Face& face) {
  if (!face.has_landmarks || !face.has_coarse_landmarks || face.box.width <= 0.f) return 0.f;
  float sum = 0.f;
  for (int i = 0; i < kNumLandmarks; ++i) sum += static_cast<float>(cv::norm(face.landmarks[i] - face.coarse_landmarks[i]));
  return sum / kNumLandmarks / face.box.width;
}

std::vector<Landmarks> alignment_variants(const Face& face) {
  const Landmarks own = face.has_landmarks ? face.landmarks : landmarks_from_box(face.box);
  if (landmark_disagreement(face) <= kAlignmentDoubt) return {own};
  Landmarks mid{};
  for (int i = 0; i < kNumLandmarks; ++i) mid[i] = (face.landmarks[i] + face.coarse_landmarks[i]) * 0.5f;
  return {own, face.coarse_landmarks, mid};
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
