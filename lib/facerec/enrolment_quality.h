// Enrolment quality: what makes an enrolment image a poor or redundant example of a
// person, measured from what enrolment already has (the face box, its 5 landmarks, the
// aligned chip, the embedding). facerec-train lists the flagged images as warnings and
// still enrols them (the user decides); video enrolment uses the score to pick frames.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facerec/types.h"

namespace facerec {

struct EnrolmentResult;

struct FaceQuality {
  bool measured = false;  // false: no face, or an entry made before quality was measured
  float size = 0.f;       // shorter side of the face box, pixels
  // Variance of the Laplacian of the grey chip over the variance of the grey chip
  // (contrast-independent): high for a crisp face, low for a blurred or upscaled one.
  float sharpness = 0.f;
  // Turn: offset of the nose tip from the eye midpoint along the eye line, over the eye
  // distance (0 frontal; about 0.4 at a three-quarter view; signed: + to the image right).
  float turn = 0.f;
};

// The bars below which an image is flagged, measured on the 1,720 faces of
// ../shared/testdata/faces (87 LFW people, default embedder, picked face of each image):
struct QualityLimits {
  // Shorter box side: every shared face is >= 64 px (LFW crops); under 50 px the 112 px
  // chip is an upscaled, soft copy. Flags 0 of 1,720.
  float min_size = 50.f;
  // Sharpness: shared faces 1st percentile 0.013, median 0.054; the 8 under 0.010 are all
  // visibly soft or out of focus (Yao_Ming_0001, Nestor_Kirchner_0007, Jacques_Chirac_0010,
  // ...). A Gaussian blur of sigma 3 takes Al_Gore_0001 from 0.028 to 0.005.
  float min_sharpness = 0.010f;
  // |turn|: shared faces median 0.085, 99th percentile 0.33; the 11 over 0.35 are all
  // three-quarter views (Alejandro_Toledo_0018 0.45, Ian_Thorpe_0007 0.40, ...). The
  // landmark net places strong profiles like a three-quarter view, so a full profile may
  // score lower than it is turned (Jacques_Chirac_0006: 0.10).
  float max_turn = 0.35f;
  // Near-duplicates: cosine distance between two embeddings of the same person. The two
  // closest pairs of the shared set are the same press photo twice (Ari_Fleischer_0006 /
  // _0011 0.0085, Julie_Gerberding_0004 / _0006 0.0093); the next is two photos of one
  // interview (John_Kerry_0009 / _0010, 0.038); different photos: 1st percentile 0.14.
  // Measured with the default embedder (faceplugin-feature-128).
  float duplicate_distance = 0.02f;
};

// Measures the quality of `face` (with landmarks) given its aligned chip (BGR, any size).
FaceQuality measure_quality(const cv::Mat& chip, const Face& face);

// What makes the face poor, one phrase per problem ("small face (38 px < 50 px)",
// "blurred (sharpness 0.004 < 0.010)", "turned away (turn 0.41 > 0.35)"); empty: none,
// or not measured.
std::vector<std::string> quality_problems(const FaceQuality& q, const QualityLimits& lim = {});

// One number for ranking faces of one person (video frames): the product of size,
// sharpness and frontalness, each relative to twice its bar and capped at 1 (so 1 is
// "comfortably good" on all three); 0 when not measured.
float quality_score(const FaceQuality& q, const QualityLimits& lim = {});

// 1 - cosine similarity of two embeddings of the same length (0 identical, 1 orthogonal).
float cosine_distance(const Embedding& a, const Embedding& b);

// A warning about one enrolled still image (res.images[image]).
struct EnrolmentWarning {
  size_t image = 0;
  std::string text;  // "poor: blurred (sharpness 0.004 < 0.010)" or "near-duplicate of X (...)"
};

// Reviews the used still images of every person (video frames are picked by
// enrol_video, which already avoids near-duplicates): poor faces (quality_problems), and
// images whose embedding is within lim.duplicate_distance of an earlier image of the same
// person ("identical copy of FILE" when the two files hold the same bytes, else
// "near-duplicate of FILE (cosine distance 0.008)"). In the order of res.images.
std::vector<EnrolmentWarning> review_enrolment(const EnrolmentResult& res, const QualityLimits& lim = {});

// True when the two files exist and hold the same bytes.
bool same_file_content(const std::string& a, const std::string& b);

}  // namespace facerec
