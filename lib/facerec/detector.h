// Face detection: one interface, several OpenCV DNN backends.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facerec/types.h"

namespace facerec {

enum class DetectorType {
  Auto,       // decided from the file names given
  UltraFace,  // faceplugin fr_detect.onnx (UltraFace RFB-320) + 68-point landmark net
  YuNet,      // face_detection_yunet_2022mar.onnx through cv::FaceDetectorYN (5 landmarks)
  Res10Ssd,   // res10 300x300 SSD: Caffe (.caffemodel + deploy.prototxt) or TF (.pb + .pbtxt)
};

const char* to_string(DetectorType t);
DetectorType detector_type_from_string(const std::string& s);  // throws Error on unknown

struct DetectorConfig {
  DetectorType type = DetectorType::Auto;
  std::string model;      // weights; empty: the default detector
  std::string config;     // second file (deploy.prototxt / .pbtxt) where the format needs one
  std::string landmarks;  // landmark net for detectors without landmarks; empty: default
  float confidence_threshold = 0.6f;
  float nms_threshold = 0.4f;
  int min_face_size = 0;  // faces smaller than this (pixels, in the input image) are dropped
  int max_faces = 0;      // 0: no limit; otherwise the most confident N are kept
  // No thread setting: OpenCV's thread count (cv::setNumThreads) is process-wide, so a
  // detector must not change it for every other network and stream of the process. The
  // library leaves it alone; an application that wants fewer threads calls
  // cv::setNumThreads() itself. Networks are shared per file (net_registry.h).
};

class Detector {
 public:
  virtual ~Detector() = default;
  // img: 8-bit BGR image (any size >= 1x1, any stride). Returns faces in img's pixels,
  // boxes clipped to the image, sorted by decreasing confidence, each with 5 landmarks.
  virtual std::vector<Face> detect(const cv::Mat& bgr) = 0;
  virtual DetectorType type() const = 0;
  // Files this detector was loaded from (for messages).
  virtual std::string describe() const = 0;
};

// Loads the detector (and its landmark net where needed). Throws facerec::Error
// naming the missing or unreadable file.
std::unique_ptr<Detector> create_detector(const DetectorConfig& cfg);

// Landmark net: 68 points from a face box, reduced to the 5 alignment points.
// refine: after the pass on the detector box, a second pass on an upright crop framed
// by the first pass's points (see landmarks.cpp; on by default, it is what the
// detectors use). false: the box pass only (for comparisons).
class LandmarkNet {
 public:
  explicit LandmarkNet(const std::string& path, bool refine = true);  // throws Error
  ~LandmarkNet();
  LandmarkNet(const LandmarkNet&) = delete;
  LandmarkNet& operator=(const LandmarkNet&) = delete;
  // Fills face.landmarks from face.box. bgr is the whole image.
  void apply(const cv::Mat& bgr, Face& face);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Greedy NMS helper shared by the backends (IoU > threshold suppressed).
std::vector<Face> non_max_suppression(std::vector<Face> faces, float iou_threshold);
float iou(const cv::Rect2f& a, const cv::Rect2f& b);

}  // namespace facerec
