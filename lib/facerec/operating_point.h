// The operating point of the unknown gate: the distance threshold chosen from
// the enrolment data when none is given.
#pragma once

#include <cstddef>
#include <vector>

#include "facerec/types.h"

namespace facerec {

// Where choose_distance_threshold looks, and what it falls back to. The defaults
// are measured for the default 128-d embedder (raw embeddings, dlib convention:
// < 0.6 = same person; see operating_point.cpp). An embedder with other distances
// (e.g. unit-norm 512-d vectors, where the same person is around 1.0) needs its
// own range and prior, measured on its embeddings.
struct ThresholdSearch {
  float min = 0.45f;           // grid start, and the lowest threshold returned
  float max = 0.60f;           // grid end, and the highest threshold returned
  double step = 0.005;         // grid step
  float prior = 0.55f;         // shrink target; the answer with too little data
  double prior_weight = 50.0;  // genuine distances worth as much as the prior
  std::size_t min_genuine = 4;   // fewer genuine distances: the prior
  std::size_t min_impostor = 4;  // fewer impostor distances: the prior
};

// The unknown-gate threshold Classifier::train picks when
// TrainOptions::distance_threshold <= 0: balanced-error optimum of leave-one-out
// same-person and nearest-other-person distances of the enrolment data within
// [search.min, search.max], shrunk towards search.prior (see operating_point.cpp);
// search.prior when there is too little data (then *from_data = false).
// samples[i] belongs to person label_ids[i]. Throws Error for an invalid search.
float choose_distance_threshold(const std::vector<Embedding>& samples, const std::vector<int>& label_ids,
                                bool* from_data = nullptr, const ThresholdSearch& search = {});

}  // namespace facerec
