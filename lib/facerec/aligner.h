// Face alignment: 5-point similarity transform onto an embedder's chip template.
#pragma once

#include <string>

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

}  // namespace facerec
