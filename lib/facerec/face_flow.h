// Following faces on the pixels between detector runs: pyramidal Lucas-Kanade
// optical flow on points of each face, a similarity transform fitted to the
// points that followed, applied to the box and the landmarks.
//
// Points per face: the 5 landmarks plus up to max_corners good features to
// track (Shi-Tomasi) inside the box. A point counts when the backward flow
// brings it back within max_fb_error pixels (forward-backward check). The
// transform (rotation, uniform scale, translation) is fitted by least squares,
// refitted without the points more than 2 image pixels off (a hand or the
// background moving differently), and needs at least min_points of them, else
// the face is not followed (the caller falls back on the tracker's motion model).
#pragma once

#include <optional>
#include <vector>

#include <opencv2/core.hpp>

#include "facerec/types.h"

namespace facerec {

struct FaceFlowConfig {
  int max_corners = 24;
  int min_points = 6;
  float max_fb_error = 1.0f;  // pixels of the flow images
  int window = 15;            // LK window side
  int levels = 3;             // pyramid levels above the image
  // false (default): the box moves with the points, its size stays; measured with
  // bench/facerec-tracking-quality (interval 4): as good or better than with scale on
  // every clip set (0.917 vs 0.916 mean IoU on the walking clips, 0.952 vs 0.950 on
  // the head-pose clips, 0.977 vs 0.978 on cap13) and cheaper.
  bool estimate_scale = false;
};

class FaceFlow {
 public:
  explicit FaceFlow(const FaceFlowConfig& config = {}) : config_(config) {}

  // prev, cur: 8-bit single-channel images of the same size (a scaled copy of the
  // frames is enough). faces: positions on the previous frame in frame pixels;
  // scale: image pixels per frame pixel (image = frame * scale). Returns, per
  // face, where it is on the current frame (frame pixels), or nullopt.
  std::vector<std::optional<Face>> follow(const cv::Mat& prev, const cv::Mat& cur,
                                          const std::vector<Face>& faces, double scale = 1.0) const;

  // The same from image pyramids made by pyramid(): a caller following faces through a
  // video builds each frame's pyramid once and uses it as `cur`, then as `prev`.
  using Pyramid = std::vector<cv::Mat>;
  Pyramid pyramid(const cv::Mat& gray) const;
  // The same into `out`, reusing its buffers when the size is unchanged (a video's
  // frames: no allocation per frame). `out` is cleared when `gray` is not CV_8UC1.
  void pyramid(const cv::Mat& gray, Pyramid& out) const;
  std::vector<std::optional<Face>> follow(const Pyramid& prev, const Pyramid& cur,
                                          const std::vector<Face>& faces, double scale = 1.0) const;

 private:
  FaceFlowConfig config_;
};

}  // namespace facerec
