// Frame-level face detection: the detector run on a scaled-down copy of a video frame, the
// faces mapped back to frame pixels, and the inference interval (detect on every Nth frame,
// the frames in between get the faces of the last run through a FaceCarrier).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include <opencv2/core.hpp>

#include "facerec/detector.h"
#include "facerec/frame_source.h"
#include "facerec/types.h"

namespace facerec {

// The track a face belongs to (set by a tracking FaceCarrier; id 0: untracked).
struct FrameTrack {
  uint64_t id = 0;
  int64_t first_time = -1;  // the caller's time of the track's first detection, -1 unknown
  int64_t last_time = -1;   // ... of its latest detection
  int age = 0;              // frames since its first detection
};

// A face in frame pixels, as facedetect-dnn attaches it.
struct FrameFace {
  cv::Rect box;  // integer, inside the frame, width and height >= 1
  double confidence = 0.0;
  // types.h order, frame pixels (not clipped); placed from the box when the detector gave none
  std::array<cv::Point2d, kNumLandmarks> landmarks{};
  // The landmark net's first pass, where a refinement pass gave `landmarks` (types.h Face)
  std::array<cv::Point2d, kNumLandmarks> coarse_landmarks{};
  bool has_coarse_landmarks = false;
  FrameTrack track;
};

struct FrameDetectorSettings {
  // The detector sees the frame scaled down to fit within processing_width x
  // processing_height (0: that side unconstrained), aspect kept, never enlarged.
  int processing_width = 0;
  int processing_height = 0;
  int inference_interval = 1;  // the detector runs on every Nth frame (values < 1 count as 1)
  float confidence_threshold = 0.6f;
  float nms_threshold = 0.4f;
  int min_face_size = 0;  // frame pixels, either side; 0: keep all
  int max_faces = 0;      // the most confident N after min_face_size; 0: unlimited
};

// The faces of one frame, by decreasing confidence.
struct FrameFaces {
  std::vector<FrameFace> faces;
  bool fresh = true;  // the detector ran on this frame
};

// What the frames between two detector runs get. HoldFaces (the default) repeats the last
// run's faces unchanged; a tracker implements this interface to move them with the faces.
class FaceCarrier {
 public:
  virtual ~FaceCarrier() = default;
  // true: detected() and between() need the frame's pixels (at processing size) as well.
  virtual bool needs_image() const { return false; }
  // The detector ran on this frame and found `faces` (it may annotate them, e.g. with
  // their tracks). `time`: the caller's timestamp of the frame (-1 unknown). `image`: the
  // frame at processing size, 8-bit gray where the caller has it (the luma plane of a YUV
  // frame: no conversion), else the detector's BGR image; the same kind on every frame of
  // a stream.
  virtual void detected(std::vector<FrameFace>& faces, const cv::Mat& image, cv::Size frame,
                        int64_t time) = 0;
  // A frame without a detector run (same frame size as the last run): its faces. `image`
  // as in detected(); empty unless needs_image().
  virtual std::vector<FrameFace> between(const cv::Mat& image, cv::Size frame, int64_t time) = 0;
  virtual void reset() = 0;
};

class HoldFaces final : public FaceCarrier {
 public:
  void detected(std::vector<FrameFace>& faces, const cv::Mat&, cv::Size, int64_t) override {
    last_ = faces;
  }
  std::vector<FrameFace> between(const cv::Mat&, cv::Size, int64_t) override { return last_; }
  void reset() override { last_.clear(); }

 private:
  std::vector<FrameFace> last_;
};

class FrameDetector {
 public:
  // carrier: nullptr for HoldFaces.
  explicit FrameDetector(std::unique_ptr<Detector> detector,
                         const FrameDetectorSettings& settings = {},
                         std::unique_ptr<FaceCarrier> carrier = nullptr);

  // Thresholds and face limits go to the detector without reloading it. A change of any
  // setting the detector's answer depends on (thresholds, min_face_size, max_faces) makes
  // the next frame a detector run; processing size and interval apply from the next frame.
  void set_settings(const FrameDetectorSettings& settings);
  const FrameDetectorSettings& settings() const { return settings_; }

  // Replaces the detector (loaded elsewhere, e.g. off the streaming thread); the current
  // settings are applied to it and the next frame is a detector run.
  void set_detector(std::unique_ptr<Detector> detector);
  const Detector& detector() const { return *detector_; }

  // The size the detector sees for a frame of `frame` pixels.
  static cv::Size processing_size(cv::Size frame, int max_width, int max_height);
  cv::Size processing_size(cv::Size frame) const;

  // Whether the next frame, of this size, is a detector run: the first frame, a new size,
  // the interval elapsed, or after reset() / a settings or detector change.
  bool due(cv::Size frame) const;
  // Whether process() needs the image for the next frame of this size.
  bool needs_image(cv::Size frame) const { return due(frame) || carrier_->needs_image(); }

  // One video frame: asks `frame` only for what this frame needs, at processing_size():
  // bgr_scaled() on a detector run, gray_scaled() on every frame when the carrier follows
  // the pixels (a YUV source gives its luma plane: no colour conversion between runs).
  // A frame whose needed image the source cannot give (empty) is not analysed: no faces,
  // fresh false, nothing changes. Otherwise as process() below.
  FrameFaces process(FrameSource& frame, int64_t time = -1);

  // One frame. image: the frame at processing_size(frame), 8-bit BGR; needed when
  // due(frame), may be empty otherwise. gray: the same frame in 8-bit gray for the carrier
  // (FaceCarrier::detected/between), optional: without it the carrier gets `image`, so
  // between runs `image` is then needed when needs_image(). Give gray on every frame of a
  // stream or on none (the tracker's optical flow compares consecutive images).
  // If the detector throws, the frame counts as a run that found nothing (the interval
  // goes on) and the exception is rethrown.
  FrameFaces process(const cv::Mat& image, cv::Size frame, int64_t time = -1, const cv::Mat& gray = cv::Mat());

  // Replaces the carrier (e.g. tracking switched on or off); the next frame is a run.
  void set_carrier(std::unique_ptr<FaceCarrier> carrier);
  const FaceCarrier& carrier() const { return *carrier_; }

  // Flush, seek, new stream, new caps: the next frame is a detector run.
  void reset();

  // The detector's faces on `image` (a scaled copy of a `frame`-sized frame) in frame pixels:
  // boxes and landmarks scaled, boxes made integer and clipped (clip_box), then
  // min_face_size applied and max_faces kept, in the detector's (confidence) order.
  static std::vector<FrameFace> to_frame(const std::vector<Face>& faces, cv::Size image,
                                         cv::Size frame, int min_face_size, int max_faces);
  // The smallest integer box holding b, cut to the frame; false if none is left (or b is
  // not finite).
  static bool clip_box(const cv::Rect2f& b, cv::Size frame, cv::Rect& out);

 private:
  void apply_settings_to_detector();

  std::unique_ptr<Detector> detector_;
  std::unique_ptr<FaceCarrier> carrier_;
  FrameDetectorSettings settings_;
  // interval state
  bool have_last_ = false;  // a detector run happened since the last reset
  cv::Size last_size_;      // the frame size of that run
  long long frames_since_ = 0;  // frames since that run
};

}  // namespace facerec
