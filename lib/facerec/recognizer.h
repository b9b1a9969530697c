// Per-track recognition: embed a tracked face when it is worth it, not on every
// frame, and give each track the name its recent classifications vote for.
//
// When a face of a track is embedded (plan()):
//  - the track is new (never embedded), or
//  - reclassify_interval frames have passed since its last embedding
//    (1: every frame, the behaviour without tracking; 0: never again), or
//  - the face is markedly better than when it was last embedded: its box side
//    grew by grow_ratio, or it turned more frontal by frontal_gain (see
//    frontalness()), or the detector is surer of it by confidence_gain.
//  Only faces whose box comes from a detection on this frame are embedded once the
//  track has an embedding (positions carried between detector runs are guesses;
//  their landmarks are too rough for alignment), so a due track waits for the
//  next detected frame. A track with no embedding yet is embedded at once.
//  At most max_per_frame faces are embedded per frame (0: no limit); the others
//  wait, new tracks first, then the longest-waiting.
// The name a track carries (name()): a majority vote over its last vote_window
// classifications (each classification is one vote: a person's label id, or
// unknown). A tie is unknown: when the evidence is split, no name is given. The
// score and distance reported are the means over the winning votes. A track keeps
// its name on the frames it is not embedded on (fresh=false there).
// After a model change reclassify() replays the stored embeddings of every
// track's vote window through the new model: no re-embedding needed.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <vector>

#include "facerec/types.h"

namespace facerec {

struct RecognizerConfig {
  int reclassify_interval = 10;
  float grow_ratio = 1.25f;
  float frontal_gain = 0.2f;
  float confidence_gain = 0.15f;
  int vote_window = 5;
  int max_per_frame = 0;
  int forget_after = 100;  // frames a track's state is kept after it was last observed
};

// How frontal a face looks from its 5 landmarks: 1 when the nose tip lies on the
// line through the middle of the eyes and of the mouth, falling to 0 when it is
// half the eye distance off it (a face turned about 45 degrees). 0 without landmarks.
float frontalness(const Face& face);

// One face of the current frame that belongs to a track.
struct TrackedFace {
  uint64_t track_id = 0;
  Face face;
  bool detected = true;  // the box comes from a detection on this frame
};

// What a track carries.
struct TrackName {
  Match match;             // the voted result (known/label/score/distance)
  bool fresh = false;      // embedded and classified on this frame
  Embedding embedding;     // its latest embedding
  int embeddings = 0;      // how many times it was embedded
  int64_t last_embedded = -1;  // frame index of the latest embedding
};

class Recognizer {
 public:
  explicit Recognizer(const RecognizerConfig& config = {});

  // Starts a frame: returns the indices of the faces to embed now.
  std::vector<size_t> plan(const std::vector<TrackedFace>& faces);
  // The result for faces[i] of the last plan() (one of the planned indices).
  void record(const TrackedFace& face, Embedding embedding, const Match& match);
  // The name track `id` carries, nullptr if it was never embedded.
  const TrackName* name(uint64_t id) const;

  // After a model change: classify every stored embedding again.
  void reclassify(const std::function<Match(const Embedding&)>& classify);

  void reset();
  void set_config(const RecognizerConfig& config) { config_ = config; }
  const RecognizerConfig& config() const { return config_; }
  int64_t frame() const { return frame_; }

 private:
  struct State {
    TrackName name;
    std::deque<std::pair<Embedding, Match>> votes;  // newest last
    float side = 0.f, frontal = 0.f, confidence = 0.f;  // of the face last embedded
    int64_t last_seen = -1;
  };
  void vote(State& s) const;

  RecognizerConfig config_;
  std::map<uint64_t, State> tracks_;
  int64_t frame_ = -1;
};

}  // namespace facerec
