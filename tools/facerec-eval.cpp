// facerec-eval: measures how well a model trained like facerec-train recognises
// the enrolled people and rejects strangers.
//
// For every person folder of DATASET the first K images (sorted by name; shuffled
// per person with --seed) are enrolled and up to N of the others are tested. The
// classifier is trained exactly like facerec-train does (same enrolment code, same
// automatic threshold). Every image of --unknowns is a face of someone not enrolled.
// Several seeds (--seed 0-4) evaluate several enrolment splits; every image is
// embedded once for all of them.
//
// Exit codes: 0 completed run, 1 runtime error, 2 usage error.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <json-glib/json-glib.h>
#include <opencv2/core.hpp>

#include "cli.h"
#include "eval_scores.h"
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
     << "                          the K enrolment and N test images (default: sorted order);\n"
     << "                          a range A-B or a list A,B,C evaluates one split per seed\n"
     << "                          (every image is embedded once) and reports each, the mean\n"
     << "                          and the worst\n"
     << "  --cache FILE            embedding cache file (created if missing): re-runs only\n"
     << "                          embed new or changed images (default: no cache)\n"
     << "  --no-cache              do not use a cache (overrides --cache)\n"
     << "  --detector FILE         face detector model (default: " << facerec::defaults::kDetector << ")\n"
     << "  --embedder FILE|ID      embedding network, a file or a manifest id (default: "
     << facerec::defaults::kEmbedder << "):\n"
     << facerec::describe_embedders("                            ")
     << "  --flip, --no-flip       average each face's embedding with its mirror image's, or\n"
     << "                          not (default: as the embedder's manifest entry says)\n"
     << "  --no-refine             landmarks from the detector box only, without the\n"
     << "                          landmark net's refinement pass (for comparisons)\n"
     << "  --kernel linear|rbf     SVM kernel (default: linear)\n"
     << "  --C X                   SVM C (default: 10)\n"
     << "  --json                  print the results as one JSON object on stdout\n"
     << "  --errors                list on stderr every test face whose candidate is someone\n"
     << "                          else, and every stranger named at the chosen threshold\n"
     << "  -q, --quiet             no progress on stderr\n"
     << "  -h, --help              this help\n"
     << "\n"
     << "Reported: closed-set top-1 accuracy (the classifier's candidate before the\n"
     << "unknown gate: SVM prediction corrected by the nearest-person consistency rule),\n"
     << "then at the model's threshold: known faces named correctly / wrongly named /\n"
     << "rejected as unknown, and strangers rejected, plus a threshold sweep over the\n"
     << "embedder's threshold range and the best threshold in hindsight (the one that\n"
     << "maximises known named + strangers rejected on the test data itself: how much the\n"
     << "threshold chosen from the enrolment data leaves on the table).\n"
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
  std::vector<unsigned> seeds;  // empty: one split in sorted order
  int flip = -1;                // -1: the embedder's default, 0 off, 1 on
  bool refine = true;
  bool json = false;
  bool errors = false;  // list the misnamed test faces and accepted strangers on stderr
};

// "S", "A-B" or "A,B,C".
std::vector<unsigned> parse_seeds(const std::string& v) {
  const long kMax = std::numeric_limits<int>::max();
  std::vector<unsigned> out;
  const auto dash = v.find('-');
  if (dash != std::string::npos && dash > 0) {
    const int a = cli::parse_int(kProg, "--seed", v.substr(0, dash), 0, kMax);
    const int b = cli::parse_int(kProg, "--seed", v.substr(dash + 1), 0, kMax);
    if (b < a || b - a >= 1000) usage_error("--seed A-B needs A <= B and at most 1000 seeds, got '" + v + "'");
    for (int s = a; s <= b; ++s) out.push_back(unsigned(s));
    return out;
  }
  std::stringstream ss(v);
  std::string item;
  std::set<unsigned> seen;
  while (std::getline(ss, item, ',')) {
    const unsigned s = unsigned(cli::parse_int(kProg, "--seed", item, 0, kMax));
    if (!seen.insert(s).second) usage_error("--seed lists " + item + " twice");
    out.push_back(s);
  }
  if (out.empty() || v.back() == ',') usage_error("option --seed needs S, A-B or A,B,C, got '" + v + "'");
  return out;
}

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
      a.seeds = parse_seeds(r.value());
    } else if (opt == "--flip") {
      a.flip = 1;
    } else if (opt == "--no-flip") {
      a.flip = 0;
    } else if (opt == "--no-refine") {
      a.refine = false;
    } else if (opt == "--json") {
      a.json = true;
    } else if (opt == "--errors") {
      a.errors = true;
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

struct Person {
  std::string name;
  std::vector<std::string> enrol, test;
};

// One enrolment split and what it measured.
struct Split {
  bool shuffled = false;
  unsigned seed = 0;
  std::vector<Person> people;
  // results
  size_t labels = 0, enrol_listed = 0, enrolled = 0, enrol_skipped = 0, left_out_tests = 0;
  size_t n_test = 0, test_no_face = 0, test_failed = 0, n_unknown = 0, unknown_no_face = 0;
  float threshold = 0.f;
  std::string threshold_source;
  size_t closed = 0, nn_correct = 0;
  evaltool::Rates op;
  float best_threshold = 0.f;
  evaltool::Rates best;
  std::vector<std::pair<float, evaltool::Rates>> sweep;

  double top1() const { return ratio(closed, n_test); }
  double known_correct(const evaltool::Rates& r) const { return ratio(r.correct, n_test); }
  double known_wrong(const evaltool::Rates& r) const { return ratio(r.wrong, n_test); }
  double unknown_rejected(const evaltool::Rates& r) const {
    return ratio(r.unknown_rejected + unknown_no_face, n_unknown);
  }
};

std::vector<Person> make_people(const std::vector<std::pair<std::string, std::vector<std::string>>>& listing,
                                const Args& a, bool shuffled, unsigned seed) {
  std::vector<Person> people;
  for (size_t p = 0; p < listing.size(); ++p) {
    std::vector<std::string> imgs = listing[p].second;
    if (shuffled) {
      std::mt19937 rng(seed + unsigned(p) * 7919u);
      std::shuffle(imgs.begin(), imgs.end(), rng);
    }
    Person person;
    person.name = listing[p].first;
    const size_t k = std::min(imgs.size(), size_t(a.k));
    person.enrol.assign(imgs.begin(), imgs.begin() + long(k));
    const size_t n = std::min(imgs.size() - k, size_t(a.n));
    person.test.assign(imgs.begin() + long(k), imgs.begin() + long(k + n));
    people.push_back(std::move(person));
  }
  return people;
}

// Trains like facerec-train on the split's enrolment images and scores its tests.
void evaluate_split(Split& sp, const Args& a, const std::map<std::string, facerec::EnrolledImage>& embedded,
                    const std::vector<std::string>& unknown_paths, const facerec::EmbedderSpec& spec,
                    std::vector<std::string>& warnings) {
  namespace fs = std::filesystem;
  const std::string tag = sp.shuffled ? " (seed " + std::to_string(sp.seed) + ")" : std::string();
  auto get = [&embedded](const std::string& path) -> const facerec::EnrolledImage& { return embedded.at(path); };
  std::vector<facerec::Embedding> samples;
  std::vector<int> ids;
  std::vector<std::string> labels;
  std::vector<int> label_of(sp.people.size(), -1);
  for (size_t p = 0; p < sp.people.size(); ++p) {
    std::vector<const facerec::Embedding*> mine;
    for (const auto& path : sp.people[p].enrol) {
      ++sp.enrol_listed;
      const facerec::EnrolledImage& im = get(path);
      if (im.used) {
        mine.push_back(&im.embedding);
      } else {
        ++sp.enrol_skipped;
        warnings.push_back("enrolment image skipped" + tag + ": " + path + ": " + im.skip_reason);
      }
    }
    if (mine.empty()) {
      warnings.push_back((fs::path(a.dataset) / sp.people[p].name).string() + ": no usable enrolment image" + tag +
                         "; this person is left out (with " + std::to_string(sp.people[p].test.size()) +
                         " test image(s))");
      sp.left_out_tests += sp.people[p].test.size();
      continue;
    }
    label_of[p] = int(labels.size());
    labels.push_back(sp.people[p].name);
    for (const auto* e : mine) {
      samples.push_back(*e);
      ids.push_back(label_of[p]);
    }
  }
  if (labels.empty()) throw facerec::Error(a.dataset, "no usable enrolment image in any person folder");
  sp.labels = labels.size();
  sp.enrolled = samples.size();

  // Training: what facerec-train does, with the embedder's threshold range.
  facerec::TrainOptions opts;
  opts.kernel = a.kernel;
  opts.C = a.C;
  opts.threshold_search = spec.threshold_search;
  bool from_data = false;
  opts.distance_threshold = a.threshold > 0.0
                                ? float(a.threshold)
                                : facerec::choose_distance_threshold(samples, ids, &from_data, spec.threshold_search);
  const facerec::Classifier clf = facerec::Classifier::train(samples, ids, labels, spec.id, opts);
  sp.threshold = clf.default_threshold();
  sp.threshold_source = a.threshold > 0.0 ? "set with --threshold"
                        : from_data       ? "chosen from the enrolment data"
                                          : "default: too little enrolment data";

  evaltool::Scores scores;
  for (size_t p = 0; p < sp.people.size(); ++p) {
    if (label_of[p] < 0) continue;
    for (const auto& path : sp.people[p].test) {
      ++sp.n_test;
      const facerec::EnrolledImage& im = get(path);
      if (!im.used) {
        if (im.skip_reason == "no face found") {
          ++sp.test_no_face;
        } else {
          ++sp.test_failed;
          warnings.push_back("test image failed: " + im.path + ": " + im.skip_reason);
        }
        continue;
      }
      const facerec::Match m = clf.classify(im.embedding, sp.threshold);
      const bool right = m.candidate_id == label_of[p];
      sp.closed += right ? 1 : 0;
      if (!right && a.errors)
        std::cerr << kProg << ": error" << tag << ": " << path << ": " << sp.people[p].name << " taken for "
                  << (m.candidate_id >= 0 ? labels[size_t(m.candidate_id)] : std::string("nobody")) << " (distance "
                  << fmt(m.distance) << ")\n";
      scores.add_test(right, m.distance);
      // Nearest enrolled embedding (1-NN), for comparison.
      double best = std::numeric_limits<double>::infinity();
      int who = -1;
      for (size_t i = 0; i < samples.size(); ++i) {
        double s = 0.0;
        for (size_t j = 0; j < im.embedding.size(); ++j) {
          const double d = double(im.embedding[j]) - double(samples[i][j]);
          s += d * d;
        }
        if (s < best) best = s, who = ids[i];
      }
      sp.nn_correct += who == label_of[p] ? 1 : 0;
    }
  }
  if (sp.n_test == 0)
    throw facerec::Error(a.dataset, "no test image: every person has at most K=" + std::to_string(a.k) +
                                        " images; lower -k or add images");
  sp.n_unknown = unknown_paths.size();
  for (const auto& path : unknown_paths) {
    const facerec::EnrolledImage& im = get(path);
    if (!im.used) {
      ++sp.unknown_no_face;
      continue;
    }
    const facerec::Match m = clf.classify(im.embedding, sp.threshold);
    scores.add_unknown(m.distance);
    if (a.errors && m.distance <= sp.threshold)
      std::cerr << kProg << ": error" << tag << ": " << path << ": stranger named "
                << (m.candidate_id >= 0 ? labels[size_t(m.candidate_id)] : std::string("?")) << " (distance "
                << fmt(m.distance) << ")\n";
  }
  sp.op = scores.at(sp.threshold);
  sp.best_threshold = scores.best_threshold(sp.n_test, sp.n_unknown, sp.unknown_no_face);
  sp.best = scores.at(sp.best_threshold);
  // The sweep: 11 thresholds from a third of the search range below its start to its end
  // (for the dlib embedder 0.40..0.60).
  const facerec::ThresholdSearch& ts = spec.threshold_search;
  const double lo = double(ts.min) - double(ts.max - ts.min) / 3.0, step = (double(ts.max) - lo) / 10.0;
  for (int s = 0; s <= 10; ++s) {
    const float t = float(lo + step * s);
    sp.sweep.emplace_back(t, scores.at(t));
  }
}

struct JsonOut {
  JsonBuilder* b = json_builder_new();
  ~JsonOut() { g_object_unref(b); }
  void num(const char* k, double v) {
    json_builder_set_member_name(b, k);
    json_builder_add_double_value(b, std::isfinite(v) ? v : 0.0);
  }
  void count(const char* k, size_t v) {
    json_builder_set_member_name(b, k);
    json_builder_add_int_value(b, static_cast<gint64>(v));
  }
  void str(const char* k, const std::string& v) {
    json_builder_set_member_name(b, k);
    json_builder_add_string_value(b, v.c_str());
  }
  void boolean(const char* k, bool v) {
    json_builder_set_member_name(b, k);
    json_builder_add_boolean_value(b, v);
  }
  std::string text() {
    JsonGenerator* gen = json_generator_new();
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    JsonNode* root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    gchar* t = json_generator_to_data(gen, nullptr);
    std::string s(t);
    g_free(t);
    json_node_unref(root);
    g_object_unref(gen);
    return s;
  }
};

// The per-split members (counts, threshold, rates, sweep) of the current JSON object.
void json_split(JsonOut& j, const Split& sp) {
  json_builder_set_member_name(j.b, "seed");
  if (sp.shuffled)
    json_builder_add_int_value(j.b, static_cast<gint64>(sp.seed));
  else
    json_builder_add_null_value(j.b);
  j.count("people", sp.labels);
  j.count("people_left_out", sp.people.size() - sp.labels);
  j.count("enrolment_images", sp.enrolled);
  j.count("enrolment_images_skipped", sp.enrol_skipped);
  j.count("test_images", sp.n_test);
  j.count("test_no_face", sp.test_no_face);
  j.count("test_failed", sp.test_failed);
  j.count("unknown_images", sp.n_unknown);
  j.count("unknown_no_face", sp.unknown_no_face);
  j.num("threshold", sp.threshold);
  j.str("threshold_source", sp.threshold_source);
  j.num("closed_set_top1", sp.top1());
  j.num("closed_set_top1_detected", ratio(sp.closed, sp.n_test - sp.test_no_face - sp.test_failed));
  j.num("nearest_embedding_top1", ratio(sp.nn_correct, sp.n_test));
  j.num("known_correct", sp.known_correct(sp.op));
  j.num("known_wrong", sp.known_wrong(sp.op));
  j.num("known_rejected", ratio(sp.op.rejected, sp.n_test));
  j.num("known_no_face", ratio(sp.test_no_face + sp.test_failed, sp.n_test));
  j.num("unknown_rejected", sp.unknown_rejected(sp.op));
  j.num("best_threshold", sp.best_threshold);
  j.num("best_known_correct", sp.known_correct(sp.best));
  j.num("best_known_wrong", sp.known_wrong(sp.best));
  j.num("best_unknown_rejected", sp.unknown_rejected(sp.best));
  json_builder_set_member_name(j.b, "sweep");
  json_builder_begin_array(j.b);
  for (const auto& [t, r] : sp.sweep) {
    json_builder_begin_object(j.b);
    j.num("threshold", t);
    j.num("known_correct", sp.known_correct(r));
    j.num("known_wrong", sp.known_wrong(r));
    j.num("unknown_rejected", sp.unknown_rejected(r));
    json_builder_end_object(j.b);
  }
  json_builder_end_array(j.b);
}

int run(const Args& a) {
  const auto t_start = std::chrono::steady_clock::now();
  const bool tty = isatty(STDERR_FILENO) != 0;

  const auto listing = facerec::list_dataset(a.dataset);
  const std::vector<std::string> unknown_paths = list_images(a.unknowns);

  std::vector<Split> splits;
  if (a.seeds.empty()) {
    splits.emplace_back();
    splits.back().people = make_people(listing, a, false, 0);
  } else {
    for (unsigned seed : a.seeds) {
      Split sp;
      sp.shuffled = true;
      sp.seed = seed;
      sp.people = make_people(listing, a, true, seed);
      splits.push_back(std::move(sp));
    }
  }
  // Every image any split uses, embedded once.
  std::vector<std::string> files;
  {
    std::set<std::string> seen;
    for (const auto& sp : splits)
      for (const auto& p : sp.people) {
        for (const auto& f : p.enrol)
          if (seen.insert(f).second) files.push_back(f);
        for (const auto& f : p.test)
          if (seen.insert(f).second) files.push_back(f);
      }
    for (const auto& f : unknown_paths)
      if (seen.insert(f).second) files.push_back(f);
  }

  facerec::DetectorConfig dcfg;
  dcfg.model = a.detector;
  dcfg.refine_landmarks = a.refine;
  auto det = facerec::create_detector(dcfg);
  std::unique_ptr<facerec::Embedder> emb =
      facerec::create_embedder(a.embedder.empty() ? facerec::defaults::kEmbedder : a.embedder);
  if (a.flip >= 0 && emb->spec().flip_average != (a.flip == 1)) {
    facerec::EmbedderSpec spec = emb->spec();
    spec.file = emb->path();
    spec.flip_average = a.flip == 1;
    emb = facerec::create_embedder(spec);
  }
  const facerec::EmbedderSpec& spec = emb->spec();
  facerec::EmbeddingCache cache;
  if (!a.no_cache && !a.cache.empty()) {
    cache = facerec::EmbeddingCache(a.cache, facerec::cache_context(*det, *emb));
    std::string warn;
    if (!cache.load(&warn)) std::cerr << kProg << ": warning: " << warn << "\n";
  }
  if (!a.quiet)
    std::cerr << kProg << ": detector: " << det->describe() << "\n"
              << kProg << ": embedder: " << spec.id << " (" << emb->path() << ")"
              << (spec.flip_average ? ", flip averaging" : "") << "\n"
              << kProg << ": " << listing.size() << " person folder(s), " << files.size() << " image(s) to embed"
              << (cache.enabled() ? " (cache " + cache.path() + ", " + std::to_string(cache.size()) + " entries)"
                                  : std::string())
              << "\n";

  std::map<std::string, facerec::EnrolledImage> embedded;
  size_t last_pct = size_t(-1);
  for (size_t i = 0; i < files.size(); ++i) {
    facerec::EnrolledImage im;
    im.path = files[i];
    facerec::embed_image(im, *det, *emb, cache.enabled() ? &cache : nullptr);
    embedded.emplace(files[i], std::move(im));
    if (a.quiet) continue;
    const size_t done = i + 1;
    if (tty) {
      std::cerr << "\r" << kProg << ": embedding " << done << "/" << files.size() << std::flush;
      if (done == files.size()) std::cerr << "\n";
    } else if (done * 10 / files.size() != last_pct) {
      last_pct = done * 10 / files.size();
      std::cerr << kProg << ": embedding " << done << "/" << files.size() << "\n";
    }
  }
  std::vector<std::string> warnings;
  for (const auto& path : unknown_paths) {
    const facerec::EnrolledImage& im = embedded.at(path);
    if (!im.used && im.skip_reason != "no face found")
      warnings.push_back("unknown image failed: " + path + ": " + im.skip_reason);
  }
  const size_t cache_hits = cache.hits(), cache_misses = cache.misses();
  if (cache.enabled()) {
    try {
      cache.save();
    } catch (const facerec::Error& e) {
      warnings.push_back(std::string("embedding cache not saved: ") + e.what());
    }
  }
  for (auto& sp : splits) evaluate_split(sp, a, embedded, unknown_paths, spec, warnings);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  for (const auto& w : warnings) std::cerr << kProg << ": warning: " << w << "\n";

  // Mean and worst over the splits.
  struct Summary {
    double top1 = 0, correct = 0, wrong = 0, rejected = 0, best_correct = 0, best_rejected = 0;
  } mean, worst{1, 1, 0, 1, 1, 1};
  for (const auto& sp : splits) {
    const double v[6] = {sp.top1(), sp.known_correct(sp.op), sp.known_wrong(sp.op), sp.unknown_rejected(sp.op),
                         sp.known_correct(sp.best), sp.unknown_rejected(sp.best)};
    mean.top1 += v[0], mean.correct += v[1], mean.wrong += v[2], mean.rejected += v[3];
    mean.best_correct += v[4], mean.best_rejected += v[5];
    worst.top1 = std::min(worst.top1, v[0]), worst.correct = std::min(worst.correct, v[1]);
    worst.wrong = std::max(worst.wrong, v[2]), worst.rejected = std::min(worst.rejected, v[3]);
    worst.best_correct = std::min(worst.best_correct, v[4]), worst.best_rejected = std::min(worst.best_rejected, v[5]);
  }
  const double ns = double(splits.size());
  mean.top1 /= ns, mean.correct /= ns, mean.wrong /= ns, mean.rejected /= ns;
  mean.best_correct /= ns, mean.best_rejected /= ns;
  const std::string landmarks = a.refine ? "refined" : "box pass only";

  if (a.json) {
    JsonOut j;
    json_builder_begin_object(j.b);
    j.str("dataset", a.dataset);
    j.str("unknowns_dir", a.unknowns);
    j.count("k", static_cast<size_t>(a.k));
    j.count("n", static_cast<size_t>(a.n));
    j.str("embedder", spec.id);
    j.count("embedding_dim", static_cast<size_t>(spec.dim));
    j.boolean("flip_average", spec.flip_average);
    j.str("landmarks", landmarks);
    if (splits.size() == 1) {
      // One split: its figures at the top level.
      json_split(j, splits[0]);
    } else {
      json_builder_set_member_name(j.b, "seeds");
      json_builder_begin_array(j.b);
      for (const auto& sp : splits) json_builder_add_int_value(j.b, sp.seed);
      json_builder_end_array(j.b);
      // Several: the means at the top level (counts of the first split: the same sizes for
      // every split), the worst split's figures, and every split.
      const Split& f = splits[0];
      j.count("people", f.labels);
      j.count("test_images", f.n_test);
      j.count("unknown_images", f.n_unknown);
      j.num("closed_set_top1", mean.top1);
      j.num("known_correct", mean.correct);
      j.num("known_wrong", mean.wrong);
      j.num("unknown_rejected", mean.rejected);
      j.num("best_known_correct", mean.best_correct);
      j.num("best_unknown_rejected", mean.best_rejected);
      json_builder_set_member_name(j.b, "worst");
      json_builder_begin_object(j.b);
      j.num("closed_set_top1", worst.top1);
      j.num("known_correct", worst.correct);
      j.num("known_wrong", worst.wrong);
      j.num("unknown_rejected", worst.rejected);
      j.num("best_known_correct", worst.best_correct);
      j.num("best_unknown_rejected", worst.best_rejected);
      json_builder_end_object(j.b);
      json_builder_set_member_name(j.b, "splits");
      json_builder_begin_array(j.b);
      for (const auto& sp : splits) {
        json_builder_begin_object(j.b);
        json_split(j, sp);
        json_builder_end_object(j.b);
      }
      json_builder_end_array(j.b);
    }
    j.count("cache_hits", cache_hits);
    j.count("cache_misses", cache_misses);
    j.num("seconds", seconds);
    json_builder_end_object(j.b);
    std::cout << j.text() << "\n";
    return 0;
  }

  std::ostream& os = std::cout;
  os << "Evaluation of " << a.dataset << " (K=" << a.k << " enrolled, up to N=" << a.n << " tested per person";
  if (splits.size() == 1)
    os << (splits[0].shuffled ? ", shuffled with seed " + std::to_string(splits[0].seed) : std::string(", sorted order"));
  else
    os << ", " << splits.size() << " splits: seeds " << splits.front().seed << ".." << splits.back().seed;
  os << ")\n";
  os << "  embedder: " << spec.id << " (" << spec.dim << "-d" << (spec.flip_average ? ", flip averaging" : "")
     << "), landmarks " << landmarks << "\n";
  if (cache.enabled()) os << "  embedding cache: " << cache_hits << " hit(s), " << cache_misses << " miss(es)\n";
  if (splits.size() > 1) {
    os << "  split   top-1   threshold  named  wrong  strangers rejected | best in hindsight: threshold  named  "
          "strangers rejected\n";
    char line[256];
    for (const auto& sp : splits) {
      std::snprintf(line, sizeof line, "  seed %-2u %5.1f%%  %9.3f  %5.1f%%  %4.1f%%  %17.1f%%  |  %27.3f  %5.1f%%  %17.1f%%\n",
                    sp.seed, 100 * sp.top1(), double(sp.threshold), 100 * sp.known_correct(sp.op),
                    100 * sp.known_wrong(sp.op), 100 * sp.unknown_rejected(sp.op), double(sp.best_threshold),
                    100 * sp.known_correct(sp.best), 100 * sp.unknown_rejected(sp.best));
      os << line;
    }
    std::snprintf(line, sizeof line, "  mean    %5.1f%%  %9s  %5.1f%%  %4.1f%%  %17.1f%%  |  %27s  %5.1f%%  %17.1f%%\n",
                  100 * mean.top1, "", 100 * mean.correct, 100 * mean.wrong, 100 * mean.rejected, "",
                  100 * mean.best_correct, 100 * mean.best_rejected);
    os << line;
    std::snprintf(line, sizeof line, "  worst   %5.1f%%  %9s  %5.1f%%  %4.1f%%  %17.1f%%  |  %27s  %5.1f%%  %17.1f%%\n",
                  100 * worst.top1, "", 100 * worst.correct, 100 * worst.wrong, 100 * worst.rejected, "",
                  100 * worst.best_correct, 100 * worst.best_rejected);
    os << line;
    const Split& f = splits[0];
    os << "  (" << f.labels << " people, " << f.enrolled << " enrolment images, " << f.n_test << " test images, "
       << f.n_unknown << " strangers in the first split; thresholds chosen from the enrolment data)\n";
    os << "  time: " << fmt(seconds, 1) << " s\n";
    return 0;
  }
  const Split& sp = splits[0];
  os << "  people: " << sp.labels;
  if (sp.labels != sp.people.size()) os << " (" << sp.people.size() - sp.labels << " left out: no usable enrolment image)";
  os << "\n";
  os << "  enrolment images: " << sp.enrolled << " used of " << sp.enrol_listed << "\n";
  os << "  test images (known people): " << sp.n_test << ", no face found in " << sp.test_no_face;
  if (sp.test_failed) os << ", failed " << sp.test_failed;
  os << " (counted as errors)\n";
  if (sp.left_out_tests) os << "  test images of left-out people (not counted): " << sp.left_out_tests << "\n";
  os << "  unknown images: " << sp.n_unknown << " from " << a.unknowns << ", no face found in " << sp.unknown_no_face
     << " (counted as rejected)\n";
  const size_t detected = sp.n_test - sp.test_no_face - sp.test_failed;
  os << "  closed-set top-1 (classifier candidate before the unknown gate: SVM + consistency rule): "
     << pct(sp.closed, sp.n_test) << " (" << sp.closed << "/" << sp.n_test << "; " << pct(sp.closed, detected)
     << " of detected faces)\n";
  os << "  closed-set top-1 of the nearest enrolled embedding (for comparison): " << pct(sp.nn_correct, sp.n_test)
     << "\n";
  const size_t unk_rejected = sp.op.unknown_rejected + sp.unknown_no_face;
  os << "  operating point: distance threshold " << fmt(sp.threshold) << " (" << sp.threshold_source << ")\n";
  os << "    known faces named correctly:     " << pct(sp.op.correct, sp.n_test) << " (" << sp.op.correct << "/"
     << sp.n_test << ")\n";
  os << "    known faces wrongly named:       " << pct(sp.op.wrong, sp.n_test) << " (" << sp.op.wrong << ")\n";
  os << "    known faces rejected as unknown: " << pct(sp.op.rejected, sp.n_test) << " (" << sp.op.rejected << ")\n";
  os << "    known faces not detected:        " << pct(sp.test_no_face + sp.test_failed, sp.n_test) << " ("
     << sp.test_no_face + sp.test_failed << ")\n";
  os << "    unknown faces rejected:          " << pct(unk_rejected, sp.n_unknown) << " (" << unk_rejected << "/"
     << sp.n_unknown << ")\n";
  os << "  best threshold in hindsight (on these test faces): " << fmt(sp.best_threshold) << ": known faces named "
     << pct(sp.best.correct, sp.n_test) << ", wrongly named " << pct(sp.best.wrong, sp.n_test)
     << ", unknown faces rejected " << pct(sp.best.unknown_rejected + sp.unknown_no_face, sp.n_unknown) << "\n";
  os << "  threshold sweep (same model, only the gate threshold changes):\n";
  os << "    threshold  known correct  known wrong  unknown rejected\n";
  for (const auto& [t, r] : sp.sweep) {
    char line[128];
    std::snprintf(line, sizeof line, "    %9.2f  %12.1f%%  %10.1f%%  %15.1f%%%s\n", double(t),
                  100.0 * sp.known_correct(r), 100.0 * sp.known_wrong(r), 100.0 * sp.unknown_rejected(r),
                  std::fabs(t - sp.threshold) < 0.0005f ? "  <- model" : "");
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
