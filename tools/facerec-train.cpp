// facerec-train: enrols a dataset folder (DATASET/<person>/<images>) and writes a
// classifier model (MODEL + MODEL.svm) for the facerecognize element.
//
// Exit codes: 0 ok, 1 runtime error, 2 usage error.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/enrolment.h"
#include "facerec/models.h"

namespace {

constexpr const char* kProg = "facerec-train";

void print_help(std::ostream& os) {
  os << "Usage: " << kProg << " DATASET -o MODEL [OPTIONS]\n"
     << "\n"
     << "Enrols the faces in DATASET (one folder per person, named after the person,\n"
     << "holding .jpg/.jpeg/.png/.bmp images) and writes the classifier MODEL (JSON)\n"
     << "and MODEL.svm (libsvm model; not written when only one person is enrolled).\n"
     << "Use the same detector and embedder as the facerecognize pipeline.\n"
     << "\n"
     << "Options:\n"
     << "  -o, --output MODEL      model file to write (required)\n"
     << "  --detector FILE         face detector model (default: " << facerec::defaults::kDetector << ")\n"
     << "  --embedder FILE         embedding network (default: " << facerec::defaults::kEmbedder << ")\n"
     << "  --kernel linear|rbf     SVM kernel (default: linear)\n"
     << "  --C X                   SVM C (default: 10)\n"
     << "  --threshold T           unknown-face distance threshold (default: chosen from\n"
     << "                          the enrolment data, within 0.45..0.6)\n"
     << "  -q, --quiet             no progress and no summary (warnings and errors only)\n"
     << "  -h, --help              this help\n"
     << "\n"
     << "Models given by bare file name are searched in $" << facerec::kModelPathEnv
     << " and the installed model folder.\n"
     << "Exit status: 0 ok, 1 runtime error, 2 usage error.\n";
}

[[noreturn]] void usage_error(const std::string& msg) {
  std::cerr << kProg << ": " << msg << "\n"
            << "Try '" << kProg << " --help' for more information.\n";
  std::exit(2);
}

double parse_number(const std::string& opt, const std::string& v) {
  errno = 0;
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || errno != 0 || end == nullptr || *end != '\0')
    usage_error("option " + opt + " needs a number, got '" + v + "'");
  return d;
}

struct Args {
  std::string dataset;
  std::string output;
  std::string detector;
  std::string embedder;
  std::string kernel = "linear";
  double C = 10.0;
  double threshold = 0.0;
  bool quiet = false;
};

Args parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const std::string& opt) -> std::string {
      if (i + 1 >= argc) usage_error("option " + opt + " needs a value");
      return argv[++i];
    };
    // --opt=value form
    std::string opt = arg, inline_val;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0) {
      const auto eq = arg.find('=');
      if (eq != std::string::npos) {
        opt = arg.substr(0, eq);
        inline_val = arg.substr(eq + 1);
        has_inline = true;
      }
    }
    auto get = [&](const std::string& o) { return has_inline ? inline_val : value(o); };
    if (opt == "-h" || opt == "--help") {
      print_help(std::cout);
      std::exit(0);
    } else if (opt == "-o" || opt == "--output") {
      a.output = get(opt);
    } else if (opt == "--detector") {
      a.detector = get(opt);
    } else if (opt == "--embedder") {
      a.embedder = get(opt);
    } else if (opt == "--kernel") {
      a.kernel = get(opt);
      if (a.kernel != "linear" && a.kernel != "rbf")
        usage_error("--kernel must be linear or rbf, got '" + a.kernel + "'");
    } else if (opt == "--C" || opt == "-C") {
      a.C = parse_number(opt, get(opt));
      if (!(a.C > 0.0)) usage_error("--C must be > 0");
    } else if (opt == "--threshold") {
      a.threshold = parse_number(opt, get(opt));
      if (!(a.threshold > 0.0)) usage_error("--threshold must be > 0");
    } else if (opt == "-q" || opt == "--quiet") {
      a.quiet = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      usage_error("unknown option '" + arg + "'");
    } else if (a.dataset.empty()) {
      a.dataset = arg;
    } else {
      usage_error("unexpected argument '" + arg + "' (only one DATASET)");
    }
  }
  if (a.dataset.empty()) usage_error("missing DATASET folder");
  if (a.output.empty()) usage_error("missing -o MODEL (the model file to write)");
  return a;
}

int run(const Args& a) {
  namespace fs = std::filesystem;
  const bool tty = isatty(STDERR_FILENO) != 0;

  // Fail early on a bad dataset, before loading any network.
  const auto listing = facerec::list_dataset(a.dataset);
  size_t total = 0;
  for (const auto& p : listing) total += p.second.size();
  if (total == 0)
    throw facerec::Error(a.dataset, "dataset holds no images (.jpg, .jpeg, .png, .bmp) in its person folders");

  {
    std::error_code ec;
    const fs::path out_dir = fs::path(a.output).parent_path();
    if (!out_dir.empty() && !fs::is_directory(out_dir, ec))
      throw facerec::Error(a.output, "output folder " + out_dir.string() + " does not exist: create it first");
  }

  facerec::DetectorConfig dcfg;
  dcfg.model = a.detector;
  auto det = facerec::create_detector(dcfg);
  auto emb = facerec::create_embedder(a.embedder.empty() ? facerec::defaults::kEmbedder : a.embedder);
  if (!a.quiet) {
    std::cerr << kProg << ": detector: " << det->describe() << "\n"
              << kProg << ": embedder: " << emb->spec().id << " (" << emb->path() << ")\n"
              << kProg << ": " << listing.size() << " person folder(s), " << total << " image(s)\n";
  }

  size_t last_pct = size_t(-1);
  auto progress = [&](size_t done, size_t n) {
    if (a.quiet || n == 0) return;
    if (tty) {
      std::cerr << "\r" << kProg << ": embedding " << done << "/" << n << std::flush;
      if (done == n) std::cerr << "\n";
    } else {
      const size_t pct = done * 10 / n;  // a line every 10 %
      if (pct != last_pct) {
        last_pct = pct;
        std::cerr << kProg << ": embedding " << done << "/" << n << "\n";
      }
    }
  };
  const facerec::EnrolmentResult res = facerec::enrol_dataset(a.dataset, *det, *emb, progress);

  // Per person: images used; people without any usable image are left out.
  const size_t np = res.labels.size();
  std::vector<size_t> used(np, 0), listed(np, 0);
  for (const auto& im : res.images) {
    ++listed[size_t(im.label_id)];
    if (im.used) ++used[size_t(im.label_id)];
  }
  std::vector<int> remap(np, -1);
  std::vector<std::string> labels;
  for (size_t k = 0; k < np; ++k) {
    if (used[k] == 0) {
      std::cerr << kProg << ": warning: " << (fs::path(a.dataset) / res.labels[k]).string()
                << ": no usable image (" << listed[k]
                << " listed); this person is left out: add clear, frontal photos\n";
      continue;
    }
    remap[k] = int(labels.size());
    labels.push_back(res.labels[k]);
  }
  if (labels.empty())
    throw facerec::Error(a.dataset, "no usable image in any person folder: nothing to train "
                                    "(see the skipped images above)");

  std::vector<facerec::Embedding> samples;
  std::vector<int> ids;
  size_t n_used = 0, n_skipped = 0, n_multi = 0;
  for (const auto& im : res.images) {
    if (im.used) {
      samples.push_back(im.embedding);
      ids.push_back(remap[size_t(im.label_id)]);
      ++n_used;
      if (im.faces_found > 1) ++n_multi;
    } else {
      ++n_skipped;
    }
  }

  facerec::TrainOptions opts;
  opts.kernel = a.kernel;
  opts.C = a.C;
  // The same choice Classifier::train makes for a threshold <= 0, done here to
  // learn whether it came from the data.
  bool thr_from_data = false;
  opts.distance_threshold = a.threshold > 0.0 ? float(a.threshold)
                                              : facerec::choose_distance_threshold(samples, ids, &thr_from_data);
  const facerec::Classifier clf =
      facerec::Classifier::train(samples, ids, labels, emb->spec().id, opts);
  clf.save(a.output);
  const std::string svm_out = a.output + ".svm";
  const bool wrote_svm = labels.size() >= 2;

  // Warnings go to stderr even with -q.
  for (const auto& im : res.images) {
    if (!im.used)
      std::cerr << kProg << ": warning: skipped " << im.path << ": " << im.skip_reason << "\n";
    else if (im.faces_found > 1)
      std::cerr << kProg << ": warning: " << im.path << ": " << im.faces_found
                << " faces found, the largest one was enrolled: check that it is the right person\n";
  }
  if (labels.size() == 1)
    std::cerr << kProg << ": warning: only one person enrolled: no SVM, faces are recognised by "
                          "distance alone\n";

  if (a.quiet) return 0;
  std::ostream& os = std::cout;
  os << "Summary\n";
  os << "  people: " << labels.size() << "\n";
  for (size_t k = 0; k < np; ++k)
    os << "    " << res.labels[k] << ": " << used[k] << " of " << listed[k] << " image(s) used"
       << (used[k] == 0 ? " (left out)" : "") << "\n";
  os << "  images used: " << n_used << " of " << res.images.size() << "\n";
  os << "  images skipped: " << n_skipped << "\n";
  for (const auto& im : res.images)
    if (!im.used) os << "    " << im.path << ": " << im.skip_reason << "\n";
  os << "  images with several faces: " << n_multi << (n_multi ? " (warning: the largest face was used)" : "")
     << "\n";
  for (const auto& im : res.images)
    if (im.used && im.faces_found > 1) os << "    " << im.path << ": " << im.faces_found << " faces\n";
  char thr[32];
  std::snprintf(thr, sizeof thr, "%.3f", double(clf.distance_threshold()));
  os << "  distance threshold: " << thr;
  if (a.threshold > 0.0)
    os << " (set with --threshold)\n";
  else if (thr_from_data)
    os << " (chosen from the enrolment data)\n";
  else
    os << " (default: too little enrolment data to choose one; enrol more people/images or use --threshold)\n";
  os << "  embedder: " << clf.embedder_id() << ", dim " << clf.dim() << "\n";
  if (wrote_svm)
    os << "  SVM: " << a.kernel << " kernel, C " << a.C << "\n";
  else
    os << "  SVM: none (one person: distance gate only)\n";
  os << "  wrote: " << a.output << "\n";
  if (wrote_svm) os << "  wrote: " << svm_out << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  try {
    return run(args);
  } catch (const facerec::Error& e) {
    std::cerr << kProg << ": error: " << e.what() << "\n";
  } catch (const cv::Exception& e) {
    std::cerr << kProg << ": error (OpenCV): " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << kProg << ": error: " << e.what() << "\n";
  }
  return 1;
}
