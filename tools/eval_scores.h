// facerec-eval's scoring of one enrolment split: every test face and stranger is
// classified once; the classifier's candidate does not depend on the gate threshold
// (classifier.h: the gate only compares the candidate's distance), so the rates at any
// threshold, and the best threshold in hindsight, follow from (candidate right?,
// distance) pairs without classifying again.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace evaltool {

struct Rates {
  std::size_t correct = 0, wrong = 0, rejected = 0;  // known faces with a face found
  std::size_t unknown_accepted = 0, unknown_rejected = 0;  // strangers with a face found
};

class Scores {
 public:
  void add_test(bool candidate_right, float distance) { tests_.emplace_back(distance, candidate_right); }
  void add_unknown(float distance) { unknowns_.push_back(distance); }

  // The gate at t: a face is named when its candidate's distance <= t.
  Rates at(float t) const {
    Rates r;
    for (const auto& [d, right] : tests_) {
      if (d > t)
        ++r.rejected;
      else if (right)
        ++r.correct;
      else
        ++r.wrong;
    }
    for (float d : unknowns_) (d > t ? r.unknown_rejected : r.unknown_accepted)++;
    return r;
  }

  // The threshold that maximises the balanced rate known named / n_test + strangers
  // rejected / n_unknown (n_*: all test and stranger images, faces found or not; faces not
  // found count as not named / rejected), in hindsight: searched over every distance seen.
  // Ties: the middle one of the best (the median candidate).
  float best_threshold(std::size_t n_test, std::size_t n_unknown, std::size_t unknown_no_face) const {
    std::vector<float> cand;
    cand.reserve(tests_.size() + unknowns_.size());
    for (const auto& t : tests_) cand.push_back(t.first);
    cand.insert(cand.end(), unknowns_.begin(), unknowns_.end());
    std::sort(cand.begin(), cand.end());
    cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
    if (cand.empty() || n_test == 0 || n_unknown == 0) return 0.f;
    // One sweep: known faces named and strangers accepted at d <= t, in order.
    std::vector<std::pair<float, int>> ev;  // (distance, +1 known named / -1 stranger accepted / 0 wrong)
    for (const auto& [d, right] : tests_) ev.emplace_back(d, right ? 1 : 0);
    for (float d : unknowns_) ev.emplace_back(d, -1);
    std::sort(ev.begin(), ev.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::size_t named = 0, accepted = 0, e = 0;
    double best = -1.0;
    std::vector<float> ties;
    for (float t : cand) {
      for (; e < ev.size() && ev[e].first <= t; ++e) {
        if (ev[e].second == 1) ++named;
        if (ev[e].second == -1) ++accepted;
      }
      const double rej = double(unknowns_.size() - accepted + unknown_no_face) / double(n_unknown);
      const double v = double(named) / double(n_test) + rej;
      if (v > best + 1e-12) {
        best = v;
        ties.assign(1, t);
      } else if (v > best - 1e-12) {
        ties.push_back(t);
      }
    }
    return ties[ties.size() / 2];
  }

 private:
  std::vector<std::pair<float, bool>> tests_;
  std::vector<float> unknowns_;
};

}  // namespace evaltool
