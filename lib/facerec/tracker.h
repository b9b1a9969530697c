// Face tracking: stable ids for the faces of consecutive frames, and positions for
// the frames on which the detector does not run.
//
// Rules (frame-based; the caller's timestamps are only recorded):
//  - update() is called on a frame on which the detector ran. Every live track is
//    first predicted to this frame (constant velocity of its box centre and a
//    constant rate of its size, both smoothed over the detections it matched).
//    Detections are then associated with predictions, greedily by decreasing IoU
//    while IoU >= iou_threshold; the faces left over get a second, greedy pass by
//    the distance between box centres relative to the box size (<= max_centre_shift,
//    sizes within a factor of max_size_ratio): a small face that moved more than its
//    width between two detector runs has no overlap left, but is still the same face.
//    A matched track takes the detection's box, landmarks and confidence. Every
//    unmatched detection starts a new track at once (the detector's confidence
//    threshold is the false-positive filter: no face is hidden while a track is
//    young). A track that matched nothing is "lost": it keeps coasting on its
//    motion model (its velocity damped), is not reported, and is dropped once it
//    has gone more than max_lost_frames frames without a detection; a detection
//    that matches it within that time gets the old id back.
//  - predict() is called on a frame without detection: the tracks reported at the
//    last detector run move by their motion model (or, where the caller measured
//    it on the pixels, to the positions given with move()); they are reported again.
//  - Ids start at 1 and only grow within one Tracker, also across reset() (a seek
//    or flush forgets the tracks but never hands an old id to a new face).
#pragma once

#include <cstdint>
#include <vector>

#include "facerec/types.h"

namespace facerec {

struct TrackerConfig {
  float iou_threshold = 0.3f;      // first pass: predicted box vs detection
  float max_centre_shift = 0.75f;  // second pass: centre distance / mean box side
  float max_size_ratio = 1.5f;     // second pass: larger side / smaller side
  int max_lost_frames = 25;        // frames a track survives without a detection
  float velocity_smoothing = 0.6f; // weight of the newest velocity measurement
  float lost_velocity_decay = 0.8f;// per frame, while a track coasts unreported
};

struct Track {
  uint64_t id = 0;
  Face face;                  // where the face is on the current frame (frame pixels)
  int64_t first_frame = 0;    // frame index (Tracker's count) of its first detection
  int64_t last_frame = 0;     // frame index of its latest detection
  int64_t first_time = -1;    // the caller's time (ns) at first_frame, -1 unknown
  int64_t last_time = -1;     // the caller's time (ns) at last_frame
  int hits = 0;               // detections matched, the first one included
  int lost = 0;               // frames since last_frame
  bool detected = false;      // matched a detection on the current frame
  bool reported = false;      // part of the current frame's result
  cv::Point2f velocity{0.f, 0.f};  // box centre, pixels per frame
  float size_rate = 1.f;           // box size ratio per frame
  cv::Rect2f detected_box;         // the box of its latest detection
  int rank = 0;                    // position in the latest update()'s result
};

class Tracker {
 public:
  explicit Tracker(const TrackerConfig& config = {});

  // A frame on which the detector ran (detections in frame pixels, any order).
  // Returns the tracks of this frame's faces, in the order of `detections`.
  std::vector<Track> update(const std::vector<Face>& detections, int64_t time_ns = -1);

  // A frame without detection: the tracks reported at the last update(), moved.
  std::vector<Track> predict(int64_t time_ns = -1);

  // Before predict(): the face of track `id` as measured on this frame's pixels
  // (e.g. by optical flow). Replaces the motion model's guess for this frame and
  // feeds its velocity. Returns false for an unknown or unreported id.
  bool move(uint64_t id, const Face& face);

  // Forgets every track (seek, flush, new stream); ids keep growing.
  void reset();

  void set_config(const TrackerConfig& config) { config_ = config; }
  const TrackerConfig& config() const { return config_; }
  // All live tracks (reported and lost).
  const std::vector<Track>& tracks() const { return tracks_; }
  int64_t frame() const { return frame_; }  // index of the current frame, -1 before the first

 private:
  void advance(int64_t time_ns);
  std::vector<Track> reported() const;

  TrackerConfig config_;
  std::vector<Track> tracks_;
  std::vector<bool> moved_;  // per track: move() was called for the coming frame
  uint64_t next_id_ = 1;
  int64_t frame_ = -1;
};

// Box moved by a velocity and a size rate over `frames` frames, about its centre.
cv::Rect2f predict_box(const cv::Rect2f& box, const cv::Point2f& velocity, float size_rate, int frames);

// The face moved the way its box moved from `from` to `to` (landmarks follow the
// box: same translation of the centre and scale about it).
Face move_face(const Face& face, const cv::Rect2f& from, const cv::Rect2f& to);

}  // namespace facerec
