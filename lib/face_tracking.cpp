// Tracking carrier for the frame detector (see facerec/face_tracking.h).
#include "facerec/face_tracking.h"

#include <utility>

#include <opencv2/imgproc.hpp>

namespace facerec {

namespace {

Face to_face(const FrameFace& f) {
  Face out;
  out.box = cv::Rect2f(f.box);
  out.confidence = static_cast<float>(f.confidence);
  for (int i = 0; i < kNumLandmarks; ++i) {
    out.landmarks[i] = cv::Point2f(static_cast<float>(f.landmarks[i].x), static_cast<float>(f.landmarks[i].y));
    out.coarse_landmarks[i] =
        cv::Point2f(static_cast<float>(f.coarse_landmarks[i].x), static_cast<float>(f.coarse_landmarks[i].y));
  }
  out.has_landmarks = true;
  out.has_coarse_landmarks = f.has_coarse_landmarks;
  return out;
}

}  // namespace

TrackFaces::TrackFaces(const TrackFacesConfig& config)
    : config_(config), tracker_(config.tracker), flow_(config.flow) {}

void TrackFaces::reset() {
  tracker_.reset();
  prev_pyr_.clear();
}

void TrackFaces::make_pyramid(const cv::Mat& image) {
  if (!config_.use_flow || image.empty()) {
    spare_.clear();
    return;
  }
  if (image.channels() == 1) {
    flow_.pyramid(image, spare_);
    return;
  }
  cv::cvtColor(image, gray_, image.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
  flow_.pyramid(gray_, spare_);
}

void TrackFaces::detected(std::vector<FrameFace>& faces, const cv::Mat& image, cv::Size frame, int64_t time) {
  std::vector<Face> dets;
  dets.reserve(faces.size());
  for (const FrameFace& f : faces) dets.push_back(to_face(f));
  const std::vector<Track> tracks = tracker_.update(dets, time);  // in the order of `faces`
  for (size_t i = 0; i < faces.size() && i < tracks.size(); ++i) {
    const Track& t = tracks[i];
    faces[i].track = {t.id, t.first_time, t.last_time, static_cast<int>(tracker_.frame() - t.first_frame)};
  }
  scale_ = frame.width > 0 && !image.empty() ? static_cast<double>(image.cols) / frame.width : 1.0;
  make_pyramid(image);
  std::swap(prev_pyr_, spare_);
}

std::vector<FrameFace> TrackFaces::between(const cv::Mat& image, cv::Size frame, int64_t time) {
  std::vector<Track> reported;
  for (const Track& t : tracker_.tracks())
    if (t.reported) reported.push_back(t);
  make_pyramid(image);
  const FaceFlow::Pyramid& cur = spare_;
  if (!cur.empty() && !prev_pyr_.empty() && !reported.empty() && cur[0].size() == prev_pyr_[0].size()) {
    std::vector<Face> from;
    for (const Track& t : reported) from.push_back(t.face);
    const auto moved = flow_.follow(prev_pyr_, cur, from, scale_);
    for (size_t i = 0; i < moved.size(); ++i) {
      if (moved[i]) {
        tracker_.move(reported[i].id, *moved[i]);
        ++followed_;
      } else {
        ++guessed_;
      }
    }
  } else {
    guessed_ += reported.size();
  }
  std::swap(prev_pyr_, spare_);
  return to_frame_faces(tracker_.predict(time), frame);
}

std::vector<FrameFace> TrackFaces::to_frame_faces(const std::vector<Track>& tracks, cv::Size frame) const {
  std::vector<FrameFace> out;
  for (const Track& t : tracks) {
    FrameFace f;
    if (!FrameDetector::clip_box(t.face.box, frame, f.box)) continue;  // moved out of the picture
    f.confidence = static_cast<double>(t.face.confidence);
    for (int i = 0; i < kNumLandmarks; ++i) {
      f.landmarks[i] = cv::Point2d(t.face.landmarks[i].x, t.face.landmarks[i].y);
      f.coarse_landmarks[i] = cv::Point2d(t.face.coarse_landmarks[i].x, t.face.coarse_landmarks[i].y);
    }
    f.has_coarse_landmarks = t.face.has_coarse_landmarks;
    f.track = {t.id, t.first_time, t.last_time, static_cast<int>(tracker_.frame() - t.first_frame)};
    out.push_back(f);
  }
  return out;
}

}  // namespace facerec
