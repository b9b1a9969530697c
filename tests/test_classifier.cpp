// Classifier, enrolment and facerec-train tests.
//
//  real_data     10 LFW identities (the first 10, sorted, with >= 10 images):
//                images 0-4 enrolled, 5-9 tested (>= 95 % named correctly);
//                20 faces_unknown images (>= 80 % unknown); save/load round trip
//  errors        load() errors name the file (synthetic embeddings: no networks)
//  enrolment_helpers  list_dataset, pick_enrolment_face, save() errors
//  single_person one person enrolled: no SVM, distance gate only
//  tool          facerec-train on a small dataset with a garbage file and a
//                face-less image; missing dataset; usage error
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "common.h"
#include "train.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/enrolment.h"
#include "facerec/models.h"

namespace fs = std::filesystem;
using facerec::Classifier;
using facerec::Embedding;
using facerec::Error;
using facerec::Match;

namespace {

constexpr int kPeople = 10;
constexpr int kEnrolPerPerson = 5;
constexpr int kTestPerPerson = 5;
constexpr int kUnknownImages = 20;

using testutil::sorted_images;

using testutil::pick_identities;

using testutil::TempDir;

using testutil::Nets;

bool same_match(const Match& a, const Match& b) {
  return a.known == b.known && a.label_id == b.label_id && a.label == b.label && a.score == b.score &&
         a.distance == b.distance && a.candidate_id == b.candidate_id;
}

using testutil::contains;

using testutil::run_command;

using testutil::quote;

// Synthetic 128-d embeddings: people are random points of norm ~1, samples lie
// within ~0.25 of their person.
struct Synthetic {
  std::vector<Embedding> samples;
  std::vector<int> ids;
  std::vector<std::string> labels;
};

Synthetic synthetic(int people, int per_person, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> N(0.f, 1.f);
  Synthetic s;
  for (int p = 0; p < people; ++p) {
    Embedding c(128);
    for (auto& v : c) v = N(rng) * 0.09f;
    s.labels.push_back("person" + std::to_string(p));
    for (int k = 0; k < per_person; ++k) {
      Embedding e = c;
      for (auto& v : e) v += N(rng) * 0.02f;
      s.samples.push_back(e);
      s.ids.push_back(p);
    }
  }
  return s;
}

template <typename F>
std::string expect_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    fail("expected facerec::Error, got another exception: %s", e.what());
  }
  fail("expected facerec::Error, nothing thrown");
  return {};
}

// The default detector's faces on a shared photo (faces/REL); the photo in `img`.
std::vector<facerec::Face> detect_photo(const std::string& rel, cv::Mat& img) {
  const std::string path = testutil::testdata() + "/faces/" + rel;
  img = cv::imread(path, cv::IMREAD_COLOR);
  fail_unless(!img.empty(), "cannot read %s", path.c_str());
  return facerec::create_detector(facerec::DetectorConfig{})->detect(img);
}

}  // namespace

GST_START_TEST(test_real_data) {
  const auto people = pick_identities(kPeople);
  fail_unless_equals_int(int(people.size()), kPeople);
  Nets nets;

  std::vector<Embedding> enrol;
  std::vector<int> ids;
  std::vector<std::pair<Embedding, int>> tests;
  int test_no_face = 0;
  for (int p = 0; p < kPeople; ++p) {
    const auto imgs = sorted_images(testutil::testdata("faces/" + people[size_t(p)]));
    for (int i = 0; i < kEnrolPerPerson + kTestPerPerson; ++i) {
      auto e = nets.embed(imgs[size_t(i)]);
      if (i < kEnrolPerPerson) {
        if (!e) continue;  // a missing enrolment face only makes the test harder
        enrol.push_back(*e);
        ids.push_back(p);
      } else if (e) {
        tests.emplace_back(*e, p);
      } else {
        ++test_no_face;
      }
    }
  }
  std::vector<Embedding> unknown;
  const auto unk_imgs = sorted_images(testutil::testdata("faces_unknown"));
  fail_unless(unk_imgs.size() >= size_t(kUnknownImages));
  for (int i = 0; i < kUnknownImages; ++i)
    if (auto e = nets.embed(unk_imgs[size_t(i)])) unknown.push_back(*e);

  const Classifier clf = Classifier::train(enrol, ids, people, nets.emb->spec().id);
  fail_unless_equals_int(clf.dim(), 128);

  int correct = 0, wrong_name = 0, rejected = 0;
  for (const auto& [e, p] : tests) {
    const Match m = clf.classify(e, clf.default_threshold());
    if (m.known && m.label_id == p) {
      ++correct;
      fail_unless(m.label == people[size_t(p)]);
      fail_unless(m.score > 0.f && m.score <= 1.f);
    } else if (m.known) {
      ++wrong_name;
    } else {
      ++rejected;
      fail_unless(m.label_id == -1 && m.label.empty() && m.candidate_id >= 0);
    }
  }
  int unknown_ok = 0;
  for (const auto& e : unknown) unknown_ok += clf.classify(e, clf.default_threshold()).known ? 0 : 1;
  const int n_test = kPeople * kTestPerPerson;  // undetected test faces count as failures
  std::printf("classifier: %zu enrolment embeddings, threshold %.3f (chosen from the data)\n",
              enrol.size(), double(clf.default_threshold()));
  std::printf("classifier: known people: %d/%d named correctly (%.1f %%), %d wrong name, %d rejected as "
              "unknown, %d without a detected face\n",
              correct, n_test, 100.0 * correct / n_test, wrong_name, rejected, test_no_face);
  std::printf("classifier: unknown people: %d/%zu unknown (%.1f %%), %d of %d images had a face\n", unknown_ok,
              unknown.size(), unknown.empty() ? 0.0 : 100.0 * unknown_ok / double(unknown.size()),
              int(unknown.size()), kUnknownImages);
  std::fflush(stdout);
  fail_unless(correct * 100 >= 95 * n_test, "only %d/%d known faces named correctly", correct, n_test);
  fail_unless(unknown.size() >= size_t(kUnknownImages * 9 / 10), "faces found in only %zu unknown images",
              unknown.size());
  fail_unless(unknown_ok * 100 >= 80 * int(unknown.size()), "only %d/%zu unknown faces rejected", unknown_ok,
              unknown.size());

  // (b) save -> load round trip: identical decisions, scores and distances.
  TempDir tmp;
  const std::string path = tmp / "people.model";
  clf.save(path);
  fail_unless(fs::exists(path + ".svm"));
  const Classifier back = Classifier::load(path);
  fail_unless(back.labels() == clf.labels());
  fail_unless(back.embedder_id() == clf.embedder_id());
  fail_unless_equals_int(back.dim(), clf.dim());
  fail_unless(back.default_threshold() == clf.default_threshold());
  int n_same = 0, n_cmp = 0;
  for (const auto& t : tests) n_same += same_match(clf.classify(t.first, clf.default_threshold()), back.classify(t.first, back.default_threshold())), ++n_cmp;
  for (const auto& e : unknown) n_same += same_match(clf.classify(e, clf.default_threshold()), back.classify(e, back.default_threshold())), ++n_cmp;
  fail_unless_equals_int(n_same, n_cmp);

  // Wrong embedding length -> Error.
  const std::string msg = expect_error([&] { back.classify(Embedding(512, 0.1f), back.default_threshold()); });
  fail_unless(contains(msg, "512"), "%s", msg.c_str());
}
GST_END_TEST;

GST_START_TEST(test_errors) {
  TempDir tmp;
  const auto s2 = synthetic(2, 4, 1);
  const auto s3 = synthetic(3, 4, 2);
  const Classifier c2 = Classifier::train(s2.samples, s2.ids, s2.labels, "synthetic");
  const Classifier c3 = Classifier::train(s3.samples, s3.ids, s3.labels, "synthetic");
  // Synthetic people are far apart: every sample is its own person.
  for (size_t i = 0; i < s3.samples.size(); ++i) {
    const Match m = c3.classify(s3.samples[i], c3.default_threshold());
    fail_unless(m.known && m.label_id == s3.ids[i]);
  }

  // Missing model file.
  const std::string missing = tmp / "missing.model";
  std::string msg = expect_error([&] { Classifier::load(missing); });
  fail_unless(contains(msg, missing), "%s", msg.c_str());

  // Garbage model file.
  const std::string garbage = tmp / "garbage.model";
  std::ofstream(garbage) << "\x01\x02 this is not a model {{{ ]]\n";
  msg = expect_error([&] { Classifier::load(garbage); });
  fail_unless(contains(msg, garbage), "%s", msg.c_str());

  // Valid JSON, wrong format.
  const std::string other = tmp / "other.json";
  std::ofstream(other) << "{ \"format\": \"something-else\", \"version\": 1 }\n";
  msg = expect_error([&] { Classifier::load(other); });
  fail_unless(contains(msg, other) && contains(msg, "format"), "%s", msg.c_str());

  // Missing .svm.
  const std::string m2 = tmp / "two.model";
  c2.save(m2);
  fail_unless(fs::exists(m2 + ".svm"));
  Classifier::load(m2);  // fine as saved
  fs::rename(m2 + ".svm", tmp / "two.model.svm.bak");
  msg = expect_error([&] { Classifier::load(m2); });
  fail_unless(contains(msg, m2 + ".svm") && contains(msg, "missing"), "%s", msg.c_str());
  fs::rename(tmp / "two.model.svm.bak", m2 + ".svm");

  // .svm with another class count than the labels (2-person model, 3-person SVM).
  const std::string m3 = tmp / "three.model";
  c3.save(m3);
  fs::copy_file(m3 + ".svm", m2 + ".svm", fs::copy_options::overwrite_existing);
  msg = expect_error([&] { Classifier::load(m2); });
  fail_unless(contains(msg, m2 + ".svm") && contains(msg, "mismatched SVM and labels"), "%s", msg.c_str());
  fs::copy_file(m3 + ".svm", tmp / "three.svm.orig");
  // ... and the other way round.
  c2.save(m2);
  fs::copy_file(m2 + ".svm", m3 + ".svm", fs::copy_options::overwrite_existing);
  msg = expect_error([&] { Classifier::load(m3); });
  fail_unless(contains(msg, "mismatched SVM and labels"), "%s", msg.c_str());

  // Garbage .svm.
  std::ofstream(m3 + ".svm") << "not a libsvm model\n";
  msg = expect_error([&] { Classifier::load(m3); });
  fail_unless(contains(msg, m3 + ".svm"), "%s", msg.c_str());

  // Embedding dimension mismatch inside the model file (dim edited by hand).
  c3.save(m3);
  {
    std::ifstream in(m3);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto pos = text.find("\"dim\": 128");
    fail_unless(pos != std::string::npos);
    text.replace(pos, 10, "\"dim\": 64");
    std::ofstream(m3, std::ios::trunc) << text;
  }
  msg = expect_error([&] { Classifier::load(m3); });
  fail_unless(contains(msg, m3) && contains(msg, "dimension mismatch"), "%s", msg.c_str());

  // Inconsistent training input.
  msg = expect_error([&] { Classifier::train(s2.samples, {0, 1}, s2.labels, "x"); });
  msg = expect_error([&] { Classifier::train(s2.samples, s2.ids, {"a", "b", "c"}, "x"); });
  fail_unless(contains(msg, "'c'"), "%s", msg.c_str());
  msg = expect_error([&] { Classifier::load(tmp.path.string()); });  // a folder
  fail_unless(contains(msg, tmp.path.string()), "%s", msg.c_str());
}
GST_END_TEST;

GST_START_TEST(test_single_person) {
  const auto people = pick_identities(2);
  Nets nets;
  std::vector<Embedding> enrol;
  const auto imgs = sorted_images(testutil::testdata("faces/" + people[0]));
  for (int i = 0; i < kEnrolPerPerson; ++i)
    if (auto e = nets.embed(imgs[size_t(i)])) enrol.push_back(*e);
  fail_unless(enrol.size() >= 3);
  const Classifier clf = Classifier::train(enrol, std::vector<int>(enrol.size(), 0), {people[0]},
                                           nets.emb->spec().id);
  TempDir tmp;
  const std::string path = tmp / "solo.model";
  clf.save(path);
  fail_if(fs::exists(path + ".svm"), "a one-person model has no SVM file");
  const Classifier back = Classifier::load(path);
  fail_unless_equals_int(int(back.labels().size()), 1);

  int known = 0, n_known = 0;
  for (int i = kEnrolPerPerson; i < kEnrolPerPerson + kTestPerPerson; ++i) {
    auto e = nets.embed(imgs[size_t(i)]);
    if (!e) continue;
    ++n_known;
    const Match m = back.classify(*e, back.default_threshold());
    fail_unless(same_match(m, clf.classify(*e, clf.default_threshold())));
    if (m.known) {
      ++known;
      fail_unless(m.label == people[0] && m.label_id == 0 && m.score >= 0.5f);
    }
  }
  int rejected = 0, n_other = 0;
  const auto others = sorted_images(testutil::testdata("faces/" + people[1]));
  for (int i = 0; i < kTestPerPerson; ++i) {
    auto e = nets.embed(others[size_t(i)]);
    if (!e) continue;
    ++n_other;
    const Match m = back.classify(*e, back.default_threshold());
    if (!m.known) {
      ++rejected;
      fail_unless(m.candidate_id == 0 && m.label_id == -1 && m.score <= 0.5f);
    }
  }
  std::printf("single person (%s, threshold %.3f): %d/%d recognised, %d/%d of %s rejected\n", people[0].c_str(),
              double(back.default_threshold()), known, n_known, rejected, n_other, people[1].c_str());
  std::fflush(stdout);
  fail_unless(known >= n_known - 1 && n_known >= 4);
  fail_unless(rejected >= n_other - 1 && n_other >= 4);
}
GST_END_TEST;

GST_START_TEST(test_tool) {
  const std::string tool = FACEREC_TRAIN_TOOL;
  fail_unless(fs::exists(tool), "%s not built", tool.c_str());
  const auto people = pick_identities(3);
  TempDir tmp;
  const fs::path ds = tmp.path / "dataset";
  for (const auto& p : people) {
    fs::create_directories(ds / p);
    const auto imgs = sorted_images(testutil::testdata("faces/" + p));
    for (int i = 0; i < 3; ++i)
      fs::create_symlink(fs::absolute(imgs[size_t(i)]), ds / p / fs::path(imgs[size_t(i)]).filename());
  }
  // A garbage .jpg and a face-less image (a plain gradient), plus a person
  // folder with no usable image at all (left out with a warning).
  const fs::path garbage = ds / people[0] / "garbage.jpg";
  std::ofstream(garbage) << "this is not a JPEG file\n";
  const fs::path wall = ds / people[1] / "wall.JPG";
  cv::Mat grad(240, 320, CV_8UC3);
  for (int y = 0; y < grad.rows; ++y)
    for (int x = 0; x < grad.cols; ++x) grad.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(x * 255 / 320), uchar(y), 128);
  fail_unless(cv::imwrite(wall.string(), grad));
  fs::create_directories(ds / "Zz_Nobody");
  std::ofstream(ds / "Zz_Nobody" / "broken.png") << "nope";
  std::ofstream(ds / people[2] / "notes.txt") << "not an image: ignored";

  const std::string model = tmp / "out.model";
  auto [rc, out] = run_command(quote(tool) + " " + quote(ds.string()) + " -o " + quote(model));
  std::printf("---- facerec-train output ----\n%s------------------------------\n", out.c_str());
  std::fflush(stdout);
  fail_unless_equals_int(rc, 0);
  fail_unless(contains(out, garbage.string() + ": unreadable image"), "garbage file not reported");
  fail_unless(contains(out, wall.string() + ": no face found"), "face-less image not reported");
  fail_unless(contains(out, "Zz_Nobody"), "empty person not reported");
  fail_unless(contains(out, "images used: 9 of 12"));
  fail_unless(contains(out, "images skipped: 3"));
  fail_unless(contains(out, "distance threshold:"));
  fail_unless(contains(out, model + ".svm"));
  fail_if(contains(out, "notes.txt"));
  const Classifier clf = Classifier::load(model);
  fail_unless(clf.labels() == people, "labels: the 3 people, without the empty folder");
  fail_unless_equals_int(clf.dim(), 128);
  // The automatic threshold lies in the range of the embedder the model records (its
  // distances: 0.9..1.3 for the default, not dlib's 0.45..0.6).
  const facerec::ThresholdSearch ts = facerec::threshold_search_for(clf.embedder_id());
  fail_unless(clf.default_threshold() >= ts.min && clf.default_threshold() <= ts.max,
              "threshold %.3f outside %s's range %.2f..%.2f", double(clf.default_threshold()), clf.embedder_id().c_str(),
              double(ts.min), double(ts.max));

  // Options, quiet mode, explicit threshold.
  std::tie(rc, out) = run_command(quote(tool) + " -q --kernel rbf --C 5 --threshold 0.5 " + quote(ds.string()) +
                                  " -o " + quote(tmp / "rbf.model"));
  fail_unless_equals_int(rc, 0);
  fail_if(contains(out, "Summary"), "-q prints no summary");
  fail_unless(contains(out, "unreadable image"), "-q still warns");
  fail_unless(Classifier::load(tmp / "rbf.model").default_threshold() == 0.5f);

  // Missing dataset: runtime error naming it.
  const std::string nowhere = tmp / "no-such-dataset";
  std::tie(rc, out) = run_command(quote(tool) + " " + quote(nowhere) + " -o " + quote(tmp / "x.model"));
  fail_unless_equals_int(rc, 1);
  fail_unless(contains(out, nowhere), "%s", out.c_str());
  fail_if(fs::exists(tmp / "x.model"));

  // Usage errors.
  std::tie(rc, out) = run_command(quote(tool));
  fail_unless_equals_int(rc, 2);
  std::tie(rc, out) = run_command(quote(tool) + " " + quote(ds.string()) + " -o m --kernel poly");
  fail_unless_equals_int(rc, 2);
  std::tie(rc, out) = run_command(quote(tool) + " --help");
  fail_unless_equals_int(rc, 0);
  fail_unless(contains(out, "Usage"));
}
GST_END_TEST;

GST_START_TEST(test_enrolment_helpers) {
  TempDir tmp;
  // list_dataset: person folders and image files sorted, extensions case-insensitive,
  // other files and hidden entries ignored.
  const fs::path ds = tmp.path / "ds";
  fs::create_directories(ds / "Bob");
  fs::create_directories(ds / "Alice");
  fs::create_directories(ds / ".hidden");
  for (const char* f : {"b.JPG", "a.png", "c.jpeg", "d.Bmp", "e.txt", ".f.jpg"}) std::ofstream(ds / "Bob" / f) << "x";
  std::ofstream(ds / "loose.jpg") << "x";
  const auto list = facerec::list_dataset(ds.string());
  fail_unless_equals_int(int(list.size()), 2);
  fail_unless(list[0].first == "Alice" && list[0].second.empty());
  fail_unless(list[1].first == "Bob");
  fail_unless_equals_int(int(list[1].second.size()), 4);
  fail_unless(fs::path(list[1].second[0]).filename() == "a.png");
  fail_unless(fs::path(list[1].second[3]).filename() == "d.Bmp");
  std::string msg = expect_error([&] { facerec::list_dataset((tmp.path / "none").string()); });
  fail_unless(contains(msg, (tmp.path / "none").string()), "%s", msg.c_str());
  fs::create_directories(tmp.path / "flat");
  std::ofstream(tmp.path / "flat" / "a.jpg") << "x";
  msg = expect_error([&] { facerec::list_dataset((tmp.path / "flat").string()); });
  fail_unless(contains(msg, "person folder"), "%s", msg.c_str());

  // pick_enrolment_face: the largest box area x confidence.
  std::vector<facerec::Face> faces(3);
  faces[0].box = cv::Rect2f(0, 0, 20, 20);
  faces[0].confidence = 0.99f;
  faces[1].box = cv::Rect2f(50, 50, 60, 70);  // 4200 px x 0.7 = 2940
  faces[1].confidence = 0.7f;
  faces[2].box = cv::Rect2f(10, 10, 30, 30);
  fail_unless_equals_int(facerec::pick_enrolment_face(faces), 1);
  faces.push_back(faces[1]);
  faces[3].box = cv::Rect2f(100, 0, 65, 75);  // larger (4875 px) but doubtful: 0.6 -> 2925
  faces[3].confidence = 0.6f;
  fail_unless_equals_int(facerec::pick_enrolment_face(faces), 1);
  faces[3].confidence = 0.61f;  // 2973.75: now it wins
  fail_unless_equals_int(facerec::pick_enrolment_face(faces), 3);
  {
    // A real case: LFW Amelie_Mauresmo_0014 holds her face (~89x125, confidence 0.9999) and a
    // larger false positive (~103x140, 0.67) in the background; her face must be picked.
    cv::Mat img;
    const auto found = detect_photo("Amelie_Mauresmo/Amelie_Mauresmo_0014.jpg", img);
    fail_unless(found.size() >= 2, "Amelie_Mauresmo_0014: expected her face and a false positive, found %d",
                int(found.size()));
    size_t largest = 0, surest = 0;
    for (size_t i = 1; i < found.size(); ++i) {
      if (found[i].box.area() > found[largest].box.area()) largest = i;
      if (found[i].confidence > found[surest].confidence) surest = i;
    }
    fail_unless(largest != surest, "the largest box is no longer the doubtful one: test premise gone");
    fail_unless_equals_int(facerec::pick_enrolment_face(found), int(surest));
    fail_unless_equals_int(facerec::pick_enrolment_face(found, img.size()), int(surest));
    // Her face: it holds both eyes of the landmark net's 5 points.
    const auto& f = found[surest];
    fail_unless(f.box.contains(f.landmarks[0]) && f.box.contains(f.landmarks[1]));
  }
  fail_unless_equals_int(facerec::pick_enrolment_face({}), -1);
  fail_unless_equals_int(facerec::pick_enrolment_face({}, cv::Size(250, 250)), -1);
  {
    // With the image size, the centre weight 1 - offset / half diagonal: in a 200x200 image
    // (half diagonal 141.4) an 80x80 face centred at (160, 100) scores 6400 x 0.576 = 3685
    // and still beats a 60x60 one in the middle (3600 x 1); centred at (180, 100) it scores
    // 6400 x 0.434 = 2779 and loses.
    std::vector<facerec::Face> two(2);
    two[0].box = cv::Rect2f(70, 70, 60, 60);
    two[0].confidence = 1.f;
    two[1].box = cv::Rect2f(120, 60, 80, 80);
    two[1].confidence = 1.f;
    fail_unless_equals_int(facerec::pick_enrolment_face(two), 1);                     // no size: area
    fail_unless_equals_int(facerec::pick_enrolment_face(two, cv::Size(200, 200)), 1);  // 3685 > 3600
    two[1].box.x = 140;
    fail_unless_equals_int(facerec::pick_enrolment_face(two, cv::Size(200, 200)), 0);  // 2779 < 3600
    fail_unless_equals_int(facerec::pick_enrolment_face(two), 1);
  }
  {
    // A real case: LFW Julianne_Moore_0001 holds her face in the middle (~74x132) and a man's
    // larger face (~90x139) at the right edge; area x confidence alone picked his.
    cv::Mat img;
    const auto found = detect_photo("Julianne_Moore/Julianne_Moore_0001.jpg", img);
    fail_unless_equals_int(int(found.size()), 2);
    const cv::Point2f centre(img.cols / 2.f, img.rows / 2.f);
    const size_t hers = found[0].box.contains(centre) ? 0 : 1;
    fail_unless(found[hers].box.contains(centre) && !found[1 - hers].box.contains(centre),
                "expected one face over the image centre");
    fail_unless(found[1 - hers].box.area() > found[hers].box.area(), "test premise gone: hers is the larger box");
    fail_unless_equals_int(facerec::pick_enrolment_face(found), int(1 - hers));
    fail_unless_equals_int(facerec::pick_enrolment_face(found, img.size()), int(hers));
  }

  // save() into a missing folder names the file.
  const auto s2 = synthetic(2, 3, 5);
  const Classifier c2 = Classifier::train(s2.samples, s2.ids, s2.labels, "synthetic");
  const std::string bad = tmp / "no-such-folder/m.model";
  msg = expect_error([&] { c2.save(bad); });
  fail_unless(contains(msg, bad), "%s", msg.c_str());
}
GST_END_TEST;

static Suite* classifier_suite(void) {
  Suite* s = suite_create("classifier");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_errors);
  tcase_add_test(tc, test_enrolment_helpers);
  tcase_add_test(tc, test_real_data);
  tcase_add_test(tc, test_single_person);
  tcase_add_test(tc, test_tool);
  return s;
}

GST_CHECK_MAIN(classifier);
