// Face embedding networks: chip in, fixed-length vector out.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facerec/aligner.h"
#include "facerec/types.h"

namespace facerec {

// How a network wants its chips. Values for the known models are in
// models/manifest.json and in known_embedders().
struct EmbedderSpec {
  std::string id;         // stored in trained models; "faceapi-resnet-128", ...
  std::string file;       // default file name
  std::string format;     // "onnx" or "torch"
  int dim = 0;            // output length
  ChipTemplate chip;      // alignment template, also the input size
  cv::Scalar mean;        // subtracted, in the channel order the net expects
  double scale = 1.0;     // multiplied after the mean
  bool swap_rb = true;    // true: the net wants RGB
  bool l2_normalize = false;  // normalise the output vector
};

// The embedders this project knows by name.
const std::vector<EmbedderSpec>& known_embedders();
// Looks up a spec by id or by file name (basename); throws Error if unknown.
EmbedderSpec embedder_spec_for(const std::string& id_or_file);

class Embedder {
 public:
  // spec.file may be a bare name (resolved on the model search path) or a path.
  explicit Embedder(const EmbedderSpec& spec);  // throws Error
  ~Embedder();
  Embedder(const Embedder&) = delete;
  Embedder& operator=(const Embedder&) = delete;

  const EmbedderSpec& spec() const;
  const std::string& path() const;

  // Aligns one face of bgr onto this embedder's template.
  cv::Mat align(const cv::Mat& bgr, const Face& face) const;
  // One forward pass for all chips (each spec().chip.size, BGR 8-bit).
  std::vector<Embedding> embed(const std::vector<cv::Mat>& chips);
  // Convenience: align + embed every face of one image in one batch.
  std::vector<Embedding> embed_faces(const cv::Mat& bgr, const std::vector<Face>& faces);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Creates the embedder for a model file: the spec is chosen from the file name
// (known_embedders()); an explicit id overrides.
std::unique_ptr<Embedder> create_embedder(const std::string& model, const std::string& id = "");

}  // namespace facerec
