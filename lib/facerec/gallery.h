// Distances between a face and the enrolled gallery, shared by the unknown gate
// (classifier) and the choice of its threshold (operating_point).
//
// Person distance: the Euclidean distance (raw embeddings) from the query to the
// nearest of that person's enrolled embeddings, where each person's mean
// embedding counts as one more enrolled embedding (a template). Measured on the
// shared LFW data (10 people x 5 enrolment images, 5 test images each):
// nearest-sample distance alone leaves 3/50 true matches at 0.604..0.617 (one
// person with varied photos), the mean template brings them to ~0.50..0.53 while
// unknown faces stay above ~0.53.
#pragma once

#include <vector>

#include <opencv2/core.hpp>

namespace facerec {

float l2_distance(const float* a, const float* b, int n);

// Per-person mean of the rows of samples (n x dim CV_32F; ids[i] in 0..nlabels-1),
// accumulated in double: the same floats after training and after loading.
// A person without samples gets a zero row.
cv::Mat person_means(const cv::Mat& samples, const std::vector<int>& ids, int nlabels);

// Person distances of q (samples.cols values): per label, min(nearest sample, mean
// template); infinity for a label without samples.
std::vector<float> person_distances(const float* q, const cv::Mat& samples, const std::vector<int>& ids,
                                    const cv::Mat& means);

}  // namespace facerec
