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
  std::vector<cv::Mat> chips;
  std::vector<size_t> first(faces.size() + 1, 0);  // face i's chips: [first[i], first[i + 1])
  chips.reserve(faces.size());
  for (size_t i = 0; i < faces.size(); ++i) {
    Face variant = faces[i];
    variant.has_landmarks = true;
    variant.has_coarse_landmarks = false;  // chip_of sees one set of points
    for (const Landmarks& l : alignment_variants(faces[i])) {
      variant.landmarks = l;
      chips.push_back(chip_of(variant));
    }
    first[i + 1] = chips.size();
  }
  std::vector<Embedding> all = embed(chips);
  if (all.size() != chips.size())
    throw Error(path(), "embedder returned " + std::to_string(all.size()) + " embeddings for " +
                            std::to_string(chips.size()) + " chips: a broken runner");
  if (chips.size() == faces.size()) return all;
  // The mean direction at the variants' mean length: unit vectors stay unit vectors
  // (whether the manifest normalises them or the network does itself), raw ones keep
  // their scale.
  auto norm = [](const Embedding& v) {
    double s = 0.0;
    for (float x : v) s += double(x) * x;
    return std::sqrt(s);
  };
  std::vector<Embedding> out(faces.size());
  for (size_t i = 0; i < faces.size(); ++i) {
    Embedding& e = out[i];
    e = std::move(all[first[i]]);
    if (first[i + 1] - first[i] == 1 || e.empty()) continue;
    double length = norm(e);
    for (size_t k = first[i] + 1; k < first[i + 1]; ++k) {
      length += norm(all[k]);
      for (size_t j = 0; j < e.size() && j < all[k].size(); ++j) e[j] += all[k][j];
    }
    length /= double(first[i + 1] - first[i]);
    const double sum = norm(e);
    if (sum > 0.0)
      for (float& v : e) v = static_cast<float>(v * (length / sum));
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
