// Identity classifier: libsvm C-SVC over embeddings (facerec/svm.h), plus an
// "unknown" gate on the distance to the enrolled embeddings (facerec/gallery.h).
// The model files are described in facerec/model_file.h, the automatic gate
// threshold in facerec/operating_point.h.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "facerec/operating_point.h"
#include "facerec/types.h"

namespace facerec {

struct ModelContents;

struct TrainOptions {
  std::string kernel = "linear";  // "linear" or "rbf"
  double C = 10.0;
  double gamma = 0.0;             // rbf only; 0: 1/dim
  // Distance gate: a face farther than this from every enrolled embedding of the
  // predicted person is unknown. <= 0: chosen from the data with threshold_search
  // (choose_distance_threshold).
  float distance_threshold = 0.f;
  // Unset: the embedder's own (threshold_search_for(embedder_id), from the manifest):
  // the range must follow the embedder's distances.
  std::optional<ThresholdSearch> threshold_search;
};

// Immutable once trained or loaded. A Classifier is a cheap handle: copies share
// the same read-only model, so any number of threads and elements can classify
// with it (and with copies of it) without locks.
class Classifier {
 public:
  Classifier();  // empty: classify() throws until a trained or loaded one is assigned
  ~Classifier();
  Classifier(const Classifier&);
  Classifier& operator=(const Classifier&);
  Classifier(Classifier&&) noexcept;
  Classifier& operator=(Classifier&&) noexcept;

  // samples[i] belongs to labels[label_ids[i]]. Throws Error on inconsistent input.
  static Classifier train(const std::vector<Embedding>& samples,
                          const std::vector<int>& label_ids,
                          const std::vector<std::string>& labels,
                          const std::string& embedder_id,
                          const TrainOptions& opts = {});

  // Throws Error naming the file: missing, unreadable, damaged, wrong format, SVM
  // file missing, number of classes in the SVM != number of labels, ...
  // (read_model_files in facerec/model_file.h).
  static Classifier load(const std::string& path);
  void save(const std::string& path) const;  // throws Error

  // `threshold` (> 0): the unknown gate; default_threshold() is the model's own.
  // Throws Error for an embedding of the wrong length or an invalid threshold.
  Match classify(const Embedding& e, float threshold) const;

  const std::vector<std::string>& labels() const;
  const std::string& embedder_id() const;
  int dim() const;
  // The gate threshold stored in the model (chosen or given at training).
  float default_threshold() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace facerec
