// Model files: where they are searched, and what is known about each model
// (models/manifest.json, compiled into the library). The shared network registry
// of this unit is in facerec/net_registry.h.
#pragma once

#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facerec/operating_point.h"
#include "facerec/types.h"

namespace facerec {

// Environment variable holding a ':'-separated list of model directories.
constexpr const char* kModelPathEnv = "FACEREC_MODEL_PATH";

// Directories searched for a model given by bare file name, in order:
//   1. every directory of $FACEREC_MODEL_PATH
//   2. the installed data dir (<prefix>/share/gst-facerec/models)
//   3. the build tree's model dir (for uninstalled builds)
std::vector<std::string> model_search_dirs();

// Resolves a model file name.
//  - An explicit path (absolute, or containing '/') is used as is.
//  - A bare file name is the file of that name in the current directory when there
//    is one, else it is looked up in model_search_dirs().
// Throws facerec::Error naming the file and listing every path tried (and the fix:
// network_file_fix()) when nothing is found.
std::string resolve_model(const std::string& name_or_path);

// Same as resolve_model() but returns "" instead of throwing.
std::string find_model(const std::string& name_or_path);

// The paths resolve_model() tries, in order.
std::vector<std::string> model_candidates(const std::string& name_or_path);

// The fix for a network file that is missing or does not load, for messages: the
// model step (models/fetch-models.sh) only for files it downloads (named in the
// manifest); for a model written by facerec-train, where that file belongs;
// otherwise to check the name or path.
std::string network_file_fix(const std::string& name_or_path);

// Checks that a file exists, is a regular file and is not empty; throws
// facerec::Error otherwise ("missing", "empty", ...).
void check_model_file(const std::string& path);

// ---- The model manifest --------------------------------------------------------
// models/manifest.json is the one description of every model: its files and hashes
// (read by models/fetch-models.sh) and how to feed it (read here). The build compiles
// it into the library (lib/embed_manifest.py), so an installed plugin needs no file.

// How a network wants its input (manifest "input").
struct InputSpec {
  cv::Size size;              // width x height; 0x0 when the net takes any size (YuNet)
  std::string channel_order;  // "RGB", "BGR" or "GRAY"
  cv::Scalar mean;            // subtracted first, in channel_order
  double scale = 1.0;         // multiplied after the mean
};

struct ModelFile {
  std::string name;                  // file name in a model directory
  std::string role;                  // "weights", or "config" (deploy.prototxt, .pbtxt)
  std::vector<std::string> aliases;  // other names the same file is known by
  std::string sha256;                // empty where not established
};

// What an embedder gives (manifest "embedding").
struct EmbeddingInfo {
  int dim = 0;                // output length
  bool l2_normalize = false;  // the caller normalises the output to unit length
  ChipTemplate chip;          // alignment template (manifest "chip_templates"); its size
                              // is the input size
  std::string runner;         // implementation that runs it ("opencv-dnn")
  bool flip_average = false;  // average the outputs of the chip and its mirror image
  ThresholdSearch threshold_search;  // "threshold_search": the automatic gate's range
};

struct ModelInfo {
  std::string id;      // stable; stored in trained models for embedders
  std::string role;    // "detector", "landmarks" or "embedder"
  std::string format;  // "onnx", "torch", "caffe", "tensorflow"
  bool is_default = false;  // in the set models/fetch-models.sh always installs
  std::vector<ModelFile> files;
  InputSpec input;
  EmbeddingInfo embedding;  // role "embedder" only

  const ModelFile& weights() const;  // the first file of role "weights"
  const ModelFile* config() const;   // the config file, nullptr when there is none
};

class Manifest {
 public:
  // Parses manifest JSON text. Throws Error(origin, ...) naming the entry and field
  // that is missing or malformed.
  static Manifest parse(const std::string& json, const std::string& origin);

  const std::vector<ModelInfo>& models() const { return models_; }
  const ModelInfo* find(const std::string& id) const;  // nullptr when unknown
  // The model one of whose files (or their aliases) has the base name of
  // name_or_path; nullptr when none.
  const ModelInfo* find_by_file(const std::string& name_or_path) const;
  const ChipTemplate* chip_template(const std::string& name) const;
  // For messages: "id (file), id (file)" of one role; the template names.
  std::string describe_ids(const std::string& role) const;
  std::string chip_template_names() const;

 private:
  std::vector<ModelInfo> models_;
  std::vector<ChipTemplate> chips_;
};

// The manifest the library was built with.
const Manifest& builtin_manifest();

// File names of the default model set (fetched by models/fetch-models.sh).
namespace defaults {
constexpr const char* kDetector = "fr_detect.onnx";     // faceplugin UltraFace RFB-320
constexpr const char* kLandmarks = "fr_landmark.onnx";  // faceplugin 68-point, 64x64 gray
// fr_feature.onnx's 512-d output projected onto 128 dimensions (models/convert_fr_feature_128.py):
// chosen by facerec-eval on the shared set (README, "How accurate it is"; issue 12).
constexpr const char* kEmbedder = "fr_feature_128d.onnx";
}  // namespace defaults

}  // namespace facerec
