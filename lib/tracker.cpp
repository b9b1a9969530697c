// Face tracking (see facerec/tracker.h for the rules).
#include "facerec/tracker.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "facerec/detector.h"  // iou()

namespace facerec {

namespace {

cv::Point2f centre(const cv::Rect2f& r) { return {r.x + r.width / 2.f, r.y + r.height / 2.f}; }

float side(const cv::Rect2f& r) { return std::sqrt(std::max(r.area(), 1e-6f)); }

// A candidate pairing of track t with detection d; higher `score` first.
struct Pair {
  float score;
  size_t t, d;
};

// Greedy one-to-one assignment by decreasing score, ties by (track, detection) index.
void assign(std::vector<Pair> pairs, std::vector<int>& det_of_track, std::vector<int>& track_of_det) {
  std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) {
    return std::tie(b.score, a.t, a.d) < std::tie(a.score, b.t, b.d);
  });
  for (const Pair& p : pairs) {
    if (det_of_track[p.t] >= 0 || track_of_det[p.d] >= 0) continue;
    det_of_track[p.t] = static_cast<int>(p.d);
    track_of_det[p.d] = static_cast<int>(p.t);
  }
}

}  // namespace

cv::Rect2f predict_box(const cv::Rect2f& box, const cv::Point2f& velocity, float size_rate, int frames) {
  const float scale = std::pow(size_rate, static_cast<float>(frames));
  const cv::Point2f c = centre(box) + velocity * static_cast<float>(frames);
  const float w = box.width * scale, h = box.height * scale;
  return {c.x - w / 2.f, c.y - h / 2.f, w, h};
}

Face move_face(const Face& face, const cv::Rect2f& from, const cv::Rect2f& to) {
  Face out = face;
  out.box = to;
  const cv::Point2f c0 = centre(from), c1 = centre(to);
  const float sx = from.width > 0.f ? to.width / from.width : 1.f;
  const float sy = from.height > 0.f ? to.height / from.height : 1.f;
  move_points(out, [&](const cv::Point2f& p) { return cv::Point2f(c1.x + (p.x - c0.x) * sx, c1.y + (p.y - c0.y) * sy); });
  return out;
}

Tracker::Tracker(const TrackerConfig& config) : config_(config) {}

void Tracker::reset() {
  tracks_.clear();
  moved_.clear();
  frame_ = -1;
}

void Tracker::advance(int64_t) {
  ++frame_;
  moved_.resize(tracks_.size(), false);
  for (size_t i = 0; i < tracks_.size(); ++i) {
    Track& t = tracks_[i];
    t.detected = false;
    if (moved_[i]) continue;  // move() already placed it on this frame
    const cv::Rect2f next = predict_box(t.face.box, t.velocity, t.size_rate, 1);
    t.face = move_face(t.face, t.face.box, next);
    if (!t.reported) {  // coasting unseen: let the motion die down
      t.velocity *= config_.lost_velocity_decay;
      t.size_rate = 1.f + (t.size_rate - 1.f) * config_.lost_velocity_decay;
    }
  }
  moved_.assign(tracks_.size(), false);
}

bool Tracker::move(uint64_t id, const Face& face) {
  for (size_t i = 0; i < tracks_.size(); ++i) {
    Track& t = tracks_[i];
    if (t.id != id || !t.reported) continue;
    const float a = config_.velocity_smoothing;
    const cv::Point2f v = centre(face.box) - centre(t.face.box);
    t.velocity = a * v + (1.f - a) * t.velocity;
    const float r = t.face.box.width > 0.f ? face.box.width / t.face.box.width : 1.f;
    t.size_rate = a * r + (1.f - a) * t.size_rate;
    const float confidence = t.face.confidence;
    t.face = face;
    t.face.confidence = confidence;  // stays the detector's score
    moved_.resize(tracks_.size(), false);
    moved_[i] = true;
    return true;
  }
  return false;
}

std::vector<Track> Tracker::predict(int64_t time_ns) {
  advance(time_ns);
  for (Track& t : tracks_)
    if (t.reported) t.lost = static_cast<int>(frame_ - t.last_frame);
  return reported();
}

std::vector<Track> Tracker::update(const std::vector<Face>& detections, int64_t time_ns) {
  advance(time_ns);
  const size_t nt = tracks_.size(), nd = detections.size();
  std::vector<int> det_of_track(nt, -1), track_of_det(nd, -1);

  std::vector<Pair> pairs;
  for (size_t t = 0; t < nt; ++t)
    for (size_t d = 0; d < nd; ++d) {
      const float o = iou(tracks_[t].face.box, detections[d].box);
      if (o >= config_.iou_threshold) pairs.push_back({o, t, d});
    }
  assign(pairs, det_of_track, track_of_det);

  pairs.clear();  // second pass: centre distance for what overlap could not pair
  for (size_t t = 0; t < nt; ++t) {
    if (det_of_track[t] >= 0) continue;
    const cv::Rect2f& a = tracks_[t].face.box;
    for (size_t d = 0; d < nd; ++d) {
      if (track_of_det[d] >= 0) continue;
      const cv::Rect2f& b = detections[d].box;
      const float sa = side(a), sb = side(b);
      if (std::max(sa, sb) > config_.max_size_ratio * std::min(sa, sb)) continue;
      const cv::Point2f dc = centre(a) - centre(b);
      const float shift = std::sqrt(dc.dot(dc)) / ((sa + sb) / 2.f);
      if (shift <= config_.max_centre_shift) pairs.push_back({-shift, t, d});
    }
  }
  assign(pairs, det_of_track, track_of_det);

  const float a = config_.velocity_smoothing;
  for (size_t t = 0; t < nt; ++t) {
    Track& tr = tracks_[t];
    if (det_of_track[t] < 0) {
      tr.reported = false;
      tr.lost = static_cast<int>(frame_ - tr.last_frame);
      continue;
    }
    const Face& det = detections[static_cast<size_t>(det_of_track[t])];
    // Velocity from detection to detection: the positions in between were guesses.
    const int frames = static_cast<int>(std::max<int64_t>(1, frame_ - tr.last_frame));
    const cv::Point2f measured = (centre(det.box) - centre(tr.detected_box)) / static_cast<float>(frames);
    tr.velocity = a * measured + (1.f - a) * tr.velocity;
    const float rate = std::pow(side(det.box) / side(tr.detected_box), 1.f / static_cast<float>(frames));
    tr.size_rate = a * rate + (1.f - a) * tr.size_rate;
    tr.face = det;
    tr.detected_box = det.box;
    tr.last_frame = frame_;
    tr.last_time = time_ns;
    tr.hits++;
    tr.lost = 0;
    tr.detected = true;
    tr.reported = true;
  }
  // drop the tracks lost for too long
  for (size_t t = tracks_.size(); t-- > 0;)
    if (!tracks_[t].reported && tracks_[t].lost > config_.max_lost_frames) {
      tracks_.erase(tracks_.begin() + static_cast<std::ptrdiff_t>(t));
      for (int& ti : track_of_det)
        if (ti > static_cast<int>(t)) --ti;
    }
  std::vector<Track> out;
  out.reserve(nd);
  for (size_t d = 0; d < nd; ++d) {
    if (track_of_det[d] < 0) {
      Track tr;
      tr.id = next_id_++;
      tr.face = detections[d];
      tr.first_frame = tr.last_frame = frame_;
      tr.first_time = tr.last_time = time_ns;
      tr.hits = 1;
      tr.detected = tr.reported = true;
      tr.detected_box = tr.face.box;
      tracks_.push_back(tr);
      track_of_det[d] = static_cast<int>(tracks_.size() - 1);
    }
    Track& tr = tracks_[static_cast<size_t>(track_of_det[d])];
    tr.rank = static_cast<int>(d);
    out.push_back(tr);
  }
  moved_.assign(tracks_.size(), false);
  return out;
}

std::vector<Track> Tracker::reported() const {
  std::vector<Track> out;
  for (const Track& t : tracks_)
    if (t.reported) out.push_back(t);
  std::sort(out.begin(), out.end(), [](const Track& a, const Track& b) { return a.rank < b.rank; });
  return out;
}

}  // namespace facerec
