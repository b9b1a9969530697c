// gst-facerec core types: plain C++ values passed between the pipeline stages.
// No GStreamer dependency.
#pragma once

#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace facerec {

// Number of landmarks carried with every face.
constexpr int kNumLandmarks = 5;

// Landmark order (the YuNet order), as seen in the image:
//   0 eye on the image left   (the subject's right eye)
//   1 eye on the image right  (the subject's left eye)
//   2 nose tip
//   3 mouth corner on the image left
//   4 mouth corner on the image right
using Landmarks = std::array<cv::Point2f, kNumLandmarks>;

// Where the 5 landmarks (order above) should land in an embedder's chip of `size`
// pixels. The templates are described in models/manifest.json ("chip_templates").
struct ChipTemplate {
  std::string name;
  cv::Size size;
  Landmarks points{};
};

// One detected face, in the pixel coordinates of the image given to the detector.
struct Face {
  cv::Rect2f box;          // top-left + size, clipped to the image
  float confidence = 0.f;  // detector score, 0..1
  Landmarks landmarks{};   // see the order above
  bool has_landmarks = false;
  // The landmark net's first pass (on the detector box), kept when a refinement pass
  // gave `landmarks` (landmarks.h). Where the two passes disagree, the face's alignment
  // is in doubt and it is embedded under both (alignment_variants(), aligner.h).
  Landmarks coarse_landmarks{};
  bool has_coarse_landmarks = false;
};

// Moves every point a face carries (its landmarks and the first-pass ones): whatever
// moves a face's landmarks goes through this, so that the two sets stay together.
template <class Fn>
void move_points(Face& face, Fn&& fn) {
  for (cv::Point2f& p : face.landmarks) p = fn(p);
  for (cv::Point2f& p : face.coarse_landmarks) p = fn(p);
}

using Embedding = std::vector<float>;

// Result of classifying one embedding.
struct Match {
  bool known = false;    // false: the face is not one of the enrolled people
  int label_id = -1;     // index into the model's labels, -1 when unknown
  std::string label;     // name, empty when unknown
  float score = 0.f;     // classifier confidence 0..1 (SVM probability of label_id)
  float distance = 0.f;  // Euclidean distance to the nearest enrolled embedding of that person
  // The best candidate even when rejected as unknown (for diagnostics).
  int candidate_id = -1;
};

// Every failure of the core library: names the file involved (may be empty)
// and says what to do about it.
class Error : public std::runtime_error {
 public:
  Error(std::string file, const std::string& message)
      : std::runtime_error(file.empty() ? message : file + ": " + message),
        file_(std::move(file)) {}
  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

}  // namespace facerec
