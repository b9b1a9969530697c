// Enrolment: dataset folder -> embeddings. See facerec/enrolment.h.
#include "facerec/enrolment.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

#include <opencv2/imgcodecs.hpp>

namespace facerec {

namespace {

bool is_image_file(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp";
}

bool is_hidden(const std::filesystem::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

}  // namespace

std::vector<std::pair<std::string, std::vector<std::string>>> list_dataset(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(dir, ec))
    throw Error(dir, "dataset folder not found: give a folder with one subfolder of images per person");
  if (!fs::is_directory(dir, ec))
    throw Error(dir, "dataset is not a folder: give a folder with one subfolder of images per person");
  std::vector<std::pair<std::string, std::vector<std::string>>> people;
  try {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (is_hidden(entry.path()) || !entry.is_directory()) continue;
      std::vector<std::string> images;
      for (const auto& f : fs::directory_iterator(entry.path())) {
        if (is_hidden(f.path()) || !f.is_regular_file() || !is_image_file(f.path())) continue;
        images.push_back(f.path().string());
      }
      std::sort(images.begin(), images.end());
      people.emplace_back(entry.path().filename().string(), std::move(images));
    }
  } catch (const fs::filesystem_error& e) {
    throw Error(dir, std::string("cannot list the dataset: ") + e.what());
  }
  if (people.empty())
    throw Error(dir, "dataset holds no person folder: put each person's images in DATASET/<name>/");
  std::sort(people.begin(), people.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  return people;
}

int pick_enrolment_face(const std::vector<Face>& faces) {
  int best = -1;
  float best_area = -1.f;
  for (size_t i = 0; i < faces.size(); ++i) {
    const float area = faces[i].box.area();
    if (area > best_area) {
      best_area = area;
      best = int(i);
    }
  }
  return best;
}

static void process_one(EnrolledImage& im, Detector& det, Embedder& emb) {
  cv::Mat img;
  try {
    img = cv::imread(im.path, cv::IMREAD_COLOR);
  } catch (const cv::Exception&) {
    img.release();
  }
  if (img.empty()) {
    im.skip_reason = "unreadable image";
    return;
  }
  try {
    const std::vector<Face> faces = det.detect(img);
    im.faces_found = int(faces.size());
    const int pick = pick_enrolment_face(faces);
    if (pick < 0) {
      im.skip_reason = "no face found";
      return;
    }
    std::vector<Embedding> e = emb.embed_faces(img, {faces[size_t(pick)]});
    if (e.size() != 1 || e[0].empty()) {
      im.skip_reason = "embedding failed";
      return;
    }
    im.embedding = std::move(e[0]);
    im.used = true;
  } catch (const std::exception& ex) {
    im.skip_reason = std::string("processing failed: ") + ex.what();
  }
}

EnrolmentResult enrol_dataset(const std::string& dir, Detector& det, Embedder& emb,
                              const std::function<void(size_t, size_t)>& progress) {
  const auto people = list_dataset(dir);
  EnrolmentResult res;
  for (size_t k = 0; k < people.size(); ++k) {
    res.labels.push_back(people[k].first);
    for (const auto& path : people[k].second) {
      EnrolledImage im;
      im.path = path;
      im.label_id = int(k);
      res.images.push_back(std::move(im));
    }
  }
  const size_t n = res.images.size();
  for (size_t i = 0; i < n; ++i) {
    EnrolledImage& im = res.images[i];
    process_one(im, det, emb);
    if (progress) progress(i + 1, n);  // images done so far
  }
  return res;
}

}  // namespace facerec
