// facerec-eval: measures how well a model trained like facerec-train recognises
// the enrolled people and rejects strangers.
//
// For every person folder of DATASET the first K images (sorted by name; shuffled
// per person with --seed) are enrolled and up to N of the others are tested. The
// classifier is trained exactly like facerec-train does (same enrolment code, same
// automatic threshold). Every image of --unknowns is a face of someone not enrolled.
//
// Exit codes: 0 completed run, 1 runtime error, 2 usage error.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <json-glib/json-glib.h>
#include <opencv2/core.hpp>

#include "cli.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/embedding_cache.h"
#include "facerec/enrolment.h"
#include "facerec/models.h"

namespace {

constexpr const char* kProg = "facerec-eval";

void print_help(std::ostream& os) {
  os << "Usage: " << kProg << " DATASET --unknowns DIR [OPTIONS]\n"
     << "\n"
     << "Evaluates recognition on DATASET (one folder of images per person): for each\n"
     << "person the first K images (sorted by name) are enrolled and up to N of the\n"
     << "others are tested; every image in DIR is a stranger that must be rejected as\n"
     << "unknown. The classifier is trained exactly like facerec-train trains it.\n"
     << "\n"
     << "Options:\n"
     << "  --unknowns DIR          folder of images of people not in DATASET (required)\n"
     << "  -k, --enrol K           images enrolled per person (default: 5)\n"
     << "  -n, --test N            images tested per person, at most (default: 20)\n"
     << "  --threshold T           unknown-face distance threshold (default: chosen from\n"
     << "                          the enrolment data, as facerec-train does)\n"
     << "  --seed S                shuffle each person's images with seed S before taking\n"
     << "                          the K enrolment and N test images (default: sorted order)\n"
     << "  --cache FILE            embedding cache file (created if missing): re-runs only\n"
     << "                          embed new or changed images (default: no cache)\n"
     << "  --no-cache              do not use a cache (overrides --cache)\n"
     << "  --detector FILE         face detector model (default: " << facerec::defaults::kDetector << ")\n"
     << "  --embedder FILE         embedding network (default: " << facerec::defaults::kEmbedder << ")\n"
     << "  --kernel linear|rbf     SVM kernel (default: linear)\n"
     << "  --C X                   SVM C (default: 10)\n"
     << "  --json                  print the results as one JSON object on stdout\n"
     << "  -q, --quiet             no progress on stderr\n"
     << "  -h, --help              this help\n"
     << "\n"
     << "Reported: closed-set top-1 accuracy (the classifier's candidate before the\n"
     << "unknown gate: SVM prediction corrected by the nearest-person consistency rule),\n"
     << "then at the model's threshold: known faces named correctly / wrongly named /\n"
     << "rejected as unknown, and strangers rejected, plus a threshold sweep.\n"
     << "Test images in which no face is found count as errors for known people (and\n"
     << "are also reported on their own); a stranger image without a face counts as\n"
     << "rejected (reported on its own too).\n"
     << "Exit status: 0 run completed, 1 runtime error, 2 usage error.\n";
}

[[noreturn]] void usage_error(const std::string& msg) { cli::usage_error(kProg, msg); }

// Shared options (detector, embedder, kernel, C, threshold, cache, no_cache, quiet)
// come from cli::ModelOptions.
struct Args : cli::ModelOptions {
  std::string dataset;
  std::string unknowns;
  int k = 5;
  int n = 20;
  bool has_seed = false;
  unsigned seed = 0;
  bool json = false;
};

Args parse_args(int argc, char** argv) {
  Args a;
  cli::ArgReader r(kProg, argc, argv);
  while (r.next()) {
    const std::string& opt = r.opt();
    if (opt == "-h" || opt == "--help") {
      print_help(std::cout);
      std::exit(0);
    } else if (cli::parse_model_option(kProg, r, a)) {
    } else if (opt == "--unknowns") {
      a.unknowns = r.value();
    } else if (opt == "-k" || opt == "--enrol") {
      a.k = r.whole(1, 100000);
    } else if (opt == "-n" || opt == "--test") {
      a.n = r.whole(1, 100000);
    } else if (opt == "--seed") {
      a.seed = unsigned(r.whole(0, std::numeric_limits<int>::max()));
      a.has_seed = true;
    } else if (opt == "--json") {
      a.json = true;
    } else if (r.is_option()) {
      usage_error("unknown option '" + r.arg() + "'");
    } else if (a.dataset.empty()) {
      a.dataset = r.arg();
    } else {
      usage_error("unexpected argument '" + r.arg() + "' (only one DATASET)");
    }
  }
  if (a.dataset.empty()) usage_error("missing DATASET folder");
  if (a.unknowns.empty()) usage_error("missing --unknowns DIR (a folder of faces of people not in DATASET)");
  return a;
}

std::vector<std::string> list_images(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw facerec::Error(dir, "unknowns folder not found: give a folder of face images of people not enrolled");
  std::vector<std::string> v;
  try {
    v = facerec::list_media(dir);
  } catch (const std::filesystem::filesystem_error& e) {
    throw facerec::Error(dir, std::string("cannot list the unknowns folder: ") + e.what());
  }
  if (v.empty()) throw facerec::Error(dir, "unknowns folder holds no image (.jpg, .jpeg, .png, .bmp)");
  return v;
}

std::string pct(size_t a, size_t b) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %%", b ? 100.0 * double(a) / double(b) : 0.0);
  return buf;
}

double ratio(size_t a, size_t b) { return b ? double(a) / double(b) : 0.0; }

std::string fmt(double v, int prec = 3) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", prec, v);
  return buf;
}

struct Counts {
  size_t correct = 0, wrong = 0, rejected = 0;  // known faces (no-face images: counted apart)
  size_t unknown_rejected = 0, unknown_accepted = 0;
};

struct Test {
  facerec::Embedding e;
  int truth;
};

Counts evaluate(const facerec::Classifier& clf, float threshold, const std::vector<Test>& tests,
                const std::vector<facerec::Embedding>& unknowns, size_t* closed_correct = nullptr) {
  Counts c;
  size_t closed = 0;
  for (const auto& t : tests) {
    const facerec::Match m = clf.classify(t.e, threshold);
    if (m.candidate_id == t.truth) ++closed;
    if (!m.known)
      ++c.rejected;
    else if (m.label_id == t.truth)
      ++c.correct;
    else
      ++c.wrong;
  }
  for (const auto& e : unknowns) (clf.classify(e, threshold).known ? c.unknown_accepted : c.unknown_rejected)++;
  if (closed_correct) *closed_correct = closed;
  return c;
}

int run(const Args& a) {
  namespace fs = std::filesystem;
  const auto t_start = std::chrono::steady_clock::now();
  const bool tty = isatty(STDERR_FILENO) != 0;

  const auto listing = facerec::list_dataset(a.dataset);
  const std::vector<std::string> unknown_paths = list_images(a.unknowns);

  // Per person: enrolment and test images.
  struct Person {
    std::string name;
    std::vector<std::string> enrol, test;
  };
  std::vector<Person> people;
  size_t n_files = unknown_paths.size();
  for (size_t p = 0; p < listing.size(); ++p) {
    std::vector<std::string> imgs = listing[p].second;
    if (a.has_seed) {
      std::mt19937 rng(a.seed + unsigned(p) * 7919u);
      std::shuffle(imgs.begin(), imgs.end(), rng);
    }
    Person person;
    person.name = listing[p].first;
    const size_t k = std::min(imgs.size(), size_t(a.k));
    person.enrol.assign(imgs.begin(), imgs.begin() + long(k));
    const size_t n = std::min(imgs.size() - k, size_t(a.n));
    person.test.assign(imgs.begin() + long(k), imgs.begin() + long(k + n));
    n_files += person.enrol.size() + person.test.size();
    people.push_back(std::move(person));
  }

  facerec::DetectorConfig dcfg;
  dcfg.model = a.detector;
  auto det = facerec::create_detector(dcfg);
  auto emb = facerec::create_embedder(a.embedder.empty() ? facerec::defaults::kEmbedder : a.embedder);
  facerec::EmbeddingCache cache;
  if (!a.no_cache && !a.cache.empty()) {
    cache = facerec::EmbeddingCache(a.cache, facerec::cache_context(*det, *emb));
    std::string warn;
    if (!cache.load(&warn)) std::cerr << kProg << ": warning: " << warn << "\n";
  }
  if (!a.quiet)
    std::cerr << kProg << ": detector: " << det->describe() << "\n"
              << kProg << ": embedder: " << emb->spec().id << " (" << emb->path() << ")\n"
              << kProg << ": " << people.size() << " person folder(s), " << n_files << " image(s) to embed"
              << (cache.enabled() ? " (cache " + cache.path() + ", " + std::to_string(cache.size()) + " entries)"
                                  : std::string())
              << "\n";

  size_t done = 0, last_pct = size_t(-1);
  auto embed = [&](const std::string& path) {
    facerec::EnrolledImage im;
    im.path = path;
    facerec::embed_image(im, *det, *emb, cache.enabled() ? &cache : nullptr);
    ++done;
    if (!a.quiet) {
      if (tty) {
        std::cerr << "\r" << kProg << ": embedding " << done << "/" << n_files << std::flush;
        if (done == n_files) std::cerr << "\n";
      } else if (done * 10 / n_files != last_pct) {
        last_pct = done * 10 / n_files;
        std::cerr << kProg << ": embedding " << done << "/" << n_files << "\n";
      }
    }
    return im;
  };

  // Enrolment, like facerec-train: people without a usable image are left out.
  std::vector<facerec::Embedding> samples;
  std::vector<int> ids;
  std::vector<std::string> labels;
  std::vector<int> label_of(people.size(), -1);
  size_t enrol_listed = 0, enrol_skipped = 0, left_out_tests = 0;
  std::vector<std::string> warnings;
  std::vector<std::vector<facerec::EnrolledImage>> test_ims(people.size());
  for (size_t p = 0; p < people.size(); ++p) {
    std::vector<facerec::Embedding> mine;
    for (const auto& path : people[p].enrol) {
      ++enrol_listed;
      facerec::EnrolledImage im = embed(path);
      if (im.used)
        mine.push_back(std::move(im.embedding));
      else {
        ++enrol_skipped;
        warnings.push_back("enrolment image skipped: " + path + ": " + im.skip_reason);
      }
    }
    for (const auto& path : people[p].test) test_ims[p].push_back(embed(path));
    if (mine.empty()) {
      warnings.push_back((fs::path(a.dataset) / people[p].name).string() +
                         ": no usable enrolment image; this person is left out (with " +
                         std::to_string(people[p].test.size()) + " test image(s))");
      left_out_tests += people[p].test.size();
      continue;
    }
    label_of[p] = int(labels.size());
    labels.push_back(people[p].name);
    for (auto& e : mine) {
      samples.push_back(std::move(e));
      ids.push_back(label_of[p]);
    }
  }
  if (labels.empty()) throw facerec::Error(a.dataset, "no usable enrolment image in any person folder");

  std::vector<Test> tests;
  size_t n_test = 0, test_no_face = 0, test_unreadable = 0;
  for (size_t p = 0; p < people.size(); ++p) {
    if (label_of[p] < 0) continue;
    for (auto& im : test_ims[p]) {
      ++n_test;
      if (im.used)
        tests.push_back({std::move(im.embedding), label_of[p]});
      else if (im.skip_reason == "no face found")
        ++test_no_face;
      else {
        ++test_unreadable;
        warnings.push_back("test image failed: " + im.path + ": " + im.skip_reason);
      }
    }
  }
  if (n_test == 0)
    throw facerec::Error(a.dataset, "no test image: every person has at most K=" + std::to_string(a.k) +
                                        " images; lower -k or add images");
  std::vector<facerec::Embedding> unknowns;
  size_t unknown_no_face = 0;
  for (const auto& path : unknown_paths) {
    facerec::EnrolledImage im = embed(path);
    if (im.used)
      unknowns.push_back(std::move(im.embedding));
    else {
      ++unknown_no_face;
      if (im.skip_reason != "no face found")
        warnings.push_back("unknown image failed: " + path + ": " + im.skip_reason);
    }
  }
  const size_t n_unknown = unknown_paths.size();
  const size_t cache_hits = cache.hits(), cache_misses = cache.misses();
  if (cache.enabled()) {
    try {
      cache.save();
    } catch (const facerec::Error& e) {
      warnings.push_back(std::string("embedding cache not saved: ") + e.what());
    }
  }

  // Training: what facerec-train does.
  facerec::TrainOptions opts;
  opts.kernel = a.kernel;
  opts.C = a.C;
  bool thr_from_data = false;
  opts.distance_threshold = a.threshold > 0.0 ? float(a.threshold)
                                              : facerec::choose_distance_threshold(samples, ids, &thr_from_data);
  const facerec::Classifier clf = facerec::Classifier::train(samples, ids, labels, emb->spec().id, opts);
  const float thr = clf.default_threshold();

  size_t closed = 0;
  const Counts op = evaluate(clf, thr, tests, unknowns, &closed);
  // Nearest enrolled embedding (1-NN), for comparison.
  size_t nn_correct = 0;
  for (const auto& t : tests) {
    float best = std::numeric_limits<float>::infinity();
    int who = -1;
    for (size_t i = 0; i < samples.size(); ++i) {
      double s = 0.0;
      for (size_t j = 0; j < t.e.size(); ++j) {
        const double d = double(t.e[j]) - double(samples[i][j]);
        s += d * d;
      }
      if (float(s) < best) {
        best = float(s);
        who = ids[i];
      }
    }
    if (who == t.truth) ++nn_correct;
  }
  // Unknown images without a face are rejected by construction.
  const size_t unk_rejected = op.unknown_rejected + unknown_no_face;

  struct SweepRow {
    float t;
    Counts c;
  };
  std::vector<SweepRow> sweep;
  for (int s = 0; s <= 10; ++s) {
    const float t = 0.40f + 0.02f * float(s);
    sweep.push_back({t, evaluate(clf, t, tests, unknowns)});
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();

  for (const auto& w : warnings) std::cerr << kProg << ": warning: " << w << "\n";

  const std::string thr_source = a.threshold > 0.0 ? "set with --threshold"
                                 : thr_from_data   ? "chosen from the enrolment data"
                                                   : "default: too little enrolment data";
  if (a.json) {
    // json-glib writes it: one JSON object, pretty-printed; ratios unrounded
    JsonBuilder* b = json_builder_new();
    auto num = [b](const char* k, double v) {
      json_builder_set_member_name(b, k);
      json_builder_add_double_value(b, std::isfinite(v) ? v : 0.0);
    };
    auto count = [b](const char* k, size_t v) {
      json_builder_set_member_name(b, k);
      json_builder_add_int_value(b, static_cast<gint64>(v));
    };
    auto str = [b](const char* k, const std::string& v) {
      json_builder_set_member_name(b, k);
      json_builder_add_string_value(b, v.c_str());
    };
    json_builder_begin_object(b);
    str("dataset", a.dataset);
    str("unknowns_dir", a.unknowns);
    count("k", static_cast<size_t>(a.k));
    count("n", static_cast<size_t>(a.n));
    json_builder_set_member_name(b, "seed");
    if (a.has_seed)
      json_builder_add_int_value(b, static_cast<gint64>(a.seed));
    else
      json_builder_add_null_value(b);
    count("people", labels.size());
    count("people_left_out", people.size() - labels.size());
    count("enrolment_images", samples.size());
    count("enrolment_images_skipped", enrol_skipped);
    count("test_images", n_test);
    count("test_no_face", test_no_face);
    count("test_failed", test_unreadable);
    count("unknown_images", n_unknown);
    count("unknown_no_face", unknown_no_face);
    num("threshold", thr);
    str("threshold_source", thr_source);
    num("closed_set_top1", ratio(closed, n_test));
    num("closed_set_top1_detected", ratio(closed, tests.size()));
    num("nearest_embedding_top1", ratio(nn_correct, n_test));
    num("known_correct", ratio(op.correct, n_test));
    num("known_wrong", ratio(op.wrong, n_test));
    num("known_rejected", ratio(op.rejected, n_test));
    num("known_no_face", ratio(test_no_face + test_unreadable, n_test));
    num("unknown_rejected", ratio(unk_rejected, n_unknown));
    json_builder_set_member_name(b, "sweep");
    json_builder_begin_array(b);
    for (const auto& sw : sweep) {
      json_builder_begin_object(b);
      num("threshold", sw.t);
      num("known_correct", ratio(sw.c.correct, n_test));
      num("known_wrong", ratio(sw.c.wrong, n_test));
      num("unknown_rejected", ratio(sw.c.unknown_rejected + unknown_no_face, n_unknown));
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
    count("cache_hits", cache_hits);
    count("cache_misses", cache_misses);
    num("seconds", seconds);
    json_builder_end_object(b);
    JsonGenerator* gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    JsonNode* root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    gchar* text = json_generator_to_data(gen, nullptr);
    std::cout << text << "\n";
    g_free(text);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(b);
    return 0;
  }

  std::ostream& os = std::cout;
  os << "Evaluation of " << a.dataset << " (K=" << a.k << " enrolled, up to N=" << a.n << " tested per person"
     << (a.has_seed ? ", shuffled with seed " + std::to_string(a.seed) : std::string(", sorted order")) << ")\n";
  os << "  people: " << labels.size();
  if (labels.size() != people.size()) os << " (" << people.size() - labels.size() << " left out: no usable enrolment image)";
  os << "\n";
  os << "  enrolment images: " << samples.size() << " used of " << enrol_listed << "\n";
  os << "  test images (known people): " << n_test << ", no face found in " << test_no_face;
  if (test_unreadable) os << ", failed " << test_unreadable;
  os << " (counted as errors)\n";
  if (left_out_tests) os << "  test images of left-out people (not counted): " << left_out_tests << "\n";
  os << "  unknown images: " << n_unknown << " from " << a.unknowns << ", no face found in " << unknown_no_face
     << " (counted as rejected)\n";
  if (cache.enabled()) os << "  embedding cache: " << cache_hits << " hit(s), " << cache_misses << " miss(es)\n";
  os << "  closed-set top-1 (classifier candidate before the unknown gate: SVM + consistency rule): "
     << pct(closed, n_test) << " (" << closed << "/" << n_test << "; " << pct(closed, tests.size())
     << " of detected faces)\n";
  os << "  closed-set top-1 of the nearest enrolled embedding (for comparison): " << pct(nn_correct, n_test) << "\n";
  os << "  operating point: distance threshold " << fmt(thr) << " (" << thr_source << ")\n";
  os << "    known faces named correctly:     " << pct(op.correct, n_test) << " (" << op.correct << "/" << n_test
     << ")\n";
  os << "    known faces wrongly named:       " << pct(op.wrong, n_test) << " (" << op.wrong << ")\n";
  os << "    known faces rejected as unknown: " << pct(op.rejected, n_test) << " (" << op.rejected << ")\n";
  os << "    known faces not detected:        " << pct(test_no_face + test_unreadable, n_test) << " ("
     << test_no_face + test_unreadable << ")\n";
  os << "    unknown faces rejected:          " << pct(unk_rejected, n_unknown) << " (" << unk_rejected << "/"
     << n_unknown << ")\n";
  os << "  threshold sweep (same model, only the gate threshold changes):\n";
  os << "    threshold  known correct  known wrong  unknown rejected\n";
  for (const auto& r : sweep) {
    char line[128];
    std::snprintf(line, sizeof line, "    %9.2f  %12.1f%%  %10.1f%%  %15.1f%%%s\n", double(r.t),
                  100.0 * ratio(r.c.correct, n_test), 100.0 * ratio(r.c.wrong, n_test),
                  100.0 * ratio(r.c.unknown_rejected + unknown_no_face, n_unknown),
                  std::fabs(r.t - thr) < 0.0005f ? "  <- model" : "");
    os << line;
  }
  os << "  time: " << fmt(seconds, 1) << " s\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  return cli::run_main(kProg, [&] { return run(args); });
}
