// Embedder specs from the manifest, the Embedder base and the runner factory.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "detail.h"
#include "facerec/embedder.h"

#include "facerec/models.h"

namespace facerec {

namespace {

struct Runner {
  const char* name;
  std::unique_ptr<Embedder> (*make)(const EmbedderSpec&);
};
// One line per implementation.
const Runner kRunners[] = {
    {"opencv-dnn", detail::make_dnn_embedder},
};

std::string known_ids() { return builtin_manifest().describe_ids("embedder"); }

}  // namespace

EmbedderSpec embedder_spec(const ModelInfo& info) {
  if (info.role != "embedder")
    throw Error("", "model '" + info.id + "' is a " + info.role + ", not an embedder: known embedders are " +
                        known_ids());
  EmbedderSpec s;
  s.id = info.id;
  s.file = info.weights().name;
  if (const ModelFile* c = info.config()) s.config = c->name;
  s.format = info.format;
  s.runner = info.embedding.runner;
  s.dim = info.embedding.dim;
  s.chip = info.embedding.chip;
  s.mean = info.input.mean;
  s.scale = info.input.scale;
  s.swap_rb = info.input.channel_order == "RGB";  // the decoded frames are BGR
  s.l2_normalize = info.embedding.l2_normalize;
  s.flip_average = info.embedding.flip_average;
  s.threshold_search = info.embedding.threshold_search;
  return s;
}

const std::vector<EmbedderSpec>& known_embedders() {
  static const std::vector<EmbedderSpec> specs = [] {
    std::vector<EmbedderSpec> v;
    for (const auto& m : builtin_manifest().models())
      if (m.role == "embedder") v.push_back(embedder_spec(m));
    return v;
  }();
  return specs;
}

EmbedderSpec embedder_spec_for(const std::string& id_or_file) {
  const Manifest& m = builtin_manifest();
  const ModelInfo* info = m.find(id_or_file);
  if (!info) info = m.find_by_file(id_or_file);
  if (info && info->role == "embedder") return embedder_spec(*info);
  const bool looks_like_file = id_or_file.find('/') != std::string::npos ||
                               id_or_file.find('.') != std::string::npos;
  throw Error(looks_like_file ? id_or_file : std::string(),
              "unknown embedder '" + id_or_file + "': known ids (default files) are " + known_ids() +
                  "; give one of these ids explicitly for a renamed file");
}

ThresholdSearch threshold_search_for(const std::string& embedder_id) {
  const ModelInfo* info = builtin_manifest().find(embedder_id);
  if (info && info->role == "embedder") return info->embedding.threshold_search;
  return ThresholdSearch{};
}

std::string describe_embedders(const std::string& indent) {
  std::string out;
  size_t width = 0;
  for (const auto& s : known_embedders()) width = std::max(width, s.id.size());
  for (const auto& s : known_embedders()) {
    char range[64];
    std::snprintf(range, sizeof range, "%.2f..%.2f", double(s.threshold_search.min), double(s.threshold_search.max));
    out += indent + s.id + std::string(width + 2 - s.id.size(), ' ') + s.file + ", " + std::to_string(s.dim) +
           "-d, automatic threshold " + range + (s.file == defaults::kEmbedder ? " (default)" : "") + "\n";
  }
  return out;
}

cv::Mat Embedder::align(const cv::Mat& bgr, const Face& face) const {
  return align_face(bgr, face, spec().chip);
}

std::vector<Embedding> Embedder::embed_faces(const cv::Mat& bgr, const std::vector<Face>& faces) {
  return embed_faces(faces, [this, &bgr](const Face& f) { return align(bgr, f); });
}

std::vector<Embedding> Embedder::embed_faces(const std::vector<Face>& faces,
                                             const std::function<cv::Mat(const Face&)>& chip_of) {
  // Every face's own chip in one batch, as without variants; the extra variants of faces in
  // doubt one chip at a time. OpenCV DNN reallocates a network's buffers for every new input
  // shape: a batch of 3 between the usual batches of 1 cost the pipeline bench 7 MB of peak
  // memory and ~10 % of its frame rate; calls of one chip keep the shapes it already has.
  std::vector<cv::Mat> own;
  std::vector<std::pair<size_t, cv::Mat>> extra;  // (face, chip)
  own.reserve(faces.size());
  for (size_t i = 0; i < faces.size(); ++i) {
    Face variant = faces[i];
    variant.has_landmarks = true;
    variant.has_coarse_landmarks = false;  // chip_of sees one set of points
    const std::vector<Landmarks> variants = alignment_variants(faces[i]);
    for (size_t v = 0; v < variants.size(); ++v) {
      variant.landmarks = variants[v];
      if (v == 0)
        own.push_back(chip_of(variant));
      else
        extra.emplace_back(i, chip_of(variant));
    }
  }
  auto checked = [this](std::vector<Embedding> e, size_t n) {
    if (e.size() != n)
      throw Error(path(), "embedder returned " + std::to_string(e.size()) + " embeddings for " + std::to_string(n) +
                              " chips: a broken runner");
    return e;
  };
  std::vector<Embedding> out = checked(embed(own), own.size());
  if (extra.empty()) return out;
  // The mean direction at the variants' mean length: unit vectors stay unit vectors
  // (whether the manifest normalises them or the network does itself), raw ones keep
  // their scale.
  auto norm = [](const Embedding& v) {
    double s = 0.0;
    for (float x : v) s += double(x) * x;
    return std::sqrt(s);
  };
  std::vector<double> length(faces.size());
  std::vector<int> count(faces.size(), 1);
  for (size_t i = 0; i < faces.size(); ++i) length[i] = norm(out[i]);
  for (const auto& [i, chip] : extra) {
    const Embedding e = checked(embed({chip}), 1)[0];
    length[i] += norm(e);
    ++count[i];
    for (size_t j = 0; j < out[i].size() && j < e.size(); ++j) out[i][j] += e[j];
  }
  for (size_t i = 0; i < faces.size(); ++i) {
    if (count[i] == 1) continue;
    const double sum = norm(out[i]), target = length[i] / count[i];
    if (sum > 0.0)
      for (float& v : out[i]) v = static_cast<float>(v * (target / sum));
  }
  return out;
}

std::unique_ptr<Embedder> create_embedder(const EmbedderSpec& spec) {
  for (const Runner& r : kRunners)
    if (spec.runner == r.name) return r.make(spec);
  std::string names;
  for (const Runner& r : kRunners) names += (names.empty() ? "" : ", ") + std::string(r.name);
  throw Error(spec.file, "embedder '" + spec.id + "' wants the runner '" + spec.runner +
                             "', which this build does not have (it has " + names +
                             "): check its \"runner\" in models/manifest.json");
}

std::unique_ptr<Embedder> create_embedder(const std::string& model, const std::string& id) {
  const std::string file = model.empty() ? std::string(defaults::kEmbedder) : model;
  EmbedderSpec spec;
  if (!id.empty()) {
    const ModelInfo* info = builtin_manifest().find(id);
    if (!info || info->role != "embedder")
      throw Error(file, "unknown embedder id '" + id + "': known ids are " + known_ids());
    spec = embedder_spec(*info);
  } else {
    spec = embedder_spec_for(file);
    // An id names the entry and its own file; anything else is the file.
    if (const ModelInfo* by_id = builtin_manifest().find(file); by_id && by_id->role == "embedder")
      return create_embedder(spec);
  }
  spec.file = file;
  return create_embedder(spec);
}

}  // namespace facerec
