// Per-track recognition state (see facerec/recognizer.h).
#include "facerec/recognizer.h"

#include <algorithm>
#include <cmath>

namespace facerec {

namespace {

float box_side(const Face& f) { return std::sqrt(std::max(f.box.area(), 0.f)); }

}  // namespace

float frontalness(const Face& f) {
  if (!f.has_landmarks) return 0.f;
  const cv::Point2f eyes = (f.landmarks[0] + f.landmarks[1]) * 0.5f;
  const cv::Point2f mouth = (f.landmarks[3] + f.landmarks[4]) * 0.5f;
  const cv::Point2f d = f.landmarks[1] - f.landmarks[0];
  const float eye_dist = std::sqrt(d.dot(d));
  const cv::Point2f axis = mouth - eyes;
  const float axis_len = std::sqrt(axis.dot(axis));
  if (!(eye_dist > 1e-3f) || !(axis_len > 1e-3f)) return 0.f;
  // distance of the nose tip from the eyes-mouth midline
  const cv::Point2f n = f.landmarks[2] - eyes;
  const float off = std::abs(axis.x * n.y - axis.y * n.x) / axis_len;
  return std::clamp(1.f - off / (0.5f * eye_dist), 0.f, 1.f);
}

Recognizer::Recognizer(const RecognizerConfig& config) : config_(config) {}

void Recognizer::reset() {
  tracks_.clear();
  frame_ = -1;
}

std::vector<size_t> Recognizer::plan(const std::vector<TrackedFace>& faces) {
  ++frame_;
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    if (frame_ - it->second.last_seen > config_.forget_after) it = tracks_.erase(it);
    else ++it;
  }
  // (priority, index): new tracks first (no embedding), then the longest-waiting
  std::vector<std::pair<int64_t, size_t>> due;
  for (size_t i = 0; i < faces.size(); ++i) {
    const TrackedFace& tf = faces[i];
    State& s = tracks_[tf.track_id];
    s.last_seen = frame_;
    s.name.fresh = false;
    if (s.name.embeddings == 0) {
      due.emplace_back(INT64_MIN, i);
      continue;
    }
    if (!tf.detected) continue;
    const int64_t since = frame_ - s.name.last_embedded;
    bool embed = config_.reclassify_interval > 0 && since >= config_.reclassify_interval;
    embed = embed || (s.side > 0.f && box_side(tf.face) >= config_.grow_ratio * s.side);
    embed = embed || frontalness(tf.face) >= s.frontal + config_.frontal_gain;
    embed = embed || tf.face.confidence >= s.confidence + config_.confidence_gain;
    if (embed) due.emplace_back(-since, i);
  }
  std::stable_sort(due.begin(), due.end());
  if (config_.max_per_frame > 0 && due.size() > static_cast<size_t>(config_.max_per_frame))
    due.resize(static_cast<size_t>(config_.max_per_frame));
  std::vector<size_t> out;
  for (const auto& d : due) out.push_back(d.second);
  std::sort(out.begin(), out.end());
  return out;
}

void Recognizer::record(const TrackedFace& tf, Embedding embedding, const Match& match) {
  State& s = tracks_[tf.track_id];
  s.last_seen = frame_;
  s.side = box_side(tf.face);
  s.frontal = frontalness(tf.face);
  s.confidence = tf.face.confidence;
  s.name.embedding = embedding;
  s.name.embeddings++;
  s.name.last_embedded = frame_;
  s.name.fresh = true;
  s.votes.emplace_back(std::move(embedding), match);
  while (static_cast<int>(s.votes.size()) > std::max(1, config_.vote_window)) s.votes.pop_front();
  vote(s);
}

void Recognizer::vote(State& s) const {
  // votes per candidate: label id (>= 0) or -1 for unknown
  std::map<int, int> count;
  for (const auto& v : s.votes) ++count[v.second.known ? v.second.label_id : -1];
  int best = -1, best_n = -1;
  bool tie = false;
  for (const auto& [id, n] : count) {
    if (n > best_n) {
      best = id;
      best_n = n;
      tie = false;
    } else if (n == best_n) {
      tie = true;
    }
  }
  if (tie) best = -1;
  Match m;
  double score = 0.0, distance = 0.0;
  int n = 0;
  for (const auto& v : s.votes) {
    const Match& c = v.second;
    if ((c.known ? c.label_id : -1) != best) continue;
    if (n == 0) m = c;
    score += c.score;
    distance += c.distance;
    ++n;
  }
  if (n == 0) {  // a tie, none of the votes unknown: report the latest as unknown
    m = s.votes.back().second;
    m.known = false;
    m.label_id = -1;
    m.label.clear();
    score = m.score;
    distance = m.distance;
    n = 1;
  }
  m.score = static_cast<float>(score / n);
  m.distance = static_cast<float>(distance / n);
  s.name.match = m;
}

const TrackName* Recognizer::name(uint64_t id) const {
  auto it = tracks_.find(id);
  if (it == tracks_.end() || it->second.name.embeddings == 0) return nullptr;
  return &it->second.name;
}

void Recognizer::reclassify(const std::function<Match(const Embedding&)>& classify) {
  for (auto& [id, s] : tracks_) {
    if (s.votes.empty()) continue;
    for (auto& v : s.votes) v.second = classify(v.first);
    vote(s);
  }
}

}  // namespace facerec
