// Landmark net: 68 points from a face box, reduced to the 5 alignment points.
#pragma once

#include <memory>
#include <string>

#include <opencv2/core.hpp>

#include "facerec/types.h"

namespace facerec {

// refine: after the pass on the detector box, a second pass on an upright crop framed
// by the first pass's points (see landmarks.cpp; on by default, it is what the
// detectors use). false: the box pass only (for comparisons).
class LandmarkNet {
 public:
  // Empty path: the default (fr_landmark.onnx). Throws Error naming the file when it is
  // missing, unreadable or not a 68-point landmark net.
  explicit LandmarkNet(const std::string& path, bool refine = true);
  ~LandmarkNet();
  LandmarkNet(const LandmarkNet&) = delete;
  LandmarkNet& operator=(const LandmarkNet&) = delete;
  // Fills face.landmarks from face.box. bgr is the whole image.
  void apply(const cv::Mat& bgr, Face& face);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace facerec
