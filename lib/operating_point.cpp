// Threshold choice (TrainOptions::distance_threshold <= 0), from the enrolment data:
//   for every enrolled embedding, the leave-one-out person distance to its own
//   person (nearest other sample or mean of the other samples: "genuine") and the
//   person distance to the nearest other person ("impostor", a pessimistic proxy
//   for an unknown face). t_data minimises the balanced error
//   (genuine > t)/|genuine| + (impostor <= t)/|impostor| over t in [0.45, 0.6] in
//   steps of 0.005; t_data is the middle of the thresholds whose error is within one
//   sample's worth (1/|genuine| + 1/|impostor|) of the minimum. That tolerance makes the
//   choice stable: the error curve is flat and ragged near its minimum, and the exact
//   argmin jumped by up to 0.02 between enrolment splits of the same people.
//   t_data is then shrunk towards the 0.55 prior: t = w * t_data + (1 - w) * 0.55,
//   w = n / (n + 50), n = number of genuine distances (for small galleries the proxies
//   are few and t_data runs low). Too little data (< 4 genuine or < 4 impostor
//   distances): 0.55. (The numbers are ThresholdSearch's defaults.)
//   Measured on ../shared/testdata (default models; 5 enrolment and up to 20 test
//   images per person, 100 faces_unknown as strangers; the same rules replayed on
//   embeddings dumped once, over random enrolment splits), known faces named /
//   strangers rejected, mean (worst):
//     87 people, 10 enrolment splits: 97.8 (97.0) % / 97.5 (97) %; the exact argmin
//       gave 98.0 (97.4) % / 97.2 (94) %;
//     30 random people x 8: 99.1 (98.3) % / 98.1 (95) %;
//     10 random people x 12: 99.3 (97.6) % / 97.1 (93) %.
//   The two hardest strangers of faces_unknown stay accepted at any usable threshold
//   (person distances 0.39 and 0.43; the second, Kim Hong-gul, comes nearest to Kim
//   Dae-jung, his father), so 97-98 %
//   is the ceiling for strangers at this gallery size with this embedder.
#include "facerec/operating_point.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "facerec/gallery.h"

namespace facerec {

float choose_distance_threshold(const std::vector<Embedding>& samples, const std::vector<int>& label_ids,
                                bool* from_data, const ThresholdSearch& s) {
  if (!(s.min > 0.f) || !(s.max > s.min) || !std::isfinite(s.max) || !(s.step > 0.0) ||
      !(s.step <= double(s.max - s.min)) || !(s.prior > 0.f) || !std::isfinite(s.prior) ||
      !(s.prior_weight >= 0.0) || !std::isfinite(s.prior_weight))
    throw Error("", "invalid threshold search: need 0 < min < max, 0 < step <= max - min, prior > 0, "
                    "prior_weight >= 0");
  if (from_data) *from_data = false;
  if (samples.empty() || samples.size() != label_ids.size()) return s.prior;
  const int dim = int(samples.front().size());
  int nlabels = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (int(samples[i].size()) != dim || label_ids[i] < 0) return s.prior;
    nlabels = std::max(nlabels, label_ids[i] + 1);
  }
  cv::Mat all(int(samples.size()), dim, CV_32F);
  for (size_t i = 0; i < samples.size(); ++i)
    std::copy(samples[i].begin(), samples[i].end(), all.ptr<float>(int(i)));
  const cv::Mat means = person_means(all, label_ids, nlabels);
  std::vector<int> count(size_t(nlabels), 0);
  for (int id : label_ids) ++count[size_t(id)];

  std::vector<float> genuine, impostor;
  for (int i = 0; i < all.rows; ++i) {
    const float* q = all.ptr<float>(i);
    const int own = label_ids[size_t(i)];
    std::vector<float> d = person_distances(q, all, label_ids, means);
    // Impostor: nearest other person.
    float other = std::numeric_limits<float>::infinity();
    for (int k = 0; k < nlabels; ++k)
      if (k != own && count[size_t(k)] > 0) other = std::min(other, d[size_t(k)]);
    if (std::isfinite(other)) impostor.push_back(other);
    // Genuine, leaving sample i out: nearest other own sample, or the mean of the others.
    const int n_own = count[size_t(own)];
    if (n_own < 2) continue;
    float same = std::numeric_limits<float>::infinity();
    std::vector<double> loo(size_t(dim), 0.0);
    for (int j = 0; j < all.rows; ++j) {
      if (j == i || label_ids[size_t(j)] != own) continue;
      same = std::min(same, l2_distance(q, all.ptr<float>(j), dim));
      const float* r = all.ptr<float>(j);
      for (int c = 0; c < dim; ++c) loo[size_t(c)] += double(r[c]);
    }
    double s2 = 0.0;
    for (int c = 0; c < dim; ++c) {
      const double v = double(q[c]) - loo[size_t(c)] / double(n_own - 1);
      s2 += v * v;
    }
    genuine.push_back(std::min(same, float(std::sqrt(s2))));
  }
  if (genuine.size() < s.min_genuine || impostor.size() < s.min_impostor || genuine.empty() || impostor.empty())
    return s.prior;
  if (from_data) *from_data = true;
  // The grid in float, as measured (float(0.005) == 0.005f).
  const float step = float(s.step);
  const int steps = int(std::lround((s.max - s.min) / step));
  std::vector<double> err(size_t(steps + 1));
  for (int k = 0; k <= steps; ++k) {
    const float t = s.min + step * float(k);
    const auto fr = std::count_if(genuine.begin(), genuine.end(), [t](float d) { return d > t; });
    const auto fa = std::count_if(impostor.begin(), impostor.end(), [t](float d) { return d <= t; });
    err[size_t(k)] = double(fr) / double(genuine.size()) + double(fa) / double(impostor.size());
  }
  // Every threshold within one sample's worth of the minimum counts as best.
  const double tol = 1.0 / double(genuine.size()) + 1.0 / double(impostor.size());
  const double best = *std::min_element(err.begin(), err.end());
  int best_lo = -1, best_hi = -1;
  for (int k = 0; k <= steps; ++k)
    if (err[size_t(k)] <= best + tol + 1e-12) {
      if (best_lo < 0) best_lo = k;
      best_hi = k;
    }
  const double t_data = s.min + s.step * double(best_lo + best_hi) / 2.0;
  const double w = double(genuine.size()) / (double(genuine.size()) + s.prior_weight);
  const double t = w * t_data + (1.0 - w) * double(s.prior);
  return float(std::clamp(t, double(s.min), double(s.max)));
}

}  // namespace facerec
