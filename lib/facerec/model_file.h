// A trained model on disk is two files:
//   MODEL      JSON (cv::FileStorage): format version, embedder id and dimension,
//              labels, unknown-gate threshold, the enrolled embeddings, and the
//              name of the libsvm file
//   MODEL.svm  libsvm's own text model (absent when only one person is enrolled:
//              then the gate alone decides)
// Both are checked completely when read: a damaged, truncated or edited file is
// an Error naming it, never a crash or a model that decides wrongly.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facerec/svm.h"

namespace facerec {

struct ModelContents {
  std::string embedder_id;
  int dim = 0;
  std::vector<std::string> labels;  // non-empty UTF-8 names
  float threshold = 0.f;            // the unknown gate stored in the model
  std::string kernel = "linear";    // as trained (informative: the .svm decides)
  double C = 10.0;
  double gamma = 0.0;
  bool l2_input = true;                 // SVM input L2-normalised
  cv::Mat samples;                      // n x dim CV_32F, raw embeddings, continuous
  std::vector<int> sample_labels;       // n label ids
  std::shared_ptr<const SvmModel> svm;  // null: one person, gate only
};

constexpr int kMaxEmbeddingDim = 65536;
constexpr float kMaxDistanceThreshold = 1000.f;

// Reads and checks MODEL and its SVM file. The SVM file is MODEL.svm (the JSON's
// own name: a pair renamed or copied together still loads), else the file named
// in the JSON's svm_file, in MODEL's folder. Each file is read once into memory
// and parsed from there. Throws Error naming the file and the fix.
ModelContents read_model_files(const std::string& path);

// Writes MODEL and MODEL.svm under temporary names and renames them into place
// (the .svm first): a reader never sees half a model. Refuses targets that exist
// and are not regular files. A one-person model removes a stale MODEL.svm.
void write_model_files(const std::string& path, const ModelContents& m);

}  // namespace facerec
