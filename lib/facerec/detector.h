// Face detection: one interface, several OpenCV DNN backends, one table of detector types.
// The frame-level wrapper (processing size, mapping to frame pixels, inference interval)
// is facerec/frame_detector.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facerec/types.h"

namespace facerec {

// The values are the element's model-type enum values: never renumber.
enum class DetectorType {
  Auto = 0,       // decided from the file names given
  UltraFace = 1,  // faceplugin fr_detect.onnx (UltraFace RFB-320) + 68-point landmark net
  YuNet = 2,      // face_detection_yunet_2022mar.onnx through cv::FaceDetectorYN (5 landmarks)
  Res10Ssd = 3,   // res10 300x300 SSD: Caffe (.caffemodel + deploy.prototxt) or TF (.pb + .pbtxt)
};

struct DetectorConfig {
  DetectorType type = DetectorType::Auto;
  std::string model;      // weights; empty: the default detector
  std::string config;     // second file (deploy.prototxt / .pbtxt) where the format needs one
  std::string landmarks;  // landmark net for detectors without landmarks; empty: default
  // The landmark net's refinement pass (landmarks.h). false: the box pass only, for
  // comparisons (facerec-eval --no-refine); describe() then says so.
  bool refine_landmarks = true;
  float confidence_threshold = 0.6f;
  float nms_threshold = 0.4f;
  int min_face_size = 0;  // faces smaller than this (pixels, in the input image) are dropped
  int max_faces = 0;      // 0: no limit; otherwise the most confident N are kept
  // Mirror check (UltraFace): when a face scores below this, the detector also runs on the
  // mirror image and a more confident face found there at the same place (flipped back)
  // takes its box; 0 turns it off. UltraFace misses some left-facing profiles: on LFW
  // Jacques_Chirac_0010 its only box is on the back of the head (0.70), in the mirror
  // image it finds the face (1.00). One more network run, on frames with such a face only.
  float mirror_check_below = 0.9f;
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
  // Run-time settings (DetectorConfig's fields of the same names): they apply from the
  // next detect() and never reload a network.
  virtual void set_thresholds(float confidence, float nms) = 0;
  virtual void set_face_limits(int min_face_size, int max_faces) = 0;
  virtual DetectorType type() const = 0;
  // Files this detector was loaded from (for messages).
  virtual std::string describe() const = 0;
};

// One row per detector type. to_string(), detector_type_from_string(), the automatic
// choice of create_detector() and the facedetect-dnn element's model-type enum are all
// made from this table: adding a detector is one backend file plus one row (detector.cpp).
struct DetectorTypeInfo {
  DetectorType type;
  const char* nick;         // to_string() and the model-type value: "yunet"
  const char* aliases;      // other accepted names, comma-separated ("res10,ssd"), or ""
  const char* description;  // one line, as gst-inspect shows it
  const char* files;        // what the user gives, for messages
  const char* default_model;  // model used when none is given; nullptr: one must be given
  bool needs_config;          // a second file (config) is required
  // auto: a model or config file ending in one of these (comma-separated, lower case)
  // selects this type; otherwise a model file name containing name_hint does.
  const char* suffixes;
  const char* name_hint;
  std::unique_ptr<Detector> (*make)(const DetectorConfig&);  // nullptr for Auto
};

// Every type, Auto first, in the order the element lists them.
const std::vector<DetectorTypeInfo>& detector_types();
const DetectorTypeInfo& detector_type_info(DetectorType t);

const char* to_string(DetectorType t);
DetectorType detector_type_from_string(const std::string& s);  // throws Error on unknown
// The type create_detector() builds for cfg (cfg.type, or the table's choice for Auto).
DetectorType resolve_detector_type(const DetectorConfig& cfg);

// Loads the detector (and its landmark net where needed). Throws facerec::Error
// naming the missing or unreadable file, or the file that is not the network the type
// needs (checked by running one blank input through it).
std::unique_ptr<Detector> create_detector(const DetectorConfig& cfg);

// Greedy NMS helper shared by the backends (IoU > threshold suppressed).
std::vector<Face> non_max_suppression(std::vector<Face> faces, float iou_threshold);
float iou(const cv::Rect2f& a, const cv::Rect2f& b);

}  // namespace facerec
