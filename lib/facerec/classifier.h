// Identity classifier: libsvm C-SVC over embeddings, plus an "unknown" gate
// on the distance to the enrolled embeddings.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "facerec/types.h"

namespace facerec {

struct TrainOptions {
  std::string kernel = "linear";  // "linear" or "rbf"
  double C = 10.0;
  double gamma = 0.0;             // rbf only; 0: 1/dim
  // Distance gate: a face farther than this from every enrolled embedding of the
  // predicted person is unknown. <= 0: chosen from the data (see Classifier::train).
  float distance_threshold = 0.f;
};

// A trained model on disk is two files:
//   MODEL      JSON (cv::FileStorage): format version, embedder id and dimension,
//              labels, unknown-gate threshold, the enrolled embeddings, and the
//              name of the libsvm file
//   MODEL.svm  libsvm's own text model (absent when only one person is enrolled:
//              then the gate alone decides)
class Classifier {
 public:
  Classifier();
  ~Classifier();
  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;

  // samples[i] belongs to labels[label_ids[i]]. Throws Error on inconsistent input.
  static Classifier train(const std::vector<Embedding>& samples,
                          const std::vector<int>& label_ids,
                          const std::vector<std::string>& labels,
                          const std::string& embedder_id,
                          const TrainOptions& opts = {});

  // Throws Error naming the file: missing, unreadable, wrong format, libsvm file
  // missing, number of classes in the SVM != number of labels, ...
  static Classifier load(const std::string& path);
  void save(const std::string& path) const;  // throws Error

  Match classify(const Embedding& e) const;

  const std::vector<std::string>& labels() const;
  const std::string& embedder_id() const;
  int dim() const;
  float distance_threshold() const;
  void set_distance_threshold(float t);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The unknown-gate threshold Classifier::train picks when
// TrainOptions::distance_threshold <= 0: balanced-error optimum of leave-one-out
// same-person and nearest-other-person distances of the enrolment data within
// [0.45, 0.6], shrunk towards 0.55 (see classifier.cpp); 0.55 when there is too
// little data (then *from_data = false).
float choose_distance_threshold(const std::vector<Embedding>& samples,
                                const std::vector<int>& label_ids,
                                bool* from_data = nullptr);

}  // namespace facerec
