// Model file lookup and checked loading of OpenCV DNN networks.
#include "facerec/models.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "detail.h"
#include "facerec/types.h"

#ifndef FACEREC_MODELS_INSTALLED_DIR
#define FACEREC_MODELS_INSTALLED_DIR ""
#endif
#ifndef FACEREC_MODELS_BUILD_DIR
#define FACEREC_MODELS_BUILD_DIR ""
#endif

namespace facerec {

namespace {

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_explicit_path(const std::string& s) {
  return !s.empty() && (s[0] == '/' || s.find('/') != std::string::npos);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<std::string> model_search_dirs() {
  std::vector<std::string> dirs;
  auto add = [&dirs](const std::string& d) {
    if (d.empty()) return;
    for (const auto& e : dirs)
      if (e == d) return;
    dirs.push_back(d);
  };
  if (const char* env = std::getenv(kModelPathEnv); env && *env) {
    std::stringstream ss(env);
    std::string item;
    while (std::getline(ss, item, ':')) add(item);
  }
  add(FACEREC_MODELS_INSTALLED_DIR);
  add(FACEREC_MODELS_BUILD_DIR);
  return dirs;
}

std::string find_model(const std::string& name_or_path) {
  if (name_or_path.empty()) return "";
  if (is_explicit_path(name_or_path)) return is_regular_file(name_or_path) ? name_or_path : "";
  for (const auto& dir : model_search_dirs()) {
    std::string p = dir + "/" + name_or_path;
    if (is_regular_file(p)) return p;
  }
  return "";
}

std::string resolve_model(const std::string& name_or_path) {
  if (name_or_path.empty())
    throw Error("", "no model file given: pass a model file name or path");
  if (is_explicit_path(name_or_path)) {
    check_model_file(name_or_path);
    return name_or_path;
  }
  std::string found = find_model(name_or_path);
  if (!found.empty()) return found;
  std::string msg = "model file not found; searched:";
  for (const auto& dir : model_search_dirs()) msg += " " + dir;
  msg += ". Run models/fetch-models.sh to download the models, or set ";
  msg += kModelPathEnv;
  msg += " to the ':'-separated directories that hold them";
  throw Error(name_or_path, msg);
}

void check_model_file(const std::string& path) {
  if (path.empty()) throw Error("", "no model file given: pass a model file name or path");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw Error(path, "model file is missing: check the path, or run models/fetch-models.sh "
                      "to download the models");
  if (!S_ISREG(st.st_mode))
    throw Error(path, "model path is not a regular file: give the path of the model file itself");
  if (st.st_size == 0)
    throw Error(path, "model file is empty (an interrupted download?): delete it and run "
                      "models/fetch-models.sh again");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error(path, "model file cannot be opened for reading: check its permissions");
}

namespace detail {

// Loads an OpenCV DNN network, choosing the reader from the file extension.
// Checks every file first and turns OpenCV's parse errors into facerec::Error.
cv::dnn::Net read_dnn(const std::string& model, const std::string& config) {
  check_model_file(model);
  if (!config.empty()) check_model_file(config);
  const std::string m = lower(model);
  std::string format;
  cv::dnn::Net net;
  try {
    if (ends_with(m, ".onnx")) {
      format = "ONNX";
      net = cv::dnn::readNetFromONNX(model);
    } else if (ends_with(m, ".t7") || ends_with(m, ".net")) {
      format = "Torch";
      net = cv::dnn::readNetFromTorch(model);
    } else if (ends_with(m, ".caffemodel")) {
      format = "Caffe";
      if (config.empty())
        throw Error(model, "a Caffe model needs its deploy.prototxt: give it as the config file");
      net = cv::dnn::readNetFromCaffe(config, model);
    } else if (ends_with(m, ".pb")) {
      format = "TensorFlow";
      net = cv::dnn::readNetFromTensorflow(model, config);
    } else {
      format = "DNN";
      net = cv::dnn::readNet(model, config);
    }
  } catch (const cv::Exception& e) {
    throw Error(model, "OpenCV cannot parse this " + format + " model" +
                           (config.empty() ? std::string() : " with config " + config) +
                           ": the file is corrupt or not a " + format +
                           " model; re-download it (models/fetch-models.sh). OpenCV said: " +
                           e.what());
  }
  if (net.empty())
    throw Error(model, "OpenCV loaded an empty " + format +
                           " network: the file is corrupt or of the wrong format; re-download it "
                           "(models/fetch-models.sh)");
  return net;
}

std::string shape_string(const cv::Mat& m) {
  std::string s = "[";
  for (int i = 0; i < m.dims; ++i) s += (i ? "," : "") + std::to_string(m.size[i]);
  return s + "]";
}

}  // namespace detail

}  // namespace facerec
