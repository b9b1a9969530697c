// Enrolment quality. See facerec/enrolment_quality.h.
#include "facerec/enrolment_quality.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <opencv2/imgproc.hpp>

#include "facerec/enrolment.h"

namespace facerec {

FaceQuality measure_quality(const cv::Mat& chip, const Face& face) {
  FaceQuality q;
  q.size = std::min(face.box.width, face.box.height);
  if (!chip.empty()) {
    cv::Mat grey, lap;
    if (chip.channels() == 3)
      cv::cvtColor(chip, grey, cv::COLOR_BGR2GRAY);
    else
      grey = chip;
    cv::Laplacian(grey, lap, CV_32F);
    cv::Scalar m, s_lap, s_grey;
    cv::meanStdDev(lap, m, s_lap);
    cv::meanStdDev(grey, m, s_grey);
    const double v = s_grey[0] * s_grey[0];
    q.sharpness = v > 1e-6 ? float(s_lap[0] * s_lap[0] / v) : 0.f;  // a flat chip: no detail at all
  }
  if (face.has_landmarks) {
    const cv::Point2f eye_l = face.landmarks[0], eye_r = face.landmarks[1], nose = face.landmarks[2];
    const cv::Point2f mid = (eye_l + eye_r) * 0.5f, d = eye_r - eye_l;
    const float eyes = std::hypot(d.x, d.y);
    if (eyes > 1e-3f) q.turn = ((nose - mid).dot(d) / eyes) / eyes;
  }
  q.measured = true;
  return q;
}

namespace {
std::string num(const char* f, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
}  // namespace

std::vector<std::string> quality_problems(const FaceQuality& q, const QualityLimits& lim) {
  std::vector<std::string> out;
  if (!q.measured) return out;
  if (q.size < lim.min_size)
    out.push_back("small face (" + num("%.0f", q.size) + " px < " + num("%.0f", lim.min_size) + " px)");
  if (q.sharpness < lim.min_sharpness)
    out.push_back("blurred (sharpness " + num("%.3f", q.sharpness) + " < " + num("%.3f", lim.min_sharpness) + ")");
  if (std::fabs(q.turn) > lim.max_turn)
    out.push_back("turned away (turn " + num("%.2f", std::fabs(q.turn)) + " > " + num("%.2f", lim.max_turn) + ")");
  return out;
}

float quality_score(const FaceQuality& q, const QualityLimits& lim) {
  if (!q.measured) return 0.f;
  auto part = [](float v, float bar) { return bar > 0.f ? std::clamp(v / (2.f * bar), 0.f, 1.f) : 1.f; };
  const float front = lim.max_turn > 0.f ? std::clamp(1.f - std::fabs(q.turn) / (2.f * lim.max_turn), 0.f, 1.f) : 1.f;
  return part(q.size, lim.min_size) * part(q.sharpness, lim.min_sharpness) * front;
}

float cosine_distance(const Embedding& a, const Embedding& b) {
  if (a.size() != b.size() || a.empty()) return 1.f;
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  if (aa <= 0 || bb <= 0) return 1.f;
  return float(1.0 - ab / std::sqrt(aa * bb));
}

bool same_file_content(const std::string& a, const std::string& b) {
  std::error_code ec1, ec2;
  const auto sa = std::filesystem::file_size(a, ec1), sb = std::filesystem::file_size(b, ec2);
  if (ec1 || ec2 || sa != sb) return false;
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  if (!fa || !fb) return false;
  char ba[1 << 14], bb[1 << 14];
  while (fa && fb) {
    fa.read(ba, sizeof ba);
    fb.read(bb, sizeof bb);
    if (fa.gcount() != fb.gcount() || !std::equal(ba, ba + fa.gcount(), bb)) return false;
  }
  return fa.eof() && fb.eof();
}

std::vector<EnrolmentWarning> review_enrolment(const EnrolmentResult& res, const QualityLimits& lim) {
  std::vector<EnrolmentWarning> out;
  for (size_t i = 0; i < res.images.size(); ++i) {
    const EnrolledImage& im = res.images[i];
    if (!im.used || im.frame >= 0) continue;
    for (const auto& p : quality_problems(im.quality, lim)) out.push_back({i, "poor: " + p});
    // Earlier images of the same person (the folder's sorted order): the first of a pair
    // stays unflagged, the later one is the copy.
    for (size_t j = 0; j < i; ++j) {
      const EnrolledImage& o = res.images[j];
      if (!o.used || o.frame >= 0 || o.label_id != im.label_id) continue;
      const float d = cosine_distance(im.embedding, o.embedding);
      if (d >= lim.duplicate_distance) continue;
      if (same_file_content(im.path, o.path))
        out.push_back({i, "identical copy of " + o.path});
      else
        out.push_back({i, "near-duplicate of " + o.path + " (cosine distance " + num("%.4f", d) + " < " +
                              num("%.3f", lim.duplicate_distance) + ")"});
      break;
    }
  }
  return out;
}

void pick_video_frames(std::vector<EnrolledImage>& frames, int max_frames, const QualityLimits& lim) {
  // Good frames first (no quality_problems), then the poor ones; within each, the first
  // pick is the best by quality_score and every next one the frame farthest (cosine) from
  // all frames kept so far: the kept frames cover the head poses and expressions of the
  // video instead of piling up on one. A frame within lim.duplicate_distance of a kept
  // one is never kept. Measured on ../shared/testdata/video (README "Train").
  std::vector<size_t> cand[2];
  for (size_t i = 0; i < frames.size(); ++i)
    if (frames[i].used) cand[quality_problems(frames[i].quality, lim).empty() ? 0 : 1].push_back(i);
  std::vector<size_t> kept;
  std::vector<float> nearest(frames.size(), 2.f);  // cosine distance to the nearest kept frame
  std::vector<bool> taken(frames.size(), false);
  auto full = [&] { return max_frames > 0 && kept.size() >= size_t(max_frames); };
  for (const auto& group : cand) {
    while (!full()) {
      size_t best = frames.size();
      float best_key = -1.f;
      for (size_t i : group) {
        if (taken[i]) continue;
        const float key = kept.empty() ? quality_score(frames[i].quality, lim) : nearest[i];
        if (key > best_key) best_key = key, best = i;
      }
      if (best == frames.size() || (!kept.empty() && best_key < lim.duplicate_distance)) break;
      taken[best] = true;
      kept.push_back(best);
      for (const auto& g : cand)
        for (size_t i : g)
          if (!taken[i]) nearest[i] = std::min(nearest[i], cosine_distance(frames[i].embedding, frames[best].embedding));
    }
  }
  for (const auto& group : cand)
    for (size_t i : group) {
      if (taken[i]) continue;
      EnrolledImage& f = frames[i];
      f.used = false;
      f.embedding.clear();
      f.skip_reason = nearest[i] < lim.duplicate_distance ? "near-duplicate of an enrolled frame"
                                                          : "not among the video's best frames";
    }
}

}  // namespace facerec
