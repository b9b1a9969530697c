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

std::vector<std::string> model_candidates(const std::string& name_or_path) {
  if (name_or_path.empty()) return {};
  if (is_explicit_path(name_or_path)) return {name_or_path};
  // A bare name the user wrote is a file in the current directory first (like any
  // command-line file name), then a name on the search path.
  std::vector<std::string> c{name_or_path};
  for (const auto& dir : model_search_dirs()) c.push_back(dir + "/" + name_or_path);
  return c;
}

std::string find_model(const std::string& name_or_path) {
  for (const auto& p : model_candidates(name_or_path))
    if (is_regular_file(p)) return p;
  return "";
}

std::string network_file_fix(const std::string& name_or_path) {
  // A trained model given where a network belongs (a JSON file starting with '{' that
  // names our format in its first lines).
  {
    std::ifstream f(name_or_path, std::ios::binary);
    char head[512] = {};
    if (f && f.read(head, sizeof head - 1).gcount() > 0) {
      const std::string h(head);
      const auto first = h.find_first_not_of(" \t\r\n");
      if (first != std::string::npos && h[first] == '{' && h.find("gst-facerec-model") != std::string::npos)
        return "this is a model written by facerec-train, not a network: give it to facerecognize's "
               "`model` property (or the tools' --model), and a network file here";
    }
  }
  bool known = false;
  try {
    known = builtin_manifest().find_by_file(name_or_path) != nullptr;
  } catch (const Error&) {  // a broken built-in manifest is reported where it is used
  }
  if (known)
    return std::string("run models/fetch-models.sh (part of scripts/setup.sh) to download it, or set ") +
           kModelPathEnv + " to the ':'-separated folders that hold it";
  return std::string("check the file name (a bare name is looked for in the current directory, then in ") +
         kModelPathEnv + " and the model folders), or give the file's path";
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
  std::string msg = "model file not found; tried:";
  for (const auto& p : model_candidates(name_or_path)) msg += " " + (p == name_or_path ? "./" + p : p);
  throw Error(name_or_path, msg + ". Fix: " + network_file_fix(name_or_path));
}

void check_model_file(const std::string& path) {
  if (path.empty()) throw Error("", "no model file given: pass a model file name or path");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw Error(path, "model file is missing: " + network_file_fix(path));
  if (!S_ISREG(st.st_mode))
    throw Error(path, "model path is not a regular file: give the path of the model file itself");
  if (st.st_size == 0)
    throw Error(path, "model file is empty (an interrupted download or copy?): delete it; " + network_file_fix(path));
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
                           ": the file is corrupt or not a " + format + " model; " + network_file_fix(model) +
                           ". OpenCV said: " + e.what());
  }
  if (net.empty())
    throw Error(model, "OpenCV loaded an empty " + format +
                           " network: the file is corrupt or of the wrong format; " + network_file_fix(model));
  return net;
}

std::string shape_string(const cv::Mat& m) {
  std::string s = "[";
  for (int i = 0; i < m.dims; ++i) s += (i ? "," : "") + std::to_string(m.size[i]);
  return s + "]";
}

}  // namespace detail

}  // namespace facerec
