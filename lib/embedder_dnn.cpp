// The OpenCV DNN embedder: any embedder of the manifest with runner "opencv-dnn"
// (ONNX, Torch .t7, Caffe), preprocessing from its spec.
#include <cmath>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "facerec/embedder.h"
#include "facerec/models.h"
#include "facerec/net_registry.h"

namespace facerec {

namespace {

std::string dir_of(const std::string& p) {
  const auto pos = p.find_last_of('/');
  return pos == std::string::npos ? std::string() : p.substr(0, pos);
}

class DnnEmbedder final : public Embedder {
 public:
  explicit DnnEmbedder(const EmbedderSpec& spec) : spec_(spec) {
    path_ = resolve_model(spec.file);
    // A bare config name (Caffe's deploy.prototxt) is looked for next to the weights
    // first, then on the model search path.
    std::string config = spec.config;
    if (!config.empty() && config.find('/') == std::string::npos && !dir_of(path_).empty() &&
        !find_model(dir_of(path_) + "/" + config).empty())
      config = dir_of(path_) + "/" + config;
    net_ = acquire_net(path_, config);
  }

  const EmbedderSpec& spec() const override { return spec_; }
  const std::string& path() const override { return path_; }

  std::vector<Embedding> embed(const std::vector<cv::Mat>& chips) override {
    std::vector<Embedding> result;
    if (chips.empty()) return result;
    const EmbedderSpec& s = spec_;
    std::vector<cv::Mat> prepared;
    prepared.reserve(chips.size());
    for (const cv::Mat& c : chips) {
      if (c.empty()) throw Error(path_, "embed() was given an empty chip");
      cv::Mat m = c;
      if (m.channels() == 1) cv::cvtColor(m, m, cv::COLOR_GRAY2BGR);
      else if (m.channels() == 4) cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
      if (m.size() != s.chip.size) cv::resize(m, m, s.chip.size, 0, 0, cv::INTER_LINEAR);
      prepared.push_back(m);
    }
    // Flip averaging: the mirror images go into the same batch, after the chips.
    const size_t n = chips.size();
    if (s.flip_average)
      for (size_t i = 0; i < n; ++i) {
        cv::Mat f;
        cv::flip(prepared[i], f, 1);
        prepared.push_back(f);
      }
    const size_t rows = prepared.size();
    const cv::Mat blob =
        cv::dnn::blobFromImages(prepared, s.scale, s.chip.size, s.mean, s.swap_rb, false, CV_32F);
    cv::Mat out;
    try {
      // forward()'s result lives in the shared net's buffers: copy it before letting go.
      out = net_->with([&blob](cv::dnn::Net& net) {
        net.setInput(blob);
        return net.forward().clone();
      });
    } catch (const cv::Exception& e) {
      throw Error(path_, std::string("embedding net failed to run (corrupt file or not the '") + s.id +
                             "' model; " + network_file_fix(path_) + "): " + e.what());
    }
    if (out.total() != rows * static_cast<size_t>(s.dim))
      throw Error(path_, "embedding net returned " + std::to_string(out.total()) + " values for " +
                             std::to_string(rows) + " chips, expected " + std::to_string(s.dim) +
                             " each: wrong model for '" + s.id + "'");
    out = out.reshape(1, static_cast<int>(rows));
    result.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      const float* p = out.ptr<float>(static_cast<int>(i));
      Embedding e(p, p + s.dim);
      if (s.flip_average) {
        const float* q = out.ptr<float>(static_cast<int>(n + i));
        for (int c = 0; c < s.dim; ++c) e[size_t(c)] = 0.5f * (e[size_t(c)] + q[c]);
      }
      if (s.l2_normalize) {
        double sq = 0;
        for (float v : e) sq += static_cast<double>(v) * v;
        const double norm = std::sqrt(sq);
        if (norm > 1e-12)
          for (float& v : e) v = static_cast<float>(v / norm);
      }
      result.push_back(std::move(e));
    }
    return result;
  }

 private:
  EmbedderSpec spec_;
  std::string path_;
  std::shared_ptr<SharedNet> net_;
};

}  // namespace

namespace detail {
std::unique_ptr<Embedder> make_dnn_embedder(const EmbedderSpec& spec) {
  return std::make_unique<DnnEmbedder>(spec);
}
}  // namespace detail

}  // namespace facerec
