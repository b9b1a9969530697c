// TrackFaces: the FaceCarrier that gives facedetect-dnn's faces track ids and
// moves them between detector runs.
//
// On a frame the detector ran on, the faces go through the Tracker (ids,
// first/last detection, age). On the frames in between (inference-interval > 1)
// each face reported at the last run is followed on the pixels by optical flow
// (FaceFlow, on a gray copy of the processing-size image) and fed to the tracker
// with move(); where the flow finds too little to follow, the tracker's motion
// model places it. Faces moved wholly out of the frame are not reported.
#pragma once

#include <memory>

#include "facerec/face_flow.h"
#include "facerec/frame_detector.h"
#include "facerec/tracker.h"

namespace facerec {

struct TrackFacesConfig {
  TrackerConfig tracker;
  FaceFlowConfig flow;
  bool use_flow = true;  // false: the motion model alone between runs
};

class TrackFaces final : public FaceCarrier {
 public:
  explicit TrackFaces(const TrackFacesConfig& config = {});

  bool needs_image() const override { return config_.use_flow; }
  void detected(std::vector<FrameFace>& faces, const cv::Mat& image, cv::Size frame, int64_t time) override;
  std::vector<FrameFace> between(const cv::Mat& image, cv::Size frame, int64_t time) override;
  void reset() override;

  const Tracker& tracker() const { return tracker_; }
  // Faces the flow followed / the motion model placed, since construction.
  uint64_t followed() const { return followed_; }
  uint64_t guessed() const { return guessed_; }

 private:
  // Builds the pyramid of `image` into spare_ (empty when flow is off or no image).
  void make_pyramid(const cv::Mat& image);
  std::vector<FrameFace> to_frame_faces(const std::vector<Track>& tracks, cv::Size frame) const;

  TrackFacesConfig config_;
  Tracker tracker_;
  FaceFlow flow_;
  FaceFlow::Pyramid prev_pyr_;  // the last frame's image pyramid (built once per frame)
  // The current frame's pyramid, then (swapped) the buffers the next one is built in, and
  // the grey image: reused from frame to frame instead of ~1.3 MB (640x360) allocated and
  // freed per frame, which glibc keeps per streaming thread once its mmap threshold has
  // risen (bench/README.md, facerec-pipeline-speed, "Peak RSS").
  FaceFlow::Pyramid spare_;
  cv::Mat gray_;
  double scale_ = 1.0;  // image pixels per frame pixel
  uint64_t followed_ = 0, guessed_ = 0;
};

}  // namespace facerec
