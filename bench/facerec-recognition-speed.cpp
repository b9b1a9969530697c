// facerec-recognition-speed: what each recognition stage costs per face, on real faces of the
// shared test data. A benchmark run by hand (see bench/README.md), not a test.
//
//   facerec-recognition-speed [--testdata DIR] [--faces N] [--rounds R]
//
// Stages, per face (the face boxes come from one detection pass done before timing):
//   landmarks (box pass only)      LandmarkNet(refine=false)
//   landmarks (box + refinement)   LandmarkNet(), what the detectors use
//   align                          5-point similarity warp to the embedder's chip
//   embed, batch 1 / 4 / 8         the 128-d network, ms per face
//   align + embed_faces            what enrolment and facerecognize do per face: one chip, or
//                                  for a face in doubt (aligner.h) three, averaged; on the
//                                  timed faces, then on faces in doubt only (up to 8 found
//                                  among the first images of the data)
//   classify                       SVM + distance gate against 87 people x 5 embeddings
// Every stage runs R rounds over the N faces; the median round is reported. Ratios are
// against "embed, batch 1", measured in the same run: the stage that dominates per face.
// Exit status: 0 when it ran, 1 when the test data or a model is missing, 2 on a bad
// command line.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "facerec/aligner.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/enrolment.h"
#include "facerec/landmarks.h"
#include "facerec/models.h"

namespace {

namespace fs = std::filesystem;

struct Sample {
  cv::Mat img;
  facerec::Face face;  // detector box, landmarks (refined)
};

// Median over rounds of the time for one round of fn(), in ms.
double median_round_ms(int rounds, const std::function<void()>& fn) {
  fn();  // warm-up
  std::vector<double> t;
  for (int r = 0; r < rounds; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(t.begin(), t.begin() + long(t.size() / 2), t.end());
  return t[t.size() / 2];
}

int usage(const char* msg) {
  std::fprintf(stderr, "facerec-recognition-speed: %s\nUsage: facerec-recognition-speed [--testdata DIR] "
                       "[--faces N] [--rounds R]\n", msg);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string testdata = std::getenv("FACEREC_TESTDATA") ? std::getenv("FACEREC_TESTDATA") : "../shared/testdata";
  int n_faces = 64, rounds = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--testdata" || a == "--faces" || a == "--rounds") && i + 1 >= argc) return usage("missing value");
    if (a == "--testdata") {
      testdata = argv[++i];
    } else if (a == "--faces") {
      n_faces = std::atoi(argv[++i]);
      if (n_faces < 8) return usage("--faces must be >= 8");
    } else if (a == "--rounds") {
      rounds = std::atoi(argv[++i]);
      if (rounds < 1) return usage("--rounds must be >= 1");
    } else if (a == "-h" || a == "--help") {
      std::printf("facerec-recognition-speed [--testdata DIR] [--faces N (64)] [--rounds R (5)]\n");
      return 0;
    } else {
      return usage(("unknown option " + a).c_str());
    }
  }
  try {
    const std::string faces_dir = (fs::path(testdata) / "faces").string();
    const auto people = facerec::list_dataset(faces_dir);
    auto det = facerec::create_detector(facerec::DetectorConfig{});
    auto emb = facerec::create_embedder(facerec::defaults::kEmbedder);
    facerec::LandmarkNet plain("", false), refined("", true);

    // Faces to time: the first image of each person (then the second...), one face each.
    std::vector<Sample> samples;
    for (size_t round = 0; samples.size() < size_t(n_faces) && round < 20; ++round)
      for (const auto& [name, imgs] : people) {
        if (samples.size() >= size_t(n_faces)) break;
        if (round >= imgs.size()) continue;
        cv::Mat img = cv::imread(imgs[round], cv::IMREAD_COLOR);
        if (img.empty()) continue;
        const auto found = det->detect(img);
        const int k = facerec::pick_enrolment_face(found, img.size());
        if (k >= 0) samples.push_back({img, found[size_t(k)]});
      }
    if (samples.size() < 8) throw facerec::Error(faces_dir, "fewer than 8 faces found");
    size_t in_doubt = 0;
    for (const auto& smp : samples) in_doubt += facerec::alignment_variants(smp.face).size() > 1;
    // Faces in doubt, for their own row: the picked faces of the data whose landmark passes disagree.
    std::vector<Sample> doubtful;
    for (const auto& [name, imgs] : people)
      for (const auto& path : imgs) {
        if (doubtful.size() >= 8) break;
        cv::Mat img = cv::imread(path, cv::IMREAD_COLOR);
        if (img.empty()) continue;
        const auto found = det->detect(img);
        const int k = facerec::pick_enrolment_face(found, img.size());
        if (k >= 0 && facerec::alignment_variants(found[size_t(k)]).size() > 1) doubtful.push_back({img, found[size_t(k)]});
      }
    const double n = double(samples.size());

    // A gallery like the evaluation's: 87 people x 5 enrolment images.
    std::vector<facerec::Embedding> gallery;
    std::vector<int> ids;
    std::vector<std::string> labels;
    for (const auto& [name, imgs] : people) {
      for (size_t i = 0; i < imgs.size() && i < 5; ++i) {
        facerec::EnrolledImage im;
        im.path = imgs[i];
        facerec::embed_image(im, *det, *emb);
        if (!im.used) continue;
        gallery.push_back(im.embedding);
        ids.push_back(int(labels.size()));
      }
      labels.push_back(name);
    }
    const facerec::Classifier clf = facerec::Classifier::train(gallery, ids, labels, emb->spec().id);

    std::vector<cv::Mat> chips;
    for (const auto& s : samples) chips.push_back(emb->align(s.img, s.face));
    std::vector<facerec::Embedding> queries = emb->embed(chips);

    struct Row {
      std::string name;
      double ms_per_face;
    };
    std::vector<Row> rows;
    auto per_face = [&](const std::string& name, const std::function<void()>& fn) {
      rows.push_back({name, median_round_ms(rounds, fn) / n});
    };
    per_face("landmarks (box pass only)", [&] {
      for (const auto& s : samples) {
        facerec::Face f = s.face;
        plain.apply(s.img, f);
      }
    });
    per_face("landmarks (box + refinement)", [&] {
      for (const auto& s : samples) {
        facerec::Face f = s.face;
        refined.apply(s.img, f);
      }
    });
    const cv::Size chip_size = emb->spec().chip.size;
    per_face("align (" + std::to_string(chip_size.width) + "x" + std::to_string(chip_size.height) + " chip)", [&] {
      for (const auto& s : samples) (void)emb->align(s.img, s.face);
    });
    for (size_t batch : {size_t(1), size_t(4), size_t(8)})
      per_face("embed, batch " + std::to_string(batch), [&] {
        for (size_t i = 0; i < chips.size(); i += batch) {
          const size_t e = std::min(chips.size(), i + batch);
          (void)emb->embed(std::vector<cv::Mat>(chips.begin() + long(i), chips.begin() + long(e)));
        }
      });
    per_face("align + embed_faces", [&] {
      for (const auto& smp : samples) (void)emb->embed_faces(smp.img, {smp.face});
    });
    if (!doubtful.empty())
      rows.push_back({"align + embed_faces, in doubt", median_round_ms(rounds, [&] {
                        for (const auto& smp : doubtful) (void)emb->embed_faces(smp.img, {smp.face});
                      }) / double(doubtful.size())});
    per_face("classify (87 people x 5)", [&] {
      for (const auto& q : queries) (void)clf.classify(q, clf.default_threshold());
    });

    double base = 0.0;
    for (const auto& r : rows)
      if (r.name == "embed, batch 1") base = r.ms_per_face;
    std::printf("facerec-recognition-speed: %zu faces of %s, %d rounds (median round), OpenCV %s, %d threads\n",
                samples.size(), faces_dir.c_str(), rounds, CV_VERSION, cv::getNumThreads());
    std::printf("  %zu of the %zu faces in doubt; %zu faces in doubt timed on their own\n", in_doubt, samples.size(),
                doubtful.size());
    std::printf("  %-30s %10s %18s\n", "stage", "ms/face", "x embed batch 1");
    for (const auto& r : rows)
      std::printf("  %-30s %10.2f %18.3f\n", r.name.c_str(), r.ms_per_face, base > 0 ? r.ms_per_face / base : 0.0);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "facerec-recognition-speed: %s\n", e.what());
    return 1;
  }
}
