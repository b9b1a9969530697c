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
#include <map>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "cli.h"
#include "facerec/classifier.h"
#include "facerec/detector.h"
#include "facerec/embedder.h"
#include "facerec/embedding_cache.h"
#include "facerec/enrolment.h"
#include "facerec/enrolment_quality.h"
#include "facerec/models.h"

namespace {

constexpr const char* kProg = "facerec-train";

void print_help(std::ostream& os) {
  os << "Usage: " << kProg << " DATASET -o MODEL [OPTIONS]\n"
     << "\n"
     << "Enrols the faces in DATASET (one folder per person, named after the person,\n"
     << "holding .jpg/.jpeg/.png/.bmp images and/or .mp4/.webm/.mkv/.avi/.mov videos)\n"
     << "and writes the classifier MODEL (JSON) and MODEL.svm (libsvm model; not\n"
     << "written when only one person is enrolled).\n"
     << "Use the same detector and embedder as the facerecognize pipeline.\n"
     << "\n"
     << "Videos: every Nth frame is a candidate (--video-step, counted in frames, not\n"
     << "time; at most 4 x --video-max-frames candidates per video: a longer video gets a\n"
     << "wider step so they still span all of it). A candidate qualifies only when\n"
     << "exactly one face is found and that face is at least --video-min-face pixels on\n"
     << "its shorter side. Of those, the best faces (size, sharpness, frontal) that are\n"
     << "not near-duplicates of a frame already chosen are enrolled, at most\n"
     << "--video-max-frames per video; the others are skipped and counted by reason.\n"
     << "\n"
     << "Quality: enrolled images that are poor (face under 50 px, blurred, turned\n"
     << "away) or near-duplicates of another image of the same person (or an identical\n"
     << "copy of its file) are listed as warnings and in the summary; they are still\n"
     << "enrolled (replace or remove them if that person is recognised poorly).\n"
     << "\n"
     << "Embedding cache: detection + embedding results are kept in MODEL.cache (keyed\n"
     << "by file path, size, modification time, detector and embedder), so re-training\n"
     << "after adding a person only embeds the new files. Entries of files no longer\n"
     << "in DATASET are dropped from MODEL.cache (not from a cache named with --cache,\n"
     << "which may be shared). A damaged cache file is ignored with a warning and rebuilt.\n"
     << "\n"
     << "Options:\n"
     << "  -o, --output MODEL      model file to write (required)\n"
     << "  --detector FILE         face detector model (default: " << facerec::defaults::kDetector << ")\n"
     << "  --embedder FILE|ID      embedding network: a model file or a manifest id (default:\n"
     << "                          " << facerec::defaults::kEmbedder << "); the model records it and\n"
     << "                          facerecognize refuses to run it with another embedder:\n"
     << facerec::describe_embedders("                            ")
     << "  --kernel linear|rbf     SVM kernel (default: linear)\n"
     << "  --C X                   SVM C (default: 10)\n"
     << "  --threshold T           unknown-face distance threshold (default: chosen from\n"
     << "                          the enrolment data, within the embedder's range above)\n"
     << "  --cache FILE            embedding cache (default: MODEL.cache)\n"
     << "  --no-cache              neither read nor write an embedding cache\n"
     << "  --video-step N          every Nth video frame is a candidate (default: 10)\n"
     << "  --video-max-frames N    at most N frames enrolled per video, 0: no limit (default: 50)\n"
     << "  --video-min-face PX     smallest face enrolled from a video frame (default: 60)\n"
     << "  -q, --quiet             no progress and no summary (warnings and errors only)\n"
     << "  -h, --help              this help\n"
     << "\n"
     << "A model given by bare file name is the file in the current directory, else it is\n"
     << "searched in $" << facerec::kModelPathEnv << " and the installed model folder.\n"
     << "Exit status: 0 ok, 1 runtime error, 2 usage error.\n";
}

[[noreturn]] void usage_error(const std::string& msg) { cli::usage_error(kProg, msg); }

// Shared options (detector, embedder, kernel, C, threshold, cache, no_cache, quiet)
// come from cli::ModelOptions.
struct Args : cli::ModelOptions {
  std::string dataset;
  std::string output;
  int video_step = 10;
  int video_max_frames = 50;
  int video_min_face = 60;
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
    } else if (opt == "-o" || opt == "--output") {
      a.output = r.value();
    } else if (opt == "--video-step") {
      a.video_step = r.whole(1, 1000000);
    } else if (opt == "--video-max-frames") {
      a.video_max_frames = r.whole(0, 1000000);
    } else if (opt == "--video-min-face") {
      a.video_min_face = r.whole(0, 100000);
    } else if (r.is_option()) {
      usage_error("unknown option '" + r.arg() + "'");
    } else if (a.dataset.empty()) {
      a.dataset = r.arg();
    } else {
      usage_error("unexpected argument '" + r.arg() + "' (only one DATASET)");
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
  const auto listing = facerec::list_dataset_media(a.dataset, true);
  size_t total = 0, n_videos = 0;
  for (const auto& p : listing) {
    total += p.second.size();
    for (const auto& f : p.second) n_videos += facerec::is_video_file(f) ? 1 : 0;
  }
  if (total == 0) {
    // Name what is there instead (a few files), so that a wrong extension or
    // folder is seen at once.
    std::string others;
    size_t n_others = 0;
    for (const auto& p : listing) {
      std::error_code ec;
      for (const auto& e : fs::directory_iterator(fs::path(a.dataset) / p.first, ec)) {
        if (!e.is_regular_file(ec) || e.path().filename().string().rfind('.', 0) == 0) continue;
        if (++n_others <= 5) others += (others.empty() ? "" : ", ") + (fs::path(p.first) / e.path().filename()).string();
      }
    }
    throw facerec::Error(a.dataset, "dataset holds no images (.jpg, .jpeg, .png, .bmp) or videos (.mp4, .webm, "
                                    ".mkv, .avi, .mov) in its person folders" +
                                        (n_others ? " (ignored: " + others + (n_others > 5 ? ", ..." : "") + ", " +
                                                        std::to_string(n_others) + " file(s) in all)"
                                                  : std::string(" (they are empty)")));
  }

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
              << kProg << ": " << listing.size() << " person folder(s), " << total - n_videos << " image(s)"
              << (n_videos ? ", " + std::to_string(n_videos) + " video(s)" : std::string()) << "\n";
  }

  facerec::EmbeddingCache cache;
  if (!a.no_cache) {
    cache = facerec::EmbeddingCache(a.cache.empty() ? a.output + ".cache" : a.cache,
                                    facerec::cache_context(*det, *emb));
    std::string warn;
    if (!cache.load(&warn)) std::cerr << kProg << ": warning: " << warn << "\n";
  }
  facerec::EnrolOptions eopts;
  eopts.cache = cache.enabled() ? &cache : nullptr;
  eopts.videos = true;
  eopts.video_step = a.video_step;
  eopts.video_max_frames = a.video_max_frames;
  eopts.video_min_face = a.video_min_face;

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
  const facerec::EnrolmentResult res = facerec::enrol_dataset(a.dataset, *det, *emb, eopts, progress);
  size_t from_cache = 0;
  for (const auto& im : res.images) from_cache += im.from_cache ? 1 : 0;
  size_t pruned = 0;
  if (cache.enabled()) {
    // MODEL.cache belongs to this dataset: forget images that are gone (and entries
    // of other networks). A cache named with --cache may be shared: kept whole.
    if (a.cache.empty()) pruned = cache.prune_unused();
    try {
      cache.save();
    } catch (const facerec::Error& e) {
      std::cerr << kProg << ": warning: embedding cache not saved: " << e.what() << "\n";
    }
  }

  // Warnings go to stderr even with -q, before anything that refers to them.
  for (const auto& im : res.images) {
    if (!im.used && im.frame >= 0) continue;  // video frames: counted in the summary
    if (!im.used)
      std::cerr << kProg << ": warning: skipped " << im.path << ": " << im.skip_reason << "\n";
    else if (im.faces_found > 1)
      std::cerr << kProg << ": warning: " << im.path << ": " << im.faces_found
                << " faces found, the most prominent one (largest box x confidence, nearest the middle) was enrolled: check that it is the right person\n";
  }
  const std::vector<facerec::EnrolmentWarning> flagged = facerec::review_enrolment(res);
  for (const auto& w : flagged)
    std::cerr << kProg << ": warning: " << res.images[w.image].path << ": " << w.text << " (enrolled anyway)\n";

  // Per person: images used; people without any usable image are left out.
  const size_t np = res.labels.size();
  // Still images and video frames are counted apart.
  std::vector<size_t> used(np, 0), listed(np, 0), fused(np, 0), flisted(np, 0);
  for (const auto& im : res.images) {
    const bool frame = facerec::is_video_file(im.path);
    if (frame && im.frame < 0) continue;  // a video that could not be read
    ++(frame ? flisted : listed)[size_t(im.label_id)];
    if (im.used) ++(frame ? fused : used)[size_t(im.label_id)];
  }
  std::vector<int> remap(np, -1);
  std::vector<std::string> labels;
  for (size_t k = 0; k < np; ++k) {
    if (used[k] + fused[k] == 0) {
      std::cerr << kProg << ": warning: " << (fs::path(a.dataset) / res.labels[k]).string()
                << ": no usable image (" << listed[k] << " listed"
                << (flisted[k] ? ", " + std::to_string(flisted[k]) + " video frame(s) sampled" : std::string())
                << "); this person is left out: add clear, frontal photos\n";
      continue;
    }
    remap[k] = int(labels.size());
    labels.push_back(res.labels[k]);
  }
  if (labels.empty()) {
    // Skipped images were listed above; sampled video frames are only counted
    // (a video gives dozens), so their reasons go into the message.
    std::map<std::string, size_t> frame_reasons;
    size_t listed_files = 0;
    for (const auto& im : res.images) {
      if (im.frame >= 0 && facerec::is_video_file(im.path))
        ++frame_reasons[im.skip_reason.rfind("face too small", 0) == 0 ? "face too small" : im.skip_reason];
      else
        ++listed_files;
    }
    std::string why;
    for (const auto& [reason, n] : frame_reasons)
      why += (why.empty() ? "" : ", ") + std::to_string(n) + " video frame(s): " + reason;
    throw facerec::Error(a.dataset, "no usable image in any person folder: nothing to train (" +
                                        (listed_files ? std::string("see the skipped files above") : std::string()) +
                                        (listed_files && !why.empty() ? "; " : "") + why +
                                        "): add clear, frontal photos, one face each");
  }

  std::vector<facerec::Embedding> samples;
  std::vector<int> ids;
  size_t n_used = 0, n_skipped = 0, n_multi = 0, n_images = 0;
  size_t f_used = 0, f_sampled = 0, bad_videos = 0;
  std::map<std::string, size_t> f_skip;  // reason category -> frames
  for (const auto& im : res.images) {
    const bool frame = facerec::is_video_file(im.path);
    if (im.used) {
      samples.push_back(im.embedding);
      ids.push_back(remap[size_t(im.label_id)]);
    }
    if (frame && im.frame < 0) {  // the video itself could not be read
      ++bad_videos;
      continue;
    }
    if (frame) {
      ++f_sampled;
      if (im.used) {
        ++f_used;
      } else {
        std::string why = im.skip_reason;
        if (why.rfind("face too small", 0) == 0)
          why = "face too small";
        else if (why.find("(need exactly one)") != std::string::npos)
          why = "several faces";
        ++f_skip[why];
      }
      continue;
    }
    ++n_images;
    if (im.used) {
      ++n_used;
      if (im.faces_found > 1) ++n_multi;
    } else {
      ++n_skipped;
    }
  }

  facerec::TrainOptions opts;
  opts.kernel = a.kernel;
  opts.C = a.C;
  // The same choice Classifier::train makes for a threshold <= 0 (in the embedder's
  // range, from the manifest), done here to learn whether it came from the data.
  bool thr_from_data = false;
  opts.distance_threshold =
      a.threshold > 0.0 ? float(a.threshold)
                        : facerec::choose_distance_threshold(samples, ids, &thr_from_data,
                                                             facerec::threshold_search_for(emb->spec().id));
  const facerec::Classifier clf =
      facerec::Classifier::train(samples, ids, labels, emb->spec().id, opts);
  clf.save(a.output);
  const std::string svm_out = a.output + ".svm";
  const bool wrote_svm = labels.size() >= 2;

  if (labels.size() == 1)
    std::cerr << kProg << ": warning: only one person enrolled: no SVM, faces are recognised by "
                          "distance alone\n";

  if (a.quiet) return 0;
  std::ostream& os = std::cout;
  os << "Summary\n";
  os << "  people: " << labels.size() << "\n";
  for (size_t k = 0; k < np; ++k) {
    os << "    " << res.labels[k] << ": " << used[k] << " of " << listed[k] << " image(s) used";
    if (flisted[k]) os << ", " << fused[k] << " of " << flisted[k] << " video frame(s)";
    os << (used[k] + fused[k] == 0 ? " (left out)" : "") << "\n";
  }
  os << "  images used: " << n_used << " of " << n_images << "\n";
  os << "  images skipped: " << n_skipped << "\n";
  for (const auto& im : res.images)
    if (!im.used && !facerec::is_video_file(im.path)) os << "    " << im.path << ": " << im.skip_reason << "\n";
  if (n_videos) {
    os << "  videos: " << n_videos << " (every " << a.video_step << " frame(s) sampled";
    if (a.video_max_frames > 0)
      os << ", at most " << facerec::kVideoCandidates * a.video_max_frames
         << " per video: longer videos are sampled with a wider step";
    os << "; enrolled: the best distinct frames with exactly one face of at least " << a.video_min_face << " px";
    if (a.video_max_frames > 0) os << ", at most " << a.video_max_frames << " per video";
    os << ")\n";
    os << "  video frames used: " << f_used << " of " << f_sampled << "\n";
    os << "  video frames skipped: " << f_sampled - f_used << "\n";
    for (const auto& [why, n] : f_skip) os << "    " << why << ": " << n << "\n";
    os << "  videos that could not be read: " << bad_videos << "\n";
    for (const auto& im : res.images)
      if (im.frame < 0 && facerec::is_video_file(im.path)) os << "    " << im.path << ": " << im.skip_reason << "\n";
  }
  if (cache.enabled())
    os << "  from the embedding cache: " << from_cache << " of " << res.images.size() - bad_videos
       << (n_videos ? " image(s) and frame(s)" : " image(s)") << " (" << cache.path() << ")"
       << (pruned ? "; " + std::to_string(pruned) + " entries of files no longer in the dataset dropped" : std::string())
       << "\n";
  else
    os << "  embedding cache: not used (--no-cache)\n";
  os << "  images with several faces: " << n_multi << (n_multi ? " (warning: the most prominent face was used)" : "")
     << "\n";
  for (const auto& im : res.images)
    if (im.used && im.faces_found > 1) os << "    " << im.path << ": " << im.faces_found << " faces\n";
  os << "  images flagged (enrolled anyway; replace or remove them if that person is recognised poorly): "
     << flagged.size() << "\n";
  for (const auto& w : flagged) {
    const facerec::EnrolledImage& im = res.images[w.image];
    os << "    " << res.labels[size_t(im.label_id)] << ": " << im.path << ": " << w.text << "\n";
  }
  char thr[32];
  std::snprintf(thr, sizeof thr, "%.3f", double(clf.default_threshold()));
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
  return cli::run_main(kProg, [&] { return run(args); });
}
