// See facerec/gallery.h.
#include "facerec/gallery.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace facerec {

float l2_distance(const float* a, const float* b, int n) {
  double s = 0.0;
  for (int i = 0; i < n; ++i) {
    const double d = double(a[i]) - double(b[i]);
    s += d * d;
  }
  return float(std::sqrt(s));
}

cv::Mat person_means(const cv::Mat& samples, const std::vector<int>& ids, int nlabels) {
  cv::Mat acc = cv::Mat::zeros(nlabels, samples.cols, CV_64F);
  std::vector<int> count(size_t(nlabels), 0);
  for (int i = 0; i < samples.rows; ++i) {
    const int k = ids[size_t(i)];
    const float* src = samples.ptr<float>(i);
    double* dst = acc.ptr<double>(k);
    for (int j = 0; j < samples.cols; ++j) dst[j] += double(src[j]);
    ++count[size_t(k)];
  }
  cv::Mat out(nlabels, samples.cols, CV_32F);
  for (int k = 0; k < nlabels; ++k)
    for (int j = 0; j < samples.cols; ++j)
      out.at<float>(k, j) = count[size_t(k)] ? float(acc.at<double>(k, j) / count[size_t(k)]) : 0.f;
  return out;
}

std::vector<float> person_distances(const float* q, const cv::Mat& samples, const std::vector<int>& ids,
                                    const cv::Mat& means) {
  std::vector<float> d(size_t(means.rows), std::numeric_limits<float>::infinity());
  for (int i = 0; i < samples.rows; ++i) {
    float& n = d[size_t(ids[size_t(i)])];
    n = std::min(n, l2_distance(q, samples.ptr<float>(i), samples.cols));
  }
  for (int k = 0; k < means.rows; ++k)
    if (std::isfinite(d[size_t(k)]))
      d[size_t(k)] = std::min(d[size_t(k)], l2_distance(q, means.ptr<float>(k), means.cols));
  return d;
}

}  // namespace facerec
