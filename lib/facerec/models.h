// Model files: where they are searched and what is known about each default.
#pragma once

#include <string>
#include <vector>

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
//  - A bare file name is looked up in model_search_dirs().
// Throws facerec::Error naming the file and listing the directories searched
// (and how to get the models) when nothing is found.
std::string resolve_model(const std::string& name_or_path);

// Same as resolve_model() but returns "" instead of throwing.
std::string find_model(const std::string& name_or_path);

// Checks that a file exists, is a regular file and is not empty; throws
// facerec::Error otherwise ("missing", "empty", ...).
void check_model_file(const std::string& path);

// File names of the default model set (fetched by models/fetch-models.sh).
namespace defaults {
constexpr const char* kDetector = "fr_detect.onnx";     // faceplugin UltraFace RFB-320
constexpr const char* kLandmarks = "fr_landmark.onnx";  // faceplugin 68-point, 64x64 gray
constexpr const char* kEmbedder = "faceapi_recognition_128d.onnx"; // converted from face-api
}  // namespace defaults

}  // namespace facerec
