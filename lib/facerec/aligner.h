// Face alignment: 5-point similarity transform onto an embedder's chip template.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facerec/types.h"

namespace facerec {

// The chip templates of models/manifest.json ("chip_templates"; ChipTemplate is in
// types.h). chip_template(name) throws Error naming the known templates when unknown.
ChipTemplate chip_template(const std::string& name);
// 150x150 dlib-style chip (padding 0.25) for the 128-d face-api/dlib ResNet.
ChipTemplate dlib_150_template();
// 96x96 OpenFace template (nn4.small2.v1.t7).
ChipTemplate openface_96_template();
// 112x112 ArcFace template (fr_feature.onnx and other ArcFace-style embedders).
ChipTemplate arcface_112_template();

// Similarity transform (rotation, uniform scale, translation) mapping the face's
// landmarks onto tmpl.points, least squares. 2x3 CV_64F.
cv::Mat similarity_transform(const Landmarks& from, const Landmarks& to);

// Warps the face into a chip of tmpl.size (BGR, 8-bit). Faces without landmarks
// get landmarks estimated from the box (less accurate).
cv::Mat align_face(const cv::Mat& bgr, const Face& face, const ChipTemplate& tmpl);

// The pixels align_face() reads: the bounding box of the chip mapped back into the
// image, plus a pixel for the interpolation (not clipped). Aligning the same face
// inside a crop of the image that holds this rectangle gives the same chip.
cv::Rect align_source_rect(const Face& face, const ChipTemplate& tmpl);

// Landmarks guessed from a face box, for faces that arrive without them.
Landmarks landmarks_from_box(const cv::Rect2f& box);

// How far apart the landmark net's two passes put the 5 points: their mean distance, in
// box widths (0 for a face without coarse_landmarks). On the 1820 faces of
// ../shared/testdata they agree to 0.011 (median; 0.020 for 9 in 10, 0.036 for 99 in 100); they part on strong profiles and faces the box frames badly, where the
// refinement, fitting a frontal mean face, can be wrong as often as the first pass.
float landmark_disagreement(const Face& face);

// Above this disagreement a face's alignment is in doubt (alignment_variants()). Measured
// on the 1820 faces of ../shared/testdata (faces + faces_unknown): 0.4 % of them are above
// 0.045 and 1.8 % above 0.03; the recognition errors it mends sit at 0.05-0.16.
constexpr float kAlignmentDoubt = 0.04f;

// The landmark sets a face is embedded under: its own; where landmark_disagreement()
// exceeds kAlignmentDoubt, also the first pass's and the midpoint of the two. The
// embedders average the embeddings of the variants (Embedder::embed_faces()). The face's
// own landmarks come first.
std::vector<Landmarks> alignment_variants(const Face& face);

}  // namespace facerec
