// Internal helpers shared by the lib/ units (not installed, not part of the API).
// One header instead of hand-written forward declarations in each .cpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "facerec/detector.h"
#include "facerec/embedder.h"

namespace facerec {
namespace detail {

// models.cpp: loads an OpenCV DNN network, choosing the reader from the file extension.
// Checks every file first and turns OpenCV's parse errors into facerec::Error.
cv::dnn::Net read_dnn(const std::string& model, const std::string& config);

// "[1,4420,2]": a blob's shape, for messages.
std::string shape_string(const cv::Mat& m);

// detector.cpp: clip to the image, drop degenerate / too small boxes, sort by decreasing
// confidence, cap at cfg.max_faces. Shared by the backends.
std::vector<Face> finish_faces(std::vector<Face> faces, const cv::Size& img,
                               const DetectorConfig& cfg);

// detector.cpp: the mirror check (DetectorConfig::mirror_check_below). `mirrored`: the faces
// found in the mirror image of an image `width` pixels wide (in the mirror's pixels). Each
// face of `faces` scoring under `below` takes the box and score of the mirror face that,
// flipped back, overlaps it most (IoU >= kMirrorMatchIou) and scores higher, unless that
// mirror face overlaps another face of `faces` more. Returns how many faces changed.
constexpr float kMirrorMatchIou = 0.25f;
int apply_mirror_check(std::vector<Face>& faces, const std::vector<Face>& mirrored, int width, float below);

// detector.cpp: the input as 8-bit, 3-channel BGR (gray and BGRA are converted).
cv::Mat to_bgr8(const cv::Mat& img);

// detector.cpp: what cv::dnn::blobFromImage(bgr, scale, size, mean, swap_rb, false, CV_32F)
// gives (a 1x3xHxW float blob; plane k = (channel k, or 2-k with swap_rb, - mean[k]) * scale),
// in one pass and into buffers kept by the caller: `resized` (8-bit, `size`) and `blob`.
// blobFromImage allocates a float copy of the image and walks it three times per call; on
// this project's 2-core VM the fresh pages alone cost more than the pass (bench/README.md,
// "Where the time goes"). `bgr`: 8-bit, 3 channels.
void blob_from_bgr(const cv::Mat& bgr, cv::Size size, double scale, const cv::Scalar& mean, bool swap_rb,
                   cv::Mat& resized, cv::Mat& blob);

// The part every backend shares: its configuration, changed at run time by the setters
// (no network is reloaded; detect() reads cfg_ on every call).
class DetectorBase : public Detector {
 public:
  explicit DetectorBase(const DetectorConfig& cfg) : cfg_(cfg) {}
  void set_thresholds(float confidence, float nms) override {
    cfg_.confidence_threshold = confidence;
    cfg_.nms_threshold = nms;
  }
  void set_face_limits(int min_face_size, int max_faces) override {
    cfg_.min_face_size = min_face_size;
    cfg_.max_faces = max_faces;
  }

 protected:
  DetectorConfig cfg_;
};

// embedder_dnn.cpp: the OpenCV DNN embedder (the manifest's "opencv-dnn" runner).
std::unique_ptr<Embedder> make_dnn_embedder(const EmbedderSpec& spec);

// manifest_data.cpp, written from models/manifest.json at build time (lib/embed_manifest.py).
extern const char kBuiltinManifest[];
extern const std::size_t kBuiltinManifestSize;

// Backend factories, one per backend file; the detector-type table (detector.cpp) names them.
std::unique_ptr<Detector> make_ultraface_detector(const DetectorConfig& cfg);
std::unique_ptr<Detector> make_yunet_detector(const DetectorConfig& cfg);
std::unique_ptr<Detector> make_ssd_detector(const DetectorConfig& cfg);

}  // namespace detail
}  // namespace facerec
