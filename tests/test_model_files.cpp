// Model files that cannot crash or mislead the process (MODEL + MODEL.svm).
//
//  svm_damaged      hand-made damage to a real trained .svm (truncations at several
//                   points, header only, counts inconsistent/negative/huge, feature
//                   index beyond dim, NaN, labels not those of the JSON, ...): each
//                   load is an Error naming the .svm, in a child process so that a
//                   crash is reported as such
//  svm_mutations    300 seeded random mutations of the same file: each loads and
//                   classifies, or is an Error; never a crash
//  svm_format       the writer is byte for byte libsvm's svm_save_model, libsvm's own
//                   loader reads our files into the same model (svm-predict works),
//                   and parse(to_text()) round-trips (linear and rbf)
//  json_damaged     100,000-deep JSON, non-numeric/infinite/NaN thresholds, NaN
//                   embeddings, labels of the wrong type, ... : Errors naming MODEL
//  renamed_pair     a pair renamed or copied together loads; a lone MODEL says how
//                   to fix it
//  save_targets     save() refuses FIFOs and folders as targets and replaces nothing
//  threshold        choose_distance_threshold's exact numbers (recorded from the
//                   code before the split), its search range as a parameter, and
//                   classify()'s explicit gate threshold
//  utf8_names       a person folder whose name is not UTF-8 is refused by
//                   facerec-train, a label that is not UTF-8 by train() and load()
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "common.h"
#include "train.h"
#include "isolate.h"
#include "facerec/classifier.h"
#include "facerec/model_file.h"
#include "facerec/operating_point.h"
#include "facerec/svm.h"

namespace fs = std::filesystem;
using facerec::Classifier;
using facerec::Embedding;
using facerec::Error;
using facerec::Match;
using testutil::contains;
using testutil::TempDir;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  fail_unless(bool(in), "cannot read %s", path.c_str());
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  fail_unless(bool(out), "cannot write %s", path.c_str());
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

// What loading a model (and classifying `probes` with it) did, in a child process.
struct Outcome {
  enum Kind { kError, kAccepted, kCrashed, kOther } kind = kOther;
  std::string text;  // the error message, or what went wrong
};

Outcome try_load(const std::string& model, const std::vector<Embedding>& probes) {
  const testutil::Isolated r = testutil::run_isolated([&]() -> std::string {
    try {
      const Classifier c = Classifier::load(model);
      for (const auto& e : probes) {
        const Match m = c.classify(e, c.default_threshold());
        if (m.candidate_id < 0 || size_t(m.candidate_id) >= c.labels().size() || !(m.score >= 0.f && m.score <= 1.f))
          return "Oaccepted, but classify gave candidate " + std::to_string(m.candidate_id) + " score " +
                 std::to_string(m.score);
      }
      return "A";
    } catch (const Error&) {
      throw;  // comes back as kThrew
    } catch (const std::exception& e) {
      return std::string("Onot a facerec::Error: ") + e.what();
    }
  });
  Outcome o;
  if (r.kind == testutil::Isolated::kThrew) {
    o.kind = Outcome::kError;
    o.text = r.text;
  } else if (r.kind != testutil::Isolated::kReturned) {
    o.kind = Outcome::kCrashed;  // a signal, or no answer in time
    o.text = r.text;
  } else if (r.text == "A") {
    o.kind = Outcome::kAccepted;
  } else {
    o.text = r.text.substr(1);
  }
  return o;
}

// A model trained from real faces (3 LFW people x 4 images), saved as DIR/real.model;
// `probes`: its embeddings.
std::string real_model(const TempDir& dir, std::vector<Embedding>* probes) {
  testutil::Nets nets;
  const auto people = testutil::pick_identities(3);
  fail_unless_equals_int(int(people.size()), 3);
  std::vector<Embedding> samples;
  std::vector<int> ids;
  for (int p = 0; p < 3; ++p) {
    const auto imgs = testutil::sorted_images(testutil::testdata("faces/" + people[size_t(p)]));
    for (int i = 0; i < 4; ++i)
      if (auto e = nets.embed(imgs[size_t(i)])) {
        samples.push_back(*e);
        ids.push_back(p);
      }
  }
  const std::string path = dir / "real.model";
  Classifier::train(samples, ids, people, nets.emb->spec().id).save(path);
  *probes = samples;
  return path;
}

// Synthetic 128-d people (random points of norm ~1, samples within ~0.25).
struct Synthetic {
  std::vector<Embedding> samples;
  std::vector<int> ids;
  std::vector<std::string> labels;
};

Synthetic synthetic(int people, int per_person, unsigned seed) {
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

// ---- text surgery on .svm and JSON files

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t b = 0;
  while (b < text.size()) {
    const size_t e = text.find('\n', b);
    out.push_back(text.substr(b, e == std::string::npos ? std::string::npos : e - b + 1));
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += l;
  return s;
}

size_t sv_start(const std::string& svm) {
  const size_t p = svm.find("\nSV\n");
  fail_unless(p != std::string::npos);
  return p + 4;
}

// The header line "key ..." replaced by `line` ("" removes it).
std::string set_header(const std::string& svm, const std::string& key, const std::string& line) {
  auto ls = lines_of(svm);
  for (auto& l : ls)
    if (l.rfind(key + " ", 0) == 0) {
      l = line.empty() ? "" : line + "\n";
      return join(ls);
    }
  fail("no header line %s", key.c_str());
  return {};
}

std::vector<long long> header_ints(const std::string& svm, const std::string& key) {
  for (const auto& l : lines_of(svm))
    if (l.rfind(key + " ", 0) == 0) {
      std::vector<long long> v;
      size_t pos = key.size();
      while (pos < l.size()) {
        char* end = nullptr;
        const long long x = std::strtoll(l.c_str() + pos, &end, 10);
        if (end == l.c_str() + pos) break;
        v.push_back(x);
        pos = size_t(end - l.c_str());
      }
      return v;
    }
  fail("no header line %s", key.c_str());
  return {};
}

std::string ints_line(const std::string& key, const std::vector<long long>& v) {
  std::string s = key;
  for (long long x : v) s += " " + std::to_string(x);
  return s;
}

// The first support vector line with `from` replaced by `to`.
std::string edit_first_sv(const std::string& svm, const std::string& from, const std::string& to) {
  const size_t b = sv_start(svm);
  const size_t e = svm.find('\n', b);
  std::string line = svm.substr(b, e - b);
  const size_t p = line.find(from);
  fail_unless(p != std::string::npos, "first SV line has no %s", from.c_str());
  line.replace(p, from.size(), to);
  return svm.substr(0, b) + line + svm.substr(e);
}

// The JSON value of "key" (up to the next ',' or newline) replaced.
std::string set_json(const std::string& json, const std::string& key, const std::string& value) {
  const std::string k = "\"" + key + "\": ";
  const size_t p = json.find(k);
  fail_unless(p != std::string::npos, "no %s", key.c_str());
  const size_t b = p + k.size();
  size_t e = b;
  if (json[b] == '[') {
    e = json.find(']', b) + 1;
  } else {
    while (e < json.size() && json[e] != ',' && json[e] != '\n') ++e;
  }
  return json.substr(0, b) + value + json.substr(e);
}

std::string first_embedding_value(const std::string& json, const std::string& value) {
  const size_t d = json.find("\"data\": [");
  fail_unless(d != std::string::npos);
  size_t b = d + 9;
  while (json[b] == ' ' || json[b] == '\n') ++b;
  const size_t e = json.find(',', b);
  return json.substr(0, b) + value + json.substr(e);
}

struct Case {
  std::string name;
  std::string text;
};

void write_pair(const std::string& path, const std::string& json, const std::string& svm) {
  write_text(path, json);
  write_text(path + ".svm", svm);
}

// Where the damaged copy of MODEL goes: the same file name in another folder, so
// that its .svm is found under the JSON's own name and under the stored one alike.
std::string damaged_path(const TempDir& tmp, const std::string& model) {
  const fs::path dir = tmp.path / "damaged";
  fs::create_directories(dir);
  return (dir / fs::path(model).filename()).string();
}

}  // namespace

GST_START_TEST(test_svm_damaged) {
  TempDir tmp;
  std::vector<Embedding> probes;
  const std::string model = real_model(tmp, &probes);
  const std::string json = read_text(model), svm = read_text(model + ".svm");
  const size_t sv = sv_start(svm);
  const size_t first_sv_end = svm.find('\n', sv) + 1;
  const size_t f1 = svm.find(" 1:", sv);
  const std::string first_feature = svm.substr(f1, svm.find(' ', f1 + 1) - f1);  // " 1:<value>"
  const auto svl = lines_of(svm);
  const auto nr_sv = header_ints(svm, "nr_sv");
  const long long total = header_ints(svm, "total_sv").at(0);
  fail_unless(total >= 4 && nr_sv.size() == 3);

  // a small model: 2 synthetic people
  const auto s2 = synthetic(2, 3, 11);
  const std::string small = tmp / "small.model";
  Classifier::train(s2.samples, s2.ids, s2.labels, "synthetic").save(small);
  const std::string small_json = read_text(small), small_svm = read_text(small + ".svm");
  std::vector<Embedding> small_probes = s2.samples;

  std::vector<Case> cases = {
      {"truncated in the header", svm.substr(0, svm.find("total_sv") + 6)},
      {"truncated after a header line", svm.substr(0, svm.find("rho"))},
      {"header only", svm.substr(0, sv)},
      {"truncated after the first SV line", svm.substr(0, first_sv_end)},
      {"truncated inside an SV line", svm.substr(0, sv + 700)},
      {"truncated at half the SV lines", svm.substr(0, svm.size() / 2 + svm.substr(svm.size() / 2).find('\n') + 1)},
      {"final end of line cut", svm.substr(0, svm.size() - 1)},
      {"last value cut", svm.substr(0, svm.size() - 7)},
      {"total_sv larger than the SV lines",
       set_header(set_header(svm, "total_sv", "total_sv " + std::to_string(total + 1)), "nr_sv",
                  ints_line("nr_sv", {nr_sv[0] + 1, nr_sv[1], nr_sv[2]}))},
      {"nr_sv sum != total_sv", set_header(svm, "nr_sv", ints_line("nr_sv", {nr_sv[0] + 1, nr_sv[1], nr_sv[2]}))},
      {"total_sv 0", set_header(set_header(svm, "total_sv", "total_sv 0"), "nr_sv", "nr_sv 0 0 0")},
      {"negative total_sv", set_header(svm, "total_sv", "total_sv -1")},
      {"negative nr_sv", set_header(svm, "nr_sv", ints_line("nr_sv", {-1, nr_sv[1] + nr_sv[0] + 1, nr_sv[2]}))},
      {"negative nr_class", set_header(svm, "nr_class", "nr_class -3")},
      {"huge nr_class", set_header(svm, "nr_class", "nr_class 2147483647")},
      {"huge total_sv",
       set_header(set_header(svm, "total_sv", "total_sv 2147483647"), "nr_sv",
                  ints_line("nr_sv", {2147483647LL - nr_sv[1] - nr_sv[2], nr_sv[1], nr_sv[2]}))},
      {"total_sv beyond int", set_header(svm, "total_sv", "total_sv 99999999999")},
      {"feature index > dim", edit_first_sv(svm, " 128:", " 129:")},
      {"feature index 0", edit_first_sv(svm, " 1:", " 0:")},
      {"NaN feature value", edit_first_sv(svm, first_feature, " 1:nan")},
      {"NaN coefficient", svm.substr(0, sv) + "nan" + svm.substr(svm.find(' ', sv))},
      {"infinite rho", set_header(svm, "rho", "rho inf 0 0")},
      {"labels not the JSON's label ids", set_header(svm, "label", "label 0 1 7")},
      {"duplicate labels", set_header(svm, "label", "label 0 1 1")},
      {"rho count wrong for nr_class", set_header(svm, "rho", "rho 0.1 0.2")},
      {"probA count wrong for nr_class", set_header(svm, "probA", "probA -1.5 -1.5")},
      {"probB without probA", set_header(svm, "probA", "")},
      {"no nr_sv", set_header(svm, "nr_sv", "")},
      {"no label", set_header(svm, "label", "")},
      {"unknown header key", set_header(svm, "rho", "rho 0 0 0\nweights 1 2 3")},
      {"not C-SVC", set_header(svm, "svm_type", "svm_type nu_svc")},
      {"precomputed kernel", set_header(svm, "kernel_type", "kernel_type precomputed")},
      {"more SV lines than total_sv", svm + svl.back()},
      {"SV line without coefficients", svm.substr(0, sv) + "1:0.5\n" + svm.substr(svm.find('\n', sv) + 1)},
      {"binary data", svm.substr(0, 40) + std::string(64, '\0') + svm.substr(104)},
  };
  struct SmallCase {
    std::string name, text;
  };
  const auto sl = lines_of(small_svm);
  const std::vector<SmallCase> small_cases = {
      {"small model: final end of line cut", small_svm.substr(0, small_svm.size() - 1)},
      {"small model: last value cut", small_svm.substr(0, small_svm.size() - 12)},
      {"small model: last SV line missing", join(std::vector<std::string>(sl.begin(), sl.end() - 1))},
  };

  int failures = 0;
  auto check = [&](const std::string& name, const std::string& path, const std::string& j, const std::string& s,
                   const std::vector<Embedding>& pr) {
    write_pair(path, j, s);
    const Outcome o = try_load(path, pr);
    const bool ok = o.kind == Outcome::kError && contains(o.text, path + ".svm");
    std::printf("%-40s %s: %s\n", name.c_str(),
                o.kind == Outcome::kError      ? "error"
                : o.kind == Outcome::kAccepted ? "ACCEPTED"
                : o.kind == Outcome::kCrashed  ? "CRASHED"
                                               : "OTHER",
                o.text.c_str());
    failures += ok ? 0 : 1;
  };
  const std::string damaged = damaged_path(tmp, model), small_damaged = damaged_path(tmp, small);
  for (const auto& c : cases) check(c.name, damaged, json, c.text, probes);
  for (const auto& c : small_cases) check(c.name, small_damaged, small_json, c.text, small_probes);
  std::fflush(stdout);
  fail_unless_equals_int(failures, 0);
  // The undamaged pair still loads (the cases above really are damage).
  write_pair(damaged, json, svm);
  fail_unless_equals_int(try_load(damaged, probes).kind, Outcome::kAccepted);
  write_pair(small_damaged, small_json, small_svm);
  fail_unless_equals_int(try_load(small_damaged, small_probes).kind, Outcome::kAccepted);
  testutil::tried("damaged .svm: truncated, counts inconsistent or out of range, NaN/inf values, bad keys or labels",
                  cases.size() + small_cases.size(), "an error naming the .svm every time; never a crash or a silent load");
}
GST_END_TEST;

GST_START_TEST(test_svm_mutations) {
  TempDir tmp;
  std::vector<Embedding> probes;
  const std::string model = real_model(tmp, &probes);
  const std::string json = read_text(model), svm = read_text(model + ".svm");
  const std::string target = damaged_path(tmp, model);
  write_text(target, json);
  const char* tokens[] = {"-1", "0", "1", "3", "999999999", "2147483648", "-2147483649", "nan", "inf", "-inf",
                          "1e309", "abc", "", ":", "1:2:3", "0:1", "129:0.5", "128:1", "SV", "nr_sv", "\n", " "};
  std::mt19937 rng(20240611);
  auto pick = [&](size_t n) { return size_t(std::uniform_int_distribution<size_t>(0, n - 1)(rng)); };
  int errors = 0, accepted = 0, bad = 0;
  const int kMutations = 300;
  for (int i = 0; i < kMutations; ++i) {
    std::string t = svm;
    const int ops = 1 + int(pick(3));
    for (int k = 0; k < ops && !t.empty(); ++k) {
      switch (pick(7)) {
        case 0:  // truncate
          t.resize(pick(t.size()));
          break;
        case 1: {  // delete a byte range
          const size_t b = pick(t.size());
          t.erase(b, 1 + pick(64));
          break;
        }
        case 2: {  // replace a token (the text between two spaces/newlines)
          const size_t b = pick(t.size());
          size_t s = t.find_last_of(" \n", b);
          s = s == std::string::npos ? 0 : s + 1;
          size_t e = t.find_first_of(" \n", s);
          if (e == std::string::npos) e = t.size();
          t.replace(s, e - s, tokens[pick(sizeof tokens / sizeof *tokens)]);
          break;
        }
        case 3: {  // flip a byte
          const size_t b = pick(t.size());
          t[b] = char(t[b] ^ char(1 << pick(8)));
          break;
        }
        case 4: {  // duplicate or drop a line
          auto ls = lines_of(t);
          const size_t l = pick(ls.size());
          if (pick(2))
            ls.insert(ls.begin() + long(l), ls[l]);
          else
            ls.erase(ls.begin() + long(l));
          t = join(ls);
          break;
        }
        case 5: {  // change a digit
          const size_t b = t.find_first_of("0123456789", pick(t.size()));
          if (b != std::string::npos) t[b] = char('0' + pick(10));
          break;
        }
        default: {  // insert random bytes
          std::string junk(1 + pick(16), ' ');
          for (auto& c : junk) c = char(pick(256));
          t.insert(pick(t.size() + 1), junk);
          break;
        }
      }
    }
    write_text(target + ".svm", t);
    const Outcome o = try_load(target, probes);
    if (o.kind == Outcome::kError && contains(o.text, target)) {
      ++errors;
    } else if (o.kind == Outcome::kAccepted) {
      ++accepted;
    } else {
      ++bad;
      std::printf("mutation %d: %s: %s\n", i, o.kind == Outcome::kCrashed ? "CRASHED" : "not an Error naming the file",
                  o.text.c_str());
      write_text(tmp.path.parent_path().string() + "/facerec-mutation-" + std::to_string(i) + ".svm", t);
    }
  }
  std::printf("svm mutations: %d, errors %d, loaded and classified %d, crashed or wrong %d\n", kMutations, errors,
              accepted, bad);
  std::fflush(stdout);
  fail_unless_equals_int(bad, 0);
  fail_unless(errors > kMutations / 2, "most mutations damage the file: only %d errors", errors);
  testutil::tried("randomly mutated .svm (a token replaced by one of 22 hostile tokens)", kMutations,
                  std::to_string(errors) + " errors naming the file, " + std::to_string(accepted) +
                      " still valid (loaded and classified), 0 crashes");
}
GST_END_TEST;

GST_START_TEST(test_svm_format) {
  TempDir tmp;
  std::vector<Embedding> probes;
  const std::string model = real_model(tmp, &probes);
  const auto s3 = synthetic(3, 4, 5);
  facerec::TrainOptions rbf;
  rbf.kernel = "rbf";
  const std::string rbf_model = tmp / "rbf.model";
  Classifier::train(s3.samples, s3.ids, s3.labels, "synthetic", rbf).save(rbf_model);
  for (const std::string& m : {model, rbf_model}) {
    const std::string text = read_text(m + ".svm");
    const facerec::SvmModel parsed = facerec::SvmModel::parse(text, 128, m + ".svm", "retrain");
    fail_unless(parsed.to_text() == text, "%s: parse -> to_text is not the same text", m.c_str());
    // libsvm's own writer gives the same bytes for the same model ...
    const std::string by_libsvm = tmp / "by-libsvm.svm";
    fail_unless_equals_int(svm_save_model(by_libsvm.c_str(), &parsed.raw()), 0);
    fail_unless(read_text(by_libsvm) == text, "%s: svm_save_model writes other bytes", m.c_str());
    // ... and libsvm's own loader (svm-predict's) reads our file into the same model.
    svm_model* l = svm_load_model((m + ".svm").c_str());
    fail_unless(l != nullptr, "libsvm cannot load %s", m.c_str());
    const svm_model& r = parsed.raw();
    fail_unless(l->nr_class == r.nr_class && l->l == r.l && l->param.kernel_type == r.param.kernel_type);
    if (r.param.kernel_type == RBF) fail_unless(l->param.gamma == r.param.gamma);  // linear: not in the file
    int k = r.nr_class;
    for (int i = 0; i < k * (k - 1) / 2; ++i)
      fail_unless(l->rho[i] == r.rho[i] && l->probA[i] == r.probA[i] && l->probB[i] == r.probB[i]);
    for (int i = 0; i < k; ++i) fail_unless(l->label[i] == r.label[i] && l->nSV[i] == r.nSV[i]);
    for (int i = 0; i < r.l; ++i) {
      for (int j = 0; j + 1 < k; ++j) fail_unless(l->sv_coef[j][i] == r.sv_coef[j][i]);
      const svm_node *a = l->SV[i], *b = r.SV[i];
      for (; a->index != -1; ++a, ++b) fail_unless(a->index == b->index && a->value == b->value);
      fail_unless_equals_int(b->index, -1);
    }
    svm_free_and_destroy_model(&l);
  }
}
GST_END_TEST;

GST_START_TEST(test_json_damaged) {
  TempDir tmp;
  const auto s3 = synthetic(3, 4, 3);
  const std::string model = tmp / "m.model";
  Classifier::train(s3.samples, s3.ids, s3.labels, "synthetic").save(model);
  const std::string json = read_text(model), svm = read_text(model + ".svm");
  const std::vector<Case> cases = {
      {"100,000-deep arrays", "{ \"format\": " + std::string(100000, '[')},
      {"50,000-deep objects", [] {
         std::string s;
         for (int i = 0; i < 50000; ++i) s += "{\"a\":";
         return s;
       }()},
      {"non-numeric threshold", set_json(json, "distance_threshold", "\"0.5\"")},
      {"infinite threshold", set_json(json, "distance_threshold", ".Inf")},
      {"threshold 1e999", set_json(json, "distance_threshold", "1e999")},
      {"NaN threshold", set_json(json, "distance_threshold", ".Nan")},
      {"zero threshold", set_json(json, "distance_threshold", "0")},
      {"negative threshold", set_json(json, "distance_threshold", "-0.5")},
      {"NaN embedding", first_embedding_value(json, ".Nan")},
      {"infinite embedding", first_embedding_value(json, "-.Inf")},
      {"string embedding", first_embedding_value(json, "\"x\"")},
      {"labels of the wrong type", set_json(json, "labels", "[ 1, 2, 3 ]")},
      {"a label that is a list", set_json(json, "labels", "[ \"person0\", [ \"x\" ], \"person2\" ]")},
      {"an empty label", set_json(json, "labels", "[ \"person0\", \"\", \"person2\" ]")},
      {"a label that is not UTF-8", set_json(json, "labels", "[ \"person0\", \"Caf\xe9\", \"person2\" ]")},
      {"label ids of the wrong type", set_json(json, "label_ids", "[ \"0\", 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 ]")},
      {"a label id out of range", set_json(json, "label_ids", "[ 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3 ]")},
      {"dim of the wrong type", set_json(json, "dim", "\"128\"")},
      {"dim not the embeddings'", set_json(json, "dim", "64")},
      {"huge rows", set_json(json, "rows", "100000000")},
      {"svm_file outside the folder", set_json(json, "svm_file", "\"../m.model.svm\"")},
      {"empty file", ""},
  };
  int failures = 0;
  const std::string damaged = damaged_path(tmp, model);
  for (const auto& c : cases) {
    write_pair(damaged, c.text, svm);
    const Outcome o = try_load(damaged, s3.samples);
    const bool ok = o.kind == Outcome::kError && contains(o.text, damaged) && !contains(o.text, "fetch-models");
    std::printf("%-32s %s: %s\n", c.name.c_str(),
                o.kind == Outcome::kError      ? "error"
                : o.kind == Outcome::kAccepted ? "ACCEPTED"
                : o.kind == Outcome::kCrashed  ? "CRASHED"
                                               : "OTHER",
                o.text.c_str());
    failures += ok ? 0 : 1;
  }
  std::fflush(stdout);
  fail_unless_equals_int(failures, 0);
  write_pair(damaged, json, svm);
  fail_unless_equals_int(try_load(damaged, s3.samples).kind, Outcome::kAccepted);
  testutil::tried("damaged model JSON: 100,000-deep nesting, NaN/inf/non-numeric threshold or embeddings, labels "
                  "of the wrong type, ids out of range, empty file",
                  cases.size(), "an error naming the file every time; never a crash or a model that misleads");
}
GST_END_TEST;

GST_START_TEST(test_renamed_pair) {
  TempDir tmp;
  const auto s3 = synthetic(3, 4, 9);
  const Classifier clf = Classifier::train(s3.samples, s3.ids, s3.labels, "synthetic");
  const std::string people = tmp / "people.model";
  clf.save(people);
  auto same = [&](const Classifier& c) {
    for (const auto& e : s3.samples) {
      const Match a = clf.classify(e, clf.default_threshold()), b = c.classify(e, c.default_threshold());
      fail_unless(a.known == b.known && a.label == b.label && a.score == b.score && a.distance == b.distance);
    }
  };
  // renamed together
  const std::string renamed = tmp / "renamed.model";
  fs::rename(people, renamed);
  fs::rename(people + ".svm", renamed + ".svm");
  same(Classifier::load(renamed));
  // copied together elsewhere under another name
  fs::create_directories(tmp.path / "elsewhere");
  const std::string copy = tmp / "elsewhere/copy.model";
  fs::copy_file(renamed, copy);
  fs::copy_file(renamed + ".svm", copy + ".svm");
  same(Classifier::load(copy));
  // only the JSON renamed: the .svm under the stored name is still found
  fs::rename(copy + ".svm", tmp / "elsewhere/people.model.svm");
  same(Classifier::load(copy));
  // nothing next to it: the message says what to rename/copy, and no script
  fs::remove(tmp / "elsewhere/people.model.svm");
  const std::string msg = expect_error([&] { Classifier::load(copy); });
  std::printf("lone model: %s\n", msg.c_str());
  fail_unless(contains(msg, copy + ".svm") && contains(msg, "rename/copy") && contains(msg, "copy.model.svm") &&
                  contains(msg, "facerec-train") && !contains(msg, "fetch-models"),
              "%s", msg.c_str());
  testutil::tried("model pair renamed, copied elsewhere, JSON alone renamed, .svm missing", 4,
                  "the first 3 load and classify the same; the last names both files and says rename/copy");
}
GST_END_TEST;

GST_START_TEST(test_save_targets) {
  TempDir tmp;
  const auto s2 = synthetic(2, 3, 4);
  const auto s3 = synthetic(3, 3, 6);
  const Classifier c2 = Classifier::train(s2.samples, s2.ids, s2.labels, "synthetic");
  const Classifier c3 = Classifier::train(s3.samples, s3.ids, s3.labels, "synthetic");
  auto entries = [&] {
    std::vector<std::string> v;
    for (const auto& e : fs::directory_iterator(tmp.path)) v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    return v;
  };
  // a FIFO as MODEL (like /dev/full: not a regular file)
  const std::string fifo = tmp / "fifo.model";
  fail_unless_equals_int(mkfifo(fifo.c_str(), 0600), 0);
  std::string msg = expect_error([&] { c2.save(fifo); });
  fail_unless(contains(msg, fifo) && contains(msg, "FIFO"), "%s", msg.c_str());
  fail_unless(fs::is_fifo(fifo), "the FIFO was replaced");
  fail_unless(entries() == std::vector<std::string>{"fifo.model"}, "temporary files left behind");
  // a folder as MODEL
  const std::string dir = tmp / "dir.model";
  fs::create_directories(dir);
  msg = expect_error([&] { c2.save(dir); });
  fail_unless(contains(msg, dir) && contains(msg, "folder"), "%s", msg.c_str());
  fail_unless(fs::is_directory(dir));
  // a FIFO as MODEL.svm: nothing replaced, the old MODEL stays as it was
  const std::string m = tmp / "m.model";
  c3.save(m);
  const std::string before = read_text(m);
  fs::remove(m + ".svm");
  fail_unless_equals_int(mkfifo((m + ".svm").c_str(), 0600), 0);
  msg = expect_error([&] { c2.save(m); });
  fail_unless(contains(msg, m + ".svm") && contains(msg, "FIFO"), "%s", msg.c_str());
  fail_unless(fs::is_fifo(m + ".svm") && read_text(m) == before);
  fail_unless((entries() == std::vector<std::string>{"dir.model", "fifo.model", "m.model", "m.model.svm"}),
              "temporary files left behind");
  testutil::tried("saving a model over a FIFO, a folder, a FIFO as the .svm (as /dev/full)", 3,
                  "refused naming the file; nothing replaced, no temporary left");
}
GST_END_TEST;

namespace {
// Deterministic galleries: Irwin-Hall normal noise (exact arithmetic, the same on
// every platform), centre and noise spreads chosen so that the search is not
// pinned to an end of its range.
float gauss(std::mt19937& r) {
  double acc = 0;
  for (int i = 0; i < 12; ++i) acc += double(r()) / 4294967296.0;
  return float(acc - 6.0);
}
Synthetic gallery(unsigned seed, int people, int per, float center_sd, float noise_sd, float scale = 1.f) {
  std::mt19937 r(seed);
  Synthetic g;
  for (int p = 0; p < people; ++p) {
    std::vector<float> c(128);
    for (auto& v : c) v = gauss(r) * center_sd;
    g.labels.push_back("p" + std::to_string(p));
    for (int k = 0; k < per; ++k) {
      auto e = c;
      for (auto& v : e) v = (v + gauss(r) * noise_sd) * scale;
      g.samples.push_back(e);
      g.ids.push_back(p);
    }
  }
  return g;
}
}  // namespace

GST_START_TEST(test_threshold) {
  // Recorded with choose_distance_threshold as it was before the classifier was split
  // (lib/classifier.cpp at a161331), bit for bit.
  struct Row {
    unsigned seed;
    int people, per;
    float center, noise;
    bool from_data;
    float expected;
  };
  const Row rows[] = {
      {1, 10, 5, 0.035f, 0.025f, true, 0x1.0e147ap-1f}, {2, 10, 5, 0.040f, 0.030f, true, 0x1.133334p-1f},
      {3, 20, 4, 0.035f, 0.022f, true, 0x1.05e85ep-1f}, {4, 5, 6, 0.030f, 0.025f, true, 0x1.0b3334p-1f},
      {5, 30, 3, 0.040f, 0.025f, true, 0x1.0b9c86p-1f}, {6, 3, 2, 0.040f, 0.030f, true, 0x1.1a6c4p-1f},
      {7, 2, 3, 0.040f, 0.030f, true, 0x1.183a84p-1f},  {8, 3, 1, 0.040f, 0.030f, false, 0.55f},
  };
  for (const Row& r : rows) {
    const Synthetic g = gallery(r.seed, r.people, r.per, r.center, r.noise);
    bool from_data = !r.from_data;
    const float t = facerec::choose_distance_threshold(g.samples, g.ids, &from_data);
    std::printf("gallery %u: threshold %a (expected %a), from data %d\n", r.seed, double(t), double(r.expected),
                int(from_data));
    fail_unless(t == r.expected && from_data == r.from_data, "gallery %u: %a, expected %a", r.seed, double(t),
                double(r.expected));
    // Classifier::train makes the same choice.
    if (r.per > 1) fail_unless(Classifier::train(g.samples, g.ids, g.labels, "x").default_threshold() == t);
  }
  // Another range: distances twice as large (like unit-norm 512-d embeddings, same
  // person around 1.0) searched around 1.0.
  facerec::ThresholdSearch wide;
  wide.min = 0.9f;
  wide.max = 1.2f;
  wide.step = 0.01;
  wide.prior = 1.1f;
  for (const Row& r : rows) {
    if (!r.from_data) continue;
    const Synthetic g = gallery(r.seed, r.people, r.per, r.center, r.noise, 2.f);
    bool from_data = false;
    const float t = facerec::choose_distance_threshold(g.samples, g.ids, &from_data, wide);
    fail_unless(from_data && t >= 0.9f && t <= 1.2f && t != 1.1f, "gallery %u x2: %f", r.seed, double(t));
    // about twice the threshold at the default range (the grid is coarser)
    fail_unless(std::abs(t - 2.f * r.expected) < 0.03f, "gallery %u x2: %f vs %f", r.seed, double(t),
                double(2.f * r.expected));
    facerec::TrainOptions opts;
    opts.threshold_search = wide;
    fail_unless(Classifier::train(g.samples, g.ids, g.labels, "x", opts).default_threshold() == t);
  }
  facerec::ThresholdSearch bad = wide;
  bad.max = 0.5f;
  expect_error([&] { facerec::choose_distance_threshold({}, {}, nullptr, bad); });

  // classify(e, threshold): the gate is the given threshold, the model is not changed.
  const auto s3 = synthetic(3, 4, 2);
  const Classifier c = Classifier::train(s3.samples, s3.ids, s3.labels, "x");
  Embedding probe = s3.samples[5];
  for (auto& v : probe) v += 0.01f;
  const Match at = c.classify(probe, c.default_threshold());
  fail_unless(at.known && at.label_id == 1);
  const float d = at.distance;
  const Match below = c.classify(probe, std::nextafter(d, 0.f));
  fail_unless(!below.known && below.label_id == -1 && below.label.empty() && below.candidate_id == 1 &&
              below.distance == d && below.score == at.score);
  const Match exact = c.classify(probe, d);
  fail_unless(exact.known && exact.label == "person1");
  fail_unless(c.classify(probe, c.default_threshold()).known, "the model's own threshold is unchanged");
  for (float t : {0.f, -1.f, std::nanf(""), INFINITY})
    expect_error([&] { c.classify(probe, t); });
  // One person: the score is relative to the given threshold (0.5 exactly at it).
  const Classifier solo = Classifier::train({s3.samples[0], s3.samples[1]}, {0, 0}, {"solo"}, "x");
  fail_unless(solo.classify(probe, solo.classify(probe, 1.f).distance).score == 0.5f);
}
GST_END_TEST;

GST_START_TEST(test_utf8_names) {
  const auto s2 = synthetic(2, 3, 8);
  std::string msg = expect_error([&] { Classifier::train(s2.samples, s2.ids, {"ok", "Caf\xe9"}, "x"); });
  fail_unless(contains(msg, "Caf\\xE9") && contains(msg, "UTF-8"), "%s", msg.c_str());

  const std::string tool = FACEREC_TRAIN_TOOL;
  fail_unless(fs::exists(tool), "%s not built", tool.c_str());
  TempDir tmp;
  const fs::path ds = tmp.path / "dataset";
  const auto people = testutil::pick_identities(2);
  for (const std::string& folder : {people[0], std::string("Caf\xe9")}) {
    fs::create_directories(ds / folder);
    const auto imgs = testutil::sorted_images(testutil::testdata("faces/" + people[folder == people[0] ? 0 : 1]));
    for (int i = 0; i < 2; ++i)
      fs::create_symlink(fs::absolute(imgs[size_t(i)]), ds / folder / fs::path(imgs[size_t(i)]).filename());
  }
  const std::string model = tmp / "out.model";
  using testutil::quote;
  const auto [rc, out] = testutil::run_command(quote(tool) + " " + quote(ds.string()) + " -o " + quote(model));
  std::printf("---- facerec-train ----\n%s-----------------------\n", out.c_str());
  std::fflush(stdout);
  fail_unless_equals_int(rc, 1);
  fail_unless(contains(out, (ds / "Caf\\xE9").string()) && contains(out, "UTF-8") && contains(out, "rename"),
              "the message names the folder and the fix");
  fail_if(fs::exists(model), "no model is written");
  testutil::tried("a person name / folder name that is not UTF-8 (train API, facerec-train)", 2,
                  "an error naming it and the fix (rename); no model written");
}
GST_END_TEST;

static Suite* model_files_suite(void) {
  Suite* s = suite_create("model_files");
  TCase* tc = tcase_create("general");
  tcase_set_timeout(tc, 300);
  suite_add_tcase(s, tc);
  tcase_add_test(tc, test_svm_damaged);
  tcase_add_test(tc, test_svm_mutations);
  tcase_add_test(tc, test_svm_format);
  tcase_add_test(tc, test_json_damaged);
  tcase_add_test(tc, test_renamed_pair);
  tcase_add_test(tc, test_save_targets);
  tcase_add_test(tc, test_threshold);
  tcase_add_test(tc, test_utf8_names);
  return s;
}

GST_CHECK_MAIN(model_files);
