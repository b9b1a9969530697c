// Who was seen: collecting, merging and keeping sightings (see facerec/sightings.h).
#include "facerec/sightings.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "facerec/safe_io.h"
#include "facerec/types.h"

namespace facerec {

namespace {

// Below this shorter box side a face is enlarged into the tile (see sighting_crop_score).
constexpr double kFullSizeFace = 96.0;
// The crop around a face: this many times the box's longer side.
constexpr double kCropContext = 1.5;

bool earlier(const Sighting& a, const Sighting& b) {
  if (a.known() != b.known()) return a.known();
  if (a.first_s != b.first_s) return a.first_s < b.first_s;
  return a.known() ? a.name < b.name : a.track < b.track;
}

}  // namespace

namespace {

// The square around box (see sighting_crop), resized to kSightingCrop with `interpolation`.
cv::Mat square_crop(const cv::Mat& bgr, const cv::Rect& box, int interpolation) {
  const int side = std::max(1, int(std::lround(kCropContext * std::max(box.width, box.height))));
  const int cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const cv::Rect want(cx - side / 2, cy - side / 2, side, side);
  const cv::Rect inside = want & cv::Rect(0, 0, bgr.cols, bgr.rows);
  cv::Mat square;
  if (inside == want) {  // the usual case: resized straight from the frame, no copy
    square = bgr(want);
  } else {
    square = cv::Mat(side, side, CV_8UC3, cv::Scalar(128, 128, 128));
    if (!inside.empty()) bgr(inside).copyTo(square(inside - want.tl()));
  }
  cv::Mat out;
  cv::resize(square, out, cv::Size(kSightingCrop, kSightingCrop), 0, 0,
             side > kSightingCrop ? interpolation : cv::INTER_LINEAR);
  return out;
}

}  // namespace

cv::Mat sighting_crop(const cv::Mat& bgr, const cv::Rect& box) { return square_crop(bgr, box, cv::INTER_AREA); }

double sighting_crop_score(const cv::Mat& bgr, const cv::Rect& box) {
  cv::Mat grey, lap;
  cv::cvtColor(square_crop(bgr, box, cv::INTER_LINEAR), grey, cv::COLOR_BGR2GRAY);
  cv::Laplacian(grey, lap, CV_16S);
  cv::Scalar mean, dev;
  cv::meanStdDev(lap, mean, dev);
  const double size = std::min(1.0, std::min(box.width, box.height) / kFullSizeFace);
  return dev[0] * dev[0] * size;
}

void SightingCollector::add(uint64_t frame_index, double time_s, uint64_t track, const std::string& label,
                            const cv::Rect& box, bool fresh, const cv::Mat& frame) {
  Track& t = tracks_[track ? std::make_pair(track, std::string()) : std::make_pair(uint64_t(0), label)];
  if (t.frames.empty()) t.first_s = time_s;
  if (t.frames.empty() || t.frames.back() != frame_index) {
    t.frames.push_back(frame_index);
    ++t.labels[label];
  }
  t.first_s = std::min(t.first_s, time_s);
  t.last_s = std::max(t.last_s, time_s);
  if (!fresh || frame.empty() || box.width <= 0 || box.height <= 0) return;
  // the score on a fast resize (0.06 ms for a 330 px square), the crop shown with
  // INTER_AREA (0.8 ms) only when it is kept
  const double score = sighting_crop_score(frame, box);
  if (score > t.crop_score) {
    t.crop = sighting_crop(frame, box);
    t.crop_score = score;
  }
}

std::vector<Sighting> SightingCollector::sightings() const {
  std::map<std::string, std::vector<const Track*>> by_name;  // "" unknown
  std::vector<std::pair<uint64_t, const Track*>> unknown;
  for (const auto& [key, t] : tracks_) {
    // the label of most of the track's frames; a name wins a tie
    const std::string* best = nullptr;
    uint64_t n = 0;
    for (const auto& [label, count] : t.labels)
      if (!best || count > n || (count == n && best->empty())) best = &label, n = count;
    if (!best) continue;
    if (best->empty())
      unknown.emplace_back(key.first, &t);
    else
      by_name[*best].push_back(&t);
  }
  std::vector<Sighting> out;
  auto fill = [](Sighting& s, const Track& t, bool first) {
    if (first || t.first_s < s.first_s) s.first_s = t.first_s;
    if (first || t.last_s > s.last_s) s.last_s = t.last_s;
    if (!t.crop.empty() && (s.crop.empty() || t.crop_score > s.crop_score)) {
      s.crop = t.crop;
      s.crop_score = t.crop_score;
    }
  };
  for (const auto& [name, tracks] : by_name) {
    Sighting s;
    s.name = name;
    std::vector<uint64_t> frames;
    for (const Track* t : tracks) {
      fill(s, *t, t == tracks.front());
      std::vector<uint64_t> merged;
      std::set_union(frames.begin(), frames.end(), t->frames.begin(), t->frames.end(), std::back_inserter(merged));
      frames.swap(merged);
    }
    s.frames = frames.size();
    out.push_back(std::move(s));
  }
  // untracked unknown faces (key (0, "")) come out as one sighting with track 0
  for (const auto& [id, t] : unknown) {
    Sighting s;
    s.track = id;
    fill(s, *t, true);
    s.frames = t->frames.size();
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), earlier);
  return out;
}

std::vector<Sighting> merge_sightings(const std::vector<std::pair<std::string, std::vector<Sighting>>>& videos) {
  std::vector<Sighting> out;
  std::map<std::string, size_t> person;  // name -> index in out
  std::vector<size_t> order;             // per out entry: the first video's index, for sorting
  for (size_t v = 0; v < videos.size(); ++v) {
    for (const Sighting& s : videos[v].second) {
      const auto it = s.known() ? person.find(s.name) : person.end();
      if (it == person.end()) {
        Sighting m = s;
        m.first_source = m.last_source = videos[v].first;
        m.sources = 1;
        if (s.known()) person[s.name] = out.size();
        out.push_back(std::move(m));
        order.push_back(v);
        continue;
      }
      Sighting& m = out[it->second];
      m.frames += s.frames;
      if (m.last_source != videos[v].first) ++m.sources;
      m.last_source = videos[v].first;  // later video in list order: later
      m.last_s = s.last_s;
      if (!s.crop.empty() && (m.crop.empty() || s.crop_score > m.crop_score)) {
        m.crop = s.crop;
        m.crop_score = s.crop_score;
      }
    }
  }
  std::vector<size_t> idx(out.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    if (out[a].known() != out[b].known()) return out[a].known();
    if (order[a] != order[b]) return order[a] < order[b];
    return earlier(out[a], out[b]);
  });
  std::vector<Sighting> sorted;
  for (size_t i : idx) sorted.push_back(std::move(out[i]));
  return sorted;
}

namespace {

constexpr const char* kHeader = "# gst-facerec sightings 1";
constexpr size_t kMaxBytes = size_t(64) << 20;  // 64 MiB: ~400,000 tracks

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\') o += "\\\\";
    else if (c == '\t') o += "\\t";
    else if (c == '\n') o += "\\n";
    else o += c;
  }
  return o;
}

std::string unescape(const std::string& s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      o += s[i];
      continue;
    }
    const char c = s[++i];
    o += c == 't' ? '\t' : c == 'n' ? '\n' : c;
  }
  return o;
}

std::string number(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

void save_sightings(const std::string& prefix, const std::vector<Sighting>& sightings) {
  std::string tsv = std::string(kHeader) + "\n# name\ttrack\tfirst_s\tlast_s\tframes\tcrop_score\thas_crop\n";
  std::vector<cv::Mat> crops;
  for (const Sighting& s : sightings) {
    const bool has = !s.crop.empty();
    tsv += escape(s.name) + "\t" + std::to_string(s.track) + "\t" + number(s.first_s) + "\t" + number(s.last_s) +
           "\t" + std::to_string(s.frames) + "\t" + number(s.crop_score) + "\t" + (has ? "1" : "0") + "\n";
    if (has) crops.push_back(s.crop);
  }
  const std::string png_path = prefix + ".png";
  std::vector<uchar> png;
  if (!crops.empty()) {
    cv::Mat strip;
    cv::hconcat(crops, strip);
    if (!cv::imencode(".png", strip, png)) throw Error(png_path, "cannot encode the face crops as PNG");
  }
  // the PNG first: a reader that finds the TSV finds the crops it lists
  if (!png.empty()) {
    StagedFile f(png_path, std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
    f.commit();
  }
  StagedFile t(prefix + ".tsv", tsv);
  t.commit();
}

std::vector<Sighting> load_sightings(const std::string& prefix) {
  const std::string tsv_path = prefix + ".tsv", png_path = prefix + ".png";
  const std::string fix = "it is facerec-batch's own record: delete it and annotate the video again (--force)";
  const std::string text = read_file_bounded(tsv_path, kMaxBytes, fix);
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line) || line != kHeader) throw Error(tsv_path, "not a sightings file (bad first line); " + fix);
  std::vector<Sighting> out;
  std::vector<bool> has_crop;
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> f;
    std::istringstream ls(line);
    for (std::string col; std::getline(ls, col, '\t');) f.push_back(col);
    Sighting s;
    bool ok = f.size() == 7;
    try {
      if (ok) {
        size_t used = 0;
        s.name = unescape(f[0]);
        s.track = std::stoull(f[1], &used);
        ok = used == f[1].size();
        s.first_s = std::stod(f[2]);
        s.last_s = std::stod(f[3]);
        s.frames = std::stoull(f[4], &used);
        ok = ok && used == f[4].size();
        s.crop_score = std::stod(f[5]);
        ok = ok && (f[6] == "0" || f[6] == "1") && std::isfinite(s.first_s) && std::isfinite(s.last_s) &&
             std::isfinite(s.crop_score) && s.first_s <= s.last_s && s.frames > 0 && f[1][0] != '-' &&
             f[4][0] != '-';
      }
    } catch (const std::exception&) {
      ok = false;
    }
    if (!ok) throw Error(tsv_path, "line " + std::to_string(lineno) + " is not a sighting; " + fix);
    has_crop.push_back(f[6] == "1");
    out.push_back(std::move(s));
  }
  const size_t n_crops = size_t(std::count(has_crop.begin(), has_crop.end(), true));
  if (n_crops == 0) return out;
  const std::string bytes = read_file_bounded(png_path, kMaxBytes, fix);
  const cv::Mat strip = cv::imdecode(std::vector<uchar>(bytes.begin(), bytes.end()), cv::IMREAD_COLOR);
  if (strip.empty() || strip.rows != kSightingCrop || strip.cols != int(n_crops) * kSightingCrop)
    throw Error(png_path, "does not hold the " + std::to_string(n_crops) + " face crop(s) " + tsv_path +
                              " lists; " + fix);
  for (size_t i = 0, c = 0; i < out.size(); ++i)
    if (has_crop[i]) out[i].crop = strip(cv::Rect(int(c++) * kSightingCrop, 0, kSightingCrop, kSightingCrop)).clone();
  return out;
}

}  // namespace facerec
