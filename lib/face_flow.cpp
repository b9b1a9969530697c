// Following faces with optical flow (see facerec/face_flow.h).
#include "facerec/face_flow.h"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

namespace facerec {

namespace {

// Least-squares similarity (rotation, uniform scale, translation) mapping `from`
// onto `to`: x' = a x - b y + tx, y' = b x + a y + ty. Returns false when degenerate.
bool fit_similarity(const std::vector<cv::Point2f>& from, const std::vector<cv::Point2f>& to, double m[6]) {
  const size_t n = from.size();
  if (n < 2) return false;
  double fx = 0, fy = 0, tx = 0, ty = 0;
  for (size_t i = 0; i < n; ++i) {
    fx += from[i].x;
    fy += from[i].y;
    tx += to[i].x;
    ty += to[i].y;
  }
  fx /= n, fy /= n, tx /= n, ty /= n;
  double sxx = 0, sab = 0, sba = 0;
  for (size_t i = 0; i < n; ++i) {
    const double x = from[i].x - fx, y = from[i].y - fy, u = to[i].x - tx, v = to[i].y - ty;
    sxx += x * x + y * y;
    sab += x * u + y * v;
    sba += x * v - y * u;
  }
  if (!(sxx > 1e-9)) return false;
  const double a = sab / sxx, b = sba / sxx;
  m[0] = a, m[1] = -b, m[2] = tx - (a * fx - b * fy);
  m[3] = b, m[4] = a, m[5] = ty - (b * fx + a * fy);
  return std::isfinite(a) && std::isfinite(b);
}

// Fits, drops the points more than `tol` off, fits again (twice): the flow of a
// few points on the background or a hand does not drag the face.
bool robust_similarity(std::vector<cv::Point2f> from, std::vector<cv::Point2f> to, double tol, size_t min_points,
                       double m[6]) {
  for (int round = 0; round < 3; ++round) {
    if (from.size() < min_points || !fit_similarity(from, to, m)) return false;
    std::vector<cv::Point2f> f2, t2;
    for (size_t i = 0; i < from.size(); ++i) {
      const double px = m[0] * from[i].x + m[1] * from[i].y + m[2] - to[i].x;
      const double py = m[3] * from[i].x + m[4] * from[i].y + m[5] - to[i].y;
      if (std::sqrt(px * px + py * py) <= tol) {
        f2.push_back(from[i]);
        t2.push_back(to[i]);
      }
    }
    if (f2.size() == from.size()) return true;
    from.swap(f2);
    to.swap(t2);
  }
  return from.size() >= min_points && fit_similarity(from, to, m);
}

}  // namespace

FaceFlow::Pyramid FaceFlow::pyramid(const cv::Mat& gray) const {
  Pyramid p;
  pyramid(gray, p);
  return p;
}

void FaceFlow::pyramid(const cv::Mat& gray, Pyramid& out) const {
  if (gray.empty() || gray.type() != CV_8UC1) {
    out.clear();
    return;
  }
  // buildOpticalFlowPyramid keeps the levels of `out` whose size and type match. Level 0
  // is always copied (tryReuseInputImage false): a level that pointed into the caller's
  // image would be written over when `out` is reused for the next frame.
  cv::buildOpticalFlowPyramid(gray, out, cv::Size(config_.window, config_.window), config_.levels, true,
                              cv::BORDER_REFLECT_101, cv::BORDER_CONSTANT, false);
}

std::vector<std::optional<Face>> FaceFlow::follow(const cv::Mat& prev, const cv::Mat& cur,
                                                  const std::vector<Face>& faces, double scale) const {
  if (faces.empty() || prev.empty() || cur.empty() || prev.size() != cur.size() || prev.type() != CV_8UC1 ||
      cur.type() != CV_8UC1)
    return std::vector<std::optional<Face>>(faces.size());
  return follow(pyramid(prev), pyramid(cur), faces, scale);
}

std::vector<std::optional<Face>> FaceFlow::follow(const Pyramid& prev_pyr, const Pyramid& cur_pyr,
                                                  const std::vector<Face>& faces, double scale) const {
  std::vector<std::optional<Face>> out(faces.size());
  if (faces.empty() || prev_pyr.empty() || cur_pyr.empty() || prev_pyr[0].size() != cur_pyr[0].size() ||
      !(scale > 0.0))
    return out;
  const cv::Mat& prev = prev_pyr[0];
  const cv::Rect image(0, 0, prev.cols, prev.rows);
  const float s = static_cast<float>(scale);

  // Every face's points in one flow call; `owner` says whose point it is.
  std::vector<cv::Point2f> pts;
  std::vector<size_t> owner;
  for (size_t i = 0; i < faces.size(); ++i) {
    const Face& f = faces[i];
    const cv::Rect box = cv::Rect(cv::Rect2f(f.box.x * s, f.box.y * s, f.box.width * s, f.box.height * s)) & image;
    if (box.width < 8 || box.height < 8) continue;
    if (f.has_landmarks)
      for (const cv::Point2f& p : f.landmarks) {
        const cv::Point2f q = p * s;
        if (image.contains(cv::Point(q))) {
          pts.push_back(q);
          owner.push_back(i);
        }
      }
    std::vector<cv::Point2f> corners;
    const double min_dist = std::max(2.0, std::min(box.width, box.height) / 8.0);
    cv::goodFeaturesToTrack(prev(box), corners, config_.max_corners, 0.01, min_dist);
    for (const cv::Point2f& c : corners) {
      pts.push_back(c + cv::Point2f(static_cast<float>(box.x), static_cast<float>(box.y)));
      owner.push_back(i);
    }
  }
  if (pts.empty()) return out;

  const cv::Size win(config_.window, config_.window);
  const cv::TermCriteria term(cv::TermCriteria::COUNT | cv::TermCriteria::EPS, 20, 0.03);
  std::vector<cv::Point2f> fwd, back;
  std::vector<uchar> ok_f, ok_b;
  std::vector<float> err;
  cv::calcOpticalFlowPyrLK(prev_pyr, cur_pyr, pts, fwd, ok_f, err, win, config_.levels, term);
  cv::calcOpticalFlowPyrLK(cur_pyr, prev_pyr, fwd, back, ok_b, err, win, config_.levels, term);

  for (size_t i = 0; i < faces.size(); ++i) {
    std::vector<cv::Point2f> from, to;
    for (size_t k = 0; k < pts.size(); ++k) {
      if (owner[k] != i || !ok_f[k] || !ok_b[k]) continue;
      const cv::Point2f d = back[k] - pts[k];
      if (std::sqrt(d.dot(d)) > config_.max_fb_error) continue;
      from.push_back(pts[k] / s);
      to.push_back(fwd[k] / s);
    }
    if (static_cast<int>(from.size()) < config_.min_points) continue;
    double mm[6];
    if (!robust_similarity(from, to, 2.0 / scale, static_cast<size_t>(config_.min_points), mm)) continue;
    double k = std::sqrt(mm[0] * mm[0] + mm[3] * mm[3]);  // uniform scale
    if (!std::isfinite(k) || k < 0.5 || k > 2.0) continue;
    if (!config_.estimate_scale) {  // keep the translation of the centre of the points only
      double fx = 0, fy = 0, tx = 0, ty = 0;
      for (size_t j = 0; j < from.size(); ++j) fx += from[j].x, fy += from[j].y, tx += to[j].x, ty += to[j].y;
      const double n = static_cast<double>(from.size());
      mm[0] = mm[4] = 1, mm[1] = mm[3] = 0, mm[2] = (tx - fx) / n, mm[5] = (ty - fy) / n;
      k = 1.0;
    }
    auto apply = [&mm](const cv::Point2f& p) {
      return cv::Point2f(static_cast<float>(mm[0] * p.x + mm[1] * p.y + mm[2]),
                         static_cast<float>(mm[3] * p.x + mm[4] * p.y + mm[5]));
    };
    Face f = faces[i];
    // The box keeps its axes: its centre moves, its sides scale.
    const cv::Point2f c = apply(cv::Point2f(f.box.x + f.box.width / 2.f, f.box.y + f.box.height / 2.f));
    const float w = static_cast<float>(f.box.width * k), h = static_cast<float>(f.box.height * k);
    f.box = cv::Rect2f(c.x - w / 2.f, c.y - h / 2.f, w, h);
    move_points(f, apply);
    out[i] = f;
  }
  return out;
}

}  // namespace facerec
