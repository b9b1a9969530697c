// Who was seen in a stream, for a contact sheet: one Sighting per person (all their
// face tracks together) and one per unknown face track, each with the best face crop,
// the first and last time seen and the number of frames. Collected frame by frame
// (SightingCollector), kept between runs (save_sightings / load_sightings) and merged
// over several videos (merge_sightings) for facerec-batch's overall sheet. Drawn by
// contact_sheet.h. Plain C++ + OpenCV.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

namespace facerec {

// Side of the square face crop kept per sighting and shown in its tile, in pixels.
constexpr int kSightingCrop = 144;

struct Sighting {
  std::string name;  // the person; empty: unknown
  uint64_t track = 0;  // an unknown's face track (0: faces seen without tracking)
  double first_s = 0.0, last_s = 0.0;  // stream time of the first and last frame seen on
  uint64_t frames = 0;  // frames seen on
  cv::Mat crop;  // kSightingCrop x kSightingCrop BGR, the best face; empty: none kept
  double crop_score = 0.0;  // sighting_crop_score() of crop
  // Over several videos (merge_sightings); empty/0 on a single stream's sheet.
  std::string first_source, last_source;  // the videos of first_s and last_s
  int sources = 0;  // how many videos it was seen in
  bool known() const { return !name.empty(); }
};

// The square region shown for a face box: centred on the box, 1.5x its longer side
// (the whole head with some context, so that a detector finds the face in it again),
// grey where it leaves the frame, resized to kSightingCrop. bgr: 8-bit BGR.
cv::Mat sighting_crop(const cv::Mat& bgr, const cv::Rect& box);

// How good the face at box is to show, larger is better: the sharpness of its crop
// (variance of the Laplacian of the grey crop, made as sighting_crop's but with a fast
// linear resize; crops all have the same size, so a large face is not favoured for its
// size alone) times min(1, shorter box side / 96 px): a face smaller than ~96 px is
// blurred when scaled up into the tile, so size counts below that.
double sighting_crop_score(const cv::Mat& bgr, const cv::Rect& box);

// Collects the faces of a stream, frame by frame, in stream order.
class SightingCollector {
 public:
  // One face of the frame `frame_index` (increasing from frame to frame) at `time_s`.
  // track: the face's track id (0: untracked). label: the name it was given on this
  // frame (empty: unknown). fresh: the detector found the box on this frame (only such
  // boxes are candidates for the crop: a carried box lags the face). frame: the whole
  // frame as 8-bit BGR, or empty to count the face without considering its crop.
  void add(uint64_t frame_index, double time_s, uint64_t track, const std::string& label,
           const cv::Rect& box, bool fresh, const cv::Mat& frame);

  // The sightings so far. A track is named by the label it had on most of its frames
  // (ties: a name wins over unknown), so the frames before a track's first
  // classification do not make a known person an unknown tile. Known tracks of the
  // same name make one sighting (frames counted once when two overlap); each unknown
  // track is one; untracked unknown faces make one together (track 0). Order: known
  // people by first time seen, then unknowns by first time seen.
  std::vector<Sighting> sightings() const;

 private:
  struct Track {
    std::map<std::string, uint64_t> labels;  // label ("" unknown) -> frames
    std::vector<uint64_t> frames;  // frame indices, increasing
    double first_s = 0.0, last_s = 0.0;
    cv::Mat crop;
    double crop_score = -1.0;
  };
  // key: (track id, "") for tracked faces; (0, label) for untracked ones
  std::map<std::pair<uint64_t, std::string>, Track> tracks_;
};

// Facerec-batch's overall sheet: the sightings of several videos, in the order given
// (sorted file names). A person seen in several videos is one sighting: frames summed,
// first seen in the first video they appear in, last in the last, the best crop of all;
// each unknown stays one sighting of its video. Sources are set on every sighting.
std::vector<Sighting> merge_sightings(const std::vector<std::pair<std::string, std::vector<Sighting>>>& videos);

// Keeps sightings for merge_sightings in another process: PREFIX.tsv (one line per
// sighting) and PREFIX.png (the crops side by side; absent when there is none), each
// written under a temporary name and renamed. Throws Error(file, ...) on failure.
void save_sightings(const std::string& prefix, const std::vector<Sighting>& sightings);
// Reads what save_sightings wrote; throws Error(file, ...) naming the file and the fix
// when it is missing, truncated or does not match its PNG.
std::vector<Sighting> load_sightings(const std::string& prefix);

}  // namespace facerec
