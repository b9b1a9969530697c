// Face embedding networks: chip in, fixed-length vector out.
//
// An embedder is described by its entry in models/manifest.json (role "embedder": input
// size, channel order, mean, scale, output size, normalisation, chip template, runner).
// Adding an embedder that OpenCV DNN runs with other preprocessing is a manifest entry;
// one that needs other code is one more Embedder implementation (a file like
// embedder_dnn.cpp) plus its runner name in create_embedder()'s table (embedder.cpp).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facerec/aligner.h"
#include "facerec/operating_point.h"
#include "facerec/types.h"

namespace facerec {

struct ModelInfo;

// How a network wants its chips: an embedder's manifest entry, flattened.
struct EmbedderSpec {
  std::string id;         // stored in trained models; "faceapi-resnet-128", ...
  std::string file;       // weights: the manifest's file name, or the path the user gave
  std::string config;     // second file where the format needs one (Caffe: deploy.prototxt)
  std::string format;     // "onnx", "torch", "caffe"
  std::string runner;     // implementation ("opencv-dnn")
  int dim = 0;            // output length
  ChipTemplate chip;      // alignment template, also the input size
  cv::Scalar mean;        // subtracted, in the channel order the net expects
  double scale = 1.0;     // multiplied after the mean
  bool swap_rb = true;    // true: the net wants RGB
  bool l2_normalize = false;  // normalise the output vector
  // Embed the chip and its mirror image and average the two outputs (before the
  // normalisation): twice the network time per face.
  bool flip_average = false;
  // Where the automatic unknown-gate threshold is searched for this embedder's
  // distances (manifest "embedding.threshold_search"; operating_point.h).
  ThresholdSearch threshold_search;
};

// The embedders of the manifest, in manifest order.
const std::vector<EmbedderSpec>& known_embedders();
// The spec of one manifest entry (role "embedder"; throws Error otherwise).
EmbedderSpec embedder_spec(const ModelInfo& info);
// Looks up a spec by id or by file name (basename, or an alias of the manifest);
// throws Error listing the known ids if unknown.
EmbedderSpec embedder_spec_for(const std::string& id_or_file);
// The threshold search of the embedder with this id (what Classifier::train uses when
// TrainOptions::threshold_search is not set); ThresholdSearch's defaults for an id the
// manifest does not know.
ThresholdSearch threshold_search_for(const std::string& embedder_id);
// One line per embedder of the manifest, for help texts: "  ID  FILE, DIM-d, automatic
// threshold MIN..MAX" (each line starts with `indent`; "(default)" after the default's).
std::string describe_embedders(const std::string& indent);

class Embedder {
 public:
  virtual ~Embedder() = default;
  Embedder(const Embedder&) = delete;
  Embedder& operator=(const Embedder&) = delete;

  virtual const EmbedderSpec& spec() const = 0;
  // The weights file it was loaded from (resolved).
  virtual const std::string& path() const = 0;

  // Aligns one face of bgr onto spec().chip (5-point similarity, aligner.h).
  virtual cv::Mat align(const cv::Mat& bgr, const Face& face) const;
  // One forward pass for all chips (BGR 8-bit; other sizes are resized to the chip
  // size). May be called from several threads at once.
  virtual std::vector<Embedding> embed(const std::vector<cv::Mat>& chips) = 0;
  // Embeds every face under each of its alignment_variants() (aligner.h): the faces'
  // own chips as one batch, the extra variants one chip at a time (no new input shape for
  // the network); a face with several variants gets the mean direction of their
  // embeddings at their mean length. `chip_of` makes the chip of a face
  // (landmarks set to one variant); the first overload aligns inside bgr with align().
  std::vector<Embedding> embed_faces(const cv::Mat& bgr, const std::vector<Face>& faces);
  std::vector<Embedding> embed_faces(const std::vector<Face>& faces,
                                     const std::function<cv::Mat(const Face&)>& chip_of);

 protected:
  Embedder() = default;
};

// The embedder for a spec, by its runner. Loads the network through the shared
// registry (net_registry.h): embedders of the same file share one network.
std::unique_ptr<Embedder> create_embedder(const EmbedderSpec& spec);
// The embedder for a model file (a bare name on the model search path, or a path):
// the spec is the manifest entry whose file name matches; an explicit id chooses the
// entry instead (a renamed or converted copy of a known model). `model` may also be an
// id of the manifest: that entry with its own file.
std::unique_ptr<Embedder> create_embedder(const std::string& model, const std::string& id = "");

}  // namespace facerec
