// Presence: who is in view. Turns each frame's recognised faces into the
// events facerecognize posts ("face-appeared", "face-left", "unknown-face").
// Plain logic: no clock, no I/O; the caller passes each frame's time.
//
// Inputs, per frame: `now` (nanoseconds on the clock events are timed on; the
// element passes the running time, or a monotonic clock when the buffer has
// none), the frame's EventTimes (opaque: copied into the events), and one
// FaceObservation per classified face.
//
// Keys. A named face is keyed by (track id, name):
// - untracked faces (track_id == -1, today's element): one presence per name;
// - tracked faces (track_id >= 0): one presence per track and name, so two
//   people are two presences even with the same name, and a track whose name
//   changes from A to B makes B appear at once and A leave after the timeout
//   (the same rule as untracked faces).
// The mode follows each observation, so a frame may mix both.
//
// Rules, applied in this order on every update():
// 1. Per key, the face with the highest score of the frame counts (first on a tie).
// 2. Appeared: a key not present yet. The event carries that face and the
//    frame's times; the presence starts (first seen = this frame).
//    Every counted face refreshes its presence: last seen, label id, frames + 1.
// 3. Left{Timeout}: a present key not seen this frame once
//    now > last seen and now - last seen > leave_timeout (strictly: a person
//    unseen for exactly leave_timeout is still present). Time going backwards
//    (a seek without flush) never makes anyone leave.
// 4. Unknown: at most one per frame, for the largest unknown candidate (first on
//    a tie), when due: no unknown event yet, or now < the last one's time (time
//    went backwards), or now - last >= unknown_interval. Candidates are every
//    untracked unknown face (unknown people cannot be told apart, so this is a
//    rate) and the unknown faces of tracks not reported yet (each track gets
//    at most one Unknown; one that is rate-limited waits for a later frame in
//    which it is still unknown). `unknown_faces` counts all unknown faces of the
//    frame. A track is forgotten (and could be reported again) once unseen for
//    more than leave_timeout, by the rule of 3.
// flush(reason): Left{reason} for everyone present (key order), then nobody is
// present and the unknown rate limit and the reported tracks are reset (EOS,
// flush). Events of one call come in the order Appeared (key order), Left (key
// order), Unknown; key order is track id, then name.
// Settings may change between frames; each update() uses the ones it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

namespace facerec {

// "No time" (equals GST_CLOCK_TIME_NONE).
constexpr std::uint64_t kNoTime = std::numeric_limits<std::uint64_t>::max();

// The times of one frame as the element has them; Presence only copies them.
struct EventTimes {
  std::uint64_t pts = kNoTime;
  std::uint64_t running = kNoTime;
  std::uint64_t stream = kNoTime;
};

// One classified face of a frame.
struct FaceObservation {
  std::int64_t track_id = -1;  // -1: untracked
  bool known = false;   // false: nobody in the model
  std::string label;    // the name when known
  int label_id = -1;
  float score = 0.f;
  float distance = 0.f;
  cv::Rect box;         // frame pixels
  int roi_id = 0;
};

struct PresenceSettings {
  std::uint64_t leave_timeout_ns = 1000000000;     // leave-timeout, 1000 ms by default
  std::uint64_t unknown_interval_ns = 1000000000;  // unknown-interval, 1000 ms by default
};

struct PresenceEvent {
  enum class Type { Appeared, Left, Unknown };
  enum class Reason { None, Timeout, Eos, Flush };  // Left only
  Type type = Type::Appeared;
  Reason reason = Reason::None;
  std::int64_t track_id = -1;
  std::string label;  // Appeared, Left
  int label_id = -1;  // Appeared, Left (the last frame's)
  // Appeared, Unknown: the face and frame of the event.
  float score = 0.f;
  float distance = 0.f;
  cv::Rect box;
  int roi_id = 0;
  EventTimes times;
  unsigned unknown_faces = 0;  // Unknown: unknown faces in that frame
  // Left: the presence's first and last named frame, and how many frames named it.
  EventTimes first_seen, last_seen;
  std::uint64_t frames = 0;
};

// "timeout", "eos", "flush" (the face-left message's `reason`); "" for None.
const char* reason_name(PresenceEvent::Reason r);

class Presence {
 public:
  // One frame; returns its events (see the rules above).
  std::vector<PresenceEvent> update(std::uint64_t now, const EventTimes& times,
                                    const std::vector<FaceObservation>& faces,
                                    const PresenceSettings& settings);
  // Everyone present leaves with `reason`; the state is reset.
  std::vector<PresenceEvent> flush(PresenceEvent::Reason reason);

  std::size_t present() const { return present_.size(); }

 private:
  using Key = std::pair<std::int64_t, std::string>;  // (track id or -1, name)
  struct Entry {
    int label_id = -1;
    EventTimes first, last;
    std::uint64_t last_now = 0;
    std::uint64_t frames = 0;
  };
  struct Track {
    std::uint64_t last_now = 0;
    bool reported = false;  // its Unknown was posted
  };
  static PresenceEvent left_event(const Key& key, const Entry& e, PresenceEvent::Reason r);
  static bool expired(std::uint64_t now, std::uint64_t last, std::uint64_t timeout) {
    return now > last && now - last > timeout;
  }

  std::map<Key, Entry> present_;
  std::map<std::int64_t, Track> tracks_;  // tracked faces seen unknown (Unknown once per track)
  bool have_unknown_ = false;
  std::uint64_t last_unknown_ = 0;
};

}  // namespace facerec
