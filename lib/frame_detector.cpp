// Frame-level detection: processing size, mapping to frame pixels, the inference interval.
#include "facerec/frame_detector.h"

#include <algorithm>
#include <cmath>

#include "facerec/aligner.h"

namespace facerec {

FrameDetector::FrameDetector(std::unique_ptr<Detector> detector,
                             const FrameDetectorSettings& settings,
                             std::unique_ptr<FaceCarrier> carrier)
    : detector_(std::move(detector)),
      carrier_(carrier ? std::move(carrier) : std::make_unique<HoldFaces>()),
      settings_(settings) {
  if (!detector_) throw Error("", "FrameDetector needs a detector");
  apply_settings_to_detector();
}

// min_face_size counts frame pixels, so it is applied here after mapping (and then
// max_faces). The detector caps the count itself only where no size filter follows: that
// saves the landmark net's runs on faces that would be dropped.
void FrameDetector::apply_settings_to_detector() {
  detector_->set_thresholds(settings_.confidence_threshold, settings_.nms_threshold);
  detector_->set_face_limits(0, settings_.min_face_size > 0 ? 0 : settings_.max_faces);
}

void FrameDetector::set_settings(const FrameDetectorSettings& s) {
  const FrameDetectorSettings& o = settings_;
  const bool answer_changed = s.confidence_threshold != o.confidence_threshold ||
                              s.nms_threshold != o.nms_threshold ||
                              s.min_face_size != o.min_face_size || s.max_faces != o.max_faces;
  settings_ = s;
  if (answer_changed) {
    apply_settings_to_detector();
    have_last_ = false;  // detect with the new settings right away
  }
}

void FrameDetector::set_detector(std::unique_ptr<Detector> detector) {
  if (!detector) throw Error("", "FrameDetector needs a detector");
  detector_ = std::move(detector);
  apply_settings_to_detector();
  have_last_ = false;
}

cv::Size FrameDetector::processing_size(cv::Size frame, int max_width, int max_height) {
  double scale = 1.0;
  if (max_width > 0) scale = std::min(scale, static_cast<double>(max_width) / frame.width);
  if (max_height > 0) scale = std::min(scale, static_cast<double>(max_height) / frame.height);
  if (scale >= 1.0) return frame;
  return {std::max(1, static_cast<int>(std::lround(frame.width * scale))),
          std::max(1, static_cast<int>(std::lround(frame.height * scale)))};
}

cv::Size FrameDetector::processing_size(cv::Size frame) const {
  return processing_size(frame, settings_.processing_width, settings_.processing_height);
}

bool FrameDetector::due(cv::Size frame) const {
  return !have_last_ || last_size_ != frame ||
         frames_since_ + 1 >= static_cast<long long>(std::max(1, settings_.inference_interval));
}

void FrameDetector::set_carrier(std::unique_ptr<FaceCarrier> carrier) {
  carrier_ = carrier ? std::move(carrier) : std::make_unique<HoldFaces>();
  have_last_ = false;
}

FrameFaces FrameDetector::process(FrameSource& source, int64_t time) {
  const cv::Size frame = source.size();
  const cv::Size ps = processing_size(frame);
  cv::Mat image, gray;
  if (due(frame) && (image = source.bgr_scaled(ps)).empty()) return FrameFaces{{}, false};
  if (carrier_->needs_image() && (gray = source.gray_scaled(ps)).empty()) return FrameFaces{{}, false};
  return process(image, frame, time, gray);
}

FrameFaces FrameDetector::process(const cv::Mat& image, cv::Size frame, int64_t time, const cv::Mat& gray) {
  FrameFaces out;
  const cv::Mat& carried = gray.empty() ? image : gray;
  if (!due(frame)) {
    ++frames_since_;
    out.faces = carrier_->between(carried, frame, time);
    out.fresh = false;
    return out;
  }
  have_last_ = true;
  last_size_ = frame;
  frames_since_ = 0;
  try {
    out.faces = to_frame(detector_->detect(image), image.size(), frame, settings_.min_face_size,
                         settings_.max_faces);
  } catch (...) {
    std::vector<FrameFace> none;
    carrier_->detected(none, carried, frame, time);
    throw;
  }
  carrier_->detected(out.faces, carried, frame, time);
  return out;
}

void FrameDetector::reset() {
  have_last_ = false;
  last_size_ = cv::Size();
  frames_since_ = 0;
  carrier_->reset();
}

bool FrameDetector::clip_box(const cv::Rect2f& b, cv::Size frame, cv::Rect& out) {
  if (!std::isfinite(b.x) || !std::isfinite(b.y) || !std::isfinite(b.width) ||
      !std::isfinite(b.height))
    return false;
  const int fw = frame.width, fh = frame.height;
  const double x0 = std::max(0.0, std::floor(static_cast<double>(b.x)));
  const double y0 = std::max(0.0, std::floor(static_cast<double>(b.y)));
  const double x1 = std::min(static_cast<double>(fw), std::ceil(static_cast<double>(b.x + b.width)));
  const double y1 = std::min(static_cast<double>(fh), std::ceil(static_cast<double>(b.y + b.height)));
  if (x0 >= fw || y0 >= fh || x1 <= 0 || y1 <= 0) return false;
  out.x = static_cast<int>(x0);
  out.y = static_cast<int>(y0);
  out.width = std::min(std::max(1, static_cast<int>(x1 - x0)), fw - out.x);
  out.height = std::min(std::max(1, static_cast<int>(y1 - y0)), fh - out.y);
  return out.width >= 1 && out.height >= 1;
}

std::vector<FrameFace> FrameDetector::to_frame(const std::vector<Face>& faces, cv::Size image,
                                               cv::Size frame, int min_face_size, int max_faces) {
  std::vector<FrameFace> out;
  if (image.width <= 0 || image.height <= 0) return out;
  const double sx = static_cast<double>(frame.width) / image.width;
  const double sy = static_cast<double>(frame.height) / image.height;
  // The backends return faces by decreasing confidence; keep that order whatever the source
  // (max_faces keeps the most confident).
  std::vector<const Face*> order;
  for (const Face& f : faces) order.push_back(&f);
  std::stable_sort(order.begin(), order.end(),
                   [](const Face* a, const Face* b) { return a->confidence > b->confidence; });
  for (const Face* fp : order) {
    const Face& f = *fp;
    const cv::Rect2f box(static_cast<float>(f.box.x * sx), static_cast<float>(f.box.y * sy),
                         static_cast<float>(f.box.width * sx), static_cast<float>(f.box.height * sy));
    FrameFace ff;
    if (!clip_box(box, frame, ff.box)) continue;
    if (min_face_size > 0 && std::min(ff.box.width, ff.box.height) < min_face_size) continue;
    ff.confidence = static_cast<double>(f.confidence);
    const Landmarks lm = f.has_landmarks ? f.landmarks : landmarks_from_box(f.box);
    for (size_t i = 0; i < lm.size(); ++i)
      ff.landmarks[i] = cv::Point2d(static_cast<double>(lm[i].x) * sx, static_cast<double>(lm[i].y) * sy);
    ff.has_coarse_landmarks = f.has_landmarks && f.has_coarse_landmarks;
    if (ff.has_coarse_landmarks)
      for (size_t i = 0; i < lm.size(); ++i)
        ff.coarse_landmarks[i] = cv::Point2d(static_cast<double>(f.coarse_landmarks[i].x) * sx,
                                             static_cast<double>(f.coarse_landmarks[i].y) * sy);
    out.push_back(ff);
    if (max_faces > 0 && out.size() >= static_cast<size_t>(max_faces)) break;
  }
  return out;
}

}  // namespace facerec
