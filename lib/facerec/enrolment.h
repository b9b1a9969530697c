// Enrolment: a dataset folder (one subfolder per person, images inside) to
// embeddings, using the same detector / aligner / embedder as the elements.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/types.h"

namespace facerec {

struct EnrolledImage {
  std::string path;
  int label_id = -1;
  bool used = false;
  std::string skip_reason;  // when !used: "unreadable image", "no face", ...
  int faces_found = 0;
  Embedding embedding;
};

struct EnrolmentResult {
  std::vector<std::string> labels;   // one per person folder, sorted
  std::vector<EnrolledImage> images;
};

// Lists DATASET/<person>/<image> (jpg, jpeg, png, bmp; sorted). Throws Error if
// the folder is missing or holds no person folder.
std::vector<std::pair<std::string, std::vector<std::string>>> list_dataset(const std::string& dir);

// Picks the face to enrol in an image: the largest one. Returns -1 if none.
int pick_enrolment_face(const std::vector<Face>& faces);

// Detects, aligns and embeds every image. progress(i, n) is called per image.
EnrolmentResult enrol_dataset(const std::string& dir, Detector& det, Embedder& emb,
                              const std::function<void(size_t, size_t)>& progress = {});

}  // namespace facerec
